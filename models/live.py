"""What every live-training loop shares (no gradio here): a time budget that also says when to report, and
keeping what a learner trained as a file they can download and upload again.

A live-training loop in models/ is a generator: it takes plain values and a torch.Generator, trains, and
yields a progress dict whenever `budget.due()` says so (about every REPORT_SECONDS) and once at the end.
The tab only streams what it yields.

A learner's model travels as a zip of a save_pretrained-style folder: `config.json` (with the section's
"kind" and a format version) and `model.safetensors` (never pickle), plus any extra files a section declares
(the GPT's tokenizer files). Uploads are checked before anything is built: the zip's size and member
names and sizes (no paths, no zip bombs), the kind, and the tensors' names and shapes against the model
the config describes.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
import time
import zipfile
from pathlib import Path

REPORT_SECONDS = 0.5        # how often a live loop reports progress
TRAINED_MAX_BYTES = 20 * 1024 * 1024   # an uploaded trained-model zip, and everything inside it unpacked
FORMAT_VERSION = 1
_NAME_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


class Budget:
    """A wall-clock training budget: `expired()` once `seconds` have passed, `due()` every `every` seconds."""

    def __init__(self, seconds: float, every: float = REPORT_SECONDS):
        self.seconds = float(seconds)
        self.every = float(every)
        self.start = time.monotonic()
        self._last_report = -math.inf

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def expired(self) -> bool:
        return self.elapsed() >= self.seconds

    def due(self) -> bool:
        """True at most every `every` seconds (the first call is due): time to yield a progress update."""
        now = time.monotonic()
        if now - self._last_report >= self.every:
            self._last_report = now
            return True
        return False


class TrainedFileError(ValueError):
    """An uploaded trained-model file that cannot be used; `en` and `zh` say why (the tab shows both)."""

    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.en, self.zh = en, zh


def _check_member_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or name.startswith(".") or not set(name) <= _NAME_OK:
        raise TrainedFileError(f"The zip holds {name[:60]!r}: only plain file names are allowed.",
                               f"压缩包中含有 {name[:60]!r}：只允许普通文件名（不能带目录）。")


def zip_folder(folder: str | os.PathLike, dest: str | os.PathLike | None = None, stem: str = "trained") -> Path:
    """Zip the files of `folder` (flat) into `dest` (default: a fresh temporary file named stem.zip)."""
    folder = Path(folder)
    if dest is None:
        dest = Path(tempfile.mkdtemp(prefix="dlhub-trained-")) / f"{stem}.zip"
    dest = Path(dest)
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                archive.write(path, path.name)
    return dest


def unzip_checked(path: str | os.PathLike, allowed: set[str] | frozenset[str], required: set[str] | frozenset[str],
                  max_bytes: int = TRAINED_MAX_BYTES) -> Path:
    """Unpack an uploaded zip into a fresh temporary folder after checking it: size, names, unpacked sizes."""
    path = Path(path)
    if not path.is_file():
        raise TrainedFileError("No file was uploaded.", "没有上传文件。")
    size = path.stat().st_size
    if size > max_bytes:
        raise TrainedFileError(f"The file is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB.",
                               f"文件大小为 {size / 1e6:.1f} MB，上限是 {max_bytes / 1e6:.0f} MB。")
    if not zipfile.is_zipfile(path):
        raise TrainedFileError("This is not a model file downloaded from this tab (expected a .zip holding "
                               "config.json and model.safetensors).",
                               "这不是从本标签页下载的模型文件（应为包含 config.json 和 model.safetensors 的 .zip 文件）。")
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        names = [m.filename for m in members]
        for name in names:
            _check_member_name(name)
        unknown = sorted(set(names) - set(allowed))
        if unknown:
            raise TrainedFileError(f"Unexpected files in the zip: {', '.join(unknown)[:120]} (pickle and code are "
                                   f"never loaded; allowed: {', '.join(sorted(allowed))}).",
                                   f"压缩包中有不应出现的文件：{', '.join(unknown)[:120]}（从不加载 pickle 或代码；"
                                   f"允许的文件：{', '.join(sorted(allowed))}）。")
        missing = sorted(set(required) - set(names))
        if missing:
            raise TrainedFileError(f"The zip lacks {', '.join(missing)}.", f"压缩包中缺少 {', '.join(missing)}。")
        if sum(m.file_size for m in members) > max_bytes or len(names) != len(set(names)):
            raise TrainedFileError("The zip unpacks to more than the size limit.", "压缩包解压后超过了大小上限。")
        folder = Path(tempfile.mkdtemp(prefix="dlhub-upload-"))
        for member in members:
            with archive.open(member) as src:
                data = src.read(max_bytes + 1)
            if len(data) > member.file_size or len(data) > max_bytes:
                raise TrainedFileError("The zip is damaged (sizes disagree).", "压缩包已损坏（文件大小不一致）。")
            (folder / member.filename).write_bytes(data)
    return folder


def save_trained(kind: str, config: dict, tensors: dict, stem: str | None = None,
                 extra_files: dict[str, bytes] | None = None) -> Path:
    """A learner's model as a zip: config.json ({"kind", "format_version", **config}) + model.safetensors."""
    from safetensors.torch import save_file

    folder = Path(tempfile.mkdtemp(prefix="dlhub-trained-")) / "model"
    folder.mkdir()
    state = {name: tensor.detach().cpu().contiguous() for name, tensor in tensors.items()}
    save_file(state, folder / "model.safetensors", metadata={"kind": kind})
    (folder / "config.json").write_text(json.dumps({"kind": kind, "format_version": FORMAT_VERSION, **config},
                                                   indent=2, ensure_ascii=False) + "\n")
    for name, data in (extra_files or {}).items():
        _check_member_name(name)
        (folder / name).write_bytes(data)
    return zip_folder(folder, folder.parent / f"{stem or kind}.zip")


