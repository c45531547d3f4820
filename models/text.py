"""Text for the LSTM and Word2Vec tabs: one tokenizer, a vocabulary, and readers for the corpora.

All corpora are read from `../shared/data/text` (or `--data-dir` / `$DLHUB_DATA_DIR`), the
NLTK ones straight out of their zips with `zipfile`; nothing is copied into the repository.

- `tokenize(text)`: lower-case words (letters/digits with inner ' or -, so "it's" and
  "well-made" stay whole, as in MR) plus the punctuation that carries sentiment (! ? , .).
- `mr_split(seed)`: the MR sentence-polarity data with its fixed, seeded 90/10 train/test split.
- `word2vec_sentences()`: every English corpus as lists of words, minus the MR test sentences.
"""
from __future__ import annotations

import json
import os
import re
import sys
import zipfile
from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .data import DataMissingError, data_dir

WORD_RE = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
TOKEN_RE = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*|[!?,.]")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u2013": "-", "\u2014": "-"})

MR_SEED = 0
MR_TEST_SHARE = 0.1
PAD, UNK = "<pad>", "<unk>"


def tokenize(text: str, punctuation: bool = True) -> list[str]:
    """Lower-case word tokens (and ! ? , . when `punctuation`)."""
    text = text.translate(_QUOTES).lower()
    return (TOKEN_RE if punctuation else WORD_RE).findall(text)


def is_word(token: str) -> bool:
    return WORD_RE.fullmatch(token) is not None


# --- vocabulary ----------------------------------------------------------
class Vocabulary:
    """token <-> id; id 0 is padding, id 1 the unknown word."""

    def __init__(self, tokens: Iterable[str]):
        self.itos = [PAD, UNK] + [t for t in tokens if t not in (PAD, UNK)]
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    @classmethod
    def build(cls, sentences: Iterable[list[str]], min_count: int = 1, max_size: int | None = None) -> "Vocabulary":
        counts = Counter(t for s in sentences for t in s)
        ranked = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
        return cls(ranked[:max_size])

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def encode(self, tokens: list[str]) -> list[int]:
        return [self.stoi.get(t, 1) for t in tokens]

    def save(self, path: str | os.PathLike) -> None:
        Path(path).write_text(json.dumps(self.itos[2:], ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocabulary":
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))


# --- corpora -------------------------------------------------------------
def text_dir(root=None) -> Path:
    return data_dir(root) / "text"


