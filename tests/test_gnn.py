"""GNN tab: GCN vs MLP on Cora/CiteSeer (the data dir's Planetoid files, else the copy in models/bundled),
Karate Club live training, bad input, missing data, and the models' contract."""
import json
import math

import gradio as gr
import numpy as np
import pytest
import torch

import demos.gnn as gnn
from conftest import ROOT
from demos.gnn import classify_citation_graph, inspect_graph_node, train_karate
from models.data import BUNDLED_DIR
from models.gnn import (GCN, RAW_SUFFIXES, NodeMLP, PlanetoidMissingError, evaluate_one, load_planetoid,
                        missing_planetoid_files, planetoid_raw_dir, train_node_classifier)

WEIGHTS = ROOT / "weights"


def _metrics(name):
    return json.loads((WEIGHTS / name / "metrics.json").read_text())


@pytest.fixture
def fast_frames(monkeypatch):
    monkeypatch.setattr(gnn, "FRAME_SECONDS", 0.0)


# --- Cora / CiteSeer -------------------------------------------------------------------
@pytest.mark.parametrize("dataset, classes", [("Cora", 7), ("CiteSeer", 6)])
def test_classify_graph_shows_both_models(dataset, classes):
    gcn_graph, mlp_graph, gcn_emb, mlp_emb, summary = classify_citation_graph(dataset)
    for image in (gcn_graph, mlp_graph, gcn_emb, mlp_emb):
        assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8
    assert gcn_graph.shape[1] == gnn.GRAPH_SIZE and not np.array_equal(gcn_graph, mlp_graph)
    view = gnn.graph_view(dataset)
    assert len(view.names) == classes == view.probs["gcn"].shape[1]
    # the tab shows exactly the shipped weights' test accuracy, and the graph helps
    for arch in ("gcn", "mlp"):
        shipped = _metrics(f"{arch}-{dataset.lower()}")["accuracy"]
        assert abs(view.accuracy[arch] - shipped) < 1e-4
        assert f"{shipped:.1%}" in summary
    assert "test papers the **GCN** is right" in summary and "篇测试论文上，**GCN** 的正确率为" in summary
    assert view.accuracy["gcn"] > view.accuracy["mlp"] + 0.1


@pytest.mark.parametrize("hops", [1, 2, 3])
def test_inspect_node(hops):
    image, gcn_probs, mlp_probs, facts = inspect_graph_node("Cora", 1701, hops)
    assert image.ndim == 3 and image.shape[1] == gnn.PANEL_SIZE
    for probs in (gcn_probs, mlp_probs):
        assert list(probs) == gnn.graph_view("Cora").names
        assert math.isclose(sum(probs.values()), 1, abs_tol=1e-4)
    assert max(gcn_probs, key=gcn_probs.get) == "Neural networks"
    assert "Node 1701" in facts and "true topic **Neural networks**" in facts
    assert "**节点 1701** · 真实主题 **Neural networks（神经网络）**" in facts  # and in Chinese, after the English


def test_inspect_last_node_and_string_numbers():
    assert inspect_graph_node("CiteSeer", 3326, 1)[3].startswith("**Node 3326**")
    assert inspect_graph_node("Cora", "12", "2")[3].startswith("**Node 12**")  # API values may come as strings


def test_node_out_of_range_says_how_many_nodes():
    with pytest.raises(gr.Error, match="2,708 nodes.*between 0 and 2707"):
        inspect_graph_node("Cora", 2708, 2)


def test_concurrent_requests_agree():
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda n: inspect_graph_node("Cora", n, 2)[1], [5, 6, 5, 6]))
    assert results[0] == results[2] and results[1] == results[3]


@pytest.mark.parametrize("args, message", [
    (("PubMed", 0, 2), "Dataset must be one of"),
    ((None, 0, 2), "Dataset must be one of"),
    (("Cora", -1, 2), "Node must be between"),
    (("Cora", None, 2), "Node must be a number"),
    (("Cora", float("nan"), 2), "Node must be between"),
    (("Cora", "seven", 2), "Node must be a number"),
    (("Cora", 1.5, 2), "whole number"),
    (("Cora", 10**12, 2), "Node must be between"),
    (("Cora", 0, 0), "Hops must be between 1 and 3"),
    (("Cora", 0, 50), "Hops must be between 1 and 3"),
])
def test_bad_node_requests(args, message):
    with pytest.raises(gr.Error, match=message):
        inspect_graph_node(*args)


