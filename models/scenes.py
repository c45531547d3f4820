"""Synthetic multi-digit scenes for the detector: MNIST digits written in rows like numbers and sums.

A scene is a grey canvas (white ink on black, like MNIST) with 0-12 digits in 1-3 rows, of varied sizes,
stroke widths and spacing (touching and slightly overlapping digits on purpose), with + - = signs drawn as
strokes between groups and clutter (long lines, underlines, dots) that must not be read as digits.
Each digit's box is the tight box of its own ink on the canvas.

The layout (where each digit goes) is a few numbers per digit drawn with a seeded numpy Generator; the
rendering is vectorised in torch: every digit is resampled onto the canvas with one grid_sample call,
every stroke is a distance field, and all are max-combined per scene.

    scenes = compose_scenes(images, labels, count=32, seed=0)
    scenes.images   # float [B, 1, H, W] in [0, 1]
    scenes.boxes    # list of float [n_i, 4] (x0, y0, x1, y1) in canvas pixels
    scenes.labels   # list of int64 [n_i]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

CANVAS_H, CANVAS_W = 64, 192
MAX_DIGITS = 12
DIGIT_HEIGHT = (12, 30)      # pixels on the canvas, the tallest a row's digits can be
MIN_HEIGHT = 10              # rows that do not fit are shrunk down to this, then cut
INK = 0.25                   # a pixel above this is ink (for the tight boxes)
P_TOUCHING_ROW = 0.35        # rows whose digits touch or overlap (gaps of -15%..+3% of the height)
P_SIGN = 0.35                # a + - = sign between two groups of a row
P_SPACE = 0.3                # a wider gap between two groups (like "12 34")
P_CLUTTER = 0.5              # a scene with lines and dots
P_EMPTY = 0.04               # a scene with no digit at all (only clutter): the detector must say nothing
WARP_DEGREES = 10            # compose_scenes(warp=True): each digit rotated by up to this
WARP_SHEAR = 0.15            # ... and sheared (x += shear * y) by up to this


@dataclass
class Scenes:
    images: torch.Tensor           # [B, 1, H, W]
    boxes: list                    # B x float [n, 4]
    labels: list                   # B x int64 [n]
    rows: list                     # B x int64 [n]: which row each digit is in (reading order = row, then x)
    touching: torch.Tensor         # bool [B]: two neighbouring digits of a row touch or overlap

    def reading(self, i: int) -> str:
        """The digits of scene i in reading order (rows top to bottom, left to right)."""
        order = np.lexsort((self.boxes[i][:, 0].numpy(), self.rows[i].numpy()))
        return "".join(str(int(self.labels[i][j])) for j in order)


def ink_boxes(images: np.ndarray) -> np.ndarray:
    """Tight ink boxes (x0, y0, x1, y1), pixel edges, of uint8 [N, 28, 28] digits: float [N, 4]."""
    ink = images > INK * 255
    cols, rows = ink.any(1), ink.any(2)
    x0, y0 = cols.argmax(1), rows.argmax(1)
    x1 = 28 - cols[:, ::-1].argmax(1)
    y1 = 28 - rows[:, ::-1].argmax(1)
    return np.stack([x0, y0, x1, y1], 1).astype(np.float32)


def _row_tokens(rng, n: int, h: float, aspects: np.ndarray):
    """Horizontal layout of one row of n digits of height h: (x offsets, widths, signs) where signs are
    (kind, x offset, width) of + - = marks placed in gaps between groups."""
    touching = rng.random() < P_TOUCHING_ROW
    widths = h * aspects * rng.uniform(0.85, 1.15, n)
    if touching:
        gaps = rng.uniform(-0.15, 0.03, n) * h
    else:
        gaps = rng.uniform(0.06, 0.45, n) * h
    signs = []
    x, xs = 0.0, []
    for k in range(n):
        if k > 0:
            x += gaps[k]
            r = rng.random()
            if r < P_SIGN:
                width = rng.uniform(0.4, 0.7) * h
                x += 0.2 * h
                signs.append((int(rng.integers(3)), x, width))
                x += width + 0.25 * h
            elif r < P_SIGN + P_SPACE:
                x += rng.uniform(0.5, 1.0) * h
        xs.append(x)
        x += widths[k]
    return np.array(xs), widths, signs, x, touching


def _layout(rng, sources: np.ndarray):
    """One scene's digits (source index, x0, y0, w, h, row) and strokes (x0, y0, x1, y1, thickness)."""
    digits, strokes, touching = [], [], False
    n_total = 0 if rng.random() < P_EMPTY else int(rng.integers(1, MAX_DIGITS + 1))
    n_rows = 1 if n_total < 4 else int(rng.choice([1, 2, 3], p=[0.65, 0.28, 0.07]))
    counts = np.bincount(rng.integers(0, n_rows, n_total), minlength=n_rows) if n_total else np.zeros(0, int)
    counts = counts[counts > 0]
    band = CANVAS_H / max(len(counts), 1)
    row_tops = []
    for r, n in enumerate(counts):
        idx = rng.integers(0, len(sources[0]), n)
        boxes = sources[1][idx]
        aspects = (boxes[:, 2] - boxes[:, 0]) / (boxes[:, 3] - boxes[:, 1])
        h = rng.uniform(DIGIT_HEIGHT[0], min(DIGIT_HEIGHT[1], 0.8 * band))
        xs, widths, signs, length, touch = _row_tokens(rng, n, h, aspects)
        if length > CANVAS_W - 4:                     # too long: shrink the row, then cut it
            shrink = (CANVAS_W - 4) / length
            if h * shrink < MIN_HEIGHT:
                shrink = MIN_HEIGHT / h
            h, xs, widths, length = h * shrink, xs * shrink, widths * shrink, length * shrink
            signs = [(kind, x * shrink, w * shrink) for kind, x, w in signs]
        left = rng.uniform(2, max(CANVAS_W - 2 - length, 2.5))
        top = r * band + rng.uniform(0.1, 0.9) * max(band - 1.1 * h, 0.5)
        keep = xs + left + widths <= CANVAS_W - 1
        touching |= bool(touch and keep.sum() > 1)
        for k in np.nonzero(keep)[0]:
            jitter = rng.uniform(-0.06, 0.06) * h
            scale = rng.uniform(0.9, 1.0)
            digits.append((idx[k], left + xs[k], np.clip(top + jitter, 0, CANVAS_H - h), widths[k], h * scale, r))
        stroke = max(1.0, h * rng.uniform(0.07, 0.13))
        for kind, x, w in signs:
            x0, x1, yc = left + x, left + x + w, top + 0.5 * h
            if x1 > CANVAS_W - 1:
                continue
            if kind == 0:      # +
                strokes += [(x0, yc, x1, yc, stroke), ((x0 + x1) / 2, yc - w / 2, (x0 + x1) / 2, yc + w / 2, stroke)]
            elif kind == 1:    # -
                strokes.append((x0, yc, x1, yc, stroke))
            else:              # =
                strokes += [(x0, yc - 0.18 * h, x1, yc - 0.18 * h, stroke), (x0, yc + 0.18 * h, x1, yc + 0.18 * h, stroke)]
        row_tops.append((top, h, left, length))
    if rng.random() < P_CLUTTER or n_total == 0:
        for _ in range(int(rng.integers(1, 4))):
            kind = rng.random()
            thick = rng.uniform(1.0, 2.5)
            if kind < 0.35:    # a long line anywhere, longer than any digit is tall
                angle, length = rng.uniform(0, np.pi), rng.uniform(45, 170)
                cx, cy = rng.uniform(0, CANVAS_W), rng.uniform(0, CANVAS_H)
                dx, dy = np.cos(angle) * length / 2, np.sin(angle) * length / 2
                strokes.append((cx - dx, cy - dy, cx + dx, cy + dy, thick))
            elif kind < 0.6 and row_tops:   # an underline below a row (like a sum's bar)
                top, h, left, length = row_tops[int(rng.integers(len(row_tops)))]
                y = min(top + h + rng.uniform(1, 3), CANVAS_H - 2)
                strokes.append((left - 2, y, min(left + length + 2, CANVAS_W - 1), y, thick))
            else:              # a few dots
                for _ in range(int(rng.integers(1, 5))):
                    x, y = rng.uniform(0, CANVAS_W), rng.uniform(0, CANVAS_H)
                    strokes.append((x, y, x, y, rng.uniform(1.2, 3.0)))
    return digits, strokes, touching


