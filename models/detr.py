"""The detection section's optional online upgrade: DETR (Carion et al. 2020) on photos, the 80 COCO object classes.

DETR is the other big idea in detection: a ResNet-50 backbone (the same residual blocks as our digit detector's, 50
layers deep, ImageNet-pretrained), then a transformer that turns a fixed set of 100 learned "object queries" into
100 (class, box) answers at once, most of them "no object". No heatmap peaks, no anchors and no NMS: training
matches answers to true objects one to one (the Hungarian algorithm), so the network learns not to answer twice.

The checkpoint is Facebook's, trained on COCO 2017 (118k photos): allow-listed, loaded only when a learner asks
for it, through `from_pretrained` with safetensors only and never remote code, from the local Hugging Face cache or
the internet. The same function loads any save_pretrained folder (the tests save a tiny random DETR offline).

    model, processor = load_detr("facebook/detr-resnet-50")
    boxes, scores, names = detect_objects(model, processor, rgb, threshold=0.7)
"""
from __future__ import annotations

import numpy as np
import torch

HUB_ID = "facebook/detr-resnet-50"
# the branch whose backbone is transformers' own ResNet: the main branch's needs timm, and timm needs torchvision,
# which this project cannot import beside the CPU build of torch
REVISION = "no_timm"
MAX_SIDE = 1333           # DETR's own resize keeps the longer side at most this (shorter side 800)
MAX_OBJECTS = 100         # = the number of object queries


def _hub_kwargs(source, local_only: bool) -> dict:
    kwargs = {"local_files_only": local_only, "trust_remote_code": False}
    if str(source) == HUB_ID:
        kwargs["revision"] = REVISION
    return kwargs


def load_detr_model(source, local_only: bool = True):
    """DetrForObjectDetection from a save_pretrained folder or the allow-listed hub id: safetensors only, never remote
    code, float32. Raises OSError when the files are not there (offline: not in the local cache)."""
    from transformers import DetrForObjectDetection

    return DetrForObjectDetection.from_pretrained(source, use_safetensors=True, dtype=torch.float32,
                                                  **_hub_kwargs(source, local_only)).eval()


def load_detr_processor(source, local_only: bool = True):
    """DETR's image processor (resize to 800 x at most 1333, ImageNet normalisation, box post-processing), the
    Pillow one: the default one needs torchvision."""
    from transformers import DetrImageProcessorPil

    return DetrImageProcessorPil.from_pretrained(source, **_hub_kwargs(source, local_only))


def load_detr(source, local_only: bool = True):
    """(model, image processor) of a save_pretrained folder or the hub id."""
    return load_detr_model(source, local_only), load_detr_processor(source, local_only)


def detect_objects(model, processor, rgb: np.ndarray, threshold: float):
    """DETR on one RGB photo (uint8 [H, W, 3]): (boxes float [n, 4] x0, y0, x1, y1 in the photo's pixels, scores [n],
    class names [n]), best first, the answers whose class probability (not "no object") is at least threshold."""
    height, width = rgb.shape[:2]
    inputs = processor(images=rgb, return_tensors="pt")
    parameter = next(model.parameters())
    with torch.inference_mode():
        outputs = model(pixel_values=inputs["pixel_values"].to(parameter.device, parameter.dtype),
                        pixel_mask=inputs["pixel_mask"].to(parameter.device))
    outputs.logits, outputs.pred_boxes = outputs.logits.float().cpu(), outputs.pred_boxes.float().cpu()
    found = processor.post_process_object_detection(outputs, threshold=threshold, target_sizes=[(height, width)])[0]
    order = found["scores"].argsort(descending=True)[:MAX_OBJECTS]
    boxes = found["boxes"][order]
    boxes[:, 0::2] = boxes[:, 0::2].clamp(0, width)
    boxes[:, 1::2] = boxes[:, 1::2].clamp(0, height)
    names = [model.config.id2label.get(int(k), str(int(k))) for k in found["labels"][order]]
    return boxes, found["scores"][order], names
