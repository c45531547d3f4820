"""Sentence sentiment on MR (rt-polarity): an LSTM and its plain-RNN twin, trained the same way.

Both read a sentence left to right and classify from their last hidden state; the same head applied
to h_t after each word t gives the running prediction, so the tab can colour every word by what the
network believes so far (the last step is the sentence's prediction). Embeddings start from this
hub's Word2Vec vectors (weights/word2vec), which were trained without the MR test split.

Training: first PRE_EPOCHS epochs on ~62k lines of the NLTK movie_reviews corpus, each labelled with
its whole review's polarity (distant supervision: noisy, but 6x more text), then EPOCHS on MR.
Split: MR's 10,662 sentences, seeded permutation (numpy default_rng(0)), last 10% = 1,066 test
sentences (`models.text.mr_split`); hyperparameters were chosen on held-out fifths of the training
part (`prepare(validation=fold)`), never on the test set.

    python -m models train lstm       # ~4 min on 1 CPU thread (needs weights/word2vec)
    python -m models train rnn
    python -m models evaluate lstm    # last line: JSON metrics on the MR test split
"""
from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .text import MR_SEED, Vocabulary, movie_review_sentences, mr_split, tokenize

# --- hyperparameters -----------------------------------------------------
EPOCHS = 8
PRE_EPOCHS = 2          # first, distant supervision: movie_reviews sentences labelled by their review
BATCH_SIZE = 50
LR = 2e-3
EMBED_LR = 5e-4         # the pretrained embeddings move more slowly than the rest
WEIGHT_DECAY = 1e-4
MAX_LEN = 80            # training truncation (MR sentences: median 20 tokens, max ~60)
WORD_DROPOUT = 0.0      # share of training tokens replaced by <unk> each batch
VOCAB_EXTRA = 20000     # Word2Vec words added to the MR-train vocabulary, so unseen words keep a meaning
LABELS = ("negative", "positive")


class SentimentRNN(nn.Module):
    """Embedding -> one-layer LSTM (or tanh RNN) -> linear head on the last hidden state
    (`pool="max"`: on the running max of the hidden states instead)."""

    def __init__(self, vocab_size: int, embed_dim: int = 100, hidden: int = 128, cell: str = "lstm",
                 dropout: float = 0.5, embed_dropout: float = 0.25, pool: str = "last"):
        super().__init__()
        if cell not in ("lstm", "rnn") or pool not in ("last", "max"):
            raise ValueError(f"cell must be lstm or rnn (got {cell!r}), pool last or max (got {pool!r})")
        self.cell, self.pool = cell, pool
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        rnn_cls = nn.LSTM if cell == "lstm" else nn.RNN
        self.rnn = rnn_cls(embed_dim, hidden, batch_first=True)
        self.embed_drop = nn.Dropout(embed_dropout)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, 2)

    def states(self, ids: torch.Tensor) -> torch.Tensor:
        """Hidden states h_t [B, T, H]; right padding cannot affect earlier steps (left-to-right)."""
        out, _ = self.rnn(self.embed_drop(self.embedding(ids)))
        return out

    def summary(self, h: torch.Tensor, dim: int) -> torch.Tensor:
        """What the head reads after each step: h_t itself, or the running max of h_1..h_t."""
        return torch.cummax(h, dim=dim).values if self.pool == "max" else h

    def running_logits(self, ids: torch.Tensor) -> torch.Tensor:
        """Logits after each word [B, T, 2]."""
        return self.head(self.drop(self.summary(self.states(ids), 1)))

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        running = self.summary(self.states(ids), 1)
        last = running[torch.arange(len(ids), device=ids.device), lengths - 1]
        return self.head(self.drop(last))


# --- reading one sentence step by step (what the tab shows) ------------------
@torch.inference_mode()
def trace(model: SentimentRNN, ids: list[int]) -> dict:
    """Run one sentence through the cell by hand: P(class) after each word, and for an LSTM the
    input/forget/output gates [T, H]. Matches `model.running_logits` (tests check it)."""
    w = {name: p.detach().float().cpu() for name, p in model.rnn.named_parameters()}
    x = model.embedding(torch.tensor(ids, device=model.embedding.weight.device)).float().cpu()
    pre_x = x @ w["weight_ih_l0"].T + w["bias_ih_l0"] + w["bias_hh_l0"]  # [T, G*H]
    hidden = w["weight_hh_l0"].shape[1]
    h, c = torch.zeros(hidden), torch.zeros(hidden)
    hs, gates = [], {"input": [], "forget": [], "output": []}
    for t in range(len(ids)):
        pre = pre_x[t] + w["weight_hh_l0"] @ h
        if model.cell == "lstm":
            i, f, g, o = pre.split(hidden)  # PyTorch's gate order
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            for name, gate in (("input", i), ("forget", f), ("output", o)):
                gates[name].append(gate)
        else:
            h = torch.tanh(pre)
        hs.append(h)
    running = model.summary(torch.stack(hs), 0)
    logits = F.linear(running, model.head.weight.float().cpu(), model.head.bias.float().cpu())
    probs = torch.softmax(logits, dim=1).numpy()
    result = {"probs": probs, "hidden": torch.stack(hs).numpy()}
    if model.cell == "lstm":
        result["gates"] = {k: torch.stack(v).numpy() for k, v in gates.items()}
    return result


