"""A small character-level GPT on Tiny Shakespeare, built with Hugging Face `transformers`.

The network is a stock `GPT2LMHeadModel` with our own sizes, and the tokenizer is built here
from the characters of the training text (a `tokenizers` BPE model with no merges, i.e. one
token per character, wrapped as a `PreTrainedTokenizerFast`). Both are written with
`save_pretrained`, so `from_pretrained` loads ours exactly as it loads a hub checkpoint.

- Split: the first 90% of input.txt (by position) trains, the last 10% validates.
- Metric: validation loss in nats per character = nats per token (one token per character),
  averaged over every character of the validation split read in consecutive, non-overlapping
  windows of `n_positions` characters (nanoGPT's definition, without its random sampling).
- Weights are stored in float16 (`model.safetensors` < 10 MB) and loaded as float32 on the CPU.

    python -m models train gpt       # stops at the time budget ($DLHUB_GPT_MINUTES, default 50)
    python -m models.gpt --minutes 5 --resume   # the same with options (resume, tiny smoke runs)
    python -m models evaluate gpt    # last line: JSON metrics
"""
from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

NAME = "gpt"
DATASET = "tinyshakespeare"
VAL_SHARE = 0.1

# --- hyperparameters -------------------------------------------------------
CONFIG = {"n_layer": 4, "n_head": 4, "n_embd": 192, "n_positions": 128, "dropout": 0.05}
BATCH_SIZE = 32
LR, MIN_LR = 2e-3, 1e-4
WARMUP = 100
MAX_ITERS = 20000       # in practice the time budget ends the run first (CPU shared with other jobs)
WEIGHT_DECAY = 0.1
GRAD_CLIP = 1.0
EVAL_EVERY = 250          # iterations between validation estimates (and checkpoints)
EVAL_BATCHES = 12         # batches of random validation windows per estimate (the final number reads them all)
MINUTES = 50              # wall-clock budget; the cosine schedule follows max(iteration, time) progress


# --- data and tokenizer ----------------------------------------------------
def read_text(data_dir=None) -> str:
    from .data import DataMissingError, data_dir as resolve

    path = resolve(data_dir) / "text" / DATASET / "input.txt"
    if not path.exists():
        raise DataMissingError(f"{path} not found (set --data-dir or DLHUB_DATA_DIR)")
    return path.read_text(encoding="utf-8")


def split_text(text: str) -> tuple[str, str]:
    """First 90% (by position) for training, last 10% for validation."""
    cut = int(len(text) * (1 - VAL_SHARE))
    return text[:cut], text[cut:]


def build_tokenizer(text: str):
    """One token per distinct character of `text` (sorted), as a save_pretrained-able tokenizer."""
    return char_tokenizer(sorted(set(text)), CONFIG["n_positions"])


def char_tokenizer(chars: list[str], max_length: int, unknown: str | None = None):
    """A save_pretrained-able tokenizer with one token per character of `chars` (token id = index).
    Characters outside it are dropped, or become `unknown` (one of `chars`) when given; `unknown` is an
    ordinary token, so decoding shows it."""
    from tokenizers import Tokenizer, decoders, models
    from transformers import PreTrainedTokenizerFast

    vocab = {ch: i for i, ch in enumerate(chars)}
    core = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token=unknown))  # no merges: characters
    core.decoder = decoders.Fuse()  # join characters without spaces
    return PreTrainedTokenizerFast(tokenizer_object=core, model_max_length=max_length)


def encode(text: str, vocab: dict[str, int]) -> np.ndarray:
    table = np.full(0x110000, -1, np.int64)
    for ch, i in vocab.items():
        table[ord(ch)] = i
    ids = table[np.frombuffer(text.encode("utf-32-le"), np.uint32)]
    if (ids < 0).any():
        raise ValueError("text has characters outside the vocabulary")
    return ids


def build_model(vocab_size: int, n_layer: int, n_head: int, n_embd: int, n_positions: int, dropout: float,
                attn_implementation: str = "sdpa"):
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(vocab_size=vocab_size, n_positions=n_positions, n_embd=n_embd, n_layer=n_layer,
                        n_head=n_head, resid_pdrop=dropout, embd_pdrop=dropout, attn_pdrop=dropout,
                        activation_function="gelu_pytorch_tanh",  # GPT-2's tanh GELU, as one fused op
                        bos_token_id=0, eos_token_id=0, tie_word_embeddings=True,
                        attn_implementation=attn_implementation)
    return GPT2LMHeadModel(config)


# --- persistence -------------------------------------------------------------
def weights_folder() -> Path:
    from .persistence import weights_dir

    return weights_dir(NAME)