@pytest.mark.parametrize("dataset", ["PubMed", None, 3, ""])
def test_bad_dataset_for_classify(dataset):
    with pytest.raises(gr.Error, match="Dataset must be one of"):
        classify_citation_graph(dataset)


def test_without_a_data_dir_the_bundled_graphs_are_used(tmp_path, monkeypatch):
    """An empty data dir, or one with an incomplete copy: the raw files shipped in models/bundled are read."""
    monkeypatch.setenv("DLHUB_DATA_DIR", str(tmp_path))
    assert planetoid_raw_dir("Cora") == BUNDLED_DIR / "planetoid" / "Cora" / "raw"
    raw = tmp_path / "planetoid" / "Cora" / "raw"
    raw.mkdir(parents=True)
    (raw / "ind.cora.x").write_bytes(b"")
    assert planetoid_raw_dir("Cora") == BUNDLED_DIR / "planetoid" / "Cora" / "raw"
    assert missing_planetoid_files("Cora") == [] and load_planetoid("Cora").num_nodes == 2708
    assert "GCN" in classify_citation_graph("CiteSeer")[-1]
    for name in ("Cora", "CiteSeer"):  # a complete copy in the data dir is preferred
        copy = tmp_path / "planetoid" / name / "raw"
        copy.mkdir(parents=True, exist_ok=True)
        for file in (BUNDLED_DIR / "planetoid" / name / "raw").iterdir():
            (copy / file.name).write_bytes(file.read_bytes())
        assert planetoid_raw_dir(name) == copy


