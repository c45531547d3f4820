"""The digit detector: composed scenes, targets and decoding, AP and NMS written out, the shipped model's
numbers, and the ResNet tab's detection handlers with good and bad input (no data dir needed)."""
import gradio as gr
import numpy as np
import pytest
import torch

from demos.detection import (DEFAULT_THRESHOLD, detect_digits_in_drawing, detect_digits_in_picture, draw_text,
                             reading_text)
from demos.samples import sketchpad_value
from models.data import load_bundled_images
from models.detection import (NUM_CLASSES, READ_THRESHOLD, STRIDE, average_precision, box_iou, decode, load_detector,
                              make_targets, nms, read_rows, reading, score_detector)
from models.persistence import read_metrics
from models.scenes import CANVAS_H, CANVAS_W, INK, compose_scenes


@pytest.fixture(scope="module")
def digits():
    return load_bundled_images("mnist", "test")   # the 100 MNIST test digits shipped with the project


@pytest.fixture(scope="module")
def scenes(digits):
    return compose_scenes(*digits, count=40, seed=3)


# --- scenes ------------------------------------------------------------------------
@pytest.mark.parametrize("warp", [False, True])
def test_scene_boxes_are_tight_in_bounds_and_labelled(scenes, digits, warp):
    if warp:   # training scenes with rotated and sheared digits: the same layout, boxes still tight
        plain, scenes = scenes, compose_scenes(*digits, count=40, seed=3, warp=True)
        assert [len(b) for b in scenes.boxes] == [len(b) for b in plain.boxes]
        assert not torch.equal(scenes.images, plain.images)
    assert scenes.images.shape == (40, 1, CANVAS_H, CANVAS_W)
    assert 0 <= scenes.images.min() and scenes.images.max() <= 1
    n = 0
    for image, boxes, labels in zip(scenes.images[:, 0], scenes.boxes, scenes.labels):
        assert len(boxes) == len(labels) <= 12
        assert set(labels.tolist()) <= set(range(10))
        for x0, y0, x1, y1 in boxes.long().tolist():
            assert 0 <= x0 < x1 <= CANVAS_W and 0 <= y0 < y1 <= CANVAS_H
            # tight: each edge of the box has ink on it (the digit's own ink decides the box)
            for edge in (image[y0, x0:x1], image[y1 - 1, x0:x1], image[y0:y1, x0], image[y0:y1, x1 - 1]):
                assert edge.max() > INK
            n += 1
    assert n > 100
    assert scenes.touching.any() and not scenes.touching.all()


def test_scenes_are_seeded(digits, scenes):
    again = compose_scenes(*digits, count=40, seed=3)
    other = compose_scenes(*digits, count=40, seed=4)
    assert torch.equal(again.images, scenes.images)
    assert all(torch.equal(a, b) for a, b in zip(again.boxes, scenes.boxes))
    assert not torch.equal(other.images, scenes.images)


def test_targets_decode_back_to_the_true_boxes(scenes):
    """Perfect network outputs (the training targets themselves) decode to the scene's boxes and readings."""
    h, w = CANVAS_H // STRIDE, CANVAS_W // STRIDE
    heat, (b, y, x), reg = make_targets(scenes.boxes[:8], scenes.labels[:8], h, w)
    assert heat.shape == (8, NUM_CLASSES, h, w) and heat.max() == 1
    box = torch.zeros(8, 4, h, w)
    box[b, :, y, x] = reg
    logits = torch.logit(heat.clamp(1e-6, 1 - 1e-6))
    detections = decode(logits, box, threshold=0.5)
    truths = list(zip(scenes.boxes[:8], scenes.labels[:8]))
    m_ap, _ = average_precision(detections, truths)
    assert m_ap > 0.97
    reads = [reading(db, dc) == scenes.reading(i) for i, (db, ds, dc) in enumerate(detections)]
    assert sum(reads) >= 7


# --- IoU, NMS, AP, reading order -----------------------------------------------
def test_box_iou_and_nms():
    a = torch.tensor([[0., 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]])
    iou = box_iou(a, a)
    assert torch.allclose(iou.diag(), torch.ones(3))
    assert iou[0, 1].item() == pytest.approx(50 / 150)
    assert iou[0, 2] == 0
    boxes = torch.tensor([[0., 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30], [0, 1, 10, 11]])
    scores = torch.tensor([0.6, 0.9, 0.5, 0.3])
    assert nms(boxes, scores, iou=0.5).tolist() == [1, 2]          # the two duplicates of box 1 go
    assert nms(boxes, scores, iou=0.95).tolist() == [1, 0, 2, 3]   # nothing overlaps that much


