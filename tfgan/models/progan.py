"""Progressive growing of GANs.

Karras, Aila, Laine and Lehtinen 2018, "Progressive Growing of GANs for Improved Quality,
Stability, and Variation", https://arxiv.org/abs/1710.10196.
Lecture: ``lectures/14_progressive_and_stylegan.md`` (section 1); notebook:
``notebooks/14_progressive_and_stylegan.ipynb``.

G and D start at 4x4 and double the resolution (4 -> 8 -> 16 -> 32 for 32x32 images). Every new
block is faded in: while alpha rises linearly from 0 to 1, G's output blends the upsampled old
output with the new block's (lectures/14_progressive_and_stylegan.md, Eq. (1)) and D blends the
features of the downsampled image with those of the new block; the real images are blended the
same way, so D compares like with like. Then the network trains at that resolution (stable phase)
before the next block comes in.

Paper -> code:

===========================================  ====================================================
level (lod counted upward), 0 = 4x4          :meth:`ProGAN.level_at` (a function of the step)
alpha of the fade-in                         :meth:`ProGAN.alpha_at`; G's ``alpha`` weight
toRGB / fromRGB (1x1 convolutions)           ``Generator.to_rgb[l]`` / ``Discriminator.from_rgb[l]``
equalized learning rate                      ``tfgan.layers.EqualizedConv2D`` / ``EqualizedDense``
pixelwise feature normalization              ``tfgan.layers.PixelNormalization``
minibatch standard deviation                 ``tfgan.layers.MinibatchStdDev``
WGAN-GP loss                                 ``--loss wasserstein --gradient-penalty wgan_gp``
epsilon_drift E[D(x)^2] (appendix A.1)       ``--drift`` times ``tfgan.losses.drift_penalty``
Adam(0.001, beta_1 = 0, beta_2 = 0.99)       the defaults of :class:`ProGANConfig`
===========================================  ====================================================

Equations: fade-in, lectures/14_progressive_and_stylegan.md, Eq. (1); equalized learning rate,
lectures/14_progressive_and_stylegan.md, Eq. (2); pixel norm,
lectures/14_progressive_and_stylegan.md, Eq. (3); minibatch standard deviation,
lectures/11_gan_objectives.md, Eq. (15); WGAN-GP, lectures/11_gan_objectives.md, Eq. (7).

Training is Algorithm 1 of :class:`tfgan.models.gan.GAN` (one critic step per G step, as the
paper's n_critic = 1) with three hooks: ``generate`` and ``discriminate`` run the networks at the
current level and alpha, ``split_batch`` shrinks (and, during a fade, blends) the real batch to
that resolution. The phases have static shapes, so each level gets its own traced train step:
:meth:`ProGAN.make_train_function` picks the one of the level that the step counter is in before
every step. The schedule is a function of the step (``--stable-steps``, ``--fade-steps``), and G
carries ``level`` and ``alpha`` as weights, so a checkpoint holds them and a resumed run continues
the fade where it stopped.

Departures, for a course-sized CPU model: 32x32 images (MNIST and Fashion-MNIST resized from
28x28) instead of 1024x1024; at most ``--max-filters`` (64) feature maps instead of 512; phases
counted in steps of one batch size instead of 600k images with a batch size that shrinks as the
resolution grows; no exponential moving average of G's weights (``--ema`` is refused: its average
would also average the level). As in the paper, G's output is linear (not tanh); samples are
clipped to [-1, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tfgan import losses
from tfgan.errors import ConfigError
from tfgan.layers import (
    EqualizedConv2D, EqualizedDense, MinibatchStdDev, PixelNormalization, leaky_relu, track_layers,
)
from tfgan.models.base import AdversarialConfig, redefault
from tfgan.models.gan import GAN

@dataclass
class ProGANConfig(AdversarialConfig):
    """Progressive GAN settings; the paper's optimizer and loss are the defaults."""

    image_shape: tuple[int, int, int] = redefault(AdversarialConfig, "image_shape", (32, 32, 1))
    latent_dim: int = redefault(AdversarialConfig, "latent_dim", 128)
    loss: str = redefault(AdversarialConfig, "loss", "wasserstein")
    gradient_penalty: str = redefault(AdversarialConfig, "gradient_penalty", "wgan_gp")
    batch_size: int = redefault(AdversarialConfig, "batch_size", 32)
    g_lr: float = redefault(AdversarialConfig, "g_lr", 1e-3)
    d_lr: float = redefault(AdversarialConfig, "d_lr", 1e-3)
    beta1: float = redefault(AdversarialConfig, "beta1", 0.0)
    beta2: float = redefault(AdversarialConfig, "beta2", 0.99)
    steps: int = redefault(AdversarialConfig, "steps", 4000)
    stable_steps: int = field(
        default=500, metadata={"help": "steps at each resolution once its block is fully in", "min": 1})
    fade_steps: int = field(
        default=500, metadata={"help": "steps over which alpha rises from 0 to 1 when a block is added "
                                        "(0: add blocks at once)", "min": 0})
    filters: int = field(default=16, metadata={"help": "feature maps at the highest resolution; they "
                                                      "double at each lower one", "min": 1})
    max_filters: int = field(default=64, metadata={"help": "cap on the feature maps of any level", "min": 1})
    drift: float = field(default=1e-3, metadata={"help": "weight of D's drift term E[D(x)^2] (the paper's "
                                                        "epsilon_drift)", "min": 0})
    minibatch_std: bool = field(
        default=True, metadata={"help": "minibatch standard deviation before D's last block"})

    def check(self):
        super().check()
        num_levels(self.image_shape)
        if self.feature_matching or self.spectral_norm or self.ema is not None:
            raise ConfigError(
                "progan supports none of --feature-matching, --spectral-norm or --ema (its networks "
                "change with the level). Received: "
                f"--feature-matching {self.feature_matching}, --spectral-norm {self.spectral_norm}, "
                f"--ema {self.ema}")
        if self.minibatch_std and self.batch_size % min(4, self.batch_size):
            raise ConfigError("--minibatch-std groups D's batch in fours: --batch-size must be a "
                              f"multiple of 4. Received: --batch-size {self.batch_size}")


