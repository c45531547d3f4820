"""GNN tab: graph convolutional networks classifying papers of a citation graph, next to an MLP that
ignores the citations, and a GCN trained live on Karate Club."""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import gradio as gr
import numpy as np

from .common import (both, check_choice, check_number, error, fill, model_card, picture_text, principle,
                     seed_generator, text_font)
from .i18n import t
from .live import HEAVY

DATASETS = ("Cora", "CiteSeer")
MAX_HOPS = 3
SUBGRAPH_MAX_NODES = 200   # the neighbourhood view keeps the nearest nodes (by hops) up to this many
GRAPH_SIZE = 560           # px, full-graph drawings
PANEL_SIZE = 380           # px, embeddings and neighbourhood drawings
KARATE_LIMITS = {"epochs": (1, 1000), "lr": (1e-4, 1.0)}
FRAME_SECONDS = 0.03       # pace the Karate stream so a fast run is still watchable (~40 frames, >= 1.2 s)

# categorical colours (Tableau 10), one per class
PALETTE = np.array([[78, 121, 167], [242, 142, 43], [225, 87, 89], [118, 183, 178], [89, 161, 79],
                    [237, 201, 72], [176, 122, 161], [255, 157, 167], [156, 117, 95], [186, 176, 172]], np.uint8)
EDGE_COLOR, MISTAKE_COLOR = (205, 205, 205), (0, 0, 0)

# Text made at request time, (English, Chinese): the server does not know the language picked in the browser, so
# a status shows both, English first (API clients and tests match it), then a blank line and the Chinese.
STATUS = {
    "summary": ("**{dataset}**: {papers:,} papers, {citations:,} citations, {topics} topics; trained on {train} "
                "labelled papers (squares). On the {test:,} test papers the **GCN** is right {gcn:.1%} of the time "
                "({gcn_wrong} mistakes, black rings), the **MLP** {mlp:.1%} ({mlp_wrong} mistakes). "
                "Click a node in a graph (or type its id) to inspect it.",
                "**{dataset}**：{papers:,} 篇论文、{citations:,} 条引用、{topics} 个主题；用 {train} 篇带标签的论文"
                "（方块）训练。在 {test:,} 篇测试论文上，**GCN** 的正确率为 {gcn:.1%}（错 {gcn_wrong} 篇，黑圈），"
                "**MLP** 为 {mlp:.1%}（错 {mlp_wrong} 篇）。点击图中的节点（或输入节点编号）即可查看它。"),
    "facts": ("**Node {node}** · true topic **{true}** · {split} node · {links} citation links, {agree} of them to "
              "papers of the same topic.\n\nGCN says **{gcn}** {gcn_mark} · MLP says **{mlp}** {mlp_mark}{nearest}",
              "**节点 {node}** · 真实主题 **{true}** · {split} · {links} 条引用连接，其中 {agree} 条连向同一主题的"
              "论文。\n\nGCN 判为 **{gcn}** {gcn_mark} · MLP 判为 **{mlp}** {mlp_mark}{nearest}"),
    "nearest": (" · the view keeps the nearest {count} nodes.", " · 视图只保留最近的 {count} 个节点。"),
    "train": ("training (its label was seen)", "训练节点（训练时见过它的标签）"),
    "val": ("validation", "验证节点"),
    "test": ("test", "测试节点"),
    "unlabelled": ("unlabelled (not in any split)", "无标签节点（不属于任何划分）"),
    "karate": ("**epoch {epoch}/{epochs}** · loss on the 4 labelled members {loss:.4f} · "
               "{correct}/34 members assigned their true community",
               "**第 {epoch}/{epochs} 轮** · 4 名带标签会员上的损失 {loss:.4f} · {correct}/34 名会员分到了真实社群"),
}
# the Chinese names of the topics (the labels and API keep the English ones; Chinese text shows both)
TOPICS_ZH = {
    "Theory": "理论", "Reinforcement learning": "强化学习", "Genetic algorithms": "遗传算法",
    "Neural networks": "神经网络", "Probabilistic methods": "概率方法", "Case based": "基于案例的推理",
    "Rule learning": "规则学习",
    "AI": "人工智能", "Machine learning": "机器学习", "Information retrieval": "信息检索", "Databases": "数据库",
    "Agents": "智能体", "HCI": "人机交互",
}


def topic(name: str) -> tuple[str, str]:
    """A topic as text shows it: (the English name, as in the labels; that name with its Chinese name)."""
    return name, f"{name}（{TOPICS_ZH[name]}）" if name in TOPICS_ZH else name


