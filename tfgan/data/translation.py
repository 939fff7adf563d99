"""Image-to-image translation: datasets of two domains A and B (pix2pix, CycleGAN; lectures 08, 09).

``load_translation(name, split)`` yields ``(source, target)`` batches in [-1, 1]. The datasets:
the offline Fashion-MNIST tasks (``fashion_edges2shoes`` paired, ``fashion_sneakers2boots``
unpaired), tensorflow-datasets' ``cycle_gan/<name>`` for users online, and ``folder:PATH``
(:mod:`tfgan.data.folders`).
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from tfgan.data import network
from tfgan.data.folders import decode_image
from tfgan.data.pipeline import is_int, load_arrays
from tfgan.data.registry import (
    TRANSLATION_KINDS,
    DatasetInfo,
    DatasetNotFoundError,
    TranslationData,
    check_split,
    names,
    prefix_patterns,
    register_dataset,
    resolve,
)
from tfgan.data.network import DownloadError
from tfgan.data.sources import tfds_download, tfds_root

logger = logging.getLogger("tfgan.data")

#: pix2pix and CycleGAN's random jitter: resize 256x256 images to 286x286, crop 256x256 back.
JITTER_RATIO = 286 / 256


def translation_datasets() -> list[str]:
    """Registered two-domain datasets, sorted, then ``'folder:<...>'``."""
    return names(*TRANSLATION_KINDS) + prefix_patterns()


def translation_data(
    name: str, split: str = "train", data_dir: str | os.PathLike | None = None
) -> TranslationData:
    """The :class:`TranslationData` of one split of a two-domain dataset."""
    ds_info, loader = resolve(name)
    if ds_info.kind not in TRANSLATION_KINDS:
        raise ValueError(
            f"Dataset {name!r} holds single images, not two domains A and B. Expected an "
            f"image-to-image dataset, one of {translation_datasets()}."
        )
    check_split(ds_info, split)
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
    if not is_int(batch_size) or batch_size < 1:
        raise ValueError(f"Expected batch_size to be an int >= 1. Received: batch_size={batch_size!r}.")
    if image_size is not None and (not is_int(image_size) or image_size < 1):
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
    root = Path(data_dir).expanduser() if data_dir is not None else tfds_root()
    import tensorflow_datasets as tfds

    if sorted(root.glob(f"{name}/*/dataset_info.json")):
        builder = tfds.builder(name, data_dir=str(root))
        if builder.is_prepared():
            return builder
    if network.offline():
        reason = "TFGAN_OFFLINE is set"
    else:
        reason = network.can_connect(*CYCLE_GAN_HOST)
        if reason is None:
            logger.info("%s: downloading with tfds into %s", name, root)
            try:
                return tfds_download(name, root)
            except DownloadError as err:
                reason = str(err)
        else:
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
        return TranslationData(False, a, b, num_a, num_b, decode=decode_image)

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


