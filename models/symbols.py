"""Teach the digit CNN your own symbols: transfer learning versus training from scratch (no gradio here).

A learner draws a few examples of 2-10 symbols of their own. Two ways to learn them, same drawings, same seed:

- transfer: the shipped digit CNN (weights/cnn) stays frozen; its 128 penultimate features are computed once per
  augmented copy of each drawing, and only a new linear head (128 -> classes) is trained on them. Leave-one-out
  costs little: one head per held-out drawing, all trained at once as one batched optimisation.
- scratch: the same CNN architecture, randomly initialised, trained end to end on fresh augmented copies.
  Every fold is a whole network to train, so it is scored by stratified k-fold (k <= 5), each fold with an equal
  share of the time budget.

Both are generators (see models/live.py): they yield progress dicts about every REPORT_SECONDS and a final dict
with "done": True, the accuracy and the prediction for every drawing while it was held out.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .digits import DigitCNN, augment
from .live import Budget

# --- hyperparameters -----------------------------------------------------
FEATURES = 128           # the shipped CNN's penultimate layer (fc1 + ReLU)
COPIES = 16              # augmented copies per drawing whose features the head learns from...
MAX_COPIES_TOTAL = 400   # ...fewer when there are many drawings (features cost a CNN forward pass each)
HEAD_STEPS = 150         # full-batch Adam steps of the linear head...
HEAD_MIN_STEPS = 30      # ...and at least this many, budget or not (milliseconds each: an untrained head says nothing)
HEAD_LR = 0.05
HEAD_WEIGHT_DECAY = 1e-3
HEAD_SCALE = 10.0        # features are L2-normalised then scaled: softmax logits in a useful range
SCRATCH_FOLDS = 5        # at most: k-fold for the networks trained from scratch
SCRATCH_STEPS = 300      # per fold, at most (the budget usually stops it first)...
SCRATCH_MIN_STEPS = 2    # ...and at least this many, budget or not (a fold that never trained says nothing)
SCRATCH_BATCH = 16       # small batches: more steps in the same seconds
SCRATCH_LR = 3e-3


def prepare() -> None:
    """PyTorch imports parts of itself on the first optimiser a process builds (seconds on a busy CPU): pay that
    before a budget starts, not out of it."""
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def head_features(extractor: nn.Module, images: torch.Tensor, batch: int = 512) -> torch.Tensor:
    """The frozen CNN's features of images [B,1,28,28], L2-normalised and scaled: what the head reads. [B, 128]"""
    device = next(extractor.parameters()).device
    dtype = next(extractor.parameters()).dtype
    with torch.inference_mode():
        parts = [extractor.features(images[i:i + batch].to(device, dtype)).float().cpu()
                 for i in range(0, len(images), batch)]
    return F.normalize(torch.cat(parts), dim=1) * HEAD_SCALE


