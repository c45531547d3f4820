"""Why depth needs shortcuts, live: a plain and a residual network of the same depth trained side by side.

Both networks have exactly the same layers and parameters (the residual one only adds its input back around every
two convolutions, with parameter-free shortcuts), start from the same weights and see the same batches, one step
each in turn, so they always have done the same number of steps. Every step records the gradient norm of every
layer's weights: the signal that tells the two problems of depth apart.

- "degradation" (batch norm + ReLU): gradients reach every layer of both networks, yet the deep plain network
  fits its training data worse than the residual one, and worse than a shallower plain network
  (He et al. 2016, Fig. 1).
- "vanishing" (sigmoid, no batch norm): the plain network's gradients shrink by a factor at every layer, so its
  first layers barely learn; the shortcuts carry the gradient back unchanged.

Depth counts the weight layers: a 3x3 stem, 3 stages of `blocks` two-convolution blocks (width w, 2w, 4w at
14x14, 7x7, 4x4) and the dense head: depth = 6 * blocks + 2 (8, 14, 20, ..., 56), as in He et al.'s CIFAR nets.
Pure: no gradio; everything random comes from the caller's torch.Generator.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .live import Budget
from .pairs import record_loss

MODES = ("degradation", "vanishing")
NETWORKS = ("plain", "residual")
DEPTHS = tuple(range(8, 57, 6))    # 6 * blocks + 2
MAX_WIDTH = 32
INPUT_SIZE = 14                    # Fashion-MNIST 28x28 averaged down 2x2: four times fewer pixels to convolve
HELD_OUT = 500                     # of the 3,000-image live sample, never trained on
EVAL_EVERY = 10                    # steps between accuracy measurements (a forward pass over the held-out part)
GRAD_SMOOTH = 0.9                  # the "now" gradient norms are an exponential average over recent steps


def prepare_data(images: np.ndarray, labels: np.ndarray, size: int = INPUT_SIZE, held_out: int = HELD_OUT):
    """uint8 [N,28,28] -> (x_train, y_train, x_test, y_test): [N,1,size,size] floats, standardised; the last
    `held_out` images (the sample is shuffled) are the held-out part."""
    x = torch.from_numpy(np.ascontiguousarray(images, np.float32) / 255.0)[:, None]
    if size != x.shape[-1]:
        x = F.adaptive_avg_pool2d(x, size)
    x = (x - 0.286) / 0.353  # Fashion-MNIST's pixel mean and standard deviation
    y = torch.from_numpy(np.asarray(labels, np.int64))
    return x[:-held_out], y[:-held_out], x[-held_out:], y[-held_out:]


def blocks_for(depth: int) -> int:
    if depth not in DEPTHS:
        raise ValueError(f"depth must be one of {DEPTHS}")
    return (depth - 2) // 6


class Block(nn.Module):
    """Two 3x3 convolutions, pre-activation order (He et al. 2016b): x -> act(norm) -> conv -> act(norm) -> conv.
    Plain: y = F(x). Residual: y = S(x) + F(x), S = identity, or where the block halves the resolution and doubles
    the width, subsampling with zero-padded channels (He et al.'s option A: no parameters, so both networks have
    the same weights)."""

    def __init__(self, c_in: int, c_out: int, stride: int, residual: bool, norm: bool, act):
        super().__init__()
        self.residual, self.stride, self.extra = residual, stride, c_out - c_in
        self.norm1 = nn.BatchNorm2d(c_in) if norm else nn.Identity()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=not norm)
        self.norm2 = nn.BatchNorm2d(c_out) if norm else nn.Identity()
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=not norm)
        self.act = act

    def forward(self, x):
        out = self.conv2(self.act(self.norm2(self.conv1(self.act(self.norm1(x))))))
        if not self.residual:
            return out
        shortcut = x[:, :, ::self.stride, ::self.stride] if self.stride > 1 else x
        if self.extra:
            shortcut = F.pad(shortcut, (0, 0, 0, 0, 0, self.extra))
        return shortcut + out


class DepthNet(nn.Module):
    """stem conv, 3 stages of blocks, act(norm) -> global average pool -> dense 10."""

    def __init__(self, depth: int, width: int, residual: bool, mode: str = "degradation"):
        super().__init__()
        blocks = blocks_for(depth)
        norm = mode == "degradation"
        self.act = nn.ReLU() if norm else nn.Sigmoid()
        self.stem = nn.Conv2d(1, width, 3, 1, 1, bias=not norm)
        layers, c = [], width
        for stage, c_out in enumerate((width, 2 * width, 4 * width)):
            for b in range(blocks):
                stride = 2 if stage > 0 and b == 0 else 1
                layers.append(Block(c, c_out, stride, residual, norm, self.act))
                c = c_out
        self.blocks = nn.Sequential(*layers)
        self.norm = nn.BatchNorm2d(c) if norm else nn.Identity()
        self.head = nn.Linear(c, 10)

    def forward(self, x):
        h = self.act(self.norm(self.blocks(self.stem(x))))
        return self.head(h.mean((2, 3)))

    def weight_layers(self) -> list[torch.Tensor]:
        """The weights of every layer, input to output (depth of them): stem, convolutions, head."""
        return [m.weight for m in self.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def init_weights(model: DepthNet, generator: torch.Generator) -> None:
    """He (Kaiming) normal initialisation from the request's generator; batch norm starts at (1, 0), biases at 0.
    Drawn in module order, so the plain and the residual network of one depth start from the same weights."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=generator) * math.sqrt(2.0 / fan_in))
                if m.bias is not None:
                    m.bias.zero_()


