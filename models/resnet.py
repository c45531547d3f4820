"""Fashion-MNIST classifiers for the ResNet tab: a CIFAR-style ResNet, the same network
without its shortcuts ("plain"), and a MobileNet-style lightweight network.

All three are trained the same way on the 60,000 Fashion-MNIST training images
(random crop with 2 pixels of padding + horizontal flip, SGD with Nesterov momentum,
one-cycle learning rate, label smoothing), and evaluated on the 10,000 test images.

    python -m models train resnet        # also: plain, lightweight
    python -m models evaluate resnet     # last line: JSON metrics

Training saves a checkpoint after every epoch (in $DLHUB_CHECKPOINT_DIR, default
/tmp/dlhub_checkpoints) and resumes from it when re-run with the same settings.
"""
from __future__ import annotations

import math
import os
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

FASHION_MEAN, FASHION_STD = 0.2860, 0.3530
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
NAMES = ("resnet", "plain", "lightweight")

# --- hyperparameters (the same for all three networks) --------------------
EPOCHS = {"resnet": 10, "plain": 10, "lightweight": 10}
BATCH_SIZE = 128
LR = 0.15
MOMENTUM = 0.9
WEIGHT_DECAY = 5e-4
LABEL_SMOOTHING = 0.1
PAD = 2

# constructor arguments of each network (config.json)
CONFIGS = {
    "resnet": {"widths": [16, 32, 64], "blocks": 3, "shortcuts": True},
    "plain": {"widths": [16, 32, 64], "blocks": 3, "shortcuts": False},
    "lightweight": {"widths": [16, 32, 64, 128], "repeats": [1, 2, 2, 1]},
}


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN, plus the input (identity, or a 1x1 projection when the shape
    changes), then ReLU. With shortcuts=False the addition is dropped: a plain two-layer block."""

    def __init__(self, c_in: int, c_out: int, stride: int, shortcut: bool):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.use_shortcut = shortcut
        self.project = None
        if shortcut and (stride != 1 or c_in != c_out):
            self.project = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.use_shortcut:
            out = out + (x if self.project is None else self.project(x))
        return F.relu(out)


class PooledClassifier(nn.Module):
    """stem -> stages -> global average pooling -> fc, with the feature maps exposed for Grad-CAM; subclasses
    build the stem, stages and fc."""

    def feature_maps(self, x: torch.Tensor) -> torch.Tensor:
        """The last convolutional feature maps [B,C,7,7] (what Grad-CAM looks at)."""
        return self.stages(self.stem((x - FASHION_MEAN) / FASHION_STD))

    def head(self, maps: torch.Tensor) -> torch.Tensor:
        return self.fc(maps.mean((2, 3)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.feature_maps(x))


class FashionResNet(PooledClassifier):
    """CIFAR-style ResNet (He et al. 2016, section 4.2): a 3x3 stem, three stages of `blocks`
    BasicBlocks (widths w, 2w, 4w at 28x28, 14x14, 7x7), global average pooling, a dense layer.
    Depth 6*blocks+2 (20 for blocks=3). Input: [B,1,28,28] in [0,1] (white garment on black)."""

    def __init__(self, widths=(16, 32, 64), blocks: int = 3, shortcuts: bool = True, num_classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        layers, c_in = [], widths[0]
        for i, c_out in enumerate(widths):
            for j in range(blocks):
                layers.append(BasicBlock(c_in, c_out, 2 if (i > 0 and j == 0) else 1, shortcuts))
                c_in = c_out
        self.stages = nn.Sequential(*layers)
        self.fc = nn.Linear(c_in, num_classes)


class SeparableBlock(nn.Module):
    """MobileNet's depthwise-separable convolution: depthwise 3x3-BN-ReLU, pointwise 1x1-BN-ReLU."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.dw = nn.Conv2d(c_in, c_in, 3, stride, 1, groups=c_in, bias=False)
        self.bn1 = nn.BatchNorm2d(c_in)
        self.pw = nn.Conv2d(c_in, c_out, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn2(self.pw(F.relu(self.bn1(self.dw(x))))))


