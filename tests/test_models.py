"""Data readers, persistence, weights rules and the train/evaluate command contract."""
import gzip
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import ROOT, needs_mnist
from models.data import DataMissingError, data_dir, load_images, read_idx
from models.digits import DigitCNN, DigitMLP, augment
from models.persistence import from_pretrained, save_pretrained
from models.cards import headline_metrics
from models.registry import MODELS

WEIGHTS = ROOT / "weights"


def _write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_read_idx_roundtrip(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28)).astype(np.uint8)
    _write_idx(tmp_path / "x.gz", images)
    assert np.array_equal(read_idx(tmp_path / "x.gz"), images)


def test_read_idx_rejects_truncated_and_missing(tmp_path):
    with gzip.open(tmp_path / "bad.gz", "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + (100).to_bytes(4, "big") + b"\0" * 10)
    with pytest.raises(ValueError, match="disagrees"):
        read_idx(tmp_path / "bad.gz")
    with pytest.raises(DataMissingError):
        read_idx(tmp_path / "nothing.gz")


def test_data_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("DLHUB_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
    assert data_dir("/elsewhere") == data_dir("/elsewhere")
    monkeypatch.delenv("DLHUB_DATA_DIR")
    assert data_dir() == ROOT.parent / "shared" / "data"


@pytest.mark.parametrize("cls, config", [(DigitCNN, {"c1": 8, "c2": 8, "hidden": 16}), (DigitMLP, {"hidden": [32]})])
def test_save_and_load_pretrained(tmp_path, cls, config):
    model = cls(**config).eval()
    save_pretrained(model, tmp_path, config)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors"]
    loaded = from_pretrained(cls, tmp_path)
    x = torch.rand(2, 1, 28, 28)
    assert torch.allclose(model(x), loaded(x))


def test_augment_keeps_range_and_is_seeded():
    x = torch.rand(4, 1, 28, 28)
    a = augment(x, torch.Generator().manual_seed(1))
    b = augment(x, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and a.min() >= 0 and a.max() <= 1 and not torch.equal(a, x)


SHIPPED = [name for name in MODELS if (WEIGHTS / name).is_dir()]


UMBRELLAS = {"gcn", "gan", "diffusion", "autoencoder"}  # train/evaluate several models at once; no folder of their own
def test_every_model_except_umbrellas_ships_weights():
    assert set(MODELS) - set(SHIPPED) == UMBRELLAS


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_weights_follow_the_rules(name):
    folder = WEIGHTS / name
    files = {p.name for p in folder.iterdir()}
    assert {"config.json", "metrics.json", "README.md"} <= files
    # our safetensors file, or a diffusers pipeline folder (model_index.json + <part>/*.safetensors)
    assert "model.safetensors" in files or ("model_index.json" in files and list(folder.glob("*/*.safetensors")))
    every_file = [p for p in folder.rglob("*") if p.is_file()]
    assert not any(p.suffix in (".pt", ".pth", ".bin", ".pkl", ".ckpt") for p in every_file)
    for path in every_file:
        assert path.stat().st_size < 10 * 1024 * 1024, path
    metrics = json.loads((folder / "metrics.json").read_text())
    card = (folder / "README.md").read_text()
    assert f"python -m models train {name}" in card
    assert f"{metrics['parameters']:,}" in card
    for key, value in headline_metrics(metrics).items():
        assert f"| {key} | {value} |" in card, key


def test_shipped_accuracy_meets_targets():
    targets = {"cnn": 0.990, "mlp": 0.975}
    for name, target in targets.items():
        assert json.loads((WEIGHTS / name / "metrics.json").read_text())["accuracy"] >= target


@needs_mnist
@pytest.mark.parametrize("name, target", [("cnn", 0.990), ("mlp", 0.975)])
def test_evaluate_command_prints_json_last_line(name, target):
    out = subprocess.run([sys.executable, "-m", "models", "evaluate", name], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=True).stdout
    metrics = json.loads(out.strip().splitlines()[-1])
    assert metrics["model"] == name and metrics["dataset"] == "mnist-test-10k" and metrics["n"] == 10000
    assert metrics["accuracy"] >= target
    shipped = json.loads((WEIGHTS / name / "metrics.json").read_text())
    assert metrics["accuracy"] == shipped["accuracy"]  # the card and the evaluation agree


@needs_mnist
def test_preprocessing_keeps_mnist_digits_readable():
    """MNIST test digits redrawn as a person's upload (black on white, 10x larger) stay recognisable."""
    from demos.cnn import predict_digit_cnn

    images, labels = load_images("mnist", "test")
    rng = np.random.default_rng(0)
    idx = rng.choice(len(images), 200, replace=False)
    correct = 0
    for i in idx:
        big = np.kron(255 - images[i], np.ones((10, 10), np.uint8))
        label = predict_digit_cnn(big)[0]
        correct += int(max(label, key=label.get)) == labels[i]
    assert correct / len(idx) >= 0.97


def test_cli_rejects_unknown_model():
    result = subprocess.run([sys.executable, "-m", "models", "evaluate", "nope"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "unknown model" in result.stderr + result.stdout
