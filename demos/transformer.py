"""Transformer tab: a small GPT writing Shakespeare, streamed token by token, and its attention made visible.

Our model and the optional hub checkpoints load the same way (`from_pretrained` on a
save_pretrained folder or a hub id: safetensors only, never remote code) through the
shared model cache. Generation is a hand-written sampling loop over the KV cache, so each
token is streamed as soon as it exists and sampling uses the request's own generator.
"""
from __future__ import annotations

import time
import unicodedata

import gradio as gr
import numpy as np

from .common import (check_choice, check_number, colorize, error, fill, load_from_hub, missing_weights, model_card,
                     principle, seed_generator, text_font, upscale)
from .i18n import t
from .live import HEAVY

OURS = "Tiny Shakespeare GPT (this hub, characters)"
# choice -> hub id; the allow-list of online checkpoints (loaded only when picked)
HUB_MODELS = {
    "distilgpt2 (hub, 82M parameters, English)": "distilbert/distilgpt2",
    "gpt2 (hub, 124M parameters, English)": "openai-community/gpt2",
    "gpt2-chinese-cluecorpussmall (hub, 102M parameters, Chinese)": "uer/gpt2-chinese-cluecorpussmall",
}
CHOICES = [OURS, *HUB_MODELS]
NO_SPACES = {"uer/gpt2-chinese-cluecorpussmall"}  # its BERT tokenizer decodes with a space between characters

LIMITS = {"max_new_tokens": (1, 500), "temperature": (0.05, 2.0), "top_k": (0, 200), "top_p": (0.05, 1.0)}
MAX_PROMPT_CHARS = 200_000   # longer text is cut (its end is kept) before tokenizing
MAX_INSPECT_TOKENS = 48      # the attention view reads at most this many (the last ones)

# characters our tokenizer does not have, mapped to ones it does (the rest are dropped)
_CHAR_MAP = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", '"': "'", "\u201c": "'",
                           "\u201d": "'", "\u2013": "-", "\u2014": "-", "\t": " ", "\r": "", "\u00a0": " ",
                           "\u2026": "..."})

EXAMPLES = [
    ["ROMEO:\nO, she doth teach the torches to burn bright!\n"],
    ["KING HENRY:\nOnce more unto the breach, dear friends,"],
    ["First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\n"],
    [""],
]

# Text made at request time, (English, Chinese): the server does not know the language picked in the browser, so
# a status shows both, English first (API clients and tests match it), then a blank line and the Chinese.
STATUS = {
    "writing": ("Writing…", "生成中…"),
    "done": ("**Done**", "**完成**"),
    "speed": ("{head} · {count} new token(s) · first token after {ms:.0f} ms{rate} · {model}",
              "{head} · 已生成 {count} 个新 token · 首个 token 用时 {ms:.0f} 毫秒{rate} · {model}"),
    "rate": (" · {rate:.0f} tokens/s after it", " · 之后每秒 {rate:.0f} 个 token"),
    "inspect": ("**Layer {layer}, head {head}** of {model}, reading {count} token(s). "
                "The last token “{last}” attends most to {described}. "
                "Largest weight above the diagonal: {upper:.1g} — the causal mask at work.",
                "{model} 的**第 {layer} 层、第 {head} 个注意力头**，读入 {count} 个 token。"
                "最后一个 token “{last}” 最关注的是 {described}。"
                "对角线上方的最大权重：{upper:.1g}——这正是因果掩码在起作用。"),
    "focus": ("“{label}” (position {position}, {weight:.0%})", "“{label}”（位置 {position}，{weight:.0%}）"),
    # notes about the prompt, shown under the status as ⚠️ paragraphs
    "mapped": ("Mapped characters the model does not know to ones it does: {pairs}.",
               "已把模型不认识的字符换成了它认识的字符：{pairs}。"),
    "dropped": ("Dropped {count} character(s) the model never saw in training: {listed} "
                "(it knows only the {known} characters of Tiny Shakespeare).",
                "删去了 {count} 个模型在训练中从未见过的字符：{listed}"
                "（它只认识 Tiny Shakespeare 语料中的 {known} 个字符）。"),
    "unknown": ("{count} piece(s) of your text are not in this model's vocabulary and became {unk}.",
                "你的文本中有 {count} 个片段不在该模型的词表中，已变成 {unk}。"),
    "empty": ("Nothing of your prompt is left, so the model starts from its start token.",
              "你的提示词什么都没有剩下，所以模型从它的起始 token 开始写。"),
    "cut": ("Your prompt is {count:,} tokens long; the model reads only its last {keep} "
            "({chars:,} characters, from “{start}…”): its context window.",
            "你的提示词有 {count:,} 个 token；模型只读最后 {keep} 个（{chars:,} 个字符，从“{start}…”开始）："
            "这就是它的上下文窗口。"),
}


