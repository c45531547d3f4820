"""Dataset readers. IDX files are read with numpy (no torchvision).

The data lives outside the repository (never commit it): `--data-dir`, else
`$DLHUB_DATA_DIR`, else `../shared/data` relative to the project root.
"""
from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class DataMissingError(FileNotFoundError):
    """Raised when a dataset file is not in the data directory."""


def data_dir(override: str | os.PathLike | None = None) -> Path:
    if override:
        return Path(override)
    env = os.environ.get("DLHUB_DATA_DIR")
    if env:
        return Path(env)
    return PROJECT_ROOT.parent / "shared" / "data"


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (optionally gzipped) into a numpy array of its stored dtype."""
    path = Path(path)
    if not path.exists():
        raise DataMissingError(f"{path} not found (set --data-dir or DLHUB_DATA_DIR)")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path} is not an IDX file")
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    dtype = np.dtype(dtypes[raw[2]])
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    count = int(np.prod(shape))
    if len(raw) - offset != count * dtype.itemsize:
        raise ValueError(f"{path}: expected {count} items of shape {shape}, file size disagrees")
    return np.frombuffer(raw, dtype=dtype, offset=offset).reshape(shape).astype(dtype.newbyteorder("="))


# split name -> (images file, labels file) below the dataset's folder
_SPLITS = {
    "mnist": {
        "train-10k": ("train-10k-images-idx3-ubyte.gz", "train-10k-labels-idx1-ubyte.gz"),
        "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
    },
    "fashion-mnist": {
        "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
        "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
    },
}


def load_images(dataset: str, split: str, root: str | os.PathLike | None = None):
    """Return (images uint8 [N, 28, 28], labels int64 [N]) of an IDX dataset split."""
    try:
        images_name, labels_name = _SPLITS[dataset][split]
    except KeyError:
        raise ValueError(f"unknown dataset/split {dataset}/{split}") from None
    folder = data_dir(root) / dataset
    images = read_idx(folder / images_name)
    labels = read_idx(folder / labels_name).astype(np.int64)
    if len(images) != len(labels):
        raise ValueError(f"{dataset}/{split}: {len(images)} images but {len(labels)} labels")
    return images, labels


# --- small runtime data shipped with the project (models/bundled, see the README's "Data" section) ---------
# So that every tab works with no data dir (a fresh clone, a Space): the first 100 test images of MNIST and
# Fashion-MNIST (same order as the full test sets), a fixed 3,000-image Fashion-MNIST training sample (300 per
# class, seed 0) for live training, and the Planetoid raw files of Cora and CiteSeer. Never the training sets.
BUNDLED_DIR = PROJECT_ROOT / "models" / "bundled"
BUNDLED_SPLITS = {
    ("mnist", "test"): "test-100",
    ("fashion-mnist", "test"): "test-100",
    ("fashion-mnist", "train-sample"): "train-3000",
}


def load_bundled_images(dataset: str, split: str):
    """(images uint8 [N, 28, 28], labels int64 [N]) of a sample shipped in models/bundled."""
    try:
        stem = BUNDLED_SPLITS[(dataset, split)]
    except KeyError:
        raise ValueError(f"no bundled sample for {dataset}/{split}") from None
    folder = BUNDLED_DIR / dataset
    images = read_idx(folder / f"{stem}-images-idx3-ubyte.gz")
    labels = read_idx(folder / f"{stem}-labels-idx1-ubyte.gz").astype(np.int64)
    return images, labels


def load_images_or_sample(dataset: str, split: str, root: str | os.PathLike | None = None):
    """The full split from the data dir when it is there, else the bundled sample of it: (images, labels, full)."""
    try:
        images, labels = load_images(dataset, split, root)
        return images, labels, True
    except DataMissingError:
        images, labels = load_bundled_images(dataset, split)
        return images, labels, False


def live_training_sample():
    """The Fashion-MNIST sample that live-training sections use: always the bundled one, so a seed gives the
    same curves on every server, with or without a data dir. (images uint8 [3000, 28, 28], labels int64)."""
    return load_bundled_images("fashion-mnist", "train-sample")
