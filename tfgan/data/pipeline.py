"""Single-image datasets as ``tf.data`` pipelines: float32 batches in [-1, 1], shape (B, H, W, C)."""

from __future__ import annotations

import functools
import os
import re
from typing import Sequence

import numpy as np
import tensorflow as tf

from tfgan.data.registry import DatasetNotFoundError, check_split, resolve

def load_arrays(
    name: str, split: str = "train", data_dir: str | os.PathLike | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Returns (images uint8 NHWC, labels int64 or None) of one split, e.g. for classifiers.

    ``split`` may carry a slice of examples, as TFDS writes it: ``"test[:8000]"`` is the first
    8,000 of the test split, ``"test[8000:]"`` the rest (held out, e.g., when offline MNIST has only
    its test split to train on and to evaluate with). The arrays may be shared with an in-memory
    cache and read-only; copy before writing.
    """
    split, rows = parse_split(split)
    images, labels = _load_whole_split(name, split, data_dir)
    if rows is None:
        return images, labels
    if not len(images[rows]):
        raise ValueError(f"Split {split!r} of {name!r} has {len(images)} examples: the slice {rows} "
                         "selects none of them. Received: a slice selecting no example.")
    return images[rows], (None if labels is None else labels[rows])


_SLICE = re.compile(r"^(?P<split>[^\[\]]+)\[(?P<start>-?\d*):(?P<stop>-?\d*)\]$")


def parse_split(split: str) -> tuple[str, slice | None]:
    """``"test[:8000]"`` -> ``("test", slice(None, 8000))``; ``"test"`` -> ``("test", None)``."""
    match = _SLICE.match(str(split).strip())
    if match is None:
        if "[" in str(split) or "]" in str(split):
            raise ValueError(
                "Expected a split name, optionally with a slice of examples such as 'test[:8000]' "
                f"or 'test[8000:]'. Received: split={split!r}."
            )
        return split, None
    bound = lambda text: int(text) if text else None  # noqa: E731
    return match["split"], slice(bound(match["start"]), bound(match["stop"]))


def _load_whole_split(name, split, data_dir):
    ds_info, loader = resolve(name)
    if ds_info.kind == "photos":
        raise ValueError(
            f"Dataset {name!r} is a set of photos of different sizes, not same-shaped images: "
            "load it with tfgan.data.load_image_set, or train srresnet or srgan on it."
        )
    if ds_info.kind != "images":
        raise ValueError(
            f"Dataset {name!r} is a {ds_info.kind} image-to-image dataset of two domains, not a set "
            "of single images: load it with tfgan.data.load_translation, or train pix2pix or "
            "cyclegan on it."
        )
    check_split(ds_info, split)
    images, labels = loader(split, data_dir)
    if images.dtype != np.uint8 or images.ndim != 4:
        raise TypeError(
            f"Loader of {name!r} must return uint8 NHWC images. "
            f"Received: dtype={images.dtype}, shape={images.shape}."
        )
    return images, labels


def first_available_split(
    name: str, splits: Sequence[str] = ("train", "test"), data_dir: str | os.PathLike | None = None
) -> str:
    """The first of ``splits`` that can be loaded (notebooks: MNIST's train split, else test).

    Offline, only MNIST's test split may be on disk; a notebook can then still run on real
    digits. Raises the last :class:`DatasetNotFoundError` if none is found.
    """
    error = None
    for split in splits:
        try:
            load_arrays(name, split, data_dir)
            return split
        except DatasetNotFoundError as err:
            error = err
    raise error


def load(
    name: str,
    split: str = "train",
    batch_size: int = 64,
    image_size: int | Sequence[int] | None = None,
    with_labels: bool = False,
    data_dir: str | os.PathLike | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    channels: int | None = None,
    repeat: bool = False,
) -> tf.data.Dataset:
    """A batched ``tf.data.Dataset`` of float32 images in [-1, 1], shape (B, H, W, C).

    Args:
        name: a name from :func:`available_datasets`, e.g. ``"mnist"``.
        split: ``"train"`` or ``"test"``.
        batch_size: images per batch; the last partial batch is dropped.
        image_size: None keeps the native size; an int or (H, W) resizes bilinearly.
        with_labels: yield ``(images, labels)`` with int32 labels of shape (B,).
        data_dir: folder checked first for the files (see the module docstring for the rest).
        shuffle: shuffle with a buffer as large as the split; ``seed`` makes the order repeatable.
        channels: None keeps the native channels; 1 or 3 converts grayscale <-> RGB.
        repeat: repeat forever (before batching, so batches straddle epochs).
    """
    if not is_int(batch_size) or batch_size < 1:
        raise ValueError(
            f"Expected batch_size to be an int >= 1. Received: batch_size={batch_size!r}."
        )
    size = _parse_image_size(image_size)
    if channels not in (None, 1, 3):
        raise ValueError(f"Expected channels to be None, 1 or 3. Received: channels={channels!r}.")
    images, labels = load_arrays(name, split, data_dir)
    if with_labels and labels is None:
        raise ValueError(f"Dataset {name!r} has no labels; call load(..., with_labels=False).")
    n = len(images)
    if not repeat and batch_size > n:
        raise ValueError(
            f"batch_size={batch_size} exceeds the {n} examples of {name!r} split {split!r}, so "
            "dropping the partial batch would leave nothing. "
            "Use a smaller batch_size or repeat=True."
        )

    ds = tf.data.Dataset.from_tensor_slices((images, labels) if with_labels else images)
    if shuffle:
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.batch(int(batch_size), drop_remainder=True)
    to_float = functools.partial(_to_float, size=size, channels=channels)
    if with_labels:
        ds = ds.map(
            lambda x, y: (to_float(x), tf.cast(y, tf.int32)), num_parallel_calls=tf.data.AUTOTUNE
        )
    else:
        ds = ds.map(to_float, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def to_float_images(x, image_size=None, channels=None):
    """A uint8 batch (B, H, W, C) -> float32 in [-1, 1], resized to ``image_size`` (None keeps
    it) and with ``channels`` (None keeps them; 1 or 3 converts): what :func:`load` yields."""
    return _to_float(x, _parse_image_size(image_size), channels)


def _to_float(x, size, channels):
    """uint8 batch -> float32 in [-1, 1], resized and with the requested channel count."""
    x = tf.cast(x, tf.float32) / 127.5 - 1.0
    if channels == 1 and x.shape[-1] == 3:
        x = tf.image.rgb_to_grayscale(x)
    if size is not None and tuple(x.shape[1:3]) != size:
        x = tf.image.resize(x, size, method="bilinear")
    if channels == 3 and x.shape[-1] == 1:
        x = tf.image.grayscale_to_rgb(x)
    return x


def is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _parse_image_size(image_size) -> tuple[int, int] | None:
    if image_size is None:
        return None
    pair = (image_size, image_size) if is_int(image_size) else image_size
    try:
        ok = len(pair) == 2 and all(is_int(v) and v >= 1 for v in pair)
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(
            "Expected image_size to be None, an int >= 1 or a pair (H, W) of them. "
            f"Received: image_size={image_size!r}."
        )
    return int(pair[0]), int(pair[1])

