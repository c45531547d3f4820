"""Transformer tab, generation: load a GPT (ours, an allow-listed hub one, or the learner's), read a prompt,
stream a continuation token by token.

Our model and the optional hub checkpoints load the same way (`from_pretrained` on a
save_pretrained folder or a hub id: safetensors only, never remote code) through the
shared model cache. Generation is a hand-written sampling loop over the KV cache, so each
token is streamed as soon as it exists and sampling uses the request's own generator.
"""
from __future__ import annotations

import time
import unicodedata

from ..common import check_choice, check_number, error, fill, load_from_hub, missing_weights, seed_generator

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
                "(it knows only the {known} characters of {corpus}).",
                "删去了 {count} 个模型在训练中从未见过的字符：{listed}"
                "（它只认识{corpus}中的 {known} 个字符）。"),
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

    def __init__(self, choice: str, model, tokenizer, corpus: tuple[str, str] = ("Tiny Shakespeare",
                                                                                 " Tiny Shakespeare 语料")):
        self.choice, self.model, self.tokenizer = choice, model, tokenizer
        self.corpus = corpus  # what a character model was trained on (English, Chinese), for the prompt notes
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
def _clean_chars(text: str, chars: set[str], corpus: tuple[str, str]) -> tuple[str, list[tuple[str, str]]]:
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
        notes.append(fill(STATUS["dropped"], count=sum(dropped.values()), listed=listed, known=len(chars),
                          corpus=corpus))
    return "".join(out), notes


def read_prompt(lm: LanguageModel, prompt, keep: int) -> tuple[list[int], list[tuple[str, str]], bool]:
    """Validate and tokenize a prompt -> (the last `keep` token ids, notes for the status line as (English, Chinese),
    whether it was cut)."""
    prompt = "" if prompt is None else prompt
    if not isinstance(prompt, str):
        raise error("Prompt must be text.", "提示词必须是文本。")
    prompt, notes = prompt[-MAX_PROMPT_CHARS:], []  # only the end can fit in the context window anyway
    if lm.chars is not None:
        prompt, notes = _clean_chars(prompt, lm.chars, lm.corpus)
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
def check_sampling(max_new_tokens, temperature, top_k, top_p) -> tuple[int, float, int, float]:
    """The sampling controls, validated (values may come straight from the API)."""
    return (check_number(max_new_tokens, "Max new tokens", *LIMITS["max_new_tokens"], integer=True),
            check_number(temperature, "Temperature", *LIMITS["temperature"]),
            check_number(top_k, "Top-k", *LIMITS["top_k"], integer=True),
            check_number(top_p, "Top-p", *LIMITS["top_p"]))


def stream_continuation(lm: "LanguageModel", prompt, max_new_tokens, temperature, top_k, top_p, seed):
    """Stream a continuation of `prompt` by `lm`: yields (prompt + text so far, status) after every token.
    Every generator of the tab (ours, the hub's, the learner's own GPT) streams through here."""
    from models.gpt import continue_ids

    max_new_tokens, temperature, top_k, top_p = check_sampling(max_new_tokens, temperature, top_k, top_p)
    generator = seed_generator(seed)
    ids, notes, cut = read_prompt(lm, prompt, keep=lm.block - 1)
    shown = ("…" if cut else "") + lm.decode(ids)
    notes_en, notes_zh = _warnings(notes)

    new: list[int] = []
    t0 = time.perf_counter()
    first = None
    for token in continue_ids(lm.model, ids, max_new_tokens, temperature, top_k, top_p, generator, lm.block):
        new.append(token)
        if first is None:
            first = time.perf_counter() - t0
        text = lm.decode(new).rstrip("\ufffd")  # a multi-byte character may still be incomplete
        yield shown + text, _speed(len(new), first, time.perf_counter() - t0, lm, notes_en, notes_zh)
    yield shown + lm.decode(new), _speed(len(new), first, time.perf_counter() - t0, lm, notes_en, notes_zh,
                                         done=True)


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
    check_sampling(max_new_tokens, temperature, top_k, top_p)  # before a model is loaded
    seed_generator(seed)
    yield from stream_continuation(load_language_model(model), prompt, max_new_tokens, temperature, top_k, top_p,
                                   seed)


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


