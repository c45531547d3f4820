"""ResNet tab, detection section, the optional online upgrade: DETR (ResNet-50 + a transformer) finds the 80 COCO
object classes in a photo.

Facebook's checkpoint (models/detr.py) is allow-listed and loaded only when a learner asks for it, through the shared
cache; offline the button says it needs the internet and that the digit detector above works offline.
"""
from __future__ import annotations

import gradio as gr
import numpy as np

from .common import both, check_number, error, image_error, load_from_hub
from .i18n import t
from .live import HEAVY

DEFAULT_THRESHOLD = 0.7     # DETR's own examples keep answers at least this sure
TABLE_HEADERS = ["object · 物体", "score · 分数", "x0", "y0", "x1", "y1"]
STATUS = {
    "found": ("DETR found {n} object(s) above the score threshold {threshold:.2f} ({seconds:.1f} s on this server).",
              "DETR 在分数阈值 {threshold:.2f} 以上找到 {n} 个物体（在本服务器上用时 {seconds:.1f} 秒）。"),
    "none": ("DETR found no object above the score threshold {threshold:.2f}: all 100 of its answers say \"no object\" "
             "or are less sure (lower the threshold to see them).",
             "DETR 在分数阈值 {threshold:.2f} 以上没有找到物体：它的 100 个回答都是“没有物体”，或把握更小（调低阈值可以看到）。"),
}
OFFLINE_CHOICE = ("the digit detector above", "上面的数字检测器")


def load_photo_detector():
    """(DETR, its image processor) through the shared cache: the local Hugging Face cache first, then the internet;
    offline a gr.Error that points to the digit detector."""
    from models.cache import load_model
    from models.detr import HUB_ID, load_detr_model, load_detr_processor

    model = load_model(f"hub:{HUB_ID}", lambda: load_from_hub(HUB_ID, load_detr_model, OFFLINE_CHOICE), half_ok=True)
    processor = load_model(f"hub-processor:{HUB_ID}",
                           lambda: load_from_hub(HUB_ID, load_detr_processor, OFFLINE_CHOICE))
    return model, processor


def photo_rgb(photo) -> np.ndarray:
    """An uploaded photo as RGB uint8 (transparent parts on white), its longer side shrunk to DETR's 1333 pixels."""
    from PIL import Image

    from models.detr import MAX_SIDE
    from models.imaging import ImageInputError

    from .detection import drawing_rgb

    try:
        array = drawing_rgb(photo)
    except ImageInputError as exc:
        raise image_error(exc) from None
    height, width = array.shape[:2]
    scale = MAX_SIDE / max(height, width)
    if scale < 1:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        array = np.asarray(Image.fromarray(array).resize(size, Image.Resampling.BILINEAR))
    return array


def detect_objects_in_photo(photo, threshold=DEFAULT_THRESHOLD):
    """Find the objects of the 80 COCO classes (person, car, dog, cup...) in a photo with DETR (facebook/detr-resnet-50:
    a ResNet-50 backbone and a transformer), an optional checkpoint that needs the internet the first time.

    Args:
        photo: an image (numpy array, PIL image or file path) up to 4096x4096 pixels; its longer side is shrunk to
            1333 pixels, DETR's own limit.
        threshold: the class probability (0.05-0.99) an answer needs to be kept.

    Returns:
        (the photo with its boxes and class names (an AnnotatedImage value); a table of detections
        [object, score, x0, y0, x1, y1] in the shrunk photo's pixels, best first; a status line).
    """
    import time

    from models.detr import detect_objects

    threshold = check_number(threshold, ("Score threshold", "分数阈值"), 0.05, 0.99)
    if photo is None:
        raise error("Upload a photo first (people, animals, cars, things on a table...).",
                    "请先上传一张照片（人、动物、汽车、桌上的东西……）。")
    rgb = photo_rgb(photo)
    model, processor = load_photo_detector()
    start = time.perf_counter()
    boxes, scores, names = detect_objects(model, processor, rgb, threshold)
    seconds = time.perf_counter() - start
    rounded = [[round(float(v)) for v in box] for box in boxes]
    annotations = [(tuple(box), f"{name} {float(s):.2f}") for box, name, s in zip(rounded, names, scores)]
    table = [[name, round(float(s), 3), *box] for name, s, box in zip(names, scores, rounded)]
    status = both(STATUS["found" if table else "none"], n=len(table), threshold=threshold, seconds=seconds)
    return (rgb, annotations), table, status