def save_gpt(model, tokenizer, folder) -> Path:
    """save_pretrained (safetensors) with float16 storage; every file must stay under 10 MB."""
    import copy

    from .persistence import MAX_FILE_BYTES

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    copy.deepcopy(model).half().save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    for path in folder.iterdir():
        if path.stat().st_size >= MAX_FILE_BYTES:
            raise ValueError(f"{path} is {path.stat().st_size} bytes; Spaces needs < 10 MB")
    return folder


def load_pretrained(source, local_only: bool = True, dtype=None):
    """(model, tokenizer) from a save_pretrained folder or a hub id: safetensors only, never remote code,
    eager attention (so attention weights can be returned), float32 unless `dtype` says otherwise."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs = {"local_files_only": local_only, "trust_remote_code": False}
    tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
    model = AutoModelForCausalLM.from_pretrained(source, use_safetensors=True, dtype=dtype or torch.float32,
                                                 attn_implementation="eager", **kwargs)
    return model.eval(), tokenizer


# --- generation ----------------------------------------------------------------
def sample_next(logits, temperature: float, top_k: int, top_p: float, generator) -> int:
    """Draw one token id from the last position's logits with temperature, top-k and top-p (nucleus)."""
    logits = logits.float().cpu() / temperature
    if 0 < top_k < logits.numel():
        kth = torch.topk(logits, top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, -1)
    if top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True)
        outside = sorted_probs.cumsum(0) - sorted_probs >= top_p  # keep the smallest set whose sum reaches top_p
        probs = probs.clone()
        probs[order[outside]] = 0.0
    return int(torch.multinomial(probs, 1, generator=generator))


