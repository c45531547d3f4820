"""LSTM tab: the sentiment of a sentence, read word by word, beside a plain RNN that lacks the gates."""
from __future__ import annotations

import unicodedata

import gradio as gr
import numpy as np

from .common import colorize, model_card

MAX_CHARS = 3000   # longer input is cut here (and the user is told)
MAX_WORDS = 100    # tokens read by the networks (MR sentences are ~20 tokens)
GATE_UNITS = 12    # hidden units shown per gate: the ones that move most over this sentence
CELL_W, CELL_H, LEFT, TOP = 26, 9, 118, 6
LABELS = ("negative", "positive")

# running P(positive) -> category shown in the highlighted sentence
BANDS = [(0.2, "negative"), (0.4, "leaning negative"), (0.6, "unsure"), (0.8, "leaning positive"), (1.01, "positive")]
BAND_COLORS = {"negative": "#d7301f", "leaning negative": "#fc8d59", "unsure": "#e0e0e0",
               "leaning positive": "#91bfdb", "positive": "#2166ac"}

# a sentence of 3+ words with none of these, and accents or many unknown words, is probably not English
FUNCTION_WORDS = frozenset("""a an the this that these those is are was were be been being am it it's its i you he she
we they me him her us them my your his our their and or but not no nor so too very of to in on at by for with from as
than then if when while what who which how all some any more most much just only also do does did don't doesn't isn't
can can't will won't would should could has have had there here""".split())

EXAMPLES = [
    ["A gorgeous, witty and moving film."],
    ["Visually stunning but emotionally empty."],
    ["The cast is wonderful, but the film is boring."],
    ["The acting is superb."],
    ["The acting is not superb."],
    ["This movie is not bad at all."],
    ["I expected to hate it, and I was not disappointed: it is every bit as tedious as the trailer promised."],
    ["Although the plot wanders and a few of the supporting performances feel thin, the director's confident "
     "visual style, a terrific lead performance and a genuinely surprising final act make this one of the most "
     "rewarding films of the year."],
]


class _Bundle:
    """A classifier, its vocabulary and its measured test accuracy, cached as one entry (sized by the
    parameters). It stays on the CPU: reading one sentence step by step is faster there than on a GPU."""

    def __init__(self, name: str):
        from models.persistence import read_metrics
        from models.sentiment import load_classifier

        self.model, self.vocab = load_classifier(name)
        self.model.requires_grad_(False)
        self.accuracy = read_metrics(name).get("accuracy")
        self.nbytes = sum(p.numel() * p.element_size() for p in self.model.parameters())


def load_sentiment_model(name: str) -> _Bundle:
    """The 'lstm' or 'rnn' classifier with its vocabulary, through the shared cache."""
    from models.cache import load_model

    try:
        return load_model(f"sentiment-{name}", lambda: _Bundle(name))
    except FileNotFoundError:
        raise gr.Error(f"The {name.upper()} weights are missing: run `python -m models train {name}`.") from None


def read_input(text) -> tuple[list[str], list[str]]:
    """Validate and tokenize the user's text -> (tokens, notes for the status line)."""
    from models.text import is_word, tokenize

    if text is None:
        text = ""
    if not isinstance(text, str):
        raise gr.Error("Text must be a string.")
    notes = []
    if len(text) > MAX_CHARS:
        notes.append(f"Your text has {len(text):,} characters; only the first {MAX_CHARS:,} were read.")
        text = text[:MAX_CHARS]
    if not text.strip():
        raise gr.Error("Type an English sentence, e.g. a line from a movie review.")
    tokens = tokenize(text)
    if not any(is_word(t) for t in tokens):
        kinds = {unicodedata.category(ch)[0] for ch in text if not ch.isspace()}
        what = "only emoji or symbols" if kinds & {"S", "C"} else "only punctuation or symbols"
        raise gr.Error(f"I found no words in that text ({what}). Type an English sentence.")
    if len(tokens) > MAX_WORDS:
        notes.append(f"The networks read the first {MAX_WORDS} of your {len(tokens):,} tokens.")
        tokens = tokens[:MAX_WORDS]
    return tokens, notes


def _band(p: float) -> str:
    return next(name for limit, name in BANDS if p < limit)


