"""Train a tiny GPT on the learner's own text, live (no gradio here): the Transformer tab streams it.

The text becomes a character vocabulary (the MAX_VOCAB - 1 most frequent characters, the rarer ones share
one unknown token), the last 10 % of it validates, and a stock `transformers` GPT2LMHeadModel of the same
family as the tab's Shakespeare GPT, only smaller, learns to predict the next character for a wall-clock
budget. What the learner sees, and why:

- the training and validation loss (nats per character) against the **unigram baseline**: the entropy of
  the training text's character distribution, the best any model can do without reading context;
- a sample every few seconds, so words (or line shapes) appear as it learns;
- how much it **memorises**: the share of the 8-character runs it writes that occur verbatim in the training
  text, next to the same share for the validation text (new text written in the same style already
  repeats that many runs: well above it is reciting, not writing).

Reproducible: the initial weights and the batches come from the request's torch.Generator (the samples
from a generator derived from it) and the learning rate follows the step, not the clock, so the same seed
gives the same curves, step for step; only how many steps fit in the budget depends on the machine.
The global RNG is never changed: the model is built under `torch.random.fork_rng` and then initialised
from the generator, and there is no dropout (it would draw from the global RNG).
"""
from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .gpt import batch_loss, train_step
from .live import Budget, TrainedFileError, config_number, unzip_checked, zip_folder

MIN_CHARS, MAX_CHARS = 2_000, 1_000_000
MAX_UPLOAD_BYTES = 4 * MAX_CHARS + 1024   # UTF-8 needs at most 4 bytes a character
MAX_VOCAB = 1024        # distinct characters kept (with the unknown token): classical Chinese needs many
UNKNOWN = "\ufffd"      # token 0: every character outside the vocabulary
VAL_SHARE = 0.1
MAX_SECONDS = 120

# --- the model and how it trains ---------------------------------------------------
CONFIG = {"n_layer": 2, "n_head": 4, "n_embd": 64, "n_positions": 64, "dropout": 0.0}
BATCH_SIZE = 16
LR, WARMUP = 6e-3, 30    # AdamW; linear warm-up, then constant (a schedule by step keeps runs comparable)
WEIGHT_DECAY = 0.01
INIT_STD = 0.02          # GPT-2's initialisation
MAX_STEPS = 100_000      # the budget ends a run long before
LOG_EVERY = 5            # steps per training-curve point (the mean loss of those steps)
VAL_EVERY = 25           # steps between validation points
VAL_WINDOWS = 32         # fixed, evenly spaced windows of the validation text
SAMPLE_SECONDS = 3.0     # a sample this often
SAMPLE_CHARS = 160
SAMPLE_TEMPERATURE = 0.8
NGRAM = 8                # the run length of the memorisation check

# uploads of a trained model: the save_pretrained folder, nothing else (never pickle or code)
REQUIRED_FILES = frozenset({"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"})
ALLOWED_FILES = REQUIRED_FILES | {"generation_config.json", "special_tokens_map.json"}
UPLOAD_CAPS = {"vocab_size": (2, MAX_VOCAB), "n_layer": (1, 4), "n_head": (1, 8), "n_embd": (8, 256),
               "n_positions": (8, 256), "n_inner": (8, 1024)}


class TextError(ValueError):
    """Text that cannot be trained on; `en` and `zh` say why (the tab shows both)."""

    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.en, self.zh = en, zh