def _decode(raw: bytes) -> str:
    """UTF-8 where it is (some MR lines are), else latin-1 (the files' declared encoding)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _require(path: Path) -> Path:
    if not path.exists():
        raise DataMissingError(f"{path} not found (set --data-dir or DLHUB_DATA_DIR)")
    return path


def load_mr(root=None) -> tuple[list[str], np.ndarray]:
    """All 10,662 MR sentences (negatives first) and their labels (1 = positive)."""
    folder = text_dir(root) / "rt-polarity"
    texts, labels = [], []
    for label, name in ((0, "rt-polarity.neg"), (1, "rt-polarity.pos")):
        lines = _require(folder / name).read_bytes().splitlines()
        texts += [_decode(line).strip() for line in lines if line.strip()]
        labels += [label] * sum(1 for line in lines if line.strip())
    return texts, np.array(labels, np.int64)


def mr_split(root=None, seed: int = MR_SEED):
    """The fixed split: a seeded permutation, the last 10% (1,067 sentences) is the test set.

    Returns ((train_texts, train_labels), (test_texts, test_labels))."""
    texts, labels = load_mr(root)
    order = np.random.default_rng(seed).permutation(len(texts))
    n_test = int(round(len(texts) * MR_TEST_SHARE))
    train_idx, test_idx = order[:-n_test], order[-n_test:]
    return ([texts[i] for i in train_idx], labels[train_idx]), ([texts[i] for i in test_idx], labels[test_idx])


def _zip_files(root, corpus: str, accept=lambda name: True) -> Iterator[tuple[str, str]]:
    """(member name, text) of every document in an NLTK corpus zip."""
    path = _require(text_dir(root) / "nltk" / f"{corpus}.zip")
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            base = name.rsplit("/", 1)[-1]
            if name.endswith("/") or base.upper().startswith("README") or base == "CONTENTS" or not accept(name):
                continue
            yield name, _decode(z.read(name))


def _zip_texts(root, corpus: str, accept=lambda name: True) -> Iterator[str]:
    for _, text in _zip_files(root, corpus, accept):
        yield text


def _mr_test_keys(root) -> set[str]:
    return {" ".join(tokenize(t, punctuation=False)) for t in mr_split(root)[1][0]}


def movie_review_sentences(root=None, min_words: int = 6) -> tuple[list[str], np.ndarray]:
    """The 2,000 NLTK movie reviews (Pang & Lee 2004) cut into their lines (one sentence each), every line
    labelled with its review's polarity (1 = positive): noisy, distant supervision for pretraining.
    Lines identical to an MR test sentence are dropped."""
    test_keys = _mr_test_keys(root)
    texts, labels = [], []
    for name, text in _zip_files(root, "movie_reviews", lambda n: "/pos/" in n or "/neg/" in n):
        for line in _lines(text):
            words = tokenize(line, punctuation=False)
            if len(words) >= min_words and " ".join(words) not in test_keys:
                texts.append(line.strip())
                labels.append(int("/pos/" in name))
    return texts, np.array(labels, np.int64)


def _lines(text: str) -> Iterator[str]:
    for line in text.splitlines():
        if line.strip():
            yield line


def _brown(root) -> Iterator[str]:
    for text in _zip_texts(root, "brown"):
        for line in _lines(text):  # "The/at jury/nn said/vbd ..." -> the words
            yield " ".join(tok.rsplit("/", 1)[0] for tok in line.split())


def _conll(root) -> Iterator[str]:
    for text in _zip_texts(root, "conll2000"):
        words = []
        for line in text.splitlines():  # "word POS chunk", a blank line ends a sentence
            if line.strip():
                words.append(line.split(" ", 1)[0])
            elif words:
                yield " ".join(words)
                words = []
        if words:
            yield " ".join(words)


def _plain(corpus: str, accept=lambda name: True):
    def read(root) -> Iterator[str]:
        for text in _zip_texts(root, corpus, accept):
            yield from _lines(text)
    return read


def _mr_train(root) -> Iterator[str]:
    yield from mr_split(root)[0][0]


def _shakespeare(root) -> Iterator[str]:
    yield from _lines(_require(text_dir(root) / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8"))


# the English corpora Word2Vec learns from (MR: its training split only, so the LSTM test set stays unseen)
CORPORA = {
    "brown": _brown,
    "abc": _plain("abc"),
    "movie_reviews": _plain("movie_reviews"),
    "state_union": _plain("state_union"),
    "webtext": _plain("webtext"),
    "inaugural": _plain("inaugural"),
    "conll2000": _conll,
    "subjectivity": _plain("subjectivity", lambda name: "tok.gt9" in name),
    "mr-train": _mr_train,
    "tinyshakespeare": _shakespeare,
}


def word2vec_sentences(root=None, corpora: Iterable[str] = tuple(CORPORA)) -> tuple[list[list[str]], dict]:
    """Every corpus as lists of lower-case words (one list per line/sentence), and word counts per corpus.

    Lines identical to an MR test sentence are dropped (subjectivity quotes come from the same site)."""
    test_texts = _mr_test_keys(root)
    sentences, counts = [], {}
    for name in corpora:
        words_in_corpus = 0
        for line in CORPORA[name](root):
            words = [sys.intern(w) for w in tokenize(line, punctuation=False)]
            if len(words) < 2 or " ".join(words) in test_texts:
                continue
            sentences.append(words)
            words_in_corpus += len(words)
        counts[name] = words_in_corpus
    return sentences, counts
