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
