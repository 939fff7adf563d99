"""pix2pixHD: paired translation with multi-scale discriminators and a coarse-to-fine generator.

Wang, Liu, Zhu, Tao, Kautz and Catanzaro 2018, "High-Resolution Image Synthesis and Semantic
Manipulation with Conditional GANs", CVPR, https://arxiv.org/abs/1711.11585. Lecture:
``lectures/15_pix2pixhd.md``; notebook: ``notebooks/15_pix2pixhd.ipynb``. It builds on pix2pix
(:mod:`tfgan.models.pix2pix`, lecture 08): same paired data, same conditional discriminators on
(input, image) pairs, and three changes that let it scale to 2048x1024 images.

Paper -> code:

==============================  =================================================================
s (input), x (target)           the ``(source, target)`` batches of ``tfgan.data.load_translation``
G1, the global generator        ``self.global_generator``: :func:`tfgan.models.cyclegan.resnet_generator`
                                with more downsamplings, on the input downsampled by 2
G2, the local enhancer          ``self.local_enhancer`` (:func:`local_enhancer`): front end G2^F,
                                sum with G1's last feature map, residual blocks, back end G2^B
D1, D2, D3                      ``self.discriminator`` (:class:`MultiscaleDiscriminator`): one
                                PatchGAN per scale 1, 1/2, 1/4 (:func:`downsample`, paper eq. 3)
L_GAN, LSGAN (section 4)        ``tfgan.losses.least_squares_*`` per D, summed over k; D's halved
L_FM(G, D_k), paper eq. 4       ``tfgan.losses.multiscale_feature_matching_loss``, lambda = 10
VGG loss (section 3.2)          ``tfgan.losses.feature_l1_loss`` with ``VGG_LAYER_WEIGHTS``, lambda = 10
full objective, paper eq. 5     ``g_loss`` in :meth:`Pix2PixHD.joint_step`
coarse first, then jointly      ``config.coarse_fraction``: the first steps train G1 alone at half
                                resolution (:meth:`Pix2PixHD.coarse_step`), then G1 + G2
Adam 2e-4, beta_1 0.5           ``config.g_lr``, ``d_lr``, ``beta1`` (the defaults)
==============================  =================================================================

Architecture (paper, section 3.2 and appendix; the authors' code for the sizes): G1 is c7s1-64,
d128, d256, d512, d1024, R1024 x 9, u512, u256, u128, u64, c7s1-3 on 1024x512; G2 is c7s1-32,
d64, (+ G1's u64 output), R64 x 3, u32, c7s1-3 on 2048x1024. Each D is the 70x70 PatchGAN of
pix2pix (C64-C128-C256-C512 and a 1-channel convolution) with instance norm, and returns the
outputs of its four hidden layers for feature matching besides the logits. The D inputs at scales
1/2 and 1/4 are average-pooled (3x3, stride 2, padding 1 not counted), as in the authors' code.

Where the code departs from the paper, and why:

* Coarse to fine. The paper trains G1 (at 1024x512), then G2 with G1 fixed for some epochs, then
  fine-tunes both. Here one run does two phases: ``coarse_fraction`` of the steps train G1 alone
  on the half-resolution pairs (the discriminators see half, quarter and eighth resolution), the
  rest train G1 and G2 together at full resolution; there is no phase with G1 frozen.
* Sizes: the offline Fashion-MNIST edges-to-shoes task is 32x32; it is upsampled to 64 (the
  default ``--image-size`` of small datasets is twice their native size, so G1 works at the
  native resolution and G2 adds the upsampled level). At 64 px the defaults are 16 first-layer
  filters in G2 (32 in G1), 2 downsamplings and 4 residual blocks in G1, and 32 filters in D
  (the paper: 32/64, 4, 9 and 64), for CPU speed. At 256 px and above they are the paper's.
* The PatchGANs pad by 2 before each 4x4 convolution, as the authors' ``NLayerDiscriminator`` (pix2pix
  pads by 1): the logit maps are larger, and even the coarsest D of a small image has some.
* VGG: the offline default ``--vgg-weights hed`` is a VGG16 (``tfgan.backbones``); its first
  convolution of each block (block1_conv1 ... block5_conv1 after their ReLU) stands for VGG19's
  relu1_1 ... relu5_1. Grey images are repeated into the three RGB channels.
* The instance-feature encoder and the label-map boundaries of the paper's section 3.3-3.4 (for
  semantic label maps) are left out: the inputs here are images, not instance maps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import keras
import tensorflow as tf

from tfgan import backbones, layers, losses
from tfgan.errors import ConfigError, RunError
from tfgan.models.cyclegan import c7s1, down, image_output, resnet_generator, up
from tfgan.models.fast_style import PRECISIONS as VGG_PRECISIONS
from tfgan.models.image_to_image import (
    GAN_LOSSES, ImageToImageConfig, ImageToImageModel, dataset_shape, paired_evaluation, patchgan_layers,
)
from tfgan.models.pix2pix import DIRECTIONS

#: The VGG16 layers of the perceptual loss (relu_b_1 of each block), in network order.
VGG_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")


@dataclass
class Pix2PixHDConfig(ImageToImageConfig):
    """pix2pixHD settings; None fields are resolved from the dataset (see the module docstring)."""

    dataset: str = field(
        default="fashion_edges2shoes",
        metadata={"help": "paired dataset: fashion_edges2shoes, or folder:PATH with A|B images"},
    )
    image_size: int | None = field(
        default=None,
        metadata={"help": "side of the training images (default: auto, twice the native size of "
                          "images under 128 px, e.g. 64 for the Fashion-MNIST tasks, else 256)", "min": 1},
    )
    direction: str = field(
        default="a2b", metadata={"help": "translate A to B (a2b) or B to A (b2a)", "choices": DIRECTIONS}
    )
    gan_loss: str = field(
        default="least_squares", metadata={"help": "adversarial loss (paper: LSGAN)", "choices": GAN_LOSSES}
    )
    num_d: int = field(default=3, metadata={"help": "discriminators, at scales 1, 1/2, 1/4, ...", "min": 1, "max": 4})
    lambda_fm: float = field(default=10.0, metadata={"help": "weight of the feature-matching loss", "min": 0})
    lambda_vgg: float = field(
        default=10.0, metadata={"help": "weight of the VGG perceptual loss (0: off, pix2pixHD without VGG)", "min": 0}
    )
    vgg_weights: str = field(
        default="hed",
        metadata={"help": "VGG16 weights of the perceptual loss: hed (offline), imagenet, a .weights.h5 "
                          "path, or none (random: tests)"},
    )
    vgg_precision: str = field(
        default="auto",
        metadata={"help": "compute precision of the VGG (auto: bfloat16 where the CPU has it)",
                  "choices": VGG_PRECISIONS},
    )
    global_downsamplings: int | None = field(
        default=None,
        metadata={"help": "stride-2 steps in G1 (default: auto, down to 8x8 at G1's half resolution, "
                          "at most 4 as the paper)", "min": 1},
    )
    global_blocks: int | None = field(
        default=None, metadata={"help": "residual blocks in G1 (default: auto, 9 at 256 px or more, 4 below)",
                                "min": 0},
    )
    local_blocks: int = field(default=3, metadata={"help": "residual blocks in G2 (paper: 3)", "min": 0})
    coarse_fraction: float = field(
        default=0.5,
        metadata={"help": "fraction of the steps that train G1 alone at half resolution before G1 and G2 "
                          "train together (0: joint from the start, 1: G1 only)", "min": 0, "max": 1},
    )
    norm: str = field(default="instance", metadata={"help": "normalization in G and D", "choices": layers.NORMS})

    small_filters: ClassVar[tuple[int, int]] = (16, 32)  # G2 (G1 has twice), D at 64 px or less

    def resolve_auto(self):
        if self.image_size is None:
            native = dataset_shape(self.dataset) or (256, 256, 3)
            self.image_size = 2 * int(native[0]) if native[0] < 128 else 256
        super().resolve_auto()
        if self.global_downsamplings is None:
            self.global_downsamplings = max(1, min(4, int(math.log2(max(self.image_size // 2, 1))) - 3))
        if self.global_blocks is None:
            self.global_blocks = 9 if self.image_size >= 256 else 4
        return self

    def check(self):
        super().check()
        if patchgan_layers(self.patch_size) == 0:
            raise ConfigError("--patch-size 1 (a PixelGAN) has no hidden layers to match; pass 16, 34, 70, 142 or 286")
        multiple = 2 ** (self.global_downsamplings + 1)
        if self.image_size % multiple:
            raise ConfigError(
                f"--image-size must be a multiple of {multiple}: G2 halves it for G1, which halves it "
                f"{self.global_downsamplings} more times (--global-downsamplings). Received: {self.image_size}"
            )
        if self.lambda_vgg > 0 and self.image_size // 2 < backbones.min_input_size(VGG_LAYERS):
            raise ConfigError(
                f"The VGG loss reads block5_conv1, which needs images of at least "
                f"{backbones.min_input_size(VGG_LAYERS)} px at half resolution. Received: --image-size "
                f"{self.image_size}; pass a larger one or --lambda-vgg 0"
            )


# -- networks ------------------------------------------------------------------------------------
def downsample(images):
    """Halve the resolution: 3x3 average pooling with stride 2 and padding 1, the padding not
    counted in the average (PyTorch's ``AvgPool2d(3, 2, 1, count_include_pad=False)``, the
    authors' choice; lectures/15_pix2pixhd.md, Eq. (4)). An H x W image gives ceil(H/2) x ceil(W/2)."""
    images = tf.convert_to_tensor(images)
    pad = [[0, 0], [1, 1], [1, 1], [0, 0]]
    sums = tf.nn.avg_pool2d(tf.pad(images, pad), 3, 2, "VALID")
    counts = tf.nn.avg_pool2d(tf.pad(tf.ones_like(images[..., :1]), pad), 3, 2, "VALID")
    return sums / counts


@keras.saving.register_keras_serializable(package="tfgan")
class Downsample(keras.layers.Layer):
    """:func:`downsample` as a layer (inside the functional generator)."""

    def call(self, inputs):
        return downsample(inputs)

    def compute_output_shape(self, input_shape):
        half = [None if d is None else (d + 1) // 2 for d in input_shape[1:3]]
        return (input_shape[0], *half, input_shape[3])


def nlayer_discriminator(channels, ndf=64, n_layers=3, norm="instance", name="discriminator"):
    """One PatchGAN of pix2pixHD, a functional model returning ``[h_1, ..., h_T, logits]``: the
    outputs of its ``T = n_layers + 1`` hidden layers (for feature matching) and the logit map.

    Layers (the authors' ``NLayerDiscriminator`` with ``getIntermFeat``): C(ndf) without norm, then
    ``n_layers - 1`` more stride-2 4x4 convolutions doubling the filters (at most 8 ndf), one
    stride-1 convolution, each with norm and LeakyReLU(0.2), and a 1-channel stride-1 convolution.
    Every 4x4 convolution pads by 2. The receptive field is pix2pix's: 70 for ``n_layers = 3``.
    """
    inputs = keras.Input((None, None, channels), name="pair")
    x, outputs = inputs, []
    for i in range(n_layers + 1):
        stride = 2 if i < n_layers else 1
        x = keras.layers.ZeroPadding2D(2, name=f"h{i + 1}_pad")(x)
        x = keras.layers.Conv2D(ndf * min(2**i, 8), 4, strides=stride, use_bias=norm != "batch" or i == 0,
                                kernel_initializer=layers.conv_init(), name=f"h{i + 1}")(x)
        norm_layer = layers.normalization(norm, name=f"h{i + 1}_norm") if i > 0 else None
        x = norm_layer(x) if norm_layer is not None else x
        x = keras.layers.LeakyReLU(0.2, name=f"h{i + 1}_lrelu")(x)
        outputs.append(x)
    x = keras.layers.ZeroPadding2D(2, name="logits_pad")(x)
    outputs.append(keras.layers.Conv2D(1, 4, kernel_initializer=layers.conv_init(), name="logits")(x))
    return keras.Model(inputs, outputs, name=name)


class MultiscaleDiscriminator(keras.Model):
    """K PatchGANs of the same architecture on the pair at scales 1, 1/2, ..., 1/2^(K-1)
    (lectures/15_pix2pixhd.md, Eq. (2)). ``call`` returns one list per scale: D_k's hidden feature
    maps, then its logits. The coarsest D sees the most of the image (receptive field 70, 141, 283
    input pixels for K = 3: lectures/15_pix2pixhd.md, Eq. (5)); the finest judges texture."""

    def __init__(self, channels, num_d=3, ndf=64, n_layers=3, norm="instance", name="discriminator", **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_d = int(num_d)
        self.scales = [nlayer_discriminator(channels, ndf, n_layers, norm, name=f"d{k + 1}") for k in range(num_d)]

    def scale_inputs(self, pairs):
        """The input of each D_k: ``pairs`` downsampled k times (lectures/15_pix2pixhd.md, Eq. (4))."""
        inputs = [tf.convert_to_tensor(pairs)]
        for _ in range(1, self.num_d):
            inputs.append(downsample(inputs[-1]))
        return inputs

    def call(self, pairs, training=False):
        return [list(d(x, training=training)) for d, x in zip(self.scales, self.scale_inputs(pairs))]


def global_generator(channels, ngf=64, downsamplings=4, n_blocks=9, norm="instance", name="global_generator"):
    """G1 (paper, section 3.2): c7s1-ngf, ``downsamplings`` x d, R x ``n_blocks``, as many u, c7s1,
    tanh: CycleGAN's ResNet generator (:func:`tfgan.models.cyclegan.resnet_generator`) with more
    downsamplings. Trained alone it maps a half-resolution input to a half-resolution image."""
    return resnet_generator(None, channels, ngf, n_blocks, norm, "reflect", name=name, downsamplings=downsamplings)


def global_features(global_gen):
    """G1 without its output layer: its last feature map (u-ngf), which G2 adds to its own."""
    return keras.Model(global_gen.input, global_gen.get_layer("output_pad").input, name="global_features")


def local_enhancer(channels, ngf=32, n_blocks=3, norm="instance", name="local_enhancer"):
    """G2 (paper, section 3.2): front end G2^F = c7s1-ngf, d(2 ngf) on the full-resolution input;
    its output plus G1's last feature map (2 ngf channels at half resolution) goes through the back
    end G2^B = R(2 ngf) x ``n_blocks``, u(ngf), c7s1-channels, tanh
    (lectures/15_pix2pixhd.md, Eq. (9)). Inputs: ``[source, g1_features]``."""
    source = keras.Input((None, None, channels), name="source")
    coarse = keras.Input((None, None, 2 * ngf), name="g1_features")
    x = c7s1(source, ngf, norm)
    x = down(x, 2 * ngf, norm, "d1")
    x = keras.layers.Add(name="add_global")([x, coarse])  # G2^F(s) + G1^F(s down 2)
    for i in range(n_blocks):
        x = layers.ResidualBlock(norm=norm, padding="reflect", name=f"res{i + 1}")(x)
    x = up(x, ngf, norm, "u1")
    return keras.Model([source, coarse], image_output(x, channels), name=name)


def coarse_to_fine_generator(global_feats, local_gen, channels, name="generator"):
    """G = {G1, G2}: s -> G2(s, G1^F(downsample(s))), one functional model sharing their weights
    (``global_feats`` is :func:`global_features` of G1)."""
    source = keras.Input((None, None, channels), name="source")
    half = Downsample(name="half")(source)
    return keras.Model(source, local_gen([source, global_feats(half)]), name=name)


class Pix2PixHD(ImageToImageModel):
    """pix2pixHD: G1 + G2 against K multi-scale PatchGANs with LSGAN, feature matching and VGG.

    ``train_step`` takes ``(source, target)`` batches. While the step counter is below
    :attr:`coarse_steps` it runs :meth:`coarse_step` (G1 alone on the pairs at half resolution),
    afterwards :meth:`joint_step` (G1 and G2 at full resolution); each is one D step (all K Ds,
    one optimizer) then one G step through the updated Ds.
    """

    config_class = Pix2PixHDConfig
    tracker_names = ("d_loss", "g_loss", "g_gan", "g_fm", "g_vgg", "d_real", "d_fake", "coarse")
    paired_data = True

    optimizer_networks = {
        "g_optimizer": ("global_generator", "g_lr"),
        "l_optimizer": ("local_enhancer", "g_lr"),
        "d_optimizer": ("discriminator", "d_lr"),
    }

    def __init__(self, config=None, vgg=None, **kwargs):
        super().__init__(config, **kwargs)
        cfg = self.config
        c = cfg.channels
        self.global_generator = global_generator(c, 2 * cfg.ngf, cfg.global_downsamplings, cfg.global_blocks, cfg.norm)
        self.local_enhancer = local_enhancer(c, cfg.ngf, cfg.local_blocks, cfg.norm)
        self.global_features = global_features(self.global_generator)  # G1 without its output layer
        self.generator = coarse_to_fine_generator(self.global_features, self.local_enhancer, c)
        self.discriminator = MultiscaleDiscriminator(2 * c, cfg.num_d, cfg.ndf, patchgan_layers(cfg.patch_size), cfg.norm)
        self.discriminator.build((None, cfg.image_size, cfg.image_size, 2 * c))
        self._vgg = [vgg]  # a list: Keras must not track the frozen VGG as part of the model
        self.coarse_steps = int(round(cfg.coarse_fraction * cfg.steps))

    # -- Keras plumbing ----------------------------------------------------------------------------
    def networks(self):
        return {"global_generator": self.global_generator, "local_enhancer": self.local_enhancer,
                "discriminator": self.discriminator}

    @property
    def data_direction(self):
        return self.config.direction

    def on_examples_per_epoch(self, examples):
        """With ``--epochs`` the step count is known only now: place the phase switch in it."""
        from tfgan.models.base import total_steps

        self.coarse_steps = int(round(self.config.coarse_fraction * total_steps(self.config, examples)))

    # -- the VGG perceptual loss -------------------------------------------------------------------
    @property
    def vgg(self):
        """The frozen VGG16 of the perceptual loss (``tfgan.backbones``), built on first use;
        None when ``lambda_vgg`` is 0. ``RunError`` if its weights are unavailable."""
        cfg = self.config
        if self._vgg[0] is None and cfg.lambda_vgg > 0:
            weights = None if cfg.vgg_weights.lower() in ("none", "random") else cfg.vgg_weights
            try:
                self._vgg[0] = backbones.FeatureExtractor(
                    list(VGG_LAYERS), backbone="vgg16", weights=weights, input_range=(-1.0, 1.0),
                    precision=cfg.vgg_precision)
            except (ValueError, backbones.WeightsUnavailableError) as err:
                raise RunError(str(err)) from None
        return self._vgg[0]

    def vgg_loss(self, target, fake):
        """L_VGG (lectures/15_pix2pixhd.md, Eq. (7)): layer weights 1/32 ... 1 on relu1_1 ... relu5_1."""
        if self.config.lambda_vgg == 0:
            return tf.constant(0.0)
        rgb = tf.concat([target, fake], 0)
        if rgb.shape[-1] == 1:
            rgb = tf.repeat(rgb, 3, axis=-1)  # grey -> RGB
        features = self.vgg(rgb)
        real, fake = zip(*(tf.split(features[name], 2, axis=0) for name in VGG_LAYERS))
        return losses.feature_l1_loss([tf.stop_gradient(f) for f in real], fake, losses.VGG_LAYER_WEIGHTS)

    def make_dataset(self, seed, repeat=True):
        """As pix2pix's; first builds the VGG (unavailable weights fail here, before training)."""
        self.vgg  # noqa: B018
        return super().make_dataset(seed, repeat)

    # -- training ---------------------------------------------------------------------------------
    def discriminate(self, source, image, training=True):
        """D_k(s, image) for every k: a list per scale of hidden features, then logits."""
        return self.discriminator(tf.concat([source, image], -1), training=training)

    def discriminator_step(self, source, target, fake):
        """One step of all K Ds on LSGAN (or the chosen loss), summed over scales and halved
        (lectures/15_pix2pixhd.md, Eq. (3))."""
        with tf.GradientTape() as tape:
            real_out = self.discriminate(source, target)  # D_k(s, x)
            fake_out = self.discriminate(source, fake)  # D_k(s, G(s))
            d_loss = 0.5 * tf.add_n([self.d_loss_fn(r[-1], f[-1]) for r, f in zip(real_out, fake_out)])
        self.optimizer_step(tape, d_loss, self.discriminator, self.d_optimizer)
        d_real = tf.reduce_mean(tf.stack([tf.reduce_mean(r[-1]) for r in real_out]))
        d_fake = tf.reduce_mean(tf.stack([tf.reduce_mean(f[-1]) for f in fake_out]))
        return d_loss, d_real, d_fake

    def generator_losses(self, source, target, fake):
        """G's terms through the updated Ds: GAN summed over k, feature matching, VGG."""
        real_out = self.discriminate(source, target)
        fake_out = self.discriminate(source, fake)
        g_gan = tf.add_n([self.g_loss_fn(f[-1]) for f in fake_out])  # sum_k L_GAN(G, D_k)
        g_fm = losses.multiscale_feature_matching_loss(
            [[tf.stop_gradient(h) for h in r[:-1]] for r in real_out], [f[:-1] for f in fake_out])
        g_vgg = self.vgg_loss(target, fake)
        cfg = self.config
        # lectures/15_pix2pixhd.md, Eq. (8)
        return g_gan + cfg.lambda_fm * g_fm + cfg.lambda_vgg * g_vgg, g_gan, g_fm, g_vgg

    def coarse_step(self, source, target):
        """G1 alone on the pairs downsampled once (lectures/15_pix2pixhd.md, Eq. (10))."""
        source, target = downsample(source), downsample(target)
        with tf.GradientTape() as tape:
            fake = self.global_generator(source, training=True)  # G1(s down 2)
            with tape.stop_recording():
                d_loss, d_real, d_fake = self.discriminator_step(source, target, fake)
            g_loss, g_gan, g_fm, g_vgg = self.generator_losses(source, target, fake)
        self.optimizer_step(tape, g_loss, self.global_generator, self.g_optimizer)
        return d_loss, g_loss, g_gan, g_fm, g_vgg, d_real, d_fake, tf.constant(1.0)

    def joint_step(self, source, target):
        """G1 and G2 together at full resolution (lectures/15_pix2pixhd.md, Eqs. (8) and (9))."""
        with tf.GradientTape(persistent=True) as tape:
            fake = self.generator(source, training=True)  # G2(s, G1^F(s down 2))
            with tape.stop_recording():
                d_loss, d_real, d_fake = self.discriminator_step(source, target, fake)
            g_loss, g_gan, g_fm, g_vgg = self.generator_losses(source, target, fake)
        self.optimizer_step(tape, g_loss, self.global_features, self.g_optimizer)  # G1's output layer is unused
        self.optimizer_step(tape, g_loss, self.local_enhancer, self.l_optimizer)
        del tape
        return d_loss, g_loss, g_gan, g_fm, g_vgg, d_real, d_fake, tf.constant(0.0)

    def train_step(self, data):
        source, target = data
        if self.coarse_steps <= 0:
            values = self.joint_step(source, target)
        elif self.coarse_steps >= self.config.steps and self.config.epochs is None:
            values = self.coarse_step(source, target)
        else:  # the phase switches at step coarse_steps (read when the step is traced)
            values = tf.cond(self.step_counter < self.coarse_steps,
                             lambda: self.coarse_step(source, target), lambda: self.joint_step(source, target))
        return self.track(**dict(zip(self.tracker_names, values)))

    # -- inference and evaluation -----------------------------------------------------------------
    def in_coarse_phase(self):
        """Whether training has not yet reached the joint phase (G2 still untrained)."""
        optimizer = getattr(self, "g_optimizer", None)
        step = int(optimizer.iterations.numpy()) if optimizer is not None else 0
        return self.coarse_steps > 0 and (step < self.coarse_steps or self.config.coarse_fraction >= 1)

    def translate(self, images, direction=None, training=False, coarse=None):
        """G(s) for images in [-1, 1]: the full G1 + G2, or with ``coarse`` (None: while training is
        in the coarse phase) G1's half-resolution output resized back to the input's size."""
        if direction is not None and direction != self.config.direction:
            raise ValueError(
                f"This pix2pixHD model translates {self.config.direction} only (it was trained with "
                f"--direction {self.config.direction}). Received: direction={direction!r}"
            )
        images = tf.convert_to_tensor(images, tf.float32)
        if coarse is None:
            coarse = self.in_coarse_phase()
        if coarse:
            half = self.global_generator(downsample(images), training=training)
            return tf.image.resize(half, tf.shape(images)[1:3], method="bilinear")
        return self.generator(images, training=training)

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def preview_rows(self, source, target):
        coarse = self.translate(source, coarse=True)
        if self.in_coarse_phase():
            return [source, coarse, target]  # input | G1 | target
        return [source, coarse, self.translate(source, coarse=False), target]  # input | G1 | G | target

    def evaluation(self, num=None, classifier=None):
        """Held-out metrics like pix2pix's (:func:`tfgan.models.image_to_image.paired_evaluation`)
        of :meth:`translate`: G1 + G2 once the joint phase started, G1 before."""
        return paired_evaluation(self, num, classifier)


__all__ = [
    "Pix2PixHD", "Pix2PixHDConfig", "MultiscaleDiscriminator", "downsample", "Downsample",
    "nlayer_discriminator", "global_generator", "local_enhancer", "coarse_to_fine_generator", "VGG_LAYERS",
]
