"""Two networks trained side by side (plain vs residual, RNN vs LSTM) kept as one file: both state dicts in one
flat dict, each key prefixed by the network's name ("plain.stem.weight", "lstm.recurrent.weight_hh_l0")."""
from __future__ import annotations

import math

import torch.nn as nn


def record_loss(history: dict, step: int, loss) -> None:
    """Append a training step's loss to a network's history (lists "step" and "loss"); a NaN/inf loss stops the
    run with FloatingPointError (the tab says: lower the learning rate)."""
    value = loss.detach().item()
    if not math.isfinite(value):
        raise FloatingPointError("the loss diverged (became NaN/inf): lower the learning rate")
    history["step"].append(step)
    history["loss"].append(value)


def pair_tensors(models: dict[str, nn.Module]) -> dict:
    """{name: model} -> {"name.key": tensor} (weights and buffers, e.g. batch-norm statistics)."""
    return {f"{name}.{key}": value for name, m in models.items() for key, value in m.state_dict().items()}


def pair_shapes(models: dict[str, nn.Module]) -> dict[str, tuple]:
    """The names and shapes a pair's file must hold (for models.live.check_shapes)."""
    return {key: tuple(value.shape) for key, value in pair_tensors(models).items()}


def load_pair_tensors(models: dict[str, nn.Module], tensors: dict) -> dict[str, nn.Module]:
    """Load a flat dict (already checked against pair_shapes) into freshly built models; returns them."""
    for name, model in models.items():
        prefix = name + "."
        model.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
        model.eval()
    return models
