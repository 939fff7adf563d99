"""Neural style transfer: perceptual features (``perceptual``) and the Gatys et al. method (``gatys``).

``tfgan.style.perceptual.FeatureExtractor`` is a frozen VGG returning named layer outputs; it also
serves SRGAN's VGG content loss. ``tfgan.style.gatys.stylize`` paints a photo in a painting's
style by optimizing the pixels. Importing this package needs no optional dependency.
Lectures: ``lectures/06_style_transfer.md`` and ``lectures/07_gatys_style_transfer.md``.
"""

from tfgan.style.gatys import (
    ImageError,
    StyleResult,
    content_loss,
    gram_matrix,
    load_image,
    reconstruct_content,
    reconstruct_style,
    style_loss,
    stylize,
    total_variation_loss,
)
from tfgan.style.perceptual import (
    FeatureExtractor,
    WeightsUnavailableError,
    available_layers,
    min_input_size,
    to_pixels,
)

__all__ = [
    "FeatureExtractor",
    "ImageError",
    "StyleResult",
    "WeightsUnavailableError",
    "available_layers",
    "content_loss",
    "gram_matrix",
    "load_image",
    "min_input_size",
    "reconstruct_content",
    "reconstruct_style",
    "style_loss",
    "stylize",
    "to_pixels",
    "total_variation_loss",
]
