"""What several tabs need: input validation that speaks to the user, image helpers, plots.

Handlers raise `error(english, chinese)`, a gr.Error in both languages (the only text made at request
time that reaches a user); labels and texts are translated by the browser (demos/i18n.py). Everything
here is cheap to import except matplotlib, which is imported on first plot.
"""
from __future__ import annotations

import functools
import math
import os
import re
from pathlib import Path

import gradio as gr
import numpy as np


# --- messages in both languages ------------------------------------------------
# A gr.Error is text made by a handler at request time: the browser's i18n cannot translate it, and
# the server cannot know the language picked in Settings (it is not sent with the request). So every
# message a user can see carries both languages, English first (API clients and tests match it).
def error(en: str, zh: str) -> gr.Error:
    """A gr.Error in English and simplified Chinese: `raise error("…", "…")`."""
    return gr.Error(f"{en}\n{zh}")



# Text a handler writes at request time (status lines, notes) follows the same rule: each tab keeps its
# (English, Chinese) templates in a STATUS dict, and a status shows English, a blank line, then Chinese.
def fill(templates: tuple[str, str], **values) -> tuple[str, str]:
    """An (English, Chinese) pair of templates filled in; a value given as an (English, Chinese) pair goes by
    language (e.g. a class name and its Chinese name)."""
    return tuple(template.format(**{key: value[lang] if isinstance(value, tuple) else value
                                    for key, value in values.items()})
                 for lang, template in enumerate(templates))


def both(templates: tuple[str, str], **values) -> str:
    """`fill` as one Markdown text: the English paragraph, a blank line, the Chinese one."""
    return "\n\n".join(fill(templates, **values))


# names of inputs that handlers validate, in Chinese; a name may also be given as an (en, zh) pair
FIELD_NAMES = {
    "Seed": "随机种子", "Epochs": "训练轮数", "Learning rate": "学习率", "Dataset": "数据集", "Activation": "激活函数",
    "Hidden layers": "隐藏层数", "Neurons per layer": "每层神经元数", "Points": "数据点数", "Noise": "噪声",
    "Model": "模型", "Policy": "策略", "ε": "ε", "Training steps": "训练步数", "Hops": "跳数", "Node": "节点",
    "Number of neighbours": "近邻个数", "Number of answers": "答案个数", "Vectors": "词向量", "Window": "上下文窗口",
    "Minimum count": "最小词频", "Max new tokens": "最多生成的 token 数", "Temperature": "温度", "Top-k": "Top-k",
    "Top-p": "Top-p", "Count": "数量", "Frames": "帧数", "Position t": "位置 t", "Scheduler": "采样器",
    "Steps": "步数", "Test image index": "测试图像编号", "Timestep t": "时间步 t", "Class": "类别",
}


def field_names(name) -> tuple[str, str]:
    if isinstance(name, tuple):
        return name
    return name, FIELD_NAMES.get(name, name)


# --- validation of values that may come straight from the API ---------------
def check_number(value, name, lo: float, hi: float, integer: bool = False):
    """Return `value` as int/float if it is a finite number in [lo, hi]; else raise gr.Error.
    `name`: the input's English name (translated through FIELD_NAMES) or an (en, zh) pair."""
    en, zh = field_names(name)
    if isinstance(value, bool) or value is None:
        raise error(f"{en} must be a number between {lo} and {hi}.", f"{zh}必须是 {lo} 到 {hi} 之间的数。")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise error(f"{en} must be a number between {lo} and {hi}, not {str(value)[:40]!r}.",
                    f"{zh}必须是 {lo} 到 {hi} 之间的数，而不是 {str(value)[:40]!r}。") from None
    if not math.isfinite(number) or not lo <= number <= hi:
        raise error(f"{en} must be between {lo} and {hi} (got {str(value)[:40]}).",
                    f"{zh}必须在 {lo} 到 {hi} 之间（收到的是 {str(value)[:40]}）。")
    if integer:
        if number != int(number):
            raise error(f"{en} must be a whole number (got {value}).", f"{zh}必须是整数（收到的是 {value}）。")
        return int(number)
    return number


