"""Turn a person's image (a canvas drawing, a photo, a scan) into what an MNIST model expects.

MNIST digits are white ink on black, the ink's bounding box scaled into 20x20
keeping its aspect ratio, pasted into 28x28 so that the centre of mass sits in
the middle, with strokes about 2-3 pixels wide. `mnist_like` reproduces that for
black-on-white uploads, transparent canvases and white-on-black images alike,
and evens out very thin or very thick strokes first.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

NOT_AN_IMAGE = "That file is not an image this app can read (use PNG, JPEG or WebP)."
MAX_SIDE = 4096          # larger images are refused (a decompression bomb is not a digit)
WORK_SIDE = 200          # ink is analysed at this resolution at most
INK_THRESHOLD = 0.25     # an ink map value above this counts as ink
MIN_INK_FRACTION = 0.0005


class ImageInputError(ValueError):
    """The image cannot be read as a digit; the message is meant for the user."""


def to_array(image) -> np.ndarray:
    """Accept a PIL image, a numpy array or a path; return uint8 HxW, HxWx3 or HxWx4."""
    if image is None:
        raise ImageInputError("No image: draw a digit or upload a picture.")
    if isinstance(image, (str, bytes)) or hasattr(image, "__fspath__"):
        try:
            with Image.open(image) as img:
                if img.width > MAX_SIDE or img.height > MAX_SIDE:
                    raise ImageInputError(f"The image is {img.width}x{img.height}; the limit is {MAX_SIDE}x{MAX_SIDE} pixels.")
                image = img.convert("RGBA") if "A" in img.getbands() or img.mode == "P" else img.convert("RGB")
                image.load()
        except ImageInputError:
            raise
        except Exception:
            raise ImageInputError(NOT_AN_IMAGE) from None
    if isinstance(image, Image.Image):
        image = np.asarray(image.convert("RGBA") if "A" in image.getbands() else image.convert("RGB"))
    array = np.asarray(image)
    if array.dtype == object or array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
        raise ImageInputError("Expected an image (height x width, grey, RGB or RGBA).")
    if array.shape[0] < 8 or array.shape[1] < 8:
        raise ImageInputError("The image is too small (under 8x8 pixels).")
    if array.shape[0] > MAX_SIDE or array.shape[1] > MAX_SIDE:
        raise ImageInputError(f"The image is {array.shape[1]}x{array.shape[0]}; the limit is {MAX_SIDE}x{MAX_SIDE} pixels.")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.dtype != np.uint8:
        array = array.astype(np.float64)
        if not np.isfinite(array).all():
            raise ImageInputError("The image contains invalid (NaN or infinite) pixel values.")
        if array.max() <= 1.0:
            array = array * 255
        array = np.clip(array, 0, 255).astype(np.uint8)
    return array


def ink_map(array: np.ndarray) -> np.ndarray:
    """Float HxW in [0, 1], 1 where there is ink, whatever the background."""
    if array.ndim == 3 and array.shape[2] == 4:
        alpha = array[:, :, 3].astype(np.float32) / 255
        if alpha.min() < 0.98:
            # transparent canvas or cut-out: what is opaque is the drawing
            return alpha
        array = array[:, :, :3]
    gray = array.astype(np.float32) if array.ndim == 2 else array[:, :, :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(border))
    if background > 127:  # dark ink on light paper
        ink = (background - gray) / max(background, 1.0)
    else:                 # light ink on dark background, like MNIST itself
        ink = (gray - background) / max(255.0 - background, 1.0)
    return np.clip(ink, 0, 1)


def _downscale(ink: np.ndarray, side: int) -> np.ndarray:
    h, w = ink.shape
    scale = side / max(h, w)
    if scale >= 1:
        return ink
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(ink, mode="F").resize(size, Image.Resampling.BOX))


def _stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary mask: area / (half the boundary length)."""
    area = mask.sum()
    inner = mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    boundary = area - inner.sum()
    return 2.0 * area / max(boundary, 1)