def _warnings(notes: list[tuple[str, str]]) -> tuple[str, str]:
    """Notes as ⚠️ paragraphs to append to a text: (the English ones, the Chinese ones)."""
    return "".join(f"\n\n⚠️ {en}" for en, _ in notes), "".join(f"\n\n⚠️ {zh}" for _, zh in notes)


# --- loading -----------------------------------------------------------------------
def load_checkpoint(source, local_only: bool = True):
    """(model, tokenizer) from a save_pretrained folder or hub id, through models.gpt.load_pretrained."""
    from models.gpt import load_pretrained

    return load_pretrained(source, local_only=local_only)


def _load_hub(hub_id: str, part: str):
    """The model or tokenizer of an allow-listed hub checkpoint (the local HF cache first, then the internet)."""
    return load_from_hub(hub_id, load_checkpoint, (f"'{OURS}'", f"“{OURS}”"))[part == "tokenizer"]


class LanguageModel:
    """What a handler needs: the network, its tokenizer and how to read/write text with them."""

    def __init__(self, choice: str, model, tokenizer):
        self.choice, self.model, self.tokenizer = choice, model, tokenizer
        self.hub_id = HUB_MODELS.get(choice)
        self.block = int(getattr(model.config, "n_positions", None) or model.config.max_position_embeddings)
        if not hasattr(tokenizer, "dlhub_chars"):  # computed once per loaded tokenizer
            vocab = tokenizer.get_vocab()
            tokenizer.dlhub_chars = set(vocab) if all(len(t) == 1 for t in vocab) else None
        self.chars = tokenizer.dlhub_chars  # the known characters of a character-level tokenizer, else None
        self.device = next(model.parameters()).device

    def encode(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def decode(self, ids) -> str:
        text = self.tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)
        return text.replace(" ", "") if self.hub_id in NO_SPACES else text

    def start_ids(self) -> list[int]:
        """What an empty prompt becomes: a newline for ours, else the tokenizer's start/end token."""
        ids = self.encode("\n") if self.chars is not None else []
        for name in ("bos_token_id", "eos_token_id", "cls_token_id"):
            if not ids and getattr(self.tokenizer, name, None) is not None:
                ids = [getattr(self.tokenizer, name)]
        return ids or [0]

    def token_text(self, token_id: int) -> str:
        """One token as a readable label (spaces and newlines made visible)."""
        text = self.tokenizer.decode([token_id], skip_special_tokens=False, clean_up_tokenization_spaces=False)
        text = text or self.tokenizer.convert_ids_to_tokens(token_id)
        return text.replace("\n", "⏎").replace(" ", "␣") or "∅"


def load_language_model(choice=OURS) -> LanguageModel:
    """The chosen model through the shared cache (fp16 on a GPU; the hub ones only when picked)."""
    from models.cache import load_model

    choice = check_choice(choice, "Model", CHOICES)
    if choice == OURS:
        from models.gpt import weights_folder

        folder = weights_folder()
        if not (folder / "model.safetensors").exists():
            raise missing_weights("gpt")
        model = load_model("gpt", lambda: load_checkpoint(folder)[0], half_ok=True)
        tokenizer = load_model("gpt-tokenizer", lambda: load_checkpoint(folder)[1])
    else:
        hub_id = HUB_MODELS[choice]
        model = load_model(f"hub:{hub_id}", lambda: _load_hub(hub_id, "model"), half_ok=True)
        tokenizer = load_model(f"hub-tokenizer:{hub_id}", lambda: _load_hub(hub_id, "tokenizer"))
    return LanguageModel(choice, model, tokenizer)