def check_choice(value, name, choices):
    if not isinstance(value, str) or value not in choices:
        en, zh = field_names(name)
        listed = ", ".join(map(str, choices))
        raise error(f"{en} must be one of: {listed} (got {str(value)[:40]!r}).",
                    f"{zh}必须是以下之一：{listed}（收到的是 {str(value)[:40]!r}）。")
    return value


def missing_weights(name: str, train: str | None = None) -> gr.Error:
    """The error for weights that are not on this server, with the command that makes them."""
    command = f"python -m models train {train or name}"
    return error(f"The {name.upper()} weights are missing: run `{command}`.",
                 f"缺少 {name.upper()} 模型的权重：请先运行 `{command}`。")


# ImageInputError messages (models/imaging.py) in Chinese, matched on the English text
_IMAGE_ERRORS_ZH = [
    (r"No image: draw a digit", "没有图像：请画一个数字，或上传一张图片。"),
    (r"No image: upload a picture of one piece of clothing", "没有图像：请上传一张单件衣物的图片，或选一个示例。"),
    (r"The image is (\d+)x(\d+); the limit is (\d+)x(\d+)", "图像尺寸为 {0}×{1}，上限是 {2}×{3} 像素。"),
    (r"not an image this app can read", "该文件不是本应用能读取的图像（请使用 PNG、JPEG 或 WebP）。"),
    (r"Expected an image", "需要一张图像（高 × 宽，灰度、RGB 或 RGBA）。"),
    (r"too small", "图像太小（不足 8×8 像素）。"),
    (r"NaN or infinite", "图像含有无效的像素值（NaN 或无穷大）。"),
    (r"The image is empty: draw a digit", "图像是空白的：请先画一个数字（或上传一张）。"),
    (r"The image is empty \(one flat colour\)", "图像是空白的（只有一种颜色）：请上传一张衣物图片。"),
]


def image_error(exc: Exception) -> gr.Error:
    """A bilingual gr.Error for an image that cannot be read (models.imaging.ImageInputError)."""
    message = str(exc)
    for pattern, zh in _IMAGE_ERRORS_ZH:
        match = re.search(pattern, message)
        if match:
            return error(message, zh.format(*match.groups()))
    return error(message, "无法读取这张图像（原因见上方英文说明）。")


TEXT = {
    "en": {
        "common.card": "Model card",
        "common.principle": "Principle / 原理",
    },
    "zh-CN": {
        "common.card": "模型卡",
        "common.principle": "原理 / Principle",
    },
}


def principle(key: str, open: bool = False) -> None:
    """The tab's "Principle / 原理" panel: Markdown with $…$ and $$…$$ formulas, in the page's language."""
    from .i18n import LATEX, t

    with gr.Accordion(t("common.principle"), open=open):
        gr.Markdown(t(key), latex_delimiters=LATEX)


def model_card(*names: str) -> None:
    """A collapsed "Model card" panel per model, read from weights/NAME (never retyped), in the page's language."""
    from .i18n import t

    for name in names:
        with gr.Accordion(t("common.card") + f": {name}", open=False):
            gr.Markdown(t(f"card.{name}"))


def seed_generator(seed) -> "torch.Generator":
    """A per-request torch.Generator: requests never touch the global RNG."""
    import torch

    seed = check_number(seed, "Seed", 0, 2**31 - 1, integer=True)
    return torch.Generator().manual_seed(seed)


# --- optional hub checkpoints ----------------------------------------------------
HUB_PROBE_SECONDS = 3.0  # how long to wait for the hub before saying we are offline


def hub_reachable() -> bool:
    """True if the hub's host answers within HUB_PROBE_SECONDS (a DNS lookup can hang: run it in a thread)."""
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes"):
        return False
    import socket
    import threading
    from urllib.parse import urlparse

    from huggingface_hub import constants

    host = urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    result = []

    def probe():
        try:
            socket.create_connection((host, 443), timeout=HUB_PROBE_SECONDS).close()
            result.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(HUB_PROBE_SECONDS)
    return bool(result)


