"""save_pretrained / from_pretrained for this project's own networks.

A weights folder holds `config.json` (constructor arguments), `model.safetensors`
(never pickle), `metrics.json` (what `python -m models evaluate` measured) and
`README.md` (the model card). Each file stays under 10 MB for Hugging Face Spaces.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from .data import PROJECT_ROOT

WEIGHTS_ROOT = PROJECT_ROOT / "weights"
MAX_FILE_BYTES = 10 * 1024 * 1024


def weights_dir(name: str) -> Path:
    return Path(os.environ.get("DLHUB_WEIGHTS_DIR", WEIGHTS_ROOT)) / name


def save_pretrained(model: "torch.nn.Module", folder: str | os.PathLike, config: dict) -> Path:
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, folder / "model.safetensors")
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    size = (folder / "model.safetensors").stat().st_size
    if size >= MAX_FILE_BYTES:
        raise ValueError(f"{folder}/model.safetensors is {size} bytes; Spaces needs < 10 MB")
    return folder


def from_pretrained(model_cls, folder: str | os.PathLike) -> "torch.nn.Module":
    """Build `model_cls(**config)` and load its safetensors weights (strict)."""
    from safetensors.torch import load_file

    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text())
    model = model_cls(**config)
    model.load_state_dict(load_file(folder / "model.safetensors"), strict=True)
    return model.eval()


def read_metrics(name: str) -> dict:
    path = weights_dir(name) / "metrics.json"
    return json.loads(path.read_text()) if path.exists() else {}


def write_metrics(name: str, metrics: dict) -> None:
    folder = weights_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
