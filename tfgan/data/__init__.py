"""Datasets as ``tf.data`` pipelines of images in [-1, 1], offline first, with one registry.

``load("mnist", split="test")`` yields float32 batches of shape (B, 28, 28, 1). Every dataset is
an entry of one registry (:mod:`~tfgan.data.registry`): a :class:`DatasetInfo` whose ``kind`` says
what its loader returns, read by

* :func:`load` / :func:`load_arrays`: single images (``mnist``, ``fashion_mnist``);
* :func:`load_translation`: two domains A and B (``fashion_edges2shoes``, ``cycle_gan/<name>``);
* :func:`load_image_set`: whole photos for super-resolution (``sr_photos``, ``div2k``, ``coco``);

and ``folder:PATH`` serves all three from the user's files. The modules:

=================  ===========================================================================
``registry``       DatasetInfo, the registry, the errors, the loaders' return types
``idx``            the IDX reader (MNIST's file format)
``network``        ``offline()``, ``can_connect()``, the bounded, SHA-256-checked ``download()``
``sources``        where files are looked for; the pinned course files; ``fetch()``; MNIST, Fashion-MNIST
``pipeline``       ``load_arrays``, ``load``: arrays -> shuffled, batched tf.data pipelines
``folders``        ``folder:PATH`` in every layout, and the image decoders
``translation``    two-domain datasets and ``load_translation``
``superres``       photo sets and ``load_image_set``
``mnist_m``        MNIST-M built offline (digits blended with photo patches), for domain adaptation
=================  ===========================================================================

``python -m tfgan.data fetch`` downloads the course files ahead of time; data/README.md describes
the sources, the cache, the hashes and the offline layout.

The names below are loaded on first use, and all the modules (hence every registry entry) with
them: ``python -m tfgan.data fetch`` and :mod:`~tfgan.data.network` then work without importing
TensorFlow, which takes seconds.
"""

import importlib

#: module -> the public names this package re-exports from it, in dependency order.
_EXPORTS = {
    "registry": ("KINDS", "TRANSLATION_KINDS", "CorruptDatasetError", "DatasetInfo",
                 "DatasetNotFoundError", "ImageSet", "TranslationData", "available_datasets", "info",
                 "register_dataset", "register_prefix"),
    "idx": ("read_idx", "read_idx_split"),
    "network": ("CONNECT_TIMEOUT", "READ_TIMEOUT", "DownloadError", "cache_dir", "can_connect",
                "download", "offline"),
    "sources": ("COURSE_FILES", "CourseFile", "FetchReport", "course_file", "fetch", "local_copy"),
    "pipeline": ("first_available_split", "load", "load_arrays", "to_float_images"),
    "folders": ("FOLDER_TEST_FRACTION", "photo_set"),
    "translation": ("CYCLE_GAN_HOST", "CYCLE_GAN_TFDS", "FASHION_FOOTWEAR", "JITTER_RATIO",
                    "fashion_edges", "fashion_footwear", "load_translation", "translation_data",
                    "translation_datasets"),
    "superres": ("DIV2K_HOST", "SR_PHOTOS", "available_image_sets", "list_image_set", "load_image_set",
                 "load_photos_as_images", "random_crops"),
    "mnist_m": ("blend_digits", "mnist_m"),
}
_OWNER = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_OWNER)


def __getattr__(name):
    if name in _EXPORTS:  # a submodule (``from tfgan.data import network`` asks here first)
        return importlib.import_module(f"tfgan.data.{name}")
    if name not in _OWNER:
        raise AttributeError(f"module 'tfgan.data' has no attribute {name!r}")
    for module in _EXPORTS:  # every module, so that every dataset is registered
        importlib.import_module(f"tfgan.data.{module}")
    value = getattr(importlib.import_module(f"tfgan.data.{_OWNER[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_OWNER) | set(_EXPORTS))