def continue_ids(model, ids: list[int], max_new_tokens: int, temperature: float, top_k: int, top_p: float,
                 generator, block: int):
    """Yield `max_new_tokens` new token ids one at a time, sampled over the KV cache after `ids` (at most
    `block` - 1 of them). When the context window is full, its last 3/4 is kept and recomputed."""
    device = next(model.parameters()).device
    context, past = list(ids), None
    feed = context
    for _ in range(max_new_tokens):
        if past is not None and len(context) >= block:
            # the window is full: keep its last 3/4 and recompute, positions restart at 0
            context = context[-(block * 3 // 4):]
            feed, past = context, None
        # grad modes are per thread and Gradio resumes a stream on any worker thread:
        # no `with` block may stay open across a yield
        with torch.inference_mode():
            out = model(torch.tensor([feed], device=device), past_key_values=past, use_cache=True)
            past = out.past_key_values
            token = sample_next(out.logits[0, -1], temperature, top_k, top_p, generator)
        context.append(token)
        feed = [token]
        yield token


# --- evaluation --------------------------------------------------------------
def windows_loss(model, ids: np.ndarray, block: int, batch: int = 32) -> tuple[float, int]:
    """Total next-character loss (nats) over `ids` read in consecutive windows of `block`, and the count."""
    data = torch.from_numpy(ids)
    starts = list(range(0, len(data) - 1, block))
    total, count = 0.0, 0
    device = next(model.parameters()).device
    with torch.inference_mode():
        for i in range(0, len(starts), batch):
            chunk = [data[s: s + block + 1] for s in starts[i: i + batch]]
            full = [c for c in chunk if len(c) == block + 1]
            rest = [c for c in chunk if len(c) < block + 1]  # the last, shorter window
            for group in ([torch.stack(full)] if full else []) + [c[None] for c in rest]:
                group = group.to(device)
                logits = model(group[:, :-1]).logits.float()
                total += F.cross_entropy(logits.flatten(0, 1), group[:, 1:].flatten(), reduction="sum").item()
                count += group[:, 1:].numel()
    return total, count


def evaluate(data_dir=None) -> dict:
    """Validation loss per character of weights/gpt on the last 10% of Tiny Shakespeare."""
    from .persistence import read_metrics

    model, tokenizer = load_pretrained(weights_folder())
    _, val = split_text(read_text(data_dir))
    block = model.config.n_positions
    total, count = windows_loss(model, encode(val, tokenizer.get_vocab()), block)
    loss = total / count
    metrics = {"model": NAME, "dataset": "tinyshakespeare-val-10pct", "val_loss_nats_per_char": round(loss, 4),
               "val_bits_per_char": round(loss / math.log(2), 4), "val_perplexity_per_char": round(math.exp(loss), 3),
               "val_chars": count, "eval_windows": f"consecutive, non-overlapping {block}-character windows"}
    previous = read_metrics(NAME)
    for key in ("parameters", "epochs", "seed", "train_seconds", "train_data", "method", "iterations",
                "checkpoint_iteration"):
        if key in previous:
            metrics[key] = previous[key]
    return metrics


# --- training ------------------------------------------------------------------
def lr_at(step: int, progress: float) -> float:
    """Linear warmup over WARMUP steps, then cosine from LR to MIN_LR as `progress` goes 0 -> 1."""
    if step < WARMUP:
        return LR * (step + 1) / WARMUP
    return MIN_LR + 0.5 * (LR - MIN_LR) * (1 + math.cos(math.pi * min(1.0, progress)))


def _batch(data, block: int, batch: int, gen):
    starts = torch.randint(0, len(data) - block - 1, (batch,), generator=gen)
    rows = torch.stack([data[s: s + block + 1] for s in starts.tolist()])
    return rows[:, :-1], rows[:, 1:]


def _autocast():
    """bfloat16 matrix products for training (about 1.5x faster on this AVX-512 CPU); weights stay float32."""
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=os.environ.get("DLHUB_GPT_BF16", "1") == "1")


def batch_loss(model, x, y):
    return F.cross_entropy(model(x).logits.flatten(0, 1).float(), y.flatten())


def train_step(model, opt, x, y, autocast=None) -> float:
    """One optimiser step on a batch, gradients clipped to GRAD_CLIP; returns the batch's loss."""
    import contextlib

    with autocast or contextlib.nullcontext():
        loss = batch_loss(model, x, y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
    opt.step()
    return loss.item()


def _estimate(model, data, block: int, gen) -> float:
    """Mean loss over EVAL_BATCHES random windows (the training log's quick validation number)."""
    model.eval()
    losses = []
    with torch.inference_mode(), _autocast():
        for _ in range(EVAL_BATCHES):
            x, y = _batch(data, block, BATCH_SIZE, gen)
            losses.append(batch_loss(model, x, y).item())
    model.train()
    return float(np.mean(losses))


def _state_dir() -> Path:
    return Path(os.environ.get("DLHUB_GPT_STATE", Path.home() / ".cache" / "dlhub" / "gpt-train"))


def _save_state(model, opt, step: int, info: dict) -> None:
    """fp32 model + AdamW moments (safetensors) so a stopped run can resume (outside the repository)."""
    from safetensors.torch import save_file

    folder = _state_dir()
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {f"model.{k}": v.detach().contiguous() for k, v in model.state_dict().items()
               if k != "lm_head.weight"}  # tied to the token embedding
    for i, p in enumerate(model.parameters()):
        state = opt.state.get(p, {})
        if "exp_avg" in state:
            tensors[f"opt.{i}.exp_avg"] = state["exp_avg"]
            tensors[f"opt.{i}.exp_avg_sq"] = state["exp_avg_sq"]
            tensors[f"opt.{i}.step"] = state["step"].reshape(1)
    save_file(tensors, folder / "state.safetensors.tmp")
    os.replace(folder / "state.safetensors.tmp", folder / "state.safetensors")
    (folder / "state.json").write_text(json.dumps({"step": step, **info}, indent=2) + "\n")


def _load_state(model, opt) -> tuple[int, dict]:
    from safetensors.torch import load_file

    folder = _state_dir()
    if not (folder / "state.json").exists():
        return 0, {}
    tensors = load_file(folder / "state.safetensors")
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")}, strict=False)
    model.tie_weights()
    for i, p in enumerate(model.parameters()):
        if f"opt.{i}.exp_avg" in tensors:
            opt.state[p] = {"exp_avg": tensors[f"opt.{i}.exp_avg"], "exp_avg_sq": tensors[f"opt.{i}.exp_avg_sq"],
                            "step": tensors[f"opt.{i}.step"][0]}
    info = json.loads((folder / "state.json").read_text())
    return int(info.pop("step")), info


def train(data_dir=None, epochs=None, seed=0, minutes=None, max_iters=None, resume=False, config=None,
          log=print) -> dict:
    """Train the GPT until MAX_ITERS or the time budget, keeping the best checkpoint in weights/gpt.

    `epochs` (the CLI's --epochs) sets the iterations to that many passes over the training text."""
    from .cards import write_model_card
    from .persistence import write_metrics

    global MAX_ITERS
    torch.set_num_threads(int(os.environ.get("DLHUB_TORCH_THREADS", 2)))
    torch.manual_seed(seed)  # training script, not a request handler: global seeding is fine
    gen = torch.Generator().manual_seed(seed)
    val_gen = torch.Generator().manual_seed(seed + 1)
    config = dict(CONFIG, **(config or {}))
    minutes = float(minutes if minutes is not None else os.environ.get("DLHUB_GPT_MINUTES", MINUTES))
    block = config["n_positions"]

    text = read_text(data_dir)
    train_text, val_text = split_text(text)
    tokenizer = build_tokenizer(text)
    vocab = tokenizer.get_vocab()
    train_ids, val_ids = torch.from_numpy(encode(train_text, vocab)), torch.from_numpy(encode(val_text, vocab))
    if epochs:
        max_iters = math.ceil(epochs * len(train_ids) / (BATCH_SIZE * block))
    MAX_ITERS = int(max_iters or os.environ.get("DLHUB_GPT_ITERS", MAX_ITERS))

    model = build_model(len(vocab), **config)
    decay = [p for p in model.parameters() if p.dim() >= 2]  # matrices and embeddings; not biases or norms
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                             {"params": no_decay, "weight_decay": 0.0}], lr=LR, betas=(0.9, 0.99))
    step, info = _load_state(model, opt) if resume else (0, {})
    best, best_iter = info.get("best", float("inf")), info.get("best_iter", 0)
    spent = info.get("seconds", 0.0)
    history = info.get("history", [])
    params = sum(p.numel() for p in model.parameters())
    log(f"GPT {config} · {params:,} parameters · {len(train_ids):,} train / {len(val_ids):,} val characters · "
        f"{MAX_ITERS} iterations of {BATCH_SIZE}x{block} or {minutes:g} min · starting at {step}")

    t0 = time.time() - spent
    model.train()
    last_log, running = time.time(), []
    while True:
        elapsed = time.time() - t0
        progress = max(step / MAX_ITERS, elapsed / (minutes * 60))
        done = progress >= 1.0
        if step % EVAL_EVERY == 0 or done:
            val = _estimate(model, val_ids, block, val_gen)
            train_loss = round(float(np.mean(running)), 4) if running else None
            history.append({"iter": step, "seconds": round(elapsed), "train_loss": train_loss,
                            "val_loss_estimate": round(val, 4)})
            log(f"iter {step:5d}  {elapsed / 60:5.1f} min  lr {lr_at(step, progress):.2e}  train {train_loss}"
                f"  val ~{val:.4f}")
            running = []
            if val < best and step > 0:
                best, best_iter = val, step
                save_gpt(model, tokenizer, weights_folder())
                write_metrics(NAME, {"model": NAME, "iterations": step, "parameters": params, "seed": seed,
                                     "train_seconds": round(elapsed), "history": history, "partial": True})
            if step > 0:
                _save_state(model, opt, step, {"best": best, "best_iter": best_iter, "seconds": elapsed,
                                               "history": history})
        if done:
            break
        for group in opt.param_groups:
            group["lr"] = lr_at(step, progress)
        x, y = _batch(train_ids, block, BATCH_SIZE, gen)
        running.append(train_step(model, opt, x, y, _autocast()))
        step += 1
        if time.time() - last_log > 60:
            log(f"iter {step:5d}  {(time.time() - t0) / 60:5.1f} min  loss {np.mean(running[-50:]):.4f}  "
                f"{step / (time.time() - t0):.2f} it/s")
            last_log = time.time()

    train_seconds = round(time.time() - t0)
    metrics = evaluate(data_dir)
    metrics.update({
        "parameters": params, "iterations": step, "checkpoint_iteration": best_iter,
        "epochs": round(step * BATCH_SIZE * block / len(train_ids), 2),
        "seed": seed, "train_seconds": train_seconds,
        "train_data": f"tinyshakespeare input.txt, first 90% ({len(train_ids):,} characters)",
        "method": (f"GPT2LMHeadModel {config}, character tokenizer ({len(vocab)} symbols), AdamW lr {LR} "
                   f"(warmup {WARMUP}, cosine to {MIN_LR}, weight decay {WEIGHT_DECAY}), batch {BATCH_SIZE}x{block}, "
                   f"bfloat16 autocast, best of validation estimates every {EVAL_EVERY} iterations, float16 storage"),
        "history": history,
    })
    write_metrics(NAME, metrics)
    write_model_card(NAME)
    return metrics


def main(argv=None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m models.gpt", description="Train the Tiny Shakespeare GPT.")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--minutes", type=float, default=None, help=f"time budget (default {MINUTES})")
    parser.add_argument("--iters", type=int, default=None, help=f"iterations (default {MAX_ITERS})")
    parser.add_argument("--resume", action="store_true", help="continue from the last saved training state")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    metrics = train(args.data_dir, seed=args.seed, minutes=args.minutes, max_iters=args.iters, resume=args.resume)
    print(json.dumps({k: v for k, v in metrics.items() if k != "history"}))


if __name__ == "__main__":
    main()
