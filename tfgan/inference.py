"""Using a trained run: samples from a noise model, translations of image files, fast stylization.

The library side of ``python -m tfgan.generate`` and ``python -m tfgan.translate`` (their ``main``
functions parse flags and call these). Each function takes a run directory (or an already loaded
model) and raises :class:`tfgan.errors.RunError` for a run it cannot use.
"""

from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from tfgan import imageio, models, viz
from tfgan.errors import RunError
from tfgan.models.image_to_image import ImageToImageModel
from tfgan.runs import load_model, load_run_config, model_name_of


# -- sampling (python -m tfgan.generate) ------------------------------------------------------------
def check_sampling_run(run_dir):
    """The config of ``run_dir`` if it holds a model that samples from noise; ``RunError`` pointing
    to the right command otherwise (checked from ``config.json``, before any model is built)."""
    config = load_run_config(run_dir)
    if getattr(config, "latent_dim", None) is None:
        name = model_name_of(config)
        command = "tfgan.upscale" if name in ("srresnet", "srgan") else "tfgan.translate"
        raise RunError(f"{run_dir} holds a {name} run, which maps images to images rather than sampling "
                       f"from noise; use python -m {command} RUN_DIR INPUT... --output DIR")
    return config


def generate(run_dir, num, seed=0, batch_size=256, labels=None, model=None, truncation=None):
    """``num`` uint8 samples (NHWC) from the latest checkpoint of ``run_dir``.

    ``labels`` (conditional models only): the class of each sample; ``num`` is then ``len(labels)``.
    ``truncation`` (StyleGAN only): psi of the truncation trick (lectures/14_progressive_and_stylegan.md,
    Eq. (7)); None samples without it.
    """
    model = model or load_model(run_dir)
    conditional = getattr(model, "uses_labels", False)
    if labels is not None and not conditional:
        raise RunError(f"{run_dir} holds an unconditional model; --labels/--per-class need a cgan run")
    if truncation is not None:
        _check_style_model(run_dir, model, "--truncation")
    if labels is not None:
        try:
            labels = model.check_labels(labels)
        except ValueError as err:
            raise RunError(str(err)) from None
        num = len(labels)
    chunks = []
    for start in range(0, num, batch_size):
        n = min(batch_size, num - start)
        kwargs = {"labels": labels[start:start + n]} if labels is not None else {}
        if truncation is not None:
            kwargs["truncation"] = truncation
        chunks.append(viz.to_uint8(model.sample(n, seed=seed + start, **kwargs)))
    return np.concatenate(chunks)


def generate_per_class(run_dir, per_class, seed=0, model=None):
    """``(images, labels)``: ``per_class`` samples of every class, class by class, the same latent
    vectors in every class (so a row of the grid is one class and a column one z)."""
    model = model or load_model(run_dir)
    if not getattr(model, "uses_labels", False):
        raise RunError(f"{run_dir} holds an unconditional model; --per-class needs a cgan run")
    z, labels = model.class_grid_inputs(per_class, seed)
    return viz.to_uint8(model.sample(len(labels), z=z, labels=labels)), labels


def _check_style_model(run_dir, model, flag):
    if not hasattr(model, "style_mixing_grid"):
        raise RunError(f"{run_dir} holds a {model_name_of(model.config)} run; {flag} needs a stylegan run")


def generate_style_mix(run_dir, coarse, fine, seed=0, truncation=None, model=None):
    """A style-mixing grid from a StyleGAN run (the paper's Figure 3): ``coarse`` latents give the
    coarse style layers, ``fine`` latents all the others (middle and fine;
    :meth:`tfgan.models.stylegan.StyleGenerator.layer_groups`). Returns uint8 arrays
    ``(coarse_sources, fine_sources, mixes)``, ``mixes`` (fine * coarse, H, W, C) row by row: row r
    has fine source r's middle and fine styles, column c coarse source c's coarse styles."""
    model = model or load_model(run_dir)
    _check_style_model(run_dir, model, "--mix-styles")
    rows, cols, mixes = model.style_mixing_grid(
        model.latent(fine, seed=seed + 1), model.latent(coarse, seed=seed), layers="coarse",
        truncation=truncation, noise_seed=seed)
    return viz.to_uint8(cols), viz.to_uint8(rows), viz.to_uint8(mixes)


