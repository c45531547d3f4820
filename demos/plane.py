"""Shared by the tabs that train generative models on 2-D points (GAN, Diffusion): drawing the plane (point
clouds, a heatmap over it, arrows) as numpy/PIL pictures, and the canvas on which learners draw their own points.

Everything is vectorised: a frame with thousands of points costs a few numpy operations, never a Python loop per
point (the stream runs beside other requests, and pure-Python loops hold the one GIL).
No torch here: building a tab stays light.
"""
from __future__ import annotations

import gradio as gr
import numpy as np

from .common import colorize, editor_image, error, text_font

LIM = 2.0          # the plane [-LIM, LIM]^2 (= models.toy2d.LIM; here so that building a tab imports no torch)
SIZE = 360         # px of a plane picture
GRID_COLOR = np.array([232, 232, 232], np.uint8)
AXIS_COLOR = np.array([200, 200, 200], np.uint8)
REAL_COLOR = (40, 40, 40)
FAKE_COLOR = (230, 85, 13)
SAMPLE_COLOR = (33, 102, 172)
ARROW_COLOR = (20, 20, 20)


def to_pixels(points: np.ndarray, size: int = SIZE) -> np.ndarray:
    """[n, 2] plane coordinates -> [n, 2] float pixel (column, row); y grows upwards on screen."""
    points = np.asarray(points, np.float32)
    col = (points[:, 0] + LIM) / (2 * LIM) * (size - 1)
    row = (LIM - points[:, 1]) / (2 * LIM) * (size - 1)
    return np.stack([col, row], 1)


def to_plane(pixels: np.ndarray, size: int = SIZE) -> np.ndarray:
    """Inverse of to_pixels: [n, 2] (column, row) -> plane coordinates."""
    pixels = np.asarray(pixels, np.float32)
    return np.stack([pixels[:, 0] / (size - 1) * 2 * LIM - LIM, LIM - pixels[:, 1] / (size - 1) * 2 * LIM], 1)


def blank(size: int = SIZE) -> np.ndarray:
    """A white plane with a light grid every 0.5 and the two axes."""
    canvas = np.full((size, size, 3), 255, np.uint8)
    ticks = to_pixels(np.stack([np.arange(-LIM, LIM + 1e-6, 0.5)] * 2, 1), size).round().astype(int)
    canvas[:, ticks[:, 0]] = GRID_COLOR
    canvas[ticks[:, 1], :] = GRID_COLOR
    centre = to_pixels(np.zeros((1, 2)), size).round().astype(int)[0]
    canvas[:, centre[0]] = AXIS_COLOR
    canvas[centre[1], :] = AXIS_COLOR
    return canvas


def heatmap(values: np.ndarray, lo: float, hi: float, size: int = SIZE) -> np.ndarray:
    """A [h, w] field over the plane (rows from the top) as a pale viridis background, smoothly enlarged."""
    from PIL import Image

    rgb = colorize(np.asarray(values, np.float32), lo, hi)
    big = np.asarray(Image.fromarray(rgb).resize((size, size), Image.Resampling.BILINEAR), np.float32)
    pale = 0.55 * big + 0.45 * 255  # keep the points readable on top
    grid = blank(size).astype(np.float32)
    lines = (grid < 255).any(axis=2, keepdims=True)
    return np.where(lines, 0.85 * pale + 0.15 * grid, pale).astype(np.uint8)


def _disc(radius: float) -> np.ndarray:
    r = int(np.ceil(radius))
    dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
    keep = dx * dx + dy * dy <= radius * radius + 0.5
    return np.stack([dx[keep], dy[keep]], 1)


def splat(canvas: np.ndarray, points: np.ndarray, color, radius: float = 2.0, alpha: float = 1.0) -> np.ndarray:
    """Draw each plane point as a filled disc (in place; returns the canvas). Points outside are dropped."""
    if len(points) == 0:
        return canvas
    size = canvas.shape[0]
    centres = to_pixels(points, size).round().astype(int)
    pixels = (centres[:, None, :] + _disc(radius)[None]).reshape(-1, 2)
    inside = (pixels >= 0).all(1) & (pixels < size).all(1)
    cols, rows = pixels[inside, 0], pixels[inside, 1]
    color = np.asarray(color, np.float32)
    if alpha >= 1:
        canvas[rows, cols] = color.astype(np.uint8)
    else:
        canvas[rows, cols] = (canvas[rows, cols] * (1 - alpha) + color * alpha).astype(np.uint8)
    return canvas