def read_config(folder: Path, kind: str) -> dict:
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TrainedFileError("config.json is not valid JSON.", "config.json 不是有效的 JSON。") from None
    if not isinstance(config, dict) or config.get("kind") != kind:
        got = config.get("kind") if isinstance(config, dict) else None
        raise TrainedFileError(f"This file holds a {str(got)[:40]!r} model, not one of this section ({kind!r}).",
                               f"这个文件里是 {str(got)[:40]!r} 模型，不是本部分的模型（{kind!r}）。")
    return config


def load_trained(path: str | os.PathLike, kind: str, extra_files: frozenset[str] = frozenset(),
                 max_bytes: int = TRAINED_MAX_BYTES) -> tuple[dict, dict, Path]:
    """(config, tensors, unpacked folder) of an uploaded zip, checked; shapes are the caller's (check_shapes)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    required = frozenset({"config.json", "model.safetensors"})
    folder = unzip_checked(path, required | extra_files, required, max_bytes)
    config = read_config(folder, kind)
    try:
        tensors = load_file(folder / "model.safetensors")
    except (SafetensorError, OSError, ValueError) as exc:
        raise TrainedFileError(f"model.safetensors cannot be read: {str(exc)[:120]}",
                               "无法读取 model.safetensors（文件已损坏或不是 safetensors 格式）。") from None
    return config, tensors, folder


def check_shapes(tensors: dict, expected: dict) -> None:
    """The uploaded tensors must be exactly the expected names with the expected shapes."""
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        raise TrainedFileError(f"The weights do not fit this model: missing {missing[:5]}, unexpected {extra[:5]}.",
                               f"权重与模型不匹配：缺少 {missing[:5]}，多出 {extra[:5]}。")
    for name, shape in expected.items():
        if tuple(tensors[name].shape) != tuple(shape):
            raise TrainedFileError(f"{name} has shape {tuple(tensors[name].shape)}; the config needs {tuple(shape)}.",
                                   f"{name} 的形状是 {tuple(tensors[name].shape)}，而配置要求 {tuple(shape)}。")


def config_number(config: dict, key: str, lo: float, hi: float, integer: bool = True):
    """A number from an uploaded config, range-checked (a config is user input too)."""
    value = config.get(key)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and lo <= value <= hi
    if not ok or (integer and value != int(value)):
        raise TrainedFileError(f"config.json: {key} must be a number in [{lo}, {hi}] (got {str(value)[:40]}).",
                               f"config.json：{key} 必须是 [{lo}, {hi}] 之间的数（收到的是 {str(value)[:40]}）。")
    return int(value) if integer else float(value)