def _one(boxes, scores, classes):
    return torch.tensor(boxes, dtype=torch.float32), torch.tensor(scores), torch.tensor(classes)


def test_average_precision_known_cases():
    truth = [(torch.tensor([[0., 0, 10, 10], [20, 0, 30, 10]]), torch.tensor([1, 2]))]
    perfect = [_one([[0, 0, 10, 10], [20, 0, 30, 10]], [0.9, 0.8], [1, 2])]
    assert average_precision(perfect, truth)[0] == 1.0
    missed = [_one([[0, 0, 10, 10]], [0.9], [1])]                      # class 2 never found
    m_ap, per_class = average_precision(missed, truth)
    assert per_class == {1: 1.0, 2: 0.0} and m_ap == 0.5
    # a false positive ranked below every true positive costs nothing; ranked above, it halves the precision
    low_fp = [_one([[0, 0, 10, 10], [20, 0, 30, 10], [50, 0, 60, 10]], [0.9, 0.8, 0.1], [1, 2, 1])]
    assert average_precision(low_fp, truth)[0] == 1.0
    high_fp = [_one([[50, 0, 60, 10], [0, 0, 10, 10], [20, 0, 30, 10]], [0.95, 0.9, 0.8], [1, 1, 2])]
    assert average_precision(high_fp, truth)[1] == {1: 0.5, 2: 1.0}
    # a box of the wrong class, or one that overlaps too little, is no match
    wrong = [_one([[0, 0, 10, 10], [24, 0, 34, 10]], [0.9, 0.8], [2, 2])]
    assert average_precision(wrong, truth)[0] == 0.0
    # two images: recall 1/2 then 2/2 at precision 1, then a duplicate adds a false positive at the end
    two = [(torch.tensor([[0., 0, 10, 10]]), torch.tensor([3])), (torch.tensor([[0., 0, 10, 10]]), torch.tensor([3]))]
    dets = [_one([[0, 0, 10, 10], [0, 0, 10, 10]], [0.9, 0.2], [3, 3]), _one([[0, 0, 10, 10]], [0.5], [3])]
    assert average_precision(dets, two)[0] == 1.0


def test_reading_order_goes_by_rows_then_left_to_right():
    boxes = torch.tensor([[50., 40, 60, 60], [0, 42, 10, 62], [30, 0, 40, 20], [10, 2, 20, 22]])
    classes = torch.tensor([4, 3, 2, 1])
    assert read_rows(boxes, classes) == [[3, 2], [1, 0]]
    assert reading(boxes, classes) == "1234"
    assert reading_text(boxes, classes) == "1 2\n3 4"       # wide gaps separate the numbers


# --- the shipped model ----------------------------------------------------------------
def test_shipped_detector_numbers_and_the_baseline():
    """weights/detector/metrics.json (1,000 test scenes): the detector, alone and with the crop reader reading its
    boxes, reaches the issue's mAP@0.5 target (0.90) but not its 90 % exact reads (see the model card); both are far
    ahead of connected components + CNN, most on touching digits, and the second stage (the crop reader) helps."""
    metrics = read_metrics("detector")
    assert metrics["map50"] >= 0.9 and metrics["exact_reads"] >= 0.62, metrics
    assert metrics["two_stage_map50"] >= 0.97 and metrics["two_stage_exact_reads"] >= 0.88, metrics
    assert metrics["two_stage_exact_reads_touching"] >= 0.8, metrics
    assert metrics["two_stage_map50"] > metrics["map50"] and metrics["two_stage_exact_reads"] > metrics["exact_reads"] + 0.15
    assert metrics["map50"] > metrics["baseline_map50"] + 0.1
    assert metrics["exact_reads"] > 2 * metrics["baseline_exact_reads"]
    assert metrics["exact_reads_touching"] > metrics["baseline_exact_reads_touching"] + 0.3
    assert metrics["two_stage_exact_reads_touching"] > metrics["baseline_exact_reads_touching"] + 0.6