def load_from_hub(hub_id: str, load, offline_choice: tuple[str, str]):
    """An allow-listed hub checkpoint through `load(source, local_only)` (the same code that loads our own
    save_pretrained folders): the local HF cache first, then the internet. Offline, a gr.Error that names what to
    choose instead, as (English, Chinese)."""
    try:
        return load(hub_id, True)
    except OSError:
        pass
    if not hub_reachable():
        raise error(f"{hub_id} is not downloaded yet and needs the internet, which this server cannot reach. "
                    f"Choose {offline_choice[0]} (it works offline).",
                    f"{hub_id} 还没有下载，需要联网，而本服务器无法访问互联网。请选择{offline_choice[1]}（它可以离线使用）。")
    try:
        return load(hub_id, False)
    except OSError as exc:
        raise error(f"Could not download {hub_id} as safetensors: {str(exc)[:200]}",
                    f"无法以 safetensors 格式下载 {hub_id}（原因见上方英文说明）。") from None


def _expected(component) -> tuple[str, str]:
    """What a component accepts, in words (English, Chinese), for error messages."""
    if isinstance(component, (gr.Slider, gr.Number)):
        lo, hi = getattr(component, "minimum", None), getattr(component, "maximum", None)
        if lo is not None and hi is not None:
            return f"a number between {lo} and {hi}", f"{lo} 到 {hi} 之间的数"
        return "a number", "一个数"
    if isinstance(component, (gr.Radio, gr.Dropdown)):
        listed = ", ".join(str(c[1] if isinstance(c, tuple) else c) for c in component.choices)
        return "one of: " + listed, "以下之一：" + listed
    if isinstance(component, (gr.Image, gr.ImageEditor)):
        from models.imaging import NOT_AN_IMAGE

        return NOT_AN_IMAGE, image_error(ValueError(NOT_AN_IMAGE)).message.split("\n", 1)[1]
    if isinstance(component, gr.Textbox):
        return "text", "文本"
    return "a valid value", "有效的值"


def harden_inputs(demo: gr.Blocks) -> None:
    """Make Gradio's own input decoding fail with a readable gr.Error.

    Components decode request values before a handler runs; given None, a wrong type or a
    file that is not an image, several raise plain exceptions, which reach API users as a
    generic "error" with no explanation, and Gradio's own range and choice checks answer in English
    only. Wrapping each component's `preprocess` turns both into "<label>: …" messages in both
    languages, for every tab at once.
    """
    from .i18n import plain

    for block in demo.blocks.values():
        if not hasattr(block, "preprocess") or getattr(block, "_readable_errors", False):
            continue

        def readable(payload, _original=block.preprocess, _block=block):
            try:
                return _original(payload)
            except Exception as exc:
                if isinstance(exc, gr.Error) and "\n" in str(exc.message):  # ours: in both languages already
                    raise
                label = getattr(_block, "label", None)
                label_en, label_zh = (plain(label, "en"), plain(label, "zh-CN")) if label else ("An input", "某个输入")
                en, zh = _expected(_block)
                got = str(payload)[:60]
                if isinstance(exc, gr.Error):  # Gradio's own range/choice check: its English, our Chinese
                    raise error(f"{label_en}: {exc.message}", f"{label_zh}：应为{zh}，收到的是 {got!r}。") from None
                if en.endswith("."):  # a full sentence already
                    raise error(f"{label_en}: {en}", f"{label_zh}：{zh}") from None
                raise error(f"{label_en}: expected {en}, got {got!r}.",
                            f"{label_zh}：应为{zh}，收到的是 {got!r}。") from None

        block.preprocess = readable
        block._readable_errors = True


# --- images ------------------------------------------------------------------


def editor_image(value):
    """The picture inside a Sketchpad/ImageEditor value (its composite), or a plain image."""
    if isinstance(value, dict):
        if value.get("composite") is not None:
            return value["composite"]
        layers = [layer for layer in value.get("layers") or [] if layer is not None]
        return layers[-1] if layers else value.get("background")
    return value


