"""Sample from a trained run: ``python -m tfgan.generate RUN_DIR --num N --output samples.npz``.

Writes N uint8 images (array ``images``, N x H x W x C) from the run's latest checkpoint, and
optionally a PNG grid (``--grid grid.png``). ``--seed`` fixes the latent batch.

Conditional models (``cgan``) also take the classes to draw: ``--labels 0,1,2`` (one sample per
label, in that order) or ``--per-class K`` (K samples of every class, class by class, the same K
latent vectors in every class). The ``.npz`` then also holds ``labels``, and the grid has one row
per requested class (``--per-class``) or one row of the requested labels.

StyleGAN runs also take ``--truncation PSI`` (the truncation trick, w pulled toward the mean w:
lectures/14_progressive_and_stylegan.md, Eq. (7); PSI in [-1, 1], 1 = none) and
``--mix-styles COARSE,FINE``: a style-mixing grid of COARSE x FINE images whose coarse style layers
(the two smallest resolutions, 4x4 and 8x8 at 32x32) come from one of COARSE latents and all the
other layers from one of FINE latents. The ``.npz`` then holds ``images`` (the mixes, one row of
COARSE per fine source), ``coarse_sources`` and ``fine_sources``; the grid shows the coarse sources
on top and the fine sources on the left.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from tfgan import cli, fileio, runs, viz
from tfgan.inference import (  # noqa: F401  (re-exported)
    check_sampling_run, generate, generate_per_class, generate_style_mix, style_mix_grid_image,
)

PROG = "python -m tfgan.generate"


def _label_list(text):
    try:
        labels = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated class numbers, e.g. 0,1,2; got {text!r}") from None
    if not labels:
        raise argparse.ArgumentTypeError("expected at least one class number")
    return labels


def _psi(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [-1, 1], got {text!r}") from None
    if not -1.0 <= value <= 1.0:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"expected a number in [-1, 1] (1: no truncation), got {text}")
    return value


def _mix_counts(text):
    parts = text.split(",")
    try:
        counts = [int(v) for v in parts]
    except ValueError:
        counts = []
    if len(counts) != 2 or min(counts) < 1:
        raise argparse.ArgumentTypeError(
            f"expected two positive integers COARSE,FINE (latents giving the coarse and the fine styles), "
            f"e.g. 4,3; got {text!r}")
    return tuple(counts)


@cli.exit_codes(PROG)
def main(argv=None):
    parser = cli.Parser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", help="a run directory written by python -m tfgan.train")
    parser.add_argument("--num", type=cli.positive_int, default=64, help="number of samples (default: 64)")
    parser.add_argument("--output", default="samples.npz", help="output .npz file (default: samples.npz)")
    parser.add_argument("--grid", default=None, help="also write a PNG grid of the samples")
    parser.add_argument("--seed", type=cli.seed, default=0, help="seed of the latent batch (default: 0)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--labels", type=_label_list, default=None,
                       help="conditional models: comma-separated classes, one sample each")
    which.add_argument("--per-class", type=cli.positive_int, default=None,
                       help="conditional models: K samples of every class, one grid row per class")
    which.add_argument("--mix-styles", type=_mix_counts, default=None, metavar="COARSE,FINE",
                       help="stylegan: a style-mixing grid, coarse styles from COARSE latents, the "
                            "others from FINE latents (replaces --num)")
    parser.add_argument("--truncation", type=_psi, default=None, metavar="PSI",
                        help="stylegan: truncation psi in [-1, 1] (w <- w_avg + psi (w - w_avg); default: none)")
    args = parser.parse_args(argv)
    if not args.output.endswith(".npz"):
        parser.error(f"--output must end in .npz; got {args.output!r}")
    # Everything that can be checked before the model is built: outputs, run kind, memory.
    fileio.check_output_file(args.output, "--output")
    if args.grid:
        fileio.check_output_file(args.grid, "--grid")
    config = check_sampling_run(args.run_dir)
    count = len(args.labels) if args.labels else args.num
    if args.per_class:
        count = args.per_class * getattr(config, "num_classes", 10)
    if args.mix_styles:
        count = (args.mix_styles[0] + 1) * (args.mix_styles[1] + 1)
    runs.check_memory(count * runs.image_pixels(config) * 6, f"--num {count} samples",
                      "ask for fewer samples per command")
    if args.mix_styles:
        return _write_style_mix(args)
    labels, ncols = None, None
    if args.per_class:
        images, labels = generate_per_class(args.run_dir, args.per_class, seed=args.seed)
        ncols = args.per_class
    else:
        images = generate(args.run_dir, args.num, seed=args.seed, labels=args.labels, truncation=args.truncation)
        if args.labels is not None:
            labels = args.labels
            ncols = len(labels) if len(labels) <= 16 else None
    arrays = {"images": images} if labels is None else {"images": images, "labels": np.asarray(labels)}
    with fileio.atomic_path(args.output) as tmp:
        np.savez_compressed(tmp, **arrays)
    print(f"Wrote {len(images)} samples {images.shape[1:]}" + (" with labels" if labels is not None else "")
          + f" to {args.output}")
    if args.grid:
        viz.save_png(args.grid, viz.image_grid(images, ncols=ncols))
        print(f"Wrote grid to {args.grid}")
    return 0


def _write_style_mix(args):
    coarse, fine = args.mix_styles
    coarse_sources, fine_sources, mixes = generate_style_mix(
        args.run_dir, coarse, fine, seed=args.seed, truncation=args.truncation)
    with fileio.atomic_path(args.output) as tmp:
        np.savez_compressed(tmp, images=mixes, coarse_sources=coarse_sources, fine_sources=fine_sources)
    print(f"Wrote {len(mixes)} style mixes {mixes.shape[1:]} ({coarse} coarse x {fine} fine sources) to {args.output}")
    if args.grid:
        viz.save_png(args.grid, style_mix_grid_image(coarse_sources, fine_sources, mixes))
        print(f"Wrote grid to {args.grid}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
