"""The detection section's optional online upgrade (DETR on photos), tested offline: a tiny randomly initialised
DETR saved with save_pretrained goes through the same loader and handler as facebook/detr-resnet-50 would; the hub
path says it needs the internet."""
import gradio as gr
import numpy as np
import pytest

from demos.detection_photos import DEFAULT_THRESHOLD, detect_objects_in_photo, photo_rgb
from models.detr import HUB_ID, REVISION, detect_objects, load_detr

LABELS = {0: "N/A", 1: "person", 2: "bicycle", 3: "car"}


def _tiny_detr(folder):
    """A random DETR (transformers' own ResNet backbone, as in the no_timm branch, 1 encoder + 1 decoder layer,
    10 queries) and DETR's image processor with a small resize, saved."""
    import torch
    from transformers import DetrConfig, DetrForObjectDetection, DetrImageProcessorPil, ResNetConfig

    backbone = ResNetConfig(embedding_size=8, hidden_sizes=[8, 8, 16, 16], depths=[1, 1, 1, 1], layer_type="basic",
                            out_features=["stage4"])
    config = DetrConfig(backbone_config=backbone, d_model=16, encoder_layers=1, decoder_layers=1, encoder_ffn_dim=16,
                        decoder_ffn_dim=16, encoder_attention_heads=2, decoder_attention_heads=2, num_queries=10,
                        id2label=LABELS, label2id={v: k for k, v in LABELS.items()})
    torch.manual_seed(0)
    model = DetrForObjectDetection(config).eval()
    model.save_pretrained(folder)
    DetrImageProcessorPil(size={"shortest_edge": 64, "longest_edge": 128}).save_pretrained(folder)
    return model


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-detr")
    _tiny_detr(folder)
    return folder


@pytest.fixture
def photo():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)


def test_save_pretrained_round_trip_through_the_loader(tiny, photo):
    import torch

    names = {p.name for p in tiny.iterdir()}
    assert "model.safetensors" in names and not any(n.endswith((".bin", ".pt")) for n in names)
    model, processor = load_detr(tiny)
    again, _ = load_detr(tiny)
    boxes, scores, labels = detect_objects(model, processor, photo, threshold=0.0)
    assert len(boxes) == len(scores) == len(labels) == 10              # every query answers (threshold 0)
    assert set(labels) <= set(LABELS.values())
    assert (boxes[:, 0] <= boxes[:, 2]).all() and (boxes[:, 1] <= boxes[:, 3]).all()
    assert boxes.min() >= 0 and (boxes[:, 0::2] <= 320).all() and (boxes[:, 1::2] <= 240).all()
    assert (scores[:-1] >= scores[1:]).all()                            # best first
    same = detect_objects(again, processor, photo, threshold=0.0)
    assert torch.allclose(boxes, same[0]) and torch.allclose(scores, same[1])   # the saved weights, not a fresh init
    none = detect_objects(model, processor, photo, threshold=0.99)
    assert len(none[0]) == 0


def test_handler_draws_the_boxes_and_lists_them(tiny, photo, monkeypatch):
    loaded = load_detr(tiny)
    monkeypatch.setattr("demos.detection_photos.load_photo_detector", lambda: loaded)
    (image, annotations), table, status = detect_objects_in_photo(photo, 0.05)
    assert image.shape == (240, 320, 3)
    assert len(annotations) == len(table) > 0 and "DETR found" in status and "找到" in status
    for (box, label), row in zip(annotations, table):
        assert list(box) == row[2:] and label.startswith(row[0])
        assert 0 <= row[2] <= row[4] <= 320 and 0 <= row[3] <= row[5] <= 240
    (_, annotations), table, status = detect_objects_in_photo(photo, 0.99)
    assert annotations == [] and table == [] and "no object" in status


def test_large_photos_are_shrunk_and_others_made_rgb(tiny, monkeypatch):
    assert photo_rgb(np.zeros((3000, 2000, 3), np.uint8)).shape == (1333, 889, 3)
    assert photo_rgb(np.zeros((50, 60), np.uint8)).shape == (50, 60, 3)
    rgba = np.zeros((50, 60, 4), np.uint8)                               # fully transparent: on white
    assert (photo_rgb(rgba) == 255).all()
    loaded = load_detr(tiny)
    monkeypatch.setattr("demos.detection_photos.load_photo_detector", lambda: loaded)
    (image, _), _, _ = detect_objects_in_photo(np.full((2000, 4000, 3), 128, np.uint8), DEFAULT_THRESHOLD)
    assert image.shape == (666, 1333, 3)


@pytest.mark.parametrize("threshold", [float("nan"), -1, 2, "high", None])
def test_bad_threshold_is_refused(photo, threshold):
    with pytest.raises(gr.Error, match="threshold"):
        detect_objects_in_photo(photo, threshold)


def test_bad_photos_are_refused(tmp_path):
    with pytest.raises(gr.Error, match="Upload a photo"):
        detect_objects_in_photo(None, DEFAULT_THRESHOLD)
    not_image = tmp_path / "photo.png"
    not_image.write_text("not an image")
    with pytest.raises(gr.Error, match="not an image"):
        detect_objects_in_photo(str(not_image), DEFAULT_THRESHOLD)
    with pytest.raises(gr.Error, match="limit is 4096"):
        detect_objects_in_photo(np.zeros((4100, 100, 3), np.uint8), DEFAULT_THRESHOLD)


def test_offline_it_says_it_needs_the_internet(tmp_path, monkeypatch, photo):
    import time

    from models.cache import get_cache

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    t0 = time.monotonic()
    with pytest.raises(gr.Error, match="needs the internet") as info:
        detect_objects_in_photo(photo, DEFAULT_THRESHOLD)
    assert HUB_ID in str(info.value) and "digit detector" in str(info.value) and "数字检测器" in str(info.value)
    assert f"hub:{HUB_ID}" not in get_cache().cached()                  # nothing half-loaded stays in the cache
    assert time.monotonic() - t0 < 120   # offline answers at once; only a safety net against waiting on a network
    assert REVISION == "no_timm"         # the branch without timm (which needs torchvision)