def arrows(canvas: np.ndarray, starts: np.ndarray, vectors: np.ndarray, color=ARROW_COLOR, length: float = 0.25,
           normalise: bool = True) -> np.ndarray:
    """Draw arrows from plane points `starts` along `vectors` (in place). normalise: every arrow `length` long
    (the direction only); else `length` is the longest one and the others are to scale."""
    starts, vectors = np.asarray(starts, np.float32), np.asarray(vectors, np.float32)
    if len(starts) == 0:
        return canvas
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    if normalise:
        vectors = vectors / np.maximum(norms, 1e-12) * length
    else:
        vectors = vectors / max(float(norms.max()), 1e-12) * length
    ends = starts + vectors
    # the shaft and two barbs, each as points along a segment (a few numpy operations for all arrows)
    back = -vectors * 0.35
    rotate = np.array([[np.cos(0.5), -np.sin(0.5)], [np.sin(0.5), np.cos(0.5)]], np.float32)
    barb_a, barb_b = back @ rotate.T, back @ rotate
    steps = np.linspace(0, 1, 12, dtype=np.float32)[None, :, None]
    segments = [starts[:, None] + steps * vectors[:, None], ends[:, None] + steps * barb_a[:, None],
                ends[:, None] + steps * barb_b[:, None]]
    return splat(canvas, np.concatenate(segments, 1).reshape(-1, 2), color, radius=0.6)


def caption(canvas: np.ndarray, lines: list[tuple[str, tuple]], where: str = "top") -> np.ndarray:
    """A few coloured words over the picture (a legend), on a white strip so they stay readable."""
    from PIL import Image, ImageDraw

    font = text_font(12)
    image = Image.fromarray(canvas)
    draw = ImageDraw.Draw(image)
    y = 4 if where == "top" else canvas.shape[0] - 18 * len(lines) - 2
    for text, color in lines:
        box = draw.textbbox((6, y), text, font=font)
        draw.rectangle((box[0] - 3, box[1] - 2, box[2] + 3, box[3] + 2), fill=(255, 255, 255))
        draw.text((6, y), text, fill=color, font=font)
        y += 18
    return np.asarray(image)


