"""Reading every digit of a person's drawing: with the detector, and with the classic baseline.

Both start from the same ink map (models.imaging.ink_map: 1 where there is ink, whatever the background) and
the same scale estimate: the median height of the ink's connected pieces is taken as the digits' height, and
the drawing is resized so that it matches the height the detector was trained on (scenes of 12-30 px digits).

- Detector: the resized ink map goes through the fully convolutional network at any size (padded to a multiple
  of 16); boxes come back in the drawing's own pixels. Its second stage (reread) is the crop reader
  (models/crop_reader.py), which reads a window around each box of the same network input.
- Baseline: connected components (scipy.ndimage.label) of the ink, each piece cut out, made MNIST-like
  (models.imaging.mnist_like) and classified by the CNN tab's network. Touching digits form one piece, so it
  reads them as one digit: that is where a detector has to win.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageFilter
from scipy import ndimage

from .imaging import INK_THRESHOLD, ImageInputError, _stroke_width, ink_map, mnist_like, to_array

TARGET_HEIGHT = 22.0      # digit height (pixels) the detector sees: the middle of its training range (12-30)
STROKE = 0.12             # MNIST's stroke width as a share of the digit height
MAX_WORK_SIDE = 1024      # the ink is analysed at this resolution at most (a 4000x4000 upload is downscaled)
MAX_NET_PIXELS = 256 * 1024   # the network's input is capped at this many pixels (a very wide/tall page)
MIN_PIECE_FRACTION = 0.01     # pieces with less ink than this share of the largest are specks, not digits
SIGN_HEIGHT = 0.45        # baseline: pieces shorter than this share of the digit height are signs or dots
EIGHT_CONNECTED = np.ones((3, 3), bool)
READER_POWER = 2.0        # two-stage reading: digit = argmax of the crop reader's probability ** this x heatmap score
                          # (the first 300 test scenes, threshold 0.2: powers 1 and 2 read 86.0 / 86.3 % exactly, the
                          # reader alone 86.0 %; 400 training-digit scenes also prefer 2)
VOTE_IOU = 0.7            # a kept box reads the score-weighted mean of the reader's probabilities over the candidate
                          # boxes overlapping it by more than this (box voting)


@dataclass
class Ink:
    """A drawing's ink map at work resolution, and how it relates to the original pixels."""
    ink: np.ndarray          # float [h, w] in [0, 1]
    to_original: float       # multiply work-resolution coordinates by this to get the drawing's pixels
    digit_height: float      # estimated digit height at work resolution (0 when there is no ink)
    size: tuple              # the original (width, height)


def pieces(mask: np.ndarray):
    """Connected pieces (8-connectivity) of a boolean mask: (label image, [(slice_y, slice_x)], pixel counts)."""
    labels, n = ndimage.label(mask, structure=EIGHT_CONNECTED)
    slices = ndimage.find_objects(labels)
    counts = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    return labels, slices, counts


def read_ink(image) -> Ink:
    """Any image (Sketchpad array, PIL, path) -> its ink map at work resolution and the digit-height estimate.
    Raises ImageInputError (a message for the user) for what is not an image."""
    array = to_array(image)
    ink = ink_map(array).astype(np.float32)
    height, width = ink.shape
    shrink = min(1.0, MAX_WORK_SIDE / max(height, width))
    if shrink < 1:
        size = (max(1, round(width * shrink)), max(1, round(height * shrink)))
        ink = np.asarray(Image.fromarray(ink, mode="F").resize(size, Image.Resampling.BOX))
    mask = ink > INK_THRESHOLD
    digit_height = 0.0
    if mask.any():
        _, slices, counts = pieces(mask)
        heights = np.array([s[0].stop - s[0].start for s in slices])
        # dots, minus signs and specks are not digits: only pieces at least a third as tall as the tallest count
        tall = (counts >= MIN_PIECE_FRACTION * counts.max()) & (heights >= 0.3 * heights.max())
        digit_height = float(np.median(heights[tall]))
    return Ink(ink, 1.0 / shrink, digit_height, (width, height))


def even_strokes(image: Image.Image) -> Image.Image:
    """Thicken thin strokes (a fine pen, a big drawing shrunk) and thin out very thick ones (a marker) towards
    STROKE * TARGET_HEIGHT * 2, the stroke width of the training digits at this (doubled) scale."""
    mask = np.asarray(image) > 0.5
    if not mask.any():
        return image
    width, target = _stroke_width(mask), 2 * STROKE * TARGET_HEIGHT
    if width < 0.8 * target:
        return image.filter(ImageFilter.MaxFilter(2 * min(round((target - width) / 2), 6) + 1))
    if width > 1.8 * target:
        return image.filter(ImageFilter.MinFilter(2 * min(round((width - target) / 4), 6) + 1))
    return image


