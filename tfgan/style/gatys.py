"""Neural style transfer by image optimization (Gatys, Ecker and Bethge).

Gatys et al. 2015, "A Neural Algorithm of Artistic Style", https://arxiv.org/abs/1508.06576, and
2016, "Image Style Transfer Using Convolutional Neural Networks" (CVPR), section 2; color
preservation from Gatys et al. 2016, "Preserving Color in Neural Artistic Style Transfer",
https://arxiv.org/abs/1606.05897. Lectures: ``lectures/06_style_transfer.md`` (the
representations) and ``lectures/07_gatys_style_transfer.md`` (the transfer); notebooks:
``notebooks/06_style_representations.ipynb`` (reconstructions) and
``notebooks/07_gatys_style_transfer.ipynb`` (the transfer).

The network stays fixed; the *image* is the only variable. Content is the feature maps of a high
layer, style the Gram matrices (channel correlations) of several layers; gradient descent on the
pixels makes one image match the content of a photo and the style of a painting:

    result = stylize(content, style, steps=300)     # uint8 arrays or paths in, result.image out

Paper -> code: ``F^l`` (the N_l x M_l feature matrix of layer l) is ``features[layer]`` reshaped,
``P^l`` the content target, ``G^l``/``A^l`` the Gram matrices of the image and the style image
(:func:`gram_matrix`), ``E_l`` :func:`layer_style_loss`, ``w_l`` ``style_layer_weights``,
``alpha``/``beta`` ``content_weight``/``style_weight``, ``x`` the variable in :func:`stylize`.

Where the code departs from the papers (and why):

* Normalization: the Gram matrix is divided by ``M_l`` (lectures/06_style_transfer.md, Eq. (3))
  so that its entries do not grow with the image size; the per-layer style loss
  ``E_l = 1/(4 N_l^2) sum (G - A)^2`` (lectures/06_style_transfer.md, Eq. (4)) with it equals the
  paper's ``1/(4 N_l^2 M_l^2) sum (G - A)^2`` exactly. The content loss
  (lectures/06_style_transfer.md, Eq. (2)) is the paper's ``1/2 sum (F - P)^2`` divided by
  ``N_l M_l`` (a mean), so ``content_weight`` does not depend on image size either. The weights'
  defaults are therefore not the papers' alpha/beta.
* Adam is the default optimizer (the papers use L-BFGS, available as ``optimizer="lbfgs"``);
  pixels are clipped to [0, 255] after every step (L-BFGS-B gets the same box as bounds).
* A small total-variation term (lectures/07_gatys_style_transfer.md, Eq. (1): the anisotropic
  form of Mahendran and Vedaldi 2015's regularizer) is added; ``tv_weight=0`` turns it off.
* Max pooling by default (``pooling="avg"`` gives the papers' average pooling).
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Callable, Mapping, Sequence

import numpy as np
import tensorflow as tf

from tfgan import imageio
from tfgan.backbones import (
    FeatureExtractor,
    available_layers,
    min_input_size,
    resolve_backbone,
)
from tfgan.style.wct import psd_power

__all__ = [
    "CONTENT_LAYERS",
    "STYLE_LAYERS",
    "ImageError",
    "Progress",
    "StyleResult",
    "content_loss",
    "gram_matrix",
    "layer_style_loss",
    "load_image",
    "match_color_histogram",
    "match_luminance",
    "reconstruct_content",
    "reconstruct_style",
    "resize_max",
    "sample_style_image",
    "rgb_to_yiq",
    "style_loss",
    "stylize",
    "total_variation_loss",
    "yiq_to_rgb",
]

#: Gatys et al.'s layers: content conv4_2; style conv1_1 ... conv5_1 with equal weights.
CONTENT_LAYERS = ("block4_conv2",)
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")

OPTIMIZERS = ("adam", "lbfgs")
INITS = ("content", "noise", "style")
COLOR_MODES = ("luminance", "histogram")
#: The formats tf.io.decode_image reads.


ImageError = imageio.ImageError  # a missing, unreadable, unsupported or too small image


# --------------------------------------------------------------------------------------------
# Losses (lectures/06_style_transfer.md, Eqs. (2)-(5);
# lectures/07_gatys_style_transfer.md, Eq. (1)).
# Features are (B, H, W, C) float tensors; losses are scalars (mean over the batch).


def gram_matrix(features):
    """Normalized Gram matrix ``G_ij = 1/M sum_k F_ik F_jk`` with ``M = H W``.

    lectures/06_style_transfer.md, Eq. (3). ``features`` (B, H, W, C) -> (B, C, C): the correlations
    between the channels, averaged over the M positions (Gatys et al. 2016, eq. 3, divided by M; see
    the module docstring).
    """
    features = tf.convert_to_tensor(features, tf.float32)
    shape = tf.shape(features)
    flat = tf.reshape(features, (shape[0], shape[1] * shape[2], shape[3]))  # F^T, (B, M, N)
    return tf.matmul(flat, flat, transpose_a=True) / tf.cast(shape[1] * shape[2], tf.float32)


def content_loss(features, target):
    """Content loss ``1/(2 N M) sum (F - P)^2``, the mean of half the squared errors.

    lectures/06_style_transfer.md, Eq. (2).
    """
    features = tf.convert_to_tensor(features, tf.float32)
    return 0.5 * tf.reduce_mean(tf.square(features - target))


def layer_style_loss(gram, target_gram):
    """One layer's style loss ``E_l = 1/(4 N^2) sum_ij (G_ij - A_ij)^2`` on normalized Grams.

    lectures/06_style_transfer.md, Eq. (4); i.e. Gatys et al.'s ``1/(4 N^2 M^2) sum (G - A)^2``
    on unnormalized ones.
    """
    return 0.25 * tf.reduce_mean(tf.square(tf.convert_to_tensor(gram, tf.float32) - target_gram))


def style_loss(features: Mapping, target_grams: Mapping, layer_weights: Mapping | None = None):
    """Style loss ``sum_l w_l E_l`` over the layers of ``target_grams``.

    lectures/06_style_transfer.md, Eq. (5). ``layer_weights`` maps layer -> w_l; by default
    ``w_l = 1 / (number of layers)`` as in the papers.
    """
    names = list(target_grams)
    weights = _layer_weights(names, layer_weights)
    return tf.add_n([
        weights[name] * layer_style_loss(gram_matrix(features[name]), target_grams[name])
        for name in names
    ])


def total_variation_loss(images):
    """Total variation ``1/(H W C) sum (|x_{i+1,j} - x_{i,j}| + |x_{i,j+1} - x_{i,j}|)``.

    lectures/07_gatys_style_transfer.md, Eq. (1). The mean absolute difference between neighbouring
    pixels: the anisotropic form of Mahendran and Vedaldi 2015's regularizer (theirs with beta = 1
    is the isotropic sum of gradient norms). It penalizes high-frequency noise;
    ``tf.image.total_variation`` is the sum.
    """
    images = tf.convert_to_tensor(images, tf.float32)
    size = tf.cast(tf.reduce_prod(tf.shape(images)[1:]), tf.float32)
    return tf.reduce_mean(tf.image.total_variation(images)) / size


def _layer_weights(names, layer_weights):
    if layer_weights is None:
        return {name: 1.0 / len(names) for name in names}
    missing = [n for n in names if n not in layer_weights]
    extra = [n for n in layer_weights if n not in names]
    if missing or extra:
        raise ValueError(
            f"style_layer_weights must name exactly the style layers {names}. "
            f"Received: {dict(layer_weights)}."
        )
    return {name: float(layer_weights[name]) for name in names}


# --------------------------------------------------------------------------------------------
# Color (lectures/07_gatys_style_transfer.md, Eqs. (4)-(5)).
# NumPy on (H, W, 3) float arrays in [0, 255].

#: RGB -> YIQ (NTSC 1953), the matrix tf.image.rgb_to_yiq uses. Y is the luminance.
_YIQ = np.array([[0.299, 0.587, 0.114],
                 [0.59590059, -0.27455667, -0.32134392],
                 [0.2115, -0.52273617, 0.31119955]])


def rgb_to_yiq(image):
    """(..., 3) RGB -> YIQ: Y luminance in the RGB value range, I and Q chrominance.

    lectures/07_gatys_style_transfer.md, Eq. (4).
    """
    return np.asarray(image, np.float64) @ _YIQ.T


def yiq_to_rgb(image):
    """The inverse of :func:`rgb_to_yiq`."""
    return np.asarray(image, np.float64) @ np.linalg.inv(_YIQ).T


def match_luminance(style_y, content_y):
    """Luminance matching: shift and scale the style's luminance to the content's mean and
    standard deviation, ``L_s' = sigma_c / sigma_s (L_s - mu_s) + mu_c`` (Gatys et al. 2016b).

    lectures/07_gatys_style_transfer.md, Eq. (4).
    """
    style_y, content_y = np.asarray(style_y, np.float64), np.asarray(content_y, np.float64)
    scale = content_y.std() / max(style_y.std(), 1e-6)
    return (style_y - style_y.mean()) * scale + content_y.mean()


def match_color_histogram(style, content):
    """Color histogram matching: an affine map of the style's RGB pixels.

    lectures/07_gatys_style_transfer.md, Eq. (5): ``p' = A (p - mu_s) + mu_c`` with
    ``A = Sigma_c^(1/2) Sigma_s^(-1/2)`` (symmetric square roots, the "image analogies" variant of
    Gatys et al. 2016b), so that the recolored style image has the content's mean color and color
    covariance (the whitening and coloring transform of :mod:`tfgan.style.wct` on pixels). Returns
    floats clipped to [0, 255].
    """
    style, content = np.asarray(style, np.float64), np.asarray(content, np.float64)
    s, c = style.reshape(-1, 3), content.reshape(-1, 3)
    mu_s, mu_c = s.mean(0), c.mean(0)
    a = psd_power(np.cov(c, rowvar=False), 0.5) @ psd_power(np.cov(s, rowvar=False), -0.5)
    return np.clip((s - mu_s) @ a.T + mu_c, 0, 255).reshape(style.shape)


# --------------------------------------------------------------------------------------------
# Images


def load_image(path, max_size=None) -> np.ndarray:
    """Read a PNG, JPEG, GIF (first frame) or BMP file as RGB float32 (H, W, 3) in [0, 255].

    :func:`tfgan.imageio.read_image` decodes it (gray repeated to three channels, alpha dropped);
    ``max_size`` shrinks the image so that its longer side is at most that (:func:`resize_max`).
    Raises :class:`ImageError` with a one-line message for a missing, unreadable or unsupported file.
    """
    image = imageio.read_image(path, channels=3).astype(np.float32)
    return resize_max(image, max_size) if max_size else image


#: Sample style images: name -> the course file (pinned URL and SHA-256 in tfgan.data.sources).
SAMPLE_STYLES = {"starry_night": "images/starry_night.jpg"}


def sample_style_image(name="starry_night", max_size=None) -> np.ndarray:
    """A sample painting (float32 RGB) for notebooks, found or downloaded by the data layer:
    ``$TFGAN_DATA_DIR/images/<file>``, the repository's ``data/images/``, the download cache, else
    a download checked against its pinned SHA-256 when online (:func:`tfgan.data.course_file`).

    Offline with no copy, raises :class:`ImageError` saying where to put the file.
    """
    if name not in SAMPLE_STYLES:
        raise ValueError(f"Unknown sample style. Received: {name!r}. Expected one of {sorted(SAMPLE_STYLES)}.")
    from tfgan import data

    try:
        path = data.course_file(SAMPLE_STYLES[name])
    except data.DatasetNotFoundError as err:
        raise ImageError(str(err)) from None
    return load_image(path, max_size)


def resize_max(image, max_size, upscale=False) -> np.ndarray:
    """Resize (H, W, C) so that its longer side is ``max_size``, keeping the aspect ratio.

    Only shrinks unless ``upscale``; antialiased area-weighted resampling (bicubic when enlarging).
    """
    image = np.asarray(image, np.float32)
    h, w = image.shape[:2]
    scale = max_size / max(h, w)
    if scale >= 1 and not upscale:
        return image
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    if size == (h, w):
        return image
    method = "area" if scale < 1 else "bicubic"
    out = tf.image.resize(image, size, method=method, antialias=scale < 1).numpy()
    return np.clip(out, 0, 255)


def _as_image(image, name) -> np.ndarray:
    """A path or an array (H, W, 3), uint8 or floats in [0, 255] -> float32 (H, W, 3)."""
    if isinstance(image, (str, os.PathLike)):
        return load_image(image)
    array = np.asarray(image)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=-1)
    if array.ndim != 3 or array.shape[-1] not in (3, 4):
        raise ImageError(f"Expected {name} as an (H, W, 3) RGB image or a path. Received shape {array.shape}.")
    array = array[..., :3].astype(np.float32)
    if array.size and (array.min() < 0 or array.max() > 255):
        raise ImageError(
            f"Expected {name} pixel values in [0, 255]. Received range "
            f"[{array.min():.3g}, {array.max():.3g}]; for [0, 1] images pass image * 255."
        )
    return array


def _check_size(image, min_size, name, layer):
    h, w = image.shape[:2]
    if min(h, w) < min_size:
        raise ImageError(
            f"The {name} image is {h}x{w} pixels, too small for layer {layer!r}, which needs "
            f"at least {min_size}x{min_size}; use a larger image or --size, or shallower layers."
        )


# --------------------------------------------------------------------------------------------
# The objective and the optimization loop


@dataclasses.dataclass
class StyleResult:
    """What :func:`stylize` and the reconstructions return.

    ``image``: uint8 (H, W, 3) RGB. ``history``: per step, arrays ``step``, ``total``,
    ``content``, ``style``, ``tv`` (weighted terms, at the image *before* that step's update) and
    ``seconds`` since the start (tracing included). ``settings``: the resolved arguments.
    """

    image: np.ndarray
    history: dict
    seconds: float
    settings: dict


@dataclasses.dataclass
class Progress:
    """Handed to the ``callback`` after every step; ``image()`` renders the current uint8 RGB."""

    step: int
    steps: int
    losses: dict
    seconds: float
    image: Callable[[], np.ndarray]


class Objective:
    """The total loss alpha L_content + beta L_style + gamma L_tv.

    lectures/07_gatys_style_transfer.md, Eq. (2).

    For one content image and one (blended) style target, evaluated on RGB images in [0, 255] of
    shape (1, H, W, 3). Several style images s with weights v_s (normalized to sum 1) are one target
    (lectures/06_style_transfer.md, Eq. (6)): their weighted style loss equals the loss against the
    weighted mean Gram matrix plus a constant, which is precomputed, so each step costs the same as
    with a single style image.
    """

    def __init__(self, extractor, content_layers=(), style_layers=(), style_layer_weights=None,
                 content_weight=1.0, style_weight=1.0, tv_weight=0.0):
        self.extractor = extractor
        self.content_layers, self.style_layers = tuple(content_layers), tuple(style_layers)
        self.layer_weights = _layer_weights(self.style_layers, style_layer_weights) if style_layers else {}
        self.content_weight, self.style_weight = float(content_weight), float(style_weight)
        self.tv_weight = float(tv_weight)
        self.content_targets: dict = {}
        self.style_targets: dict = {}
        self.style_constant = tf.constant(0.0)

    def set_content(self, image):
        features = self.extractor(tf.constant(image[None], tf.float32))
        self.content_targets = {n: tf.constant(features[n]) for n in self.content_layers}

    def set_style(self, images, weights=None):
        weights = np.ones(len(images)) if weights is None else np.asarray(weights, np.float64)
        weights = weights / weights.sum()
        grams = []
        for image in images:
            features = self.extractor(tf.constant(image[None], tf.float32))
            grams.append({n: gram_matrix(features[n]).numpy().astype(np.float64) for n in self.style_layers})
        self.style_targets, constant = {}, 0.0
        for name in self.style_layers:
            stack = np.stack([g[name] for g in grams])
            mean = np.tensordot(weights, stack, axes=1)
            self.style_targets[name] = tf.constant(mean, tf.float32)
            # sum_s v_s mean((G - A_s)^2) = mean((G - A_mean)^2) + sum_s v_s mean(A_s^2) - mean(A_mean^2)
            spread = np.tensordot(weights, (stack**2).mean(axis=(1, 2, 3)), axes=1) - (mean**2).mean()
            constant += self.layer_weights[name] * 0.25 * spread
        self.style_constant = tf.constant(constant, tf.float32)

    def __call__(self, images, content_targets=None, style_targets=None):
        """Weighted terms and their sum, a dict of scalars.

        lectures/07_gatys_style_transfer.md, Eq. (2). ``content_targets`` ({layer: features of
        the same batch shape as ``images``}) replaces the stored ones: a feed-forward network's
        content target changes with every training batch (:mod:`tfgan.style.feedforward`).
        ``style_targets`` ({layer: Grams (batch, C, C)}, one per image) replaces the stored style
        targets: a multi-style network trains each image towards its own style.
        """
        features = self.extractor(images)
        targets = self.content_targets if content_targets is None else content_targets
        grams = self.style_targets if style_targets is None else style_targets
        zero = tf.constant(0.0)
        c = (tf.add_n([content_loss(features[n], targets[n]) for n in self.content_layers])
             if self.content_layers and self.content_weight else zero)
        s = (style_loss(features, grams, self.layer_weights) + self.style_constant
             if self.style_layers and self.style_weight else zero)
        tv = total_variation_loss(images) if self.tv_weight else zero
        terms = {"content": self.content_weight * c, "style": self.style_weight * s,
                 "tv": self.tv_weight * tv}
        terms["total"] = terms["content"] + terms["style"] + terms["tv"]
        return terms


class _Pixels:
    """The variable and how it becomes an RGB image: three channels, or luminance only."""

    def __init__(self, init, luminance_only):
        self.luminance_only = luminance_only
        self.variable = tf.Variable(init[None], dtype=tf.float32, name="image")

    def rgb(self, value=None):
        x = self.variable if value is None else value
        return tf.repeat(x, 3, axis=-1) if self.luminance_only else x


def _optimize(objective, pixels, steps, optimizer, learning_rate, callback, progress, render,
              jit_compile=False, desc="stylize"):
    """Run ``steps`` Adam or L-BFGS steps on ``pixels.variable``; returns the loss history."""
    names = ("total", "content", "style", "tv")
    history = {k: [] for k in ("step", *names, "seconds")}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, desc=desc, unit="step", dynamic_ncols=True)
    t0 = time.perf_counter()

    def record(step, losses):
        values = {k: float(losses[k]) for k in names}
        seconds = time.perf_counter() - t0
        history["step"].append(step)
        for k in names:
            history[k].append(values[k])
        history["seconds"].append(seconds)
        if bar is not None:
            bar.set_postfix({k: f"{values[k]:.4g}" for k in names if k == "total" or values[k]},
                            refresh=False)
            bar.update(1)
        if callback is not None:
            callback(Progress(step, steps, values, seconds, render))

    try:
        if optimizer == "adam":
            _adam(objective, pixels, steps, learning_rate, record, jit_compile)
        else:
            _lbfgs(objective, pixels, steps, record)
    finally:
        if bar is not None:
            bar.close()
    return {k: np.asarray(v) for k, v in history.items()}


def make_adam_step(objective, pixels, learning_rate, jit_compile=False):
    """One compiled step: loss and gradient on a tape, an Adam update, clip to [0, 255].

    lectures/07_gatys_style_transfer.md, Eq. (3).

    The image is the only variable; the extractor is frozen and its targets are constants, so the
    whole step is one ``tf.function`` call without Python work in between.
    """
    import keras

    variable = pixels.variable
    opt = keras.optimizers.Adam(learning_rate=learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
    opt.build([variable])

    @tf.function(jit_compile=jit_compile, reduce_retracing=True)
    def step():
        with tf.GradientTape() as tape:
            losses = objective(pixels.rgb())
        grad = tape.gradient(losses["total"], variable)
        opt.apply([grad], [variable])
        variable.assign(tf.clip_by_value(variable, 0.0, 255.0))  # keep valid pixels
        return losses

    return step


def _adam(objective, pixels, steps, learning_rate, record, jit_compile):
    step = make_adam_step(objective, pixels, learning_rate, jit_compile)
    for i in range(1, steps + 1):
        record(i, step())


def _lbfgs(objective, pixels, steps, record):
    """L-BFGS-B (SciPy, :func:`tfgan.ops.lbfgs`) on the pixels with TensorFlow's gradients and
    [0, 255] bounds."""
    from tfgan.ops import lbfgs

    variable = pixels.variable

    @tf.function(reduce_retracing=True)
    def value_and_grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            losses = objective(pixels.rgb(x))
        return losses, tape.gradient(losses["total"], x)

    last, state = {}, {"step": 0}

    def fun(x):
        losses, grad = value_and_grad(tf.constant(x))
        last["losses"] = losses
        return float(losses["total"]), grad

    def on_iteration(x):
        state["step"] += 1
        variable.assign(x)
        record(state["step"], last["losses"])

    lbfgs(fun, variable.numpy(), steps, bounds=(0.0, 255.0), on_iteration=on_iteration)


# --------------------------------------------------------------------------------------------
# Public entry points


def _extractor(layers, extractor, weights, backbone, pooling, precision):
    if extractor is not None:
        missing = [n for n in layers if n not in extractor.output_layers]
        if missing:
            raise ValueError(
                f"The extractor does not return layer(s) {missing}; it returns "
                f"{list(extractor.output_layers)}. Build it with all content and style layers."
            )
        return extractor
    if precision not in ("auto", "float32", "bfloat16"):
        raise ValueError(f"Expected precision 'auto', 'float32' or 'bfloat16'. Received: {precision!r}.")
    return FeatureExtractor(layers, backbone=backbone, weights=weights, pooling=pooling,
                            precision=precision)


def _check_layers(layers, extractor, backbone, weights):
    """Unknown layer names fail before any image work or weight loading."""
    if not layers:
        raise ValueError("Expected at least one content or style layer. Received: none.")
    backbone = extractor.backbone if extractor is not None else resolve_backbone(backbone, weights)
    valid = available_layers(backbone)
    unknown = [n for n in layers if n not in valid]
    if unknown:
        raise ValueError(
            f"Unknown {backbone} layer(s). Received: {unknown}. Expected names from: {', '.join(valid)}."
        )


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"Expected {name} to be one of {list(choices)}. Received: {name}={value!r}.")


def _noise(shape, seed):
    """White noise around mid-gray (Gatys et al. start from white noise)."""
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(127.5, 50.0, shape), 0, 255).astype(np.float32)


def stylize(
    content,
    style,
    steps: int = 300,
    optimizer: str = "adam",
    init: str = "content",
    content_weight: float = 1.0,
    style_weight: float = 0.1,
    tv_weight: float = 0.1,
    content_layers: Sequence[str] = CONTENT_LAYERS,
    style_layers: Sequence[str] = STYLE_LAYERS,
    style_layer_weights: Mapping[str, float] | None = None,
    style_weights: Sequence[float] | None = None,
    preserve_color: bool | str = False,
    max_size: int | None = 512,
    style_scale: float = 1.0,
    learning_rate: float = 5.0,
    weights="imagenet",
    backbone: str | None = None,
    pooling: str = "max",
    precision: str = "auto",
    extractor: FeatureExtractor | None = None,
    callback: Callable[[Progress], None] | None = None,
    progress: bool = False,
    seed: int = 0,
    jit_compile: bool = False,
) -> StyleResult:
    """Paint ``content`` in the style of ``style`` (Gatys et al. 2016, section 2;
    lectures/07_gatys_style_transfer.md, Eq. (2)).

    Args:
        content: a path or an RGB array (H, W, 3), uint8 or floats in [0, 255].
        style: one image or a list of them (paths or arrays); ``style_weights`` mixes several.
        steps: optimizer steps (Adam) or iterations (L-BFGS).
        optimizer: ``"adam"`` (``learning_rate`` in pixel units) or ``"lbfgs"`` (SciPy L-BFGS-B).
        init: start from the ``"content"`` image, white ``"noise"`` or the (first) ``"style"``
            image resized to the content's size.
        content_weight, style_weight, tv_weight: alpha, beta, gamma of
            lectures/07_gatys_style_transfer.md, Eq. (2). Only their ratios matter for Adam; the
            defaults suit ImageNet and "hed" VGG weights at 256-512 px.
        content_layers, style_layers: layer names (:func:`tfgan.style.perceptual.available_layers`).
        style_layer_weights: w_l per style layer (lectures/06_style_transfer.md, Eq. (5)); equal
            weights summing to 1 by default.
        style_weights: v_s per style image (lectures/06_style_transfer.md, Eq. (6)), normalized to
            sum to 1.
        preserve_color: False; ``"luminance"`` (or True): transfer on the luminance channel only
            and keep the content's chrominance (lectures/07_gatys_style_transfer.md, Eq. (4));
            ``"histogram"``: recolor the style image(s) to the content's color statistics first
            (lectures/07_gatys_style_transfer.md, Eq. (5)).
        max_size: shrink the content so that its longer side is at most this (aspect kept);
            None keeps its size. Style images are resized so that their longer side is
            ``style_scale`` times the content's.
        weights, backbone, pooling, precision: the :class:`FeatureExtractor` to build (unless
            ``extractor`` is given). ``precision="auto"`` (default) runs the VGG in bfloat16 on
            CPU-only machines with native bfloat16 (:func:`~tfgan.style.perceptual.bfloat16_is_fast`;
            about half the CPU time per step, results within rounding of float32, see
            benchmarks/README.md) and in float32 elsewhere; ``"float32"`` forces float32.
        callback: called with a :class:`Progress` after every step.
        progress: show a tqdm bar with the losses.
        seed: the noise of ``init="noise"``.
        jit_compile: XLA-compile the Adam step (slower on the 2-core CPU we measured).

    Returns a :class:`StyleResult`. Bad images raise :class:`ImageError`, bad arguments
    ``ValueError``, unavailable weights :class:`~tfgan.style.perceptual.WeightsUnavailableError`.
    """
    _check_choice("optimizer", optimizer, OPTIMIZERS)
    _check_choice("init", init, INITS)
    color = "luminance" if preserve_color is True else (preserve_color or None)
    if color is not None:
        _check_choice("preserve_color", color, COLOR_MODES)
    if int(steps) < 1:
        raise ValueError(f"Expected steps >= 1. Received: steps={steps}.")
    styles = list(style) if isinstance(style, (list, tuple)) else [style]
    if not styles:
        raise ValueError("Expected at least one style image. Received: an empty list.")
    if style_weights is not None and (len(style_weights) != len(styles) or min(style_weights) < 0
                                      or sum(style_weights) <= 0):
        raise ValueError(
            f"Expected {len(styles)} non-negative style_weights with a positive sum. "
            f"Received: {list(style_weights)}."
        )

    content = _as_image(content, "content")
    if max_size:
        content = resize_max(content, max_size)
    side = max(content.shape[:2]) * style_scale
    styles = [resize_max(_as_image(s, "style"), side, upscale=True) for s in styles]
    _check_layers(tuple(content_layers) + tuple(style_layers), extractor, backbone, weights)
    for name, layers, images in (("content", content_layers, [content]), ("style", style_layers, styles)):
        if layers:
            for image in images:
                _check_size(image, min_input_size(layers), name, _deepest(layers))
    extractor = _extractor(tuple(content_layers) + tuple(style_layers), extractor, weights,
                           backbone, pooling, precision)

    if color == "histogram":
        styles = [match_color_histogram(s, content).astype(np.float32) for s in styles]
    content_yiq = rgb_to_yiq(content) if color == "luminance" else None
    if color == "luminance":
        # Gray RGB images of the luminance, the style's matched to the content's
        # (lectures/07_gatys_style_transfer.md, Eq. (4)).
        gray = lambda y: np.repeat(y[..., None], 3, axis=-1).astype(np.float32)  # noqa: E731
        target_content = gray(content_yiq[..., 0])
        styles = [gray(match_luminance(rgb_to_yiq(s)[..., 0], content_yiq[..., 0])) for s in styles]
    else:
        target_content = content

    objective = Objective(extractor, content_layers, style_layers, style_layer_weights,
                          content_weight, style_weight, tv_weight)
    objective.set_content(target_content)
    objective.set_style(styles, style_weights)

    h, w = content.shape[:2]
    if init == "content":
        start = target_content
    elif init == "style":
        start = tf.image.resize(styles[0], (h, w), method="bicubic").numpy().clip(0, 255)
    else:
        start = _noise((h, w, 3), seed)
    if color == "luminance":
        start = start[..., :1] if init != "noise" else _noise((h, w, 1), seed)
    pixels = _Pixels(np.asarray(start, np.float32), luminance_only=color == "luminance")

    def render():
        return _render(pixels, content_yiq)

    settings = dict(steps=int(steps), optimizer=optimizer, init=init, content_weight=content_weight,
                    style_weight=style_weight, tv_weight=tv_weight, content_layers=list(content_layers),
                    style_layers=list(style_layers), style_weights=style_weights,
                    preserve_color=color or False, size=(h, w), learning_rate=learning_rate,
                    weights=extractor.weights_name, backbone=extractor.backbone,
                    pooling=extractor.pooling, precision=extractor.precision, seed=seed)
    t0 = time.perf_counter()
    history = _optimize(objective, pixels, int(steps), optimizer, learning_rate, callback, progress,
                        render, jit_compile)
    return StyleResult(render(), history, time.perf_counter() - t0, settings)


def _deepest(layers):
    return max(layers, key=lambda name: min_input_size([name]))


def _render(pixels, content_yiq=None) -> np.ndarray:
    """The variable as uint8 RGB; in luminance mode its Y with the content's I and Q.

    lectures/07_gatys_style_transfer.md, Eq. (4).
    """
    x = pixels.variable.numpy()[0].astype(np.float64)
    if content_yiq is not None:
        x = yiq_to_rgb(np.concatenate([x[..., :1], content_yiq[..., 1:]], axis=-1))
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


def _reconstruct(image, content_layers, style_layers, steps, optimizer, learning_rate, weights,
                 backbone, pooling, precision, extractor, callback, progress, seed, max_size, desc):
    _check_choice("optimizer", optimizer, OPTIMIZERS)
    image = _as_image(image, "target")
    if max_size:
        image = resize_max(image, max_size)
    layers = tuple(content_layers) + tuple(style_layers)
    _check_layers(layers, extractor, backbone, weights)
    _check_size(image, min_input_size(layers), "target", _deepest(layers))
    extractor = _extractor(layers, extractor, weights, backbone, pooling, precision)
    objective = Objective(extractor, content_layers, style_layers,
                          content_weight=1.0 if content_layers else 0.0,
                          style_weight=1.0 if style_layers else 0.0)
    if content_layers:
        objective.set_content(image)
    if style_layers:
        objective.set_style([image])
    pixels = _Pixels(_noise(image.shape, seed), luminance_only=False)
    t0 = time.perf_counter()
    history = _optimize(objective, pixels, int(steps), optimizer, learning_rate, callback, progress,
                        lambda: _render(pixels), desc=desc)
    settings = dict(steps=int(steps), optimizer=optimizer, learning_rate=learning_rate,
                    content_layers=list(content_layers), style_layers=list(style_layers),
                    size=image.shape[:2], weights=extractor.weights_name,
                    backbone=extractor.backbone, seed=seed)
    return StyleResult(_render(pixels), history, time.perf_counter() - t0, settings)


def reconstruct_content(image, layer="block4_conv2", steps=1000, optimizer="adam", learning_rate=2.0,
                        weights="imagenet", backbone=None, pooling="max", precision="float32",
                        extractor=None, callback=None, progress=False, seed=0, max_size=None):
    """Find an image whose ``layer`` features match ``image``'s, starting from white noise.

    Minimizes the content loss (lectures/06_style_transfer.md, Eq. (2)) alone; the lecture's setting
    is Adam with learning rate 2.0 (pixel units) for up to 1000 steps. Low layers give the photo
    back almost exactly, high layers keep the objects and layout but lose the exact colors and
    textures (Gatys et al. 2016, Fig. 1). Returns a :class:`StyleResult`; ``history["content"]`` is
    the feature distance.
    """
    return _reconstruct(image, [layer], [], steps, optimizer, learning_rate, weights, backbone,
                        pooling, precision, extractor, callback, progress, seed, max_size,
                        f"content {layer}")


def reconstruct_style(image, layers=STYLE_LAYERS, steps=1000, optimizer="adam", learning_rate=2.0,
                      weights="imagenet", backbone=None, pooling="max", precision="float32",
                      extractor=None, callback=None, progress=False, seed=0, max_size=None):
    """Find an image whose Gram matrices at ``layers`` match ``image``'s, from white noise.

    Minimizes the style loss (lectures/06_style_transfer.md, Eq. (5)) alone: the result has the
    texture of ``image`` at the scales of ``layers`` but none of its layout (Gatys et al. 2016, Fig.
    1). Same settings as :func:`reconstruct_content`; ``history["style"]`` is the Gram distance.
    """
    layers = [layers] if isinstance(layers, str) else list(layers)
    return _reconstruct(image, [], layers, steps, optimizer, learning_rate, weights, backbone,
                        pooling, precision, extractor, callback, progress, seed, max_size,
                        f"style {layers[-1]}")
