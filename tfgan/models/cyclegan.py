"""CycleGAN: unpaired image-to-image translation with cycle consistency.

Zhu, Park, Isola and Efros 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent
Adversarial Networks", ICCV, https://arxiv.org/abs/1703.10593. Lecture:
``lectures/09_cyclegan.md``; notebook: ``notebooks/09_cyclegan.ipynb``.

Two generators, G: X -> Y and F: Y -> X, each with an adversary (D_Y judges G's outputs
against real Y images, D_X judges F's against real X), and a cycle-consistency loss that asks
F(G(x)) = x and G(F(y)) = y: without pairs, the cycle is what ties an output to its input.
Domain X is the dataset's A, domain Y its B.

Paper -> code:

===========================  =====================================================================
G: X -> Y, F: Y -> X         ``self.g``, ``self.f``: ResNet generators (:func:`resnet_generator`)
D_Y, D_X                     ``self.d_y``, ``self.d_x``: 70x70 PatchGANs, instance norm
L_GAN(G, D_Y, X, Y)          paper eq. 1, least squares (section 4): ``tfgan.losses.least_squares_*``;
                             D's loss halved ("we divide the objective by 2")
L_cyc(G, F), paper eq. 2     ``tfgan.losses.cycle_consistency_loss``
lambda = 10, paper eq. 3     ``config.lambda_cycle``
L_identity (section 5.2)     ``tfgan.losses.identity_loss``, weight 0.5 lambda:
                             ``config.lambda_identity`` (a fraction of lambda, as in the code)
history of 50 images         ``self.pool_x``, ``self.pool_y``: :class:`tfgan.layers.HistoryPool`
Adam 2e-4, beta_1 0.5,       ``config.g_lr``, ``d_lr``, ``beta1``; :class:`LinearDecay` over the
linear decay to 0            second half of ``config.steps`` (``decay_from=0.5``)
===========================  =====================================================================

Networks (paper, section 7.2): G is c7s1-64, d128, d256, R256 x 6 or 9, u128, u64, c7s1-3
(c7s1-k: 7x7 convolution, instance norm, ReLU, stride 1, reflection padding; dk: 3x3 stride-2
convolution; Rk: :class:`tfgan.layers.ResidualBlock`; uk: 3x3 stride-2 transposed convolution),
with tanh after the last. With instance norm without affine parameters and biases on every
convolution (the authors' code) the 9-block G has 11,378,179 parameters and each D 2,764,737.

One ``train_step`` updates all four networks, in the authors' order: G and F together on
L_GAN(G, D_Y) + L_GAN(F, D_X) + lambda L_cyc + 0.5 lambda L_identity, then D_Y on real y
against a pooled G(x), and D_X on real x against a pooled F(y).

Departures: one Adam per network (rule 3 of the conventions) where the authors' code has one
over G and F together and one over both Ds; Adam's update is per weight, so the steps are the
same. The learning-rate decay is per step rather than per epoch, and reaches 0 at the last step.
The offline 32x32 tasks train with batch 16, 16 first-layer filters in G and 32 in D (the paper:
batch 1, 64 and 64) for CPU speed: a step runs G or F six times, and with 32 filters a step cost
2.5 times the CPU time. They keep 6 residual blocks (the paper's choice below 256 px).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tfgan import backbones, layers, losses, metrics
from tfgan.errors import ConfigError
from tfgan.models.base import total_steps
from tfgan.models.image_to_image import (
    GAN_LOSSES, ImageToImageConfig, ImageToImageModel, fashion_evaluation_classifier,
)
from tfgan.models.pix2pix import patchgan_discriminator

DIRECTIONS = ("a2b", "b2a")


@keras.saving.register_keras_serializable(package="tfgan")
class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Constant learning rate, then a straight line down to 0 (Zhu et al. 2017, section 7.1:
    "keep the same learning rate for the first 100 epochs and linearly decay the rate to zero
    over the next 100 epochs"). With T = ``total_steps`` and s = ``decay_from * T``
    (lectures/09_cyclegan.md, Eq. (8))::

        lr(t) = lr_0                        for t < s
        lr(t) = lr_0 (T - t) / (T - s)      for s <= t <= T

    ``t`` is the optimizer's update count (0 for the first update). ``total_steps`` may be set
    after construction (the model does, once ``--epochs`` has been turned into steps); it is
    read when the training step is traced.
    """

    def __init__(self, initial_learning_rate, total_steps, decay_from=0.5):
        self.initial_learning_rate = float(initial_learning_rate)
        self.total_steps = int(total_steps)
        self.decay_from = float(decay_from)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        total = float(self.total_steps)
        start = self.decay_from * total
        fraction = ops.clip((total - step) / max(total - start, 1.0), 0.0, 1.0)
        return self.initial_learning_rate * fraction

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "total_steps": self.total_steps, "decay_from": self.decay_from}


