"""LSTM tab: the sentiment of a sentence, read word by word, beside a plain RNN that lacks the gates."""
from __future__ import annotations

import unicodedata

import gradio as gr
import numpy as np

from ..common import colorize, error, fill, missing_weights, model_card, picture_text, principle, text_font
from ..i18n import t
from .memory import TEXT as MEMORY_TEXT, build_memory_section

MAX_CHARS = 3000   # longer input is cut here (and the user is told)
MAX_WORDS = 100    # tokens read by the networks (MR sentences are ~20 tokens)
GATE_UNITS = 12    # hidden units shown per gate: the ones that move most over this sentence
CELL_W, CELL_H, LEFT, TOP = 26, 9, 118, 6
LABELS = ("negative", "positive")

# request-time text (the browser cannot translate it): the English status as the API returned it before, a blank
# line, then the same in Chinese. Notes are (English, Chinese) pairs built from these templates.
STATUS = {
    "verdict": ("**{title}**: {label} ({p:.0%}{known})", "**{title}**：{label}（{label_zh}，{p:.0%}{known}）"),
    "known": ("; {accuracy:.1%} test accuracy on 1,066 held-out snippets",
              "；在 1,066 条留出短句上的测试准确率为 {accuracy:.1%}"),
    "too_long": ("Your text has {chars:,} characters; only the first {limit:,} were read.",
                 "你的文本有 {chars:,} 个字符，只读取了前 {limit:,} 个。"),
    "too_many_tokens": ("The networks read the first {limit} of your {tokens:,} tokens.",
                        "两个网络只读取了你的 {tokens:,} 个 token 中的前 {limit} 个。"),
    "not_english": ("This does not look like English; the model only learned English, so the prediction is "
                    "probably meaningless.", "这看起来不是英文；模型只学过英文，所以这个预测多半没有意义。"),
    "unknown_words": ("Only {known} of {words} words are known (unknown: {unknown}); the model reads English "
                      "movie-review language, so treat this prediction with care.",
                      "{words} 个词中只有 {known} 个是模型认识的（未知词：{unknown}）；模型读的是英文影评的语言，"
                      "请谨慎看待这个预测。"),
}
TITLES_ZH = {"LSTM": "LSTM", "plain RNN": "普通 RNN"}
LABELS_ZH = {"negative": "负面", "positive": "正面"}

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
        raise missing_weights(name) from None


def read_input(text) -> tuple[list[str], list[tuple[str, str]]]:
    """Validate and tokenize the user's text -> (tokens, (English, Chinese) notes for the status line)."""
    from models.text import is_word, tokenize

    if text is None:
        text = ""
    if not isinstance(text, str):
        raise error("Text must be a string.", "文本必须是字符串。")
    notes = []
    if len(text) > MAX_CHARS:
        notes.append(fill(STATUS["too_long"], chars=len(text), limit=MAX_CHARS))
        text = text[:MAX_CHARS]
    if not text.strip():
        raise error("Type an English sentence, e.g. a line from a movie review.", "请输入一句英文，例如一句影评。")
    tokens = tokenize(text)
    if not any(is_word(t) for t in tokens):
        kinds = {unicodedata.category(ch)[0] for ch in text if not ch.isspace()}
        what, what_zh = (("only emoji or symbols", "只有表情符号或符号") if kinds & {"S", "C"} else
                         ("only punctuation or symbols", "只有标点或符号"))
        raise error(f"I found no words in that text ({what}). Type an English sentence.",
                    f"这段文字里没有找到单词（{what_zh}）。请输入一句英文。")
    if len(tokens) > MAX_WORDS:
        notes.append(fill(STATUS["too_many_tokens"], limit=MAX_WORDS, tokens=len(tokens)))
        tokens = tokens[:MAX_WORDS]
    return tokens, notes


def _band(p: float) -> str:
    return next(name for limit, name in BANDS if p < limit)


def highlight(tokens: list[str], probs: np.ndarray) -> list[tuple[str, str]]:
    """Each word with the band of P(positive) the network holds right after reading it."""
    return [(tok + " ", _band(float(p[1]))) for tok, p in zip(tokens, probs)]


GATE_NAMES_ZH = {"input": "输入门", "forget": "遗忘门", "output": "输出门"}


def gate_heatmap(tokens: list[str], gates: dict[str, np.ndarray]) -> np.ndarray:
    """Input, forget and output gates (0..1, viridis) of the most active units, words along the bottom."""
    from PIL import Image, ImageDraw

    font = text_font(12)
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
        title = picture_text(f"{name} gate", GATE_NAMES_ZH[name], "\n")
        units = picture_text(f"({GATE_UNITS} units)", f"（{GATE_UNITS} 个单元）", "\n")
        lines = len(title.splitlines()) + len(units.splitlines())
        middle = y + GATE_UNITS * CELL_H // 2 - 8 * lines
        draw.multiline_text((6, middle), title, fill="black", font=font, spacing=2)
        draw.multiline_text((6, middle + 16 * len(title.splitlines())), units, fill="#666666", font=font, spacing=2)
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


