"""Every trainable model of the hub: name -> where its train/evaluate functions live.

Modules are imported only when a model is asked for, so the CLI and the app stay light.
"""
from __future__ import annotations

import importlib

# name: (module, train function, evaluate function, model-card title, what it is)
MODELS = {
    "mlp": ("models.digits", "train_mlp", "evaluate_mlp", "MNIST multilayer perceptron",
            "A 784-512-256-10 ReLU MLP for handwritten digits (the DNN tab)."),
    "cnn": ("models.digits", "train_cnn", "evaluate_cnn", "MNIST convolutional network",
            "Four 3x3 conv layers with batch norm and two max-pools, then two dense layers (the CNN tab)."),
}


def _function(name: str, index: int):
    if name not in MODELS:
        raise SystemExit(f"unknown model {name!r}; choose from: {', '.join(MODELS)}")
    module = importlib.import_module(MODELS[name][0])
    return getattr(module, MODELS[name][index])


def train(name: str, **kwargs) -> dict:
    return _function(name, 1)(**kwargs)


def evaluate(name: str, **kwargs) -> dict:
    return _function(name, 2)(**kwargs)


def describe(name: str) -> tuple[str, str]:
    return MODELS[name][3], MODELS[name][4]