def max_into(target: torch.Tensor, index: torch.Tensor, layers: torch.Tensor) -> None:
    """target[index[k]] = max(target[index[k]], layers[k]) for every k, in place ([N, ...] and [M, ...])."""
    flat = layers.reshape(len(layers), -1)
    target.view(len(target), -1).scatter_reduce_(0, index[:, None].expand_as(flat), flat, "amax")


def _render_digits(images: torch.Tensor, src_boxes: torch.Tensor, place: torch.Tensor,
                   warp: torch.Tensor | None = None) -> torch.Tensor:
    """Resample each source digit so its ink box lands on place = (x0, y0, w, h): [M, H, W]. warp: [M, 2, 2]
    matrices (rotation and shear) applied to each digit around its box's centre, or None."""
    m = len(place)
    sx = place[:, 2] / (src_boxes[:, 2] - src_boxes[:, 0])
    sy = place[:, 3] / (src_boxes[:, 3] - src_boxes[:, 1])
    jx = torch.arange(CANVAS_W, dtype=torch.float32) + 0.5
    iy = torch.arange(CANVAS_H, dtype=torch.float32) + 0.5
    if warp is None:
        u = src_boxes[:, :1] + (jx[None] - place[:, :1]) / sx[:, None]        # source pixel coords [M, W]
        v = src_boxes[:, 1:2] + (iy[None] - place[:, 1:2]) / sy[:, None]      # [M, H]
        u, v = u[:, None, :].expand(m, CANVAS_H, CANVAS_W), v[:, :, None].expand(m, CANVAS_H, CANVAS_W)
    else:
        # canvas offsets from the placed box's centre, mapped back through the inverse warp, then into the source
        cx, cy = place[:, 0] + place[:, 2] / 2, place[:, 1] + place[:, 3] / 2
        dx = (jx[None] - cx[:, None])[:, None, :]                                # [M, 1, W]
        dy = (iy[None] - cy[:, None])[:, :, None]                                # [M, H, 1]
        inverse = torch.linalg.inv(warp)
        wx = inverse[:, 0, 0, None, None] * dx + inverse[:, 0, 1, None, None] * dy
        wy = inverse[:, 1, 0, None, None] * dx + inverse[:, 1, 1, None, None] * dy
        u = ((src_boxes[:, 0] + src_boxes[:, 2]) / 2)[:, None, None] + wx / sx[:, None, None]
        v = ((src_boxes[:, 1] + src_boxes[:, 3]) / 2)[:, None, None] + wy / sy[:, None, None]
    grid = torch.stack([2 * u / 28 - 1, 2 * v / 28 - 1], -1)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)[:, 0]


