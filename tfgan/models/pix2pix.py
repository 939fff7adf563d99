"""pix2pix: image-to-image translation with a conditional GAN, from paired examples.

Isola, Zhu, Zhou and Efros 2017, "Image-to-Image Translation with Conditional Adversarial
Networks", CVPR, https://arxiv.org/abs/1611.07004. Lecture: ``lectures/08_image_to_image.md``
(sections 1-3); notebook: ``notebooks/08_pix2pix.ipynb``.

The generator maps an input image x to an output image; the discriminator sees the input
*together with* an image (the real target y, or the generator's output) and says, for every
patch, whether the pair is real. The generator minimizes the conditional GAN loss plus lambda
times the L1 distance to the target (lectures/08_image_to_image.md, Eq. (3); the paper's eq. 4).

Paper -> code:

=========================  ========================================================================
x (input), y (target)      the ``(source, target)`` batches of ``tfgan.data.load_translation``
G(x, z)                    ``self.generator``: U-Net (:func:`unet_generator`); z is its dropout
D(x, y)                    ``self.discriminator(concat([x, y]))``: a PatchGAN logit map
L_cGAN(G, D), paper eq. 1  ``tfgan.losses.discriminator_loss`` (D, halved) and
                           ``non_saturating_generator_loss`` (G) on every patch's logit
L_L1(G), paper eq. 3       ``tfgan.losses.l1_reconstruction_loss``
lambda = 100               ``config.lambda_l1``
Adam 2e-4, beta_1 0.5      ``config.g_lr``, ``d_lr``, ``beta1`` (the defaults)
=========================  ========================================================================

Architecture (paper, section 6.1): encoder C64-C128-C256-C512-C512-C512-C512-C512, 4x4
convolutions with stride 2, batch norm except on C64, LeakyReLU(0.2); decoder mirrors it with
transposed convolutions, ReLU, dropout 0.5 on the first three layers, and skip connections that
concatenate encoder layer i with decoder layer n - i; a last transposed convolution and tanh give
the image. The 70x70 PatchGAN is C64-C128-C256-C512 followed by a 1-channel convolution.

Where the code departs from the paper, and why:

* Biases and the innermost layer follow the authors' code (junyanz/pytorch-CycleGAN-and-pix2pix):
  convolutions before batch norm carry no bias (nor does the first one), and the 1x1 bottleneck
  is not normalized (a single value per channel would be normalized to zero). The parameter
  counts then equal the reference implementation's (54,413,955 for the 256x256 U-Net,
  2,768,705 for the 70x70 PatchGAN on 6 channels).
* Dropout sits on the first three decoder layers as the paper's text says ("CD512-CD1024-
  CD1024"); the authors' code applies it one layer later. Skips carry the encoder's activated
  outputs (the paper's Ck = Convolution-BatchNorm-ReLU order); the code concatenates them before
  the LeakyReLU.
* At test time the paper keeps dropout on and normalizes with the test batch's statistics.
  ``translate`` uses the moving averages and no dropout by default, so a translation is
  deterministic; ``translate(x, training=True)`` is the paper's behaviour.
* The G step runs after the D step of the same iteration, through the updated D, as in the
  authors' code (the paper alternates one D step and one G step).
* Sizes: the U-Net halves the image down to 1x1 (``levels``: 8 at 256 px, 5 at 32 px), and the
  offline 32x32 tasks use batch 16 and 32 first-layer filters instead of batch 1 and 64 (CPU
  speed; see :mod:`tfgan.models.image_to_image`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import tensorflow as tf

from tfgan import layers, losses
from tfgan.errors import ConfigError
from tfgan.models.image_to_image import (
    GAN_LOSSES, ImageToImageConfig, ImageToImageModel, paired_evaluation, patchgan_layers,
)

DIRECTIONS = ("a2b", "b2a")


def max_levels(image_size, limit=8):
    """U-Net depth that halves ``image_size`` down to an odd size or 1, at most ``limit``
    (8 for 256, the paper's U-Net; 5 for 32)."""
    levels = 0
    while image_size % 2 == 0 and image_size > 1 and levels < limit:
        image_size //= 2
        levels += 1
    return levels


@dataclass
class Pix2PixConfig(ImageToImageConfig):
    """pix2pix settings: the paper's defaults; None fields are resolved from the dataset."""

    dataset: str = field(
        default="fashion_edges2shoes",
        metadata={"help": "paired dataset: fashion_edges2shoes, or folder:PATH with A|B images"},
    )
    direction: str = field(
        default="a2b", metadata={"help": "translate A to B (a2b) or B to A (b2a)", "choices": DIRECTIONS}
    )
    lambda_l1: float = field(default=100.0, metadata={"help": "weight lambda of the L1 loss", "min": 0})
    gan_weight: float = field(
        default=1.0,
        metadata={"help": "weight of the cGAN loss for G (0: L1 alone, the paper's ablation)", "min": 0},
    )
    gan_loss: str = field(
        default="non_saturating", metadata={"help": "adversarial loss", "choices": GAN_LOSSES}
    )
    norm: str = field(default="batch", metadata={"help": "normalization in G and D", "choices": layers.NORMS})
    levels: int | None = field(
        default=None, metadata={"help": "U-Net down-sampling steps (default: auto, down to 1x1, at most 8)"}
    )
    skip_connections: bool = field(
        default=True, metadata={"help": "U-Net skips (--no-skip-connections: plain encoder-decoder)"}
    )
    dropout: float = field(
        default=0.5,
        metadata={"help": "dropout rate of the first three decoder layers", "min": 0, "max": 1, "max_exclusive": True},
    )

    def resolve_auto(self):
        super().resolve_auto()
        if self.levels is None:
            self.levels = max(1, max_levels(self.image_size))
        return self

    def check(self):
        super().check()
        if self.levels < 1 or self.image_size % 2**self.levels:
            raise ConfigError(
                f"--levels {self.levels} needs an image size divisible by 2^{self.levels}. Received: "
                f"--image-size {self.image_size}; the largest depth for it is {max_levels(self.image_size)}"
            )


def unet_generator(image_size, in_channels, out_channels, ngf=64, levels=None, norm="batch",
                   dropout=0.5, skip_connections=True, name="generator"):
    """pix2pix's U-Net (paper, section 6.1.1 and Figure 3), as a functional Keras model.

    Encoder level i has ``min(ngf * 2^i, 8 ngf)`` filters; decoder step k mirrors level
    ``levels - 2 - k`` and, with ``skip_connections``, concatenates that level's output
    (lectures/08_image_to_image.md, Eq. (4)). ``levels`` defaults to halving the image down to 1x1
    (8 at 256 px: the paper's network). Without skips it is the encoder-decoder of the paper's
    Figure 3 (left). ``image_size`` sets the default depth; the model itself is fully convolutional
    and takes any height and width divisible by ``2^levels``.
    """
    levels = levels or max(1, max_levels(image_size))
    if image_size % 2**levels:
        raise ValueError(f"image_size must be divisible by 2^levels. Received: image_size={image_size}, levels={levels}")
    filters = [min(ngf * 2**i, ngf * 8) for i in range(levels)]
    inputs = keras.Input((None, None, in_channels), name="source")  # any size divisible by 2^levels
    x, skips = inputs, []
    for i, f in enumerate(filters):
        ends = i == 0 or i == levels - 1  # C64 and the 1x1 bottleneck: not normalized
        x = layers.UNetDown(f, norm="none" if ends else norm,
                            use_bias=(norm != "batch") if ends else None, name=f"down{i + 1}")(x)
        skips.append(x)
    for k, i in enumerate(reversed(range(levels - 1))):
        x = layers.UNetUp(filters[i], norm=norm, dropout=dropout if k < 3 else 0.0,
                          name=f"up{k + 1}")(x, skips[i] if skip_connections else None)
    outputs = keras.layers.Conv2DTranspose(
        out_channels, 4, strides=2, padding="same", activation="tanh",
        kernel_initializer=layers.conv_init(), name="output",
    )(x)
    return keras.Model(inputs, outputs, name=name)


def patchgan_discriminator(input_shape, ndf=64, patch_size=70, norm="batch", name="discriminator"):
    """The PatchGAN of pix2pix (section 3.2.2 and 6.1.2), also CycleGAN's discriminator.

    It outputs a map of logits, one per overlapping patch of ``patch_size`` x ``patch_size`` input
    pixels, instead of one logit per image: D judges local texture and the L1 loss takes care of the
    low frequencies. With n stride-2 layers (4x4 kernels), then one stride-1 layer and the 1-channel
    stride-1 output layer, the receptive field (lectures/08_image_to_image.md, Eq. (6);
    :func:`tfgan.layers.receptive_field`) is 16, 34, 70, 142, 286 for n = 1..5; ``patch_size=1`` is
    the PixelGAN of 1x1 convolutions. Filters double per layer up to 8 ndf; zero padding 1 before
    every 4x4 convolution, as in the authors' ``NLayerDiscriminator``.
    """
    n = patchgan_layers(patch_size)
    use_bias = norm != "batch"

    def conv(filters, kernel, stride, bias):
        return keras.layers.Conv2D(filters, kernel, strides=stride, use_bias=bias,
                                   kernel_initializer=layers.conv_init())

    def block(filters, kernel, stride, normalize):
        norm_layer = layers.normalization(norm) if normalize else None
        return ([conv(filters, kernel, stride, use_bias if normalize else True)]
                + ([norm_layer] if norm_layer is not None else []) + [keras.layers.LeakyReLU(0.2)])

    stack = [keras.Input(tuple(input_shape))]
    if n == 0:
        stack += block(ndf, 1, 1, False) + block(ndf * 2, 1, 1, True) + [conv(1, 1, 1, use_bias)]
    else:
        pad = keras.layers.ZeroPadding2D
        stack += [pad(1)] + block(ndf, 4, 2, False)
        for i in range(1, n):
            stack += [pad(1)] + block(ndf * min(2**i, 8), 4, 2, True)
        stack += [pad(1)] + block(ndf * min(2**n, 8), 4, 1, True)
        stack += [pad(1), conv(1, 4, 1, True)]  # one logit per patch
    return keras.Sequential(stack, name=name)


class Pix2Pix(ImageToImageModel):
    """pix2pix: U-Net generator, PatchGAN discriminator on (input, image) pairs, cGAN + lambda L1.

    ``train_step`` takes ``(source, target)`` batches: one D step on the real pair and the
    generated pair (its loss halved, as in the paper), then one G step through the updated D.
    """

    config_class = Pix2PixConfig
    tracker_names = ("d_loss", "g_loss", "g_gan", "g_l1", "d_real", "d_fake")
    paired_data = True

    def __init__(self, config=None, generator=None, discriminator=None, **kwargs):
        super().__init__(config, **kwargs)
        cfg = self.config
        self.generator = generator or unet_generator(
            cfg.image_size, cfg.channels, cfg.channels, ngf=cfg.ngf, levels=cfg.levels, norm=cfg.norm,
            dropout=cfg.dropout, skip_connections=cfg.skip_connections,
        )
        self.discriminator = discriminator or patchgan_discriminator(
            (cfg.image_size, cfg.image_size, 2 * cfg.channels), cfg.ndf, cfg.patch_size, cfg.norm,
        )

    @property
    def data_direction(self):
        return self.config.direction

    def _score(self, logits):
        """Mean D output for the logs: probability for the log loss, raw score for least squares."""
        return tf.reduce_mean(tf.sigmoid(logits) if self.config.gan_loss == "non_saturating" else logits)

    def discriminator_step(self, source, target, fake):
        """One step on L_cGAN for D, halved: real pairs (x, y) against (x, G(x, z)).

        lectures/08_image_to_image.md, Eq. (1).
        """
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(tf.concat([source, target], -1), training=True)  # D(x, y)
            fake_logits = self.discriminator(tf.concat([source, fake], -1), training=True)  # D(x, G(x, z))
            d_loss = 0.5 * self.d_loss_fn(real_logits, fake_logits)
        self.optimizer_step(tape, d_loss, self.discriminator, self.d_optimizer)
        return d_loss, real_logits, fake_logits

    def train_step(self, data):
        source, target = data
        cfg = self.config
        with tf.GradientTape() as g_tape:
            fake = self.generator(source, training=True)  # G(x, z): z is the dropout
            with g_tape.stop_recording():
                d_loss, real_logits, fake_logits = self.discriminator_step(source, target, fake)
            g_gan = self.g_loss_fn(self.discriminator(tf.concat([source, fake], -1), training=True))
            g_l1 = losses.l1_reconstruction_loss(target, fake)  # ||y - G(x, z)||_1
            # lectures/08_image_to_image.md, Eq. (3)
            g_loss = cfg.gan_weight * g_gan + cfg.lambda_l1 * g_l1
        self.optimizer_step(g_tape, g_loss, self.generator, self.g_optimizer)
        return self.track(
            d_loss=d_loss, g_loss=g_loss, g_gan=g_gan, g_l1=g_l1,
            d_real=self._score(real_logits), d_fake=self._score(fake_logits),
        )

    # -- inference and evaluation -----------------------------------------------------------------
    def translate(self, images, direction=None, training=False):
        """G(x) for images in [-1, 1]. pix2pix learns one direction: ``direction`` may only
        repeat the trained one. ``training=True`` keeps dropout and batch statistics (the
        paper's test-time setting)."""
        if direction is not None and direction != self.config.direction:
            raise ValueError(
                f"This pix2pix model translates {self.config.direction} only (it was trained with "
                f"--direction {self.config.direction}). Received: direction={direction!r}"
            )
        return self.generator(tf.convert_to_tensor(images, tf.float32), training=training)

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def preview_rows(self, source, target):
        return [source, self.translate(source), target]  # input | output | target

    def evaluation(self, num=None, classifier=None):
        """Held-out metrics of G(x) against y without dropout: :func:`paired_evaluation`."""
        return paired_evaluation(self, num, classifier)
