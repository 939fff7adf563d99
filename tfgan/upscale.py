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

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

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
    import tensorflow as tf

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


# -- command line --------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def parse_args(argv=None):
    parser = _Parser(
        prog="python -m tfgan.upscale",
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


def main(argv=None):
    """CLI entry point; returns the exit code (0 ok, 2 bad input)."""
    args = parse_args(argv)
    prog = "python -m tfgan.upscale"
    from tfgan import imageio, metrics, train
    from tfgan.models import srgan

    def fail(message):
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 2

    try:
        files = [f for path in args.inputs for f in imageio.list_images(path)]
        config = train.load_run_config(args.run_dir)
        if not isinstance(config, srgan.SRResNetConfig):
            return fail(f"{args.run_dir} is a {train.model_name_of(config)} run; expected an srresnet "
                        "or srgan run (python -m tfgan.train srresnet ...)")
        model = train.load_model(args.run_dir)
    except (imageio.ImageReadError, train.RunError) as err:
        return fail(str(err))
    scale = model.config.scale
    overlap = srgan.receptive_radius(model.config) if args.overlap is None else args.overlap
    print(f"Upscaling {len(files)} image(s) x{scale} with {args.run_dir} "
          f"(tiles of {args.tile} px, overlap {overlap} px) into {args.output}")
    os.makedirs(args.output, exist_ok=True)
    t_start = time.perf_counter()
    for path in files:
        try:
            image = imageio.read_image(path, channels=3)
        except imageio.ImageReadError as err:
            return fail(str(err))
        stem = os.path.splitext(os.path.basename(path))[0]
        hr = None
        if args.from_hr:
            hr = srgan.mod_crop(image, scale)
            if min(hr.shape[:2]) < 2 * scale + 11:
                return fail(f"{path} is {image.shape[1]}x{image.shape[0]} pixels; --from-hr needs at "
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