class SymbolClassifier(nn.Module):
    """The frozen digit CNN's features -> a learner's linear head: logits over their classes. Input [B,1,28,28]."""

    def __init__(self, extractor: nn.Module, weight: torch.Tensor, bias: torch.Tensor):
        super().__init__()
        self.extractor = extractor
        self.head = nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            self.head.weight.copy_(weight)
            self.head.bias.copy_(bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.normalize(self.extractor.features(x).float(), dim=1) * HEAD_SCALE
        return self.head(h.to(self.head.weight.device))


def fit_heads(features: torch.Tensor, labels: torch.Tensor, n_classes: int, weights: torch.Tensor,
              generator: torch.Generator, steps: int = HEAD_STEPS, seconds: float = 10.0):
    """Train len(weights) linear heads at once (full-batch Adam): head f learns from sample s with weight
    weights[f, s] (0 leaves a held-out drawing's copies out). Yields {"step", "steps", "loss"} when due, then
    {"done": True, "weight": [F, K, D], "bias": [F, K], "step"}."""
    heads, dim = len(weights), features.shape[1]
    weight = (torch.randn(heads, n_classes, dim, generator=generator) * 0.01).requires_grad_()
    bias = torch.zeros(heads, n_classes, requires_grad=True)
    opt = torch.optim.Adam([weight, bias], lr=HEAD_LR)
    share = weights / weights.sum(1, keepdim=True)
    budget = Budget(seconds)
    step = 0
    while step < steps and (step < min(HEAD_MIN_STEPS, steps) or not budget.expired()):
        with torch.enable_grad():
            logits = torch.einsum("sd,fkd->fsk", features, weight) + bias[:, None]
            nll = F.cross_entropy(logits.reshape(-1, n_classes), labels.repeat(heads), reduction="none")
            loss = (nll.view(heads, -1) * share).sum() + HEAD_WEIGHT_DECAY * weight.pow(2).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        step += 1
        if budget.due():
            yield {"step": step, "steps": steps, "loss": loss.item() / heads}
    yield {"done": True, "step": step, "steps": steps, "weight": weight.detach(), "bias": bias.detach()}


def train_symbol_head(features: torch.Tensor, labels: torch.Tensor, n_classes: int, generator: torch.Generator,
                      steps: int = HEAD_STEPS) -> tuple[torch.Tensor, torch.Tensor]:
    """One linear head on all the features [S, D] -> (weight [K, D], bias [K])."""
    for progress in fit_heads(features, labels, n_classes, torch.ones(1, len(labels)), generator, steps):
        pass
    return progress["weight"][0], progress["bias"][0]


def leave_one_out_accuracy(extractor: nn.Module, images: torch.Tensor, labels: torch.Tensor, n_classes: int,
                           generator: torch.Generator, seconds: float = 5.0, copies: int = COPIES,
                           steps: int = HEAD_STEPS):
    """Transfer learning scored by leave-one-out: for each drawing, a head trained on the augmented copies of all
    the others predicts it (its own, un-augmented features). Also trains the head on every drawing (the one to
    keep). images [N,1,28,28] in [0,1], labels [N]. Yields progress, then the final dict:
    {"done", "accuracy", "predictions" [N], "weight" [K, D], "bias" [K], "folds", "steps", "seconds"}."""
    budget = Budget(seconds)
    n = len(images)
    copies = max(2, min(copies, MAX_COPIES_TOTAL // n))
    copies_of = torch.arange(n).repeat_interleave(copies)   # which drawing each augmented copy comes from
    features = head_features(extractor, augment(images[copies_of], generator))
    held_out = head_features(extractor, images)
    yield {"stage": "features", "images": len(copies_of), "seconds": budget.elapsed()}
    # head f < n leaves drawing f out; the last head learns from every drawing
    weights = torch.ones(n + 1, len(copies_of))
    weights[copies_of, torch.arange(len(copies_of))] = 0.0
    for progress in fit_heads(features, labels[copies_of], n_classes, weights, generator, steps,
                              max(0.0, seconds - budget.elapsed())):
        if not progress.get("done"):
            yield {"stage": "heads", "seconds": budget.elapsed(), **progress}
    weight, bias = progress["weight"], progress["bias"]
    logits = torch.einsum("nd,nkd->nk", held_out, weight[:n]) + bias[:n]
    predictions = logits.argmax(1)
    yield {"done": True, "accuracy": (predictions == labels).float().mean().item(), "predictions": predictions.tolist(),
           "weight": weight[n], "bias": bias[n], "folds": n, "steps": progress["step"], "copies": copies,
           "seconds": budget.elapsed()}


def stratified_folds(labels: torch.Tensor, k: int) -> torch.Tensor:
    """Fold number of each drawing: every class spread over the folds as evenly as its count allows."""
    folds = torch.empty_like(labels)
    offset = 0
    for c in labels.unique().tolist():
        members = (labels == c).nonzero().flatten()
        folds[members] = (torch.arange(len(members)) + offset) % k
        offset += len(members)  # the next class starts where this one stopped: folds stay balanced in size
    return folds


def scratch_cnn(n_classes: int, generator: torch.Generator) -> DigitCNN:
    """The shipped CNN's architecture with a `n_classes` output, initialised from `generator` (PyTorch's default
    Kaiming-uniform bounds); batch norm keeps a cumulative average, since a few hundred steps is all it gets."""
    model = DigitCNN()
    model.fc2 = nn.Linear(model.fc2.in_features, n_classes)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
                bound = 1 / math.sqrt(module.weight[0].numel())
                module.bias.uniform_(-bound, bound, generator=generator)
            elif isinstance(module, nn.BatchNorm2d):
                module.momentum = None
    return model


def _scratch_step(model: DigitCNN, opt, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> float:
    """One Adam step on a fresh augmented batch; dropout's mask comes from the generator too (reproducible)."""
    with torch.enable_grad():
        model.train()
        h = model.features(augment(x, generator))
        keep = (torch.rand(h.shape, generator=generator) >= model.drop.p).float() / (1 - model.drop.p)
        loss = F.cross_entropy(model.fc2(h * keep), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return loss.item()


def train_from_scratch(images: torch.Tensor, labels: torch.Tensor, n_classes: int, generator: torch.Generator,
                       seconds: float = 5.0, folds: int = SCRATCH_FOLDS, steps: int = SCRATCH_STEPS,
                       batch: int = SCRATCH_BATCH):
    """The same architecture trained from random weights, scored by stratified k-fold (k = min(folds, smallest
    class count)), each fold getting seconds / k and at most `steps` steps. Yields progress, then the final dict:
    {"done", "accuracy", "predictions" [N], "folds", "steps" (per fold, the fewest), "seconds"}."""
    budget = Budget(seconds)
    k = max(2, min(folds, int(torch.bincount(labels, minlength=n_classes).min())))
    fold_of = stratified_folds(labels, k)
    predictions = torch.empty_like(labels)
    fewest = steps
    for fold in range(k):
        train_idx, test_idx = (fold_of != fold).nonzero().flatten(), (fold_of == fold).nonzero().flatten()
        model = scratch_cnn(n_classes, generator)
        opt = torch.optim.Adam(model.parameters(), lr=SCRATCH_LR)
        fold_end = seconds * (fold + 1) / k
        step = 0
        while step < steps and (step < min(SCRATCH_MIN_STEPS, steps) or budget.elapsed() < fold_end):
            pick = train_idx[torch.randint(len(train_idx), (batch,), generator=generator)]
            loss = _scratch_step(model, opt, images[pick], labels[pick], generator)
            step += 1
            if budget.due():
                yield {"fold": fold + 1, "folds": k, "step": step, "loss": loss, "seconds": budget.elapsed()}
        model.eval()
        with torch.inference_mode():
            predictions[test_idx] = model(images[test_idx]).argmax(1)
        fewest = min(fewest, step)
    yield {"done": True, "accuracy": (predictions == labels).float().mean().item(), "predictions": predictions.tolist(),
           "folds": k, "steps": fewest, "seconds": budget.elapsed()}


def confusion_matrix(labels, predictions, n_classes: int) -> torch.Tensor:
    """counts[true, predicted]"""
    labels, predictions = torch.as_tensor(labels), torch.as_tensor(predictions)
    return torch.bincount(labels * n_classes + predictions, minlength=n_classes ** 2).view(n_classes, n_classes)