# --- the text ---------------------------------------------------------------------
def decode_upload(raw: bytes) -> str:
    """An uploaded file's bytes as text: strict UTF-8 (a BOM is dropped), else TextError."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise TextError(f"The file is {len(raw) / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES / 1e6:.0f} MB "
                        f"({MAX_CHARS:,} characters).",
                        f"文件大小为 {len(raw) / 1e6:.1f} MB，上限是 {MAX_UPLOAD_BYTES / 1e6:.0f} MB（{MAX_CHARS:,} 个字符）。")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TextError(f"The file is not UTF-8 text (byte {exc.start:,} cannot be read): save it as UTF-8 plain "
                        "text (.txt).", f"该文件不是 UTF-8 文本（第 {exc.start:,} 个字节无法读取）：请另存为 UTF-8 纯文本（.txt）。") \
            from None
    if "\0" in text:
        raise TextError("The file holds binary data (NUL bytes), not plain text.", "该文件含有二进制数据（NUL 字节），不是纯文本。")
    return text


def check_text(text) -> str:
    """The training text, or TextError when it is not a string of MIN_CHARS to MAX_CHARS characters."""
    if not isinstance(text, str):
        raise TextError("The text must be a string.", "文本必须是字符串。")
    text = text.replace("\r\n", "\n")
    if len(text) < MIN_CHARS:
        raise TextError(f"The text has {len(text):,} characters; paste or upload at least {MIN_CHARS:,} (a page or "
                        "two) so there is something to learn and 10 % left to validate on.",
                        f"文本只有 {len(text):,} 个字符；请粘贴或上传至少 {MIN_CHARS:,} 个字符（一两页），"
                        "这样才有东西可学，并留出 10% 用于验证。")
    if len(text) > MAX_CHARS:
        raise TextError(f"The text has {len(text):,} characters; the limit is {MAX_CHARS:,}.",
                        f"文本有 {len(text):,} 个字符，上限是 {MAX_CHARS:,} 个。")
    return text


def codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), np.uint32)


def build_vocab(text: str, max_vocab: int = MAX_VOCAB) -> list[str]:
    """[UNKNOWN] + the max_vocab - 1 most frequent characters of `text`, sorted by code point."""
    values, counts = np.unique(codepoints(text), return_counts=True)
    keep = values[np.argsort(-counts, kind="stable")[: max_vocab - 1]]
    return [UNKNOWN] + [chr(c) for c in np.sort(keep) if chr(c) != UNKNOWN]


def encode(text: str, vocab: list[str]) -> np.ndarray:
    """Token ids of `text` (one per character; 0 for the characters outside `vocab`), vectorised."""
    known = np.array([ord(c) for c in vocab[1:]], np.uint32)  # sorted by build_vocab
    codes = codepoints(text)
    where = np.minimum(np.searchsorted(known, codes), max(len(known) - 1, 0))
    found = known[where] == codes if len(known) else np.zeros(len(codes), bool)
    return np.where(found, where + 1, 0).astype(np.int64)


def unigram_entropy(ids: np.ndarray, vocab_size: int) -> float:
    """Entropy of the character distribution in nats per character: the loss of the best context-free model."""
    p = np.bincount(ids, minlength=vocab_size) / len(ids)
    p = p[p > 0]
    return max(0.0, float(-(p * np.log(p)).sum()))  # one distinct character: 0, not -0


_HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant: 8 ids -> one well-mixed uint64


def ngram_hashes(ids: np.ndarray, n: int = NGRAM) -> np.ndarray:
    """A 64-bit hash of every run of n consecutive ids (vectorised: n multiply-adds over the whole array)."""
    ids = np.asarray(ids, np.uint64)
    count = len(ids) - n + 1
    if count <= 0:
        return np.zeros(0, np.uint64)
    hashes = np.zeros(count, np.uint64)
    with np.errstate(over="ignore"):  # wrapping modulo 2**64 is the point
        for j in range(n):
            hashes = hashes * _HASH_MULTIPLIER + ids[j: j + count] + np.uint64(1)
    return hashes


def memorised_share(generated: np.ndarray, known: np.ndarray, n: int = NGRAM) -> float | None:
    """Share of the n-character runs of `generated` found in `known` (sorted unique hashes); None if too short."""
    runs = ngram_hashes(generated, n)
    if not len(runs) or not len(known):
        return None
    where = np.minimum(np.searchsorted(known, runs), len(known) - 1)
    return float(np.mean(known[where] == runs))


@dataclass
class Corpus:
    """The learner's text, ready to train on."""
    vocab: list[str]          # token id -> character; 0 is UNKNOWN
    train_ids: torch.Tensor   # the first 90 %
    val_ids: torch.Tensor     # the last 10 %
    baseline: float           # unigram entropy of the training text, nats per character
    known_runs: np.ndarray    # sorted unique hashes of the training text's NGRAM-character runs
    val_overlap: float        # share of the validation text's runs found in the training text
    chars: int                # characters in the text
    distinct: int             # distinct characters in the text
    unknown: int              # characters that became UNKNOWN


def prepare_corpus(text, max_vocab: int = MAX_VOCAB) -> Corpus:
    text = check_text(text)
    vocab = build_vocab(text, max_vocab)
    ids = encode(text, vocab)
    cut = int(len(ids) * (1 - VAL_SHARE))
    train, val = ids[:cut], ids[cut:]
    known = np.unique(ngram_hashes(train))
    return Corpus(vocab=vocab, train_ids=torch.from_numpy(train), val_ids=torch.from_numpy(val),
                  baseline=unigram_entropy(train, len(vocab)), known_runs=known,
                  val_overlap=memorised_share(val, known) or 0.0, chars=len(ids),
                  distinct=len(np.unique(codepoints(text))), unknown=int((ids == 0).sum()))