def _verdict(title: str, probs: np.ndarray, accuracy) -> tuple[str, str]:
    """'**LSTM**: positive (97%; 79.3% test accuracy …)' in English and in Chinese."""
    label, p = LABELS[int(probs.argmax())], probs.max()
    known_en, known_zh = ((template.format(accuracy=accuracy) for template in STATUS["known"])
                          if accuracy is not None else ("", ""))
    en, zh = STATUS["verdict"]
    return (en.format(title=title, label=label, p=p, known=known_en),
            zh.format(title=TITLES_ZH[title], label=label, label_zh=LABELS_ZH[label], p=p, known=known_zh))


def status_markdown(verdicts: list[tuple[str, str]], notes: list[tuple[str, str]]) -> str:
    """The verdicts and ⚠️ notes in English, a blank line, then the same in Chinese."""
    parts = []
    for lang in (0, 1):
        part = "  \n".join(v[lang] for v in verdicts)
        if notes:
            part += "\n\n" + "\n\n".join(f"⚠️ {n[lang]}" for n in notes)
        parts.append(part)
    return "\n\n".join(parts)


def _labels(probs: np.ndarray) -> dict[str, float]:
    return {label: float(p) for label, p in zip(LABELS, probs)}


def predict_sentiment(text):
    """Tell whether an English sentence (e.g. a line from a movie review) is positive or negative, with an LSTM and a plain RNN.

    Args:
        text: One or a few English sentences (longer text is cut at the character limit).

    Returns:
        The LSTM's verdict (positive/negative with probabilities), the plain RNN's verdict, each network's
        opinion after every word (highlighted text), a heatmap of the LSTM's gates, and a status with the
        models' test accuracies and notes (e.g. unknown words).
    """
    from models.sentiment import trace
    from models.text import is_word

    tokens, notes = read_input(text)
    lstm, rnn = load_sentiment_model("lstm"), load_sentiment_model("rnn")
    vocab = lstm.vocab
    words = [t for t in tokens if is_word(t)]
    unknown = [w for w in words if w not in vocab]
    if len(unknown) == len(words):
        foreign = sum(not w.isascii() for w in words) > len(words) / 2
        hint, hint_zh = (("It does not look like English: this model only reads English.", "这看起来不是英文：本模型只读英文。")
                         if foreign else
                         ("This model only knows English words seen in movie reviews and its Word2Vec corpus.",
                          "本模型只认识影评及其 Word2Vec 语料中出现过的英文单词。"))
        raise error(f"None of your words are in the model's vocabulary ({len(vocab):,} words). {hint}",
                    f"你输入的词都不在模型的词表中（共 {len(vocab):,} 个词）。{hint_zh}")
    foreign = sum(not w.isascii() for w in words) > 0 or len(unknown) * 3 >= len(words)
    if len(words) >= 3 and foreign and not FUNCTION_WORDS & set(words):
        notes.append(fill(STATUS["not_english"]))
    elif len(unknown) * 2 > len(words):
        notes.append(fill(STATUS["unknown_words"], known=len(words) - len(unknown), words=len(words),
                           unknown=", ".join(unknown[:6]) + ("…" if len(unknown) > 6 else "")))
    lstm_run = trace(lstm.model, lstm.vocab.encode(tokens))
    rnn_run = trace(rnn.model, rnn.vocab.encode(tokens))
    status = status_markdown([_verdict(title, run["probs"][-1], bundle.accuracy)
                              for title, run, bundle in (("LSTM", lstm_run, lstm), ("plain RNN", rnn_run, rnn))], notes)
    return (_labels(lstm_run["probs"][-1]), _labels(rnn_run["probs"][-1]), highlight(tokens, lstm_run["probs"]),
            highlight(tokens, rnn_run["probs"]), gate_heatmap(tokens, lstm_run["gates"]), status)