# --- text drawn into pictures -----------------------------------------------------
# Words inside an image are not translated by the browser either. They carry both languages when a CJK font is
# installed (Debian's fonts-noto-cjk: packages.txt installs it on Spaces), and English alone otherwise, never
# boxes where the glyphs are missing.
CJK_FONT_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                  "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc")
CJK_FONT_INDEX = 2  # the faces of the .ttc: JP, KR, SC (simplified Chinese), TC, HK


@functools.lru_cache(maxsize=None)
def cjk_font_file() -> str | None:
    return next((path for path in CJK_FONT_FILES if Path(path).is_file()), None)


@functools.lru_cache(maxsize=32)
def text_font(size: int = 12):
    """A Pillow font for labels in pictures: Noto Sans CJK SC when installed (Latin and Chinese), else Pillow's own."""
    from PIL import ImageFont

    path = cjk_font_file()
    return ImageFont.truetype(path, size, index=CJK_FONT_INDEX) if path else ImageFont.load_default(size=size)


def picture_text(en: str, zh: str, sep: str = " ") -> str:
    """A label for a picture: 'forget gate 遗忘门' when Chinese can be drawn, else 'forget gate'."""
    return f"{en}{sep}{zh}" if cjk_font_file() else en


@functools.lru_cache(maxsize=None)
def plot_font() -> dict:
    """Font properties for matplotlib texts (`family=` of a label, a legend's `prop`) that draw Chinese, falling
    back glyph by glyph. Given per text, not through rcParams: those are global and requests run in threads."""
    if not cjk_font_file():
        return {}
    from matplotlib import font_manager

    # registered by file once: matplotlib's font cache may predate the font's installation
    font_manager.fontManager.addfont(cjk_font_file())
    return {"family": ["DejaVu Sans", "Noto Sans CJK SC"]}


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement, so each model pixel stays a crisp square."""
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


# a perceptually ordered colormap (viridis anchors) without importing matplotlib
_VIRIDIS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], np.float32)


def colorize(values: np.ndarray, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    """Map a 2-D array to uint8 RGB with the viridis colormap."""
    lo = float(values.min()) if lo is None else lo
    hi = float(values.max()) if hi is None else hi
    t = np.clip((values - lo) / (hi - lo if hi > lo else 1.0), 0, 1) * (len(_VIRIDIS) - 1)
    i = np.minimum(t.astype(int), len(_VIRIDIS) - 2)
    frac = (t - i)[..., None]
    return (_VIRIDIS[i] * (1 - frac) + _VIRIDIS[i + 1] * frac).astype(np.uint8)


def tile(images: list[np.ndarray], columns: int, gap: int = 2, fill: int = 255) -> np.ndarray:
    """Arrange equally sized HxWx3 uint8 images in a grid with white gaps."""
    h, w = images[0].shape[:2]
    rows = math.ceil(len(images) / columns)
    grid = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap, 3), fill, np.uint8)
    for k, img in enumerate(images):
        r, c = divmod(k, columns)
        grid[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = img
    return grid


def heat_overlay(gray: np.ndarray, heat: np.ndarray, factor: int = 10) -> np.ndarray:
    """The grey input (nearest, crisp pixels) with a smooth red-yellow heatmap (0..1) blended over it."""
    from PIL import Image

    h, w = gray.shape
    base = np.repeat(upscale(gray * 255, factor).astype(np.float32)[..., None], 3, axis=2) * 0.6
    heat = np.asarray(Image.fromarray(np.clip(heat, 0, 1).astype(np.float32), mode="F")
                      .resize((w * factor, h * factor), Image.Resampling.BILINEAR))[..., None]
    hot = np.concatenate([np.ones_like(heat), heat, np.zeros_like(heat)], axis=2) * 255
    mixed = base * (1 - 0.7 * heat) + hot * 0.7 * heat
    return np.clip(mixed, 0, 255).astype(np.uint8)
