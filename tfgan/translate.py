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

import sys

from tfgan import cli
from tfgan.inference import min_size, size_multiple, translate, translate_image  # noqa: F401  (re-exported)

PROG = "python -m tfgan.translate"


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