def highlight(tokens: list[str], probs: np.ndarray) -> list[tuple[str, str]]:
    """Each word with the band of P(positive) the network holds right after reading it."""
    return [(tok + " ", _band(float(p[1]))) for tok, p in zip(tokens, probs)]


def gate_heatmap(tokens: list[str], gates: dict[str, np.ndarray]) -> np.ndarray:
    """Input, forget and output gates (0..1, viridis) of the most active units, words along the bottom."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=12)
    word_h = 8 + max(int(font.getlength(t[:18])) for t in tokens)
    blocks = []
    for name, values in gates.items():  # values [T, H]
        units = np.sort(np.argsort(-values.std(axis=0))[:GATE_UNITS]) if len(tokens) > 1 else np.arange(GATE_UNITS)
        blocks.append((name, values[:, units].T))  # [units, T]
    height = TOP + len(blocks) * (GATE_UNITS * CELL_H + 14) + word_h
    width = LEFT + len(tokens) * CELL_W + 6
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    y = TOP
    for name, block in blocks:
        cells = np.repeat(np.repeat(colorize(block, 0.0, 1.0), CELL_H, axis=0), CELL_W, axis=1)
        img.paste(Image.fromarray(cells), (LEFT, y))
        draw.text((6, y + GATE_UNITS * CELL_H // 2 - 14), f"{name} gate", fill="black", font=font)
        draw.text((6, y + GATE_UNITS * CELL_H // 2 + 1), f"({GATE_UNITS} units)", fill="#666666", font=font)
        y += GATE_UNITS * CELL_H + 14
    for k, tok in enumerate(tokens):  # words written vertically under their column
        label = Image.new("RGB", (word_h, CELL_W), "white")
        ImageDraw.Draw(label).text((word_h - 4, CELL_W // 2), tok[:18], fill="black", font=font, anchor="rm")
        img.paste(label.rotate(90, expand=True), (LEFT + k * CELL_W, y - 8))
    draw.text((6, y + 2), "0", fill="black", font=font)
    scale = np.repeat(colorize(np.linspace(0, 1, 80)[None], 0, 1), 10, axis=0)
    img.paste(Image.fromarray(scale), (18, y + 6))
    draw.text((101, y + 2), "1", fill="black", font=font)
    return np.asarray(img)


def _verdict(title: str, probs: np.ndarray, accuracy) -> str:
    known = f"; {accuracy:.1%} test accuracy on 1,066 held-out snippets" if accuracy is not None else ""
    return f"**{title}**: {LABELS[int(probs.argmax())]} ({probs.max():.0%}{known})"


def _labels(probs: np.ndarray) -> dict[str, float]:
    return {label: float(p) for label, p in zip(LABELS, probs)}


def predict_sentiment(text):
    """Text -> (LSTM label, RNN label, LSTM running colours, RNN running colours, gate heatmap, status)."""
    from models.sentiment import trace
    from models.text import is_word

    tokens, notes = read_input(text)
    lstm, rnn = load_sentiment_model("lstm"), load_sentiment_model("rnn")
    vocab = lstm.vocab
    words = [t for t in tokens if is_word(t)]
    unknown = [w for w in words if w not in vocab]
    if len(unknown) == len(words):
        foreign = sum(not w.isascii() for w in words) > len(words) / 2
        hint = ("It does not look like English: this model only reads English." if foreign else
                "This model only knows English words seen in movie reviews and its Word2Vec corpus.")
        raise gr.Error(f"None of your words are in the model's vocabulary ({len(vocab):,} words). {hint}")
    foreign = sum(not w.isascii() for w in words) > 0 or len(unknown) * 3 >= len(words)
    if len(words) >= 3 and foreign and not FUNCTION_WORDS & set(words):
        notes.append("This does not look like English; the model only learned English, so the prediction is "
                     "probably meaningless.")
    elif len(unknown) * 2 > len(words):
        notes.append(f"Only {len(words) - len(unknown)} of {len(words)} words are known "
                     f"(unknown: {', '.join(unknown[:6])}{'…' if len(unknown) > 6 else ''}); the model reads English "
                     "movie-review language, so treat this prediction with care.")
    lstm_run = trace(lstm.model, lstm.vocab.encode(tokens))
    rnn_run = trace(rnn.model, rnn.vocab.encode(tokens))
    status = "  \n".join(_verdict(title, run["probs"][-1], bundle.accuracy)
                        for title, run, bundle in (("LSTM", lstm_run, lstm), ("plain RNN", rnn_run, rnn)))
    if notes:
        status += "\n\n" + "\n\n".join(f"⚠️ {n}" for n in notes)
    return (_labels(lstm_run["probs"][-1]), _labels(rnn_run["probs"][-1]), highlight(tokens, lstm_run["probs"]),
            highlight(tokens, rnn_run["probs"]), gate_heatmap(tokens, lstm_run["gates"]), status)


EXPLANATION = """
A **recurrent network** reads a sentence one word at a time and carries a memory vector `h` from word to word.
Both networks here learned the same way to tell positive from negative: word vectors from the Word2Vec tab, a warm-up
on 62k sentences of full movie reviews (each labelled with its review's verdict), then 9,596 movie-review snippets
(MR, Pang & Lee 2005). Their accuracy on 1,066 held-out snippets is shown after each prediction.

- **Plain RNN**: `h_t = tanh(W·x_t + U·h_{t-1} + b)`. Every word rewrites the whole memory, and the training
  signal fades as it flows back through many `tanh` steps, which makes long-range dependencies hard to learn.
- **LSTM**: a separate cell memory `c` and three *gates* (numbers between 0 and 1, one per memory unit) decide what
  to write, keep and show:
  `i_t = σ(W_i·x_t + U_i·h_{t-1} + b_i)` (input: how much of the new word to write),
  `f_t = σ(W_f·x_t + U_f·h_{t-1} + b_f)` (forget: how much old memory to keep),
  `o_t = σ(W_o·x_t + U_o·h_{t-1} + b_o)` (output: how much memory to reveal),
  `c_t = f_t ⊙ c_{t-1} + i_t ⊙ tanh(W_c·x_t + U_c·h_{t-1} + b_c)`, `h_t = o_t ⊙ tanh(c_t)`.

**Coloured sentence**: after each word the network's opinion *so far* (red negative … blue positive): the same
classifier that reads the last `h` at the end, applied to `h_t` after word *t*. Watch *but* flip the
verdict, and compare the two networks on long sentences. Negation is hard with only ~10k labelled snippets:
*not superb* only weakens *superb*, and *not bad* still reads as bad.
**Gate heatmap**: the LSTM's gates for the memory units that change most in your sentence (yellow = open ≈ 1,
purple = closed ≈ 0); a forget gate dropping at a word means the LSTM is wiping part of its memory there.
"""


def build() -> None:
    gr.Markdown(EXPLANATION)
    with gr.Row():
        with gr.Column(scale=1):
            text = gr.Textbox(label="An English sentence (a movie-review line works best)", lines=3,
                              value="Visually stunning but emotionally empty.")
            predict_btn = gr.Button("Read it", variant="primary")
            gr.Examples(EXAMPLES, inputs=text, label="Negation, contrast and long sentences")
        with gr.Column(scale=1):
            with gr.Row():
                lstm_label = gr.Label(num_top_classes=2, label="LSTM")
                rnn_label = gr.Label(num_top_classes=2, label="Plain RNN (tanh)")
            status = gr.Markdown()
    lstm_words = gr.HighlightedText(label="LSTM's opinion after each word", color_map=BAND_COLORS, show_legend=True,
                                    show_inline_category=False)
    rnn_words = gr.HighlightedText(label="Plain RNN's opinion after each word", color_map=BAND_COLORS,
                                   show_legend=True, show_inline_category=False)
    gates = gr.Image(label="LSTM gate activations: input i, forget f, output o (rows: memory units, columns: words)",
                     interactive=False, format="png")
    outputs = [lstm_label, rnn_label, lstm_words, rnn_words, gates, status]
    predict_btn.click(predict_sentiment, text, outputs, api_name="lstm_predict")
    text.submit(predict_sentiment, text, outputs, api_visibility="private")
    model_card("lstm", "rnn", "word2vec")
