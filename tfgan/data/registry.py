"""The one dataset registry: name (or ``prefix:rest``) -> (:class:`DatasetInfo`, loader).

Every dataset tfgan knows is an entry here, whatever it holds; ``DatasetInfo.kind`` says what its
loader returns:

* ``"images"``: one set of same-shaped images; ``loader(split, data_dir)`` returns
  ``(uint8 NHWC images, int64 labels or None)`` (MNIST, Fashion-MNIST);
* ``"paired"`` / ``"unpaired"``: two domains A and B (pix2pix, CycleGAN); the loader returns a
  :class:`TranslationData`;
* ``"photos"``: whole photos of any size (super-resolution); the loader returns an :class:`ImageSet`.

Names with a colon (``folder:PATH``) go to a resolver registered with :func:`register_prefix`.

The datasets register themselves when their modules are imported; read the registry through
``tfgan.data`` (``tfgan.data.info``, ``available_datasets``...), which imports all of them first.
"""

from __future__ import annotations

import dataclasses
import os
import types
from typing import TYPE_CHECKING, Callable, Mapping

import numpy as np

from tfgan.errors import DataError

if TYPE_CHECKING:  # TensorFlow is imported by the modules that build pipelines, not here
    import tensorflow as tf

#: The values of ``DatasetInfo.kind``.
KINDS = ("images", "paired", "unpaired", "photos")
#: Kinds of two-domain datasets: aligned (A, B) pairs, or two unrelated sets.
TRANSLATION_KINDS = ("paired", "unpaired")


class DatasetNotFoundError(DataError, FileNotFoundError):
    """No source holds the requested dataset split; the message lists every place looked in."""


class CorruptDatasetError(DataError, ValueError):
    """A dataset file exists but cannot be read; the message names the file and the problem."""


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What a dataset holds. ``num_examples`` maps split -> count where known.

    ``kind`` is one of :data:`KINDS` (see the module docstring): it fixes what the loader returns
    and so which of ``load`` / ``load_translation`` / ``load_image_set`` reads the dataset.
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
        if self.kind not in KINDS:
            raise ValueError(f"Expected kind to be one of {KINDS}. Received: kind={self.kind!r}.")
        # Tuples and a read-only mapping, so registered infos cannot be changed by accident.
        object.__setattr__(self, "image_shape", tuple(self.image_shape))
        object.__setattr__(self, "splits", tuple(self.splits))
        if self.class_names is not None:
            object.__setattr__(self, "class_names", tuple(self.class_names))
        object.__setattr__(self, "num_examples", types.MappingProxyType(dict(self.num_examples)))


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


#: ``loader(split, data_dir)``: arrays, a TranslationData or an ImageSet, as ``info.kind`` says.
Loader = Callable[[str, "str | os.PathLike | None"], object]
#: A prefix resolver maps the text after "prefix:" to (DatasetInfo, Loader).
Resolver = Callable[[str], "tuple[DatasetInfo, Loader]"]

_REGISTRY: dict[str, tuple[DatasetInfo, Loader]] = {}
_PREFIXES: dict[str, Resolver] = {}


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


def names(*kinds: str) -> list[str]:
    """Registered names of the given kinds (all kinds when none is given), sorted."""
    return sorted(n for n, (i, _) in _REGISTRY.items() if not kinds or i.kind in kinds)


def prefix_patterns() -> list[str]:
    """``'folder:<...>'`` and the other registered prefixes."""
    return [f"{p}:<...>" for p in sorted(_PREFIXES)]


def available_datasets() -> list[str]:
    """Registered dataset names, sorted, then prefix patterns such as ``'folder:<...>'``."""
    return names() + prefix_patterns()


def resolve(name: str, what: str = "dataset", expected: list[str] | None = None) -> tuple[DatasetInfo, Loader]:
    """(info, loader) of a registered name or a ``prefix:rest`` name; ValueError otherwise."""
    if not isinstance(name, str):
        raise ValueError(f"Expected a dataset name string. Received: {name!r}.")
    if name in _REGISTRY:
        return _REGISTRY[name]
    prefix, sep, rest = name.partition(":")
    if sep and prefix in _PREFIXES:
        return _PREFIXES[prefix](rest)
    raise ValueError(
        f"Unknown {what}. Received: name={name!r}. "
        f"Expected one of {available_datasets() if expected is None else expected}."
    )


def info(name: str) -> DatasetInfo:
    """The :class:`DatasetInfo` of a registered (or prefix-resolved) dataset."""
    return resolve(name)[0]


def check_split(ds_info: DatasetInfo, split: str) -> None:
    """ValueError naming the valid splits when ``split`` is not one of them."""
    if split not in ds_info.splits:
        raise ValueError(
            f"Unknown split for dataset {ds_info.name!r}. Received: split={split!r}. "
            f"Expected one of {list(ds_info.splits)}."
        )
