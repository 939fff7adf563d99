"""Tiled inference of a fully convolutional image-to-image network (SRResNet's generator).

Images of any size are processed in tiles of ``tile`` input pixels, each read with ``overlap``
pixels of context on every side, so memory stays bounded by the tile size instead of the image.
With an overlap of at least the network's receptive radius (for SRResNet,
:func:`tfgan.models.srgan.receptive_radius`) the result equals a single pass over the whole image.
Used by :meth:`tfgan.models.srgan.SRResNet.upscale` and ``python -m tfgan.upscale``.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

#: Default tile side in LR pixels (x4: 512x512 output pixels per tile).
DEFAULT_TILE = 128


def tiles(height, width, tile, overlap):
    """``(core, padded)`` boxes ``(top, left, bottom, right)`` covering an image in LR pixels.

    Cores tile the image without overlap; each padded box is its core grown by ``overlap`` on
    every side, clipped to the image.
    """
    boxes = []
    for top in range(0, height, tile):
        for left in range(0, width, tile):
            core = (top, left, min(top + tile, height), min(left + tile, width))
            padded = (max(0, core[0] - overlap), max(0, core[1] - overlap),
                      min(height, core[2] + overlap), min(width, core[3] + overlap))
            boxes.append((core, padded))
    return boxes


def _inference_fn(generator):
    """G in inference mode, traced once for any tile shape."""
    cached = getattr(generator, "_tfgan_tile_fn", None)
    if cached is None:
        spec = tf.TensorSpec((1, None, None, 3), tf.float32)
        cached = tf.function(lambda x: generator(x, training=False), input_signature=[spec])
        generator._tfgan_tile_fn = cached
    return cached


def upscale(generator, image, scale, tile=DEFAULT_TILE, overlap=16, progress=False, as_uint8=True):
    """Upscale one image by ``scale`` with ``generator`` (LR in [0, 1] -> SR in [-1, 1]), in tiles.

    Args:
        generator: a Keras model such as ``SRResNet(...).generator``.
        image: uint8 (H, W, 3).
        scale: the generator's upscaling factor r.
        tile: side of each tile's core, in LR pixels.
        overlap: LR pixels of context read around each core and then discarded; at least the
            receptive radius gives exactly the untiled result.
        progress: show a tqdm bar over the tiles.
        as_uint8: return uint8 (rounded, clipped); False returns the raw float32 output in [-1, 1].

    Returns:
        (r H, r W, 3) array.
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[-1] != 3 or image.dtype != np.uint8:
        raise ValueError(
            f"Expected a uint8 RGB image of shape (H, W, 3). Received: dtype={image.dtype}, shape={image.shape}."
        )
    if tile < 1 or overlap < 0:
        raise ValueError(f"Expected tile >= 1 and overlap >= 0. Received: tile={tile}, overlap={overlap}.")
    height, width = image.shape[:2]
    out = np.empty((height * scale, width * scale, 3), np.uint8 if as_uint8 else np.float32)
    run = _inference_fn(generator)
    boxes = tiles(height, width, tile, overlap)
    bar = None
    if progress and len(boxes) > 1:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(boxes), unit="tile", leave=False)
    lr = image.astype(np.float32) / 255.0
    for (top, left, bottom, right), (ptop, pleft, pbottom, pright) in boxes:
        sr = run(lr[None, ptop:pbottom, pleft:pright])[0].numpy()
        y0, x0 = (top - ptop) * scale, (left - pleft) * scale
        core = sr[y0 : y0 + (bottom - top) * scale, x0 : x0 + (right - left) * scale]
        if as_uint8:
            core = np.clip(np.round((core + 1.0) * 127.5), 0, 255).astype(np.uint8)
        out[top * scale : bottom * scale, left * scale : right * scale] = core
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return out
