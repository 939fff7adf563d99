"""Translate images with a trained pix2pix or CycleGAN run.

    python -m tfgan.translate RUN_DIR INPUT... --output DIR [--direction a2b|b2a] [--resize]

INPUTs are image files (PNG, JPEG, BMP, GIF) or folders of them. Each result is written to
``DIR/<input name>.png`` at the size of its input (``_2``, ``_3``... are appended when two
inputs share a name).

Sizes. By default an image is translated at its own resolution: it is **padded** by reflection
(numpy's ``"reflect"``) on all sides to the next size the generator accepts (a multiple of
2^levels for pix2pix's U-Net, e.g. 32 for the 32x32 Fashion-MNIST model and 256 for the paper's;
a multiple of 4 for CycleGAN), translated, and cropped back: no resampling, but the network sees
objects at the input's scale. ``--resize`` instead **resizes** the image to the training size
(bilinear, with antialiasing), translates it and resizes the result back to the input's size:
objects at the scale the network was trained on, at the cost of resampling twice.

``--direction``: a CycleGAN run translates A to B with G (``a2b``, the default) or B to A with F
(``b2a``); a pix2pix run only in the direction it was trained in. Grayscale and colour inputs are
converted to the run's channels. Unreadable files, a run directory without a translation model,
or a direction the model cannot do give exit code 2 and a one-line message.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import tensorflow as tf

from tfgan import cli, imageio, viz
from tfgan.errors import RunError
from tfgan.models.image_to_image import ImageToImageModel
from tfgan.runs import load_model, model_name_of

PROG = "python -m tfgan.translate"


def size_multiple(model):
    """The generator's height and width must be multiples of this (2^levels, or 4)."""
    levels = getattr(model.config, "levels", None)
    return 2**levels if levels else 4


def min_size(model):
    """The smallest height and width the generator takes: CycleGAN's residual blocks
    reflection-pad a quarter-size map by 1, so it needs at least 8 px."""
    return max(size_multiple(model), 8 if getattr(model.config, "n_blocks", None) else 1)


def _padded(image, multiple, smallest=1):
    """Reflection-pad an (H, W, C) array on all sides to multiples of ``multiple`` (and at least
    ``smallest``); returns the padded array and the (top, left) offset of the original."""
    height, width = image.shape[:2]
    extra_h = max(-height % multiple, smallest - height)
    extra_w = max(-width % multiple, smallest - width)
    extra_h += -(height + extra_h) % multiple
    extra_w += -(width + extra_w) % multiple
    top, left = extra_h // 2, extra_w // 2
    pad = ((top, extra_h - top), (left, extra_w - left), (0, 0))
    return np.pad(image, pad, mode="reflect") if extra_h or extra_w else image, (top, left)


def translate_image(model, image, direction=None, resize=False):
    """Translate one uint8 (H, W, C) image (C = the run's channels); returns uint8 (H, W, C)."""
    x = image.astype(np.float32) / 127.5 - 1.0
    height, width = x.shape[:2]
    if resize:
        size = model.config.image_size
        x = tf.image.resize(x, (size, size), method="bilinear", antialias=True).numpy()
        y = np.asarray(model.translate(x[None], direction))[0]
        y = tf.image.resize(y, (height, width), method="bilinear", antialias=True).numpy()
    else:
        x, (top, left) = _padded(x, size_multiple(model), min_size(model))
        y = np.asarray(model.translate(x[None], direction))[0][top : top + height, left : left + width]
    return viz.to_uint8(np.clip(y, -1.0, 1.0))


def _output_names(files, output_dir):
    """``DIR/<stem>.png`` per input file, with ``_2``, ``_3``... for repeated stems."""
    seen, names = {}, []
    for path in files:
        stem = os.path.splitext(os.path.basename(path))[0]
        seen[stem] = seen.get(stem, 0) + 1
        suffix = f"_{seen[stem]}" if seen[stem] > 1 else ""
        names.append(os.path.join(output_dir, f"{stem}{suffix}.png"))
    return names


def translate(run_dir, inputs, output_dir, direction=None, resize=False, progress=True):
    """Translate image files and folders with the latest checkpoint of ``run_dir``.

    Returns the written paths. Raises :class:`tfgan.errors.RunError` for bad input (run
    directory, model kind, direction) and :class:`tfgan.imageio.ImageReadError` for files.
    """
    model = load_model(run_dir)
    if not isinstance(model, ImageToImageModel):
        raise RunError(
            f"{run_dir} holds a {model_name_of(model.config)} run; tfgan.translate needs a "
            "pix2pix or cyclegan run (python -m tfgan.generate samples from the others)"
        )
    try:
        side = min_size(model)
        model.translate(np.zeros((1, side, side, model.config.channels), np.float32), direction)
    except ValueError as err:
        raise RunError(str(err)) from None
    files = [f for path in inputs for f in imageio.list_images(path)]
    outputs = _output_names(files, output_dir)
    iterator = zip(files, outputs)
    if progress and len(files) > 1:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, total=len(files), unit="image")
    for path, out in iterator:
        image = imageio.read_image(path, channels=model.config.channels)
        imageio.write_image(out, translate_image(model, image, direction, resize))
    return outputs


@cli.exit_codes(PROG)
def main(argv=None):
    parser = cli.Parser(prog=PROG,
                     description="Translate images with a trained pix2pix or CycleGAN run.")
    parser.add_argument("run_dir", help="a pix2pix or cyclegan run directory written by python -m tfgan.train")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders of images")
    parser.add_argument("--output", required=True, metavar="DIR", help="folder for the translated PNGs")
    parser.add_argument("--direction", choices=("a2b", "b2a"), default=None,
                        help="a2b (G) or b2a (F) for CycleGAN; pix2pix: its trained direction (default)")
    parser.add_argument("--resize", action="store_true",
                        help="resize to the training size and back instead of padding (see module docs)")
    args = parser.parse_args(argv)
    written = translate(args.run_dir, args.inputs, args.output, args.direction, args.resize)
    print(f"Wrote {len(written)} translated image{'s' if len(written) != 1 else ''} to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
