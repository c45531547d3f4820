"""MNIST digit classifiers: a small CNN and an MLP, their training and evaluation.

Only 10,000 MNIST training images are available, so both train on random
affine warps and stroke-width changes of them (a new variant every epoch).
The MLP also learns from the trained CNN's soft predictions (knowledge
distillation) on those variants, which is what lifts it past 97.5%.

    python -m models train cnn      # ~10 min on 2 CPU cores
    python -m models train mlp      # needs weights/cnn (the teacher)
    python -m models evaluate cnn   # last line: JSON metrics
"""
from __future__ import annotations

import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081

# --- hyperparameters -----------------------------------------------------
CNN_EPOCHS = 30
MLP_EPOCHS = 60
BATCH_SIZE = 128
LR = 2e-3
WEIGHT_DECAY = 5e-4
LABEL_SMOOTHING = 0.05
DISTILL_T = 4.0        # softmax temperature for the teacher's soft targets
DISTILL_ALPHA = 0.7    # weight of the distillation term vs the hard-label term


class DigitCNN(nn.Module):
    """conv-conv-pool, conv-conv-pool, two dense layers. Input: [B,1,28,28] in [0,1]."""

    def __init__(self, c1: int = 32, c2: int = 64, hidden: int = 128, dropout: float = 0.3):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, c1, 3, padding=1), nn.BatchNorm2d(c1)
        self.conv2, self.bn2 = nn.Conv2d(c1, c1, 3, padding=1), nn.BatchNorm2d(c1)
        self.conv3, self.bn3 = nn.Conv2d(c1, c2, 3, padding=1), nn.BatchNorm2d(c2)
        self.conv4, self.bn4 = nn.Conv2d(c2, c2, 3, padding=1), nn.BatchNorm2d(c2)
        self.fc1 = nn.Linear(c2 * 7 * 7, hidden)
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, 10)

    def first_layer(self, x: torch.Tensor) -> torch.Tensor:
        """Feature maps of the first convolution (after BN and ReLU): what the tab shows."""
        return F.relu(self.bn1(self.conv1((x - MNIST_MEAN) / MNIST_STD)))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate-layer features (also used to compute FID for the generative tabs)."""
        h = self.first_layer(x)
        h = F.max_pool2d(F.relu(self.bn2(self.conv2(h))), 2)
        h = F.relu(self.bn3(self.conv3(h)))
        h = F.max_pool2d(F.relu(self.bn4(self.conv4(h))), 2)
        return F.relu(self.fc1(h.flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.drop(self.features(x)))


class DigitMLP(nn.Module):
    """784 -> hidden... -> 10 with ReLU. Input: [B,1,28,28] in [0,1]."""

    def __init__(self, hidden: list[int] = (512, 256), dropout: float = 0.2):
        super().__init__()
        sizes = [28 * 28, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(sizes[-1], 10)

    def activations(self, x: torch.Tensor) -> list[torch.Tensor]:
        h = ((x - MNIST_MEAN) / MNIST_STD).flatten(1)
        acts = []
        for layer in self.hidden:
            h = F.relu(layer(h))
            acts.append(h)
            h = self.drop(h)
        return acts

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.activations(x)[-1])


# --- augmentation ---------------------------------------------------------
def augment(x: torch.Tensor, generator: torch.Generator, stroke_channels: int | None = None) -> torch.Tensor:
    """Random small affine warps and stroke-width changes of a batch [B,C,28,28] (all channels warped alike; the
    stroke width of the first `stroke_channels` only, all when None: a mask channel keeps its edges)."""
    b = x.shape[0]

    def uniform(lo, hi):
        return torch.rand(b, generator=generator) * (hi - lo) + lo

    angle = uniform(-12, 12) * math.pi / 180
    scale = uniform(0.85, 1.15)
    shear = uniform(-0.2, 0.2)
    tx, ty = uniform(-0.18, 0.18), uniform(-0.18, 0.18)  # about +-2.5 pixels
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([
        torch.stack([cos, -sin + shear, tx], 1),
        torch.stack([sin, cos, ty], 1),
    ], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")
    # stroke width: blend towards a dilated (thicker) or eroded (thinner) copy
    ink, rest = (x, None) if stroke_channels is None else (x[:, :stroke_channels], x[:, stroke_channels:])
    thick = F.max_pool2d(ink, 3, 1, 1)
    thin = -F.max_pool2d(-ink, 3, 1, 1)
    mode = torch.randint(0, 3, (b, 1, 1, 1), generator=generator)
    amount = torch.rand(b, 1, 1, 1, generator=generator)
    ink = torch.where(mode == 1, ink + amount * (thick - ink), ink)
    ink = torch.where(mode == 2, ink + 0.6 * amount * (thin - ink), ink)
    return (ink if rest is None else torch.cat([ink, rest], 1)).clamp(0, 1)


def _to_tensor(images):
    return torch.from_numpy(images).float().div_(255).unsqueeze(1)


@torch.inference_mode()
def predict_batches(model: nn.Module, x: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    model.eval()
    return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    return (predict_batches(model, x).argmax(1) == y).float().mean().item()


def train_classifier(model, images, labels, test, epochs, seed, teacher=None, log=print):
    """Train with AdamW + one-cycle LR on augmented copies; returns per-epoch history."""
    torch.manual_seed(seed)  # training script, not a request handler: global seeding is fine
    gen = torch.Generator().manual_seed(seed)
    x, y = _to_tensor(images), torch.from_numpy(labels)
    x_test, y_test = _to_tensor(test[0]), torch.from_numpy(test[1])
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    steps = epochs * math.ceil(len(x) / BATCH_SIZE)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=steps)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        t0, total, seen = time.time(), 0.0, 0
        for idx in torch.randperm(len(x), generator=gen).split(BATCH_SIZE):
            xb, yb = augment(x[idx], gen), y[idx]
            logits = model(xb)
            loss = F.cross_entropy(logits, yb, label_smoothing=LABEL_SMOOTHING)
            if teacher is not None:
                with torch.no_grad():
                    soft = F.softmax(teacher(xb) / DISTILL_T, 1)
                kd = F.kl_div(F.log_softmax(logits / DISTILL_T, 1), soft, reduction="batchmean")
                loss = (1 - DISTILL_ALPHA) * loss + DISTILL_ALPHA * DISTILL_T ** 2 * kd
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            seen += len(idx)
        test_acc = accuracy(model, x_test, y_test)
        history.append({"epoch": epoch, "train_loss": round(total / seen, 4), "test_accuracy": round(test_acc, 4)})
        log(f"epoch {epoch:3d}  loss {total / seen:.4f}  test acc {test_acc:.4f}  ({time.time() - t0:.1f}s)")
    return history


# --- the `python -m models train|evaluate cnn|mlp` entry points ------------
def _evaluate(name: str, model_cls, data_dir) -> dict:
    from .data import load_images
    from .persistence import from_pretrained, weights_dir

    model = from_pretrained(model_cls, weights_dir(name))
    images, labels = load_images("mnist", "test", data_dir)
    acc = accuracy(model, _to_tensor(images), torch.from_numpy(labels))
    return {"model": name, "dataset": "mnist-test-10k", "accuracy": round(acc, 4), "n": int(len(labels))}


def evaluate_cnn(data_dir=None) -> dict:
    return _evaluate("cnn", DigitCNN, data_dir)


def evaluate_mlp(data_dir=None) -> dict:
    return _evaluate("mlp", DigitMLP, data_dir)


def _train(name, model, config, data_dir, epochs, seed, teacher=None, method=""):
    from .data import load_images
    from .persistence import save_pretrained, weights_dir, write_metrics
    from .cards import write_model_card

    train = load_images("mnist", "train-10k", data_dir)
    test = load_images("mnist", "test", data_dir)
    t0 = time.time()
    history = train_classifier(model, *train, test, epochs, seed, teacher=teacher)
    save_pretrained(model, weights_dir(name), config)
    metrics = _evaluate(name, type(model), data_dir)
    metrics.update({
        "parameters": sum(p.numel() for p in model.parameters()),
        "epochs": epochs, "seed": seed, "train_seconds": round(time.time() - t0),
        "train_data": "mnist train-10k (10,000 images)", "method": method, "history": history,
    })
    write_metrics(name, metrics)
    write_model_card(name)
    return metrics


def train_cnn(data_dir=None, epochs=None, seed=0) -> dict:
    config = {"c1": 32, "c2": 64, "hidden": 128, "dropout": 0.3}
    return _train("cnn", DigitCNN(**config), config, data_dir, epochs or CNN_EPOCHS, seed,
                  method="AdamW, one-cycle LR, label smoothing, random affine + stroke-width augmentation")


def train_mlp(data_dir=None, epochs=None, seed=0) -> dict:
    from .persistence import from_pretrained, weights_dir

    teacher = from_pretrained(DigitCNN, weights_dir("cnn"))
    for p in teacher.parameters():
        p.requires_grad_(False)
    config = {"hidden": [512, 256], "dropout": 0.2}
    return _train("mlp", DigitMLP(**config), config, data_dir, epochs or MLP_EPOCHS, seed, teacher=teacher,
                  method=f"as the CNN, plus knowledge distillation from weights/cnn (T={DISTILL_T}, alpha={DISTILL_ALPHA})")