def mnist_like(image) -> np.ndarray:
    """Return a float32 28x28 array in [0, 1] (white ink on black) ready for the MNIST models.

    Raises ImageInputError with a user-facing message when there is no digit to read.
    """
    ink = ink_map(to_array(image))
    if ink.max() < INK_THRESHOLD or (ink > INK_THRESHOLD).mean() < MIN_INK_FRACTION:
        raise ImageInputError("The image is empty: draw a digit (or upload one) first.")
    # crop to the ink, with a margin so resampling does not clip the strokes
    rows, cols = np.nonzero(ink > INK_THRESHOLD)
    pad = max(2, int(0.02 * max(ink.shape)))
    top, bottom = max(rows.min() - pad, 0), min(rows.max() + pad + 1, ink.shape[0])
    left, right = max(cols.min() - pad, 0), min(cols.max() + pad + 1, ink.shape[1])
    ink = _downscale(np.ascontiguousarray(ink[top:bottom, left:right], dtype=np.float32), WORK_SIDE)
    ink = ink / max(float(np.percentile(ink[ink > INK_THRESHOLD / 2], 95)), 1e-6) if (ink > INK_THRESHOLD / 2).any() else ink
    ink = np.clip(ink, 0, 1)

    # even out the stroke width: MNIST strokes are ~1/8 of the digit's larger side
    mask = ink > 0.5
    if not mask.any():
        mask = ink > INK_THRESHOLD
    rows, cols = np.nonzero(mask)
    target = (max(np.ptp(rows), np.ptp(cols)) + 1) / 8
    width = _stroke_width(mask)
    img = Image.fromarray((ink * 255).astype(np.uint8))
    if width < 0.6 * target:
        radius = int(round((target - width) / 2))
        if radius >= 1:
            img = img.filter(ImageFilter.MaxFilter(2 * min(radius, 15) + 1))
    elif width > 1.8 * target:
        radius = int(round((width - target) / 4))
        if radius >= 1:
            img = img.filter(ImageFilter.MinFilter(2 * min(radius, 15) + 1))
    ink = np.asarray(img, dtype=np.float32) / 255

    # tight crop again, scale the larger side to 20 pixels, keep the aspect ratio
    rows, cols = np.nonzero(ink > 0.05)
    if len(rows) == 0:
        raise ImageInputError("The image is empty: draw a digit (or upload one) first.")
    ink = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = ink.shape
    scale = 20.0 / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    small = np.asarray(Image.fromarray(ink, mode="F").resize((new_w, new_h), Image.Resampling.LANCZOS))
    small = np.clip(small, 0, 1)

    # paste into 28x28 so that the centre of mass lands on the centre
    total = small.sum()
    ys, xs = np.mgrid[0:new_h, 0:new_w]
    cy, cx = (ys * small).sum() / total, (xs * small).sum() / total
    off_y = int(np.clip(round(14 - cy), 0, 28 - new_h))
    off_x = int(np.clip(round(14 - cx), 0, 28 - new_w))
    out = np.zeros((28, 28), np.float32)
    out[off_y:off_y + new_h, off_x:off_x + new_w] = small
    return out


def fashion_like(image) -> np.ndarray:
    """Return a float32 28x28 array in [0, 1] the way Fashion-MNIST was made from product photos:
    grayscale, trimmed to the object, the longer side scaled to 28 keeping the aspect ratio, centred,
    and inverted when the background is light (Fashion-MNIST garments are light on black).

    Transparent pixels are composited on white first (a cut-out product photo). An image that is
    already 28x28 (a Fashion-MNIST image) is only grey-converted (and inverted if light).
    Raises ImageInputError with a user-facing message when there is nothing to classify.
    """
    if image is None:
        raise ImageInputError("No image: upload a picture of one piece of clothing, or pick an example.")
    array = to_array(image)
    if array.ndim == 3 and array.shape[2] == 4:
        alpha = array[:, :, 3:4].astype(np.float32) / 255
        array = array[:, :, :3].astype(np.float32) * alpha + 255 * (1 - alpha)
    ink = ink_map(array).astype(np.float32)  # inverted when the background is light
    if ink.max() < INK_THRESHOLD or (ink > 0.1).mean() < MIN_INK_FRACTION:
        raise ImageInputError("The image is empty (one flat colour): upload a picture of a piece of clothing.")
    if ink.shape == (28, 28):  # already framed like Fashion-MNIST
        return ink
    rows, cols = np.nonzero(ink > 0.1)
    ink = np.ascontiguousarray(ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1])
    h, w = ink.shape
    scale = 28.0 / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    small = np.clip(np.asarray(Image.fromarray(ink, mode="F").resize((new_w, new_h), Image.Resampling.LANCZOS)), 0, 1)
    out = np.zeros((28, 28), np.float32)
    top, left = (28 - new_h) // 2, (28 - new_w) // 2
    out[top:top + new_h, left:left + new_w] = small
    return out