def test_shipped_detector_on_fresh_test_scenes(digits):
    """A quick check on 50 new scenes of the 100 bundled MNIST test digits (the full numbers: metrics.json):
    the detector alone and with the crop reader reading its boxes, against the baseline."""
    from models.detection import baseline_detections, two_stage_detections

    scenes = compose_scenes(*digits, count=50, seed=77)
    model = load_detector()
    with torch.inference_mode():
        heat_logits, box = model(scenes.images)
    detections = decode(heat_logits, box)
    scores = score_detector(detections, scenes)
    two = score_detector(two_stage_detections(scenes, detections, list(torch.sigmoid(heat_logits))), scenes,
                         threshold=READ_THRESHOLD)
    base = score_detector(baseline_detections(scenes), scenes, threshold=0.5)
    assert scores["map50"] >= 0.8 and scores["exact_reads"] > base["exact_reads"] + 0.1, (scores, base)
    assert two["map50"] >= 0.85 and two["exact_reads"] >= scores["exact_reads"], (two, scores)


def digit_and_sign(digits):
    """A 64 x 128 network input with the first bundled test digit at the left and a minus sign beside it: (canvas,
    the digit's ink box, a box around the sign)."""
    from models.scenes import ink_boxes

    canvas = torch.zeros(64, 128)
    canvas[18:46, 4:32] = torch.from_numpy(digits[0][0] / 255)
    canvas[31:34, 60:76] = 1.0                                                    # a minus sign
    digit_box = torch.from_numpy(ink_boxes(digits[0][:1]))[0] + torch.tensor([4., 18, 4, 18])
    return canvas, digit_box, torch.tensor([58., 22, 78, 42])


