"""Graph convolutional networks (Kipf & Welling 2017) on the Planetoid citation graphs Cora and
CiteSeer, an MLP baseline that ignores the edges, and the small GCN trained live on Karate Club.

A GCN layer mixes each node's features with its neighbours':  H' = σ(D^-1/2 (A+I) D^-1/2 H W).
Two such layers see each node's 2-hop neighbourhood. The MLP has the same two layers without
the neighbour averaging (H' = σ(H W)) and is trained the same way, so the difference between
them is what the graph adds.

    python -m models train gcn          # GCN and MLP on Cora and CiteSeer, 10 seeds each (~4 min, 1 core)
    python -m models evaluate gcn       # shipped weights' test accuracy and the 10-seed means (~4 min)
    python -m models train gcn-cora     # one model only (also gcn-citeseer, mlp-cora, mlp-citeseer)

The Planetoid raw files are read from DATA_DIR/planetoid/<Name>/raw (see models/data.py). PyG
writes a `processed/` folder beside `raw/`, so the raw files are first copied to a writable
cache folder (the system temp dir): the shared data stays read-only.
"""
from __future__ import annotations

import hashlib
import math
import os
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from .data import BUNDLED_DIR, DataMissingError, data_dir

# display name -> file prefix of the Planetoid raw files
DATASETS = {"Cora": "cora", "CiteSeer": "citeseer"}
RAW_SUFFIXES = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")
# the topics behind the label ids (checked against the class sizes of the original datasets)
CLASS_NAMES = {
    "Cora": ["Theory", "Reinforcement learning", "Genetic algorithms", "Neural networks",
             "Probabilistic methods", "Case based", "Rule learning"],
    "CiteSeer": ["AI", "Machine learning", "Information retrieval", "Databases", "Agents", "HCI"],
}

# --- hyperparameters (Kipf & Welling's recipe; 64 hidden units with dropout 0.8 are steadier) ---
HIDDEN = 64
DROPOUT = 0.8
LR = 0.01
WEIGHT_DECAY = 5e-4  # on the first layer only, as in the paper
EPOCHS = 200
SEEDS = 10


class PlanetoidMissingError(DataMissingError):
    """The Planetoid raw files of a dataset are not in the data directory."""


# --- data -------------------------------------------------------------------
def _missing_in(raw: Path, name: str) -> list[str]:
    if name not in DATASETS:
        raise ValueError(f"unknown Planetoid dataset {name!r}; choose from {', '.join(DATASETS)}")
    return [f"ind.{DATASETS[name]}.{s}" for s in RAW_SUFFIXES if not (raw / f"ind.{DATASETS[name]}.{s}").is_file()]


def planetoid_raw_dir(name: str, root=None) -> Path:
    """The data dir's raw files when they are all there, else the copy shipped in models/bundled (the same
    public files, 1.6 MB for both graphs), so that the tab works on a fresh clone; the data dir's path when
    neither is complete (error messages name it)."""
    own = data_dir(root) / "planetoid" / name / "raw"
    if not _missing_in(own, name):
        return own
    bundled = BUNDLED_DIR / "planetoid" / name / "raw"
    return bundled if not _missing_in(bundled, name) else own


def missing_planetoid_files(name: str, root=None) -> list[str]:
    return _missing_in(planetoid_raw_dir(name, root), name)


_planetoid_lock = threading.Lock()


def _writable_copy(name: str, raw: Path) -> Path:
    """A writable Planetoid root holding a copy of `raw`, keyed by the source files (path, size, mtime)."""
    stats = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in raw.iterdir() if p.is_file())
    key = hashlib.sha1(repr((str(raw.resolve()), stats)).encode()).hexdigest()[:16]
    root = Path(tempfile.gettempdir()) / "dlhub-planetoid" / key
    if not (root / name / "raw").is_dir():
        staging = root.parent / f"{key}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        shutil.copytree(raw, staging / name / "raw")
        try:
            staging.rename(root)  # atomic: a concurrent process either wins or finds it there
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    return root


def load_planetoid(name: str, root=None):
    """The Planetoid graph (public split, row-normalised features) as a torch_geometric Data object."""
    from torch_geometric.datasets import Planetoid
    from torch_geometric.transforms import NormalizeFeatures

    missing = missing_planetoid_files(name, root)
    raw = planetoid_raw_dir(name, root)
    if missing:
        raise PlanetoidMissingError(
            f"{name} is not available offline: {raw} lacks {', '.join(missing)}. Put the Planetoid raw files "
            f"there (set --data-dir or DLHUB_DATA_DIR), e.g. by running Planetoid(root='{raw.parent.parent}', "
            f"name='{name}') once with internet access.")
    with _planetoid_lock:  # one process/copy at a time within this process
        return Planetoid(str(_writable_copy(name, raw)), name, transform=NormalizeFeatures())[0]