# --- data ----------------------------------------------------------------
def encode(vocab: Vocabulary, texts: list[str], max_len: int = MAX_LEN) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded ids [N, T] and lengths [N]; an empty sentence becomes one unknown token."""
    seqs = [vocab.encode(tokenize(t))[:max_len] or [1] for t in texts]
    lengths = torch.tensor([len(s) for s in seqs])
    ids = torch.zeros(len(seqs), int(lengths.max()), dtype=torch.long)
    for k, s in enumerate(seqs):
        ids[k, :len(s)] = torch.tensor(s)
    return ids, lengths


@torch.inference_mode()
def predict_proba(model: SentimentRNN, ids: torch.Tensor, lengths: torch.Tensor, batch: int = 500) -> np.ndarray:
    model.eval()
    return torch.cat([torch.softmax(model(ids[i:i + batch], lengths[i:i + batch]), 1)
                      for i in range(0, len(ids), batch)]).numpy()


def build_vocabulary(train_texts: list[str], word_vectors=None) -> Vocabulary:
    """Every token of the MR training sentences, then the most frequent Word2Vec words."""
    vocab = Vocabulary.build([tokenize(t) for t in train_texts], min_count=1)
    if word_vectors is not None:
        extra = [w for w in word_vectors.index_to_key if w not in vocab][:VOCAB_EXTRA]
        vocab = Vocabulary(vocab.itos[2:] + extra)
    return vocab


def init_embeddings(model: SentimentRNN, vocab: Vocabulary, word_vectors, generator: torch.Generator) -> int:
    """Copy Word2Vec vectors into the embedding (rescaled to the init's spread); returns how many."""
    weight = model.embedding.weight.data
    weight.normal_(0, 0.1, generator=generator)
    weight[0] = 0
    if word_vectors is None:
        return 0
    rows = [(i, word_vectors.key_to_index[w]) for i, w in enumerate(vocab.itos) if w in word_vectors.key_to_index]
    vecs = torch.from_numpy(word_vectors.vectors[[j for _, j in rows]]).float()
    weight[[i for i, _ in rows]] = vecs / vecs.std() * 0.1 * 3
    return len(rows)


def train_classifier(model: SentimentRNN, train, test, epochs: int, seed: int, log=print) -> list[dict]:
    torch.manual_seed(seed)  # training script, not a request handler: global seeding is fine
    gen = torch.Generator().manual_seed(seed)
    (x, lx, y), (xt, lxt, yt) = train, test
    embed = [model.embedding.weight]
    rest = [p for n, p in model.named_parameters() if not n.startswith("embedding")]
    opt = torch.optim.AdamW([{"params": embed, "lr": EMBED_LR, "weight_decay": 0.0},
                             {"params": rest, "lr": LR}], weight_decay=WEIGHT_DECAY)
    steps = epochs * math.ceil(len(x) / BATCH_SIZE)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[EMBED_LR, LR], total_steps=steps, pct_start=0.2)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        t0, total, seen = time.time(), 0.0, 0
        for idx in torch.randperm(len(x), generator=gen).split(BATCH_SIZE):
            length = int(lx[idx].max())
            xb = x[idx, :length]
            if WORD_DROPOUT:
                drop = (torch.rand(xb.shape, generator=gen) < WORD_DROPOUT) & (xb > 1)
                xb = xb.masked_fill(drop, 1)
            loss = F.cross_entropy(model(xb, lx[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            seen += len(idx)
        acc = float((predict_proba(model, xt, lxt).argmax(1) == yt.numpy()).mean())
        history.append({"epoch": epoch, "train_loss": round(total / seen, 4), "held_out_accuracy": round(acc, 4)})
        log(f"epoch {epoch:3d}  loss {total / seen:.4f}  held-out acc {acc:.4f}  ({time.time() - t0:.1f}s)")
    return history


# --- the `python -m models train|evaluate lstm|rnn` entry points -----------
def load_classifier(name: str, folder=None) -> tuple[SentimentRNN, Vocabulary]:
    from .persistence import from_pretrained, weights_dir

    folder = folder or weights_dir(name)
    return from_pretrained(SentimentRNN, folder), Vocabulary.load(folder / "vocab.json")


def _evaluate(name: str, data_dir=None) -> dict:
    model, vocab = load_classifier(name)
    _, (texts, labels) = mr_split(data_dir)
    ids, lengths = encode(vocab, texts, max_len=10_000)
    acc = float((predict_proba(model, ids, lengths).argmax(1) == labels).mean())
    return {"model": name, "dataset": "mr-test (seed-0 split, 1,066 sentences)", "accuracy": round(acc, 4),
            "n": int(len(labels))}


def evaluate_lstm(data_dir=None) -> dict:
    return _evaluate("lstm", data_dir)


def evaluate_rnn(data_dir=None) -> dict:
    return _evaluate("rnn", data_dir)


def _load_word_vectors():
    from .persistence import weights_dir
    from .word2vec import load_vectors

    try:
        return load_vectors(weights_dir("word2vec"))
    except FileNotFoundError:
        raise SystemExit("weights/word2vec is missing: run `python -m models train word2vec` first") from None


def prepare(cell: str, data_dir=None, seed: int = 0, validation: bool = False, **config):
    """Model, vocabulary and encoded (train, held-out) data. `validation` (True or a fold 0..4): hold out
    a fifth of the training split instead of using the test split (for choosing hyperparameters)."""
    (train_texts, train_y), (test_texts, test_y) = mr_split(data_dir)
    if validation is not False:  # True or a fold number 0..4: hold out that fifth of the training split
        fold = 4 if validation is True else int(validation)
        lo, hi = len(train_texts) * fold // 5, len(train_texts) * (fold + 1) // 5
        test_texts, test_y = train_texts[lo:hi], train_y[lo:hi]
        train_texts, train_y = train_texts[:lo] + train_texts[hi:], np.concatenate([train_y[:lo], train_y[hi:]])
    word_vectors = _load_word_vectors()
    vocab = build_vocabulary(train_texts, word_vectors)
    model_config = {"vocab_size": len(vocab), "embed_dim": word_vectors.vector_size, "hidden": 128,
                    "cell": cell, "pool": "last", **config}
    torch.manual_seed(seed)
    model = SentimentRNN(**model_config)
    n_init = init_embeddings(model, vocab, word_vectors, torch.Generator().manual_seed(seed))
    train = (*encode(vocab, train_texts), torch.from_numpy(train_y))
    test = (*encode(vocab, test_texts, max_len=10_000), torch.from_numpy(test_y))
    pre_texts, pre_y = movie_review_sentences(data_dir)
    pretrain = (*encode(vocab, pre_texts), torch.from_numpy(pre_y))
    return model, model_config, vocab, pretrain, train, test, n_init


def _train(cell: str, data_dir=None, epochs=None, seed=0) -> dict:
    from .cards import write_model_card
    from .persistence import save_pretrained, weights_dir, write_metrics

    torch.set_num_threads(1)
    epochs = epochs or EPOCHS
    model, config, vocab, pretrain, train, test, n_init = prepare(cell, data_dir, seed)
    t0 = time.time()
    print(f"pretraining on {len(pretrain[0]):,} movie_reviews sentences", flush=True)
    pre_history = train_classifier(model, pretrain, test, PRE_EPOCHS, seed)
    print(f"fine-tuning on {len(train[0]):,} MR training sentences", flush=True)
    history = train_classifier(model, train, test, epochs, seed)
    folder = weights_dir(cell)
    model.embedding.half()  # the embedding table is stored as float16 (fits the 10 MB limit); loads as float32
    save_pretrained(model, folder, config)
    vocab.save(folder / "vocab.json")
    metrics = _evaluate(cell, data_dir)
    metrics.update({
        "parameters": sum(p.numel() for p in model.parameters()),
        "epochs": epochs, "seed": seed, "train_seconds": round(time.time() - t0),
        "train_data": f"MR sentence polarity, seeded split (numpy default_rng({MR_SEED}) permutation, last 10% test; "
                      f"{len(train[0]):,} train / {len(test[0]):,} test sentences); before it, {PRE_EPOCHS} epochs on "
                      f"{len(pretrain[0]):,} lines of NLTK movie_reviews labelled by their review's polarity",
        "method": f"{'LSTM' if cell == 'lstm' else 'tanh RNN'}, hidden {config['hidden']}, linear head on the last "
                  f"hidden state; embeddings ({len(vocab):,} words, {n_init:,} from weights/word2vec) "
                  f"fine-tuned; distant-supervision pretraining, then MR; AdamW, one-cycle LR, dropout; "
                  f"fixed epochs, final weights kept (hyperparameters chosen on folds of the training split, "
                  f"never on the test set)",
        "history": [{"stage": "pretrain", **h} for h in pre_history] + [{"stage": "mr", **h} for h in history],
    })
    write_metrics(cell, metrics)
    write_model_card(cell)
    return metrics


def train_lstm(data_dir=None, epochs=None, seed=0) -> dict:
    return _train("lstm", data_dir, epochs, seed)


def train_rnn(data_dir=None, epochs=None, seed=0) -> dict:
    return _train("rnn", data_dir, epochs, seed)
