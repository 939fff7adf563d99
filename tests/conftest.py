"""Shared fixtures: the offline data folder, and quiet TensorFlow."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Never let a test wait for a download: tfgan.data fails fast instead of asking tfds to fetch.
os.environ.setdefault("TFGAN_OFFLINE", "1")


@pytest.fixture(scope="session")
def data_dir():
    """``$TFGAN_DATA_DIR`` with the MNIST test split; fails (never skips) when it is missing."""
    root = os.environ.get("TFGAN_DATA_DIR")
    if not root:
        pytest.fail("TFGAN_DATA_DIR is not set: point it at a folder with mnist/t10k-*-ubyte.gz "
                    "(CI: ../shared/data). See data/README.md.")
    if not (Path(root) / "mnist" / "t10k-images-idx3-ubyte.gz").exists():
        pytest.fail(f"TFGAN_DATA_DIR={root} has no mnist/t10k-images-idx3-ubyte.gz; see data/README.md")
    return root
