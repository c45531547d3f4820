import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from models.data import data_dir  # noqa: E402

HAS_MNIST = (data_dir() / "mnist" / "t10k-images-idx3-ubyte.gz").exists()
needs_mnist = pytest.mark.skipif(not HAS_MNIST, reason="MNIST not in the data dir (../shared/data or $DLHUB_DATA_DIR)")