def network_input(ink: Ink):
    """The ink map resized so its digits are TARGET_HEIGHT tall, padded to multiples of 16:
    (tensor [1, 1, H, W], scale from work resolution to network pixels)."""
    h, w = ink.ink.shape
    scale = TARGET_HEIGHT / max(ink.digit_height, 1.0)
    scale = min(scale, (MAX_NET_PIXELS / (h * w)) ** 0.5)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    # resized to twice the size first, where strokes are evened out to MNIST's width in half-pixel steps
    resample = Image.Resampling.BOX if scale < 0.5 else Image.Resampling.BILINEAR
    double = Image.fromarray(ink.ink, mode="F").resize((2 * new_w, 2 * new_h), resample)
    small = np.asarray(even_strokes(double).resize((new_w, new_h), Image.Resampling.BOX))
    # thin strokes fade when shrunk: bring the ink back to full strength, as the training scenes have
    strong = small[small > INK_THRESHOLD / 2]
    if strong.size:
        small = np.clip(small / max(float(np.percentile(strong, 95)), 1e-6), 0, 1)
    pad_h, pad_w = -new_h % 16 + 16, -new_w % 16 + 16
    canvas = np.zeros((new_h + pad_h, new_w + pad_w), np.float32)
    canvas[pad_h // 2:pad_h // 2 + new_h, pad_w // 2:pad_w // 2 + new_w] = small
    offset = (pad_w // 2, pad_h // 2)
    return torch.from_numpy(canvas)[None, None], scale, offset


def detect(model, ink: Ink, threshold: float, reader=None):
    """Run the detector on a drawing's ink (read_ink): (boxes [n, 4] in the drawing's pixels, scores [n],
    classes [n], the detector's own classes [n], heatmaps [10, h, w] of the network's view, the network's input
    [H, W]). With a reader (models.crop_reader), scores and classes are the two-stage reading (reread) of the
    network's input, the view the test scenes measure, and boxes it scores below the threshold are dropped; without,
    the detector's own. No ink -> no boxes."""
    from .detection import NMS_IOU, decode

    if ink.digit_height == 0:
        empty = torch.zeros(0)
        return torch.zeros(0, 4), empty, empty.long(), empty.long(), None, None
    x, scale, (ox, oy) = network_input(ink)
    with torch.inference_mode():
        parameter = next(model.parameters())
        heat_logits, box = (out.float().cpu() for out in model(x.to(parameter.device, parameter.dtype)))
        # the two-stage reading suppresses overlapping boxes itself, after its reader has scored them (a two-stage
        # score is at most the detector's, so candidates below the threshold could never be kept)
        boxes, scores, own = decode(heat_logits, box, threshold=threshold,
                                    nms_iou=None if reader is not None else NMS_IOU)[0]
    heat = torch.sigmoid(heat_logits[0])
    classes = own
    if reader is not None:
        kept, scores, classes = reread(reader, x[0, 0], boxes, scores, heat)
        boxes, own = boxes[kept], own[kept]
        keep = scores >= threshold
        boxes, scores, classes, own = boxes[keep], scores[keep], classes[keep], own[keep]
    boxes = (boxes - torch.tensor([ox, oy, ox, oy])) / scale * ink.to_original
    boxes[:, 0::2] = boxes[:, 0::2].clamp(0, ink.size[0])
    boxes[:, 1::2] = boxes[:, 1::2].clamp(0, ink.size[1])
    return boxes, scores, classes, own, heat, x[0, 0]


def component_crops(ink: np.ndarray, digit_height: float | None = None):
    """The baseline's pieces: connected components of the ink that are tall enough to be digits (signs, dots and
    underlines are shorter). Returns (boxes float [n, 4] x0, y0, x1, y1, 28x28 MNIST-like crops [n, 28, 28])."""
    mask = ink > INK_THRESHOLD
    if not mask.any():
        return np.zeros((0, 4), np.float32), np.zeros((0, 28, 28), np.float32)
    labels, slices, counts = pieces(mask)
    big = counts >= MIN_PIECE_FRACTION * counts.max()
    heights = np.array([s[0].stop - s[0].start for s in slices])
    if digit_height is None:
        digit_height = float(np.median(heights[big]))
    boxes, crops = [], []
    for k, (sy, sx) in enumerate(slices):
        if not big[k] or heights[k] < SIGN_HEIGHT * digit_height:
            continue
        piece = np.where(labels[sy, sx] == k + 1, ink[sy, sx], 0)
        piece = np.pad(piece, 2)
        try:
            crops.append(mnist_like((piece * 255).astype(np.uint8)))
        except ImageInputError:
            continue
        boxes.append((sx.start, sy.start, sx.stop, sy.stop))
    if not boxes:
        return np.zeros((0, 4), np.float32), np.zeros((0, 28, 28), np.float32)
    return np.array(boxes, np.float32), np.stack(crops)


def crop_probabilities(classifier, crops: np.ndarray) -> torch.Tensor:
    """An MNIST classifier's softmax over the 10 digits for MNIST-like crops [n, 28, 28]: [n, 10]."""
    with torch.inference_mode():
        device = next(classifier.parameters()).device
        return torch.softmax(classifier(torch.from_numpy(crops)[:, None].to(device)).float(), 1).cpu()


def classify_crops(classifier, crops: np.ndarray):
    """(classes [n], scores [n]) of MNIST-like crops by an MNIST classifier (softmax's top class)."""
    if len(crops) == 0:
        return torch.zeros(0, dtype=torch.long), torch.zeros(0)
    scores, classes = crop_probabilities(classifier, crops).max(1)
    return classes, scores


def reread(reader, image: torch.Tensor, boxes, scores, heat):
    """Two-stage reading (as in R-CNN: the detector proposes boxes, a second network reads each): the crop reader
    (models.crop_reader, trained on the detector's own boxes) gives each candidate box's window 10 digit
    probabilities and a "not a digit" one. A box's score is the detector's x (1 - "not a digit"), so signs, lines and
    half digits the detector boxed fall below the threshold; non-maximum suppression then runs on these scores (the
    candidates come unsuppressed: the box the reader trusts most wins its place). A kept box's probabilities are the
    score-weighted mean over the candidates that overlap it by more than VOTE_IOU (box voting: several views of one
    digit), and its digit is the argmax of those ** READER_POWER x the detector's own class score there (its sigmoid
    heatmaps [10, h, w] of the same image, stride models.detection.STRIDE). image: the network's input [H, W] the
    boxes are in. Returns (kept: indices into boxes, best first; their scores [k]; classes [k])."""
    from .crop_reader import NOT_A_DIGIT, read_boxes
    from .detection import box_iou, nms

    boxes, scores = torch.as_tensor(boxes).float().reshape(-1, 4), torch.as_tensor(scores).float()
    if len(boxes) == 0:
        return torch.zeros(0, dtype=torch.long), scores, torch.zeros(0, dtype=torch.long)
    probs = read_boxes(reader, torch.as_tensor(image), boxes)
    scores = scores * (1 - probs[:, NOT_A_DIGIT])
    kept = nms(boxes, scores)
    weights = (box_iou(boxes[kept], boxes) > VOTE_IOU).float() * scores[None]      # [k, n], each kept box votes too
    voted = weights @ probs / weights.sum(1, keepdim=True).clamp_min(1e-12)
    digits = voted[:, :NOT_A_DIGIT].clamp_min(1e-6) ** READER_POWER * class_scores(heat, boxes[kept])
    return kept, scores[kept], digits.argmax(1)


def class_scores(heat: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """The detector's score of every class near each box's centre: the heatmaps [10, h, w] max-pooled over 3x3
    cells, read at the centre's cell. Returns [n, 10]."""
    from .detection import STRIDE

    pooled = torch.nn.functional.max_pool2d(heat[None], 3, 1, 1)[0]
    x = ((boxes[:, 0] + boxes[:, 2]) / 2 / STRIDE).long().clamp(0, heat.shape[2] - 1)
    y = ((boxes[:, 1] + boxes[:, 3]) / 2 / STRIDE).long().clamp(0, heat.shape[1] - 1)
    return pooled[:, y, x].T


def baseline(classifier, ink: Ink):
    """The connected-components + CNN reading of a drawing's ink: (boxes [n, 4] in its pixels, scores, classes)."""
    boxes, crops = component_crops(ink.ink, ink.digit_height or None)
    classes, scores = classify_crops(classifier, crops)
    return torch.from_numpy(boxes) * ink.to_original, scores, classes
