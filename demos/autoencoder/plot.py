"""Pictures of the Autoencoder tab, drawn with numpy and PIL (no matplotlib, no Python loop over points):
the map of 2-D codes coloured by class, and captioned strips of 28x28 images."""
from __future__ import annotations

import numpy as np

from ..common import text_font, tile, upscale

PLOT = 360          # the map's square plot area, in pixels
MARGIN = 10
LEGEND = 40         # two rows of five classes under the plot
# tab10: ten classes that stay apart
COLORS = np.array([[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
                   [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]], np.uint8)
DOT = [(dx, dy) for dx in range(-2, 3) for dy in range(-2, 3) if dx * dx + dy * dy <= 5]  # a disk of radius 2
ZOOM = 4            # strip tiles are 112x112


def map_size() -> tuple[int, int]:
    return PLOT + 2 * MARGIN, PLOT + 2 * MARGIN + LEGEND


def to_pixels(codes: np.ndarray, bounds: tuple[float, float, float, float]) -> np.ndarray:
    """Codes [N,2] -> pixel (x, y) in the map image (y grows downwards)."""
    x0, x1, y0, y1 = bounds
    px = MARGIN + (codes[:, 0] - x0) / (x1 - x0) * (PLOT - 1)
    py = MARGIN + (y1 - codes[:, 1]) / (y1 - y0) * (PLOT - 1)
    return np.stack([px, py], 1)


def to_code(x: float, y: float, bounds) -> tuple[float, float]:
    """A pixel of the map image -> the code there (clipped to the plotted range)."""
    x0, x1, y0, y1 = bounds
    u = np.clip((x - MARGIN) / (PLOT - 1), 0, 1)
    v = np.clip((y - MARGIN) / (PLOT - 1), 0, 1)
    return float(x0 + u * (x1 - x0)), float(y1 - v * (y1 - y0))


def code_map(codes: np.ndarray, labels: np.ndarray, bounds, class_names, marks=(), title: str = "") -> np.ndarray:
    """The scatter of codes coloured by class on a white square, axes through 0, a legend under it, and marks:
    (code (z1, z2), kind) with kind "input" (a black ring: where your image lands) or "pick" (a crosshair)."""
    return with_marks(scatter(codes, labels, bounds, class_names, title), bounds, marks)


def scatter(codes: np.ndarray, labels: np.ndarray, bounds, class_names, title: str = "") -> np.ndarray:
    """code_map without marks (the shipped maps keep this picture and only add the marks per request)."""
    from PIL import Image, ImageDraw

    width, height = map_size()
    canvas = np.full((height, width, 3), 255, np.uint8)
    pixels = np.rint(to_pixels(np.asarray(codes, np.float64), bounds)).astype(int)
    inside = ((pixels[:, 0] >= MARGIN) & (pixels[:, 0] < MARGIN + PLOT)
              & (pixels[:, 1] >= MARGIN) & (pixels[:, 1] < MARGIN + PLOT))
    pixels, colors = pixels[inside], COLORS[np.asarray(labels)[inside] % 10]
    for dx, dy in DOT:  # one vectorised write per offset of the dot's stencil
        canvas[np.clip(pixels[:, 1] + dy, 0, height - 1), np.clip(pixels[:, 0] + dx, 0, width - 1)] = colors
    img = Image.fromarray(canvas)
    draw = ImageDraw.Draw(img)
    x0, x1, y0, y1 = bounds
    origin = to_pixels(np.array([[0.0, 0.0]]), bounds)[0]
    if x0 < 0 < x1:
        draw.line([(origin[0], MARGIN), (origin[0], MARGIN + PLOT)], fill=(200, 200, 200))
    if y0 < 0 < y1:
        draw.line([(MARGIN, origin[1]), (MARGIN + PLOT, origin[1])], fill=(200, 200, 200))
    draw.rectangle([MARGIN - 1, MARGIN - 1, MARGIN + PLOT, MARGIN + PLOT], outline=(160, 160, 160))
    font = text_font(11)
    draw.text((MARGIN + 3, MARGIN + PLOT - 3), f"z1: {x0:.1f} … {x1:.1f}", fill=(90, 90, 90), anchor="ld", font=font)
    draw.text((MARGIN + 3, MARGIN + 2), f"z2: {y0:.1f} … {y1:.1f}", fill=(90, 90, 90), anchor="lt", font=font)
    if title:
        draw.text((MARGIN + PLOT - 3, MARGIN + 2), title, fill=(40, 40, 40), anchor="rt", font=text_font(13))
    cell = width / 5
    for k, name in enumerate(class_names):  # the legend: two rows of five
        cx, cy = MARGIN + (k % 5) * cell, 2 * MARGIN + PLOT + (k // 5) * 18
        draw.rectangle([cx, cy + 3, cx + 9, cy + 12], fill=tuple(int(c) for c in COLORS[k]))
        draw.text((cx + 13, cy + 8), str(name), fill=(30, 30, 30), anchor="lm", font=font)
    return np.asarray(img)


def with_marks(picture: np.ndarray, bounds, marks) -> np.ndarray:
    from PIL import Image, ImageDraw

    if not marks:
        return picture
    img = Image.fromarray(picture)
    draw = ImageDraw.Draw(img)
    for code, kind in marks:
        px, py = to_pixels(np.array([code], np.float64), bounds)[0]
        px, py = float(np.clip(px, MARGIN, MARGIN + PLOT)), float(np.clip(py, MARGIN, MARGIN + PLOT))
        if kind == "input":
            draw.ellipse([px - 8, py - 8, px + 8, py + 8], outline=(0, 0, 0), width=3)
            draw.ellipse([px - 10, py - 10, px + 10, py + 10], outline=(255, 255, 255), width=1)
        else:
            draw.line([(px - 11, py), (px + 11, py)], fill=(0, 0, 0), width=2)
            draw.line([(px, py - 11), (px, py + 11)], fill=(0, 0, 0), width=2)
            draw.rectangle([px - 3, py - 3, px + 3, py + 3], outline=(255, 255, 255), fill=(0, 0, 0))
    return np.asarray(img)


def captioned(image: np.ndarray, caption: str, zoom: int = ZOOM, lines: int = 2) -> np.ndarray:
    """A 28x28 image in [0,1], enlarged, with room for `lines` caption lines under it (RGB uint8)."""
    from PIL import Image, ImageDraw

    big = upscale((np.clip(image, 0, 1) * 255).astype(np.uint8), zoom)
    h, w = big.shape
    canvas = Image.new("RGB", (w, h + 4 + 15 * lines), "white")
    canvas.paste(Image.fromarray(big).convert("RGB"), (0, 0))
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(caption.split("\n")[:lines]):
        draw.text((w // 2, h + 10 + 15 * i), line, fill=(20, 20, 20), anchor="mm", font=text_font(12))
    return np.asarray(canvas)


def strip(images, captions, zoom: int = ZOOM) -> np.ndarray:
    lines = max(caption.count("\n") + 1 for caption in captions)
    return tile([captioned(img, cap, zoom, lines) for img, cap in zip(images, captions)], columns=len(images), gap=6)


def image_grid(images: np.ndarray, rows: int) -> np.ndarray:
    """[rows*cols, 28, 28] in [0,1] -> one grey-on-RGB mosaic without gaps (a decoded plane)."""
    cols = len(images) // rows
    mosaic = images.reshape(rows, cols, 28, 28).transpose(0, 2, 1, 3).reshape(rows * 28, cols * 28)
    gray = (np.clip(mosaic, 0, 1) * 255).astype(np.uint8)
    return np.repeat(gray[..., None], 3, axis=2)
