"""What several tabs need: input validation that speaks to the user, image helpers, plots.

Handlers raise `gr.Error` (the only text that reaches a user); everything here
is cheap to import except matplotlib, which is imported on first plot.
"""
from __future__ import annotations

import math

import gradio as gr
import numpy as np


# --- validation of values that may come straight from the API ---------------
def check_number(value, name: str, lo: float, hi: float, integer: bool = False):
    """Return `value` as int/float if it is a finite number in [lo, hi]; else raise gr.Error."""
    if isinstance(value, bool) or value is None:
        raise gr.Error(f"{name} must be a number between {lo} and {hi}.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise gr.Error(f"{name} must be a number between {lo} and {hi}, not {str(value)[:40]!r}.") from None
    if not math.isfinite(number) or not lo <= number <= hi:
        raise gr.Error(f"{name} must be between {lo} and {hi} (got {str(value)[:40]}).")
    if integer:
        if number != int(number):
            raise gr.Error(f"{name} must be a whole number (got {value}).")
        return int(number)
    return number


def check_choice(value, name: str, choices):
    if not isinstance(value, str) or value not in choices:
        raise gr.Error(f"{name} must be one of: {', '.join(map(str, choices))} (got {str(value)[:40]!r}).")
    return value


def model_card(*names: str) -> None:
    """A collapsed "Model card" panel per model, read from weights/NAME (never retyped)."""
    from models.cards import card_markdown

    for name in names:
        with gr.Accordion(f"Model card: {name}", open=False):
            gr.Markdown(card_markdown(name))


def seed_generator(seed) -> "torch.Generator":
    """A per-request torch.Generator: requests never touch the global RNG."""
    import torch

    seed = check_number(seed, "Seed", 0, 2**31 - 1, integer=True)
    return torch.Generator().manual_seed(seed)


def _expected(component) -> str:
    """What a component accepts, in words, for error messages."""
    if isinstance(component, (gr.Slider, gr.Number)):
        lo, hi = getattr(component, "minimum", None), getattr(component, "maximum", None)
        return f"a number between {lo} and {hi}" if lo is not None and hi is not None else "a number"
    if isinstance(component, (gr.Radio, gr.Dropdown)):
        return "one of: " + ", ".join(str(c[1] if isinstance(c, tuple) else c) for c in component.choices)
    if isinstance(component, (gr.Image, gr.ImageEditor)):
        from models.imaging import NOT_AN_IMAGE

        return NOT_AN_IMAGE
    if isinstance(component, gr.Textbox):
        return "text"
    return "a valid value"


def harden_inputs(demo: gr.Blocks) -> None:
    """Make Gradio's own input decoding fail with a readable gr.Error.

    Components decode request values before a handler runs; given None, a wrong type or a
    file that is not an image, several raise plain exceptions, which reach API users as a
    generic "error" with no explanation. Wrapping each component's `preprocess` turns those
    into "<label>: expected …" messages, for every tab at once.
    """
    for block in demo.blocks.values():
        if not hasattr(block, "preprocess") or getattr(block, "_readable_errors", False):
            continue

        def readable(payload, _original=block.preprocess, _block=block):
            try:
                return _original(payload)
            except gr.Error:
                raise
            except Exception:
                label = getattr(_block, "label", None) or "An input"
                expected = _expected(_block)
                if expected.endswith("."):  # a full sentence already
                    raise gr.Error(f"{label}: {expected}") from None
                raise gr.Error(f"{label}: expected {expected}, got {str(payload)[:60]!r}.") from None

        block.preprocess = readable
        block._readable_errors = True


# --- images ------------------------------------------------------------------


def editor_image(value):
    """The picture inside a Sketchpad/ImageEditor value (its composite), or a plain image."""
    if isinstance(value, dict):
        if value.get("composite") is not None:
            return value["composite"]
        layers = [layer for layer in value.get("layers") or [] if layer is not None]
        return layers[-1] if layers else value.get("background")
    return value


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement, so each model pixel stays a crisp square."""
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


# a perceptually ordered colormap (viridis anchors) without importing matplotlib
_VIRIDIS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], np.float32)


def colorize(values: np.ndarray, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    """Map a 2-D array to uint8 RGB with the viridis colormap."""
    lo = float(values.min()) if lo is None else lo
    hi = float(values.max()) if hi is None else hi
    t = np.clip((values - lo) / (hi - lo if hi > lo else 1.0), 0, 1) * (len(_VIRIDIS) - 1)
    i = np.minimum(t.astype(int), len(_VIRIDIS) - 2)
    frac = (t - i)[..., None]
    return (_VIRIDIS[i] * (1 - frac) + _VIRIDIS[i + 1] * frac).astype(np.uint8)


def tile(images: list[np.ndarray], columns: int, gap: int = 2, fill: int = 255) -> np.ndarray:
    """Arrange equally sized HxWx3 uint8 images in a grid with white gaps."""
    h, w = images[0].shape[:2]
    rows = math.ceil(len(images) / columns)
    grid = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap, 3), fill, np.uint8)
    for k, img in enumerate(images):
        r, c = divmod(k, columns)
        grid[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = img
    return grid


def heat_overlay(gray: np.ndarray, heat: np.ndarray, factor: int = 10) -> np.ndarray:
    """The grey input (nearest, crisp pixels) with a smooth red-yellow heatmap (0..1) blended over it."""
    from PIL import Image

    h, w = gray.shape
    base = np.repeat(upscale(gray * 255, factor).astype(np.float32)[..., None], 3, axis=2) * 0.6
    heat = np.asarray(Image.fromarray(np.clip(heat, 0, 1).astype(np.float32), mode="F")
                      .resize((w * factor, h * factor), Image.Resampling.BILINEAR))[..., None]
    hot = np.concatenate([np.ones_like(heat), heat, np.zeros_like(heat)], axis=2) * 255
    mixed = base * (1 - 0.7 * heat) + hot * 0.7 * heat
    return np.clip(mixed, 0, 255).astype(np.uint8)
