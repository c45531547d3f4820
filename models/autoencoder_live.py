"""The Autoencoder tab's live section: a small autoencoder with a 2-D code trained for a few seconds on the
bundled Fashion-MNIST sample, reporting the codes of a fixed held-out set so the map can be watched organising.

No gradio here. Everything random comes from the request's torch.Generator (data order, initial weights), and
the loss curve is recorded every CURVE_EVERY steps whatever the machine's speed, so one seed gives one curve.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from .autoencoder import AutoEncoder, PCA, reconstruction_nats
from .live import Budget

KIND = "autoencoder-live"
HIDDEN_CHOICES = (64, 128, 256)
MAP_PER_CLASS = 40          # held-out images per class whose codes the live map shows (400 in all)
BATCH_SIZE = 128
CURVE_EVERY = 10            # steps between two points of the loss curve
MAX_STEPS = 6000
KNN = 5


def live_data():
    """(training images [N,1,28,28], held-out map images [400,1,28,28], map labels) from the bundled sample:
    the first MAP_PER_CLASS images of each class are held out for the map."""
    from .data import live_training_sample

    images, labels = live_training_sample()
    x = torch.from_numpy(images).float().div_(255).unsqueeze(1)
    labels = torch.from_numpy(labels)
    held = torch.zeros(len(labels), dtype=torch.bool)
    for c in range(10):
        held[torch.nonzero(labels == c).flatten()[:MAP_PER_CLASS]] = True
    return x[~held], x[held], labels[held]


def seeded_autoencoder(hidden: int, generator: torch.Generator) -> AutoEncoder:
    """784-hidden-2-hidden-784 with PyTorch's default (Kaiming-uniform) ranges, drawn from the request's generator."""
    model = AutoEncoder(hidden=(hidden,), code=2)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.Linear):
                bound = 1 / math.sqrt(module.in_features)
                module.weight.copy_(torch.rand(module.weight.shape, generator=generator) * 2 * bound - bound)
                module.bias.copy_(torch.rand(module.bias.shape, generator=generator) * 2 * bound - bound)
    return model


def expected_shapes(hidden: int) -> dict:
    return {name: tuple(t.shape) for name, t in AutoEncoder(hidden=(hidden,), code=2).state_dict().items()}


def knn_accuracy(codes: np.ndarray, labels: np.ndarray, k: int = KNN) -> float:
    """Leave-one-out k-nearest-neighbour accuracy of the 2-D codes: how well the map groups the classes."""
    d = ((codes[:, None, :] - codes[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    nearest = np.argpartition(d, k, axis=1)[:, :k]
    votes = np.zeros((len(codes), 10))
    np.add.at(votes, (np.arange(len(codes))[:, None], labels[nearest]), 1)
    return float((votes.argmax(1) == labels).mean())


@torch.no_grad()
def map_state(model: AutoEncoder, x_map: torch.Tensor, labels: torch.Tensor) -> dict:
    """The held-out images' codes, their reconstruction MSE and the codes' k-NN accuracy."""
    codes = model.encode(x_map)[0]
    mse = (torch.sigmoid(model.decode(codes)) - x_map.reshape(len(x_map), -1)).pow(2).mean().item()
    codes = codes.numpy()
    return {"codes": codes, "map_mse": mse, "knn": knn_accuracy(codes, labels.numpy())}


def pca_baseline(x_train: torch.Tensor, x_map: torch.Tensor, labels: torch.Tensor) -> dict:
    """PCA-2 fitted on the same training images: the linear autoencoder's MSE and k-NN accuracy on the map set."""
    pca = PCA(2).fit(x_train)
    codes = pca.encode(x_map)[0]
    mse = (pca.reconstruct(codes) - x_map.reshape(len(x_map), -1)).pow(2).mean().item()
    return {"map_mse": mse, "knn": knn_accuracy(codes.numpy(), labels.numpy())}


def train_live(model: AutoEncoder, x_train: torch.Tensor, x_map: torch.Tensor, map_labels: torch.Tensor,
               seconds: float, learning_rate: float, generator: torch.Generator, max_steps: int = MAX_STEPS):
    """Adam on summed-BCE reconstruction; yields progress dicts when the budget says so and once at the end:
    step, epoch, seconds, curve (steps, losses every CURVE_EVERY steps), the map state, done."""
    opt = torch.optim.Adam(model.parameters(), lr=learning_rate)  # the first one imports torch._dynamo (seconds)
    budget = Budget(seconds)
    curve_steps, curve_losses, running, count = [], [], 0.0, 0
    order, position, step = torch.randperm(len(x_train), generator=generator), 0, 0
    while True:
        if position >= len(order):
            order, position = torch.randperm(len(x_train), generator=generator), 0
        idx = order[position:position + BATCH_SIZE]
        position += BATCH_SIZE
        # grad mode is per thread and a stream resumes on any worker: set it each step, closed before a yield
        with torch.enable_grad():
            model.train()
            logits, _, _ = model(x_train[idx])
            loss = reconstruction_nats(logits, x_train[idx]).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        step += 1
        value = loss.item()
        if not math.isfinite(value):
            raise FloatingPointError("the loss diverged (became NaN/inf)")
        running, count = running + value, count + 1
        if step % CURVE_EVERY == 0:
            curve_steps.append(step)
            curve_losses.append(running / count)
            running, count = 0.0, 0
        done = budget.expired() or step >= max_steps
        if done or budget.due():
            model.eval()
            yield {"step": step, "epoch": step * BATCH_SIZE / len(x_train), "seconds": budget.elapsed(),
                   "curve": (list(curve_steps), list(curve_losses)), **map_state(model, x_map, map_labels),
                   "done": done}
        if done:
            return