def num_levels(image_shape):
    """Levels 4x4, 8x8, ..., H: 1 + log2(H / 4). ``ConfigError`` unless H = W = 4 * 2^k <= 1024."""
    height, width = image_shape[0], image_shape[1]
    k = math.log2(height / 4) if height >= 4 else -1
    if height != width or k != int(k) or height > 1024:
        raise ConfigError("progan grows square images from 4x4 by doubling: --image-shape must be "
                          f"H,H,C with H in 4, 8, 16, ..., 1024. Received: {tuple(image_shape)}")
    return int(k) + 1


def level_filters(cfg, level):
    """Feature maps at ``level`` (0 = 4x4): ``filters`` at the top, doubling downward, capped."""
    top = num_levels(cfg.image_shape) - 1
    return min(cfg.max_filters, cfg.filters * 2 ** (top - level))


def upsample(x):
    """Nearest-neighbour upsampling by 2 (the paper's ``upscale2d``)."""
    return ops.repeat(ops.repeat(x, 2, axis=1), 2, axis=2)


def downsample(x):
    """2x2 average pooling (the paper's ``downscale2d``)."""
    return ops.average_pool(x, 2, strides=2, padding="valid")


def as_images(x):
    """G's output as images: float32, clipped to the data range [-1, 1]. The last layer of
    ProGAN's and StyleGAN's G is linear (the papers' toRGB), so it can overshoot; what is sampled,
    drawn and scored (the classifier IS and FD refuse floats outside [-1, 1]) is what a PNG of it
    shows. Training never clips: D sees G's raw output. Both models' samplers go through here."""
    return tf.clip_by_value(tf.cast(x, tf.float32), -1.0, 1.0)


def fade(alpha, old, new):
    """(1 - alpha) old + alpha new: the fade-in of lectures/14_progressive_and_stylegan.md, Eq. (1)."""
    alpha = ops.cast(alpha, new.dtype)
    return (1.0 - alpha) * ops.cast(old, new.dtype) + alpha * new


class _Grown(keras.Model):
    """What both networks share: the number of levels and the variables one level uses."""

    def level_layers(self, level):
        raise NotImplementedError

    def variables_at(self, level):
        """The trainable variables that the network at ``level`` (during its fade) reads."""
        return [v for layer in self.level_layers(level) for v in layer.trainable_variables]