# --- reading the prompt --------------------------------------------------------------
def _clean_chars(text: str, chars: set[str]) -> tuple[str, list[tuple[str, str]]]:
    """Map look-alikes (curly quotes, accents, dashes) to known characters; drop and report the rest
    (notes as (English, Chinese))."""
    notes, mapped, dropped, out = [], {}, {}, []
    for ch in text:
        if ch in chars:
            out.append(ch)
            continue
        alt = ch.translate(_CHAR_MAP)
        if alt == ch:
            alt = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        if alt and all(c in chars for c in alt):
            out.append(alt)
            mapped[ch] = alt
        elif ch != "\r":
            dropped[ch] = dropped.get(ch, 0) + 1
    show = lambda c: {"\n": "⏎", " ": "␣", "\t": "tab"}.get(c, c)  # noqa: E731
    if mapped:
        pairs = ", ".join(f"{show(a)}→{show(b)}" for a, b in list(mapped.items())[:12])
        notes.append(fill(STATUS["mapped"], pairs=pairs))
    if dropped:
        listed = " ".join(show(c) for c in list(dropped)[:20]) + (" …" if len(dropped) > 20 else "")
        notes.append(fill(STATUS["dropped"], count=sum(dropped.values()), listed=listed, known=len(chars)))
    return "".join(out), notes


def read_prompt(lm: LanguageModel, prompt, keep: int) -> tuple[list[int], list[tuple[str, str]], bool]:
    """Validate and tokenize a prompt -> (the last `keep` token ids, notes for the status line as (English, Chinese),
    whether it was cut)."""
    prompt = "" if prompt is None else prompt
    if not isinstance(prompt, str):
        raise error("Prompt must be text.", "提示词必须是文本。")
    prompt, notes = prompt[-MAX_PROMPT_CHARS:], []  # only the end can fit in the context window anyway
    if lm.chars is not None:
        prompt, notes = _clean_chars(prompt, lm.chars)
    ids = lm.encode(prompt) if prompt else []
    unk = getattr(lm.tokenizer, "unk_token_id", None)
    if unk is not None and lm.chars is None and ids.count(unk):
        notes.append(fill(STATUS["unknown"], count=ids.count(unk), unk=lm.tokenizer.unk_token))
    if not ids:
        if prompt.strip() or notes:
            notes.append(STATUS["empty"])
        ids = lm.start_ids()
    if len(ids) > keep:
        kept_text = lm.decode(ids[-keep:])
        notes.append(fill(STATUS["cut"], count=len(ids), keep=keep, chars=len(kept_text), start=kept_text[:30]))
        return ids[-keep:], notes, True
    return ids, notes, False


# --- generation ------------------------------------------------------------------------
def sample_next(logits, temperature: float, top_k: int, top_p: float, generator) -> int:
    """Draw one token id from the last position's logits with temperature, top-k and top-p (nucleus)."""
    import torch

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


