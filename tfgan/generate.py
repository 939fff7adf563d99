"""Sample from a trained run: ``python -m tfgan.generate RUN_DIR --num N --output samples.npz``.

Writes N uint8 images (array ``images``, N x H x W x C) from the run's latest checkpoint, and
optionally a PNG grid (``--grid grid.png``). ``--seed`` fixes the latent batch.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tfgan.train import RunError, _Parser, load_model  # noqa: E402


def generate(run_dir, num, seed=0, batch_size=256):
    """``num`` uint8 samples (NHWC) from the latest checkpoint of ``run_dir``."""
    import numpy as np

    from tfgan import viz

    model = load_model(run_dir)
    chunks = []
    for start in range(0, num, batch_size):
        n = min(batch_size, num - start)
        chunks.append(viz.to_uint8(model.sample(n, seed=seed + start)))
    return np.concatenate(chunks)


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def main(argv=None):
    parser = _Parser(prog="python -m tfgan.generate", description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", help="a run directory written by python -m tfgan.train")
    parser.add_argument("--num", type=_positive_int, default=64, help="number of samples (default: 64)")
    parser.add_argument("--output", default="samples.npz", help="output .npz file (default: samples.npz)")
    parser.add_argument("--grid", default=None, help="also write a PNG grid of the samples")
    parser.add_argument("--seed", type=int, default=0, help="seed of the latent batch (default: 0)")
    args = parser.parse_args(argv)
    if not args.output.endswith(".npz"):
        parser.error(f"--output must end in .npz; got {args.output!r}")
    try:
        images = generate(args.run_dir, args.num, seed=args.seed)
    except RunError as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 2
    import numpy as np

    from tfgan import viz

    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    np.savez_compressed(args.output, images=images)
    print(f"Wrote {len(images)} samples {images.shape[1:]} to {args.output}")
    if args.grid:
        viz.save_png(args.grid, viz.image_grid(images))
        print(f"Wrote grid to {args.grid}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
