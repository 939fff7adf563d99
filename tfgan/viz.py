"""Pictures: sample grids for runs and notebooks, and small plotting helpers."""

from __future__ import annotations

import math
import os

import numpy as np


def to_uint8(images):
    """Map images in [-1, 1] (any float array or tensor, NHWC) to uint8 in [0, 255]."""
    images = np.asarray(images, dtype=np.float32)
    return np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def image_grid(images, ncols=None, padding=2, pad_value=255):
    """Tile N images (NHWC, uint8 or floats in [-1, 1]) into one (H', W', C) uint8 grid.

    ``ncols`` defaults to ceil(sqrt(N)); empty cells and the ``padding`` border use ``pad_value``.
    """
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(f"Expected a non-empty NHWC (or NHW) batch. Received shape: {images.shape}")
    if images.dtype != np.uint8:
        images = to_uint8(images)
    n, h, w, c = images.shape
    ncols = int(ncols or math.ceil(math.sqrt(n)))
    nrows = math.ceil(n / ncols)
    grid = np.full(
        (nrows * (h + padding) + padding, ncols * (w + padding) + padding, c), pad_value, np.uint8
    )
    for i, image in enumerate(images):
        row, col = divmod(i, ncols)
        top, left = padding + row * (h + padding), padding + col * (w + padding)
        grid[top : top + h, left : left + w] = image
    return grid


def save_png(path, image):
    """Write an (H, W, C) or (H, W) uint8 array as PNG, creating the folder; returns the path."""
    import tensorflow as tf

    image = np.asarray(image, np.uint8)
    if image.ndim == 2:
        image = image[..., None]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp"
    tf.io.write_file(tmp, tf.io.encode_png(image))
    os.replace(tmp, path)  # a reader never sees half a PNG
    return path


def show_grid(images, ncols=None, title=None, ax=None, figsize=(5, 5)):
    """Display a sample grid with matplotlib (notebooks); returns the axes."""
    import matplotlib.pyplot as plt

    grid = image_grid(images, ncols)
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    ax.imshow(grid.squeeze(-1) if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=255)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax
