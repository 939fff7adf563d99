"""Upscale photos with a trained super-resolution run: ``python -m tfgan.upscale RUN_DIR INPUT... --output DIR``.

``RUN_DIR`` is an ``srresnet`` or ``srgan`` run of ``tfgan.train``; each ``INPUT`` is an image file
or a folder of them. Every image is upscaled by the run's scale and written as
``DIR/<name>_x<r>.png`` (``--bicubic`` also writes the bicubic baseline). ``--from-hr`` treats the
inputs as ground truth instead: each is downscaled by r first, then upscaled both ways, and PSNR /
SSIM against the original are printed (Y channel, r border pixels removed; see tfgan.metrics).

Images of any size are processed in tiles of ``--tile`` LR pixels, each read with ``--overlap``
pixels of context on every side, so memory stays bounded by the tile size instead of the image.
With an overlap of at least the generator's receptive radius (the default,
:func:`tfgan.models.srgan.receptive_radius`) the result equals a single pass over the whole image.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from tfgan import cli, imageio, metrics, runs
from tfgan.errors import RunError
from tfgan.models import srgan
from tfgan.ops.tiling import DEFAULT_TILE, tiles, upscale  # noqa: F401  (re-exported: tfgan.upscale.upscale)

PROG = "python -m tfgan.upscale"


def parse_args(argv=None):
    parser = cli.Parser(
        prog=PROG,
        description="Upscale images with a trained srresnet or srgan run.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="an srresnet or srgan run directory")
    parser.add_argument("inputs", metavar="INPUT", nargs="+", help="image files or folders of images")
    parser.add_argument("--output", required=True, metavar="DIR", help="folder for the upscaled PNGs")
    parser.add_argument("--tile", type=int, default=DEFAULT_TILE,
                        help=f"tile side in input pixels; memory grows with it (default: {DEFAULT_TILE})")
    parser.add_argument("--overlap", type=int, default=None,
                        help="context pixels around each tile (default: the generator's receptive "
                             "radius, which makes tiles invisible)")
    parser.add_argument("--bicubic", action="store_true", help="also write the bicubic upscaling")
    parser.add_argument("--from-hr", action="store_true",
                        help="inputs are ground truth: downscale them first, then print PSNR/SSIM "
                             "of SR and bicubic against them")
    args = parser.parse_args(argv)
    if args.tile < 8:
        parser.error(f"--tile must be >= 8. Received: {args.tile}")
    if args.overlap is not None and args.overlap < 0:
        parser.error(f"--overlap must be >= 0. Received: {args.overlap}")
    return args


@cli.exit_codes(PROG)
def main(argv=None):
    """CLI entry point; returns the exit code (0 ok, 2 bad input)."""
    args = parse_args(argv)
    files = [f for path in args.inputs for f in imageio.list_images(path)]
    config = runs.load_run_config(args.run_dir)
    if not isinstance(config, srgan.SRResNetConfig):
        raise RunError(f"{args.run_dir} is a {runs.model_name_of(config)} run; expected an srresnet "
                       "or srgan run (python -m tfgan.train srresnet ...)")
    model = runs.load_model(args.run_dir)
    scale = model.config.scale
    overlap = srgan.receptive_radius(model.config) if args.overlap is None else args.overlap
    print(f"Upscaling {len(files)} image(s) x{scale} with {args.run_dir} "
          f"(tiles of {args.tile} px, overlap {overlap} px) into {args.output}")
    os.makedirs(args.output, exist_ok=True)
    t_start = time.perf_counter()
    for path in files:
        image = imageio.read_image(path, channels=3)
        stem = os.path.splitext(os.path.basename(path))[0]
        hr = None
        if args.from_hr:
            hr = srgan.mod_crop(image, scale)
            if min(hr.shape[:2]) < 2 * scale + 11:
                raise ValueError(f"{path} is {image.shape[1]}x{image.shape[0]} pixels; --from-hr needs at "
                                 f"least {2 * scale + 11} on each side to score it")
            image = srgan.downscale(hr, scale).numpy().astype(np.uint8)
        t0 = time.perf_counter()
        sr = model.upscale(image, tile=args.tile, overlap=overlap, progress=True)
        seconds = time.perf_counter() - t0
        out_path = imageio.write_image(os.path.join(args.output, f"{stem}_x{scale}.png"), sr)
        line = (f"  {path}: {image.shape[1]}x{image.shape[0]} -> {sr.shape[1]}x{sr.shape[0]} "
                f"in {seconds:.1f} s: {out_path}")
        if args.bicubic or hr is not None:
            bicubic = srgan.bicubic_upscale(image, scale)
            if args.bicubic:
                imageio.write_image(os.path.join(args.output, f"{stem}_bicubic_x{scale}.png"), bicubic)
        if hr is not None:
            ours, base = metrics.super_resolution_scores(hr, sr, scale), metrics.super_resolution_scores(hr, bicubic, scale)
            line += (f"\n    PSNR {ours['psnr']:.2f} dB, SSIM {ours['ssim']:.4f} "
                     f"(bicubic: {base['psnr']:.2f} dB, {base['ssim']:.4f}; Y channel, border {scale})")
        print(line, flush=True)
    print(f"Done: {len(files)} image(s) in {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
