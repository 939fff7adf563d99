"""Neural style transfer: perceptual features (``perceptual``) and the Gatys et al. method (``gatys``).

``tfgan.style.perceptual.FeatureExtractor`` is a frozen VGG returning named layer outputs; it also
serves SRGAN's VGG content loss. Importing this package needs no optional dependency.
"""

from tfgan.style.perceptual import (
    FeatureExtractor,
    WeightsUnavailableError,
    available_layers,
    min_input_size,
    to_pixels,
)

__all__ = [
    "FeatureExtractor",
    "WeightsUnavailableError",
    "available_layers",
    "min_input_size",
    "to_pixels",
]