def build_pair(depth: int, width: int, mode: str, generator: torch.Generator) -> dict[str, DepthNet]:
    """{"plain": ..., "residual": ...} with identical initial weights."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    if not 1 <= width <= MAX_WIDTH:
        raise ValueError(f"width must be in [1, {MAX_WIDTH}]")
    plain = DepthNet(depth, width, residual=False, mode=mode)
    init_weights(plain, generator)
    residual = DepthNet(depth, width, residual=True, mode=mode)
    residual.load_state_dict(plain.state_dict())
    return {"plain": plain, "residual": residual}


def layer_grad_norms(model: DepthNet) -> list[float]:
    """The gradient norm of every layer's weights after a backward pass (0 where none reached it)."""
    return [float(w.grad.norm()) if w.grad is not None else 0.0 for w in model.weight_layers()]


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 500) -> float:
    was_training = model.training
    model.eval()
    correct = sum(int((model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum()) for i in range(0, len(x), batch))
    model.train(was_training)
    return correct / max(1, len(x))


def fresh_batch_grad_norms(model: DepthNet, x: torch.Tensor, y: torch.Tensor) -> list[float]:
    """Per-layer weight-gradient norms of one batch, as in training (batch norm on the batch's statistics), without
    changing the model: its running statistics are put back."""
    buffers = {name: b.clone() for name, b in model.named_buffers()}
    was_training = model.training
    model.train()
    model.zero_grad(set_to_none=True)
    with torch.enable_grad():
        F.cross_entropy(model(x), y).backward()
    norms = layer_grad_norms(model)
    model.zero_grad(set_to_none=True)
    with torch.no_grad():
        for name, b in model.named_buffers():
            b.copy_(buffers[name])
    model.train(was_training)
    return norms


def train_pair(models: dict[str, DepthNet], data, lr: float, batch_size: int, seconds: float, max_steps: int,
               generator: torch.Generator, report_seconds: float | None = None):
    """Train both networks on the same batches, one SGD step each in turn, for `seconds` or `max_steps` steps.

    Yields progress dicts (about every 0.5 s, and once at the end with "done": True):
      step, elapsed, history {name: {"step", "loss", "acc_step", "train_acc", "test_acc"}} (loss = per-step training
      loss; accuracies at step 0 and every EVAL_EVERY steps: "train_acc" on the batches seen since the last
      measurement (at step 0: on as many training images as are held out), "test_acc" on the held-out part), grad_init {name: [norm per layer]}, grad_now {name: [smoothed norm per layer]}.
    """
    x_train, y_train, x_test, y_test = data
    optimizers = {name: torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9) for name, m in models.items()}
    history = {name: {"step": [], "loss": [], "acc_step": [], "train_acc": [], "test_acc": []} for name in models}
    grad_init, grad_now = {}, {}
    correct = {name: 0 for name in models}
    seen = 0
    budget = Budget(seconds) if report_seconds is None else Budget(seconds, report_seconds)
    order = torch.randperm(len(x_train), generator=generator)
    cursor, step = 0, 0

    def progress(done: bool) -> dict:
        return {"step": step, "elapsed": budget.elapsed(), "done": done, "history": history,
                "grad_init": grad_init, "grad_now": {k: list(v) for k, v in grad_now.items()}}

    def measure():
        nonlocal seen
        for name, model in models.items():
            history[name]["acc_step"].append(step)
            history[name]["train_acc"].append(correct[name] / seen)
            history[name]["test_acc"].append(accuracy(model, x_test, y_test))
            correct[name] = 0
        seen = 0

    for name, model in models.items():  # step 0: the untrained networks (every curve starts from the same point)
        history[name]["acc_step"].append(0)
        history[name]["train_acc"].append(accuracy(model, x_train[:len(x_test)], y_train[:len(x_test)]))
        history[name]["test_acc"].append(accuracy(model, x_test, y_test))
        model.train()
    while step < max_steps and not budget.expired():
        if cursor + batch_size > len(order):  # a new epoch: a fresh shuffle from the same generator
            order, cursor = torch.randperm(len(x_train), generator=generator), 0
        index = order[cursor:cursor + batch_size]
        cursor += batch_size
        xb, yb = x_train[index], y_train[index]
        step += 1
        seen += len(index)
        for name, model in models.items():
            # grad modes are per thread and a stream resumes on any worker thread: set it every step
            with torch.enable_grad():
                logits = model(xb)
                loss = F.cross_entropy(logits, yb)
                optimizers[name].zero_grad(set_to_none=True)
                loss.backward()
            norms = layer_grad_norms(model)
            if name not in grad_init:
                grad_init[name] = norms
                grad_now[name] = np.array(norms)
            else:
                grad_now[name] = GRAD_SMOOTH * grad_now[name] + (1 - GRAD_SMOOTH) * np.array(norms)
            optimizers[name].step()
            record_loss(history[name], step, loss)
            correct[name] += int((logits.detach().argmax(1) == yb).sum())
        if step % EVAL_EVERY == 0:
            measure()
        if budget.due():
            yield progress(False)
    if seen:  # the steps since the last measurement
        measure()
    yield progress(True)


