"""Perceptual features: the frozen VGG19/VGG16 feature extractor, now in :mod:`tfgan.backbones`.

Lecture: lectures/06_style_transfer.md, Eq. (1); notebook: ``notebooks/06_style_representations.ipynb``.
The names below are re-exported so that ``tfgan.style.perceptual.FeatureExtractor`` and the
notebooks that use it keep working; :mod:`tfgan.backbones` documents them.
"""

from tfgan.backbones import (  # noqa: F401 - re-exports
    BACKBONES,
    HED_MEAN_BGR,
    IMAGENET_MEAN_BGR,
    PRECISIONS,
    FeatureExtractor,
    WeightsUnavailableError,
    available_layers,
    best_available_weights,
    bfloat16_is_fast,
    download,
    hed_weights_path,
    imagenet_weights_cached,
    min_input_size,
    resolve_backbone,
    to_pixels,
)

__all__ = [
    "BACKBONES", "HED_MEAN_BGR", "IMAGENET_MEAN_BGR", "PRECISIONS", "FeatureExtractor",
    "WeightsUnavailableError", "available_layers", "best_available_weights", "bfloat16_is_fast",
    "download", "hed_weights_path", "imagenet_weights_cached", "min_input_size", "resolve_backbone",
    "to_pixels",
]