def style_mix_grid_image(column_sources, row_sources, mixes):
    """One uint8 grid of a style-mixing grid's arrays (:func:`generate_style_mix`,
    :meth:`tfgan.models.stylegan.StyleGAN.style_mixing_grid`): the column sources along the top row,
    the row sources down the first column, each mix (``mixes`` row by row) where its sources meet."""
    column_sources, row_sources, mixes = (viz.to_uint8(a) if a.dtype != np.uint8 else a
                                          for a in map(np.asarray, (column_sources, row_sources, mixes)))
    blank = np.full_like(column_sources[:1], 255)
    cells = [blank, column_sources]
    for r in range(len(row_sources)):
        cells += [row_sources[r:r + 1], mixes[r * len(column_sources):(r + 1) * len(column_sources)]]
    return viz.image_grid(np.concatenate(cells), ncols=len(column_sources) + 1)


# -- translation (python -m tfgan.translate) --------------------------------------------------------
def size_multiple(model):
    """The generator's height and width must be multiples of this (2^levels, or 4; pix2pixHD:
    2^(global_downsamplings + 1), since G2 halves the image before G1 does)."""
    global_downsamplings = getattr(model.config, "global_downsamplings", None)
    if global_downsamplings:
        return 2 ** (global_downsamplings + 1)
    levels = getattr(model.config, "levels", None)
    return 2**levels if levels else 4


def min_size(model):
    """The smallest height and width the generator takes: CycleGAN's residual blocks
    reflection-pad a quarter-size map by 1, so it needs at least 8 px."""
    return max(size_multiple(model), 8 if getattr(model.config, "n_blocks", None) else 1)


def pad_reflect(image, multiple, smallest=1):
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
        x, (top, left) = pad_reflect(x, size_multiple(model), min_size(model))
        y = np.asarray(model.translate(x[None], direction))[0][top : top + height, left : left + width]
    return viz.to_uint8(np.clip(y, -1.0, 1.0))


def output_names(files, output_dir):
    """``DIR/<stem>.png`` per input file, with ``_2``, ``_3``... for repeated stems."""
    seen, names = {}, []
    for path in files:
        stem = os.path.splitext(os.path.basename(path))[0]
        seen[stem] = seen.get(stem, 0) + 1
        suffix = f"_{seen[stem]}" if seen[stem] > 1 else ""
        names.append(os.path.join(output_dir, f"{stem}{suffix}.png"))
    return names


def translate(run_dir, inputs, output_dir, direction=None, resize=False, progress=True,
              max_pixels=imageio.DEFAULT_MAX_PIXELS):
    """Translate image files and folders with the latest checkpoint of ``run_dir``.

    Returns the written paths. Raises :class:`tfgan.errors.RunError` for bad input (run
    directory, model kind, direction) and :class:`tfgan.imageio.ImageReadError` for files (missing,
    undecodable, or larger than ``max_pixels``, all checked before the model is loaded).
    """
    files = [f for path in inputs for f in imageio.list_images(path)]
    for path in files:
        imageio.check_pixels(path, max_pixels)
    config = load_run_config(run_dir)  # the run's kind, before its model is built
    if not issubclass(models.get(model_name_of(config)).model_class, ImageToImageModel):
        raise RunError(
            f"{run_dir} holds a {model_name_of(config)} run; tfgan.translate needs a "
            "pix2pix or cyclegan run (python -m tfgan.generate samples from the others)"
        )
    model = load_model(run_dir)
    try:
        side = min_size(model)
        model.translate(np.zeros((1, side, side, model.config.channels), np.float32), direction)
    except ValueError as err:
        raise RunError(str(err)) from None
    outputs = output_names(files, output_dir)
    iterator = zip(files, outputs)
    if progress and len(files) > 1:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, total=len(files), unit="image")
    for path, out in iterator:
        image = imageio.read_image(path, channels=model.config.channels, max_pixels=max_pixels)
        imageio.write_image(out, translate_image(model, image, direction, resize))
    return outputs


# -- fast style transfer (python -m tfgan.stylize --method fast) --------------------------------------
def load_style_model(run_dir):
    """The :class:`tfgan.models.fast_style.FastStyle` of ``run_dir``; ``RunError`` for other runs."""
    from tfgan.models.fast_style import FastStyle

    model = load_model(run_dir)
    if not isinstance(model, FastStyle):
        raise RunError(
            f"{run_dir} holds a {model_name_of(model.config)} run; --method fast needs a fast_style run "
            "(python -m tfgan.train fast_style --style PATH)"
        )
    return model


