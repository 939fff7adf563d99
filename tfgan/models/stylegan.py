"""StyleGAN: a style-based generator.

Karras, Laine and Aila 2019, "A Style-Based Generator Architecture for Generative Adversarial
Networks", https://arxiv.org/abs/1812.04948. Lecture: ``lectures/14_progressive_and_stylegan.md``;
notebook: ``notebooks/14_progressive_and_stylegan.ipynb``.

The generator does not take z at its input. A mapping network turns z into an intermediate latent
w (lectures/14_progressive_and_stylegan.md, Eq. (4)); the synthesis network starts from a learned
constant, and at every layer a learned affine map of w gives the style (y_s, y_b) that modulates
the instance-normalized feature maps (AdaIN, lectures/14_progressive_and_stylegan.md, Eq. (5)).
Per-pixel noise scaled by learned per-channel factors is added before every AdaIN
(lectures/14_progressive_and_stylegan.md, Eq. (6)). At sampling time w can be pulled toward its
running mean (the truncation trick, lectures/14_progressive_and_stylegan.md, Eq. (7)).

Paper -> code:

=========================  ==================================================================
z, normalized              ``self.latent(n)``; ``PixelNormalization`` in ``StyleGenerator.map``
f: z -> w                  ``StyleGenerator.map``: ``mapping_layers`` equalized dense layers
                           with learning-rate multiplier ``mapping_lr_mul`` (the paper's 0.01)
A (learned affine)         ``StyleGenerator.affine[i]``: w -> (y_s - 1, y_b), one per layer
const 4x4x512              ``StyleGenerator.const`` (s x s x ``g_filters``)
B (noise scales)           ``StyleGenerator.noise[i]`` (:class:`tfgan.layers.NoiseInjection`)
AdaIN                      :func:`tfgan.layers.adaptive_instance_norm` with scale 1 + A(w)_s
w_avg, psi                 ``StyleGenerator.w_avg``, ``StyleGenerator.truncate``
Gs (G's moving average)    ``StyleGAN.ema_generator`` (``--ema``, 0.995, with the library's warm-up
                           :meth:`GAN.ema_decay`): what ``sample``, the grids, ``generate`` and
                           the metrics draw from, as in the authors' code
style mixing               ``StyleGAN.mixed_styles``: w1 for the layers before a random
                           crossover, w2 after, with probability ``style_mixing``
                           (lectures/14_progressive_and_stylegan.md, Eq. (8))
D                          ProGAN's discriminator (equalized LR, minibatch stddev), trained at
                           the final resolution only
losses                     non-saturating with R1 (gamma = ``gp_weight``), the paper's FFHQ
                           setting; any loss of the table (``--loss``, ``--gradient-penalty``)
=========================  ==================================================================

Layers and style groups. A ``H x H`` generator (H = s 2^k, 4 <= s <= 7, e.g. 4 -> 8 -> 16 -> 32)
has two style layers per resolution: the constant's and one convolution at s, then two
convolutions (the first after a bilinear 2x upsampling) at each larger size; layer i gets its own
copy of w, ``ws[:, i]``. The paper's Figure 3 groups them as coarse (4^2 - 8^2), middle
(16^2 - 32^2) and fine (64^2 - 1024^2). At our sizes: coarse = the first two resolutions (s and 2s:
pose, stroke layout), fine = the last one (H: edges, texture of the stroke), middle = any in
between; for 32 x 32 that is layers 0-3 (4, 8), 4-5 (16) and 6-7 (32)
(:meth:`StyleGenerator.layer_groups`). ``generate --mix-styles COARSE,FINE`` takes the coarse
layers from one w and all the others (middle and fine) from the other.

Departures, chosen to train in minutes on a CPU at 32 x 32 (each stated where it is made):

* Sizes: 4 mapping layers of width 64 instead of 8 of width 512; ``g_filters`` (default 64)
  channels at s and 2s, halved at every larger resolution, instead of 512; a z of size 64.
* No progressive growing (StyleGAN trained at 1024^2 with ProGAN's schedule): at 32 x 32 the
  network is trained at its final size from the start, as StyleGAN2 does.
* AdaIN as in the paper (not StyleGAN2's weight demodulation): the mechanism the lecture teaches,
  and at this size the "droplet" artifacts that motivated demodulation have no room to appear.
* Upsampling is bilinear followed by a 3x3 convolution (the paper: nearest neighbour, a
  convolution, then a 2x2 binomial blur); D downsamples by average pooling (as ProGAN).
* The constant starts from N(0, 1) (the authors' StyleGAN code: ones; their StyleGAN2 code:
  N(0, 1)); a constant of ones is flat, so instance norm would map it to exactly 0.
* Truncation applies to every layer (the authors' code truncates the first 8 of 18 only).
* The learning rates are 2e-3 with Adam betas (0, 0.99) (StyleGAN2's; the paper: 1e-3 at high
  resolutions); R1's gamma defaults to 1 instead of 10 for these small images.

What to expect from short CPU runs (MNIST, 32 x 32, batch 64, 400-1500 steps): the samples of G
itself drift toward a few digit shapes (partial mode collapse: classifier IS 2.6 after 100 steps,
1.5 after 600, 4 of 10 classes) while the styles A_i(w) still vary from sample to sample: G learns
to make its output nearly independent of them. We checked the code against the paper and the
authors' code (style = A(w) with scale 1 + y_s; B zero at the start; the mapping network's 0.01
learning-rate multiplier with equalized learning rates; the learned constant; R1 on reals only with
gamma / 2; D's minibatch stddev; truncation only at sampling; mixing; z normalized, w not; a linear
toRGB against data in [-1, 1]) and found no departure that explains it. What did differ: the authors
sample from a moving average of G (their Gs), and we sampled from G. Averaging keeps more variety
(one run, beta 0.995 without warm-up, 600 steps: IS 2.39 vs 1.54, 9 vs 4 classes;
benchmarks/modern_gans.py: 2.05 and 6 classes, against 1.27 and 3 before), so it is the default
here; it does not stop the drift. Neither did (runs of 200-1,500 steps): non-saturating + R1 with
gamma 0.01, 1 and 10, WGAN-GP, learning rates 2e-4 (betas 0.5, 0.99), 1e-3 and 2e-3, 32 and 64
feature maps, minibatch-stddev groups of 4 and 32, no mixing, StyleGAN2's skip generator (toRGB at
every resolution), affine maps A started 10x smaller (worse: G stays collapsed), or StyleGAN2's
weight demodulation instead of AdaIN (G's IS 2.6-2.75 over steps 200-400 against 2.1-2.3 with AdaIN:
a little better, far from DCGAN). Unlike DCGAN's batch norm, nothing in a style-based G ties one
sample's features to the batch's, so its variety rests on D alone; the paper trains on millions of
images.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tfgan.errors import ConfigError
from tfgan.layers import (
    EqualizedConv2D, EqualizedDense, MinibatchStdDev, NoiseInjection, PixelNormalization,
    adaptive_instance_norm, leaky_relu, track_layers,
)
from tfgan.models.base import AdversarialConfig, redefault
from tfgan.models.gan import GAN
from tfgan.models.progan import as_images

#: StyleGAN's instance-norm epsilon (the authors' code).
ADAIN_EPSILON = 1e-8


def resolutions(image_shape):
    """The synthesis resolutions [s, 2s, ..., H] of an H x H image, H = s 2^k with 4 <= s <= 7 and
    k >= 1 (32 -> [4, 8, 16, 32], 28 -> [7, 14, 28]); ``ConfigError`` for other shapes."""
    height, width = int(image_shape[0]), int(image_shape[1])
    size = height
    while size > 7 and size % 2 == 0:
        size //= 2
    if height != width or not 4 <= size <= 7 or size == height:
        raise ConfigError(
            "StyleGAN needs square images of size s * 2^k with 4 <= s <= 7 and k >= 1 "
            f"(e.g. 28, 32, 64). Received: --image-shape {','.join(map(str, image_shape))}")
    out = [size]
    while out[-1] < height:
        out.append(out[-1] * 2)
    return out


def channels_at(filters, resolution, start):
    """Feature maps at ``resolution``: ``filters`` at s and 2s, halved at every larger size (min 1)."""
    doublings = int(round(math.log2(resolution / start)))
    return max(1, filters >> max(0, doublings - 1))


@dataclass
class StyleGANConfig(AdversarialConfig):
    """StyleGAN settings; the defaults train on 32 x 32 MNIST or Fashion-MNIST on a CPU."""

    latent_dim: int = redefault(AdversarialConfig, "latent_dim", 64)
    image_shape: tuple[int, int, int] = redefault(AdversarialConfig, "image_shape", (32, 32, 1))
    gradient_penalty: str = redefault(AdversarialConfig, "gradient_penalty", "r1")
    gp_weight: float = redefault(AdversarialConfig, "gp_weight", 1.0)
    g_lr: float = redefault(AdversarialConfig, "g_lr", 2e-3)
    d_lr: float = redefault(AdversarialConfig, "d_lr", 2e-3)
    beta1: float = redefault(AdversarialConfig, "beta1", 0.0)
    beta2: float = redefault(AdversarialConfig, "beta2", 0.99)
    # the authors sample from G's moving average (their Gs, G_smoothing_kimg = 10: a half-life of
    # 10,000 images, 0.5^(64/10^4) ~ 0.9956 per step at batch 64); --ema 0 samples from G itself
    ema: float | None = redefault(AdversarialConfig, "ema", 0.995)
    w_dim: int = field(default=64, metadata={"help": "size of the intermediate latent w", "min": 1})
    mapping_layers: int = field(
        default=4, metadata={"help": "layers of the mapping network f (the paper's 8)", "min": 1})
    mapping_lr_mul: float = field(
        default=0.01,
        metadata={"help": "learning-rate multiplier of the mapping network (the paper's 0.01)", "min": 0,
                  "min_exclusive": True})
    g_filters: int = field(default=64, metadata={"help": "G's feature maps at the two smallest resolutions", "min": 1})
    d_filters: int = field(default=64, metadata={"help": "D's feature maps at the two smallest resolutions", "min": 1})
    style_mixing: float = field(
        default=0.9,
        metadata={"help": "probability that a training batch mixes two w's at a random crossover layer "
                          "(the paper's 0.9)", "min": 0, "max": 1})
    mbstd_group: int = field(
        default=4,
        metadata={"help": "examples per group of D's minibatch standard deviation (ProGAN's 4; "
                          "StyleGAN2-ADA uses up to 32 at small resolutions)", "min": 1})
    w_avg_beta: float = field(
        default=0.995,
        metadata={"help": "decay of the running mean of w used by truncation", "min": 0, "max": 1,
                  "max_exclusive": True})

    def check(self):
        super().check()
        resolutions(self.image_shape)
        group = min(self.mbstd_group, self.batch_size)
        if self.batch_size % group:
            raise ConfigError(f"D's minibatch standard deviation groups the batch in {group}s: --batch-size "
                              f"must be a multiple of --mbstd-group. Received: --batch-size {self.batch_size}")


@keras.saving.register_keras_serializable(package="tfgan")
class StyleGenerator(keras.Model):
    """Mapping network + synthesis network (the paper's Figure 1(b)).

    ``generator(z)`` is z -> w -> image with fresh noise; the parts are separate methods so the
    notebook and the tests can feed each layer its own w (``synthesize``), truncate (``truncate``)
    or fix the noise (``noise_inputs``).
    """

    def __init__(self, cfg, **kwargs):
        super().__init__(name=kwargs.pop("name", "generator"), **kwargs)
        self.cfg = cfg
        self.resolutions = resolutions(cfg.image_shape)
        start = self.resolutions[0]
        self.normalize_z = PixelNormalization(name="normalize_z")
        self.mapping = [EqualizedDense(cfg.w_dim, lr_multiplier=cfg.mapping_lr_mul, activation=leaky_relu,
                                       name=f"mapping_{i}") for i in range(cfg.mapping_layers)]
        self.layer_resolutions = [r for r in self.resolutions for _ in range(2)]
        self.layer_channels = [channels_at(cfg.g_filters, r, start) for r in self.layer_resolutions]
        self.const = self.add_weight(shape=(1, start, start, self.layer_channels[0]), name="const",
                                     initializer=keras.initializers.RandomNormal(0.0, 1.0, seed=cfg.seed))
        self.w_avg = self.add_weight(shape=(cfg.w_dim,), name="w_avg", initializer="zeros", trainable=False)
        # Layer 0 is the constant itself; every other layer starts with a 3x3 convolution, the first
        # of each resolution after a 2x upsampling.
        self.convs = [None] + [EqualizedConv2D(c, 3, name=f"conv_{i}") for i, c in enumerate(self.layer_channels) if i]
        self.upsample = keras.layers.UpSampling2D(2, interpolation="bilinear")
        self.noise = [NoiseInjection(name=f"noise_{i}") for i in range(self.num_layers)]
        # A: w -> (y_s - 1, y_b); the "+ 1" (the authors' code) makes every style start at scale 1
        self.affine = [EqualizedDense(2 * c, gain=1.0, name=f"style_{i}") for i, c in enumerate(self.layer_channels)]
        self.to_rgb = EqualizedConv2D(cfg.image_shape[2], 1, gain=1.0, name="to_rgb", dtype="float32")
        for name in ("mapping", "convs", "noise", "affine"):  # checkpointed with G (see track_layers)
            track_layers(self, f"_{name}", getattr(self, name))
        self.build((None, cfg.latent_dim))

    def build(self, input_shape):
        self.synthesize(self.broadcast(self.map(ops.zeros((1, self.cfg.latent_dim)))))  # makes every weight
        self.built = True

    @property
    def num_layers(self):
        """Style layers: two per resolution."""
        return 2 * len(self.resolutions)

    def layer_groups(self):
        """Style layers by group: coarse = the first two resolutions, fine = the last, middle = the
        rest (the paper's Figure 3 at our sizes; see the module docstring)."""
        last = self.num_layers - 2
        return {"coarse": list(range(0, min(4, last))), "middle": list(range(4, last)),
                "fine": list(range(last, self.num_layers))}

    # -- the mapping network and w ---------------------------------------------------------------
    def map(self, z, training=False):
        """w = f(z) (lectures/14_progressive_and_stylegan.md, Eq. (4)), z first scaled to unit RMS."""
        h = self.normalize_z(z)
        for layer in self.mapping:
            h = layer(h)
        return h

    def truncate(self, w, psi):
        """w' = w_avg + psi (w - w_avg) (lectures/14_progressive_and_stylegan.md, Eq. (7))."""
        w_avg = ops.cast(self.w_avg, w.dtype)
        return w_avg + ops.cast(psi, w.dtype) * (w - w_avg)

    def broadcast(self, w):
        """One copy of w per style layer: (N, w_dim) -> (N, num_layers, w_dim)."""
        return ops.repeat(w[:, None, :], self.num_layers, axis=1)

    def noise_inputs(self, n, seed=None):
        """Per-layer noise images, (n, r, r, 1) each: stateless from an int ``seed``, from a
        ``keras.random.SeedGenerator``, or unseeded (None)."""
        out = []
        for i, r in enumerate(self.layer_resolutions):
            shape = (n, r, r, 1)
            if isinstance(seed, (int, np.integer)):
                out.append(tf.random.stateless_normal(shape, seed=[int(seed), i + 1]))
            elif seed is None:
                out.append(tf.random.normal(shape))
            else:
                out.append(keras.random.normal(shape, seed=seed))
        return out

    # -- the synthesis network -------------------------------------------------------------------
    def styles(self, ws):
        """The style (y_s, y_b) = A_i(w_i) of every layer, each (N, C_i)
        (lectures/14_progressive_and_stylegan.md, Eq. (5))."""
        out = []
        for i, affine in enumerate(self.affine):
            y = affine(ws[:, i])
            y_s, y_b = ops.split(y, 2, axis=-1)
            out.append((1.0 + y_s, y_b))
        return out

    def synthesize(self, ws, noise=None, training=False):
        """The image of per-layer latents ``ws`` (N, num_layers, w_dim); ``noise`` a list of
        per-layer noise images (default: fresh)."""
        n = ops.shape(ws)[0]
        noise = self.noise_inputs(n) if noise is None else noise
        x = ops.tile(ops.cast(self.const, ws.dtype), [n, 1, 1, 1])
        for i, (y_s, y_b) in enumerate(self.styles(ws)):
            if self.convs[i] is not None:
                if self.layer_resolutions[i] != self.layer_resolutions[i - 1]:
                    x = self.upsample(x)
                x = self.convs[i](x)
            x = self.noise[i](x, noise[i])  # x + B n (lectures/14_progressive_and_stylegan.md, Eq. (6))
            x = leaky_relu(x)
            # AdaIN(x, y) = y_s (x - mu(x)) / sigma(x) + y_b (lectures/14_progressive_and_stylegan.md, Eq. (5))
            x = adaptive_instance_norm(x, y_s[:, None, None, :], y_b[:, None, None, :], ADAIN_EPSILON)
        return self.to_rgb(x)

    def call(self, z, training=False, psi=None, noise=None):
        """z -> w [-> truncated w] -> image; ``psi`` None or 1 leaves w alone."""
        w = self.map(z, training=training)
        if psi is not None:
            w = self.truncate(w, psi)
        return self.synthesize(self.broadcast(w), noise=noise, training=training)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.cfg.image_shape)


def build_discriminator(cfg):
    """ProGAN's D at the final resolution: fromRGB (1x1), two 3x3 convolutions and a 2x average
    pooling per resolution down to s, then minibatch stddev, a 3x3 convolution, a dense layer and
    the logit; every weight layer with the equalized learning rate."""
    res = resolutions(cfg.image_shape)
    ch = lambda r: channels_at(cfg.d_filters, r, res[0])  # noqa: E731
    layers = [keras.Input(tuple(cfg.image_shape)),
              EqualizedConv2D(ch(res[-1]), 1, activation=leaky_relu, name="from_rgb")]
    for r in reversed(res[1:]):
        layers += [EqualizedConv2D(ch(r), 3, activation=leaky_relu, name=f"conv_{r}a"),
                   EqualizedConv2D(ch(r // 2), 3, activation=leaky_relu, name=f"conv_{r}b"),
                   keras.layers.AveragePooling2D(2)]
    layers += [MinibatchStdDev(group_size=min(cfg.mbstd_group, cfg.batch_size)),
               EqualizedConv2D(ch(res[0]), 3, activation=leaky_relu, name=f"conv_{res[0]}"),
               keras.layers.Flatten(),
               EqualizedDense(ch(res[0]), activation=leaky_relu, name="dense"),
               EqualizedDense(1, gain=1.0, name="logit", dtype="float32")]
    return keras.Sequential(layers, name="discriminator")


def mix_layers(ws_a, ws_b, layers):
    """Per-layer latents that take ``layers`` from ``ws_b`` and every other layer from ``ws_a``
    (both (N, L, w_dim)); the notebook's and ``generate --mix-styles``' style-mixing grids."""
    take_b = np.isin(np.arange(ws_a.shape[1]), list(layers))[None, :, None]
    return ops.where(take_b, ws_b, ws_a)


class StyleGAN(GAN):
    """StyleGAN (Karras et al. 2019) trained with the GAN's Algorithm 1
    (:meth:`tfgan.models.gan.GAN.train_step`); this class says how G makes its training batch
    (style mixing, the running mean of w) and how it samples (truncation, fixed noise)."""

    config_class = StyleGANConfig

    def build_networks(self):
        return StyleGenerator(self.config), build_discriminator(self.config)

    # -- training: the generate hook of Algorithm 1 ----------------------------------------------
    def mixing_cutoff(self):
        """The crossover layer of a training batch: with probability ``style_mixing`` uniform in
        1..L-1 (w1 feeds the layers before it, w2 the rest), else L (no mixing); one per batch,
        as in the authors' code."""
        num_layers = self.generator.num_layers
        u = keras.random.uniform((), seed=self.seed_generator)
        k = keras.random.randint((), 1, num_layers, seed=self.seed_generator)
        return ops.where(u < self.config.style_mixing, k, num_layers)

    def mixed_styles(self, w1, w2, cutoff):
        """Per-layer latents: layer i < ``cutoff`` gets w1, the others w2 (style mixing
        regularization, the paper's section 3.1; lectures/14_progressive_and_stylegan.md, Eq. (8))."""
        g = self.generator
        first = ops.arange(g.num_layers)[None, :, None] < cutoff
        return ops.where(first, g.broadcast(w1), g.broadcast(w2))

    def update_w_avg(self, w):
        """w_avg <- beta w_avg + (1 - beta) mean(w), the running mean truncation pulls toward."""
        beta = self.config.w_avg_beta
        batch_mean = ops.cast(ops.mean(w, axis=0), "float32")
        self.generator.w_avg.assign(beta * self.generator.w_avg + (1.0 - beta) * batch_mean)

    def generate(self, z, y=None, training=True, network=None):
        """G(z) in training: w = f(z), tracked into w_avg, mixed with the w of a second z at a
        random crossover, then synthesized with fresh noise. Outside training: ``network(z)``."""
        g = network or self.generator
        if not training:
            return g(z, training=False)
        n = ops.shape(z)[0]
        w = g.map(z, training=True)
        if g is self.generator:
            self.update_w_avg(w)
        if self.config.style_mixing > 0:
            w2 = g.map(self.latent(n), training=True)
            ws = self.mixed_styles(w, w2, self.mixing_cutoff())
        else:
            ws = g.broadcast(w)
        return g.synthesize(ws, noise=g.noise_inputs(n, self.seed_generator), training=True)

    # -- sampling ----------------------------------------------------------------------------------
    def sample(self, n, seed=None, z=None, truncation=None, noise_seed=None):
        """``n`` images (NHWC) clipped to [-1, 1] (:func:`tfgan.models.progan.as_images`), w
        truncated toward w_avg by ``truncation`` (psi; None or 1: none). The noise images come from ``noise_seed`` (default ``seed``, or 0 when only
        ``z`` is given), so the same call gives the same images."""
        z = self.latent(n, seed) if z is None else tf.convert_to_tensor(z, tf.float32)
        noise_seed = noise_seed if noise_seed is not None else (seed if seed is not None else 0)
        g = self.sampler
        noise = g.noise_inputs(ops.shape(z)[0], int(noise_seed))
        return as_images(g(z, training=False, psi=truncation, noise=noise))

    def synthesize(self, ws, noise_seed=0):
        """Images (float32, clipped to [-1, 1]) of per-layer latents ``ws`` (N, L, w_dim), all with the same
        noise images (from ``noise_seed``), so that they differ only through their styles."""
        g = self.sampler
        ws = tf.convert_to_tensor(ws, tf.float32)
        return as_images(g.synthesize(ws, noise=g.noise_inputs(1, int(noise_seed))))

    def style_mixing_grid(self, rows_z, cols_z, layers="coarse", truncation=None, noise_seed=0):
        """The paper's Figure 3: cell (r, c) takes the style layers ``layers`` (a group name of
        :meth:`StyleGenerator.layer_groups` or a list of layer indices) from ``cols_z[c]`` and all
        the others from ``rows_z[r]``. Returns (row sources, column sources, mixes), the mixes
        (R * C, H, W, ch) row by row; all float32 in [-1, 1]."""
        g = self.sampler
        if isinstance(layers, str):
            groups = g.layer_groups()
            if layers not in groups:
                raise ValueError(f"layers must be one of {', '.join(groups)} or a list of layer "
                                 f"indices. Received: {layers!r}")
            layers = groups[layers]
        rows_z, cols_z = tf.convert_to_tensor(rows_z, tf.float32), tf.convert_to_tensor(cols_z, tf.float32)
        w_rows, w_cols = g.map(rows_z), g.map(cols_z)
        if truncation is not None:
            w_rows, w_cols = g.truncate(w_rows, truncation), g.truncate(w_cols, truncation)
        n_rows, n_cols = w_rows.shape[0], w_cols.shape[0]
        ws_a = g.broadcast(ops.repeat(w_rows, n_cols, axis=0))  # row r repeated along its columns
        ws_b = g.broadcast(ops.tile(w_cols, [n_rows, 1]))
        mixes = self.synthesize(mix_layers(ws_a, ws_b, layers), noise_seed)
        return (self.synthesize(g.broadcast(w_rows), noise_seed), self.synthesize(g.broadcast(w_cols), noise_seed),
                mixes)
