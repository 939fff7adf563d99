"""Sample from a trained run: ``python -m tfgan.generate RUN_DIR --num N --output samples.npz``.

Writes N uint8 images (array ``images``, N x H x W x C) from the run's latest checkpoint, and
optionally a PNG grid (``--grid grid.png``). ``--seed`` fixes the latent batch.

Conditional models (``cgan``) also take the classes to draw: ``--labels 0,1,2`` (one sample per
label, in that order) or ``--per-class K`` (K samples of every class, class by class, the same K
latent vectors in every class). The ``.npz`` then also holds ``labels``, and the grid has one row
per requested class (``--per-class``) or one row of the requested labels.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from tfgan import cli, viz
from tfgan.inference import generate, generate_per_class  # noqa: F401  (re-exported)

PROG = "python -m tfgan.generate"


def _label_list(text):
    try:
        labels = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated class numbers, e.g. 0,1,2; got {text!r}") from None
    if not labels:
        raise argparse.ArgumentTypeError("expected at least one class number")
    return labels


@cli.exit_codes(PROG)
def main(argv=None):
    parser = cli.Parser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", help="a run directory written by python -m tfgan.train")
    parser.add_argument("--num", type=cli.positive_int, default=64, help="number of samples (default: 64)")
    parser.add_argument("--output", default="samples.npz", help="output .npz file (default: samples.npz)")
    parser.add_argument("--grid", default=None, help="also write a PNG grid of the samples")
    parser.add_argument("--seed", type=int, default=0, help="seed of the latent batch (default: 0)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--labels", type=_label_list, default=None,
                       help="conditional models: comma-separated classes, one sample each")
    which.add_argument("--per-class", type=cli.positive_int, default=None,
                       help="conditional models: K samples of every class, one grid row per class")
    args = parser.parse_args(argv)
    if not args.output.endswith(".npz"):
        parser.error(f"--output must end in .npz; got {args.output!r}")
    labels, ncols = None, None
    if args.per_class:
        images, labels = generate_per_class(args.run_dir, args.per_class, seed=args.seed)
        ncols = args.per_class
    else:
        images = generate(args.run_dir, args.num, seed=args.seed, labels=args.labels)
        if args.labels is not None:
            labels = args.labels
            ncols = len(labels) if len(labels) <= 16 else None
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    arrays = {"images": images} if labels is None else {"images": images, "labels": np.asarray(labels)}
    np.savez_compressed(args.output, **arrays)
    print(f"Wrote {len(images)} samples {images.shape[1:]}" + (" with labels" if labels is not None else "")
          + f" to {args.output}")
    if args.grid:
        viz.save_png(args.grid, viz.image_grid(images, ncols=ncols))
        print(f"Wrote grid to {args.grid}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