def final_losses(history: dict, last: int = 20) -> dict[str, float]:
    """The mean training loss of each network over its last `last` steps (one step's loss is noisy)."""
    return {name: float(np.mean(h["loss"][-last:])) if h["loss"] else float("nan") for name, h in history.items()}


def empty_pair(depth: int, width: int, mode: str) -> dict[str, DepthNet]:
    """Both networks, untrained (to load a downloaded pair into; see models.pairs)."""
    return {"plain": DepthNet(depth, width, False, mode), "residual": DepthNet(depth, width, True, mode)}


def main() -> None:
    """`python -m models.depth --depth 32 --steps 100`: one side-by-side run at a fixed step count, as JSON (the
    README's measured numbers)."""
    import argparse
    import json

    from .data import live_training_sample

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--depth", type=int, default=32)
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--mode", choices=MODES, default="degradation")
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    generator = torch.Generator().manual_seed(args.seed)
    pair = build_pair(args.depth, args.width, args.mode, generator)
    data = prepare_data(*live_training_sample())
    *_, last = train_pair(pair, data, args.lr, args.batch, float("inf"), args.steps, generator)
    history = last["history"]
    print(json.dumps({**vars(args), "seconds": round(last["elapsed"], 1), "final_loss": final_losses(history),
                      "held_out_accuracy": {k: h["test_acc"][-1] for k, h in history.items()},
                      "first_over_last_grad_at_init": {k: v[0] / v[-1] for k, v in last["grad_init"].items()}}))


if __name__ == "__main__":
    main()
