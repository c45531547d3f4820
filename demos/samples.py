"""Digits drawn by code the way a person draws them with a mouse: polylines rendered on a canvas.

Used for the CNN tab's examples, the tests and the benchmarks. No MNIST image is
committed (the data stays in ../shared/data); strokes are in unit-square
coordinates (x right, y down).
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw


def _ellipse(cx, cy, rx, ry, start=0.0, end=360.0, n=40):
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(start, end, n)]


DIGIT_STROKES = {
    0: [_ellipse(0.5, 0.5, 0.3, 0.45)],
    1: [[(0.38, 0.2), (0.55, 0.05), (0.55, 0.95)]],
    2: [[(0.2, 0.25), (0.3, 0.1), (0.5, 0.05), (0.7, 0.1), (0.8, 0.25), (0.75, 0.42), (0.2, 0.95), (0.85, 0.95)]],
    3: [[(0.2, 0.1), (0.5, 0.03), (0.75, 0.12), (0.78, 0.3), (0.45, 0.48), (0.8, 0.62), (0.8, 0.85), (0.5, 0.97), (0.2, 0.9)]],
    4: [[(0.65, 0.95), (0.65, 0.05), (0.15, 0.65), (0.85, 0.65)]],
    5: [[(0.8, 0.05), (0.3, 0.05), (0.25, 0.45), (0.55, 0.4), (0.8, 0.55), (0.8, 0.8), (0.55, 0.96), (0.2, 0.9)]],
    6: [[(0.7, 0.05), (0.4, 0.25), (0.25, 0.55), (0.25, 0.8), (0.45, 0.96), (0.7, 0.9), (0.78, 0.7), (0.6, 0.55), (0.35, 0.58), (0.25, 0.7)]],
    7: [[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]],
    8: [_ellipse(0.5, 0.27, 0.2, 0.21), _ellipse(0.5, 0.72, 0.25, 0.24)],
    9: [_ellipse(0.5, 0.3, 0.22, 0.22), [(0.72, 0.3), (0.66, 0.95)]],
}


def draw_digit(digit: int, canvas: int = 360, box: float = 0.6, center=(0.5, 0.5), width: int = 20,
               background: str = "transparent") -> np.ndarray:
    """Render `digit` in a `box`-sized square (fraction of the canvas) around `center`.

    background: "transparent" (black ink on a transparent RGBA canvas, like gr.Sketchpad),
    "white" (black on white RGB, like a scan) or "black" (white on black, like MNIST).
    """
    mode, fill, ink = {"transparent": ("RGBA", (0, 0, 0, 0), (0, 0, 0, 255)),
                       "white": ("RGB", (255, 255, 255), (0, 0, 0)),
                       "black": ("RGB", (0, 0, 0), (255, 255, 255))}[background]
    img = Image.new(mode, (canvas, canvas), fill)
    draw = ImageDraw.Draw(img)
    size = box * canvas
    x0, y0 = center[0] * canvas - size / 2, center[1] * canvas - size / 2
    for stroke in DIGIT_STROKES[digit]:
        points = [(x0 + x * size * 0.8 + 0.1 * size, y0 + y * size) for x, y in stroke]
        draw.line(points, fill=ink, width=width, joint="curve")
        r = width / 2
        for x, y in (points[0], points[-1]):
            draw.ellipse((x - r, y - r, x + r, y + r), fill=ink)
    return np.asarray(img)


def sketchpad_value(image: np.ndarray) -> dict:
    """What gr.Sketchpad(type="numpy") hands a handler: background, layers, composite."""
    blank = np.zeros_like(image)
    return {"background": blank, "layers": [image], "composite": image}


# the one-click example set of the CNN tab's "teach it your own symbols": tick, cross, circle, triangle, square
SYMBOL_STROKES = {
    "✓": [[(0.1, 0.55), (0.38, 0.85), (0.9, 0.12)]],
    "✗": [[(0.15, 0.12), (0.85, 0.88)], [(0.85, 0.12), (0.15, 0.88)]],
    "○": [_ellipse(0.5, 0.5, 0.4, 0.4, n=48)],
    "△": [[(0.5, 0.1), (0.9, 0.85), (0.1, 0.85), (0.5, 0.1)]],
    "□": [[(0.12, 0.12), (0.88, 0.12), (0.88, 0.88), (0.12, 0.88), (0.12, 0.12)]],
}


def draw_symbol(strokes, rng: np.random.Generator, canvas: int = 360) -> np.ndarray:
    """One hand-drawn-looking copy of `strokes` (black on transparent RGBA, like gr.Sketchpad): the points wobble,
    and the size, place, slant and pen width vary as a person's do."""
    img = Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    size = canvas * rng.uniform(0.45, 0.7)
    cx, cy = canvas * rng.uniform(0.4, 0.6, size=2)
    angle = math.radians(rng.uniform(-15, 15))
    cos, sin, stretch = math.cos(angle), math.sin(angle), rng.uniform(0.85, 1.15)
    width = int(rng.integers(8, 22))
    for stroke in strokes:
        points = np.asarray(stroke) - 0.5 + rng.normal(0, 0.025, (len(stroke), 2))
        x, y = points[:, 0] * stretch, points[:, 1] / stretch
        points = [(cx + size * (cos * u - sin * v), cy + size * (sin * u + cos * v)) for u, v in zip(x, y)]
        draw.line(points, fill=(0, 0, 0, 255), width=width, joint="curve")
        r = width / 2
        for px, py in (points[0], points[-1]):
            draw.ellipse((px - r, py - r, px + r, py + r), fill=(0, 0, 0, 255))
    return np.asarray(img)


def example_symbols(per_class: int = 4, seed: int = 0) -> list[tuple[str, np.ndarray]]:
    """(class name, drawing) pairs: `per_class` jittered drawings of each symbol in SYMBOL_STROKES."""
    rng = np.random.default_rng(seed)
    return [(name, draw_symbol(strokes, rng)) for name, strokes in SYMBOL_STROKES.items() for _ in range(per_class)]
