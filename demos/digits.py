"""Shared by the DNN and CNN tabs: the drawing canvas, reading a drawing, running a digit model."""
from __future__ import annotations

import gradio as gr
import numpy as np

from .common import editor_image, image_error, missing_weights, upscale
from .i18n import t

CANVAS = 360  # px; big enough for a finger, small enough to fit beside the outputs

# Gradio's Sketchpad starts with no tool selected and ignores strokes until the
# brush is picked. This script (added to the page head by app.py) selects the
# brush on every digit canvas as soon as it appears, so the first stroke draws,
# and again whenever a handler resets the canvas (a None value drops the tool).
SELECT_BRUSH_JS = """
<script>
(() => {
  const BRUSH = 'button[aria-label="Brush"], button[title="Brush"], button[aria-label="Draw"], button[title="Draw"]';
  const TOOLS = BRUSH + ', button[aria-label="Erase"], button[title="Erase"]';
  const pick = () => {
    document.querySelectorAll('.digit-canvas').forEach((root) => {
      const picked = [...root.querySelectorAll(TOOLS)].some((b) => b.classList.contains('highlight'));
      if (root.dataset.brushPicked && picked) return;
      const brush = root.querySelector(BRUSH);
      if (brush && brush.offsetParent !== null) { if (!picked) brush.click(); root.dataset.brushPicked = '1'; }
    });
  };
  new MutationObserver(pick).observe(document.documentElement, {childList: true, subtree: true, attributes: true});
  window.addEventListener('load', pick);
})();
</script>
"""


TEXT = {
    "en": {"digits.canvas": "Draw a digit (0-9)"},
    "zh-CN": {"digits.canvas": "画一个数字（0-9）"},
}


def digit_canvas(label=t("digits.canvas")) -> gr.Sketchpad:
    return gr.Sketchpad(
        label=label, type="numpy", image_mode="RGBA", canvas_size=(CANVAS, CANVAS), fixed_canvas=True,
        brush=gr.Brush(default_size=14, colors=["#000000"], color_mode="fixed"),
        layers=False, transforms=(), elem_classes=["digit-canvas"], height=CANVAS + 110,
    )


def read_digit(value) -> np.ndarray:
    """A Sketchpad value or an uploaded image -> the 28x28 MNIST-style array, or a gr.Error."""
    from models.imaging import ImageInputError, mnist_like

    try:
        return mnist_like(editor_image(value))
    except ImageInputError as exc:
        raise image_error(exc) from None


def load_digit_model(name: str):
    from models.cache import load_model
    from models.digits import DigitCNN, DigitMLP
    from models.persistence import from_pretrained, weights_dir

    model_cls = {"cnn": DigitCNN, "mlp": DigitMLP}[name]
    try:
        return load_model(f"digits-{name}", lambda: from_pretrained(model_cls, weights_dir(name)))
    except FileNotFoundError:
        raise missing_weights(name) from None


def digit_probabilities(model, batch: np.ndarray) -> np.ndarray:
    """Softmax over the 10 digits for a batch of 28x28 arrays; returns [B, 10]."""
    import torch

    with torch.inference_mode():
        x = torch.from_numpy(np.ascontiguousarray(batch, np.float32)).unsqueeze(1)
        device = next(model.parameters()).device
        return torch.softmax(model(x.to(device)).float(), 1).cpu().numpy()


def label_dict(probs: np.ndarray) -> dict[str, float]:
    return {str(d): float(p) for d, p in enumerate(probs)}


def model_view(digit: np.ndarray) -> np.ndarray:
    """The 28x28 input as the model sees it, enlarged 10x."""
    return upscale((digit * 255).astype(np.uint8), 10)
