"""Reading and listing users' image files, with one-line errors (stylize, translate, upscale, folders).

Everything returns ``uint8`` arrays of shape (H, W, C); converting to [-1, 1] or [0, 255] floats is
the caller's business. PNG, JPEG, BMP and GIF (first frame) are read by TensorFlow's decoders, so no
extra imaging library is needed.
"""

from __future__ import annotations

import os

import numpy as np

#: File extensions treated as images when a folder is listed (lower case).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


#: The formats :func:`read_image` decodes, told apart by their first bytes.
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "BMP")


class ImageError(ValueError):
    """An input image is missing, unreadable, in an unsupported format, or unusable (e.g. too small)."""


#: The name the readers' callers catch; the same class as :class:`ImageError`.
ImageReadError = ImageError


def sniff_format(data: bytes) -> str | None:
    """The format of encoded image bytes (one of :data:`IMAGE_FORMATS`), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8"):
        return "JPEG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data.startswith(b"BM"):
        return "BMP"
    return None


def list_images(path, recursive=False):
    """Sorted image files of a folder, or ``[path]`` for a single file.

    Raises :class:`ImageReadError` when ``path`` does not exist or a folder holds no image.
    """
    path = os.fspath(path)
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        raise ImageReadError(f"No such file or folder: {path}")
    if recursive:
        found = [os.path.join(root, name) for root, _, names in os.walk(path) for name in names]
    else:
        found = [os.path.join(path, name) for name in os.listdir(path)]
    files = sorted(f for f in found if f.lower().endswith(IMAGE_EXTENSIONS) and os.path.isfile(f))
    if not files:
        raise ImageReadError(
            f"{path} holds no image files (looked for {', '.join(IMAGE_EXTENSIONS)})"
        )
    return files


def read_image(path, channels=3):
    """Decode one image file into a uint8 (H, W, channels) array.

    ``channels`` is 3 (RGB; grayscale is repeated) or 1 (grayscale; RGB is converted by luminance).
    Raises :class:`ImageReadError` with the file name, in one line, for a missing file, a folder,
    an extension that is not an image, bytes of another format, or bytes that do not decode.
    """
    import tensorflow as tf

    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3. Received: {channels}")
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ImageReadError(f"Expected an image file, got a directory: {path}")
    if not os.path.isfile(path):
        raise ImageReadError(f"No such image file: {path}")
    if not path.lower().endswith(IMAGE_EXTENSIONS):
        raise ImageReadError(
            f"Unsupported image format: {path} (expected one of {', '.join(IMAGE_EXTENSIONS)})"
        )
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise ImageReadError(f"Cannot read image file {path}: {err.strerror or err}") from None
    kind = sniff_format(data)
    if kind is None:
        raise ImageReadError(
            f"Cannot decode image {path}: Unsupported image format (not a "
            f"{', '.join(IMAGE_FORMATS[:-1])} or {IMAGE_FORMATS[-1]} file); convert it to PNG or JPEG"
        )
    try:
        image = tf.io.decode_image(data, channels=0, expand_animations=False).numpy()
    except (tf.errors.InvalidArgumentError, tf.errors.UnknownError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ImageReadError(
            f"Cannot decode image {path} as {kind} (corrupt or truncated?): {reason}"
        ) from None
    if image.shape[-1] == 4:  # drop alpha
        image = image[..., :3]
    if image.shape[-1] == 2:  # gray + alpha
        image = image[..., :1]
    if channels == 3 and image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    elif channels == 1 and image.shape[-1] == 3:
        gray = image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
        image = np.clip(np.round(gray), 0, 255).astype(np.uint8)[..., None]
    return np.ascontiguousarray(image, dtype=np.uint8)


def write_image(path, image):
    """Write a uint8 (H, W, C) array as PNG (atomically; parent folders are created)."""
    from tfgan import viz

    return viz.save_png(path, np.asarray(image))