def _render_strokes(strokes: torch.Tensor) -> torch.Tensor:
    """Anti-aliased line segments (x0, y0, x1, y1, thickness) as distance fields: [S, H, W]."""
    xs = torch.arange(CANVAS_W, dtype=torch.float32)[None, None, :] + 0.5
    ys = torch.arange(CANVAS_H, dtype=torch.float32)[None, :, None] + 0.5
    ax, ay, bx, by, thick = (strokes[:, k, None, None] for k in range(5))
    abx, aby = bx - ax, by - ay
    px, py = xs - ax, ys - ay                                          # [S, 1, W], [S, H, 1]
    t = ((px * abx + py * aby) / (abx * abx + aby * aby).clamp_min(1e-6)).clamp(0, 1)
    d = ((px - t * abx) ** 2 + (py - t * aby) ** 2).sqrt()
    return (thick / 2 + 0.5 - d).clamp(0, 1)


def compose_scenes(images: np.ndarray, labels: np.ndarray, count: int, seed: int | None = None,
                   rng: np.random.Generator | None = None, warp: bool = False) -> Scenes:
    """`count` scenes from uint8 [N, 28, 28] digits with their labels, seeded (same seed -> same scenes).
    warp: also rotate (+-WARP_DEGREES) and shear (+-WARP_SHEAR) each digit, for training (10,000 distinct digits
    are few); the evaluation scenes are composed without (and the same seed gives the same layout either way)."""
    rng = rng if rng is not None else np.random.default_rng(seed)
    src_boxes_all = ink_boxes(images)
    layouts = [_layout(rng, (images, src_boxes_all)) for _ in range(count)]
    digit_rows = [(b, *d) for b, (digits, _, _) in enumerate(layouts) for d in digits]
    stroke_rows = [(b, *s) for b, (_, strokes, _) in enumerate(layouts) for s in strokes]
    canvas = torch.zeros(count, CANVAS_H, CANVAS_W)
    boxes = [torch.zeros(0, 4) for _ in range(count)]
    classes = [torch.zeros(0, dtype=torch.int64) for _ in range(count)]
    rows = [torch.zeros(0, dtype=torch.int64) for _ in range(count)]
    if digit_rows:
        table = np.array(digit_rows, dtype=np.float64)
        scene, src = torch.from_numpy(table[:, 0]).long(), table[:, 1].astype(np.int64)
        source = torch.from_numpy(images[src]).float().div(255)[:, None]
        # stroke width: thin (erode), as drawn, or bold (dilate once or twice) before resampling
        morph = rng.choice(4, len(src), p=[0.15, 0.4, 0.3, 0.15])
        eroded = -F.max_pool2d(-source, 3, 1, 1)
        dilated = F.max_pool2d(source, 3, 1, 1)
        bold = F.max_pool2d(dilated, 3, 1, 1)
        pick = torch.from_numpy(morph)[:, None, None, None]
        source = torch.where(pick == 0, 0.5 * (source + eroded),
                             torch.where(pick == 2, dilated, torch.where(pick == 3, bold, source)))
        src_boxes = torch.from_numpy(ink_boxes((source[:, 0] * 255).numpy()))
        ink_level = torch.from_numpy(rng.uniform(0.75, 1.0, len(src))).float()[:, None, None]
        warps = None
        if warp:
            angle = np.radians(rng.uniform(-WARP_DEGREES, WARP_DEGREES, len(src)))
            shear = rng.uniform(-WARP_SHEAR, WARP_SHEAR, len(src))
            cos, sin = np.cos(angle), np.sin(angle)
            warps = torch.from_numpy(np.stack([np.stack([cos, -sin + shear], 1), np.stack([sin, cos], 1)], 1)).float()
        layers = _render_digits(source, src_boxes, torch.from_numpy(table[:, 2:6]).float(), warps) * ink_level
        max_into(canvas, scene, layers)
        mask = layers > INK
        cols, rws = mask.any(1), mask.any(2)
        has = cols.any(1)
        x0 = cols.float().argmax(1)
        x1 = CANVAS_W - cols.flip(1).float().argmax(1)
        y0 = rws.float().argmax(1)
        y1 = CANVAS_H - rws.flip(1).float().argmax(1)
        all_boxes = torch.stack([x0, y0, x1, y1], 1).float()
        all_labels = torch.from_numpy(labels[src]).long()
        all_rows = torch.from_numpy(table[:, 6]).long()
        for b in range(count):
            sel = (scene == b) & has
            boxes[b], classes[b], rows[b] = all_boxes[sel], all_labels[sel], all_rows[sel]
    if stroke_rows:
        table = torch.tensor(stroke_rows, dtype=torch.float32)
        max_into(canvas, table[:, 0].long(), _render_strokes(table[:, 1:]))
    touching = torch.tensor([t for _, _, t in layouts], dtype=torch.bool)
    return Scenes(canvas[:, None], boxes, classes, rows, touching)
