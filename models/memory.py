"""Memory over distance, live: a tanh RNN and an LSTM trained side by side on a long-memory toy task.

The task (generated in code): a sequence starts with one of K symbols (marked as the first), then T distractor steps
follow (random symbols of another set); at the end the network must name the first symbol. Chance is 1/K. To answer, the
network must carry one symbol across T steps of noise, and learning that needs a gradient that reaches back T
steps: the gradient of the loss with respect to each input step, per t, is what this module measures.

A tanh RNN multiplies that gradient by its recurrent Jacobian at every step, so it fades geometrically back through
time; the LSTM's cell state is updated additively, c_t = f_t * c_{t-1} + i_t * g_t, so the gradient only shrinks
by the forget gate f_t, which the network learns to hold near 1 (and which starts near 1: a positive forget-gate
bias).

Both networks see the same batches, one step each in turn, with the same optimiser, learning rate and gradient
clipping. Pure: no gradio; everything random comes from the caller's torch.Generator.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .live import Budget
from .pairs import record_loss

NETWORKS = ("rnn", "lstm")
SYMBOLS = 8          # K: the classes (chance = 1/8)
DISTRACTORS = 8      # the symbols of the T steps in between (another set, as in Hochreiter & Schmidhuber 1997)
MAX_DISTANCE = 200
MAX_HIDDEN = 128
HIDDEN = 32          # the default: measured to learn T = 50 within the budget (see the README)
EVAL_SIZE = 256      # a fixed held-out set of sequences, generated once per run
EVAL_EVERY = 10      # steps between accuracy measurements
GRAD_EVERY = 50      # steps between input-gradient measurements (a backward pass through GRAD_SIZE sequences)
GRAD_SIZE = 128
CLIP_NORM = 1.0
FORGET_BIAS = 3.0    # the default: sigmoid(3) = 0.95 of the cell kept per step, 0.95^50 = 8 % over T = 50 at
                     # initialisation; with the common 1, sigmoid(1)^50 = 1.5e-7 (measured: still at chance after
                     # 600 steps at T = 50)


def make_batch(n: int, distance: int, generator: torch.Generator, symbols: int = SYMBOLS,
               distractors: int = DISTRACTORS):
    """(inputs [n, distance + 1, symbols + 1 + distractors], targets [n]): one of `symbols` symbols (one-hot, with
    the marker channel that says "remember this"), then `distance` random distractor symbols of another set; the
    target is the first symbol."""
    targets = torch.randint(0, symbols, (n,), generator=generator)
    noise = torch.randint(0, distractors, (n, distance), generator=generator)
    x = torch.zeros(n, distance + 1, symbols + 1 + distractors)
    x[torch.arange(n), 0, targets] = 1.0
    x[:, 0, symbols] = 1.0
    x[:, 1:, symbols + 1:] = F.one_hot(noise, distractors).float()
    return x, targets


class Recaller(nn.Module):
    """A recurrent layer (tanh RNN or LSTM) reading the sequence, and a dense readout of its last hidden state."""

    def __init__(self, kind: str, hidden: int, symbols: int = SYMBOLS):
        super().__init__()
        if kind not in NETWORKS:
            raise ValueError(f"kind must be one of {NETWORKS}")
        self.kind = kind
        size = symbols + 1 + DISTRACTORS  # the symbols (one-hot), the marker of the first one, the distractors
        cell = nn.LSTM if kind == "lstm" else nn.RNN
        self.recurrent = cell(size, hidden, batch_first=True)
        self.readout = nn.Linear(hidden, symbols)

    def forward(self, x):
        out, _ = self.recurrent(x)
        return self.readout(out[:, -1])


def init_weights(model: Recaller, generator: torch.Generator, forget_bias: float = FORGET_BIAS) -> None:
    """PyTorch's default uniform(-1/sqrt(hidden), 1/sqrt(hidden)) from the request's generator; the LSTM's biases
    start at 0 except its forget gate's (the second quarter of the bias vector): forget_bias."""
    hidden = model.recurrent.hidden_size
    bound = 1 / math.sqrt(hidden)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.rand(p.shape, generator=generator) * 2 * bound - bound)
        if model.kind == "lstm":
            model.recurrent.bias_ih_l0.zero_()
            model.recurrent.bias_hh_l0.zero_()
            model.recurrent.bias_ih_l0[hidden:2 * hidden] = forget_bias  # gates in order i, f, g, o


def build_pair(hidden: int, generator: torch.Generator, forget_bias: float = FORGET_BIAS) -> dict[str, Recaller]:
    """{"rnn": ..., "lstm": ...}, each initialised from `generator` in turn."""
    if not 1 <= hidden <= MAX_HIDDEN:
        raise ValueError(f"hidden must be in [1, {MAX_HIDDEN}]")
    models = {}
    for kind in NETWORKS:
        models[kind] = Recaller(kind, hidden)
        init_weights(models[kind], generator, forget_bias)
    return models


