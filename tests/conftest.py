import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = Path(os.environ.get("AA_GAN_MNIST_DIR", ROOT.parent / "shared" / "data" / "mnist"))


@pytest.fixture(scope="session")
def mnist_dir():
    "The folder with the real MNIST test set's IDX files (skips the test where this machine lacks it)."
    if not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"no MNIST IDX files in {MNIST_DIR}")
    return MNIST_DIR