TEXT = {
    "en": {
        "detection_photos.title": "Photos: DETR, a ResNet-50 + transformer detector "
                                  "(optional: downloaded from the Hub on first use)",
        "detection_photos.intro": """
Our digit detector finds peaks on heatmaps and removes duplicates with NMS. **DETR** (Facebook AI, 2020) does
detection another way: a **ResNet-50** backbone (the same residual blocks as above, 50 layers, pretrained on
ImageNet) turns the photo into features, and a **transformer** lets 100 learned *object queries* attend to them and to
each other; each query answers one (class, box) pair or "no object". Training matched the answers to the true
objects one to one (the Hungarian algorithm), so it needs no anchors and no NMS. It was trained by Facebook on COCO
(118,000 photos, 80 object classes), not by us: it is downloaded from the Hugging Face Hub the first time (about
160 MB), as safetensors; on a server without internet access the button says so, and the digit detector above
still works.
""",
        "detection_photos.photo": "A photo (people, animals, vehicles, things on a table...)",
        "detection_photos.threshold": "Score threshold (DETR's class probability)",
        "detection_photos.run": "Find the objects",
        "detection_photos.objects": "DETR's boxes: COCO class and score",
        "detection_photos.table": "Objects",
    },
    "zh-CN": {
        "detection_photos.title": "照片：DETR，一个 ResNet-50 + Transformer 检测器（可选：首次使用时从 Hub 下载）",
        "detection_photos.intro": """
我们的数字检测器在热力图上找峰值，再用 NMS 去掉重复的框。**DETR**（Facebook AI，2020）换了一种做法：**ResNet-50** 主干
（和上面一样的残差块，50 层，在 ImageNet 上预训练）把照片变成特征，一个 **Transformer** 让 100 个学出来的*物体查询*
关注这些特征、也相互关注；每个查询回答一个（类别，框），或者“没有物体”。训练时把回答与真实物体一一配对（匈牙利算法），
所以它不需要锚框，也不需要 NMS。它由 Facebook 在 COCO（11.8 万张照片，80 类物体）上训练，不是我们训练的：第一次使用时
从 Hugging Face Hub 下载（约 160 MB，safetensors 格式）；离线时这里会提示需要联网，上面的数字检测器照样可以用。
""",
        "detection_photos.photo": "一张照片（人、动物、车辆、桌上的东西……）",
        "detection_photos.threshold": "分数阈值（DETR 给出的类别概率）",
        "detection_photos.run": "找出物体",
        "detection_photos.objects": "DETR 的框：COCO 类别和分数",
        "detection_photos.table": "物体",
    },
}


def build() -> None:
    with gr.Accordion(t("detection_photos.title"), open=False, elem_id="detection-photos"):
        gr.Markdown(t("detection_photos.intro"))
        with gr.Row():
            with gr.Column():
                photo = gr.Image(label=t("detection_photos.photo"), type="numpy", sources=["upload", "clipboard"],
                                 height=320)
                threshold = gr.Slider(0.05, 0.99, value=DEFAULT_THRESHOLD, step=0.05,
                                      label=t("detection_photos.threshold"))
                run = gr.Button(t("detection_photos.run"), variant="primary")
            with gr.Column():
                objects = gr.AnnotatedImage(label=t("detection_photos.objects"), height=320)
                status = gr.Markdown()
        table = gr.Dataframe(headers=TABLE_HEADERS, label=t("detection_photos.table"), interactive=False,
                             max_height=240)
        run.click(detect_objects_in_photo, [photo, threshold], [objects, table, status],
                  api_name="detection_photo_objects", **HEAVY)
