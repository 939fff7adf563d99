"""IDX files, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS").

Each file is a magic number 0x000008NN (unsigned bytes, NN dimensions), NN big-endian 32-bit
sizes, then the bytes; the files are usually gzipped (``.gz``).
"""

from __future__ import annotations

import functools
import gzip
import os
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np

from tfgan.data.registry import CorruptDatasetError, DatasetNotFoundError

_IDX_KINDS = {"images": 3, "labels": 1}  # kind -> number of dimensions; dtype byte 0x08 = ubyte


def read_idx(path: str | os.PathLike, kind: str | None = None) -> np.ndarray:
    """Parses a (gzipped if ``.gz``) IDX file of unsigned bytes into a read-only uint8 array.

    ``kind`` "images" expects magic 0x00000803 (N, H, W), "labels" 0x00000801 (N,). Any problem
    raises :class:`CorruptDatasetError` naming the file. Results are cached per path and mtime.
    """
    if kind not in (None, *_IDX_KINDS):
        raise ValueError(f"Expected kind None, 'images' or 'labels'. Received: kind={kind!r}.")
    path = Path(path)
    stat = path.stat()
    return _read_idx_cached(str(path), stat.st_mtime_ns, stat.st_size, kind)


@functools.lru_cache(maxsize=16)
def _read_idx_cached(path: str, mtime_ns: int, size: int, kind: str | None) -> np.ndarray:
    del mtime_ns, size  # cache key only: a rewritten file is parsed again
    data = _read_bytes(path)

    def corrupt(problem: str) -> CorruptDatasetError:
        return CorruptDatasetError(
            f"{path}: {problem}. Replace it with an intact copy (see data/README.md)."
        )

    if len(data) < 4:
        raise corrupt(f"file has {len(data)} bytes, expected at least a 4-byte IDX header")
    magic = int.from_bytes(data[:4], "big")
    ndim = data[3]
    if kind is not None:
        want = 0x800 | _IDX_KINDS[kind]
        if magic != want:
            raise corrupt(f"bad magic number 0x{magic:08X}, expected 0x{want:08X} ({kind})")
    elif data[0] != 0 or data[1] != 0 or data[2] != 0x08 or ndim == 0:
        raise corrupt(f"bad magic number 0x{magic:08X}, expected 0x000008NN (unsigned bytes)")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise corrupt(
            f"file has {len(data)} bytes, expected a {header}-byte header for {ndim} dims"
        )
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(dims, dtype=np.int64))
    if len(data) != expected:
        raise corrupt(
            f"file has {len(data)} bytes, expected {expected} (header {header} + dims {dims}); "
            "it is truncated or has trailing data"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def _read_bytes(path: str) -> bytes:
    if not path.endswith(".gz"):
        with open(path, "rb") as f:
            return f.read()
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except (gzip.BadGzipFile, EOFError, zlib.error, OSError) as e:
        raise CorruptDatasetError(
            f"{path}: not a valid gzip file ({e}). Replace it with an intact copy, or store it "
            "uncompressed without the .gz suffix."
        ) from e


SPLIT_PREFIX = {"train": "train", "test": "t10k"}


def idx_file(folder: Path, split: str, kind: str) -> Path | None:
    """The IDX file of one split and kind in ``folder``, trying the usual name variants."""
    stem = f"{SPLIT_PREFIX[split]}-{kind}"
    dims = "idx3" if kind == "images" else "idx1"
    for name in (f"{stem}-{dims}-ubyte", f"{stem}.{dims}-ubyte"):
        for candidate in (folder / f"{name}.gz", folder / name):
            if candidate.is_file():
                return candidate
    return None


def idx_splits(folder: Path, splits: Sequence[str]) -> list[str]:
    """Splits whose images and labels files both exist in ``folder``."""
    return [s for s in splits if idx_file(folder, s, "images") and idx_file(folder, s, "labels")]


def read_idx_split(folder: str | os.PathLike, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Reads ``<train|t10k>-images/labels`` from ``folder``: (uint8 N,H,W,1, int64 N)."""
    folder = Path(folder)
    image_path = idx_file(folder, split, "images")
    label_path = idx_file(folder, split, "labels")
    if image_path is None or label_path is None:
        raise DatasetNotFoundError(
            f"{folder}: no {SPLIT_PREFIX[split]}-images-idx3-ubyte(.gz) and "
            f"{SPLIT_PREFIX[split]}-labels-idx1-ubyte(.gz) pair for split {split!r}."
        )
    images = read_idx(image_path, "images")
    labels = read_idx(label_path, "labels")
    if len(images) != len(labels):
        raise CorruptDatasetError(
            f"{image_path} holds {len(images)} images but {label_path} holds {len(labels)} "
            "labels; expected equal counts. One of the two files is from another copy or split."
        )
    return images[..., None], labels.astype(np.int64)