TEXT = {
    "en": {
        "lstm.title": "LSTM",
        "lstm.intro": """
A **recurrent network** reads a sentence one word at a time and carries a memory vector `h` from word to word.
Both networks here learned the same way to tell positive from negative: word vectors from the Word2Vec tab, a warm-up
on 62k sentences of full movie reviews (each labelled with its review's verdict), then 9,596 movie-review snippets
(MR, Pang & Lee 2005). Their accuracy on 1,066 held-out snippets is shown after each prediction.

- **Plain RNN**: `h_t = tanh(W·x_t + U·h_{t-1} + b)`. Every word rewrites the whole memory, and the training
  signal fades as it flows back through many `tanh` steps, which makes long-range dependencies hard to learn.
- **LSTM**: a separate cell memory `c` and three *gates* (numbers between 0 and 1, one per memory unit) decide what
  to write, keep and show (the formulas are under *Principle*).

**Coloured sentence**: after each word the network's opinion *so far* (red negative … blue positive): the same
classifier that reads the last `h` at the end, applied to `h_t` after word *t*. Watch *but* flip the
verdict, and compare the two networks on long sentences. Negation is hard with only ~10k labelled snippets:
*not superb* only weakens *superb*, and *not bad* still reads as bad.
**Gate heatmap**: the LSTM's gates for the memory units that change most in your sentence (yellow = open ≈ 1,
purple = closed ≈ 0); a forget gate dropping at a word means the LSTM is wiping part of its memory there.
""",
        "lstm.principle": r"""
**What it computes.** At word $t$ the LSTM reads the word vector $x_t$ and its previous output $h_{t-1}$ and
computes, in PyTorch's order (input, forget, cell candidate, output):
$$\begin{aligned}
i_t &= \sigma(W_{i} x_t + U_{i} h_{t-1} + b_i) &\quad f_t &= \sigma(W_{f} x_t + U_{f} h_{t-1} + b_f)\\
g_t &= \tanh(W_{g} x_t + U_{g} h_{t-1} + b_g) &\quad o_t &= \sigma(W_{o} x_t + U_{o} h_{t-1} + b_o)\\
c_t &= f_t \odot c_{t-1} + i_t \odot g_t &\quad h_t &= o_t \odot \tanh(c_t)
\end{aligned}$$
$\sigma$ squashes to $(0, 1)$, so each gate is a per-unit valve. The cell $c_t$ changes by *addition*, scaled by
the forget gate: the gradient can flow back through many words without shrinking at every step, which is what the
plain RNN, $h_t = \tanh(W x_t + U h_{t-1} + b)$, lacks (its gradient is multiplied by $U$ and $\tanh'$ at each word
and vanishes).

**How it is trained.** A linear layer and softmax read the last $h_T$; the loss is cross-entropy against the
sentence's label, and *backpropagation through time* unrolls the network over the words. Embeddings start from
the Word2Vec vectors, the network warms up on 62k review sentences labelled by their review's verdict, then learns
the MR snippets (AdamW, one-cycle schedule, dropout).

**Strengths and weaknesses.** Handles sequences of any length with a fixed-size memory and learns what to remember;
but it reads strictly one step at a time (slow to train on long texts, no parallelism over time), and
transformers model long contexts better.

**Where it is used.** Speech and handwriting recognition, time series, keyboards, and machine translation before
transformers. In the heatmap below, the three blocks are $i_t$, $f_t$ and $o_t$ of the most active units: a
forget gate turning purple at a word means the memory $c$ is being cleared there.
""",
        "lstm.text": "An English sentence (a movie-review line works best)",
        "lstm.read": "Read it",
        "lstm.examples": "Negation, contrast and long sentences",
        "lstm.lstm": "LSTM",
        "lstm.rnn": "Plain RNN (tanh)",
        "lstm.lstm_words": "LSTM's opinion after each word",
        "lstm.rnn_words": "Plain RNN's opinion after each word",
        "lstm.gates": "LSTM gate activations: input i, forget f, output o (rows: memory units, columns: words)",
    },
    "zh-CN": {
        "lstm.title": "LSTM 长短期记忆",
        "lstm.intro": """
**循环神经网络**一次读一个词，并把一个记忆向量 `h` 从一个词传到下一个词。这里的两个网络用同样的方式学会分辨正面和负面评价：
先用 Word2Vec 标签页的词向量，再在 6.2 万句完整影评的句子上预热（每句的标签取自整篇影评的结论），最后学习 9,596 条影评
短句（MR 数据集，Pang & Lee 2005）。每次预测后都会显示它们在 1,066 条留出短句上的准确率。

- **普通 RNN**：`h_t = tanh(W·x_t + U·h_{t-1} + b)`。每个词都会改写整个记忆；训练信号在反向穿过许多个 `tanh` 步骤时
  逐渐消失，所以很难学到远距离的依赖关系。
- **LSTM**：多了一个单独的细胞记忆 `c` 和三个**门**（每个记忆单元一个 0 到 1 之间的数），决定写入什么、保留什么、
  输出什么（公式见“原理”）。

**着色的句子**：读完每个词后网络*到目前为止*的看法（红色为负面……蓝色为正面）：也就是把最后读 `h` 的同一个分类器，
用在第 *t* 个词之后的 `h_t` 上。留意 *but* 如何让判断反转，并比较两个网络在长句上的表现。只有约 1 万条标注短句时，
否定很难学会：*not superb* 只是削弱了 *superb*，*not bad* 仍被读成负面。
**门控热力图**：句子中变化最大的那些记忆单元的门值（黄色 = 打开 ≈ 1，紫色 = 关闭 ≈ 0）；遗忘门在某个词处变暗，
说明 LSTM 在那里清除了部分记忆。
""",
        "lstm.principle": r"""
**计算什么。** 在第 $t$ 个词，LSTM 读入词向量 $x_t$ 和上一步的输出 $h_{t-1}$，按 PyTorch 的顺序（输入门、遗忘门、
候选记忆、输出门）计算：
$$\begin{aligned}
i_t &= \sigma(W_{i} x_t + U_{i} h_{t-1} + b_i) &\quad f_t &= \sigma(W_{f} x_t + U_{f} h_{t-1} + b_f)\\
g_t &= \tanh(W_{g} x_t + U_{g} h_{t-1} + b_g) &\quad o_t &= \sigma(W_{o} x_t + U_{o} h_{t-1} + b_o)\\
c_t &= f_t \odot c_{t-1} + i_t \odot g_t &\quad h_t &= o_t \odot \tanh(c_t)
\end{aligned}$$
$\sigma$ 把数值压到 $(0, 1)$，所以每个门都是逐单元的“阀门”。细胞状态 $c_t$ 以**加法**更新，只被遗忘门按比例缩放：
梯度可以反向穿过许多个词而不在每一步都缩小。普通 RNN $h_t = \tanh(W x_t + U h_{t-1} + b)$ 缺的正是这一点——
它的梯度每经过一个词都要乘上 $U$ 和 $\tanh'$，很快就消失了（梯度消失）。

**怎样训练。** 线性层加 softmax 读取最后的 $h_T$，损失是与句子标签之间的交叉熵；**随时间反向传播**（BPTT）把网络沿着
词序展开求梯度。词嵌入由 Word2Vec 向量初始化，先在按整篇影评结论标注的 6.2 万句句子上预热，再学习 MR 短句
（AdamW、one-cycle 学习率调度、dropout）。

**优点与不足。** 用固定大小的记忆处理任意长度的序列，并学会该记住什么；但只能一步一步地读（长文本训练慢，无法在时间维度上
并行），对很长上下文的建模也不如 Transformer。

**应用场景。** 语音识别、手写识别、时间序列、输入法，以及 Transformer 出现之前的机器翻译。下方热力图的三块分别是最活跃
单元的 $i_t$、$f_t$ 和 $o_t$：遗忘门在某个词处变成紫色，说明记忆 $c$ 在那里被清空。
""",
        "lstm.text": "一句英文（影评句子效果最好）",
        "lstm.read": "读一读",
        "lstm.examples": "否定、转折和长句",
        "lstm.lstm": "LSTM",
        "lstm.rnn": "普通 RNN（tanh）",
        "lstm.lstm_words": "LSTM 每读一个词后的看法",
        "lstm.rnn_words": "普通 RNN 每读一个词后的看法",
        "lstm.gates": "LSTM 门控激活：输入门 i、遗忘门 f、输出门 o（行：记忆单元，列：词）",
    },
}

