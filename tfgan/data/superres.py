"""Photo sets for super-resolution: whole RGB photos of any size, read lazily in a fixed order.

Super-resolution trains on random crops of large photos and is evaluated on whole held-out
photos, so these sets return images of their native sizes instead of same-shaped arrays.
``load_image_set(name, split)`` accepts a registered photo set (``sr_photos``, ``div2k``, ``coco``),
``folder:PATH`` (every image under PATH, :func:`tfgan.data.folders.photo_set`), and any
single-image dataset (its images converted to RGB).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from tfgan import imageio
from tfgan.data import network
from tfgan.data.folders import photo_set
from tfgan.data.pipeline import load_arrays
from tfgan.data.registry import (
    DatasetInfo,
    DatasetNotFoundError,
    ImageSet,
    check_split,
    names,
    register_dataset,
    resolve,
)
from tfgan.data.network import DownloadError
from tfgan.data.sources import course_file, tfds_download, tfds_root

logger = logging.getLogger("tfgan.data")

#: The hosts tfds downloads div2k and coco from (checked for connectivity first).
DIV2K_HOST = ("data.vision.ee.ethz.ch", 443)
COCO_HOST = ("images.cocodataset.org", 80)


def available_image_sets() -> list[str]:
    """Names :func:`load_image_set` accepts: photo sets, ``folder:<path>``, then array datasets."""
    return names("photos") + ["folder:<path>"] + names("images")


def load_image_set(name: str, split: str = "train", data_dir: str | os.PathLike | None = None) -> ImageSet:
    """The photos of one split of an image set (see :func:`available_image_sets`).

    Raises ``ValueError`` for an unknown name or split and :class:`DatasetNotFoundError` when no
    source holds the data.
    """
    if isinstance(name, str) and name.startswith("folder:"):
        return photo_set(name.partition(":")[2], split)  # any layout: every image under the folder
    ds_info, loader = resolve(name, "image set", available_image_sets())
    check_split(ds_info, split)
    if ds_info.kind == "photos":
        return loader(split, data_dir)
    if ds_info.kind == "images":
        return _arrays_image_set(name, split, data_dir)
    raise ValueError(
        f"Dataset {name!r} is a two-domain dataset, not a set of photos. Expected one of "
        f"{available_image_sets()}."
    )

def load_photos_as_images(
    name: str, split: str = "train", batch_size: int = 64, image_size: int = 64, channels: int = 3,
    data_dir: str | os.PathLike | None = None, seed: int | None = None, repeat: bool = False,
) -> tuple[tf.data.Dataset, int]:
    """A set of photos of any sizes (``folder:PATH``, a photo set) as same-shaped training images:
    each photo center-cropped to a square and resized (antialiased) to ``image_size``, float32 in
    [-1, 1] with ``channels`` (1 or 3), in batches of ``batch_size`` (last partial batch dropped).
    Returns ``(dataset, photos in the split)``; what the image generators train on for a folder."""
    photos = load_image_set(name, split, data_dir)
    size = (int(image_size), int(image_size)) if isinstance(image_size, (int, np.integer)) else tuple(image_size)
    if channels not in (1, 3):
        raise ValueError(f"Expected channels to be 1 or 3. Received: channels={channels!r}.")
    if not repeat and batch_size > photos.count:
        raise ValueError(f"batch_size={batch_size} exceeds the {photos.count} photos of {name!r} split "
                         f"{split!r}. Use a smaller batch_size or repeat=True.")

    def to_image(image):  # uint8 (H, W, 3) -> float32 (size, C) in [-1, 1]
        h, w = tf.shape(image)[0], tf.shape(image)[1]
        side = tf.minimum(h, w)
        image = tf.image.crop_to_bounding_box(image, (h - side) // 2, (w - side) // 2, side, side)
        image = tf.image.resize(tf.cast(image, tf.float32), size, antialias=True) / 127.5 - 1.0
        return tf.image.rgb_to_grayscale(image) if channels == 1 else image

    dataset = photos.dataset(shuffle_seed=seed, repeat=repeat).map(to_image, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(int(batch_size), drop_remainder=True).prefetch(tf.data.AUTOTUNE), photos.count


def list_image_set(name, split, images, source="") -> ImageSet:
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


def random_crops(image_set, size, batch_size, seed, crops_per_image=8, augment=True, repeat=True,
                 size_flag="--crop-size"):
    """uint8 (batch_size, size, size, 3) minibatches of random crops of ``image_set``'s photos.

    Photos are read in a shuffled order (``seed``), each gives ``crops_per_image`` random crops
    (optionally flipped and rotated by multiples of 90 degrees), and the crops are shuffled and
    batched. Photos smaller than the crop are skipped; ``ValueError`` naming ``size_flag`` (the
    setting that chose ``size``) if all of them are.
    SRGAN's HR crops and the fast style network's content images.
    """
    if image_set.sizes is not None and all(min(s) < size for s in image_set.sizes):
        raise ValueError(
            f"Every photo of {image_set.name} ({image_set.split}) is smaller than {size_flag} "
            f"{size} (largest: {max(min(s) for s in image_set.sizes)} pixels); use a smaller {size_flag}."
        )
    seed = int(seed)

    def crop(index, image):
        key = tf.stack([tf.constant(seed, tf.int64), index])
        patch = tf.image.stateless_random_crop(image, [size, size, 3], seed=key)
        if augment:
            patch = tf.image.stateless_random_flip_left_right(patch, seed=key + 1)
            turns = tf.random.stateless_uniform([], seed=key + 2, maxval=4, dtype=tf.int32)
            patch = tf.image.rot90(patch, turns)
        return patch

    ds = image_set.dataset(shuffle_seed=seed, repeat=repeat)
    ds = ds.filter(lambda image: tf.reduce_min(tf.shape(image)[:2]) >= size)
    ds = ds.flat_map(lambda image: tf.data.Dataset.from_tensors(image).repeat(crops_per_image))
    ds = ds.enumerate().map(crop, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.shuffle(max(256, 4 * batch_size), seed=seed)
    return ds.batch(batch_size, drop_remainder=True)


def _arrays_image_set(name, split, data_dir) -> ImageSet:
    images, _ = load_arrays(name, split, data_dir)
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    return list_image_set(name, split, images, source=f"tfgan.data.load_arrays({name!r})")


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
    image_set = list_image_set("sr_photos", split, _sr_photos(split), source="skimage.data, matplotlib")
    return dataclasses.replace(image_set, source=", ".join(SR_PHOTOS[split]))


register_dataset(
    DatasetInfo(
        name="sr_photos",
        image_shape=(None, None, 3),
        num_examples={split: len(names) for split, names in SR_PHOTOS.items()},
        description="Real photos shipped with scikit-image and matplotlib (300x451 to 1411x1411), "
        "RGB; test split: chelsea, coffee, grace_hopper. Works offline.",
        kind="photos",
    ),
    _load_sr_photos,
)


# -- div2k and coco: tensorflow-datasets (online users) -----------------------------------------
def _tfds_photo_set(name, tfds_name, split, data_dir, image_key, host, size_note):
    """The photos of a tfds dataset ``tfds_name`` (``NAME/CONFIG``) as an :class:`ImageSet`.

    A copy prepared under ``data_dir`` / ``$TFDS_DATA_DIR`` / ~/tensorflow_datasets is used as is
    (any config of ``NAME``). Otherwise tfds downloads ``tfds_name`` (``size_note``) after a
    connectivity check of ``host``, never when TFGAN_OFFLINE is set: offline, the
    :class:`DatasetNotFoundError` comes at once. ``test`` reads tfds' validation split.
    """
    root = Path(data_dir).expanduser() if data_dir else tfds_root()
    tfds_split = "validation" if split == "test" else split
    family = tfds_name.split("/")[0]
    prepared = sorted(root.glob(f"{family}/*/*/dataset_info.json"))
    looked = [f"tfds prepared copy: {root / family} ({'found' if prepared else 'not prepared'})"]
    builder = None
    if prepared or not network.offline():
        import tensorflow_datasets as tfds  # slow to import: only when it can be used
    for info_file in prepared:
        candidate = tfds.builder(f"{family}/{info_file.parent.parent.name}", data_dir=str(root))
        if candidate.is_prepared():
            builder = candidate
            break
    if builder is None:
        if network.offline():
            looked.append("tfds download: skipped because TFGAN_OFFLINE is set")
        elif (reason := network.can_connect(*host)) is not None:
            looked.append(f"tfds download: skipped, cannot reach {host[0]} ({reason})")
        else:
            logger.warning("%s: downloading %s with tfds into %s", name, size_note, root)
            try:
                builder = tfds_download(tfds_name, root)
            except DownloadError as err:
                looked.append(f"tfds download: {err}")
    if builder is None:
        raise DatasetNotFoundError(
            f"Found no source for dataset {name!r}. Go online (tensorflow-datasets downloads it), "
            f"or use --dataset folder:PATH with your own photos, or the offline set sr_photos. "
            "Looked in:\n" + "\n".join(f"  - {entry}" for entry in looked)
        )
    count = builder.info.splits[tfds_split].num_examples

    def make(shuffle_seed=None, repeat=False):
        import tensorflow_datasets as tfds

        read_config = tfds.ReadConfig(shuffle_seed=shuffle_seed)
        ds = builder.as_dataset(split=tfds_split, shuffle_files=shuffle_seed is not None, read_config=read_config)
        ds = ds.map(lambda example: example[image_key], num_parallel_calls=tf.data.AUTOTUNE)
        if shuffle_seed is not None:
            ds = ds.shuffle(16, seed=shuffle_seed)  # decoded photos: a small buffer
        return ds.repeat() if repeat else ds

    return ImageSet(name, split, count, make, None, source=str(builder.data_dir))


def _load_div2k(split, data_dir=None) -> ImageSet:
    """DIV2K's HR photos (Agustsson and Timofte 2017) from tfds; test = its validation split.

    Any prepared ``div2k/<config>`` serves (all configs share the HR images); otherwise tfds
    downloads ``div2k/bicubic_x4`` (about 4 GB) when online.
    """
    return _tfds_photo_set("div2k", "div2k/bicubic_x4", split, data_dir, "hr", DIV2K_HOST, "about 4 GB")


register_dataset(
    DatasetInfo(
        name="div2k",
        image_shape=(None, None, 3),
        num_examples={"train": 800, "test": 100},
        description="DIV2K 2K-resolution photos (Agustsson and Timofte 2017) through "
        "tensorflow-datasets; test = the 100 validation photos. Needs a download (about 4 GB).",
        kind="photos",
    ),
    _load_div2k,
)


# -- style_images: offline style images for arbitrary style transfer (AdaIN, WCT) -----------------
#: The course's painting (Van Gogh's The Starry Night, public domain; a course file) and images
#: that ship with scikit-image: its textures (brick, grass, gravel; grayscale, made RGB) and its
#: most painting-like colour images. Few and mostly not paintings: what is offline. For real use,
#: ``folder:PATH`` of paintings (e.g. WikiArt, as Huang and Belongie 2017 train on).
STYLE_IMAGES = {
    "train": ("starry_night", "immunohistochemistry", "hubble_deep_field", "retina", "brick", "grass",
              "gravel"),
    "test": ("starry_night", "immunohistochemistry"),
}


def _style_image(name) -> np.ndarray:
    if name == "starry_night":
        return imageio.read_image(course_file("images/starry_night.jpg"), channels=3)
    return _sr_photo(name)


def _load_style_images(split, data_dir=None) -> ImageSet:
    del data_dir  # a course file (found through TFGAN_DATA_DIR and the cache) and package files
    images = [_style_image(name) for name in STYLE_IMAGES[split]]
    image_set = list_image_set("style_images", split, images)
    return dataclasses.replace(image_set, source=", ".join(STYLE_IMAGES[split]))


def _load_coco(split, data_dir=None) -> ImageSet:
    """COCO 2017's photos (Lin et al. 2014) from tfds, the content photos of Johnson et al.'s fast
    style transfer; test = the 5,000 validation photos. Downloads about 25 GB when online."""
    return _tfds_photo_set("coco", "coco/2017", split, data_dir, "image", COCO_HOST, "about 25 GB")


register_dataset(
    DatasetInfo(
        name="style_images",
        image_shape=(None, None, 3),
        num_examples={split: len(names) for split, names in STYLE_IMAGES.items()},
        description="Style images that work offline: the course's Starry Night and scikit-image's "
        "textures and colour images; test split (the sample grids' styles): starry_night, "
        "immunohistochemistry, both also in train.",
        kind="photos",
    ),
    _load_style_images,
)


register_dataset(
    DatasetInfo(
        name="coco",
        image_shape=(None, None, 3),
        num_examples={"train": 118287, "test": 5000},
        description="COCO 2017 photos (Lin et al. 2014) through tensorflow-datasets, the content "
        "photos of fast style transfer; test = the 5,000 validation photos. Needs a download (about 25 GB).",
        kind="photos",
    ),
    _load_coco,
)