def input_grad_norms(model: Recaller, x: torch.Tensor, y: torch.Tensor) -> list[float]:
    """‖∂loss/∂x_t‖ for every step t (mean over the batch), without changing the model."""
    with torch.enable_grad():
        x = x.clone().requires_grad_(True)
        loss = F.cross_entropy(model(x), y)
        (grad,) = torch.autograd.grad(loss, x)
    return (grad.norm(dim=2).mean(0) * len(x)).tolist()  # * batch: the loss is a mean, one sequence's share


@torch.no_grad()
def accuracy(model: Recaller, x: torch.Tensor, y: torch.Tensor) -> float:
    return float((model(x).argmax(1) == y).float().mean())


def train_pair(models: dict[str, Recaller], distance: int, lr: float, batch_size: int, seconds: float,
               max_steps: int, generator: torch.Generator, report_seconds: float | None = None):
    """Train both networks on the same batches (Adam, gradient clipping), for `seconds` or `max_steps` steps.

    Yields progress dicts about every 0.5 s and once at the end ("done": True): step, elapsed,
    history {name: {"step", "loss", "acc_step", "accuracy"}} (accuracy on a fixed held-out set of EVAL_SIZE
    sequences, every EVAL_EVERY steps), grad_init / grad_now {name: [‖∂loss/∂x_t‖ for t = 0..distance]} (on the
    held-out set, at initialisation and at the last measurement).
    """
    x_eval, y_eval = make_batch(EVAL_SIZE, distance, generator)
    optimizers = {name: torch.optim.Adam(m.parameters(), lr=lr) for name, m in models.items()}
    history = {name: {"step": [], "loss": [], "acc_step": [], "accuracy": []} for name in models}
    x_grad, y_grad = x_eval[:GRAD_SIZE], y_eval[:GRAD_SIZE]
    grad_init = {name: input_grad_norms(m, x_grad, y_grad) for name, m in models.items()}
    grad_now = dict(grad_init)
    budget = Budget(seconds) if report_seconds is None else Budget(seconds, report_seconds)
    step = 0

    def measure(gradients: bool):
        for name, model in models.items():
            history[name]["acc_step"].append(step)
            history[name]["accuracy"].append(accuracy(model, x_eval, y_eval))
            if gradients:
                grad_now[name] = input_grad_norms(model, x_grad, y_grad)

    def progress(done: bool) -> dict:
        return {"step": step, "elapsed": budget.elapsed(), "done": done, "history": history,
                "grad_init": grad_init, "grad_now": dict(grad_now)}

    measure(False)
    while step < max_steps and not budget.expired():
        x, y = make_batch(batch_size, distance, generator)
        step += 1
        for name, model in models.items():
            # grad modes are per thread and a stream resumes on any worker thread: set it every step
            with torch.enable_grad():
                loss = F.cross_entropy(model(x), y)
                optimizers[name].zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)
                optimizers[name].step()
            record_loss(history[name], step, loss)
        if step % EVAL_EVERY == 0:
            measure(step % GRAD_EVERY == 0)
        if budget.due():
            yield progress(False)
    if history[NETWORKS[0]]["acc_step"][-1] != step:
        measure(True)
    elif step % GRAD_EVERY:
        for name, model in models.items():
            grad_now[name] = input_grad_norms(model, x_grad, y_grad)
    yield progress(True)


def grad_ratio(norms: list[float]) -> float:
    """‖∂loss/∂x_0‖ / ‖∂loss/∂x_T‖: how much of the gradient at the last step reaches the first one."""
    return norms[0] / norms[-1] if norms[-1] > 0 else float("nan")


def empty_pair(hidden: int) -> dict[str, Recaller]:
    """Both networks, untrained (to load a downloaded pair into; see models.pairs)."""
    return {kind: Recaller(kind, hidden) for kind in NETWORKS}


def chance(symbols: int = SYMBOLS) -> float:
    return 1.0 / symbols



def main() -> None:
    """`python -m models.memory --distance 50 --steps 600`: one side-by-side run at a fixed step count, as JSON (the
    README's measured numbers)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--distance", type=int, default=50)
    parser.add_argument("--hidden", type=int, default=HIDDEN)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--forget-bias", type=float, default=FORGET_BIAS)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    generator = torch.Generator().manual_seed(args.seed)
    pair = build_pair(args.hidden, generator, args.forget_bias)
    *_, last = train_pair(pair, args.distance, args.lr, args.batch, float("inf"), args.steps, generator)
    history = last["history"]
    reached = {k: next((s for s, a in zip(h["acc_step"], h["accuracy"]) if a >= 0.95), None) for k, h in history.items()}
    print(json.dumps({**vars(args), "seconds": round(last["elapsed"], 1),
                      "accuracy": {k: h["accuracy"][-1] for k, h in history.items()}, "step_reaching_95%": reached,
                      "grad_ratio_init": {k: grad_ratio(v) for k, v in last["grad_init"].items()},
                      "grad_ratio_end": {k: grad_ratio(v) for k, v in last["grad_now"].items()}}))


if __name__ == "__main__":
    main()