def test_crop_reader_reads_a_box_and_drops_a_sign(digits):
    """The second stage: the crop reader reads a bundled test digit in its box (the window has the box marked as
    its second channel), and a box around a minus sign gets "not a digit": its score falls below the threshold."""
    from models.crop_reader import SIDE, load_crop_reader, windows
    from models.reading import reread

    canvas, digit_box, sign_box = digit_and_sign(digits)
    boxes = torch.stack([digit_box, sign_box])
    view = windows(canvas, boxes)
    assert view.shape == (2, 2, SIDE, SIDE) and view[:, 1, SIDE // 2, SIDE // 2].tolist() == [1, 1]
    assert view[:, 1, 0, 0].tolist() == [0, 0] and view[0, 0].max() > 0.9        # the box inside a wider window
    flat_heat = torch.full((10, 16, 32), 0.5)                                      # the detector has no opinion
    kept, scores, classes = reread(load_crop_reader(), canvas, boxes, torch.tensor([0.9, 0.9]), flat_heat)
    assert kept.tolist() == [0, 1], kept                                          # apart: both kept, the digit first
    assert int(classes[0]) == int(digits[1][0]) and scores[0] > 0.6 and scores[1] < 0.3, (scores, classes)


def test_two_stage_reading_suppresses_after_reading(digits):
    """The detector's candidates come unsuppressed; the reading keeps one box per place, the one with the best
    two-stage score, and reads it with the votes of its overlapping candidates: a slightly shifted second box
    around the same digit and a box around the sign beside it, each proposed twice."""
    from models.crop_reader import load_crop_reader
    from models.reading import reread

    canvas, digit_box, sign_box = digit_and_sign(digits)
    boxes = torch.stack([sign_box, digit_box + 1, sign_box + 1, digit_box])
    kept, scores, classes = reread(load_crop_reader(), canvas, boxes, torch.tensor([0.95, 0.9, 0.9, 0.8]),
                                   torch.full((10, 16, 32), 0.5))
    assert len(kept) == 2 and kept[0] in (1, 3) and kept[1] in (0, 2), kept     # the sign led, the digit wins
    assert scores[0] > 0.6 > 0.3 > scores[1] and int(classes[0]) == int(digits[1][0]), (scores, classes)

def test_crop_reader_is_the_mean_of_its_members():
    """The shipped reader is an ensemble of separately trained networks: its softmax is the mean of theirs."""
    from models.crop_reader import CONFIG, load_crop_reader

    reader = load_crop_reader()
    assert len(reader.members) == CONFIG["members"] >= 2
    x = torch.rand(5, 2, 28, 28, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        mean = torch.stack([torch.softmax(member(x), 1) for member in reader.members]).mean(0)
        assert torch.allclose(torch.softmax(reader(x), 1), mean, atol=1e-5)
        first, second = (member.features[0].weight for member in reader.members[:2])
        assert not torch.allclose(first, second)        # different seeds, not one network twice


def test_reader_labels_match_thin_digits_at_a_readable_width():
    """A box 2 px wide on a "1" 4 px wide (IoU 0.5 at best, 0.45 here) is that 1, not "not a digit"; the same offset
    on a wide digit, a box on half a digit and a box between two digits are not digits."""
    from models.crop_reader import NOT_A_DIGIT, match_digits

    truth = torch.tensor([[10.0, 0, 14, 20], [20, 0, 34, 20]])          # a 1 (4 x 20), then a wide digit (14 x 20)
    digits = torch.tensor([1, 8])
    boxes = torch.tensor([[12.0, 0, 13.8, 20],     # thin box on the 1: plain IoU 0.45
                          [20, 0, 34, 20],          # the wide digit exactly
                          [20, 0, 26, 20],          # its left half (IoU 0.43)
                          [13, 0, 21, 20],          # between the two
                          [2, 0, 4, 20]])           # beside the 1, on nothing
    assert box_iou(boxes[:1], truth[:1]).item() < 0.5
    labels = match_digits(boxes, truth, digits).tolist()
    assert labels == [1, 8, NOT_A_DIGIT, NOT_A_DIGIT, NOT_A_DIGIT], labels
    assert match_digits(boxes, truth[:0], digits[:0]).tolist() == [NOT_A_DIGIT] * 5
    assert match_digits(boxes, truth, digits, thin=None)[0] == NOT_A_DIGIT      # plain IoU: the "suppressed" recipe


def test_reader_training_crops_of_both_recipes(digits):
    """"suppressed" crops are the detector's boxes after NMS, "candidates" its unsuppressed ones (duplicates
    included, as the reading hands them over); both add one jittered true box per digit and label every window."""
    from models.crop_reader import MEMBERS, NOT_A_DIGIT, RECIPES, SIDE, labelled_crops, load_crop_reader

    assert {recipe for recipe, _ in MEMBERS} == set(RECIPES) and len(MEMBERS) == len(load_crop_reader().members)
    detector = load_detector().eval()
    made = {recipe: labelled_crops(detector, *digits, 6, seed=0, recipe=recipe, log=lambda *a, **k: None)
            for recipe in RECIPES}
    truths = sum(len(b) for b in compose_scenes(*digits, 6, rng=np.random.default_rng(0)).boxes)
    for x, y in made.values():
        assert x.dtype == torch.uint8 and x.shape[1:] == (2, SIDE, SIDE) and len(x) == len(y) > truths
        assert int(y.min()) >= 0 and int(y.max()) <= NOT_A_DIGIT
    assert len(made["candidates"][1]) > len(made["suppressed"][1])


# --- the handlers ------------------------------------------------------------------------
def read(drawing, threshold=DEFAULT_THRESHOLD):
    return detect_digits_in_drawing(sketchpad_value(drawing), threshold)


def mnist_drawing(digits, indices, size=(840, 280), height=200, step=0.8) -> np.ndarray:
    """Real handwriting: bundled MNIST test digits scaled up side by side (`step` x height apart; MNIST's ink is
    ~0.7 of its box wide, so a small step makes them touch), black ink on white like a scan."""
    from PIL import Image

    page = np.full(size[::-1], 255, np.uint8)
    x = 40
    for k in indices:
        digit = np.asarray(Image.fromarray(255 - digits[0][k]).resize((height, height), Image.Resampling.BILINEAR))
        y = (size[1] - height) // 2
        page[y:y + height, x:x + height] = np.minimum(page[y:y + height, x:x + height], digit)
        x += int(height * step)
    return page


def picks(digits, text):
    """Indices of bundled test digits spelling `text` (a different handwriting for a repeated digit)."""
    where = [np.nonzero(digits[1] == d)[0] for d in range(10)]
    return [int(where[int(d)][k % len(where[int(d)])]) for k, d in enumerate(text)]


def test_reads_handwritten_numbers(digits):
    boxes, reading, status, heat, table, base_boxes, base_reading = detect_digits_in_picture(
        mnist_drawing(digits, picks(digits, "4207")))
    assert reading == "4207"
    assert len(table) == 4 and all(row[1] >= DEFAULT_THRESHOLD for row in table)
    assert all(len(row) == 7 and 0 <= row[6] <= 9 for row in table)      # the last column: the detector alone
    assert boxes.ndim == 3 and heat.ndim == 3 and base_boxes.ndim == 3
    assert "Found 4" in status and "找到 4" in status


def test_many_handwritten_digits(digits):
    many = "31415926535897932384"
    reading = detect_digits_in_picture(mnist_drawing(digits, picks(digits, many), size=(1200, 100), height=56))[1]
    assert len(reading.replace(" ", "")) >= 18


def test_touching_digits_found_by_detector_not_by_baseline(digits):
    drawing = mnist_drawing(digits, picks(digits, "2024"), step=0.5)
    boxes, reading, status, heat, table, base_boxes, base_reading = detect_digits_in_picture(drawing)
    assert len(table) == 4
    assert len(base_reading.replace(" ", "")) < 4      # touching digits merge into one piece for connected components


def test_finds_drawn_digits_not_the_sign():
    """Digits drawn by code with mouse-like strokes (further from MNIST than handwriting: scores are lower)."""
    table = read(draw_text("12+34"), threshold=0.2)[4]
    assert 3 <= len(table) <= 4


def test_white_on_black_and_large_uploads():
    on_black = draw_text("58", size=(840, 280))[..., 3]                      # white ink on black
    assert len(detect_digits_in_picture(on_black)[4]) == 2
    big = np.full((4000, 4000, 3), 255, np.uint8)                            # a 4000x4000 scan is downscaled
    big[1500:2500] = draw_text("36", size=(4000, 1000), width=60)[..., 3:].repeat(3, 2) ^ 255
    boxes, reading, status, heat, table, *_ = detect_digits_in_picture(big)
    assert len(table) == 2 and all(1500 <= row[3] < row[5] <= 2500 for row in table)   # boxes in its pixels


def test_nothing_to_read_gives_no_boxes():
    rng = np.random.default_rng(0)
    blank_photo = np.clip(rng.normal(200, 4, (300, 500, 3)), 0, 255).astype(np.uint8)     # paper, no ink
    lines = draw_text("", size=(840, 280))
    from PIL import Image, ImageDraw
    img = Image.fromarray(lines)
    draw = ImageDraw.Draw(img)
    draw.line((30, 250, 800, 200), fill=(0, 0, 0, 255), width=8)                             # clutter only
    draw.line((20, 40, 820, 60), fill=(0, 0, 0, 255), width=5)
    for picture in (blank_photo, np.asarray(img)):
        try:
            _, reading, status, *_ , table, _, _ = detect_digits_in_picture(picture)
        except gr.Error as exc:
            assert "empty" in str(exc)
            continue
        assert reading == "" and table == [] and "No digit" in status


@pytest.mark.parametrize("value", [None, draw_text("")])
def test_empty_canvas_is_a_clear_error(value):
    with pytest.raises(gr.Error) as info:
        detect_digits_in_drawing(sketchpad_value(value) if value is not None else None)
    assert "\n" in info.value.message            # English, then Chinese


@pytest.mark.parametrize("threshold", [float("nan"), -1, 2, "high", None])
def test_bad_threshold_is_refused(threshold):
    with pytest.raises(gr.Error, match="Score threshold"):
        read(draw_text("42"), threshold)


def test_oversized_and_unreadable_uploads_are_refused(tmp_path):
    with pytest.raises(gr.Error, match="limit"):
        detect_digits_in_picture(np.zeros((5000, 300), np.uint8))
    bad = tmp_path / "x.png"
    bad.write_bytes(b"not an image")
    with pytest.raises(gr.Error, match="not an image"):
        detect_digits_in_picture(str(bad))


def test_threshold_filters_weak_boxes():
    drawing = draw_text("12+34")
    kept = [len(read(drawing, th)[4]) for th in (0.05, 0.3, 0.95)]
    assert kept[0] >= kept[1] >= kept[2]


def test_the_tabs_default_threshold_is_the_measured_one():
    """The slider starts where the metrics were measured (demos.detection keeps its own copy to stay torch-free)."""
    assert DEFAULT_THRESHOLD == READ_THRESHOLD
