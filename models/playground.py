"""The DNN tab's playground: toy 2-D datasets and a small MLP trained live on them.

Everything takes a torch.Generator, so a request's seed fixes its data and its
initial weights without touching the global random state.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .toy2d import seeded_mlp

DATASETS = ("moons", "circles", "xor", "spiral")
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}


def make_dataset(name: str, n: int, noise: float, generator: torch.Generator):
    """n points in roughly [-1.6, 1.6]^2 with labels 0/1."""
    half = n // 2
    labels = torch.cat([torch.zeros(half), torch.ones(n - half)]).long()

    def rand(*shape):
        return torch.rand(*shape, generator=generator)

    if name == "moons":
        t = rand(n) * math.pi
        outer = torch.stack([torch.cos(t[:half]), torch.sin(t[:half])], 1)
        inner = torch.stack([1 - torch.cos(t[half:]), 0.5 - torch.sin(t[half:])], 1)
        points = (torch.cat([outer, inner]) - torch.tensor([0.5, 0.25])) * 1.1
        scale = 0.15
    elif name == "circles":
        t = rand(n) * 2 * math.pi
        radius = torch.where(labels == 0, 1.3, 0.55)
        points = torch.stack([torch.cos(t), torch.sin(t)], 1) * radius[:, None]
        scale = 0.15
    elif name == "xor":
        points = rand(n, 2) * 3 - 1.5
        points = points + torch.sign(points) * 0.08  # a thin gap along the axes
        labels = ((points[:, 0] > 0) ^ (points[:, 1] > 0)).long()
        scale = 0.15
    elif name == "spiral":
        t = rand(n).sqrt() * 1.5 + 0.15  # radius grows along each arm
        angle = t * 2.6 * math.pi + labels * math.pi
        points = torch.stack([torch.cos(angle), torch.sin(angle)], 1) * t[:, None]
        scale = 0.08
    else:
        raise ValueError(f"unknown dataset {name!r}; choose from {DATASETS}")
    points = points + torch.randn(n, 2, generator=generator) * noise * scale
    return points.float(), labels


class PlaygroundMLP(nn.Module):
    def __init__(self, layers: int, width: int, activation: str, generator: torch.Generator):
        super().__init__()
        # initialised from the request's generator (PyTorch's default Kaiming-uniform bound)
        self.net = seeded_mlp([2] + [width] * layers + [2], ACTIVATIONS[activation], generator)

    def forward(self, x):
        return self.net(x)


def train_live(model, x, y, x_test, y_test, lr: float, epochs: int, frames: int = 40):
    """Full-batch Adam; yields (epoch, history) about `frames` times, evenly spaced, first and last included.

    history: dict of lists epoch/loss/train_acc/test_acc, one entry per frame.
    """
    # foreach: one multi-tensor update instead of a Python loop over the parameters (a third of the CPU here)
    opt = torch.optim.Adam(model.parameters(), lr=lr, foreach=True)
    history = {"epoch": [], "loss": [], "train_acc": [], "test_acc": []}
    every = max(1, epochs // frames)
    for epoch in range(1, epochs + 1):
        # grad modes are per thread and a stream resumes on any worker thread: set it every step,
        # and close every `with` before yielding
        with torch.enable_grad():
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if not math.isfinite(loss.item()):
            raise FloatingPointError("the loss diverged (became NaN/inf): lower the learning rate")
        if epoch % every == 0 or epoch == epochs or epoch == 1:
            with torch.no_grad():  # measured at the frames only: the test set costs a forward pass
                history["epoch"].append(epoch)
                history["loss"].append(loss.item())
                history["train_acc"].append((logits.argmax(1) == y).float().mean().item())
                history["test_acc"].append((model(x_test).argmax(1) == y_test).float().mean().item())
            yield epoch, history


@torch.no_grad()
def probability_grid(model, lim: float = 2.0, steps: int = 120):
    """P(class 1) on a steps x steps grid over [-lim, lim]^2 (rows = y from top to bottom)."""
    axis = torch.linspace(-lim, lim, steps)
    yy, xx = torch.meshgrid(axis.flip(0), axis, indexing="ij")
    grid = torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)
    return torch.softmax(model(grid), 1)[:, 1].reshape(steps, steps).numpy()
