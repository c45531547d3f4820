"""ResNet tab, detection section: a ResNet backbone that finds and reads every digit in a drawing.

The detector (models/detection.py, weights/detector) with its second stage (the crop reader, models/crop_reader.py,
weights/crop-reader) and the classic baseline (connected components + the CNN tab's classifier, models/reading.py)
read the same drawing side by side; the numbers that compare them on the
same 1,000 test scenes come from weights/detector/metrics.json.
"""
from __future__ import annotations

import gradio as gr
import numpy as np
from PIL import Image, ImageDraw

from .common import both, check_number, editor_image, error, heat_overlay, image_error, missing_weights, text_font, tile
from .i18n import t

CANVAS_SIZE = (840, 280)    # a wide canvas: a phone number or a sum fits on one line
DEFAULT_THRESHOLD = 0.15    # = models.detection.READ_THRESHOLD (kept here so building the tab stays torch-free)
TILE_WIDTH = 280            # each class's heatmap tile, at most this wide
GROUP_GAP = 0.45            # a horizontal gap wider than this share of the digit height separates two numbers
BOX_COLOURS = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180),
               (70, 190, 190), (240, 50, 230), (128, 128, 0), (0, 0, 128), (170, 110, 40)]

STATUS = {
    "found": ("Found {n} digit(s) above the score threshold {threshold:.2f}.",
              "在分数阈值 {threshold:.2f} 以上找到 {n} 个数字。"),
    "none": ("No digit found above the score threshold {threshold:.2f} (lower it to see weaker guesses).",
             "在分数阈值 {threshold:.2f} 以上没有找到数字（调低阈值可以看到把握更小的猜测）。"),
    "baseline": ("Baseline: {n} piece(s) of ink read by the CNN.", "基线：CNN 读出了 {n} 块笔迹。"),
}


def _weights_error() -> gr.Error:
    return missing_weights("detector")


def load_detector():
    from models.cache import load_model
    from models.detection import load_detector as load

    try:
        return load_model("detector", load)
    except FileNotFoundError:
        raise _weights_error() from None


def load_reader():
    """The detector's second stage (weights/crop-reader): reads the digit in each detected box."""
    from models.cache import load_model
    from models.crop_reader import load_crop_reader

    try:
        return load_model("crop-reader", load_crop_reader)
    except FileNotFoundError:
        raise missing_weights("crop-reader") from None