def generate_text(prompt="", max_new_tokens=200, temperature=0.8, top_k=40, top_p=0.95, seed=0, model=OURS):
    """Continue a text prompt with a GPT language model, streaming the text as it is generated.

    Args:
        prompt: The text to continue (e.g. "ROMEO:" for the Shakespeare model; characters it does not know are dropped).
        max_new_tokens: How many tokens to generate (1-500; a token is one character for the Shakespeare model).
        temperature: Sampling temperature (0.05-2): lower is more predictable, higher more surprising.
        top_k: Sample only from the k most likely tokens (0-200; 0 turns it off).
        top_p: Nucleus sampling: sample from the smallest set of tokens whose probabilities add up to p (0.05-1).
        seed: Random seed: the same seed and settings give the same text.
        model: "Tiny Shakespeare GPT (this hub, characters)" (offline), or a hub model (distilgpt2, gpt2, gpt2-chinese-cluecorpussmall; needs the internet).

    Returns:
        Streamed after every token: the prompt plus the text generated so far, and a status (tokens, speed, notes).
    """
    import torch

    max_new_tokens = check_number(max_new_tokens, "Max new tokens", *LIMITS["max_new_tokens"], integer=True)
    temperature = check_number(temperature, "Temperature", *LIMITS["temperature"])
    top_k = check_number(top_k, "Top-k", *LIMITS["top_k"], integer=True)
    top_p = check_number(top_p, "Top-p", *LIMITS["top_p"])
    generator = seed_generator(seed)
    lm = load_language_model(model)
    ids, notes, cut = read_prompt(lm, prompt, keep=lm.block - 1)
    shown = ("…" if cut else "") + lm.decode(ids)
    notes_en, notes_zh = _warnings(notes)

    new: list[int] = []
    t0 = time.perf_counter()
    first = None
    context, past = list(ids), None
    feed = context
    for _ in range(max_new_tokens):
        if past is not None and len(context) >= lm.block:
            # the window is full: keep its last 3/4 and recompute, positions restart at 0
            context = context[-(lm.block * 3 // 4):]
            feed, past = context, None
        # grad modes are per thread and Gradio resumes a stream on any worker thread:
        # no `with` block may stay open across a yield
        with torch.inference_mode():
            out = lm.model(torch.tensor([feed], device=lm.device), past_key_values=past, use_cache=True)
            past = out.past_key_values
            token = sample_next(out.logits[0, -1], temperature, top_k, top_p, generator)
        new.append(token)
        context.append(token)
        feed = [token]
        if first is None:
            first = time.perf_counter() - t0
        text = lm.decode(new).rstrip("\ufffd")  # a multi-byte character may still be incomplete
        yield shown + text, _speed(len(new), first, time.perf_counter() - t0, lm, notes_en, notes_zh)
    yield shown + lm.decode(new), _speed(len(new), first, time.perf_counter() - t0, lm, notes_en, notes_zh,
                                         done=True)


def _speed(count: int, first: float, total: float, lm: LanguageModel, notes_en: str = "", notes_zh: str = "",
           done: bool = False) -> str:
    """The generation status (one line each language, the notes after each): cheap, it is made for every token."""
    (head_en, head_zh), (speed_en, speed_zh) = STATUS["done" if done else "writing"], STATUS["speed"]
    rate_en = rate_zh = ""
    if count > 1 and total > first:
        rate_en, rate_zh = fill(STATUS["rate"], rate=(count - 1) / (total - first))
    ms = first * 1000
    return (speed_en.format(head=head_en, count=count, ms=ms, rate=rate_en, model=lm.choice) + notes_en + "\n\n"
            + speed_zh.format(head=head_zh, count=count, ms=ms, rate=rate_zh, model=lm.choice) + notes_zh)


# --- looking inside -----------------------------------------------------------------------
def attention_matrix(prompt, layer=1, head=1, model=OURS):
    """(model, token labels, attention of `head` in `layer` [T, T] (rows attend to columns),
    next-token probabilities at the last position [V], position-embedding similarity [T, T] or None,
    notes as (English, Chinese))."""
    import torch

    lm = load_language_model(model)
    n_layer, n_head = lm.model.config.n_layer, lm.model.config.n_head
    layer = check_number(layer, (f"Layer ({lm.choice} has {n_layer})", f"层（{lm.choice} 共 {n_layer} 层）"),
                         1, n_layer, integer=True)
    head = check_number(head, (f"Head ({lm.choice} has {n_head} per layer)", f"注意力头（{lm.choice} 每层 {n_head} 个）"),
                        1, n_head, integer=True)
    ids, notes, _ = read_prompt(lm, prompt, keep=MAX_INSPECT_TOKENS)
    positions = None
    with torch.inference_mode():
        out = lm.model(torch.tensor([ids], device=lm.device), output_attentions=True)
        wpe = getattr(getattr(lm.model, "transformer", None), "wpe", None)  # GPT-2's learned positions
        if wpe is not None:
            emb = torch.nn.functional.normalize(wpe.weight[: len(ids)].float(), dim=1)
            positions = (emb @ emb.T).cpu().numpy()
    attention = out.attentions[layer - 1][0, head - 1].float().cpu().numpy()
    probs = torch.softmax(out.logits[0, -1].float(), -1).cpu().numpy()
    labels = [lm.token_text(i) for i in ids]
    return lm, labels, attention, probs, positions, notes


def top_candidates(lm: LanguageModel, probs: np.ndarray, k: int = 10) -> dict[str, float]:
    """The k most likely next tokens with their probabilities, most likely first (unique labels)."""
    order = np.argsort(-probs)[:k]
    result = {}
    for i in order:
        label = lm.token_text(int(i))
        result[label if label not in result else f"{label} (#{i})"] = float(probs[i])
    return result


def _drawable(label: str) -> str:
    """A label the bundled font can draw: · for a space, \\n for a newline, ? for other scripts."""
    label = label.replace("␣", "·").replace("⏎", "\\n").replace("…", "..").replace("∅", "-")
    return "".join(c if ord(c) < 256 else "?" for c in label)


def draw_heatmap(labels: list[str], matrix: np.ndarray, masked: bool = True, lo=None, hi=None) -> np.ndarray:
    """A T x T heatmap, tokens down the left (rows) and along the bottom (columns, written upwards);
    masked future cells (the upper triangle) in light grey."""
    from PIL import Image, ImageDraw

    n = len(labels)
    cell, top = (22 if n <= 24 else 15), 8
    font = text_font(12)
    short = [_drawable(t if len(t) <= 10 else t[:9] + "…") for t in labels]
    margin = 10 + max(int(font.getlength(t)) for t in short)
    img = Image.new("RGB", (margin + n * cell + 8, top + n * cell + margin), "white")
    cells = upscale(colorize(matrix, lo, hi), cell)
    if masked:
        future = upscale(np.triu(np.ones((n, n), np.uint8), 1)[..., None], cell)[..., 0] == 1
        cells[future] = (236, 236, 236)
    img.paste(Image.fromarray(cells), (margin, top))
    draw = ImageDraw.Draw(img)
    for k, tok in enumerate(short):
        draw.text((margin - 5, top + k * cell + cell // 2), tok, fill="black", font=font, anchor="rm")
        label = Image.new("RGB", (margin, cell), "white")
        ImageDraw.Draw(label).text((margin - 5, cell // 2), tok, fill="black", font=font, anchor="rm")
        img.paste(label.rotate(90, expand=True), (margin + k * cell, top + n * cell))
    return np.asarray(img)


def inspect_gpt_attention(prompt="To be, or not to be", layer=1, head=1, model=OURS):
    """Look inside a GPT: one attention head's weights over a prompt, and the model's guesses for the next token.

    Args:
        prompt: The text to read (its last 48 tokens are shown).
        layer: Which transformer layer (1 = the first).
        head: Which attention head in that layer (1 = the first).
        model: "Tiny Shakespeare GPT (this hub, characters)" (offline), or a hub model (needs the internet).

    Returns:
        The attention heatmap (which earlier tokens each token looks at), the 10 most likely next tokens with
        probabilities, the similarity of the position embeddings, and an explanation of what is shown.
    """
    lm, labels, attention, probs, positions, notes = attention_matrix(prompt, layer, head, model)
    layer, head = int(float(layer)), int(float(head))
    heat = draw_heatmap(labels, attention, lo=0.0, hi=float(attention.max()))
    pos = draw_heatmap(labels, positions, masked=False, lo=-1.0, hi=1.0) if positions is not None else None
    last = attention[-1]
    focus = np.argsort(-last)[:3]
    focused = [fill(STATUS["focus"], label=labels[j], position=j + 1, weight=last[j]) for j in focus if last[j] > 0.005]
    upper = float(np.abs(np.triu(attention, 1)).max()) if len(labels) > 1 else 0.0
    values = dict(layer=layer, head=head, model=lm.choice, count=len(labels), last=labels[-1], upper=upper)
    en = STATUS["inspect"][0].format(described=", ".join(part for part, _ in focused), **values)
    zh = STATUS["inspect"][1].format(described="、".join(part for _, part in focused), **values)
    notes_en, notes_zh = _warnings(notes)
    return heat, top_candidates(lm, probs), pos, f"{en}{notes_en}\n\n{zh}{notes_zh}"


def layer_head_limits(model=OURS):
    """Fit the layer/head sliders to the chosen model (a hub model is loaded, or its error shown, here)."""
    lm = load_language_model(model)
    return (gr.Slider(maximum=lm.model.config.n_layer, value=1), gr.Slider(maximum=lm.model.config.n_head, value=1))


# --- the tab --------------------------------------------------------------------------------
TEXT = {
    "en": {
        "transformer.title": "Transformer",
        "transformer.intro": """
A **transformer** reads all its input tokens at once and lets each one look at the others through
**self-attention**: every token asks a question (its *query*), every earlier token offers a *key* and a *value*,
and the token takes the values weighted by `softmax(q·k / √d)`. Stack that with small MLPs a few times and train
it to predict the next token, and you have a **GPT**.

The model here is a small GPT-2 (4 layers × 4 attention heads, 192-dim, 1.8 M parameters) trained on the works of
Shakespeare **one character at a time** (65 symbols), on a CPU. Its validation loss is in the model card below.
Type a beginning and watch it write, a character at a time: it learned spelling, words, names in capitals and the
play layout on its own. Higher **temperature** = bolder, **top-k/top-p** cut off unlikely characters, and the same
**seed** always gives the same text.
""",
        "transformer.principle": r"""
**What it computes.** Each token becomes a vector: its token embedding plus a learned position embedding. A GPT
block then applies *causal self-attention* and a small MLP, each with layer normalisation and a residual
connection: $x \leftarrow x + \mathrm{Attn}(\mathrm{LN}(x))$, $\;x \leftarrow x + \mathrm{MLP}(\mathrm{LN}(x))$.
Attention projects the tokens to queries, keys and values, $Q = XW_Q,\ K = XW_K,\ V = XW_V$, and mixes the values:
$$\mathrm{Attn}(Q,K,V) = \mathrm{softmax}\!\left(\frac{QK^{\top}}{\sqrt{d}} + M\right)V,\qquad
M_{ij} = \begin{cases}0 & j \le i\\ -\infty & j > i\end{cases}$$
The mask $M$ forbids looking at later tokens. Each of the 4 heads does this with its own $W_Q, W_K, W_V$ on
$d = 192/4 = 48$ dimensions; their outputs are concatenated. After the last block a linear layer and softmax give
$p(x_{t+1} \mid x_{\le t})$ for every position at once.

**How it is trained.** Next-token prediction on windows of 128 characters: minimise the cross-entropy
$-\sum_t \log p(x_{t+1} \mid x_{\le t})$ with AdamW, warm-up and a cosine learning-rate schedule. All positions are
trained in parallel, the big advantage over an RNN.

**Strengths and weaknesses.** Any token can reach any earlier token in one step, training parallelises well and
quality keeps improving with scale; but attention costs $O(T^2)$ in the context length $T$, the window is fixed
(128 characters here), and the model can write fluent nonsense.

**Where it is used.** Large language models (GPT, chatbots), translation, code completion, and, as vision
transformers, images. In the heatmap below each row is one softmax row of $QK^{\top}/\sqrt{d} + M$: the empty upper
triangle is the mask $M$.
""",
        "transformer.inside": """
### Look inside: attention
Each row of the heatmap is one token of your input asking "which earlier tokens matter for predicting what comes
after me?"; the columns are the tokens it can look at, and brighter = more attention (each row sums to 1;
`·` marks a space, `\\n` a newline).

- **The causal mask**: the upper-right triangle is grey and empty: a token may never look at tokens to its right,
  because when the model writes, those do not exist yet. That is why it can generate left to right and reuse
  earlier work (the *KV cache*: each new character costs one small step, which is how text streams quickly).
- **Decoder-only**: GPT has no separate encoder. The same stack of masked self-attention layers reads the prompt
  and writes the continuation; the top-10 list is its output at the last position, the very distribution the
  generator samples from.
- **Positional embeddings**: attention itself does not know order, so a learned vector per position (1 … 128)
  is added to each token's embedding. The right-hand picture is their cosine similarity: the bright band along the
  diagonal shows neighbouring positions were learned to look alike. Some heads use this to look a fixed
  distance back (a diagonal stripe in the heatmap), others look for a character such as the last space or newline.

Try different heads: in early layers many look at the previous character; later ones at the start of the word.
""",
        "transformer.prompt": "Prompt (empty: start from scratch)",
        "transformer.max_new": "Max new tokens",
        "transformer.temperature": "Temperature",
        "transformer.top_k": "Top-k (0 = off)",
        "transformer.top_p": "Top-p (nucleus)",
        "transformer.seed": "Seed",
        "transformer.model": "Model (the hub ones need the internet once)",
        "transformer.generate": "Generate",
        "transformer.examples": "Beginnings",
        "transformer.output": "Generated text (your prompt, then the model's continuation)",
        "transformer.short": f"A short input (the last {MAX_INSPECT_TOKENS} tokens are read)",
        "transformer.layer": "Layer",
        "transformer.head": "Head",
        "transformer.inspect": "Look inside",
        "transformer.candidates": "Top-10 next tokens at the last position",
        "transformer.heatmap": "Attention: rows = each token, columns = the tokens it looks at",
        "transformer.positions": "Positional embeddings: cosine similarity of positions",
    },
    "zh-CN": {
        "transformer.title": "Transformer 注意力",
        "transformer.intro": """
**Transformer** 一次读入全部输入 token，并通过**自注意力**让每个 token 去看其他 token：每个 token 提出一个问题（它的
*查询* query），每个更早的 token 提供一个*键* key 和一个*值* value，该 token 按 `softmax(q·k / √d)` 的权重取这些值的
加权和。把它和小型 MLP 交替堆叠几层，再训练它预测下一个 token，就得到了 **GPT**。

这里的模型是一个小型 GPT-2（4 层 × 4 个注意力头，192 维，180 万参数），在 CPU 上以**逐字符**的方式（65 种符号）
用莎士比亚全集训练。它的验证集损失见下方的模型卡。输入一个开头，看它一个字符一个字符地写下去：拼写、单词、大写的
人名和剧本格式，都是它自己学会的。**温度**越高越大胆，**top-k/top-p** 会截掉不太可能的字符，相同的**随机种子**
总是得到相同的文本。
""",
        "transformer.principle": r"""
**计算什么。** 每个 token 先变成一个向量：它的 token 嵌入加上一个学到的位置嵌入。每个 GPT 模块依次做**因果自注意力**
和一个小 MLP，二者都带层归一化和残差连接：$x \leftarrow x + \mathrm{Attn}(\mathrm{LN}(x))$，
$\;x \leftarrow x + \mathrm{MLP}(\mathrm{LN}(x))$。注意力把 token 投影成查询、键和值，$Q = XW_Q,\ K = XW_K,\ V = XW_V$，
再把值混合起来：
$$\mathrm{Attn}(Q,K,V) = \mathrm{softmax}\!\left(\frac{QK^{\top}}{\sqrt{d}} + M\right)V,\qquad
M_{ij} = \begin{cases}0 & j \le i\\ -\infty & j > i\end{cases}$$
掩码 $M$ 禁止看后面的 token。4 个注意力头各用自己的 $W_Q, W_K, W_V$ 在 $d = 192/4 = 48$ 维上做这件事，输出再拼接起来。
最后一个模块之后，线性层加 softmax 一次性给出每个位置的 $p(x_{t+1} \mid x_{\le t})$。

**怎样训练。** 在 128 个字符的窗口上做下一个 token 预测：用 AdamW、学习率预热和余弦退火，最小化交叉熵
$-\sum_t \log p(x_{t+1} \mid x_{\le t})$。所有位置并行训练，这是它相对 RNN 的一大优势。

**优点与不足。** 任何 token 一步就能看到之前的任何 token，训练易于并行，规模越大效果越好；但注意力的计算量随上下文长度
$T$ 按 $O(T^2)$ 增长，窗口长度固定（这里是 128 个字符），而且模型可能写出流畅却无意义的内容。

**应用场景。** 大语言模型（GPT、聊天机器人）、机器翻译、代码补全，以及以视觉 Transformer 的形式处理图像。下方热力图的
每一行就是 $QK^{\top}/\sqrt{d} + M$ 经过 softmax 后的一行：右上方空白的三角形就是掩码 $M$。
""",
        "transformer.inside": """
### 看看内部：注意力
热力图的每一行是输入中的一个 token 在问：“要预测我后面的内容，哪些更早的 token 最重要？”；列是它能看到的 token，
越亮表示注意力越多（每行之和为 1；`·` 表示空格，`\\n` 表示换行）。

- **因果掩码**：右上方的三角形是灰色的空白：一个 token 永远不能看它右边的 token，因为模型写作时它们还不存在。
  正因如此，模型可以从左到右生成，并复用之前的计算（*KV 缓存*：每个新字符只需一小步计算，所以文字能快速流式输出）。
- **只有解码器**：GPT 没有单独的编码器。同一组带掩码的自注意力层既读提示词，也写续写内容；前 10 名列表就是它在
  最后一个位置的输出，也正是生成时采样所用的分布。
- **位置嵌入**：注意力本身不知道顺序，所以每个位置（1 … 128）都有一个学到的向量，加到 token 的嵌入上。右侧的图是
  这些位置向量之间的余弦相似度：沿对角线的亮带说明相邻位置学得很像。有些注意力头借此回看固定的距离（热力图中的
  斜条纹），另一些则寻找某个字符，比如上一个空格或换行。

试试不同的注意力头：浅层的许多头看前一个字符，深层的头看单词的开头。
""",
        "transformer.prompt": "提示词（留空：从头开始写）",
        "transformer.max_new": "最多生成的 token 数",
        "transformer.temperature": "温度",
        "transformer.top_k": "Top-k（0 = 关闭）",
        "transformer.top_p": "Top-p（核采样）",
        "transformer.seed": "随机种子",
        "transformer.model": "模型（Hub 上的模型首次使用需要联网）",
        "transformer.generate": "生成",
        "transformer.examples": "开头示例",
        "transformer.output": "生成的文本（先是你的提示词，然后是模型的续写）",
        "transformer.short": f"一段简短的输入（只读最后 {MAX_INSPECT_TOKENS} 个 token）",
        "transformer.layer": "层",
        "transformer.head": "注意力头",
        "transformer.inspect": "看看内部",
        "transformer.candidates": "最后一个位置上概率最高的 10 个下一 token",
        "transformer.heatmap": "注意力：行 = 每个 token，列 = 它所看的 token",
        "transformer.positions": "位置嵌入：各位置之间的余弦相似度",
    },
}


def build() -> None:
    gr.Markdown(t("transformer.intro"))
    principle("transformer.principle")
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            prompt = gr.Textbox(label=t("transformer.prompt"), lines=4,
                                value="ROMEO:\nO, she doth teach the torches to burn bright!\n")
            max_new = gr.Slider(*LIMITS["max_new_tokens"], value=300, step=1, label=t("transformer.max_new"))
            temperature = gr.Slider(*LIMITS["temperature"], value=0.8, step=0.05, label=t("transformer.temperature"))
            with gr.Row():
                top_k = gr.Slider(*LIMITS["top_k"], value=40, step=1, label=t("transformer.top_k"))
                top_p = gr.Slider(*LIMITS["top_p"], value=0.95, step=0.01, label=t("transformer.top_p"))
            seed = gr.Number(value=0, precision=0, minimum=0, label=t("transformer.seed"))
            model = gr.Dropdown(CHOICES, value=OURS, label=t("transformer.model"))
            generate_btn = gr.Button(t("transformer.generate"), variant="primary")
            gr.Examples(EXAMPLES, inputs=prompt, label=t("transformer.examples"))
        with gr.Column(scale=2):
            output = gr.Textbox(label=t("transformer.output"), lines=18, max_lines=30, interactive=False)
            status = gr.Markdown()
    generate_btn.click(generate_text, [prompt, max_new, temperature, top_k, top_p, seed, model], [output, status],
                       api_name="gpt_generate", **HEAVY)

    gr.Markdown(t("transformer.inside"))
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            short = gr.Textbox(label=t("transformer.short"), value="To be, or not to be")
            with gr.Row():
                layer = gr.Slider(1, 4, value=1, step=1, label=t("transformer.layer"))
                head = gr.Slider(1, 4, value=1, step=1, label=t("transformer.head"))
            inspect_btn = gr.Button(t("transformer.inspect"), variant="primary")
            candidates = gr.Label(num_top_classes=10, label=t("transformer.candidates"))
        with gr.Column(scale=2):
            with gr.Row():
                heatmap = gr.Image(label=t("transformer.heatmap"), interactive=False, format="png")
                positions = gr.Image(label=t("transformer.positions"), interactive=False, format="png")
            inside = gr.Markdown()
    outputs = [heatmap, candidates, positions, inside]
    inspect_btn.click(inspect_gpt_attention, [short, layer, head, model], outputs, api_name="gpt_inspect")
    short.submit(inspect_gpt_attention, [short, layer, head, model], outputs, api_visibility="private")
    model.change(layer_head_limits, model, [layer, head], api_visibility="private")
    model_card("gpt")
