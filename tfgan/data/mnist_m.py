"""MNIST-M, offline: MNIST digits blended with random colour patches of photos, as Ganin et al. built it.

Ganin and Lempitsky 2015 / Ganin et al. 2016, "Domain-Adversarial Training of Neural Networks",
JMLR, section 5.1.2, https://arxiv.org/abs/1505.07818: each MNIST digit is combined with a patch
cut at random from a colour photo, pixel by pixel and channel by channel, as the absolute
difference ``out = |patch - digit|``. Where the digit is black (0) the photo shows through, where it
is white (255) the photo is inverted, so the digit stays visible with the photo's colours and
texture. Ganin et al. took the patches from BSDS500; the photos here are the colour photos that
scikit-image ships (:data:`PHOTOS`), so the set builds offline, the same for everyone.

``mnist_m`` (the registered dataset, ``--target-dataset mnist_m`` of ``python -m tfgan.train adda``)
has MNIST's splits, labels and order: image i of ``mnist_m/<split>`` is MNIST image i of that split,
blended. It is built from the MNIST split on first use, deterministically from :data:`SEED`, and
cached as ``<cache>/mnist_m/<split>-seed<seed>-<digits hash>.npz`` (:func:`tfgan.data.cache_dir`;
about 20 MB for 10,000 images). :func:`blend_digits` is the builder itself, for any digits and seed.

Usage::

    from tfgan import data
    images, labels = data.load_arrays("mnist_m", "test")     # uint8 (10000, 28, 28, 3), int64
    batches = data.load("mnist_m", "test", batch_size=64)    # float32 in [-1, 1]
"""

from __future__ import annotations

import hashlib

import numpy as np

from tfgan import fileio
from tfgan.data import network
from tfgan.data.pipeline import load_arrays
from tfgan.data.registry import DatasetInfo, register_dataset

#: The colour photos of scikit-image (``skimage.data``) the patches are cut from (no download needed).
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry")
#: The seed of the registered ``mnist_m`` dataset.
SEED = 0
#: Bumped when the recipe changes, so that old caches are not reused.
VERSION = 1


def photos():
    """The RGB uint8 photos of :data:`PHOTOS`, loaded from scikit-image's bundled files."""
    from skimage import data as skdata

    return [np.ascontiguousarray(np.asarray(getattr(skdata, name)())[..., :3]) for name in PHOTOS]


def blend_digits(digits, photo_list=None, seed=SEED):
    """MNIST-M images from grayscale digits: ``|patch - digit|`` per channel (Ganin et al. 2016).

    Args:
        digits: uint8 (N, H, W) or (N, H, W, 1) images.
        photo_list: RGB uint8 photos at least H x W (default: :func:`photos`).
        seed: picks, for each digit, a photo and the position of its patch.

    Returns:
        uint8 (N, H, W, 3); the same digits and seed give the same images.
    """
    digits = np.asarray(digits)
    if digits.dtype != np.uint8 or digits.ndim not in (3, 4) or (digits.ndim == 4 and digits.shape[-1] != 1):
        raise ValueError(f"Expected uint8 digits (N, H, W) or (N, H, W, 1). Received: dtype={digits.dtype}, "
                         f"shape={digits.shape}")
    digits = digits.reshape(digits.shape[:3])
    photo_list = photos() if photo_list is None else photo_list
    n, h, w = digits.shape
    rng = np.random.default_rng(seed)
    which = rng.integers(len(photo_list), size=n)
    out = np.empty((n, h, w, 3), np.uint8)
    for i in range(n):
        photo = photo_list[which[i]]
        top, left = rng.integers(photo.shape[0] - h + 1), rng.integers(photo.shape[1] - w + 1)
        patch = photo[top:top + h, left:left + w].astype(np.int16)
        out[i] = np.abs(patch - digits[i][..., None].astype(np.int16)).astype(np.uint8)  # |patch - digit|
    return out


def mnist_m(split="train", data_dir=None, seed=SEED):
    """``(images uint8 (N, 28, 28, 3), labels int64)``: MNIST's ``split`` blended by
    :func:`blend_digits`, read from the cache when it was built before."""
    digits, labels = load_arrays("mnist", split, data_dir)
    digest = hashlib.sha256(digits.tobytes()).hexdigest()[:12]
    path = network.cache_dir() / "mnist_m" / f"{split}-seed{seed}-v{VERSION}-{digest}.npz"
    if path.is_file():
        try:
            with np.load(path) as cached:
                return cached["images"], labels
        except (OSError, ValueError, KeyError):  # a damaged cache is rebuilt
            pass
    images = blend_digits(digits, seed=seed + {"train": 0, "test": 1}.get(split, 2))
    try:
        with fileio.atomic_path(path) as tmp:
            np.savez(tmp, images=images)
    except OSError:  # a read-only cache: the set is rebuilt next time
        pass
    return images, labels


register_dataset(
    DatasetInfo(
        name="mnist_m",
        image_shape=(28, 28, 3),
        num_classes=10,
        class_names=tuple(str(d) for d in range(10)),
        num_examples={"train": 60000, "test": 10000},
        description="MNIST-M style: MNIST digits blended as |patch - digit| with colour patches of "
                    "scikit-image's photos (Ganin et al. 2016); built offline and cached.",
    ),
    lambda split, data_dir=None: mnist_m(split, data_dir),
)
