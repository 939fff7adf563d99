"""``folder:PATH``: the user's own image files, one implementation for every kind of dataset.

The folder's layout says what it holds (the layouts of the official pix2pix/CycleGAN downloads,
else a plain folder of photos):

* unpaired (CycleGAN): ``PATH/trainA/``, ``PATH/trainB/`` and optionally ``testA/``, ``testB/``;
* paired (pix2pix facades, maps, edges2shoes): ``PATH/train/`` (and ``test/`` or ``val/``)
  holding side-by-side images, A on the left half, B on the right;
* photos (super-resolution): any other folder; its images, searched recursively and sorted by
  path; the last :data:`FOLDER_TEST_FRACTION` of them are the test split.

Every layout can also be read as photos (:func:`photo_set`): ``load_image_set("folder:PATH")``
takes every image under PATH whatever the layout.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import tensorflow as tf

from tfgan import imageio
from tfgan.data.registry import DatasetInfo, DatasetNotFoundError, ImageSet, TranslationData, register_prefix

logger = logging.getLogger("tfgan.data")

#: The share of a photo folder's images (sorted by path, the last ones) held out as its test split.
FOLDER_TEST_FRACTION = 0.1

_LAYOUTS = ("Expected trainA/ and trainB/ (unpaired, optionally testA/ testB/), train/ with "
            "side-by-side A|B images (paired, optionally test/ or val/), or at least 2 image "
            "files (photos)")


def decode_image(encoded):
    """Encoded PNG/JPEG/BMP/GIF bytes -> uint8 (H, W, 3)."""
    image = tf.io.decode_image(encoded, channels=3, expand_animations=False)
    image.set_shape((None, None, 3))
    return image


def decode_file(path):
    """An image file -> uint8 (H, W, 3)."""
    return decode_image(tf.io.read_file(path))


def decode_side_by_side(path):
    """A pix2pix-style A|B image file -> (left half A, right half B)."""
    image = decode_file(path)
    half = tf.shape(image)[1] // 2
    return image[:, :half], image[:, half : 2 * half]


def _root(rest: str) -> Path:
    if not rest:
        raise ValueError("Expected folder:PATH with a folder after the colon. Received: 'folder:'.")
    root = Path(rest).expanduser()
    if not root.is_dir():
        raise DatasetNotFoundError(f"folder:{rest}: no such folder. {_LAYOUTS}.")
    return root


def _list(folder: Path, recursive: bool = False) -> list[str]:
    """Sorted image files of ``folder``, [] when it holds none."""
    try:
        return imageio.list_images(folder, recursive=recursive)
    except imageio.ImageReadError:
        return []


def resolve_folder(rest: str):
    """The ``folder`` prefix resolver: (DatasetInfo, loader) for the layout found under ``rest``."""
    root = _root(rest)
    if (root / "trainA").is_dir() and (root / "trainB").is_dir():
        folders = {"train": (root / "trainA", root / "trainB")}
        if (root / "testA").is_dir() and (root / "testB").is_dir():
            folders["test"] = (root / "testA", root / "testB")
        files = {split: tuple(imageio.list_images(f) for f in pair) for split, pair in folders.items()}
        shape = imageio.read_image(files["train"][0][0], channels=3).shape
        kind, counts = "unpaired", {s: len(a) + len(b) for s, (a, b) in files.items()}
    elif (root / "train").is_dir():
        folders = {"train": root / "train"}
        for candidate in ("test", "val"):
            if (root / candidate).is_dir():
                folders["test"] = root / candidate
                break
        files = {split: imageio.list_images(f) for split, f in folders.items()}
        first = imageio.read_image(files["train"][0], channels=3)
        shape = first[:, : first.shape[1] // 2].shape
        kind, counts = "paired", {s: len(f) for s, f in files.items()}
    elif len(photos := _list(root, recursive=True)) >= 2:
        shape, kind, files = (None, None, 3), "photos", {"train": None, "test": None}
        n_test = _test_count(len(photos))
        counts = {"train": len(photos) - n_test, "test": n_test}
    else:
        raise ValueError(f"folder:{rest}: found neither layout. {_LAYOUTS}.")

    ds_info = DatasetInfo(
        name=f"folder:{rest}", image_shape=shape, splits=tuple(files), num_examples=counts,
        description=f"{kind} images from {root}", kind=kind,
    )

    def loader(split, data_dir=None):
        del data_dir
        if kind == "photos":
            return photo_set(rest, split)
        if kind == "paired":
            paths = files[split]
            return TranslationData(True, tf.data.Dataset.from_tensor_slices(paths), None,
                                   len(paths), len(paths), decode=decode_side_by_side)
        paths_a, paths_b = files[split]
        return TranslationData(
            False, tf.data.Dataset.from_tensor_slices(paths_a),
            tf.data.Dataset.from_tensor_slices(paths_b), len(paths_a), len(paths_b),
            decode=decode_file,
        )

    return ds_info, loader


def _test_count(n: int) -> int:
    return max(1, int(round(FOLDER_TEST_FRACTION * n)))


def photo_set(path: str | os.PathLike, split: str = "train") -> ImageSet:
    """The images under a folder (recursively, any layout), sorted by path; ``split="test"`` is the
    last 10% (at least one image), ``"train"`` the rest. Files that are not readable images are
    skipped with a warning.
    """
    if split not in ("train", "test"):
        raise ValueError(f"Unknown split for folder:{path}. Received: split={split!r}. Expected one of ['train', 'test'].")
    root = _root(os.fspath(path))
    sizes, usable = [], []
    for file in _list(root, recursive=True):
        size = _image_size(file)
        if size is None:
            logger.warning("folder:%s: skipping %s, which is not a readable image", path, file)
        else:
            usable.append(file)
            sizes.append(size)
    if len(usable) < 2:
        raise DatasetNotFoundError(
            f"folder:{path} holds {len(usable)} readable image(s); expected at least 2 "
            f"(the last {FOLDER_TEST_FRACTION:.0%} by name are held out as the test split). Add images."
        )
    cut = len(usable) - _test_count(len(usable))
    chosen = slice(cut, None) if split == "test" else slice(0, cut)
    paths, sizes = usable[chosen], tuple(sizes[chosen])

    def make(shuffle_seed=None, repeat=False):
        ds = tf.data.Dataset.from_tensor_slices(paths)
        if shuffle_seed is not None:
            ds = ds.shuffle(len(paths), seed=shuffle_seed, reshuffle_each_iteration=True)
        if repeat:
            ds = ds.repeat()
        return ds.map(decode_file, num_parallel_calls=tf.data.AUTOTUNE)

    return ImageSet(f"folder:{path}", split, len(paths), make, sizes, source=os.fspath(path))


def _image_size(path) -> tuple[int, int] | None:
    """(height, width) from the file header (Pillow, a matplotlib dependency), None if unreadable."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            width, height = image.size
        return int(height), int(width)
    except Exception:  # noqa: BLE001 - any failure means "not an image we can use"
        return None


register_prefix("folder", resolve_folder)