@dataclass
class CycleGANConfig(ImageToImageConfig):
    """CycleGAN settings: the paper's defaults; None fields are resolved from the dataset."""

    dataset: str = field(
        default="fashion_sneakers2boots",
        metadata={"help": "two-domain dataset: fashion_sneakers2boots, cycle_gan/NAME, folder:PATH"},
    )
    n_blocks: int | None = field(
        default=None,
        metadata={"help": "residual blocks in G (default: auto, 9 at 256 px or more, 6 below)", "min": 0},
    )
    lambda_cycle: float = field(default=10.0, metadata={"help": "weight lambda of the cycle loss", "min": 0})
    lambda_identity: float = field(
        default=0.5, metadata={"help": "identity-loss weight as a fraction of lambda (0: off)", "min": 0}
    )
    pool_size: int = field(default=50, metadata={"help": "generated images kept for D (0: no pool)", "min": 0})
    decay_from: float = field(
        default=0.5,
        metadata={"help": "fraction of the steps after which the rates decay linearly to 0 (1: never)",
                  "min": 0, "max": 1},
    )
    gan_loss: str = field(
        default="least_squares", metadata={"help": "adversarial loss", "choices": GAN_LOSSES}
    )
    norm: str = field(default="instance", metadata={"help": "normalization in G and D", "choices": layers.NORMS})
    padding: str = field(
        default="reflect", metadata={"help": "padding in G's residual blocks", "choices": ("reflect", "zero")}
    )

    small_filters: ClassVar[tuple[int, int]] = (16, 32)  # G, D at 64 px or less: CPU speed

    def resolve_auto(self):
        super().resolve_auto()
        if self.n_blocks is None:
            self.n_blocks = 9 if self.image_size >= 256 else 6
        return self

    def check(self):
        super().check()
        if self.image_size % 4 or self.image_size < 8:
            raise ConfigError(
                f"--image-size must be a multiple of 4 and >= 8 (G halves it twice). Received: {self.image_size}"
            )


def _norm_relu(x, norm, label):
    norm_layer = layers.normalization(norm, name=f"{label}_norm")
    x = norm_layer(x) if norm_layer is not None else x
    return keras.layers.ReLU(name=f"{label}_relu")(x)


def c7s1(x, filters, norm, label="c7s1"):
    """c7s1-k (CycleGAN, section 7.2): 7x7 convolution with stride 1 after reflection padding by 3,
    then norm and ReLU. Biases unless batch norm follows (the authors' rule)."""
    x = layers.ReflectionPadding2D(3, name=f"{label}_pad")(x)
    x = keras.layers.Conv2D(filters, 7, use_bias=norm != "batch", kernel_initializer=layers.conv_init(),
                            name=label)(x)
    return _norm_relu(x, norm, label)


def down(x, filters, norm, label):
    """dk: 3x3 convolution with stride 2 after zero padding by 1 (as the authors' code; Keras'
    ``"same"`` would pad only on the bottom and right), norm, ReLU."""
    x = keras.layers.ZeroPadding2D(1, name=f"{label}_pad")(x)
    x = keras.layers.Conv2D(filters, 3, strides=2, use_bias=norm != "batch",
                            kernel_initializer=layers.conv_init(), name=label)(x)
    return _norm_relu(x, norm, label)


def up(x, filters, norm, label):
    """uk: 3x3 transposed convolution with stride 2 (doubles the size), norm, ReLU."""
    x = keras.layers.Conv2DTranspose(filters, 3, strides=2, padding="same", use_bias=norm != "batch",
                                     kernel_initializer=layers.conv_init(), name=label)(x)
    return _norm_relu(x, norm, label)


def image_output(x, channels):
    """The last layer: c7s1-channels without norm, tanh, so images land in [-1, 1]."""
    x = layers.ReflectionPadding2D(3, name="output_pad")(x)
    return keras.layers.Conv2D(channels, 7, activation="tanh", kernel_initializer=layers.conv_init(),
                               name="output")(x)


def resnet_generator(image_size, channels, ngf=64, n_blocks=9, norm="instance", padding="reflect",
                     name="generator", downsamplings=2):
    """CycleGAN's generator (paper, section 7.2; after Johnson et al. 2016), a functional model:

    c7s1-ngf, d(2 ngf), d(4 ngf), R(4 ngf) x n_blocks, u(2 ngf), u(ngf), c7s1-channels, tanh.

    ``downsamplings`` stride-2 steps (2: CycleGAN's; pix2pixHD's global generator uses 4 at
    1024x512, :mod:`tfgan.models.pix2pixhd`), each doubling the filters. Fully convolutional: any
    height and width divisible by ``2^downsamplings`` works at inference.
    """
    del image_size  # fully convolutional: the size only matters to the data pipeline
    inputs = keras.Input((None, None, channels), name="source")
    x = c7s1(inputs, ngf, norm)
    for i in range(downsamplings):  # d128, d256
        x = down(x, ngf * 2 ** (i + 1), norm, f"d{i + 1}")
    for i in range(n_blocks):  # R256 x n_blocks
        x = layers.ResidualBlock(norm=norm, padding=padding, name=f"res{i + 1}")(x)
    for i in range(downsamplings):  # u128, u64
        x = up(x, ngf * 2 ** (downsamplings - 1 - i), norm, f"u{i + 1}")
    return keras.Model(inputs, image_output(x, channels), name=name)