# --- the model ----------------------------------------------------------------------
def new_model(vocab_size: int, generator: torch.Generator, config: dict | None = None):
    """A fresh GPT2LMHeadModel initialised from `generator` (GPT-2's scheme; the global RNG is left as it was)."""
    from .gpt import build_model

    config = dict(CONFIG, **(config or {}))
    with torch.random.fork_rng(devices=[]):  # the constructor's own random init draws from the global RNG
        model = build_model(vocab_size, **config)
    residual_std = INIT_STD / math.sqrt(2 * config["n_layer"])  # GPT-2 scales the residual projections
    with torch.no_grad():
        for name, p in model.named_parameters():  # a fixed order: the same generator gives the same weights
            if name.endswith("bias"):
                p.zero_()
            elif ".ln_" in name or name.startswith("transformer.ln_f"):
                p.fill_(1.0)
            else:
                std = residual_std if name.endswith("c_proj.weight") else INIT_STD
                p.copy_(torch.randn(p.shape, generator=generator) * std)
    return model


def tokenizer_for(vocab: list[str], block: int):
    from .gpt import char_tokenizer

    return char_tokenizer(vocab, block, unknown=UNKNOWN)


def _batch(data: torch.Tensor, block: int, batch: int, generator):
    starts = torch.randint(0, len(data) - block, (batch,), generator=generator)
    rows = data[starts[:, None] + torch.arange(block + 1)]
    return rows[:, :-1], rows[:, 1:]


def _val_windows(data: torch.Tensor, block: int) -> tuple[torch.Tensor, torch.Tensor]:
    """VAL_WINDOWS fixed windows spread evenly over the validation text (the same ones at every point)."""
    block = min(block, len(data) - 1)
    starts = torch.linspace(0, len(data) - block - 1, VAL_WINDOWS).long().unique()
    rows = data[starts[:, None] + torch.arange(block + 1)]
    return rows[:, :-1], rows[:, 1:]


def _val_loss(model, windows) -> float:
    model.eval()
    with torch.inference_mode():
        loss = batch_loss(model, *windows).item()
    model.train()
    return loss


def sample_text(model, corpus: Corpus, generator, chars: int = SAMPLE_CHARS) -> tuple[str, np.ndarray]:
    """(text, its ids) written from a newline (or the text's first character), at SAMPLE_TEMPERATURE."""
    from .gpt import continue_ids

    start = corpus.vocab.index("\n") if "\n" in corpus.vocab else int(corpus.train_ids[0])
    model.eval()
    ids = list(continue_ids(model, [start], chars, SAMPLE_TEMPERATURE, 0, 1.0, generator,
                            model.config.n_positions))
    model.train()
    return "".join(corpus.vocab[i] for i in ids), np.array(ids)


def train_live(model, corpus: Corpus, seconds: float, generator: torch.Generator, max_steps: int = MAX_STEPS,
               sample_seconds: float = SAMPLE_SECONDS):
    """Train `model` on `corpus` until `seconds` pass or `max_steps`; yield a progress dict about every 0.5 s
    and at the end (`done`). The curves hold every LOG_EVERY-th step's mean training loss and a validation
    loss every VAL_EVERY steps (and at the start and the end); `samples` grows every `sample_seconds`."""
    budget = Budget(seconds)
    block = model.config.n_positions
    sample_gen = torch.Generator().manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=generator)))
    windows = _val_windows(corpus.val_ids, block)
    opt = torch.optim.AdamW(model.parameters(), lr=LR, betas=(0.9, 0.99), weight_decay=WEIGHT_DECAY)
    model.train()
    history = {"train_step": [], "train": [], "val_step": [0], "val": [_val_loss(model, windows)]}
    samples: list[dict] = []
    running: list[float] = []
    step, last_sample = 0, budget.elapsed()

    def progress(done: bool) -> dict:
        return {"step": step, "seconds": budget.elapsed(), "history": history, "samples": samples,
                "baseline": corpus.baseline, "val_overlap": corpus.val_overlap, "done": done,
                "train_loss": history["train"][-1] if history["train"] else None, "val_loss": history["val"][-1]}

    while True:
        finished = step >= max_steps or budget.expired()
        if finished and history["val_step"][-1] != step:
            history["val_step"].append(step)
            history["val"].append(_val_loss(model, windows))
        if finished or budget.elapsed() - last_sample >= sample_seconds:
            text, ids = sample_text(model, corpus, sample_gen)
            samples.append({"step": step, "seconds": round(budget.elapsed(), 1), "text": text,
                            "memorised": memorised_share(ids, corpus.known_runs)})
            last_sample = budget.elapsed()
        if finished:
            yield progress(True)
            return
        if budget.due():
            yield progress(False)
        for group in opt.param_groups:
            group["lr"] = LR * min(1.0, (step + 1) / WARMUP)
        x, y = _batch(corpus.train_ids, block, BATCH_SIZE, generator)
        with torch.enable_grad():  # closed before any yield (a stream resumes on another thread)
            running.append(train_step(model, opt, x, y))
        step += 1
        if step % LOG_EVERY == 0:
            history["train_step"].append(step)
            history["train"].append(float(np.mean(running)))
            running = []
        if step % VAL_EVERY == 0:
            history["val_step"].append(step)
            history["val"].append(_val_loss(model, windows))