def stylize_image(model, image, style_weights=None):
    """Stylize one RGB (H, W, 3) photo (uint8, or floats in [0, 255]) of any size with a trained
    fast style network: reflection-padded to multiples of 4 (at least 8 px) and cropped back.
    ``style_weights`` (a --conditional run): one weight per style, mixed convexly
    (:meth:`tfgan.models.fast_style.FastStyle.style_weights`; default: the first style).
    Returns uint8 (H, W, 3)."""
    from tfgan.style.feedforward import SIZE_MULTIPLE

    weights = model.style_weights(style_weights)
    x = np.asarray(image, np.float32) / 127.5 - 1.0
    height, width = x.shape[:2]
    x, (top, left) = pad_reflect(x, SIZE_MULTIPLE, 2 * SIZE_MULTIPLE)
    y = np.asarray(model.stylize(x[None], weights))[0][top : top + height, left : left + width]
    return viz.to_uint8(y)


# -- arbitrary style transfer (python -m tfgan.stylize --method adain|wct) -----------------------------
def load_arbitrary_style_model(run_dir, method=None):
    """The AdaIN or WCT model of ``run_dir`` (:mod:`tfgan.models.adain`, :mod:`tfgan.models.wct`);
    ``method`` ("adain" or "wct") also requires that kind. ``RunError`` for other runs."""
    from tfgan.models.adain import ArbitraryStyleModel

    config = load_run_config(run_dir)  # the run's kind, before its model is built
    name = model_name_of(config)
    model_class = models.get(name).model_class
    if not issubclass(model_class, ArbitraryStyleModel) or (method is not None and name != method):
        wanted = method or "adain or wct"
        raise RunError(f"{run_dir} holds a {name} run; --method {wanted} needs a {wanted} run "
                       f"(python -m tfgan.train {method or 'adain'})")
    return load_model(run_dir)


def stylize_arbitrary(model, content, styles, alpha=1.0, style_weights=None, preserve_color=None):
    """Stylize one RGB photo (H, W, 3), uint8 or floats in [0, 255], of any size, with one or more
    style images of any size through a trained AdaIN or WCT run (``model.transfer``).

    ``alpha`` in [0, 1] is the stylization strength (lectures/12_fast_style_transfer.md, Eqs. (7) and
    (10)); ``style_weights`` mix several styles (one per style; default equal). ``preserve_color``:
    ``"histogram"`` recolors each style image to the photo's colors first
    (:func:`tfgan.style.gatys.match_color_histogram`, Huang et al.'s color control), ``"luminance"``
    keeps the photo's chrominance and takes the result's luminance (YIQ,
    :func:`tfgan.style.gatys.rgb_to_yiq`). The photo is reflection-padded to multiples of 8 (the
    encoder's three poolings) and cropped back. Returns uint8 (H, W, 3).
    """
    from tfgan.style import gatys
    from tfgan.style.adain import ENCODER_LAYER
    from tfgan.style.decoder import size_multiple as encoder_multiple

    multiple = encoder_multiple(ENCODER_LAYER)
    photo = np.asarray(content, np.float32)
    styles = [np.asarray(s, np.float32) for s in styles]
    if preserve_color == "histogram":
        styles = [gatys.match_color_histogram(s, photo).astype(np.float32) for s in styles]
    elif preserve_color not in (None, False, "luminance"):
        raise ValueError(f"Expected preserve_color None, 'histogram' or 'luminance'. Received: {preserve_color!r}")
    height, width = photo.shape[:2]
    x, (top, left) = pad_reflect(photo / 127.5 - 1.0, multiple, multiple)
    padded_styles = [pad_reflect(s / 127.5 - 1.0, 1, multiple)[0][None] for s in styles]
    y = model.transfer(x[None], padded_styles, alpha, style_weights)[0][top : top + height, left : left + width]
    result = (np.clip(y, -1.0, 1.0) + 1.0) * 127.5
    if preserve_color == "luminance":
        yiq = gatys.rgb_to_yiq(photo)
        yiq[..., 0] = gatys.rgb_to_yiq(result)[..., 0]
        result = np.clip(gatys.yiq_to_rgb(yiq), 0, 255)
    return np.round(result).astype(np.uint8)
