"""What every live-training section of a tab shares: the heavy pool, the Stop button, and the download/upload of
what the learner trained (the files themselves are made and checked in models/live.py).

Heavy events (training streams, episodes, sampling streams, generation) share one Gradio pool sized to the
cores, so a class full of learners training at once queues (each sees its position) instead of starving the
light events (classifiers, lookups), which keep their own per-event limits.
"""
from __future__ import annotations

import os

import gradio as gr

from .common import error


def _heavy_workers() -> int:
    """DLHUB_HEAVY_WORKERS, else half the cores (at least 1): the rest stays free for light events."""
    value = os.environ.get("DLHUB_HEAVY_WORKERS", "")
    if value.strip().isdigit() and int(value) > 0:
        return int(value)
    return max(1, (os.cpu_count() or 2) // 2)


HEAVY_WORKERS = _heavy_workers()
# pass as `button.click(fn, ..., **HEAVY)`: events sharing a concurrency_id share the lowest limit, so every
# heavy event uses this same dict
HEAVY = {"concurrency_id": "heavy", "concurrency_limit": HEAVY_WORKERS}

TEXT = {
    "en": {"live.stop": "Stop", "live.download": "Download what you trained", "live.upload": "Upload a trained model"},
    "zh-CN": {"live.stop": "停止", "live.download": "下载你训练的模型", "live.upload": "上传训练好的模型"},
}


def stop_button(*events) -> gr.Button:
    """A Stop button that cancels the given running events (the generator is closed at its next yield)."""
    from .i18n import t

    button = gr.Button(t("live.stop"), variant="stop")
    button.click(None, None, None, cancels=list(events), queue=False, api_visibility="private")
    return button


def trained_file_error(exc) -> gr.Error:
    """models.live.TrainedFileError -> a bilingual gr.Error."""
    return error(f"Upload refused: {exc.en}", f"上传被拒绝：{exc.zh}")


def uploaded_path(value) -> str:
    """The path of a gr.File / UploadButton value (a path, a dict from the API, or a tempfile object)."""
    if isinstance(value, dict):
        value = value.get("path") or value.get("name")
    elif hasattr(value, "name") and not isinstance(value, str):
        value = value.name
    if not isinstance(value, str) or not value:
        raise error("No file: upload a .zip downloaded from this section.",
                    "没有文件：请上传从本部分下载的 .zip 文件。")
    return value