for _lang in TEXT:  # the live section's text (demos/lstm/memory.py) under the same "lstm." prefix
    TEXT[_lang].update(MEMORY_TEXT[_lang])


def build() -> None:
    gr.Markdown(t("lstm.intro"))
    principle("lstm.principle")
    with gr.Row():
        with gr.Column(scale=1):
            text = gr.Textbox(label=t("lstm.text"), lines=3,
                              value="Visually stunning but emotionally empty.")
            predict_btn = gr.Button(t("lstm.read"), variant="primary")
            gr.Examples(EXAMPLES, inputs=text, label=t("lstm.examples"))
        with gr.Column(scale=1):
            with gr.Row():
                lstm_label = gr.Label(num_top_classes=2, label=t("lstm.lstm"))
                rnn_label = gr.Label(num_top_classes=2, label=t("lstm.rnn"))
            status = gr.Markdown()
    lstm_words = gr.HighlightedText(label=t("lstm.lstm_words"), color_map=BAND_COLORS, show_legend=True,
                                    show_inline_category=False)
    rnn_words = gr.HighlightedText(label=t("lstm.rnn_words"), color_map=BAND_COLORS,
                                   show_legend=True, show_inline_category=False)
    gates = gr.Image(label=t("lstm.gates"), interactive=False, format="png")
    outputs = [lstm_label, rnn_label, lstm_words, rnn_words, gates, status]
    predict_btn.click(predict_sentiment, text, outputs, api_name="lstm_predict")
    text.submit(predict_sentiment, text, outputs, api_visibility="private")
    model_card("lstm", "rnn", "word2vec")
    build_memory_section()