class LightweightNet(PooledClassifier):
    """MobileNet-v1-style: a 3x3 stem, then depthwise-separable blocks; each new width after the
    first downsamples by 2 (28 -> 14 -> 7 -> 7); global average pooling, a dense layer."""

    def __init__(self, widths=(16, 32, 64, 128), repeats=(1, 2, 2, 1), num_classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        layers, c_in = [], widths[0]
        for i, (c_out, n) in enumerate(zip(widths, repeats)):
            for j in range(n):
                stride = 2 if (j == 0 and i in (1, 2)) else 1
                layers.append(SeparableBlock(c_in, c_out, stride))
                c_in = c_out
        self.stages = nn.Sequential(*layers)
        self.fc = nn.Linear(c_in, num_classes)


MODEL_CLASSES = {"resnet": FashionResNet, "plain": FashionResNet, "lightweight": LightweightNet}


def build_model(name: str) -> nn.Module:
    return MODEL_CLASSES[name](**CONFIGS[name])


# --- cost: parameters, multiply-adds, latency ----------------------------
def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_macs(model: nn.Module, shape=(1, 1, 28, 28)) -> int:
    """Multiply-adds of one forward pass, counted with forward hooks on every Conv2d and Linear
    (one MAC per weight use: out_elements * in_channels/groups * kh * kw for a convolution,
    in * out for a dense layer). BatchNorm, ReLU, pooling and additions are not counted."""
    total = 0

    def conv_hook(module: nn.Conv2d, inputs, output):
        nonlocal total
        kh, kw = module.kernel_size
        total += output.numel() // output.shape[0] * (module.in_channels // module.groups) * kh * kw

    def linear_hook(module: nn.Linear, inputs, output):
        nonlocal total
        total += output.numel() // output.shape[0] * module.in_features

    handles = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    was_training = model.training
    try:
        model.eval()
        with torch.inference_mode():
            model(torch.zeros(shape, device=next(model.parameters()).device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return int(total)


def measure_latency_ms(model: nn.Module, runs: int = 200, warmup: int = 20) -> float:
    """Median wall time (ms) of one 28x28 image through the model on the CPU, with 1 thread."""
    model = model.cpu().eval()
    x = torch.rand(1, 1, 28, 28)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        times = []
        with torch.inference_mode():
            for i in range(warmup + runs):
                t0 = time.perf_counter()
                model(x)
                if i >= warmup:
                    times.append(time.perf_counter() - t0)
    finally:
        torch.set_num_threads(threads)
    times.sort()
    return round(1000 * times[len(times) // 2], 3)


# --- data and augmentation -----------------------------------------------
def to_tensor(images) -> torch.Tensor:
    return torch.from_numpy(images).float().div_(255).unsqueeze(1)


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random crop (zero padding of PAD pixels) and random horizontal flip of a batch [B,1,28,28]."""
    b, _, h, w = x.shape
    padded = F.pad(x, (PAD, PAD, PAD, PAD))
    oy = torch.randint(0, 2 * PAD + 1, (b,), generator=generator)
    ox = torch.randint(0, 2 * PAD + 1, (b,), generator=generator)
    rows = (oy[:, None] + torch.arange(h))[:, :, None]
    cols = (ox[:, None] + torch.arange(w))[:, None, :]
    out = padded[torch.arange(b)[:, None, None], 0, rows, cols].unsqueeze(1)
    flip = torch.rand(b, generator=generator) < 0.5
    return torch.where(flip[:, None, None, None], out.flip(3), out)


@torch.inference_mode()
def predict_logits(model: nn.Module, x: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    model.eval()
    return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])


def checkpoint_path(name: str) -> Path:
    return Path(os.environ.get("DLHUB_CHECKPOINT_DIR", "/tmp/dlhub_checkpoints")) / f"fashion-{name}.pt"


def train_classifier(name, model, train, test, epochs, seed, log=print):
    """SGD (Nesterov) + one-cycle LR on augmented batches; returns per-epoch history.
    Saves a checkpoint after each epoch and resumes from a matching one."""
    torch.manual_seed(seed)  # training script, not a request handler: global seeding is fine
    gen = torch.Generator().manual_seed(seed)
    x, y = to_tensor(train[0]), torch.from_numpy(train[1])
    x_test, y_test = to_tensor(test[0]), torch.from_numpy(test[1])
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": WEIGHT_DECAY}, {"params": no_decay, "weight_decay": 0}],
                          lr=LR, momentum=MOMENTUM, nesterov=True)
    steps = epochs * math.ceil(len(x) / BATCH_SIZE)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=steps, pct_start=0.25)
    history, start, elapsed = [], 1, 0.0
    ckpt = checkpoint_path(name)
    key = {"name": name, "epochs": epochs, "seed": seed, "config": CONFIGS[name], "lr": LR, "batch": BATCH_SIZE}
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        if state.get("key") == key:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["opt"])
            sched.load_state_dict(state["sched"])
            gen.set_state(state["gen"])
            torch.set_rng_state(state["torch_rng"])
            history, elapsed = state["history"], state["elapsed"]
            start = len(history) + 1
            log(f"resuming {name} from {ckpt} after epoch {start - 1}")
    for epoch in range(start, epochs + 1):
        model.train()
        t0, total, correct, seen = time.time(), 0.0, 0, 0
        for idx in torch.randperm(len(x), generator=gen).split(BATCH_SIZE):
            xb, yb = augment(x[idx], gen), y[idx]
            logits = model(xb)
            loss = F.cross_entropy(logits, yb, label_smoothing=LABEL_SMOOTHING)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            correct += (logits.argmax(1) == yb).sum().item()
            seen += len(idx)
        logits = predict_logits(model, x_test)
        test_loss = F.cross_entropy(logits, y_test).item()
        test_acc = (logits.argmax(1) == y_test).float().mean().item()
        elapsed += time.time() - t0
        history.append({"epoch": epoch, "train_loss": round(total / seen, 4), "train_accuracy": round(correct / seen, 4),
                        "test_loss": round(test_loss, 4), "test_accuracy": round(test_acc, 4),
                        "seconds": round(time.time() - t0, 1)})
        log(f"{name} epoch {epoch:3d}  loss {total / seen:.4f}  train acc {correct / seen:.4f}  "
            f"test acc {test_acc:.4f}  ({time.time() - t0:.1f}s)", flush=True)
        ckpt.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"key": key, "model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                    "gen": gen.get_state(), "torch_rng": torch.get_rng_state(), "history": history,
                    "elapsed": elapsed}, ckpt)
    return history, elapsed


# --- the `python -m models train|evaluate resnet|plain|lightweight` entry points
def load_pretrained(name: str) -> nn.Module:
    from .persistence import from_pretrained, weights_dir

    return from_pretrained(MODEL_CLASSES[name], weights_dir(name))


def _evaluate(name: str, data_dir=None) -> dict:
    from .data import load_images

    model = load_pretrained(name)
    images, labels = load_images("fashion-mnist", "test", data_dir)
    logits = predict_logits(model, to_tensor(images))
    acc = (logits.argmax(1) == torch.from_numpy(labels)).float().mean().item()
    return {"model": name, "dataset": "fashion-mnist-test-10k", "accuracy": round(acc, 4), "n": int(len(labels)),
            "macs": count_macs(model), "cpu_latency_ms": measure_latency_ms(model)}


def _train(name: str, data_dir=None, epochs=None, seed=0) -> dict:
    from .cards import write_model_card
    from .data import load_images
    from .persistence import save_pretrained, weights_dir, write_metrics

    torch.set_num_threads(int(os.environ.get("DLHUB_TRAIN_THREADS", "1")))
    epochs = epochs or EPOCHS[name]
    train = load_images("fashion-mnist", "train", data_dir)
    test = load_images("fashion-mnist", "test", data_dir)
    model = build_model(name)
    history, elapsed = train_classifier(name, model, train, test, epochs, seed)
    save_pretrained(model, weights_dir(name), CONFIGS[name])
    metrics = _evaluate(name, data_dir)
    metrics.update({
        "parameters": count_parameters(model), "epochs": epochs, "seed": seed, "train_seconds": round(elapsed),
        "train_data": "fashion-mnist train (60,000 images)",
        "method": (f"SGD (Nesterov momentum {MOMENTUM}, weight decay {WEIGHT_DECAY}), one-cycle LR (max {LR}), "
                   f"batch {BATCH_SIZE}, label smoothing {LABEL_SMOOTHING}, random crop (pad {PAD}) + horizontal "
                   f"flip, 1 CPU thread"),
        "history": history,
    })
    write_metrics(name, metrics)
    write_model_card(name)
    return metrics


def train_resnet(data_dir=None, epochs=None, seed=0) -> dict:
    return _train("resnet", data_dir, epochs, seed)


def train_plain(data_dir=None, epochs=None, seed=0) -> dict:
    return _train("plain", data_dir, epochs, seed)


def train_lightweight(data_dir=None, epochs=None, seed=0) -> dict:
    return _train("lightweight", data_dir, epochs, seed)


def evaluate_resnet(data_dir=None) -> dict:
    return _evaluate("resnet", data_dir)


def evaluate_plain(data_dir=None) -> dict:
    return _evaluate("plain", data_dir)


def evaluate_lightweight(data_dir=None) -> dict:
    return _evaluate("lightweight", data_dir)