class CycleGAN(ImageToImageModel):
    """CycleGAN: G: X -> Y and F: Y -> X with PatchGAN adversaries D_Y and D_X, cycle and
    identity losses, history pools and a linearly decaying learning rate."""

    config_class = CycleGANConfig
    tracker_names = ("g_loss", "d_x_loss", "d_y_loss", "gan_g", "gan_f", "cycle_loss", "identity_loss", "lr")
    paired_data = False

    def __init__(self, config=None, **kwargs):
        super().__init__(config, **kwargs)
        cfg = self.config
        shape = self.image_shape

        def generator(name):
            return resnet_generator(cfg.image_size, cfg.channels, cfg.ngf, cfg.n_blocks, cfg.norm,
                                    cfg.padding, name=name)

        self.g = generator("generator_g")  # G: X -> Y
        self.f = generator("generator_f")  # F: Y -> X
        self.d_x = patchgan_discriminator(shape, cfg.ndf, cfg.patch_size, cfg.norm, name="discriminator_x")
        self.d_y = patchgan_discriminator(shape, cfg.ndf, cfg.patch_size, cfg.norm, name="discriminator_y")
        seed = cfg.seed % (2**31 - 2)
        self.pool_x = layers.HistoryPool(cfg.pool_size, seed=seed, name="pool_x")  # old F(y)
        self.pool_y = layers.HistoryPool(cfg.pool_size, seed=seed + 1, name="pool_y")  # old G(x)
        self.pool_x.build((None, *shape))
        self.pool_y.build((None, *shape))
        self.schedule_steps = cfg.steps  # what the learning rates decay over (set_total_steps)
        self.lr_schedules = []  # the LinearDecay of each optimizer, made by compile

    # -- Keras plumbing: four networks, four optimizers ---------------------------------------------
    optimizer_networks = {
        "g_optimizer": ("generator_g", "g_lr"),
        "f_optimizer": ("generator_f", "g_lr"),
        "d_x_optimizer": ("discriminator_x", "d_lr"),
        "d_y_optimizer": ("discriminator_y", "d_lr"),
    }

    def learning_rate_schedule(self, learning_rate):
        """A :class:`LinearDecay` over ``schedule_steps`` (``config.steps`` until
        :meth:`set_total_steps`); kept so that :meth:`set_total_steps` can stretch it."""
        schedule = LinearDecay(learning_rate, self.schedule_steps, self.config.decay_from)
        self.lr_schedules.append(schedule)
        return schedule

    def networks(self):
        return {"generator_g": self.g, "generator_f": self.f,
                "discriminator_x": self.d_x, "discriminator_y": self.d_y}

    def checkpoint_items(self):
        """Networks, optimizers and both history pools (their images, fill counts, random state)."""
        return {**self.networks(), **self.optimizers(), "pool_x": self.pool_x, "pool_y": self.pool_y}

    def set_total_steps(self, total_steps):
        """Stretch the learning-rate schedules over ``total_steps`` (before training starts: the
        compiled step reads ``total_steps`` when it is traced)."""
        self.schedule_steps = int(total_steps)
        for schedule in self.lr_schedules:
            schedule.total_steps = self.schedule_steps

    def on_examples_per_epoch(self, examples):
        self.set_total_steps(total_steps(self.config, examples, self.images_per_step))

    def call(self, inputs, training=False):
        return self.g(inputs, training=training)

    # -- training --------------------------------------------------------------------------------
    def train_step(self, data):
        real_x, real_y = data
        cfg = self.config
        lambda_identity = cfg.lambda_identity * cfg.lambda_cycle
        with tf.GradientTape(persistent=True) as tape:
            fake_y = self.g(real_x, training=True)  # G(x)
            rec_x = self.f(fake_y, training=True)  # F(G(x))
            fake_x = self.f(real_y, training=True)  # F(y)
            rec_y = self.g(fake_x, training=True)  # G(F(y))
            gan_g = self.g_loss_fn(self.d_y(fake_y, training=True))  # L_GAN(G, D_Y, X, Y)
            gan_f = self.g_loss_fn(self.d_x(fake_x, training=True))  # L_GAN(F, D_X, Y, X)
            cycle = losses.cycle_consistency_loss(real_x, rec_x, real_y, rec_y)  # L_cyc(G, F)
            if lambda_identity > 0:
                identity = losses.identity_loss(
                    real_x, self.f(real_x, training=True), real_y, self.g(real_y, training=True)
                )  # ||F(x) - x|| + ||G(y) - y||
            else:
                identity = tf.constant(0.0)
            # lectures/09_cyclegan.md, Eqs. (2) and (3): the full objective plus the identity term
            g_loss = gan_g + gan_f + cfg.lambda_cycle * cycle + lambda_identity * identity
        self.optimizer_step(tape, g_loss, self.g, self.g_optimizer)
        self.optimizer_step(tape, g_loss, self.f, self.f_optimizer)
        del tape

        pooled_y = self.pool_y(fake_y, training=True)  # a mix of this step's G(x) and older ones
        pooled_x = self.pool_x(fake_x, training=True)
        d_losses = {}
        for name, d, optimizer, real, fake in (
            ("d_y_loss", self.d_y, self.d_y_optimizer, real_y, pooled_y),
            ("d_x_loss", self.d_x, self.d_x_optimizer, real_x, pooled_x),
        ):
            with tf.GradientTape() as d_tape:
                d_losses[name] = 0.5 * self.d_loss_fn(d(real, training=True), d(fake, training=True))
            self.optimizer_step(d_tape, d_losses[name], d, optimizer)
        return self.track(
            g_loss=g_loss, gan_g=gan_g, gan_f=gan_f, cycle_loss=cycle, identity_loss=identity,
            lr=self.g_optimizer.learning_rate, **d_losses,
        )

    # -- inference and evaluation -----------------------------------------------------------------
    def translate(self, images, direction=None, training=False):
        """G(x) for ``direction`` ``"a2b"`` (the default), F(y) for ``"b2a"``; images in [-1, 1]."""
        direction = direction or "a2b"
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be 'a2b' or 'b2a'. Received: direction={direction!r}")
        network = self.g if direction == "a2b" else self.f
        return network(tf.convert_to_tensor(images, tf.float32), training=training)

    def preview_rows(self, source, target):
        fake_y, fake_x = self.translate(source), self.translate(target, "b2a")
        # x | G(x) | F(G(x)) | y | F(y) | G(F(y))
        return [source, fake_y, self.translate(fake_y, "b2a"), target, fake_x, self.translate(fake_x)]

    def evaluation(self, num=None, classifier=None):
        """Held-out metrics on the first ``num`` (None: all) test images of each domain:

        * ``cycle_l1_a``, ``cycle_l1_b``: mean |F(G(x)) - x| and |G(F(y)) - y| in [-1, 1] units;
        * with a classifier (the footwear classifier on the Fashion-MNIST tasks, or
          ``classifier``): ``fd_a2b``, the Fréchet distance between its features of G(x) and of
          real y, ``fd_b2a`` likewise for F(y) against x, and ``fd_a_vs_b`` between x and y
          themselves (what a translator that does nothing would score); ``a2b_target_class``
          and ``b2a_target_class``, the fraction of translations given the class that the
          classifier gives most real images of the target domain.
        """
        real_x, real_y = self.held_out(num)
        fake_y, fake_x = self.translate_batched(real_x, "a2b"), self.translate_batched(real_y, "b2a")
        rec_x, rec_y = self.translate_batched(fake_y, "b2a"), self.translate_batched(fake_x, "a2b")
        results = {
            "examples": float(len(real_x)),
            "cycle_l1_a": float(np.mean(np.abs(rec_x - real_x))),
            "cycle_l1_b": float(np.mean(np.abs(rec_y - real_y))),
        }
        judge = fashion_evaluation_classifier(self.config, classifier)
        if judge is not None and len(real_x) > 1:
            features = {}  # name -> (penultimate features, predicted classes)
            for name, images in (("x", real_x), ("y", real_y), ("gx", fake_y), ("fy", fake_x)):
                logits, feats = backbones.logits_and_features(judge, images)
                features[name] = (feats, logits.argmax(1))
            results["fd_a2b"] = metrics.frechet_distance(features["gx"][0], features["y"][0])
            results["fd_b2a"] = metrics.frechet_distance(features["fy"][0], features["x"][0])
            results["fd_a_vs_b"] = metrics.frechet_distance(features["x"][0], features["y"][0])
            class_y = np.bincount(features["y"][1]).argmax()
            class_x = np.bincount(features["x"][1]).argmax()
            results["a2b_target_class"] = float(np.mean(features["gx"][1] == class_y))
            results["b2a_target_class"] = float(np.mean(features["fy"][1] == class_x))
        return results