# --- keeping it: a save_pretrained folder as a zip ------------------------------------------------
def save_zip(model, tokenizer, stem: str = "my-gpt") -> Path:
    """model + tokenizer written with save_pretrained (safetensors), zipped flat; returns the zip's path."""
    folder = Path(tempfile.mkdtemp(prefix="dlhub-gpt-")) / stem
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return zip_folder(folder, folder.parent / f"{stem}.zip")


def unpack_upload(path) -> Path:
    """An uploaded zip checked (size, names, no pickle) and unpacked; its config.json within UPLOAD_CAPS.
    Returns the folder, for the tab's from_pretrained loader."""
    folder = unzip_checked(path, ALLOWED_FILES, REQUIRED_FILES)
    config = _json_file(folder / "config.json")
    if config.get("model_type") != "gpt2":
        raise TrainedFileError("config.json does not describe a GPT-2 model (model_type 'gpt2').",
                               "config.json 描述的不是 GPT-2 模型（model_type 应为 'gpt2'）。")
    for key, (lo, hi) in UPLOAD_CAPS.items():
        if key != "n_inner" or config.get(key) is not None:
            config_number(config, key, lo, hi)
    if config["n_embd"] % config["n_head"]:
        raise TrainedFileError("config.json: n_embd must be a multiple of n_head.",
                               "config.json：n_embd 必须是 n_head 的整数倍。")
    tokenizer_config = _json_file(folder / "tokenizer_config.json")
    if "auto_map" in config or "auto_map" in tokenizer_config:
        raise TrainedFileError("The zip asks for custom code (auto_map); it is never run.",
                               "压缩包要求加载自定义代码（auto_map），本站从不运行这类代码。")
    if tokenizer_config.get("tokenizer_class") not in TOKENIZER_CLASSES:
        raise TrainedFileError(f"tokenizer_config.json names {str(tokenizer_config.get('tokenizer_class'))[:40]!r}; "
                               "only the character tokenizer this tab writes is loaded.",
                               "tokenizer_config.json 指定的分词器不是本标签页写出的字符分词器，不予加载。")
    check_weights(folder / "model.safetensors", config)
    return folder


TOKENIZER_CLASSES = (None, "TokenizersBackend", "PreTrainedTokenizerFast")  # what save_pretrained writes


def _json_file(path: Path) -> dict:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TrainedFileError(f"{path.name} is not valid JSON.", f"{path.name} 不是有效的 JSON。") from None
    if not isinstance(value, dict):
        raise TrainedFileError(f"{path.name} is not a JSON object.", f"{path.name} 不是 JSON 对象。")
    return value


def check_weights(path: Path, config: dict) -> None:
    """model.safetensors holds exactly the tensors, with the shapes, of the model the config describes
    (from_pretrained would quietly start missing ones from random weights)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    from transformers import GPT2Config

    from .live import check_shapes

    try:
        tensors = load_file(path)
    except (SafetensorError, OSError, ValueError) as exc:
        raise TrainedFileError(f"model.safetensors cannot be read: {str(exc)[:120]}",
                               "无法读取 model.safetensors（文件已损坏或不是 safetensors 格式）。") from None
    check_shapes(tensors, expected_shapes(GPT2Config(**config)))


def expected_shapes(config) -> dict[str, tuple[int, ...]]:
    """Tensor name -> shape that save_pretrained writes for a GPT2LMHeadModel with this config."""
    from transformers import GPT2LMHeadModel

    with torch.device("meta"):  # shapes only: nothing is allocated or drawn from an RNG
        model = GPT2LMHeadModel(config)
    tied = {"lm_head.weight"} if config.tie_word_embeddings else set()
    return {name: tuple(t.shape) for name, t in model.state_dict().items() if name not in tied}


def check_loaded(model, tokenizer) -> None:
    """After from_pretrained: a character tokenizer whose ids fit the model."""
    vocab = tokenizer.get_vocab()
    if not vocab or any(len(token) != 1 for token in vocab) or max(vocab.values()) >= model.config.vocab_size:
        raise TrainedFileError("tokenizer.json is not a character vocabulary that fits the model.",
                               "tokenizer.json 不是与模型相符的字符词表。")
