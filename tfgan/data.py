"""Datasets as ``tf.data`` pipelines of images in [-1, 1], offline first.

``load("mnist", split="test")`` yields float32 batches of shape (B, 28, 28, 1). Each dataset is a
registry entry: a :class:`DatasetInfo` plus a loader that returns uint8 NHWC arrays; ``load`` turns
those arrays into a shuffled, batched, prefetched pipeline. Names with a colon (``folder:PATH``)
go to a prefix resolver registered with :func:`register_prefix`.

MNIST-style datasets are looked for in this order, first found wins (per split):

1. the ``data_dir`` argument (the IDX files themselves, or a ``<name>/`` subfolder);
2. ``$TFGAN_DATA_DIR/<name>/``;
3. the repository's ``data/<name>/`` (:data:`REPO_DATA_DIR`);
4. system copies, e.g. ``/usr/share/datasets/fashion-mnist`` from Debian's dataset-fashion-mnist;
5. a tensorflow-datasets copy already prepared in ``$TFDS_DATA_DIR`` or ~/tensorflow_datasets;
6. a tensorflow-datasets download, only after a 3 s connectivity check (skipped if TFGAN_OFFLINE=1).

See data/README.md for the file names and layout of offline copies.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import logging
import os
import socket
import threading
import types
import zlib
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import tensorflow as tf

logger = logging.getLogger("tfgan.data")

#: The repository's own ``data/`` folder (source 3). Tests point it elsewhere with monkeypatch.
REPO_DATA_DIR = Path(__file__).resolve().parent.parent / "data"

#: Seconds the connectivity check waits before tfds is allowed to download.
CONNECT_TIMEOUT = 3.0


class DatasetNotFoundError(FileNotFoundError):
    """No source holds the requested dataset split; the message lists every place looked in."""


class CorruptDatasetError(ValueError):
    """A dataset file exists but cannot be read; the message names the file and the problem."""


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What a dataset holds. ``num_examples`` maps split -> count where known.

    ``kind`` is ``"images"`` (one set of images; the loader returns arrays), or ``"paired"`` /
    ``"unpaired"`` for image-to-image datasets of two domains A and B, whose loader returns a
    :class:`TranslationData` (see :func:`load_translation`).
    """

    name: str
    image_shape: tuple[int, int, int]
    num_classes: int | None = None
    class_names: tuple[str, ...] | None = None
    splits: tuple[str, ...] = ("train", "test")
    num_examples: Mapping[str, int] = dataclasses.field(default_factory=dict, hash=False)
    description: str = ""
    kind: str = "images"

    def __post_init__(self):
        # Tuples and a read-only mapping, so registered infos cannot be changed by accident.
        object.__setattr__(self, "image_shape", tuple(self.image_shape))
        object.__setattr__(self, "splits", tuple(self.splits))
        if self.class_names is not None:
            object.__setattr__(self, "class_names", tuple(self.class_names))
        object.__setattr__(self, "num_examples", types.MappingProxyType(dict(self.num_examples)))


#: A loader returns (images uint8 NHWC, labels int64 or None) for one split.
Loader = Callable[[str, "str | os.PathLike | None"], "tuple[np.ndarray, np.ndarray | None]"]
#: A prefix resolver maps the text after "prefix:" to (DatasetInfo, Loader).
Resolver = Callable[[str], "tuple[DatasetInfo, Loader]"]

_REGISTRY: dict[str, tuple[DatasetInfo, Loader]] = {}
_PREFIXES: dict[str, Resolver] = {}


# --------------------------------------------------------------------------------------------
# Registry


def register_dataset(info: DatasetInfo, loader: Loader | None = None, *, overwrite: bool = False):
    """Registers ``loader(split, data_dir)`` under ``info.name``; without a loader, a decorator."""
    if loader is None:
        return lambda fn: register_dataset(info, fn, overwrite=overwrite)
    if info.name in _REGISTRY and not overwrite:
        raise ValueError(
            f"A dataset named {info.name!r} is already registered. "
            "Pick another name, or pass overwrite=True to replace it."
        )
    if ":" in info.name:
        raise ValueError(
            f"Dataset names may not contain ':' (reserved for prefixes). Received: {info.name!r}."
        )
    _REGISTRY[info.name] = (info, loader)
    return loader


def register_prefix(prefix: str, resolver: Resolver, *, overwrite: bool = False) -> Resolver:
    """Routes names ``"<prefix>:<rest>"`` to ``resolver(rest) -> (DatasetInfo, loader)``."""
    if not prefix or ":" in prefix:
        raise ValueError(f"Expected a prefix without ':', e.g. 'folder'. Received: {prefix!r}.")
    if prefix in _PREFIXES and not overwrite:
        raise ValueError(
            f"Prefix {prefix!r} is already registered; pass overwrite=True to replace it."
        )
    _PREFIXES[prefix] = resolver
    return resolver


def available_datasets() -> list[str]:
    """Registered dataset names, sorted, then prefix patterns such as ``'folder:<...>'``."""
    return sorted(_REGISTRY) + [f"{p}:<...>" for p in sorted(_PREFIXES)]


def _resolve(name: str) -> tuple[DatasetInfo, Loader]:
    if not isinstance(name, str):
        raise ValueError(f"Expected a dataset name string. Received: {name!r}.")
    if name in _REGISTRY:
        return _REGISTRY[name]
    prefix, sep, rest = name.partition(":")
    if sep and prefix in _PREFIXES:
        return _PREFIXES[prefix](rest)
    raise ValueError(
        f"Unknown dataset. Received: name={name!r}. Expected one of {available_datasets()}."
    )


def info(name: str) -> DatasetInfo:
    """The :class:`DatasetInfo` of a registered (or prefix-resolved) dataset."""
    return _resolve(name)[0]


# --------------------------------------------------------------------------------------------
# Public loading API