def strip(panels: list[np.ndarray], labels: list[str], gap: int = 4) -> np.ndarray:
    """Panels side by side, each with a label strip above it."""
    from PIL import Image, ImageDraw

    h, w = panels[0].shape[:2]
    image = Image.new("RGB", (len(panels) * (w + gap) - gap, h + 20), "white")
    draw = ImageDraw.Draw(image)
    for i, (panel, label) in enumerate(zip(panels, labels)):
        image.paste(Image.fromarray(panel), (i * (w + gap), 20))
        draw.text((i * (w + gap) + w // 2, 10), label, fill=(0, 0, 0), anchor="mm", font=text_font(12))
    return np.asarray(image)


# --- the learner's own points -----------------------------------------------------
def points_canvas(label) -> gr.Sketchpad:
    """A square canvas for drawing a 2-D distribution: every stroke becomes points (the canvas is the plane).
    The class digit-canvas gets the brush preselected (demos.digits.SELECT_BRUSH_JS)."""
    return gr.Sketchpad(
        label=label, type="numpy", image_mode="RGBA", canvas_size=(SIZE, SIZE), fixed_canvas=True,
        brush=gr.Brush(default_size=10, colors=["#000000"], color_mode="fixed"),
        layers=False, transforms=(), elem_classes=["digit-canvas"], height=SIZE + 110,
    )


def drawing_points(value, max_points: int, seed: int = 0) -> np.ndarray:
    """A Sketchpad value -> [n, 2] plane points: the inked pixels (at most max_points of them, drawn at random
    with a fixed seed). A gr.Error when nothing is drawn."""
    image = editor_image(value)
    if image is None:
        raise error("Nothing drawn: draw some strokes on the canvas first.", "还没有画：请先在画布上画几笔。")
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 4:  # dark and opaque: the canvas's background may be opaque white
        ink = (image[..., 3] > 128) & (image[..., :3].mean(2) < 128)
    elif image.ndim == 3:
        ink = image[..., :3].mean(2) < 128
    else:
        ink = image < 128
    rows, cols = np.nonzero(ink)
    if len(rows) < 3:
        raise error("Nothing drawn: draw some strokes on the canvas first.", "还没有画：请先在画布上画几笔。")
    if len(rows) > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(len(rows), max_points, replace=False))
        rows, cols = rows[keep], cols[keep]
    scale = (SIZE - 1) / max(1, ink.shape[0] - 1), (SIZE - 1) / max(1, ink.shape[1] - 1)
    return to_plane(np.stack([cols * scale[1], rows * scale[0]], 1))


def cloud(points: np.ndarray, color=REAL_COLOR, radius: float = 1.6) -> np.ndarray:
    """A plane with one cloud of points."""
    return splat(blank(), points, color, radius)


MAX_OWN_POINTS = 2000        # = models.toy2d.MAX_POINTS
MAX_POINTS_CHARS = 60_000    # of the points text (2,000 lines of "x,y")
# a star of five arms: what the points box holds before the learner draws anything
STAR = "\n".join(f"{r * np.cos(a):.3f},{r * np.sin(a):.3f}" for a in np.arange(5) * 2 * np.pi / 5 + np.pi / 2
                 for r in np.linspace(0.3, 1.6, 8))
DRAWING_NOTE = ("{count} points from your drawing: choose the dataset 'your points' and press Train.",
                "从你的画中取了 {count} 个点：数据集选择“你的点”，然后点训练。")


def read_points(dataset: str, points):
    """The learner's points as a tensor when the dataset is 'own', else None (a bilingual gr.Error if unusable)."""
    if dataset != "own":
        return None
    from models.toy2d import PointsError, parse_points

    if isinstance(points, str) and len(points) > MAX_POINTS_CHARS:
        raise error(f"The points text is {len(points):,} characters; the limit is {MAX_POINTS_CHARS:,}.",
                    f"点的文本有 {len(points):,} 个字符，上限是 {MAX_POINTS_CHARS:,}。")
    try:
        return parse_points(points, MAX_OWN_POINTS)
    except PointsError as exc:
        raise error(exc.en, exc.zh) from None


def uploaded_points(config: dict):
    """The learner's points kept in an uploaded config (dataset 'own'), checked; None for the other datasets."""
    import torch

    from models.live import TrainedFileError

    if config.get("dataset") != "own":
        return None
    try:
        own = torch.tensor(config.get("points") or [], dtype=torch.float32)
    except (TypeError, ValueError):
        own = torch.zeros(0)
    if own.ndim != 2 or own.shape[1:] != (2,) or not 3 <= len(own) <= MAX_OWN_POINTS or not own.isfinite().all():
        raise TrainedFileError("config.json's points are not a list of 3 to 2,000 [x, y] pairs.",
                               "config.json 中的点不是 3 到 2,000 个 [x, y] 坐标组成的列表。")
    return own


def drawing_to_points(drawing):
    """The strokes of the canvas as 'x,y' lines (the inked pixels, at most 2,000) and the dataset 'own'."""
    from models.toy2d import format_points

    from .common import both

    points = drawing_points(drawing, MAX_OWN_POINTS)
    return format_points(points), "own", both(DRAWING_NOTE, count=len(points))


def own_points_panel(prefix: str, dataset: gr.Radio) -> gr.Textbox:
    """The collapsed "your own points" panel of a tab (its labels are the tab's keys PREFIX.own_panel, .canvas,
    .use_drawing, .points): a canvas, the points box (x,y lines, what training reads) and the button that turns the
    drawing into points and picks the dataset 'own'. Returns the points box."""
    from .i18n import t

    with gr.Accordion(t(f"{prefix}.own_panel"), open=False):
        with gr.Row():
            canvas = points_canvas(t(f"{prefix}.canvas"))
            with gr.Column():
                use_drawing = gr.Button(t(f"{prefix}.use_drawing"))
                points = gr.Textbox(value=STAR, lines=10, max_lines=16, label=t(f"{prefix}.points"))
                note = gr.Markdown()
    use_drawing.click(drawing_to_points, canvas, [points, dataset, note], api_visibility="private")
    return points