# --- drawing ------------------------------------------------------------------------
def _to_pixels(xy: np.ndarray, size: int, margin: int, top: int = 0, robust: bool = False) -> np.ndarray:
    """Points in any range -> pixel coordinates inside a size x size box (aspect kept). robust: the
    0.5-99.5 percentile box fills the picture and the few outliers sit on its border."""
    lo, hi = (np.percentile(xy, 0.5, axis=0), np.percentile(xy, 99.5, axis=0)) if robust else (xy.min(0), xy.max(0))
    xy = np.clip(xy, lo, hi)
    scale = (size - 2 * margin) / max(float((hi - lo).max()), 1e-9)
    offset = (size - (hi - lo) * scale) / 2
    return (xy - lo) * scale + offset + np.array([0, top])


def draw_graph(xy: np.ndarray, edges: np.ndarray, colors: np.ndarray, size: int, *, mistakes=None,
               labelled=None, radius: float = 3.0, highlight: int | None = None, legend=(), title: str = "",
               pixels: np.ndarray | None = None, labels=None, robust: bool = False) -> np.ndarray:
    """Nodes (circles; labelled training nodes as squares) coloured by class over grey edges; a black
    ring marks a misclassified node; `highlight` gets a big ring. Returns uint8 RGB."""
    from PIL import Image, ImageDraw

    longest = max((text_font(12).getlength(name) for name, _ in legend), default=0)
    columns = max(1, min(3, int(size // (longest + 30))))
    legend_rows = (len(legend) + columns - 1) // columns
    top = 4 + 18 * len(title.splitlines()) if title else 0
    img = Image.new("RGB", (size, size + top + 18 * legend_rows), "white")
    draw = ImageDraw.Draw(img)
    p = pixels if pixels is not None else _to_pixels(xy, size, margin=int(radius) + 8, top=top, robust=robust)
    for a, b in edges:
        draw.line((*p[a], *p[b]), fill=EDGE_COLOR, width=1)
    n = len(p)
    mistakes = np.zeros(n, bool) if mistakes is None else mistakes
    labelled = np.zeros(n, bool) if labelled is None else labelled
    for i in np.argsort(mistakes, kind="stable"):  # mistakes on top
        x, y = p[i]
        box = (x - radius, y - radius, x + radius, y + radius)
        ring = dict(outline=MISTAKE_COLOR, width=max(1, min(3, int(radius / 2)))) if mistakes[i] else {}
        (draw.rectangle if labelled[i] else draw.ellipse)(box, fill=tuple(int(c) for c in colors[i]), **ring)
        if labels is not None:
            draw.text((x, y), str(labels[i]), fill="black", anchor="mm", font=text_font(max(8, int(radius))))
    if highlight is not None:
        x, y = p[highlight]
        r = radius + 6
        draw.ellipse((x - r, y - r, x + r, y + r), outline=(220, 0, 0), width=3)
    if title:
        draw.multiline_text((8, 2), title, fill="black", font=text_font(14 if size >= 450 else 12), spacing=2)
    for k, (name, color) in enumerate(legend):
        x, y = 8 + (k % columns) * (size // columns), size + top + 18 * (k // columns) + 2
        draw.rectangle((x, y + 2, x + 11, y + 13), fill=tuple(int(c) for c in color))
        draw.text((x + 16, y), name, fill="black", font=text_font(12))
    return np.asarray(img)


def class_legend(names: list[str]):
    return [(picture_text(name, TOPICS_ZH.get(name, "")).strip(), PALETTE[k]) for k, name in enumerate(names)]


def project_2d(h: np.ndarray) -> np.ndarray:
    """PCA: the embeddings' two directions of largest variance."""
    h = h - h.mean(0)
    _, _, vt = np.linalg.svd(h, full_matrices=False)
    return h @ vt[:2].T


# --- the Planetoid graphs -------------------------------------------------------------
@dataclass(eq=False)  # hashable by identity: the drawing cache below keys on it
class GraphView:
    """Everything the tab shows about one dataset; computed once per dataset and cached."""
    dataset: str
    num_nodes: int
    y: np.ndarray
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    edges: np.ndarray          # undirected, each once: [E, 2]
    neighbours: list           # adjacency lists
    xy: np.ndarray             # layout [N, 2]
    probs: dict                # "gcn"/"mlp" -> [N, C] softmax
    embedding: dict            # "gcn"/"mlp" -> [N, 2] PCA of the hidden layer
    accuracy: dict             # "gcn"/"mlp" -> test accuracy
    names: list

    @property
    def nbytes(self) -> int:  # for the model cache's memory budget
        return int(sum(a.nbytes for a in (self.y, self.edges, self.xy, *self.probs.values(),
                                          *self.embedding.values())) + 64 * len(self.edges))

    def predictions(self, arch: str) -> np.ndarray:
        return self.probs[arch].argmax(1)


def _planetoid_or_error(dataset: str):
    from models.gnn import missing_planetoid_files, planetoid_raw_dir

    if missing_planetoid_files(dataset):
        files = ", ".join(missing_planetoid_files(dataset))
        raise error(f"{dataset} is not available on this server: {planetoid_raw_dir(dataset)} lacks the "
                    f"Planetoid raw files ({files}). Karate Club below needs no data.",
                    f"本服务器上没有 {dataset} 数据集：{planetoid_raw_dir(dataset)} 中缺少 Planetoid 原始文件（{files}）。"
                    "下方的空手道俱乐部不需要任何数据。")


def _build_view(dataset: str) -> GraphView:
    import torch
    from models.cache import load_model
    from models.gnn import ARCHITECTURES, CLASS_NAMES, load_planetoid, model_name, read_layout, split_accuracy
    from models.persistence import from_pretrained, weights_dir

    data = load_planetoid(dataset)
    probs, embedding, accuracy = {}, {}, {}
    for arch, cls in ARCHITECTURES.items():
        name = model_name(arch, dataset)
        model = load_model(name, functools.partial(from_pretrained, cls, weights_dir(name)))
        device = next(model.parameters()).device
        with torch.inference_mode():
            x, edge_index = data.x.to(device), data.edge_index.to(device)
            hidden = model.embed(x, edge_index)
            logits = model(x, edge_index).float().cpu()
        probs[arch] = torch.softmax(logits, 1).numpy()
        embedding[arch] = project_2d(hidden.float().cpu().numpy())
        accuracy[arch] = split_accuracy(logits, data.y, data.test_mask)
    ei = data.edge_index.numpy()
    edges = ei[:, ei[0] < ei[1]].T.copy()
    neighbours = [[] for _ in range(data.num_nodes)]
    for a, b in edges:
        neighbours[a].append(int(b))
        neighbours[b].append(int(a))
    return GraphView(dataset, data.num_nodes, data.y.numpy(), data.train_mask.numpy(), data.val_mask.numpy(),
                     data.test_mask.numpy(), edges, neighbours, read_layout(dataset, data), probs, embedding,
                     accuracy, CLASS_NAMES[dataset])


def graph_view(dataset) -> GraphView:
    """The cached view of a dataset, or a gr.Error saying what is missing."""
    from models.cache import load_model
    from models.gnn import PlanetoidMissingError, planetoid_raw_dir

    dataset = check_choice(dataset, "Dataset", DATASETS)
    _planetoid_or_error(dataset)
    try:
        return load_model(f"gnn-view-{dataset}-{planetoid_raw_dir(dataset)}", lambda: _build_view(dataset))
    except PlanetoidMissingError as exc:  # removed since the check above
        raise error(str(exc), f"本服务器上没有 {dataset} 数据集的原始文件（详见上方英文说明）。") from None
    except FileNotFoundError as exc:
        raise error(f"The {dataset} GNN weights are missing ({exc}): run `python -m models train gcn`.",
                    f"缺少 {dataset} 的 GNN 权重：请先运行 `python -m models train gcn`。") from None


@functools.lru_cache(maxsize=8)
def _full_graph_image(view: GraphView, arch: str) -> np.ndarray:
    pred = view.predictions(arch)
    wrong = (pred != view.y) & ~view.train
    title = picture_text(f"{'GCN (uses the citations)' if arch == 'gcn' else 'MLP (ignores them)'} · "
                         f"test accuracy {view.accuracy[arch]:.1%}",
                         f"{'GCN（利用引用关系）' if arch == 'gcn' else 'MLP（忽略引用关系）'} · "
                         f"测试准确率 {view.accuracy[arch]:.1%}", "\n")
    return draw_graph(view.xy, view.edges, PALETTE[pred], GRAPH_SIZE, mistakes=wrong, labelled=view.train,
                      radius=2.6, title=title, legend=class_legend(view.names))


def _embedding_image(view: GraphView, arch: str) -> np.ndarray:
    title = picture_text(f"{arch.upper()} hidden layer, PCA · colour = true topic",
                         f"{arch.upper()} 隐藏层（PCA 降到二维）· 颜色 = 真实主题", "\n")
    return draw_graph(view.embedding[arch], np.zeros((0, 2), int), PALETTE[view.y], PANEL_SIZE, radius=2.2,
                      labelled=view.train, title=title, robust=True)


def classify_citation_graph(dataset="Cora"):
    """Classify every paper of a citation graph by topic with a graph network (GCN), compared with an MLP that ignores citations.

    Args:
        dataset: "Cora" (2,708 papers, 7 topics) or "CiteSeer" (3,327 papers, 6 topics).

    Returns:
        The graph coloured by the GCN's predictions, the same for the MLP, 2-D (PCA) views of both models'
        node embeddings, and a summary with their test accuracies.
    """
    view = graph_view(dataset)
    gcn_wrong = int(((view.predictions("gcn") != view.y) & view.test).sum())
    mlp_wrong = int(((view.predictions("mlp") != view.y) & view.test).sum())
    summary = both(STATUS["summary"], dataset=view.dataset, papers=view.num_nodes, citations=len(view.edges),
                   topics=len(view.names), train=int(view.train.sum()), test=int(view.test.sum()),
                   gcn=view.accuracy["gcn"], gcn_wrong=gcn_wrong, mlp=view.accuracy["mlp"], mlp_wrong=mlp_wrong)
    return (_full_graph_image(view, "gcn"), _full_graph_image(view, "mlp"),
            _embedding_image(view, "gcn"), _embedding_image(view, "mlp"), summary)


def _neighbourhood(view: GraphView, node: int, hops: int) -> dict[int, int]:
    """node -> hop distance, breadth first, at most SUBGRAPH_MAX_NODES nodes."""
    dist, frontier = {node: 0}, [node]
    for h in range(1, hops + 1):
        nxt = []
        for u in frontier:
            for v in view.neighbours[u]:
                if v not in dist and len(dist) < SUBGRAPH_MAX_NODES:
                    dist[v] = h
                    nxt.append(v)
        frontier = nxt
    return dist


def _probabilities(view: GraphView, arch: str, node: int) -> dict[str, float]:
    return {name: float(p) for name, p in zip(view.names, view.probs[arch][node])}


def inspect_graph_node(dataset="Cora", node=0, hops=2):
    """Look at one paper of a citation graph: its k-hop neighbourhood and what the GCN and the MLP predict for it.

    Args:
        dataset: "Cora" or "CiteSeer".
        node: The paper's node id (0 to the number of nodes - 1).
        hops: How many citation hops around it to draw (1-3).

    Returns:
        A drawing of the neighbourhood (coloured by the GCN's predictions), the GCN's topic probabilities, the
        MLP's, and facts (true topic, split, citation links and how many go to papers of the same topic).
    """
    import networkx as nx

    dataset = check_choice(dataset, "Dataset", DATASETS)
    hops = check_number(hops, "Hops", 1, MAX_HOPS, integer=True)
    node = check_number(node, "Node", 0, 10**6, integer=True)
    view = graph_view(dataset)
    node = check_number(node, (f"Node ({dataset} has {view.num_nodes:,} nodes)",
                               f"节点（{dataset} 共有 {view.num_nodes:,} 个节点）"), 0, view.num_nodes - 1, integer=True)
    dist = _neighbourhood(view, node, hops)
    members = list(dist)
    index = {v: k for k, v in enumerate(members)}
    edges = np.array([(index[a], index[b]) for a in members for b in view.neighbours[a]
                      if b in index and index[a] < index[b]], int).reshape(-1, 2)
    graph = nx.Graph()
    graph.add_nodes_from(range(len(members)))
    graph.add_edges_from(edges.tolist())
    pos = nx.spring_layout(graph, seed=0, iterations=60)
    xy = np.array([pos[k] for k in range(len(members))], np.float32)
    pred = view.predictions("gcn")[members]
    wrong = pred != view.y[members]
    title = picture_text(f"node {node}, {hops} hops ({len(members)} nodes) · colour = GCN prediction",
                         f"节点 {node}，{hops} 跳（{len(members)} 个节点）· 颜色 = GCN 的预测", "\n")
    image = draw_graph(xy, edges, PALETTE[pred], PANEL_SIZE, mistakes=wrong, labelled=view.train[members],
                       radius=9 if len(members) <= 40 else 5, highlight=0, title=title,
                       legend=class_legend(view.names), labels=members if len(members) <= 40 else None)
    split = STATUS["train" if view.train[node] else "val" if view.val[node] else
                   "test" if view.test[node] else "unlabelled"]
    true, gcn_pred, mlp_pred = (view.names[int(view.y[node])], view.names[int(view.predictions("gcn")[node])],
                                view.names[int(view.predictions("mlp")[node])])
    neighbours = view.neighbours[node]
    agree = int(sum(view.y[v] == view.y[node] for v in neighbours))
    nearest = STATUS["nearest"] if len(members) >= SUBGRAPH_MAX_NODES else ("", "")
    facts = both(STATUS["facts"], node=node, true=topic(true), split=split, links=len(neighbours), agree=agree,
                 gcn=topic(gcn_pred), gcn_mark="✓" if gcn_pred == true else "✗",
                 mlp=topic(mlp_pred), mlp_mark="✓" if mlp_pred == true else "✗",
                 nearest=fill(nearest, count=SUBGRAPH_MAX_NODES))
    return image, _probabilities(view, "gcn", node), _probabilities(view, "mlp", node), facts


def pick_node(dataset, evt: gr.SelectData):
    """A click on a full-graph drawing -> the id of the nearest node."""
    view = graph_view(dataset)
    radius = 2.6
    pixels = _to_pixels(view.xy, GRAPH_SIZE, margin=int(radius) + 8, top=22)
    x, y = evt.index
    return int(np.argmin(((pixels - np.array([x, y])) ** 2).sum(1)))


# --- Karate Club, trained live ------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _karate():
    from torch_geometric.datasets import KarateClub
    from models.gnn import graph_layout

    data = KarateClub()[0]
    ei = data.edge_index.numpy()
    return data, graph_layout(data.edge_index, data.num_nodes, seed=1), ei[:, ei[0] < ei[1]].T.copy()


def train_karate(epochs=200, learning_rate=0.01, seed=0):
    """Train a 3-layer GCN (34-4-4-2) on Zachary's Karate Club from 4 labelled members, streaming its progress.

    Args:
        epochs: Training epochs (1-1000).
        learning_rate: Adam learning rate (0.0001-1).
        seed: Random seed: the same seed gives the same curves.

    Returns:
        Streamed about 40 times: the members' 2-D embedding, the club graph coloured by predicted community,
        and a status (epoch, loss, how many of the 34 members are assigned their true community).
    """
    from models.gnn import train_karate_live

    epochs = check_number(epochs, "Epochs", *KARATE_LIMITS["epochs"], integer=True)
    learning_rate = check_number(learning_rate, "Learning rate", *KARATE_LIMITS["lr"])
    gen = seed_generator(seed)
    data, xy, edges = _karate()
    y, labelled = data.y.numpy(), data.train_mask.numpy()
    legend = [(picture_text(f"community {k}", f"社群 {k}"), PALETTE[k]) for k in range(int(y.max()) + 1)]
    club_title = picture_text("the club · colour = predicted community", "俱乐部 · 颜色 = 预测的社群", "\n")
    fixed = _to_pixels(np.array([[-1.0, -1.0], [1.0, 1.0]]), PANEL_SIZE, margin=14,
                       top=4 + 18 * len(club_title.splitlines()))
    last = time.monotonic()
    try:
        for epoch, loss, logits, h in train_karate_live(data, learning_rate, epochs, gen):
            pred = logits.argmax(1).numpy()
            wrong = pred != y
            emb = h.numpy()
            # fixed axes [-1, 1]^2 (tanh), so the points' movement is visible
            pixels = (emb + 1) / 2 * (fixed[1] - fixed[0]) + fixed[0]
            pixels[:, 1] = fixed[1, 1] + fixed[0, 1] - pixels[:, 1]
            emb_img = draw_graph(emb, np.zeros((0, 2), int), PALETTE[y], PANEL_SIZE, mistakes=wrong, labelled=labelled, radius=6,
                                 title=picture_text(f"2-D embedding at epoch {epoch} · colour = true community",
                                                    f"第 {epoch} 轮的二维嵌入 · 颜色 = 真实社群", "\n"),
                                 pixels=pixels, legend=legend)
            graph_img = draw_graph(xy, edges, PALETTE[pred], PANEL_SIZE, mistakes=wrong, labelled=labelled,
                                   radius=9, labels=range(len(y)), title=club_title,
                                   legend=legend)
            status = both(STATUS["karate"], epoch=epoch, epochs=epochs, loss=loss, correct=int((~wrong).sum()))
            # paced from the previous frame's hand-over: the time Gradio takes to send a frame counts
            time.sleep(max(0.0, FRAME_SECONDS - (time.monotonic() - last)))
            last = time.monotonic()
            yield emb_img, graph_img, status
    except FloatingPointError as exc:
        raise error(f"Training stopped: {exc}.", "训练已停止：损失变成了无穷大（学习率是不是太大了？）。") from None


TEXT = {
    "en": {
        "gnn.title": "GNN",
        "gnn.intro": """
A **graph convolutional network** classifies the nodes of a graph. Each layer replaces a node's features by
the degree-normalised average of its own and its neighbours' features, then a learned linear map (the formula is
under *Principle*). Two layers let a node see its 2-hop neighbourhood. On **Cora** / **CiteSeer** the nodes are
papers (features: which words they use), the edges citations, and only 20 papers per topic are labelled — the GCN
labels the rest. The **MLP** beside it has the same two layers without the neighbour average (`H' = σ(H·W)`),
trained the same way: the accuracy gap is what the citations add, because papers mostly cite papers on the same topic.

- **Graphs**: each paper coloured by predicted topic; squares = the labelled training papers; black ring = a wrong
  prediction. Clusters of one colour are groups of papers citing each other.
- **Hidden layer, PCA**: the 64-number representation each model computes for every paper, projected to 2-D and
  coloured by the *true* topic — the GCN's topics separate much more cleanly.
- **Node**: a paper's k-hop neighbourhood (what the layers average over), its true topic and both models'
  probabilities.
""",
        "gnn.principle": r"""
**What it computes.** A graph convolution (Kipf & Welling 2017, PyTorch Geometric's `GCNConv` here) adds a
self-loop to every node and averages over the neighbourhood with symmetric degree normalisation:
$$H^{(\ell+1)} = \sigma\!\left(\tilde D^{-1/2}\,\tilde A\,\tilde D^{-1/2}\, H^{(\ell)}\, W^{(\ell)} + b^{(\ell)}\right),
\qquad \tilde A = A + I,\quad \tilde D_{ii} = \textstyle\sum_j \tilde A_{ij}$$
or, for one node, $h_i' = \sigma\big(\sum_{j \in \mathcal{N}(i)\cup\{i\}} \frac{1}{\sqrt{\tilde d_i \tilde d_j}}\, W h_j + b\big)$.
The Cora/CiteSeer model has two such layers: $Z = \mathrm{softmax}\big(\hat A\, \mathrm{ReLU}(\hat A X W^{(0)})\, W^{(1)}\big)$
with $\hat A = \tilde D^{-1/2}\tilde A\tilde D^{-1/2}$, 64 hidden units: each paper's prediction depends on its
2-hop neighbourhood, exactly the subgraph the *Node* view draws.

**How it is trained.** Semi-supervised: the cross-entropy is computed on the 20 labelled papers per topic only, but
every forward pass runs over the whole graph, so the unlabelled papers shape the features too. Full-batch Adam
(learning rate 0.01, weight decay on the first layer), dropout 0.8, 200 epochs, the epoch with the best validation
accuracy kept. The Karate Club model stacks three layers (34 → 4 → 4 → 2, tanh) and trains live below.

**Strengths and weaknesses.** Uses the links as evidence, needs few labels, and has few parameters; but it assumes
linked nodes are alike (homophily), so a node whose neighbours have another topic is pulled the wrong way (Cora
2306), and stacking many layers over-smooths all nodes towards the same vector.

**Where it is used.** Citation and social networks, recommendation, fraud detection, molecules and proteins,
traffic forecasting. In the PCA pictures below, $\mathrm{ReLU}(\hat A X W^{(0)})$ (the GCN) separates topics more
cleanly than $\mathrm{ReLU}(X W^{(0)})$ (the MLP).
""",
        "gnn.karate": """
### Watch a GCN learn: Zachary's Karate Club
34 club members, 78 friendships, 4 communities — and only **one labelled member per community** (squares). A GCN
with three layers (34 → 4 → 4 → 2, tanh) maps every member to a point in 2-D; a linear classifier reads the
community off that point. Press **Train** and watch the members spread out: friends are pulled together by the
neighbour averaging, so the 30 unlabelled members follow their labelled friends. Black ring = wrong community.
""",
        "gnn.dataset": "Dataset",
        "gnn.classify": "Classify the graph",
        "gnn.node": "Node id",
        "gnn.hops": "Neighbourhood hops (k)",
        "gnn.inspect": "Inspect node",
        "gnn.examples": "Nodes to try",
        "gnn.gcn_graph": "GCN predictions (click a node)",
        "gnn.mlp_graph": "MLP predictions (click a node)",
        "gnn.subgraph": "Neighbourhood (colour = GCN prediction, red circle = the node)",
        "gnn.gcn_probs": "GCN: topic probabilities",
        "gnn.mlp_probs": "MLP: topic probabilities",
        "gnn.gcn_emb": "GCN hidden layer (PCA)",
        "gnn.mlp_emb": "MLP hidden layer (PCA)",
        "gnn.epochs": "Epochs",
        "gnn.lr": "Learning rate (Adam)",
        "gnn.seed": "Seed",
        "gnn.train": "Train",
        "gnn.karate_emb": "Embedding",
        "gnn.karate_graph": "Graph",
    },
    "zh-CN": {
        "gnn.title": "GNN 图网络",
        "gnn.intro": """
**图卷积网络**（GCN）对图中的节点进行分类。每一层先把一个节点的特征替换为它自身和邻居特征按度归一化后的平均，
再做一次学到的线性变换（公式见“原理”）。两层之后，每个节点就能看到 2 跳以内的邻域。在 **Cora** / **CiteSeer** 上，
节点是论文（特征：用了哪些词），边是引用关系，每个主题只有 20 篇论文带标签——其余论文由 GCN 来标注。旁边的 **MLP**
有同样的两层，但不做邻居平均（`H' = σ(H·W)`），训练方式相同：两者准确率的差距，就是引用关系带来的收益，因为论文大多
引用同一主题的论文。

- **图**：每篇论文按预测的主题着色；方块 = 带标签的训练论文；黑圈 = 预测错误。同一颜色的聚团就是相互引用的论文群。
- **隐藏层（PCA）**：每个模型为每篇论文算出的 64 维表示，投影到 2 维，并按*真实*主题着色——GCN 的各个主题分得清楚得多。
- **节点**：一篇论文的 k 跳邻域（也就是各层求平均的范围）、它的真实主题，以及两个模型给出的概率。
""",
        "gnn.principle": r"""
**计算什么。** 图卷积（Kipf & Welling 2017，这里用的是 PyTorch Geometric 的 `GCNConv`）给每个节点加一条自环，
再用对称的度归一化在邻域上求平均：
$$H^{(\ell+1)} = \sigma\!\left(\tilde D^{-1/2}\,\tilde A\,\tilde D^{-1/2}\, H^{(\ell)}\, W^{(\ell)} + b^{(\ell)}\right),
\qquad \tilde A = A + I,\quad \tilde D_{ii} = \textstyle\sum_j \tilde A_{ij}$$
写成单个节点的形式就是 $h_i' = \sigma\big(\sum_{j \in \mathcal{N}(i)\cup\{i\}} \frac{1}{\sqrt{\tilde d_i \tilde d_j}}\, W h_j + b\big)$。
Cora/CiteSeer 模型有两层这样的图卷积：$Z = \mathrm{softmax}\big(\hat A\, \mathrm{ReLU}(\hat A X W^{(0)})\, W^{(1)}\big)$，
其中 $\hat A = \tilde D^{-1/2}\tilde A\tilde D^{-1/2}$，隐藏层 64 个单元：每篇论文的预测取决于它的 2 跳邻域，
也就是“节点”视图画出的子图。

**怎样训练。** 半监督：交叉熵只在每个主题 20 篇带标签的论文上计算，但每次前向传播都覆盖整张图，所以无标签的论文也会影响
特征。全批量 Adam（学习率 0.01，第一层加权重衰减），dropout 0.8，训练 200 轮，保留验证准确率最高的那一轮。空手道俱乐部
模型叠了三层（34 → 4 → 4 → 2，tanh），在下方实时训练。

**优点与不足。** 把连接关系当作证据，需要的标签很少，参数也少；但它假设相连的节点彼此相似（同质性），所以邻居属于别的
主题时，节点会被带偏（如 Cora 2306）；层数一多还会过度平滑，所有节点的表示趋于相同。

**应用场景。** 引用网络和社交网络、推荐系统、欺诈检测、分子与蛋白质、交通预测。下方的 PCA 图中，
$\mathrm{ReLU}(\hat A X W^{(0)})$（GCN）比 $\mathrm{ReLU}(X W^{(0)})$（MLP）把各主题分得更清楚。
""",
        "gnn.karate": """
### 看 GCN 如何学习：Zachary 空手道俱乐部
34 名会员、78 对朋友关系、4 个社群——而每个社群只有**一名会员带标签**（方块）。一个三层 GCN（34 → 4 → 4 → 2，tanh）
把每名会员映射成二维平面上的一个点，再由线性分类器根据这个点判断社群。点 **训练**，看会员们如何散开：邻居平均把朋友们
拉到一起，于是 30 名无标签会员会跟随他们带标签的朋友。黑圈 = 社群分错了。
""",
        "gnn.dataset": "数据集",
        "gnn.classify": "对整张图分类",
        "gnn.node": "节点编号",
        "gnn.hops": "邻域跳数（k）",
        "gnn.inspect": "查看节点",
        "gnn.examples": "可以试试这些节点",
        "gnn.gcn_graph": "GCN 的预测（点击一个节点）",
        "gnn.mlp_graph": "MLP 的预测（点击一个节点）",
        "gnn.subgraph": "邻域（颜色 = GCN 的预测，红圈 = 该节点）",
        "gnn.gcn_probs": "GCN：各主题的概率",
        "gnn.mlp_probs": "MLP：各主题的概率",
        "gnn.gcn_emb": "GCN 隐藏层（PCA）",
        "gnn.mlp_emb": "MLP 隐藏层（PCA）",
        "gnn.epochs": "训练轮数",
        "gnn.lr": "学习率（Adam）",
        "gnn.seed": "随机种子",
        "gnn.train": "训练",
        "gnn.karate_emb": "嵌入",
        "gnn.karate_graph": "图",
    },
}


def build() -> None:
    gr.Markdown(t("gnn.intro"))
    principle("gnn.principle")
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            dataset = gr.Radio(list(DATASETS), value="Cora", label=t("gnn.dataset"))
            classify_btn = gr.Button(t("gnn.classify"), variant="primary")
            node = gr.Number(value=2155, precision=0, minimum=0, label=t("gnn.node"))
            hops = gr.Slider(1, MAX_HOPS, value=2, step=1, label=t("gnn.hops"))
            node_btn = gr.Button(t("gnn.inspect"))
            # example labels are shown as they are (Gradio does not translate them): both languages
            gr.Examples([["Cora", 2155, 2], ["Cora", 2306, 1], ["CiteSeer", 2638, 1], ["Cora", 1701, 1]],
                        [dataset, node, hops], label=t("gnn.examples"), example_labels=[
                            "Cora 2155: the citations correct the MLP · 引用纠正了 MLP",
                            "Cora 2306: the neighbours mislead the GCN · 邻居误导了 GCN",
                            "CiteSeer 2638: the citations correct the MLP · 引用纠正了 MLP",
                            "Cora 1701: a hub with 74 links · 有 74 条连接的枢纽节点"])
            summary = gr.Markdown()
        with gr.Column(scale=3):
            with gr.Row():
                gcn_graph = gr.Image(label=t("gnn.gcn_graph"), show_label=False, interactive=False)
                mlp_graph = gr.Image(label=t("gnn.mlp_graph"), show_label=False, interactive=False)
    with gr.Row():
        subgraph = gr.Image(label=t("gnn.subgraph"), show_label=False, interactive=False)
        with gr.Column():
            facts = gr.Markdown()
            gcn_probs = gr.Label(num_top_classes=4, label=t("gnn.gcn_probs"))
            mlp_probs = gr.Label(num_top_classes=4, label=t("gnn.mlp_probs"))
    with gr.Row():
        gcn_emb = gr.Image(label=t("gnn.gcn_emb"), show_label=False, interactive=False)
        mlp_emb = gr.Image(label=t("gnn.mlp_emb"), show_label=False, interactive=False)
    model_card("gcn-cora", "mlp-cora", "gcn-citeseer", "mlp-citeseer")

    node_outputs = [subgraph, gcn_probs, mlp_probs, facts]
    classify_btn.click(classify_citation_graph, dataset, [gcn_graph, mlp_graph, gcn_emb, mlp_emb, summary],
                       api_name="gnn_predict").success(inspect_graph_node, [dataset, node, hops], node_outputs,
                                                    api_visibility="private")
    node_btn.click(inspect_graph_node, [dataset, node, hops], node_outputs, api_name="gnn_node")
    for image in (gcn_graph, mlp_graph):
        image.select(pick_node, dataset, node, api_visibility="private").success(
            inspect_graph_node, [dataset, node, hops], node_outputs, api_visibility="private")

    gr.Markdown(t("gnn.karate"))
    with gr.Row():
        with gr.Column(scale=1, min_width=240):
            epochs = gr.Slider(10, 600, value=200, step=10, label=t("gnn.epochs"))
            learning_rate = gr.Slider(0.001, 0.1, value=0.01, step=0.001, label=t("gnn.lr"))
            seed = gr.Number(value=0, precision=0, minimum=0, label=t("gnn.seed"))
            karate_btn = gr.Button(t("gnn.train"), variant="primary")
            karate_status = gr.Markdown()
        with gr.Column(scale=3):
            with gr.Row():
                karate_emb = gr.Image(label=t("gnn.karate_emb"), show_label=False, interactive=False)
                karate_graph = gr.Image(label=t("gnn.karate_graph"), show_label=False, interactive=False)
    karate_btn.click(train_karate, [epochs, learning_rate, seed], [karate_emb, karate_graph, karate_status],
                     api_name="gnn_karate_train", **HEAVY)