def load_arrays(
    name: str, split: str = "train", data_dir: str | os.PathLike | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Returns (images uint8 NHWC, labels int64 or None) of one split, e.g. for classifiers.

    The arrays may be shared with an in-memory cache and read-only; copy before writing.
    """
    ds_info, loader = _resolve(name)
    if ds_info.kind != "images":
        raise ValueError(
            f"Dataset {name!r} is a {ds_info.kind} image-to-image dataset of two domains, not a set "
            "of single images: load it with tfgan.data.load_translation, or train pix2pix or "
            "cyclegan on it."
        )
    _check_split(ds_info, split)
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
    if not _is_int(batch_size) or batch_size < 1:
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


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _parse_image_size(image_size) -> tuple[int, int] | None:
    if image_size is None:
        return None
    pair = (image_size, image_size) if _is_int(image_size) else image_size
    try:
        ok = len(pair) == 2 and all(_is_int(v) and v >= 1 for v in pair)
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(
            "Expected image_size to be None, an int >= 1 or a pair (H, W) of them. "
            f"Received: image_size={image_size!r}."
        )
    return int(pair[0]), int(pair[1])


def _check_split(ds_info: DatasetInfo, split: str) -> None:
    if split not in ds_info.splits:
        raise ValueError(
            f"Unknown split for dataset {ds_info.name!r}. Received: split={split!r}. "
            f"Expected one of {list(ds_info.splits)}."
        )


# --------------------------------------------------------------------------------------------
# IDX files (the MNIST format: http://yann.lecun.com/exdb/mnist/, "FILE FORMATS")

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


_SPLIT_PREFIX = {"train": "train", "test": "t10k"}


def _idx_file(folder: Path, split: str, kind: str) -> Path | None:
    """The IDX file of one split and kind in ``folder``, trying the usual name variants."""
    stem = f"{_SPLIT_PREFIX[split]}-{kind}"
    dims = "idx3" if kind == "images" else "idx1"
    for name in (f"{stem}-{dims}-ubyte", f"{stem}.{dims}-ubyte"):
        for candidate in (folder / f"{name}.gz", folder / name):
            if candidate.is_file():
                return candidate
    return None


def _idx_splits(folder: Path, splits: Sequence[str]) -> list[str]:
    """Splits whose images and labels files both exist in ``folder``."""
    return [s for s in splits if _idx_file(folder, s, "images") and _idx_file(folder, s, "labels")]


def read_idx_split(folder: str | os.PathLike, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Reads ``<train|t10k>-images/labels`` from ``folder``: (uint8 N,H,W,1, int64 N)."""
    folder = Path(folder)
    image_path = _idx_file(folder, split, "images")
    label_path = _idx_file(folder, split, "labels")
    if image_path is None or label_path is None:
        raise DatasetNotFoundError(
            f"{folder}: no {_SPLIT_PREFIX[split]}-images-idx3-ubyte(.gz) and "
            f"{_SPLIT_PREFIX[split]}-labels-idx1-ubyte(.gz) pair for split {split!r}."
        )
    images = read_idx(image_path, "images")
    labels = read_idx(label_path, "labels")
    if len(images) != len(labels):
        raise CorruptDatasetError(
            f"{image_path} holds {len(images)} images but {label_path} holds {len(labels)} "
            "labels; expected equal counts. One of the two files is from another copy or split."
        )
    return images[..., None], labels.astype(np.int64)


# --------------------------------------------------------------------------------------------
# Source search for IDX datasets


@dataclasses.dataclass(frozen=True)
class _IdxSources:
    """Where an IDX dataset may live besides the user's folders."""

    name: str
    tfds_name: str
    download_host: tuple[str, int]
    system_dirs: tuple[str, ...] = ()


def _offline() -> bool:
    return os.environ.get("TFGAN_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _can_connect(host: str, port: int, timeout: float = CONNECT_TIMEOUT) -> str | None:
    """None when ``host:port`` accepts a TCP connection within ``timeout`` s, else the reason.

    Runs in a daemon thread so a hanging DNS lookup cannot stall the caller past ``timeout``.
    """
    result: list[str | None] = ["timed out"]

    def attempt():
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            result[0] = None
        except OSError as e:
            result[0] = f"{type(e).__name__}: {e}"

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    return result[0]


def _tfds_root() -> Path:
    return Path(os.environ.get("TFDS_DATA_DIR") or Path.home() / "tensorflow_datasets").expanduser()


@functools.lru_cache(maxsize=8)
def _tfds_arrays(tfds_name: str, split: str, root: str, marker_mtime: int):
    """Reads one prepared tfds split fully into memory (cached)."""
    del marker_mtime
    import tensorflow_datasets as tfds

    builder = tfds.builder(tfds_name, data_dir=root)
    batch = tfds.as_numpy(builder.as_dataset(split=split, batch_size=-1))
    images = np.asarray(batch["image"], dtype=np.uint8)
    images.flags.writeable = False
    return images, np.asarray(batch["label"], dtype=np.int64)


def _tfds_prepared(tfds_name: str, split: str, root: Path) -> tuple[str, tuple | None]:
    """(status, arrays or None) for a tfds copy prepared under ``root``, without any download."""
    infos = sorted(root.glob(f"{tfds_name}/*/dataset_info.json"))
    if not infos:  # checked first: building a tfds builder for a missing copy logs warnings
        return "not prepared", None
    import tensorflow_datasets as tfds

    builder = tfds.builder(tfds_name, data_dir=str(root))
    if not builder.is_prepared():
        return f"no prepared copy for version {builder.version}", None
    if split not in builder.info.splits:
        return f"prepared, but found only split(s) {sorted(builder.info.splits)}", None
    marker = Path(builder.data_dir) / "dataset_info.json"
    return "used", _tfds_arrays(tfds_name, split, str(root), marker.stat().st_mtime_ns)


def _find_idx(src: _IdxSources, split: str, data_dir) -> tuple[np.ndarray, np.ndarray]:
    """Tries every source in order; raises DatasetNotFoundError listing them all."""
    looked: list[str] = []
    partial: list[tuple[Path, list[str]]] = []
    candidates: list[tuple[str, Path | None]] = []
    if data_dir is not None:
        base = Path(data_dir).expanduser()
        candidates.append(("data_dir argument", base))
        if base.is_dir():
            candidates.append(("data_dir argument", base / src.name))
    else:
        candidates.append(("data_dir argument", None))
    env = os.environ.get("TFGAN_DATA_DIR")
    candidates.append(("$TFGAN_DATA_DIR", Path(env).expanduser() / src.name if env else None))
    candidates.append(("repo data dir", Path(REPO_DATA_DIR) / src.name))
    candidates += [("system copy", Path(d)) for d in src.system_dirs]

    for label, folder in candidates:
        if folder is None:
            looked.append(f"{label}: not set")
            continue
        if not folder.is_dir():
            looked.append(f"{label}: {folder} (no such folder)")
            continue
        found = _idx_splits(folder, ("train", "test"))
        if split in found:
            logger.info("%s/%s: reading IDX files from %s (%s)", src.name, split, folder, label)
            return read_idx_split(folder, split)
        if found and folder not in [f for f, _ in partial]:
            partial.append((folder, found))
            looked.append(f"{label}: {folder} (found only split(s) {found})")
        else:
            looked.append(f"{label}: {folder} (no IDX files)")

    root = _tfds_root()
    status, arrays = _tfds_prepared(src.tfds_name, split, root)
    if arrays is not None:
        logger.info("%s/%s: reading tfds copy prepared in %s", src.name, split, root)
        return arrays
    looked.append(f"tfds prepared copy: {root / src.tfds_name} ({status})")

    host, port = src.download_host
    if _offline():
        looked.append("tfds download: skipped because TFGAN_OFFLINE is set")
    elif (reason := _can_connect(host, port)) is not None:
        looked.append(f"tfds download: skipped, cannot reach {host}:{port} ({reason})")
    else:
        import tensorflow_datasets as tfds

        logger.info("%s/%s: downloading with tfds into %s", src.name, split, root)
        try:
            tfds.builder(src.tfds_name, data_dir=str(root)).download_and_prepare()
            status, arrays = _tfds_prepared(src.tfds_name, split, root)
        except Exception as e:  # noqa: BLE001 - any download failure ends in the same advice
            status, arrays = f"failed with {type(e).__name__}: {e}", None
        if arrays is not None:
            return arrays
        looked.append(f"tfds download into {root}: {status}")

    raise DatasetNotFoundError(_not_found_message(src.name, split, looked, partial))


def _not_found_message(name, split, looked, partial) -> str:
    p = _SPLIT_PREFIX[split]
    files = f"{p}-images-idx3-ubyte.gz and {p}-labels-idx1-ubyte.gz"
    lines = [f"Found no source for split {split!r} of dataset {name!r}."]
    for folder, found in partial:
        hint = " or ".join(f"split={s!r} (--split {s})" for s in found)
        lines.append(f"Found only split(s) {found} in {folder}; pass {hint}, or add {files} there.")
    lines.append(
        f"To provide the files, set TFGAN_DATA_DIR (or data_dir= / --data-dir) to a folder "
        f"holding {name}/{p}-images-idx3-ubyte.gz and {name}/{p}-labels-idx1-ubyte.gz, "
        "or go online so tensorflow-datasets can download it. Looked in:"
    )
    lines += [f"  - {entry}" for entry in looked]
    return "\n".join(lines)


#: name -> where that IDX dataset may live; looked up at load time so tests can swap entries.
_IDX_SOURCES: dict[str, _IdxSources] = {}


def _register_idx(info_: DatasetInfo, src: _IdxSources) -> None:
    _IDX_SOURCES[info_.name] = src

    def loader(split, data_dir=None):
        return _find_idx(_IDX_SOURCES[info_.name], split, data_dir)

    loader.__doc__ = f"Loads {info_.name} from IDX files or tfds; see tfgan.data."
    register_dataset(info_, loader)


_MNIST_COUNTS = {"train": 60000, "test": 10000}

_register_idx(
    DatasetInfo(
        name="mnist",
        image_shape=(28, 28, 1),
        num_classes=10,
        class_names=tuple(str(d) for d in range(10)),
        num_examples=_MNIST_COUNTS,
        description="MNIST handwritten digits, 28x28 grayscale (LeCun et al., 1998).",
    ),
    _IdxSources("mnist", "mnist", ("storage.googleapis.com", 443)),
)

_register_idx(
    DatasetInfo(
        name="fashion_mnist",
        image_shape=(28, 28, 1),
        num_classes=10,
        class_names=(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
        ),
        num_examples=_MNIST_COUNTS,
        description="Fashion-MNIST Zalando article images, 28x28 grayscale (Xiao et al., 2017).",
    ),
    _IdxSources(
        "fashion_mnist",
        "fashion_mnist",
        ("fashion-mnist.s3-website.eu-central-1.amazonaws.com", 80),
        system_dirs=("/usr/share/datasets/fashion-mnist",),
    ),
)


# --------------------------------------------------------------------------------------------
# Image-to-image translation: datasets of two domains A and B (pix2pix, CycleGAN;
# lectures 08 and 09)

#: ``DatasetInfo.kind`` of two-domain datasets: aligned (A, B) pairs, or two unrelated sets.
TRANSLATION_KINDS = ("paired", "unpaired")

#: pix2pix and CycleGAN's random jitter: resize 256x256 images to 286x286, crop 256x256 back.
JITTER_RATIO = 286 / 256


@dataclasses.dataclass(frozen=True)
class TranslationData:
    """One split of a two-domain dataset, as its loader returns it.

    The datasets yield cheap *keys* that ``decode`` turns into uint8 (H, W, C) images, so that
    shuffling happens before decoding: file paths for folders, encoded bytes for tfds, or the
    images themselves for in-memory arrays (``decode`` None).

    * paired: ``a`` yields one key per pair and ``decode(key) -> (image_a, image_b)``, the same
      scene in both domains (arrays: the key *is* the pair); ``b`` is None.
    * unpaired: ``a`` and ``b`` yield the keys of each domain; ``decode(key) -> image``.
    """

    paired: bool
    a: tf.data.Dataset
    b: tf.data.Dataset | None
    num_a: int
    num_b: int
    decode: Callable | None = None


def translation_datasets() -> list[str]:
    """Registered two-domain datasets, sorted, then ``'folder:<...>'``."""
    names = sorted(n for n, (i, _) in _REGISTRY.items() if i.kind in TRANSLATION_KINDS)
    return names + [f"{p}:<...>" for p in sorted(_PREFIXES)]


def translation_data(
    name: str, split: str = "train", data_dir: str | os.PathLike | None = None
) -> TranslationData:
    """The :class:`TranslationData` of one split of a two-domain dataset."""
    ds_info, loader = _resolve(name)
    if ds_info.kind not in TRANSLATION_KINDS:
        raise ValueError(
            f"Dataset {name!r} holds single images, not two domains A and B. Expected an "
            f"image-to-image dataset, one of {translation_datasets()}."
        )
    _check_split(ds_info, split)
    return loader(split, data_dir)


def load_translation(
    name: str,
    split: str = "train",
    batch_size: int = 1,
    image_size: int | None = None,
    channels: int | None = None,
    paired: bool | None = None,
    direction: str = "a2b",
    jitter: bool = False,
    mirror: bool = False,
    shuffle: bool = True,
    seed: int | None = None,
    repeat: bool = False,
    data_dir: str | os.PathLike | None = None,
) -> tf.data.Dataset:
    """Batches ``(source, target)`` of float32 images in [-1, 1], each of shape (B, S, S, C).

    Args:
        name: a two-domain dataset from :func:`translation_datasets`, e.g.
            ``"fashion_edges2shoes"``, ``"cycle_gan/horse2zebra"`` or ``"folder:PATH"``.
        split: ``"train"`` or ``"test"``.
        batch_size: examples per batch; the last partial batch is dropped.
        image_size: side S of the square images; None keeps the native size (all images must
            then have the same size). Other sizes are resized bilinearly (with antialiasing),
            ignoring the aspect ratio, as the papers' ``resize_and_crop`` does.
        channels: None keeps the native channels; 1 or 3 converts grayscale <-> RGB.
        paired: True requires aligned pairs (pix2pix); False draws the two domains
            independently, even from a paired dataset (CycleGAN); None: as stored.
        direction: ``"a2b"`` yields (a, b), ``"b2a"`` yields (b, a).
        jitter: the papers' random jitter: resize to 286/256 of S (286 for 256), then crop a
            random S x S window (Isola et al. 2017, section 6.2; Zhu et al. 2017, section 7.1).
            Both images of a pair get the same window.
        mirror: flip left-right with probability 1/2 (both images of a pair alike).
        shuffle: shuffle the whole split (reshuffled every pass); ``seed`` fixes the order and
            the random jitter and flips.
        repeat: repeat forever, before batching.
        data_dir: folder checked first (the Fashion-MNIST files; a tfds data_dir for
            ``cycle_gan/...``).
    """
    if not _is_int(batch_size) or batch_size < 1:
        raise ValueError(f"Expected batch_size to be an int >= 1. Received: batch_size={batch_size!r}.")
    if image_size is not None and (not _is_int(image_size) or image_size < 1):
        raise ValueError(f"Expected image_size to be None or an int >= 1. Received: image_size={image_size!r}.")
    if channels not in (None, 1, 3):
        raise ValueError(f"Expected channels to be None, 1 or 3. Received: channels={channels!r}.")
    if direction not in ("a2b", "b2a"):
        raise ValueError(f"Expected direction 'a2b' or 'b2a'. Received: direction={direction!r}.")
    data = translation_data(name, split, data_dir)
    if paired and not data.paired:
        raise ValueError(
            f"Dataset {name!r} is unpaired: its A and B images do not correspond, so it has no "
            "(input, target) pairs. Use a paired dataset (e.g. fashion_edges2shoes, or folder:PATH "
            "with side-by-side A|B images in train/), or cyclegan for unpaired data."
        )
    use_pairs = data.paired if paired is None else bool(paired)
    prepare = functools.partial(_prepare_images, size=image_size, channels=channels,
                                jitter=jitter, mirror=mirror)

    def keyed(keys, count, stream_seed):
        if shuffle:
            keys = keys.shuffle(max(count, 1), seed=stream_seed, reshuffle_each_iteration=True)
        if repeat:
            keys = keys.repeat()
        return tf.data.Dataset.zip((keys, tf.data.Dataset.random(seed=stream_seed).batch(2)))

    def decoded(key, pair_index=None):
        images = key if data.decode is None else data.decode(key)
        return images if pair_index is None else images[pair_index]

    if use_pairs:
        ds = keyed(data.a, data.num_a, seed).map(
            lambda key, s: prepare(decoded(key), s), num_parallel_calls=tf.data.AUTOTUNE
        )
    else:
        if data.paired:  # a paired split used as two unrelated sets
            sources = [(data.a, data.num_a, 0), (data.a, data.num_a, 1)]
        else:
            sources = [(data.a, data.num_a, None), (data.b, data.num_b, None)]
        streams = []
        for i, (keys, count, index) in enumerate(sources):
            stream_seed = None if seed is None else seed + 7919 * i
            streams.append(keyed(keys, count, stream_seed).map(
                lambda key, s, index=index: prepare((decoded(key, index),), s)[0],
                num_parallel_calls=tf.data.AUTOTUNE,
            ))
        ds = tf.data.Dataset.zip(tuple(streams))
    if data.decode is not None:
        ds = ds.ignore_errors(log_warning=True)  # an unreadable file is skipped, with a warning
    if direction == "b2a":
        ds = ds.map(lambda a, b: (b, a))
    return ds.batch(int(batch_size), drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def _prepare_images(images, seed, size, channels, jitter, mirror):
    """uint8 images of one example (a pair, or one image) -> float32 in [-1, 1], resized,
    jittered and mirrored together: they are stacked on the channel axis for the random ops."""
    floats = []
    for image in images:
        x = tf.cast(image, tf.float32) / 127.5 - 1.0
        if channels == 1 and x.shape[-1] == 3:
            x = tf.image.rgb_to_grayscale(x)
        elif channels == 3 and x.shape[-1] == 1:
            x = tf.image.grayscale_to_rgb(x)
        floats.append(x)
    depths = [int(x.shape[-1]) for x in floats]
    x = tf.concat(floats, axis=-1) if len(floats) > 1 else floats[0]
    crop_seed, flip_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    side = tf.shape(x)[0] if size is None else size
    if jitter:
        load = tf.cast(tf.round(tf.cast(side, tf.float32) * JITTER_RATIO), tf.int32)
        x = tf.image.resize(x, tf.stack([load, load]), method="bilinear", antialias=True)
        x = tf.image.stateless_random_crop(x, tf.stack([side, side, sum(depths)]), seed=crop_seed)
    elif size is not None:
        x = tf.image.resize(x, (size, size), method="bilinear", antialias=True)
    if mirror:
        x = tf.image.stateless_random_flip_left_right(x, seed=flip_seed)
    if size is not None:
        x = tf.ensure_shape(x, (size, size, sum(depths)))
    return tuple(tf.split(x, depths, axis=-1)) if len(depths) > 1 else (x,)


def _decode_image(encoded):
    image = tf.io.decode_image(encoded, channels=3, expand_animations=False)
    image.set_shape((None, None, 3))
    return image


def _decode_file(path):
    return _decode_image(tf.io.read_file(path))


def _decode_side_by_side(path):
    """A pix2pix-style A|B image file -> (left half A, right half B)."""
    image = _decode_file(path)
    half = tf.shape(image)[1] // 2
    return image[:, :half], image[:, half : 2 * half]


# -- Fashion-MNIST tasks, offline ---------------------------------------------------------------

#: Fashion-MNIST's footwear classes.
FASHION_FOOTWEAR = {"Sandal": 5, "Sneaker": 7, "Ankle boot": 9}


def fashion_footwear(split="train", data_dir=None, classes=(5, 7, 9)):
    """Fashion-MNIST shoes, padded with 2 background pixels on each side to 32x32.

    Returns ``(images uint8 (N, 32, 32, 1), labels int64 (N,))`` of the given classes (default:
    sandals, sneakers and ankle boots). 32 = 2^5, so the U-Net halves it five times to 1x1
    without resampling the original 28x28 pixels.
    """
    images, labels = load_arrays("fashion_mnist", split, data_dir)
    # Keyed by the source array's memory (load_arrays returns new views of cached IDX data);
    # the entry keeps that memory alive, so the address cannot be reused by another array.
    key = (images.__array_interface__["data"][0], images.shape, tuple(classes))
    cached = _FOOTWEAR_CACHE.get(key)
    if cached is None:
        keep = np.isin(labels, classes)
        padded = np.pad(images[keep], ((0, 0), (2, 2), (2, 2), (0, 0)))
        padded.flags.writeable = False
        cached = _FOOTWEAR_CACHE[key] = (images, padded, labels[keep])
    return cached[1], cached[2]


_FOOTWEAR_CACHE: dict = {}
_EDGE_CACHE: dict = {}


def fashion_edges(images):
    """Canny edge maps (scikit-image, sigma 1) of uint8 images (N, H, W, 1): uint8 0 or 255.

    The analogue of edges2shoes' HED edges (Isola et al. 2017, section 4): the outline and the
    strongest inner contours, with the shading and texture left for the generator to fill in.
    Results are cached per source array (about 0.2 ms per image).
    """
    from skimage import feature

    key = (id(images), images.shape)
    cached = _EDGE_CACHE.get(key)
    if cached is not None and cached[0] is images:
        return cached[1]
    edges = np.stack([feature.canny(image[..., 0] / 255.0, sigma=1.0) for image in images])
    edges = (edges[..., None] * 255).astype(np.uint8)
    edges.flags.writeable = False
    _EDGE_CACHE[key] = (images, edges)
    return edges


def _fashion_edges2shoes(split, data_dir=None):
    shoes, _ = fashion_footwear(split, data_dir)
    pairs = tf.data.Dataset.from_tensor_slices((fashion_edges(shoes), shoes))
    return TranslationData(True, pairs, None, len(shoes), len(shoes))


def _fashion_sneakers2boots(split, data_dir=None):
    sneakers, _ = fashion_footwear(split, data_dir, classes=(FASHION_FOOTWEAR["Sneaker"],))
    boots, _ = fashion_footwear(split, data_dir, classes=(FASHION_FOOTWEAR["Ankle boot"],))
    return TranslationData(
        False, tf.data.Dataset.from_tensor_slices(sneakers),
        tf.data.Dataset.from_tensor_slices(boots), len(sneakers), len(boots),
    )


register_dataset(
    DatasetInfo(
        name="fashion_edges2shoes",
        image_shape=(32, 32, 1),
        splits=("train", "test"),
        num_examples={"train": 18000, "test": 3000},
        description=(
            "Paired: A = Canny edges (scikit-image) of Fashion-MNIST's sandals, sneakers and "
            "ankle boots, B = the shoes, padded to 32x32; an offline analogue of edges2shoes."
        ),
        kind="paired",
    ),
    _fashion_edges2shoes,
)

register_dataset(
    DatasetInfo(
        name="fashion_sneakers2boots",
        image_shape=(32, 32, 1),
        splits=("train", "test"),
        num_examples={"train": 12000, "test": 2000},
        description=(
            "Unpaired: A = Fashion-MNIST sneakers, B = ankle boots (6,000 + 6,000 train, "
            "1,000 + 1,000 test), padded to 32x32; nothing pairs an A image with a B image."
        ),
        kind="unpaired",
    ),
    _fashion_sneakers2boots,
)


# -- tensorflow-datasets cycle_gan/<name>, for users online ---------------------------------------

#: The configs of tfds' ``cycle_gan`` builder (each registered as ``cycle_gan/<name>``).
CYCLE_GAN_TFDS = (
    "apple2orange", "summer2winter_yosemite", "horse2zebra", "monet2photo", "cezanne2photo",
    "ukiyoe2photo", "vangogh2photo", "maps", "facades", "iphone2dslr_flower",
)
#: Where tfds downloads the CycleGAN datasets from (checked before a download is attempted).
CYCLE_GAN_HOST = ("efrosgans.eecs.berkeley.edu", 443)


def _tfds_translation_builder(name, data_dir):
    """A prepared tfds builder for ``name``: an existing copy, else a download when online."""
    root = Path(data_dir).expanduser() if data_dir is not None else _tfds_root()
    import tensorflow_datasets as tfds

    if sorted(root.glob(f"{name}/*/dataset_info.json")):
        builder = tfds.builder(name, data_dir=str(root))
        if builder.is_prepared():
            return builder
    if _offline():
        reason = "TFGAN_OFFLINE is set"
    else:
        reason = _can_connect(*CYCLE_GAN_HOST)
        if reason is None:
            logger.info("%s: downloading with tfds into %s", name, root)
            builder = tfds.builder(name, data_dir=str(root))
            builder.download_and_prepare()
            return builder
        reason = f"cannot reach {CYCLE_GAN_HOST[0]}: {reason}"
    raise DatasetNotFoundError(
        f"Found no prepared tensorflow-datasets copy of {name!r} in {root} and did not download "
        f"it ({reason}). Go online once so tfds can download it, pass --data-dir with a tfds "
        "folder holding it, or use --dataset folder:PATH with trainA/ trainB/ testA/ testB/ image "
        "folders."
    )


def _cycle_gan_loader(config):
    name = f"cycle_gan/{config}"

    def loader(split, data_dir=None):
        import tensorflow_datasets as tfds

        builder = _tfds_translation_builder(name, data_dir)
        domains = []
        for domain in "AB":
            part = f"{split}{domain}"
            ds = builder.as_dataset(split=part, decoders={"image": tfds.decode.SkipDecoding()})
            splits = builder.info.splits
            count = splits[part].num_examples if part in splits else int(ds.cardinality())
            domains.append((ds.map(lambda example: example["image"]), count))
        (a, num_a), (b, num_b) = domains
        return TranslationData(False, a, b, num_a, num_b, decode=_decode_image)

    loader.__doc__ = f"Loads tfds {name} (trainA/trainB or testA/testB) as unpaired domains."
    return loader


for _config in CYCLE_GAN_TFDS:
    register_dataset(
        DatasetInfo(
            name=f"cycle_gan/{_config}",
            image_shape=(256, 256, 3),
            description=f"tensorflow-datasets cycle_gan/{_config}: unpaired 256x256 photos (downloads when online).",
            kind="unpaired",
        ),
        _cycle_gan_loader(_config),
    )


# -- folder:PATH -----------------------------------------------------------------------------

def _folder_resolver(rest: str):
    """``folder:PATH`` in the layouts of the official pix2pix/CycleGAN downloads.

    * unpaired (CycleGAN): ``PATH/trainA/``, ``PATH/trainB/`` and optionally ``testA/``, ``testB/``;
    * paired (pix2pix facades, maps, edges2shoes): ``PATH/train/`` (and ``test/`` or ``val/``)
      holding side-by-side images, A on the left half, B on the right.
    """
    from tfgan import imageio

    root = Path(rest).expanduser()
    layouts = ("Expected trainA/ and trainB/ (unpaired, optionally testA/ testB/) or train/ "
               "with side-by-side A|B images (paired, optionally test/ or val/)")
    if not rest:
        raise ValueError("Expected folder:PATH with a folder after the colon. Received: 'folder:'.")
    if not root.is_dir():
        raise ValueError(f"folder:{rest}: no such folder. {layouts}.")
    if (root / "trainA").is_dir() and (root / "trainB").is_dir():
        folders = {"train": (root / "trainA", root / "trainB")}
        if (root / "testA").is_dir() and (root / "testB").is_dir():
            folders["test"] = (root / "testA", root / "testB")
        files = {split: tuple(imageio.list_images(f) for f in pair) for split, pair in folders.items()}
        first = imageio.read_image(files["train"][0][0], channels=3)
        kind, counts = "unpaired", {s: len(a) + len(b) for s, (a, b) in files.items()}
    elif (root / "train").is_dir():
        folders = {"train": root / "train"}
        for candidate in ("test", "val"):
            if (root / candidate).is_dir():
                folders["test"] = root / candidate
                break
        files = {split: imageio.list_images(f) for split, f in folders.items()}
        first = imageio.read_image(files["train"][0], channels=3)
        first = first[:, : first.shape[1] // 2]
        kind, counts = "paired", {s: len(f) for s, f in files.items()}
    else:
        raise ValueError(f"folder:{rest}: found neither layout. {layouts}.")

    ds_info = DatasetInfo(
        name=f"folder:{rest}", image_shape=first.shape, splits=tuple(files), num_examples=counts,
        description=f"{kind} images from {root}", kind=kind,
    )

    def loader(split, data_dir=None):
        del data_dir
        if kind == "paired":
            paths = files[split]
            return TranslationData(True, tf.data.Dataset.from_tensor_slices(paths), None,
                                   len(paths), len(paths), decode=_decode_side_by_side)
        paths_a, paths_b = files[split]
        return TranslationData(
            False, tf.data.Dataset.from_tensor_slices(paths_a),
            tf.data.Dataset.from_tensor_slices(paths_b), len(paths_a), len(paths_b),
            decode=_decode_file,
        )

    return ds_info, loader


register_prefix("folder", _folder_resolver)
# Image sets: whole RGB photos of any size, for super-resolution
#
# Super-resolution trains on random crops of large photos and is evaluated on whole held-out
# photos, so these sources return images of their native sizes instead of same-shaped arrays.
# ``load_image_set(name, split)`` resolves, in this order: a registered image set (``sr_photos``,
# ``div2k``), ``folder:PATH``, then any array dataset above (its images converted to RGB).

#: The host tfds downloads div2k from (checked for connectivity first).
DIV2K_HOST = ("data.vision.ee.ethz.ch", 443)


@dataclasses.dataclass(frozen=True)
class ImageSet:
    """The photos of one split: ``count`` RGB images of any size, in a fixed order.

    ``sizes`` holds each image's (height, width) when known without decoding (None otherwise).
    :meth:`dataset` reads them lazily as uint8 (H, W, 3) tensors; :meth:`numpy` decodes them.
    """

    name: str
    split: str
    count: int
    make: Callable[..., tf.data.Dataset] = dataclasses.field(repr=False)
    sizes: tuple[tuple[int, int], ...] | None = None
    source: str = ""

    def dataset(self, shuffle_seed: int | None = None, repeat: bool = False) -> tf.data.Dataset:
        """uint8 (H, W, 3) images; ``shuffle_seed`` draws a new order each pass (None: fixed)."""
        return self.make(shuffle_seed=shuffle_seed, repeat=repeat)

    def numpy(self, num: int | None = None) -> list[np.ndarray]:
        """The first ``num`` (default all) images as uint8 arrays, in the fixed order."""
        ds = self.dataset()
        if num is not None:
            ds = ds.take(int(num))
        return [np.asarray(image) for image in ds.as_numpy_iterator()]


#: An image-set loader maps (split, data_dir) to an :class:`ImageSet`.
ImageSetLoader = Callable[[str, "str | os.PathLike | None"], ImageSet]
_IMAGE_SETS: dict[str, tuple[DatasetInfo, ImageSetLoader]] = {}


def register_image_set(info: DatasetInfo, loader: ImageSetLoader | None = None, *, overwrite: bool = False):
    """Registers ``loader(split, data_dir) -> ImageSet`` under ``info.name``; without a loader, a decorator."""
    if loader is None:
        return lambda fn: register_image_set(info, fn, overwrite=overwrite)
    if info.name in _IMAGE_SETS and not overwrite:
        raise ValueError(
            f"An image set named {info.name!r} is already registered. "
            "Pick another name, or pass overwrite=True to replace it."
        )
    _IMAGE_SETS[info.name] = (info, loader)
    return loader


def available_image_sets() -> list[str]:
    """Names :func:`load_image_set` accepts: image sets, ``folder:<path>``, then array datasets."""
    return sorted(_IMAGE_SETS) + ["folder:<path>"] + sorted(_REGISTRY)


def load_image_set(name: str, split: str = "train", data_dir: str | os.PathLike | None = None) -> ImageSet:
    """The photos of one split of an image set (see :func:`available_image_sets`).

    Raises ``ValueError`` for an unknown name or split and :class:`DatasetNotFoundError` when no
    source holds the data.
    """
    if not isinstance(name, str):
        raise ValueError(f"Expected a dataset name string. Received: {name!r}.")
    if name in _IMAGE_SETS:
        ds_info, loader = _IMAGE_SETS[name]
        _check_split(ds_info, split)
        return loader(split, data_dir)
    prefix, sep, rest = name.partition(":")
    if sep and prefix == "folder":
        return folder_image_set(rest, split)
    if name in _REGISTRY:
        return _arrays_image_set(name, split, data_dir)
    raise ValueError(
        f"Unknown image set. Received: name={name!r}. Expected one of {available_image_sets()}."
    )


def _list_image_set(name, split, images, source="") -> ImageSet:
    """An :class:`ImageSet` over in-memory uint8 (H, W, 3) arrays."""
    images = [np.asarray(image) for image in images]

    def make(shuffle_seed=None, repeat=False):
        def generate():
            rng = np.random.default_rng(shuffle_seed)
            while True:
                order = rng.permutation(len(images)) if shuffle_seed is not None else range(len(images))
                for i in order:
                    yield images[i]
                if not repeat:
                    return

        spec = tf.TensorSpec((None, None, 3), tf.uint8)
        return tf.data.Dataset.from_generator(generate, output_signature=spec)

    sizes = tuple((int(i.shape[0]), int(i.shape[1])) for i in images)
    return ImageSet(name, split, len(images), make, sizes, source)


def _arrays_image_set(name, split, data_dir) -> ImageSet:
    images, _ = load_arrays(name, split, data_dir)
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    return _list_image_set(name, split, images, source=f"tfgan.data.load_arrays({name!r})")


# -- folder:PATH ------------------------------------------------------------------------------
#: The share of a folder's images (sorted by path, the last ones) held out as its test split.
FOLDER_TEST_FRACTION = 0.1


def folder_image_set(path: str | os.PathLike, split: str = "train") -> ImageSet:
    """The images of a folder (searched recursively), sorted by path; ``split="test"`` is the last
    10% (at least one image), ``"train"`` the rest. Files that are not readable images are skipped
    with a warning.
    """
    from tfgan import imageio

    if split not in ("train", "test"):
        raise ValueError(f"Unknown split for folder:{path}. Received: split={split!r}. Expected one of ['train', 'test'].")
    if not str(path):
        raise ValueError("Expected folder:PATH with a folder after the colon. Received: 'folder:'.")
    try:
        files = imageio.list_images(path, recursive=True)
    except imageio.ImageReadError as err:
        raise DatasetNotFoundError(f"folder:{path}: {err}") from None
    sizes, usable = [], []
    for file in files:
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
    n_test = max(1, int(round(FOLDER_TEST_FRACTION * len(usable))))
    cut = len(usable) - n_test
    chosen = slice(cut, None) if split == "test" else slice(0, cut)
    paths, sizes = usable[chosen], tuple(sizes[chosen])

    def make(shuffle_seed=None, repeat=False):
        ds = tf.data.Dataset.from_tensor_slices(paths)
        if shuffle_seed is not None:
            ds = ds.shuffle(len(paths), seed=shuffle_seed, reshuffle_each_iteration=True)
        if repeat:
            ds = ds.repeat()
        decode = lambda p: tf.io.decode_image(tf.io.read_file(p), channels=3, expand_animations=False)
        return ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE)

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


# -- sr_photos: real photos that ship with scikit-image and matplotlib ---------------------------
#: (name, loader) of the photos: scikit-image's sample data (bundled with the package, no
#: download) and matplotlib's sample Grace Hopper portrait. Grayscale photos become RGB.
#: The test split holds whole photos that no training crop comes from.
SR_PHOTOS = {
    "train": (
        "astronaut", "rocket", "motorcycle_left", "motorcycle_right", "hubble_deep_field",
        "immunohistochemistry", "retina", "camera", "coins", "moon", "brick", "grass", "gravel",
        "page",
    ),
    "test": ("chelsea", "coffee", "grace_hopper"),
}


def _sr_photo(name) -> np.ndarray:
    import skimage.data

    if name == "grace_hopper":
        import matplotlib.cbook

        with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
            image = tf.io.decode_jpeg(f.read(), channels=3).numpy()
    elif name in ("motorcycle_left", "motorcycle_right"):
        left, right, _ = skimage.data.stereo_motorcycle()
        image = left if name == "motorcycle_left" else right
    else:
        image = getattr(skimage.data, name)()
    image = np.asarray(image, dtype=np.uint8)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    return np.ascontiguousarray(image[..., :3])


@functools.lru_cache(maxsize=2)
def _sr_photos(split) -> tuple[np.ndarray, ...]:
    photos = []
    for name in SR_PHOTOS[split]:
        try:
            photos.append(_sr_photo(name))
        except Exception as e:  # noqa: BLE001 - a missing sample file names the photo
            raise DatasetNotFoundError(
                f"sr_photos: cannot load {name!r} ({type(e).__name__}: {e}). It ships with "
                "scikit-image (skimage.data) or matplotlib; reinstall them from requirements.txt."
            ) from None
    return tuple(photos)


def _load_sr_photos(split, data_dir=None) -> ImageSet:
    del data_dir  # the photos come from installed packages
    image_set = _list_image_set("sr_photos", split, _sr_photos(split), source="skimage.data, matplotlib")
    return dataclasses.replace(image_set, source=", ".join(SR_PHOTOS[split]))


register_image_set(
    DatasetInfo(
        name="sr_photos",
        image_shape=(None, None, 3),
        num_examples={split: len(names) for split, names in SR_PHOTOS.items()},
        description="Real photos shipped with scikit-image and matplotlib (300x451 to 1411x1411), "
        "RGB; test split: chelsea, coffee, grace_hopper. Works offline.",
    ),
    _load_sr_photos,
)


# -- div2k: tensorflow-datasets (online users) --------------------------------------------------
def _load_div2k(split, data_dir=None) -> ImageSet:
    """DIV2K's HR photos (Agustsson and Timofte 2017) from tfds; test = its validation split.

    A copy prepared under ``data_dir`` / ``$TFDS_DATA_DIR`` / ~/tensorflow_datasets is used as is
    (any ``div2k/<config>``: all configs share the HR images). Otherwise tfds downloads
    ``div2k/bicubic_x4`` (about 4 GB) after a connectivity check, never when TFGAN_OFFLINE is set.
    """
    root = Path(data_dir).expanduser() if data_dir else _tfds_root()
    tfds_split = "validation" if split == "test" else split
    prepared = sorted(root.glob("div2k/*/*/dataset_info.json"))
    looked = [f"tfds prepared copy: {root / 'div2k'} ({'found' if prepared else 'not prepared'})"]
    builder = None
    if prepared or not _offline():
        import tensorflow_datasets as tfds  # slow to import: only when it can be used
    for info_file in prepared:
        candidate = tfds.builder(f"div2k/{info_file.parent.parent.name}", data_dir=str(root))
        if candidate.is_prepared():
            builder = candidate
            break
    if builder is None:
        if _offline():
            looked.append("tfds download: skipped because TFGAN_OFFLINE is set")
        elif (reason := _can_connect(*DIV2K_HOST)) is not None:
            looked.append(f"tfds download: skipped, cannot reach {DIV2K_HOST[0]} ({reason})")
        else:
            logger.warning("div2k: downloading about 4 GB with tfds into %s", root)
            builder = tfds.builder("div2k/bicubic_x4", data_dir=str(root))
            try:
                builder.download_and_prepare()
            except Exception as e:  # noqa: BLE001 - any download failure ends in the same advice
                looked.append(f"tfds download into {root}: failed with {type(e).__name__}: {e}")
                builder = None
    if builder is None:
        raise DatasetNotFoundError(
            "Found no source for dataset 'div2k'. Go online (tensorflow-datasets downloads it), "
            "or use --dataset folder:PATH with DIV2K's HR PNGs, or the offline set sr_photos. "
            "Looked in:\n" + "\n".join(f"  - {entry}" for entry in looked)
        )
    count = builder.info.splits[tfds_split].num_examples

    def make(shuffle_seed=None, repeat=False):
        import tensorflow_datasets as tfds

        read_config = tfds.ReadConfig(shuffle_seed=shuffle_seed)
        ds = builder.as_dataset(split=tfds_split, shuffle_files=shuffle_seed is not None, read_config=read_config)
        ds = ds.map(lambda example: example["hr"], num_parallel_calls=tf.data.AUTOTUNE)
        if shuffle_seed is not None:
            ds = ds.shuffle(16, seed=shuffle_seed)  # decoded 2K photos: a small buffer
        return ds.repeat() if repeat else ds

    return ImageSet("div2k", split, count, make, None, source=str(builder.data_dir))


register_image_set(
    DatasetInfo(
        name="div2k",
        image_shape=(None, None, 3),
        num_examples={"train": 800, "test": 100},
        description="DIV2K 2K-resolution photos (Agustsson and Timofte 2017) through "
        "tensorflow-datasets; test = the 100 validation photos. Needs a download (about 4 GB).",
    ),
    _load_div2k,
)
