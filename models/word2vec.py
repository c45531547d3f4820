"""Word2Vec (skip-gram with negative sampling, gensim) on the English corpora of ../shared/data/text.

Shipped without pickle: `model.safetensors` holds the word vectors (float16, one row per word,
most frequent first) and `vocab.json` the words and their corpus counts; `load_vectors` rebuilds a
gensim `KeyedVectors` from them.

    python -m models train word2vec      # a few minutes on 2 CPU cores
    python -m models evaluate word2vec   # WordSim-353 Spearman rho + Google analogies, as JSON
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Callable

import numpy as np
from gensim.models import KeyedVectors

# --- hyperparameters -----------------------------------------------------
CONFIG = {
    "vector_size": 100, "window": 10, "sg": 1, "negative": 10, "min_count": 5,
    "sample": 1e-4, "max_final_vocab": 40000, "alpha": 0.025,
}
EPOCHS = 10
WORKERS = 2


class WordVectors(KeyedVectors):
    """KeyedVectors that tell the model cache how much memory they hold."""

    @property
    def nbytes(self) -> int:
        return int(self.vectors.nbytes)


def vectors_from_arrays(words: list[str], vectors: np.ndarray, counts=None) -> WordVectors:
    kv = WordVectors(vectors.shape[1], count=0, dtype=np.float32)
    kv.add_vectors(words, vectors.astype(np.float32))
    if counts is not None:
        kv.expandos["count"] = np.asarray(counts, np.int64)
    kv.fill_norms()  # now, not lazily inside concurrent requests
    return kv


def save_vectors(kv: KeyedVectors, folder: str | os.PathLike, config: dict) -> Path:
    """model.safetensors (float16 vectors) + vocab.json (words, counts) + config.json; no pickle."""
    from safetensors.numpy import save_file

    from .persistence import MAX_FILE_BYTES

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_file({"vectors": np.ascontiguousarray(kv.vectors, np.float16)}, folder / "model.safetensors")
    counts = [int(kv.get_vecattr(w, "count")) for w in kv.index_to_key] if "count" in kv.expandos else None
    (folder / "vocab.json").write_text(json.dumps({"words": kv.index_to_key, "counts": counts}, ensure_ascii=False))
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    for path in folder.iterdir():
        if path.stat().st_size >= MAX_FILE_BYTES:
            raise ValueError(f"{path} is {path.stat().st_size} bytes; Spaces needs < 10 MB")
    return folder


def load_vectors(folder: str | os.PathLike) -> WordVectors:
    from safetensors.numpy import load_file

    folder = Path(folder)
    vocab = json.loads((folder / "vocab.json").read_text())
    vectors = load_file(folder / "model.safetensors")["vectors"]
    if len(vocab["words"]) != len(vectors):
        raise ValueError(f"{folder}: {len(vocab['words'])} words but {len(vectors)} vectors")
    return vectors_from_arrays(vocab["words"], vectors, vocab.get("counts"))


# --- training ------------------------------------------------------------
def train_word2vec(sentences, epochs: int, seed: int = 0, workers: int = WORKERS,
                   on_epoch: Callable[[int, float], None] | None = None, **config):
    """Train gensim Word2Vec on lists of words; `on_epoch(epoch, seconds)` after each epoch."""
    from gensim.models import Word2Vec
    from gensim.models.callbacks import CallbackAny2Vec

    class Progress(CallbackAny2Vec):
        def __init__(self):
            self.epoch, self.t0 = 0, time.time()

        def on_epoch_end(self, model):
            self.epoch += 1
            if on_epoch is not None:
                on_epoch(self.epoch, time.time() - self.t0)

    params = {**CONFIG, **config}
    return Word2Vec(sentences, epochs=epochs, seed=seed, workers=workers, callbacks=[Progress()], **params)


# --- evaluation ----------------------------------------------------------
def analogy_accuracy(kv: KeyedVectors, path: str, batch: int = 512) -> tuple[int, int, int]:
    """3CosAdd analogies "a b c d": is d the nearest word to b - a + c (a, b, c excluded)?
    The same rule as gensim's `evaluate_word_analogies` (case-insensitive, questions with an unknown
    word skipped), batched in numpy so it takes seconds, not minutes. Returns (correct, covered, total)."""
    index = {w.upper(): i for i, w in reversed(list(enumerate(kv.index_to_key)))}
    questions, total = [], 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith(":") or not line.strip():
                continue
            total += 1
            ids = [index.get(w.upper()) for w in line.split()]
            if len(ids) == 4 and None not in ids:
                questions.append(ids)
    unit = kv.get_normed_vectors()
    q = np.array(questions, np.int64).reshape(-1, 4)
    correct = 0
    for start in range(0, len(q), batch):
        a, b, c, d = q[start:start + batch].T
        scores = (unit[b] - unit[a] + unit[c]) @ unit.T
        rows = np.arange(len(a))
        for excluded in (a, b, c):
            scores[rows, excluded] = -np.inf
        correct += int((scores.argmax(axis=1) == d).sum())
    return correct, len(q), total


def evaluate_vectors(kv: KeyedVectors) -> dict:
    """Spearman rho on WordSim-353 and accuracy on Google analogies (both ship with gensim),
    measured on the pairs/questions whose words are all in the vocabulary, with the share covered."""
    import logging

    from gensim.test.utils import datapath

    logging.getLogger("gensim").setLevel(logging.WARNING)
    wordsim = datapath("wordsim353.tsv")
    pearson, spearman, oov_percent = kv.evaluate_word_pairs(wordsim)
    analogies = datapath("questions-words.txt")
    correct, answered, questions = analogy_accuracy(kv, analogies)
    return {
        "wordsim353_spearman": round(float(spearman.statistic if hasattr(spearman, "statistic") else spearman[0]), 4),
        "wordsim353_pairs_covered": round(1 - oov_percent / 100, 4),
        "accuracy": round(correct / max(answered, 1), 4),
        "analogy_questions_covered": round(answered / questions, 4),
        "analogy_accuracy_all_questions": round(correct / questions, 4),
        "vocabulary": len(kv),
        "dimensions": int(kv.vector_size),
    }


def evaluate(data_dir=None) -> dict:
    from .persistence import weights_dir

    metrics = {"model": "word2vec", "dataset": "wordsim353 + google-analogies (accuracy: analogies, covered questions)"}
    metrics.update(evaluate_vectors(load_vectors(weights_dir("word2vec"))))
    return metrics


def train(data_dir=None, epochs=None, seed=0) -> dict:
    from .persistence import weights_dir
    from .text import word2vec_sentences

    epochs = epochs or EPOCHS
    t0 = time.time()
    sentences, counts = word2vec_sentences(data_dir)
    print(f"{len(sentences):,} sentences, {sum(counts.values()):,} words: {counts}", flush=True)
    model = train_word2vec(sentences, epochs, seed,
                           on_epoch=lambda e, s: print(f"epoch {e}/{epochs}  {s:.0f}s", flush=True))
    kv = model.wv
    kv.expandos["count"] = np.array([kv.get_vecattr(w, "count") for w in kv.index_to_key], np.int64)
    save_vectors(kv, weights_dir("word2vec"), {**CONFIG, "epochs": epochs})
    return write_metrics_and_card(counts, epochs, seed, round(time.time() - t0), data_dir)


def write_metrics_and_card(counts: dict, epochs: int, seed: int, seconds: int, data_dir=None) -> dict:
    from .cards import write_model_card
    from .persistence import write_metrics

    metrics = evaluate(data_dir)
    corpora = ", ".join(f"{name} ({n:,})" for name, n in counts.items())
    metrics.update({
        "parameters": metrics["vocabulary"] * metrics["dimensions"], "epochs": epochs, "seed": seed,
        "train_seconds": seconds,
        "train_data": f"{sum(counts.values()):,} lower-cased words from {corpora}; MR: training split only, "
                      "lines identical to an MR test sentence dropped",
        "method": f"gensim {__import__('gensim').__version__} skip-gram, negative sampling "
                  f"(negative={CONFIG['negative']}, window={CONFIG['window']}, sample={CONFIG['sample']}, "
                  f"min_count={CONFIG['min_count']}, vocabulary capped at {CONFIG['max_final_vocab']:,}); "
                  "vectors shipped as float16 safetensors + vocab.json",
    })
    write_metrics("word2vec", metrics)
    write_model_card("word2vec")
    return metrics