@keras.saving.register_keras_serializable(package="tfgan")
class Generator(_Grown):
    """ProGAN's G. ``call(z, level, alpha)`` returns images of side 4 * 2^level; with ``level``
    None, the images of the level G has reached (its ``level`` and ``alpha`` weights), upsampled
    to the full ``image_shape`` and clipped to [-1, 1] (for sampling)."""

    def __init__(self, cfg, **kwargs):
        super().__init__(name=kwargs.pop("name", "generator"), **kwargs)
        self.cfg, self.levels = cfg, num_levels(cfg.image_shape)
        f0 = level_filters(cfg, 0)
        self.norm = PixelNormalization(name="pixel_norm")  # also on z, as the paper's G
        # The paper's first layer: z -> 4x4 maps, gain sqrt(2)/4 on the standard deviation
        self.project = EqualizedDense(16 * f0, gain=2.0 / 16, name="project")
        self.blocks = [[EqualizedConv2D(f0, 3, name="conv_4x4")]]
        for level in range(1, self.levels):
            f, size = level_filters(cfg, level), 4 * 2**level
            self.blocks.append([EqualizedConv2D(f, 3, name=f"conv{i}_{size}x{size}") for i in (0, 1)])
        self.to_rgb = [EqualizedConv2D(cfg.image_shape[2], 1, gain=1.0, name=f"to_rgb_{4 * 2**lv}")
                       for lv in range(self.levels)]
        self.level = self.add_weight(shape=(), dtype="int32", initializer="zeros", trainable=False,
                                     name="level")
        self.alpha = self.add_weight(shape=(), dtype="float32", initializer="ones", trainable=False,
                                     name="alpha")
        track_layers(self, "_blocks", self.blocks)  # checkpointed with G itself, not only via Adam
        track_layers(self, "_to_rgb", self.to_rgb)
        self.build((None, cfg.latent_dim))

    def build(self, input_shape):
        z = ops.zeros((1, self.cfg.latent_dim))
        for level in range(self.levels):  # creates every layer's weights
            self.grow(z, level, 0.5)
        self.built = True

    def level_layers(self, level):
        layers = [self.project, *(c for block in self.blocks[: level + 1] for c in block), self.to_rgb[level]]
        return layers + ([self.to_rgb[level - 1]] if level else [])

    def features(self, z, level):
        """The feature maps of ``level``, before its toRGB."""
        h = self.project(self.norm(z))
        h = ops.reshape(h, (-1, 4, 4, h.shape[-1] // 16))
        h = self.norm(leaky_relu(h))
        for lv in range(level + 1):
            if lv:
                h = upsample(h)
            for conv in self.blocks[lv]:
                h = self.norm(leaky_relu(conv(h)))  # conv, LeakyReLU, pixel norm
        return h

    def grow(self, z, level, alpha):
        """Images of side 4 * 2^level, the new block faded in with ``alpha``
        (lectures/14_progressive_and_stylegan.md, Eq. (1))."""
        if level == 0:
            return self.to_rgb[0](self.features(z, 0))
        h_old = self.features(z, level - 1)
        h = h_old
        h = upsample(h)
        for conv in self.blocks[level]:
            h = self.norm(leaky_relu(conv(h)))
        new = self.to_rgb[level](h)  # toRGB_new(block(up(h)))
        old = upsample(self.to_rgb[level - 1](h_old))  # up(toRGB_old(h))
        return fade(alpha, old, new)

    def call(self, z, level=None, alpha=None, training=False):
        if level is not None:
            return self.grow(z, level, self.alpha if alpha is None else alpha)
        level = int(self.level.numpy()) if tf.executing_eagerly() else self.levels - 1
        return self.full_size(self.grow(z, level, self.alpha), level)

    def full_size(self, x, level):
        """Images of ``level`` upsampled to the full image size and clipped to [-1, 1] (:func:`as_images`)."""
        for _ in range(self.levels - 1 - level):
            x = upsample(x)
        return as_images(x)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.cfg.image_shape)


@keras.saving.register_keras_serializable(package="tfgan")
class Discriminator(_Grown):
    """ProGAN's D (a critic with unbounded scores). ``call(x, level, alpha)`` scores images of side
    4 * 2^level; with ``level`` None the level is read from the image size (alpha 1)."""

    def __init__(self, cfg, **kwargs):
        super().__init__(name=kwargs.pop("name", "discriminator"), **kwargs)
        self.cfg, self.levels = cfg, num_levels(cfg.image_shape)
        self.from_rgb = [EqualizedConv2D(level_filters(cfg, lv), 1, name=f"from_rgb_{4 * 2**lv}")
                         for lv in range(self.levels)]
        self.blocks = [None]
        for level in range(1, self.levels):
            size = 4 * 2**level
            self.blocks.append([EqualizedConv2D(level_filters(cfg, level), 3, name=f"conv0_{size}x{size}"),
                                EqualizedConv2D(level_filters(cfg, level - 1), 3, name=f"conv1_{size}x{size}")])
        f0 = level_filters(cfg, 0)
        self.minibatch_std = MinibatchStdDev(group_size=min(4, cfg.batch_size)) if cfg.minibatch_std else None
        self.head = [EqualizedConv2D(f0, 3, name="conv_4x4"), EqualizedDense(f0, name="dense_4x4"),
                     EqualizedDense(1, gain=1.0, name="logit", dtype="float32")]  # float32 scores
        for name in ("from_rgb", "blocks", "head"):  # checkpointed with D itself, not only via Adam
            track_layers(self, f"_{name}", getattr(self, name))
        self.build((None, *cfg.image_shape))

    def build(self, input_shape):
        channels = self.cfg.image_shape[2]
        for level in range(self.levels):
            side = 4 * 2**level
            self.score(ops.zeros((4, side, side, channels)), level, 0.5)
        self.built = True

    def level_layers(self, level):
        layers = [self.from_rgb[level], *(c for block in self.blocks[1: level + 1] for c in block), *self.head]
        return layers + ([self.from_rgb[level - 1]] if level else [])

    def trunk(self, h, level):
        """From the feature maps entering ``level``'s block down to the score."""
        for lv in range(level, 0, -1):
            for conv in self.blocks[lv]:
                h = leaky_relu(conv(h))
            h = downsample(h)
        if self.minibatch_std is not None:
            h = self.minibatch_std(h)
        h = leaky_relu(self.head[0](h))
        h = leaky_relu(self.head[1](ops.reshape(h, (-1, 16 * h.shape[-1]))))
        return self.head[2](h)

    def score(self, x, level, alpha):
        """D(x) for images of side 4 * 2^level, the new block faded in with ``alpha``."""
        h = leaky_relu(self.from_rgb[level](x))
        if level == 0:
            return self.trunk(h, 0)
        for conv in self.blocks[level]:
            h = leaky_relu(conv(h))
        h = downsample(h)  # block(fromRGB_new(x))
        old = leaky_relu(self.from_rgb[level - 1](downsample(x)))  # fromRGB_old(down(x))
        return self.trunk(fade(alpha, old, h), level - 1)

    def call(self, x, level=None, alpha=None, training=False):
        if level is None:
            level = num_levels(x.shape[1:]) - 1
        return self.score(x, level, 1.0 if alpha is None else alpha)


class _Variables:
    """The trainable variables one level uses, where ``optimizer_step`` expects a network."""

    def __init__(self, variables):
        self.trainable_variables = variables


class ProGAN(GAN):
    """Progressive GAN: G and D grown from 4x4 with fade-ins, trained with WGAN-GP + drift."""

    config_class = ProGANConfig

    def __init__(self, config=None, **kwargs):
        super().__init__(config, **kwargs)
        self.levels = num_levels(self.config.image_shape)
        self._trace_level = None  # the level of the train step being traced
        self._level = 0  # the level of the step running (set by train_step)

    def build_networks(self):
        return Generator(self.config), Discriminator(self.config)

    # -- the schedule --------------------------------------------------------------------------
    def level_start(self, level):
        """The step at which ``level``'s fade-in begins (0 for 4x4)."""
        cfg = self.config
        return 0 if level == 0 else cfg.stable_steps + (level - 1) * (cfg.fade_steps + cfg.stable_steps)

    def level_at(self, step):
        """The level trained at ``step`` (steps done so before it)."""
        return max(lv for lv in range(self.levels) if self.level_start(lv) <= int(step))

    def alpha_at(self, step, level=None):
        """alpha during step ``step`` (0-based): (step - start + 1) / fade_steps, capped at 1, so the
        first step of a fade trains the new block a little and its last one has alpha = 1."""
        level = self.level_at(step) if level is None else level
        if level == 0 or self.config.fade_steps == 0:
            return tf.ones((), tf.float32) if isinstance(step, tf.Tensor) else 1.0
        done = step - self.level_start(level) + 1
        if isinstance(step, tf.Tensor):
            return tf.minimum(1.0, tf.cast(done, tf.float32) / self.config.fade_steps)
        return min(1.0, done / self.config.fade_steps)

    def step_macs(self, level):
        """Multiply-adds of one image through G and D at ``level`` during its fade (both paths), a
        proxy for what a training step at that level costs (:meth:`cost_phases`)."""
        g, d = self.generator, self.discriminator
        side = lambda lv: 4 * 2**lv  # noqa: E731

        def macs(layer, lv=0):  # a dense layer: its kernel; a convolution: kernel x output pixels
            n = int(np.prod(layer.kernel.shape))
            return n * side(lv) ** 2 if isinstance(layer, EqualizedConv2D) else n

        total = macs(g.project) + sum(macs(c, lv) for lv in range(level + 1) for c in g.blocks[lv])
        total += sum(macs(c, lv) for lv in range(1, level + 1) for c in d.blocks[lv])
        total += macs(d.head[0]) + macs(d.head[1]) + macs(d.head[2])
        for lv in {level, max(level - 1, 0)}:  # toRGB/fromRGB, the old one too during a fade
            total += macs(g.to_rgb[lv], lv) + macs(d.from_rgb[lv], lv)
        return total

    def cost_phases(self, end_step):
        """``[(first step, relative cost, label)]`` of each resolution the run reaches: the trainer's
        time estimate times each one's steps separately (a 32x32 step costs ~10x a 4x4 one)."""
        levels = [lv for lv in range(self.levels) if self.level_start(lv) < end_step]
        return [(self.level_start(lv), float(self.step_macs(lv)), f"{4 * 2**lv}x{4 * 2**lv}") for lv in levels]

    def grid_milestones(self, end_step):
        """``{step: file name}``: one sample grid at the end of each resolution's phase."""
        marks = {self.level_start(lv + 1): f"res_{4 * 2**lv:03d}.png" for lv in range(self.levels - 1)}
        marks = {step: name for step, name in marks.items() if step <= end_step}
        level = self.level_at(end_step)
        marks.setdefault(end_step, f"res_{4 * 2**level:03d}.png")
        return marks

    def fade_in_images(self, level, alphas, num=8, seed=0):
        """G's images at ``level`` for each fade-in ``alpha`` (lectures/14_progressive_and_stylegan.md,
        Eq. (1)), from one fixed latent batch: a float array (len(alphas), num, H, W, C) in [-1, 1],
        upsampled to the full image size, for a figure of the fade (rows: alpha; columns: z)."""
        if not 0 < level < self.levels:
            raise ValueError(f"`level` must be in 1..{self.levels - 1} (a level that fades in). Received: {level!r}")
        z = self.latent(num, seed=seed)
        g = self.generator
        return np.stack([ops.convert_to_numpy(g.full_size(g(z, level=level, alpha=float(a)), level)) for a in alphas])

    @property
    def current_level(self):
        """The level of the step about to run (the traced one inside a ``tf.function``)."""
        if tf.executing_eagerly() or self._trace_level is None:
            return self.level_at(int(self.step_counter.numpy()))
        return self._trace_level

    def make_train_function(self, force=False):
        """One Keras train function per level (each traced with that level's static shapes);
        the returned function runs the one of the level the step counter is in."""
        if self.train_function is not None and not force:
            return self.train_function
        per_level = {}

        def train_function(iterator):
            level = self.level_at(int(self.step_counter.numpy()))
            if level not in per_level:
                self._trace_level = level
                super(ProGAN, self).make_train_function(force=True)
                per_level[level], self.train_function = self.train_function, train_function
            return per_level[level](iterator)

        self.train_function = train_function
        return train_function

    # -- Algorithm 1's hooks ---------------------------------------------------------------------
    def train_step(self, data):
        level = self.current_level
        step = tf.convert_to_tensor(self.step_counter)
        self.generator.level.assign(level)
        self.generator.alpha.assign(self.alpha_at(step, level))
        self._level = level
        return super().train_step(data)

    def split_batch(self, data):
        """Real images at the current level, faded like G's output (the paper's ``process_reals``)."""
        real, _ = super().split_batch(data)
        level = self._level
        for _ in range(self.levels - 1 - level):
            real = downsample(real)
        if level:
            real = fade(self.generator.alpha, upsample(downsample(real)), real)
        return real, None

    def generate(self, z, y=None, training=True, network=None):
        return (network or self.generator)(z, level=self._level, alpha=self.generator.alpha, training=training)

    def discriminate(self, x, y=None, training=True):
        return self.discriminator(x, level=self._level, alpha=self.generator.alpha, training=training)

    def discriminator_loss(self, real_logits, fake_logits, real, fake, y=None):
        """WGAN-GP's critic loss plus epsilon_drift E[D(x)^2] (appendix A.1)."""
        loss = super().discriminator_loss(real_logits, fake_logits, real, fake, y)
        return loss + self.config.drift * losses.drift_penalty(real_logits)

    def optimizer_step(self, tape, loss, network, optimizer):
        """Updates only the variables the network uses at the current level."""
        super().optimizer_step(tape, loss, _Variables(network.variables_at(self._level)), optimizer)