def drawing_rgb(value) -> np.ndarray:
    """A Sketchpad value or an uploaded image as RGB uint8, transparent parts on white (what to draw boxes on)."""
    from models.imaging import to_array

    array = to_array(editor_image(value))
    if array.ndim == 2:
        return np.repeat(array[..., None], 3, axis=2)
    if array.shape[2] == 4:
        alpha = array[..., 3:].astype(np.float32) / 255
        return (array[..., :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
    return array


def boxes_picture(rgb: np.ndarray, boxes, scores, classes) -> np.ndarray:
    """The drawing with a coloured box and 'digit score' label per detection (shrunk to 840 px wide at most)."""
    img = Image.fromarray(rgb)
    scale = min(1.0, CANVAS_SIZE[0] / img.width)
    if scale < 1:
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(img)
    font = text_font(14)
    for (x0, y0, x1, y1), s, c in zip((np.asarray(boxes) * scale).tolist(), np.asarray(scores).tolist(),
                                      np.asarray(classes).tolist()):
        colour = BOX_COLOURS[int(c)]
        draw.rectangle((x0, y0, x1, y1), outline=colour, width=2)
        label = f"{int(c)} {s:.2f}"
        left, top, right, bottom = draw.textbbox((x0, y0), label, font=font)
        y = max(0, y0 - (bottom - top) - 4)
        draw.rectangle((x0, y, x0 + right - left + 4, y + bottom - top + 4), fill=colour)
        draw.text((x0 + 2, y + 2 - (top - y0)), label, fill=(255, 255, 255), font=font)
    return np.asarray(img)


def reading_text(boxes, classes) -> str:
    """The digits in reading order: rows on separate lines, a space where a wider gap separates two numbers."""
    import torch

    from models.detection import read_rows

    boxes, classes = torch.as_tensor(boxes).float(), torch.as_tensor(classes)
    if len(boxes) == 0:
        return ""
    height = float((boxes[:, 3] - boxes[:, 1]).median())
    lines = []
    for row in read_rows(boxes, classes):
        text = str(int(classes[row[0]]))
        for prev, k in zip(row, row[1:]):
            gap = float(boxes[k, 0] - boxes[prev, 2])
            text += (" " if gap > GROUP_GAP * height else "") + str(int(classes[k]))
        lines.append(text)
    return "\n".join(lines)


def heatmap_tiles(network_input, heat) -> np.ndarray:
    """The ten class heatmaps over the network's view of the drawing, labelled 0-9, in a 2x5 grid."""
    gray = network_input.numpy()
    heat = heat.numpy()
    rows, cols = np.nonzero(gray > 0.05)
    if len(rows):  # crop to the ink (plus a margin) so the tiles show the drawing, not the padding
        top, bottom = max(rows.min() - 8, 0), min(rows.max() + 9, gray.shape[0])
        left, right = max(cols.min() - 8, 0), min(cols.max() + 9, gray.shape[1])
    else:
        top, bottom, left, right = 0, gray.shape[0], 0, gray.shape[1]
    stride = gray.shape[0] // heat.shape[1]
    factor = max(1, TILE_WIDTH // max(right - left, 1))
    tiles = []
    for c in range(10):
        up = np.repeat(np.repeat(heat[c], stride, 0), stride, 1)[top:bottom, left:right]
        picture = Image.fromarray(heat_overlay(gray[top:bottom, left:right], up, factor))
        if picture.width > TILE_WIDTH:
            picture = picture.resize((TILE_WIDTH, max(1, round(picture.height * TILE_WIDTH / picture.width))))
        ImageDraw.Draw(picture).text((4, 2), f"{c}  max {heat[c].max():.2f}", fill=(255, 255, 255), font=text_font(13))
        tiles.append(np.asarray(picture))
    return tile(tiles, columns=5)


def _threshold(value) -> float:
    return check_number(value, ("Score threshold", "分数阈值"), 0.05, 0.95)


def _read(image, threshold):
    from models.imaging import ImageInputError
    from models.reading import baseline, detect, read_ink

    from .digits import load_digit_model

    threshold = _threshold(threshold)
    try:
        rgb = drawing_rgb(image)
        ink = read_ink(editor_image(image))
        model = load_detector()
        classifier = load_digit_model("cnn")
        boxes, scores, classes, own, heat, seen = detect(model, ink, threshold, load_reader())
    except ImageInputError as exc:
        raise image_error(exc) from None
    if seen is None:
        raise error("The drawing is empty: draw some digits (a phone number, 12+34...) or upload a picture.",
                    "画布是空白的：请写几个数字（电话号码、12+34……）或上传一张图片。")
    b_boxes, b_scores, b_classes = baseline(classifier, ink)
    table = [[int(c), round(float(s), 3), *[round(float(v)) for v in b], int(o)]
             for b, s, c, o in zip(boxes, scores, classes, own)]
    status = both(STATUS["found" if len(boxes) else "none"], n=len(boxes), threshold=threshold)
    return (boxes_picture(rgb, boxes, scores, classes), reading_text(boxes, classes), status,
            heatmap_tiles(seen, heat), table, boxes_picture(rgb, b_boxes, b_scores, b_classes),
            reading_text(b_boxes, b_classes) or "-")


def detect_digits_in_drawing(drawing, threshold=DEFAULT_THRESHOLD):
    """Find and read every handwritten digit in a drawing with the ResNet-backbone detector, beside the classic
    baseline (connected components + the CNN tab's classifier).

    Args:
        drawing: a Sketchpad value (dict with "composite") or an image (numpy array, PIL image or file path) of
            digits, e.g. a phone number or "12+34"; dark ink on a light or transparent background, or light on dark.
        threshold: the score (0.05-0.95) a detection needs to be kept.

    Returns:
        (the drawing with a box, digit and score per detection; the digits read left to right, one line per row,
        a space between numbers; a status line; the ten class heatmaps the detector computed; a table of
        detections [digit, score, x0, y0, x1, y1] in the drawing's pixels; the baseline's boxes; the baseline's
        reading).
    """
    return _read(drawing, threshold)


def detect_digits_in_picture(picture, threshold=DEFAULT_THRESHOLD):
    """Find and read every digit in an uploaded picture (a photo or scan of handwritten digits) with the
    ResNet-backbone detector, beside the connected-components + CNN baseline.

    Args:
        picture: an image (numpy array, PIL image or file path) up to 4096x4096 pixels; larger ones are refused,
            large ones are downscaled before reading.
        threshold: the score (0.05-0.95) a detection needs to be kept.

    Returns:
        The same seven outputs as detect_digits_in_drawing: boxes picture, reading, status, heatmaps, detections
        table, the baseline's boxes and the baseline's reading.
    """
    return _read(picture, threshold)


def comparison_markdown(lang: str) -> str:
    """The detector vs the baseline on the same test scenes, from weights/detector/metrics.json (empty without)."""
    from models.persistence import read_metrics

    m = read_metrics("detector")
    if "two_stage_exact_reads" not in m:
        return NOT_MEASURED[lang]
    values = {k: 100 * m[k] for k in ("map50", "exact_reads", "exact_reads_touching", "two_stage_map50",
                                      "two_stage_exact_reads", "two_stage_exact_reads_touching", "baseline_map50",
                                      "baseline_exact_reads", "baseline_exact_reads_touching")}
    return COMPARISON[lang].format(dataset=m["dataset"], touching=m["touching_scenes"], **values)


NOT_MEASURED = {"en": "*The detector vs baseline numbers appear here once `python -m models evaluate detector "
                       "--update` has measured them.*",
                "zh-CN": "*运行 `python -m models evaluate detector --update` 测出检测器与基线的对比数字后，会显示在这里。*"}
COMPARISON = {
    "en": """
**Measured on the same {dataset}** ({touching} of them with touching or overlapping digits):

| | mAP@0.5 | exact reads | exact reads, touching digits |
|---|---|---|---|
| detector boxes + crop reader (this section) | {two_stage_map50:.1f} % | {two_stage_exact_reads:.1f} % | {two_stage_exact_reads_touching:.1f} % |
| detector alone (its own heatmap classes) | {map50:.1f} % | {exact_reads:.1f} % | {exact_reads_touching:.1f} % |
| baseline: connected components + CNN | {baseline_map50:.1f} % | {baseline_exact_reads:.1f} % | {baseline_exact_reads_touching:.1f} % |

The baseline cuts the ink into connected pieces and classifies each: it is fine while digits stand apart, but two
touching digits are one piece (read as one digit), and a sign or a stray line becomes a "digit". The detector has
learned where digits are, so touching digits are where it wins. What it reads is done in **two stages**, as in
R-CNN: the detector proposes the boxes (and their scores), then a second small CNN, the **crop reader**, reads a
window around each box (the neighbours' strokes in it, the box marked as a second channel). It was trained on the
detector's own boxes on training scenes, so it knows touching neighbours and can answer "not a digit" for a sign, a
line or half a digit: that box's score drops below the threshold. Only then are duplicates removed (NMS on these
two-stage scores, so the box the reader trusts most keeps its place), and each kept box reads the score-weighted
votes of the candidate boxes that overlap it. A box's digit is the one with the highest product of the reader's
probability and the detector's own heatmap score (the table's last column is the detector's digit alone).
""",
    "zh-CN": """
**在同样的测试场景上测得**（{dataset}；其中 {touching} 个场景里有相互接触或重叠的数字）：

| | mAP@0.5 | 整串读对 | 整串读对（数字相互接触） |
|---|---|---|---|
| 检测器的框 + 框内读取器（本节） | {two_stage_map50:.1f} % | {two_stage_exact_reads:.1f} % | {two_stage_exact_reads_touching:.1f} % |
| 仅检测器（它自己热力图的类别） | {map50:.1f} % | {exact_reads:.1f} % | {exact_reads_touching:.1f} % |
| 基线：连通域 + CNN | {baseline_map50:.1f} % | {baseline_exact_reads:.1f} % | {baseline_exact_reads_touching:.1f} % |

基线把笔迹切成一块块连通的区域再逐块分类：数字分开时它没问题，但两个相互接触的数字会连成一块（被读成一个数字），
符号或多余的线条也会被当成“数字”。检测器学会了数字在哪里，所以在数字相互接触时它胜出。读数分**两个阶段**完成，
和 R-CNN 一样：检测器给出框（和分数），再由第二个小型 CNN——**框内读取器**——读每个框周围的窗口（窗口里有相邻数字的笔画，
框本身作为第二个通道标出）。它是用检测器在训练场景上给出的框训练的，所以认识相互接触的邻居，也能回答“不是数字”
（符号、线条或半个数字），这时这个框的分数会降到阈值以下。这之后才去掉重复的框（按两阶段分数做 NMS，读取器最信任的框留下），
每个保留的框再综合与它重叠的候选框按分数加权的投票。一个框的数字取读取器的概率与检测器自己热力图分数之积最大的那个
（表格最后一列是仅检测器给出的数字）。
""",
}

TEXT = {
    "en": {
        "detection.heading": "## Detection: a ResNet backbone that finds and reads every digit",
        "detection.intro": """
Classification gives one label per image; **detection** finds *every* object and where it is. Here a small ResNet
(the BasicBlocks above) is the **backbone** of a one-stage CenterNet-style detector: an upsampling neck brings its
features back to 1/4 of the input's resolution, where the network predicts for each of the 10 digits a
**heatmap** (a peak at each digit's centre) plus the box's width, height and centre offset. Peaks are picked with a
3×3 max-pool (a pixel that is the maximum of its neighbourhood), turned into boxes, and duplicates are removed by
**non-maximum suppression** (NMS). Reading = the boxes in rows, left to right.

It was trained by us on scenes composed in code from MNIST digits (rows of numbers and sums, touching digits, signs
and stray lines) and never saw a mouse drawing. Draw a phone number or `12+34` below.
""",
        "detection.canvas": "Draw several digits (a phone number, 12+34...)",
        "detection.draw_tab": "Draw",
        "detection.upload_tab": "Upload",
        "detection.upload": "A picture of handwritten digits",
        "detection.threshold": "Score threshold",
        "detection.read_drawing": "Read the drawing",
        "detection.read_picture": "Read the picture",
        "detection.boxes": "Detector boxes + crop reader: digit and score",
        "detection.reading": "Reading (left to right, one line per row)",
        "detection.status": "Status",
        "detection.heatmaps": "What the detector sees: the 10 class heatmaps (0-9)",
        "detection.table": "Detections",
        "detection.baseline_boxes": "Baseline: connected components + the CNN tab's classifier",
        "detection.baseline_reading": "Baseline's reading",
        "detection.examples": "Examples drawn by code",
    },
    "zh-CN": {
        "detection.heading": "## 目标检测：用 ResNet 主干找出并读出每一个数字",
        "detection.intro": """
分类只给整张图一个标签；**目标检测**要找出*每一个*物体以及它的位置。这里一个小 ResNet（就是上面的 BasicBlock）
是单阶段 CenterNet 风格检测器的**主干网络**：一个上采样的“颈部”把特征恢复到输入分辨率的 1/4，网络在那里为 10 个数字
各预测一张**热力图**（每个数字的中心处是一个峰值），以及框的宽、高和中心偏移。用 3×3 最大池化挑出峰值（在邻域内最大的
像素），变成框，再用**非极大值抑制**（NMS）去掉重复的框。读数 = 把框按行排列，从左到右读。

它由我们在用代码拼出的 MNIST 数字场景上训练（一行行的数字和算式、相互接触的数字、符号和多余的线条），从没见过鼠标画的字。
请在下面写一个电话号码或 `12+34`。
""",
        "detection.canvas": "写几个数字（电话号码、12+34……）",
        "detection.draw_tab": "手写",
        "detection.upload_tab": "上传",
        "detection.upload": "一张手写数字的图片",
        "detection.threshold": "分数阈值",
        "detection.read_drawing": "读出手写内容",
        "detection.read_picture": "读出图片内容",
        "detection.boxes": "检测器的框 + 框内读取器：数字和分数",
        "detection.reading": "读数（从左到右，每行一行）",
        "detection.status": "状态",
        "detection.heatmaps": "检测器看到的：10 个类别的热力图（0-9）",
        "detection.table": "检测结果",
        "detection.baseline_boxes": "基线：连通域 + CNN 标签页的分类器",
        "detection.baseline_reading": "基线的读数",
        "detection.examples": "用代码画的示例",
    },
}
for _lang in ("en", "zh-CN"):
    TEXT[_lang]["detection.comparison"] = comparison_markdown(_lang)

TABLE_HEADERS = ["digit · 数字", "score · 分数", "x0", "y0", "x1", "y1", "detector alone · 仅检测器"]
EXAMPLE_LABELS = ["phone number · 电话号码", "12+34", "touching 2024 · 相连的 2024", "two rows · 两行"]


def draw_text(text: str, size=CANVAS_SIZE, height: float = 0.55, gap: float = 0.12, width: int = 14) -> np.ndarray:
    """Digits and + - = signs drawn by code like mouse strokes (black on a transparent canvas, as the Sketchpad
    gives): one line per '\\n', each character `height` of a line tall, `gap` (share of the height, negative =
    overlapping) between characters. Used for the examples, the tests and the benchmark."""
    from .samples import DIGIT_STROKES

    signs = {"+": [[(0.2, 0.5), (0.8, 0.5)], [(0.5, 0.25), (0.5, 0.75)]], "-": [[(0.2, 0.5), (0.8, 0.5)]],
             "=": [[(0.2, 0.4), (0.8, 0.4)], [(0.2, 0.6), (0.8, 0.6)]]}
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    lines = text.split("\n")
    line_h = size[1] / len(lines)
    h = height * line_h
    for r, line in enumerate(lines):
        step = h * (0.7 + gap)
        x = max(4.0, (size[0] - step * len(line)) / 2)
        y = r * line_h + (line_h - h) / 2
        for ch in line:
            strokes = DIGIT_STROKES[int(ch)] if ch.isdigit() else signs.get(ch, [])
            for stroke in strokes:
                points = [(x + px * h * 0.7, y + py * h) for px, py in stroke]
                draw.line(points, fill=(0, 0, 0, 255), width=width, joint="curve")
                for px, py in (points[0], points[-1]):
                    draw.ellipse((px - width / 2, py - width / 2, px + width / 2, py + width / 2), fill=(0, 0, 0, 255))
            x += step
    return np.asarray(img)


def example_drawings() -> list[np.ndarray]:
    return [draw_text("0123456789", height=0.35), draw_text("12+34"), draw_text("2024", gap=-0.12),
            draw_text("305\n1789", height=0.7)]


def build() -> None:
    gr.Markdown(t("detection.heading"))
    gr.Markdown(t("detection.intro"))
    with gr.Row():
        with gr.Column(scale=3):
            with gr.Tab(t("detection.draw_tab")):
                canvas = gr.Sketchpad(
                    label=t("detection.canvas"), type="numpy", image_mode="RGBA", canvas_size=CANVAS_SIZE,
                    fixed_canvas=True, brush=gr.Brush(default_size=12, colors=["#000000"], color_mode="fixed"),
                    layers=False, transforms=(), elem_classes=["digit-canvas", "detection-canvas"],
                    height=CANVAS_SIZE[1] + 110)
                read_drawing = gr.Button(t("detection.read_drawing"), variant="primary")
            with gr.Tab(t("detection.upload_tab")):
                picture = gr.Image(label=t("detection.upload"), type="numpy", image_mode="RGBA",
                                   sources=["upload", "clipboard"], height=300)
                read_picture = gr.Button(t("detection.read_picture"), variant="primary")
            threshold = gr.Slider(0.05, 0.95, value=DEFAULT_THRESHOLD, step=0.05, label=t("detection.threshold"))
        with gr.Column(scale=2):
            reading = gr.Textbox(label=t("detection.reading"), lines=2, interactive=False, elem_id="detection-reading")
            status = gr.Markdown()
            boxes = gr.Image(label=t("detection.boxes"), interactive=False, height=260)
    with gr.Row():
        heatmaps = gr.Image(label=t("detection.heatmaps"), interactive=False)
        with gr.Column():
            baseline_boxes = gr.Image(label=t("detection.baseline_boxes"), interactive=False, height=200)
            baseline_reading = gr.Textbox(label=t("detection.baseline_reading"), lines=2, interactive=False)
    table = gr.Dataframe(headers=TABLE_HEADERS, label=t("detection.table"), interactive=False, max_height=240)
    gr.Markdown(t("detection.comparison"))
    from models.persistence import weights_dir

    from .common import model_card
    if (weights_dir("detector") / "config.json").exists():
        model_card("detector")

    outputs = [boxes, reading, status, heatmaps, table, baseline_boxes, baseline_reading]
    read_drawing.click(detect_digits_in_drawing, [canvas, threshold], outputs, api_name="detection_detect")
    read_picture.click(detect_digits_in_picture, [picture, threshold], outputs, api_name="detection_detect_image")
    gr.Examples(examples=[[d, DEFAULT_THRESHOLD] for d in example_drawings()], inputs=[picture, threshold],
                outputs=outputs, fn=detect_digits_in_picture, run_on_click=True, cache_examples=False,
                api_visibility="private", api_name="detection_example", example_labels=EXAMPLE_LABELS,
                label=t("detection.examples"))

    from . import detection_photos  # the optional online upgrade: DETR on photos (COCO objects)

    detection_photos.build()
