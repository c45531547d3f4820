"""Transformer tab, looking inside: one head's attention as a heatmap, the next-token distribution and the
learned positional embeddings."""
from __future__ import annotations

import gradio as gr
import numpy as np

from ..common import check_number, colorize, fill, text_font, upscale
from . import generate
from .generate import OURS, STATUS, LanguageModel, _warnings, read_prompt

MAX_INSPECT_TOKENS = 48      # the attention view reads at most this many (the last ones)


def attention_matrix(prompt, layer=1, head=1, model=OURS):
    """(model, token labels, attention of `head` in `layer` [T, T] (rows attend to columns),
    next-token probabilities at the last position [V], position-embedding similarity [T, T] or None,
    notes as (English, Chinese))."""
    import torch

    lm = generate.load_language_model(model)
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
    lm = generate.load_language_model(model)
    return (gr.Slider(maximum=lm.model.config.n_layer, value=1), gr.Slider(maximum=lm.model.config.n_head, value=1))