def sparse_features(x: torch.Tensor) -> torch.Tensor:
    """Bag-of-words features are ~99% zeros: CSR makes the first layer ~8x faster on a CPU."""
    return x.to_sparse_csr()


def feature_dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Dropout that also works on a sparse CSR feature matrix (drops stored values)."""
    if not training or p == 0:
        return x
    if x.layout == torch.sparse_csr:
        return torch.sparse_csr_tensor(x.crow_indices(), x.col_indices(), F.dropout(x.values(), p, True), x.size())
    return F.dropout(x, p, True)


# --- models ------------------------------------------------------------------
class GCN(nn.Module):
    """Two graph convolutions. embed() is the hidden layer the tab projects to 2-D."""

    def __init__(self, in_channels: int, classes: int, hidden: int = HIDDEN, dropout: float = DROPOUT):
        super().__init__()
        from torch_geometric.nn import GCNConv

        self.dropout = dropout
        self.conv1 = GCNConv(in_channels, hidden)
        self.conv2 = GCNConv(hidden, classes)

    def embed(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv1(feature_dropout(x, self.dropout, self.training), edge_index))

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        h = F.dropout(self.embed(x, edge_index), self.dropout, self.training)
        return self.conv2(h, edge_index)


class NodeMLP(nn.Module):
    """The GCN without the graph: each node classified from its own features only."""

    def __init__(self, in_channels: int, classes: int, hidden: int = HIDDEN, dropout: float = DROPOUT):
        super().__init__()
        self.dropout = dropout
        self.lin1 = nn.Linear(in_channels, hidden)
        self.lin2 = nn.Linear(hidden, classes)

    def embed(self, x: torch.Tensor, edge_index: torch.Tensor | None = None) -> torch.Tensor:
        return F.relu(self.lin1(feature_dropout(x, self.dropout, self.training)))

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor | None = None) -> torch.Tensor:
        return self.lin2(F.dropout(self.embed(x), self.dropout, self.training))


ARCHITECTURES = {"gcn": GCN, "mlp": NodeMLP}


def model_name(arch: str, dataset: str) -> str:
    """Registry/weights name, e.g. gcn-cora."""
    return f"{arch}-{DATASETS[dataset]}"


def split_accuracy(logits: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> float:
    return (logits[mask].argmax(1) == y[mask]).float().mean().item()


def train_node_classifier(arch: str, data, seed: int, epochs: int = EPOCHS, hidden: int = HIDDEN,
                          dropout: float = DROPOUT):
    """Full-batch Adam on the 20-labels-per-class training nodes; keeps the epoch with the best
    validation accuracy. Returns (model at that epoch, history). Global seeding: training only."""
    torch.manual_seed(seed)
    x = sparse_features(data.x)
    classes = int(data.y.max()) + 1
    model = ARCHITECTURES[arch](data.num_features, classes, hidden, dropout)
    first, second = list(model.children())
    opt = torch.optim.Adam([{"params": first.parameters(), "weight_decay": WEIGHT_DECAY},
                            {"params": second.parameters(), "weight_decay": 0.0}], lr=LR)
    best_val, best_state, history = -1.0, None, []
    for epoch in range(1, epochs + 1):
        model.train()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x, data.edge_index)[data.train_mask], data.y[data.train_mask])
        loss.backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            logits = model(x, data.edge_index)
        val, test = split_accuracy(logits, data.y, data.val_mask), split_accuracy(logits, data.y, data.test_mask)
        history.append({"epoch": epoch, "train_loss": round(loss.item(), 4), "val_accuracy": round(val, 4),
                        "test_accuracy": round(test, 4)})
        if val > best_val:
            best_val, best_state = val, {k: v.clone() for k, v in model.state_dict().items()}
            history[-1]["selected"] = True
    model.load_state_dict(best_state)
    return model.eval(), history


def test_accuracy(model: nn.Module, data) -> float:
    with torch.no_grad():
        logits = model.eval()(sparse_features(data.x), data.edge_index)
    return split_accuracy(logits, data.y, data.test_mask)


def seed_statistics(arch: str, data, first_seed: int, seeds: int, epochs: int = EPOCHS):
    """Train `seeds` models (seeds first_seed, first_seed+1, ...); returns (first model, its history, accuracies)."""
    accuracies, kept = [], None
    for seed in range(first_seed, first_seed + seeds):
        model, history = train_node_classifier(arch, data, seed, epochs)
        accuracies.append(round(test_accuracy(model, data), 4))
        if kept is None:
            kept = (model, history)
    return kept[0], kept[1], accuracies


def _summary(accuracies: list[float]) -> dict:
    return {"accuracy_mean_10_seeds" if len(accuracies) == 10 else f"accuracy_mean_{len(accuracies)}_seeds":
            round(statistics.mean(accuracies), 4),
            "accuracy_std": round(statistics.stdev(accuracies), 4) if len(accuracies) > 1 else 0.0,
            "accuracy_per_seed": accuracies}


def _base_metrics(name: str, dataset: str, data) -> dict:
    return {"model": name, "dataset": f"{dataset} (Planetoid public split, test nodes)",
            "n": int(data.test_mask.sum())}


def _load_shipped(arch: str, dataset: str):
    from .persistence import from_pretrained, weights_dir

    return from_pretrained(ARCHITECTURES[arch], weights_dir(model_name(arch, dataset)))


def evaluate_one(arch: str, dataset: str, data_dir=None, seeds: int = SEEDS, data=None) -> dict:
    """Test accuracy of the shipped weights, and (seeds > 0) the mean over `seeds` fresh trainings
    with seeds 0.. of the recorded training seed, exactly as `train` measured them."""
    from .persistence import read_metrics

    torch.set_num_threads(1)  # same arithmetic as training, so the numbers reproduce exactly
    data = load_planetoid(dataset, data_dir) if data is None else data
    name = model_name(arch, dataset)
    metrics = _base_metrics(name, dataset, data)
    metrics["accuracy"] = round(test_accuracy(_load_shipped(arch, dataset), data), 4)
    if seeds:
        first = int(read_metrics(name).get("seed", 0))
        metrics.update(_summary(seed_statistics(arch, data, first, seeds)[2]))
    return metrics


def train_one(arch: str, dataset: str, data_dir=None, epochs=None, seed=0, data=None) -> dict:
    from .cards import write_model_card
    from .persistence import save_pretrained, weights_dir, write_metrics

    torch.set_num_threads(1)  # CPU etiquette: training shares the machine
    data = load_planetoid(dataset, data_dir) if data is None else data
    epochs = epochs or EPOCHS
    name = model_name(arch, dataset)
    t0 = time.time()
    model, history, accuracies = seed_statistics(arch, data, seed, SEEDS, epochs)
    config = {"in_channels": data.num_features, "classes": int(data.y.max()) + 1, "hidden": HIDDEN,
              "dropout": DROPOUT}
    save_pretrained(model, weights_dir(name), config)
    metrics = _base_metrics(name, dataset, data)
    metrics["accuracy"] = accuracies[0]
    metrics.update(_summary(accuracies))
    graph = "its neighbours' features along the citation edges" if arch == "gcn" else "no edges (features only)"
    metrics.update({
        "parameters": sum(p.numel() for p in model.parameters()), "epochs": epochs, "seed": seed,
        "train_seconds": round(time.time() - t0),
        "train_data": f"{dataset} Planetoid public split: {int(data.train_mask.sum())} labelled nodes "
                      f"(20 per class), model selection on {int(data.val_mask.sum())} validation nodes; "
                      f"each node sees {graph}",
        "method": f"2 layers, {HIDDEN} hidden units, ReLU, dropout {DROPOUT}, full-batch Adam lr {LR}, weight decay "
                  f"{WEIGHT_DECAY} on the first layer, {epochs} epochs keeping the best-validation epoch; "
                  f"{SEEDS} seeds ({seed}..{seed + SEEDS - 1}), the first one's weights shipped",
        "history": history,
    })
    write_metrics(name, metrics)
    write_model_card(name)
    if arch == "gcn":
        write_layout(dataset, data)
    return metrics


# --- drawing support: a fixed layout of each graph, computed once at training time -----
LAYOUT_FILE = "layout.safetensors"


def graph_layout(edge_index: torch.Tensor, num_nodes: int, seed: int = 0, iterations: int = 50):
    """Force-directed (Fruchterman-Reingold) node positions, scaled into [0, 1]^2 (numpy float32 [N, 2])."""
    import networkx as nx
    import numpy as np

    graph = nx.Graph()
    graph.add_nodes_from(range(num_nodes))
    graph.add_edges_from(edge_index.t().tolist())
    pos = nx.spring_layout(graph, seed=seed, iterations=iterations)
    xy = np.array([pos[i] for i in range(num_nodes)], np.float32)
    xy -= xy.min(0)
    return xy / max(float(xy.max()), 1e-9)


def write_layout(dataset: str, data) -> None:
    """Store the dataset's layout beside the GCN weights, so the tab draws the 3,000-node graph at once
    instead of spending ~20 s on a layout (node positions only, no data)."""
    from safetensors.torch import save_file

    from .persistence import weights_dir

    xy = graph_layout(data.edge_index, data.num_nodes)
    save_file({"xy": torch.from_numpy(xy)}, weights_dir(model_name("gcn", dataset)) / LAYOUT_FILE)


def read_layout(dataset: str, data):
    """The shipped layout, or (missing or for another graph) a freshly computed one."""
    from safetensors.torch import load_file

    from .persistence import weights_dir

    path = weights_dir(model_name("gcn", dataset)) / LAYOUT_FILE
    if path.exists():
        xy = load_file(path)["xy"].numpy()
        if len(xy) == data.num_nodes:
            return xy
    return graph_layout(data.edge_index, data.num_nodes)


def _each(fn, **kwargs) -> dict:
    """Run fn for GCN and MLP on both datasets; one flat dict keyed like cora_gcn_accuracy."""
    out = {"model": "gcn"}
    for dataset in DATASETS:
        data = load_planetoid(dataset, kwargs.get("data_dir"))
        for arch in ARCHITECTURES:
            metrics = fn(arch, dataset, data=data, **kwargs)
            prefix = f"{DATASETS[dataset]}_{arch}_"
            for key in ("accuracy", "accuracy_mean_10_seeds", "accuracy_std"):
                if key in metrics:
                    out[prefix + key] = metrics[key]
    return out


# --- `python -m models train|evaluate NAME` entry points ----------------------
def train_gcn(data_dir=None, epochs=None, seed=0) -> dict:
    return _each(train_one, data_dir=data_dir, epochs=epochs, seed=seed)


def evaluate_gcn(data_dir=None) -> dict:
    return _each(evaluate_one, data_dir=data_dir)


def _entry_points(arch: str, dataset: str):
    def train(data_dir=None, epochs=None, seed=0) -> dict:
        return train_one(arch, dataset, data_dir, epochs, seed)

    def evaluate(data_dir=None) -> dict:
        return evaluate_one(arch, dataset, data_dir)

    return train, evaluate


train_gcn_cora, evaluate_gcn_cora = _entry_points("gcn", "Cora")
train_gcn_citeseer, evaluate_gcn_citeseer = _entry_points("gcn", "CiteSeer")
train_mlp_cora, evaluate_mlp_cora = _entry_points("mlp", "Cora")
train_mlp_citeseer, evaluate_mlp_citeseer = _entry_points("mlp", "CiteSeer")


# --- Karate Club, trained live in the tab ----------------------------------------
class KarateGCN(nn.Module):
    """34 -> 4 -> 4 -> 2 graph convolutions (tanh), then a linear classifier: the 2-D output of the
    third layer is the embedding the tab plots (the classic PyG introduction)."""

    def __init__(self, in_channels: int, classes: int, generator: torch.Generator):
        super().__init__()
        from torch_geometric.nn import GCNConv

        self.convs = nn.ModuleList([GCNConv(in_channels, 4), GCNConv(4, 4), GCNConv(4, 2)])
        self.classifier = nn.Linear(2, classes)
        with torch.no_grad():  # initialise from the request's generator (Glorot uniform, zero bias)
            for p in self.parameters():
                if p.dim() == 2:
                    bound = math.sqrt(6 / sum(p.shape))
                    p.copy_(torch.rand(p.shape, generator=generator) * 2 * bound - bound)
                else:
                    p.zero_()

    def embed(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        for conv in self.convs:
            x = torch.tanh(conv(x, edge_index))
        return x

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor):
        h = self.embed(x, edge_index)
        return self.classifier(h), h


def train_karate_live(data, lr: float, epochs: int, generator: torch.Generator, frames: int = 40):
    """Full-batch Adam on the 4 labelled nodes; yields (epoch, loss, logits, embedding) about `frames`
    times, evenly spaced, the first and the last epoch included."""
    model = KarateGCN(data.num_features, int(data.y.max()) + 1, generator)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    every = max(1, epochs // frames)
    for epoch in range(1, epochs + 1):
        # grad modes are per thread and a stream resumes on any worker thread:
        # set the mode every step, never hold a `with` open across a yield
        with torch.enable_grad():
            model.train()
            opt.zero_grad(set_to_none=True)
            logits, h = model(data.x, data.edge_index)
            loss = F.cross_entropy(logits[data.train_mask], data.y[data.train_mask])
            if not torch.isfinite(loss):
                raise FloatingPointError("the loss became infinite (learning rate too large?)")
            loss.backward()
            opt.step()
        if epoch == 1 or epoch == epochs or epoch % every == 0:
            yield epoch, loss.item(), logits.detach(), h.detach()