def test_missing_planetoid_data_says_what_is_missing(tmp_path, monkeypatch):
    """Neither the data dir nor models/bundled has the files (a trimmed deployment): the error names them."""
    import models.gnn

    monkeypatch.setenv("DLHUB_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(models.gnn, "BUNDLED_DIR", tmp_path / "no-bundle")
    for call in (lambda: classify_citation_graph("Cora"), lambda: inspect_graph_node("CiteSeer", 0, 1)):
        with pytest.raises(gr.Error, match=r"not available.*ind\.(cora|citeseer)\.x.*Karate"):
            call()
    raw = tmp_path / "planetoid" / "Cora" / "raw"
    raw.mkdir(parents=True)
    (raw / "ind.cora.x").write_bytes(b"")
    assert missing_planetoid_files("Cora") == [f"ind.cora.{s}" for s in RAW_SUFFIXES if s != "x"]
    with pytest.raises(PlanetoidMissingError, match="ind.cora.graph"):
        load_planetoid("Cora")


def test_loading_leaves_the_data_read_only():
    folder = planetoid_raw_dir("Cora").parent
    before = sorted(p.name for p in folder.iterdir())
    data = load_planetoid("Cora")
    assert data.num_nodes == 2708 and int(data.train_mask.sum()) == 140 and int(data.test_mask.sum()) == 1000
    assert sorted(p.name for p in folder.iterdir()) == before == ["raw"]


# --- models and training -----------------------------------------------------------------
def _toy_graph(n=60, features=20, classes=3, seed=0):
    from torch_geometric.data import Data

    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % classes
    x = (torch.rand(n, features, generator=gen) < 0.15).float()
    x[torch.arange(n), y] = 1.0  # a weak class signal in the words
    src = torch.randint(0, n, (200,), generator=gen)
    dst = torch.where(torch.rand(200, generator=gen) < 0.8, src + classes, torch.randint(0, n, (200,), generator=gen)) % n
    edge_index = torch.cat([torch.stack([src, dst]), torch.stack([dst, src])], 1)
    masks = [torch.arange(n) % 10 < k for k in (3, 6)]
    return Data(x=x / x.sum(1, keepdim=True), y=y, edge_index=edge_index, train_mask=masks[0],
                val_mask=masks[1] & ~masks[0], test_mask=~masks[1])


@pytest.mark.parametrize("arch", ["gcn", "mlp"])
def test_training_is_seeded_and_keeps_the_best_validation_epoch(arch):
    data = _toy_graph()
    a, history = train_node_classifier(arch, data, seed=3, epochs=15)
    b, _ = train_node_classifier(arch, data, seed=3, epochs=15)
    c, _ = train_node_classifier(arch, data, seed=4, epochs=15)
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
    assert not torch.equal(a.state_dict()["lin1.weight" if arch == "mlp" else "conv1.lin.weight"],
                           c.state_dict()["lin1.weight" if arch == "mlp" else "conv1.lin.weight"])
    selected = [h for h in history if h.get("selected")]
    assert selected[-1]["val_accuracy"] == max(h["val_accuracy"] for h in history)


@pytest.mark.parametrize("cls", [GCN, NodeMLP])
def test_sparse_and_dense_features_give_the_same_answer(cls):
    data = _toy_graph()
    model = cls(20, 3, hidden=8).eval()
    dense = model(data.x, data.edge_index)
    sparse = model(data.x.to_sparse_csr(), data.edge_index)
    assert torch.allclose(dense, sparse, atol=1e-5)


def test_shipped_gnn_weights_meet_the_targets():
    targets = {"gcn-cora": 0.81, "gcn-citeseer": 0.70}
    for name, target in targets.items():
        metrics = _metrics(name)
        assert metrics["accuracy_mean_10_seeds"] >= target and len(metrics["accuracy_per_seed"]) == 10
        assert metrics["accuracy"] == metrics["accuracy_per_seed"][0]
        card = (WEIGHTS / name / "README.md").read_text()
        assert f"| accuracy_mean_10_seeds | {metrics['accuracy_mean_10_seeds']} |" in card
    assert 0.55 <= _metrics("mlp-cora")["accuracy_mean_10_seeds"] <= 0.62
    for name in ("gcn-cora", "gcn-citeseer", "mlp-cora", "mlp-citeseer"):
        files = {p.name: p.stat().st_size for p in (WEIGHTS / name).iterdir()}
        assert {"config.json", "model.safetensors", "metrics.json", "README.md"} <= set(files)
        assert all(f.endswith((".json", ".safetensors", ".md")) and size < 10 * 1024 * 1024 for f, size in files.items())


def test_evaluation_reproduces_the_card():
    """The shipped weights' accuracy, and one retraining (seed 0) reproduces the card's first seed exactly."""
    metrics = evaluate_one("gcn", "Cora", seeds=1)
    card = _metrics("gcn-cora")
    assert metrics["accuracy"] == card["accuracy"] and metrics["n"] == 1000
    assert metrics["accuracy_per_seed"] == card["accuracy_per_seed"][:1]
    assert evaluate_one("mlp", "CiteSeer", seeds=0)["accuracy"] == _metrics("mlp-citeseer")["accuracy"]


def test_registry_names_resolve():
    from models import registry

    for name in ("gcn", "gcn-cora", "gcn-citeseer", "mlp-cora", "mlp-citeseer"):
        assert callable(registry._function(name, 1)) and callable(registry._function(name, 2))


# --- Karate Club ------------------------------------------------------------------------
def test_karate_training_streams_and_separates_the_club(fast_frames):
    frames = list(train_karate(200, 0.01, 0))
    assert 30 <= len(frames) <= 45
    emb, graph, status = frames[-1]
    assert emb.shape[1] == graph.shape[1] == gnn.PANEL_SIZE
    english, chinese = status.split("\n\n")
    assert "epoch 200/200" in english and "**第 200/200 轮**" in chinese
    correct = int(english.split("·")[-1].split("/")[0])
    assert f"{correct}/34 名会员分到了真实社群" in chinese
    assert correct >= 24  # from 4 labels, most of the 34 members land in their community


def test_karate_is_seeded(fast_frames):
    a = list(train_karate(30, 0.02, 7))[-1]
    b = list(train_karate(30, 0.02, 7))[-1]
    c = list(train_karate(30, 0.02, 8))[-1]
    assert np.array_equal(a[0], b[0]) and a[2] == b[2]
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("args, message", [
    ((0, 0.01, 0), "Epochs must be between 1 and 1000"),
    ((10**9, 0.01, 0), "Epochs must be between 1 and 1000"),
    ((None, 0.01, 0), "Epochs must be a number"),
    ((50.5, 0.01, 0), "whole number"),
    ((50, 0, 0), "Learning rate must be between"),
    ((50, float("inf"), 0), "Learning rate must be between"),
    ((50, "fast", 0), "Learning rate must be a number"),
    ((50, 0.01, -1), "Seed must be between"),
    ((50, 0.01, None), "Seed must be a number"),
])
def test_karate_bad_hyperparameters(args, message):
    with pytest.raises(gr.Error, match=message):
        next(train_karate(*args))


def test_karate_diverging_training_is_reported(fast_frames):
    frames = list(train_karate(50, 1.0, 0))  # large but finite: trains, maybe badly, never crashes
    assert "epoch 50/50" in frames[-1][2]
