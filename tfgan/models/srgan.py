"""SRResNet and SRGAN: photo-realistic single-image super-resolution.

Ledig et al. 2017, "Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial
Network", CVPR 2017, https://arxiv.org/abs/1609.04802.
Lecture: ``lectures/10_super_resolution.md``; notebook: ``notebooks/10_super_resolution.ipynb``.

Two models share one generator and are trained in sequence, as in the paper (section 3.2):

* ``SRResNet`` (``python -m tfgan.train srresnet``): the generator alone, trained with the pixel
  MSE (the paper's eq. 4). It maximizes PSNR and gives smooth, slightly blurry images.
* ``SRGAN`` (``python -m tfgan.train srgan --init-from RUN_DIR``): the generator initialized from an
  SRResNet run and fine-tuned with the perceptual loss, a VGG content loss plus 10^-3 times the
  adversarial loss (the paper's eq. 3), against the discriminator below. Lower PSNR, sharper
  texture.

Paper -> code:

======================================  ===============================================================
I^HR, I^LR                               HR crops in [-1, 1]; LR = bicubic downsampling by r, in [0, 1]
r                                        ``config.scale`` (paper: 4)
G_theta_G (Figure 4, top)                ``build_generator``: k9n64 conv, PReLU; B residual blocks
                                         (k3n64 conv, BN, PReLU, k3n64 conv, BN, + skip); k3n64 conv,
                                         BN, + long skip; log2(r) blocks of k3n256 conv, pixel shuffle
                                         x2, PReLU; k9n3 conv
B                                        ``config.residual_blocks`` (paper: 16)
D_theta_D (Figure 4, bottom)             ``build_discriminator``: eight k3 convs 64 -> 512 filters,
                                         strides 1, 2, 1, 2, ...; BN from the second; LeakyReLU 0.2;
                                         dense 1024, LeakyReLU, dense 1 (a logit; D = sigmoid(logit))
l^SR_MSE, paper eq. 4                    ``tfgan.losses.mse_content_loss``
l^SR_VGG/5.4, paper eq. 5                ``tfgan.losses.vgg_content_loss`` on ``config.content_layer``
                                         (``block5_conv4`` = phi_5,4) of ``tfgan.backbones``
l^SR_Gen, paper eq. 6                    ``tfgan.losses.non_saturating_generator_loss``
min_G max_D, paper eq. 2                 ``tfgan.losses.discriminator_loss``
l^SR = l_X + 10^-3 l_Gen, paper eq. 3    ``SRGAN.train_step`` (``config.adversarial_weight``)
======================================  ===============================================================

Data: each training step takes random ``hr_size`` x ``hr_size`` crops of the training photos (paper:
96x96, 16 per minibatch) and makes the LR input on the fly with :func:`downscale`: bicubic
downsampling by ``r`` with antialiasing (TensorFlow's Keys kernel, a = -0.5, widened by ``r`` as in
MATLAB's ``imresize``), rounded to 8-bit levels as a saved LR image would be. LR inputs are in
[0, 1] and HR targets in [-1, 1], as in the paper (section 3.2), so the MSE is computed in [-1, 1].
Evaluation (:meth:`SRResNet.evaluation`) upscales whole held-out photos and reports PSNR and SSIM on
the Y channel with ``r`` border pixels removed (:mod:`tfgan.metrics`), against bicubic upscaling.

Departures from the paper:

* The generator's last convolution is linear (Figure 4 shows no activation); outputs are clipped to
  [-1, 1] only when turned into images.
* Crops are randomly flipped and rotated by multiples of 90 degrees (``augment=True``): the
  offline photo set has 14 training photos, not the paper's 350,000 ImageNet images.
* Convolutions followed by batch norm have no bias (BN's offset makes it redundant); BN uses
  momentum 0.9 so that its moving statistics settle within short CPU runs.
* Scales 2, 3, 4 and 8 (the paper: 4): one x2 upsampling block per factor of 2, one x3 block for 3.
* The paper lowers SRGAN's learning rate from 10^-4 to 10^-5 after 10^5 of its 2 x 10^5 updates;
  tfgan keeps ``--g-lr``/``--d-lr`` constant.
* SRGAN may start from scratch when ``--init-from`` is omitted (the paper always initializes
  from SRResNet "to avoid undesired local optima"); a note is printed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from tfgan import backbones, losses, metrics
from tfgan.errors import ConfigError, RunError
from tfgan.layers import PixelShuffle, batch_normalization
from tfgan.models.base import AdversarialModel, TrainConfig
from tfgan.ops import tiling

SCALES = (2, 3, 4, 8)
CONTENT_LOSSES = ("vgg", "mse")
VGG_BACKBONES = ("vgg19", "vgg16")
#: Side of the held-out crops in preview grids (at least ``hr_size``).
PREVIEW_SIZE = 128


@dataclass
class SRResNetConfig(TrainConfig):
    """SRResNet settings; the defaults are the paper's (x4, B = 16, 64 filters, 96x96 crops, 16 per batch)."""

    dataset: str = field(
        default="sr_photos",
        metadata={"help": "photos to crop (sr_photos offline, div2k, folder:PATH; see tfgan.data)"},
    )
    steps: int = field(default=5000, metadata={"help": "training steps (paper: 10^6 for SRResNet)"})
    batch_size: int = field(default=16, metadata={"help": "HR crops per step"})
    g_lr: float = field(default=1e-4, metadata={"help": "generator learning rate (Adam)"})
    d_lr: float = field(default=1e-4, metadata={"help": "discriminator learning rate (SRGAN only)"})
    beta1: float = field(default=0.9, metadata={"help": "Adam beta_1"})
    num_samples: int = field(
        default=4, metadata={"help": "held-out crops in each preview grid (rows: bicubic | SR | HR)"}
    )
    scale: int = field(default=4, metadata={"help": "upscaling factor r: 2, 3, 4 or 8"})
    residual_blocks: int = field(default=16, metadata={"help": "residual blocks B in G", "min": 1})
    filters: int = field(default=64, metadata={"help": "feature maps in G's residual blocks", "min": 1})
    hr_size: int = field(default=96, metadata={"help": "side of the random HR training crops"})
    crops_per_image: int = field(
        default=8,
        metadata={"help": "crops taken from each decoded photo per pass (an epoch is one pass)", "min": 1},
    )
    augment: bool = field(default=True, metadata={"help": "random flips and 90-degree rotations of crops"})

    def check(self):
        super().check()
        if self.scale not in SCALES:
            raise ConfigError(f"--scale must be one of {list(SCALES)}. Received: {self.scale}")
        if self.hr_size < 2 * self.scale or self.hr_size % self.scale:
            raise ConfigError(
                f"--hr-size must be a multiple of --scale {self.scale} and at least {2 * self.scale}. "
                f"Received: {self.hr_size}"
            )


@dataclass
class SRGANConfig(SRResNetConfig):
    """SRGAN fine-tuning settings: the SRResNet ones plus D, the content loss and --init-from."""

    init_from: str | None = field(
        default=None, metadata={"help": "SRResNet run directory whose generator SRGAN starts from"}
    )
    d_filters: int = field(
        default=64, metadata={"help": "filters of D's first convolution (doubling to 8x)", "min": 1}
    )
    d_dense: int = field(default=1024, metadata={"help": "units of D's hidden dense layer", "min": 1})
    content_loss: str = field(
        default="vgg",
        metadata={"help": "content loss l_X: VGG features (SRGAN-VGG) or pixels (SRGAN-MSE)",
                  "choices": CONTENT_LOSSES},
    )
    content_layer: str = field(
        default="block5_conv4", metadata={"help": "VGG layer of the content loss (phi_5,4 = block5_conv4)"}
    )
    vgg_backbone: str = field(default="vgg19", metadata={"help": "VGG of the content loss", "choices": VGG_BACKBONES})
    vgg_weights: str = field(
        default="imagenet",
        metadata={"help": "VGG weights: imagenet, hed (offline VGG16), a .weights.h5 path, or none (random: tests)"},
    )
    feature_scale: float = field(
        default=losses.VGG_FEATURE_SCALE,
        metadata={"help": "factor on VGG features (paper: 1/12.75)", "min": 0, "min_exclusive": True},
    )
    adversarial_weight: float = field(
        default=1e-3, metadata={"help": "weight of the adversarial loss (paper: 1e-3)", "min": 0}
    )

    def check(self):
        super().check()
        if self.hr_size % 16:
            raise ConfigError(
                f"SRGAN's discriminator halves --hr-size four times: it must be a multiple of 16 "
                f"(and of --scale). Received: {self.hr_size}"
            )
        if self.vgg_weights == "hed" and self.vgg_backbone != "vgg16":
            raise ConfigError(
                "--vgg-weights hed holds VGG16 weights (its last layer is block5_conv3); pass "
                f"--vgg-backbone vgg16 --content-layer block5_conv3. Received: --vgg-backbone {self.vgg_backbone}"
            )
        blocks = (2, 2, 3, 3, 3) if self.vgg_backbone == "vgg16" else (2, 2, 4, 4, 4)
        layers = [f"block{b}_conv{i}" for b, n in enumerate(blocks, 1) for i in range(1, n + 1)]
        if self.content_layer not in layers:
            raise ConfigError(
                f"--content-layer must be a convolution of {self.vgg_backbone}, e.g. "
                f"{layers[-1]}. Received: {self.content_layer!r}"
            )


# -- networks ------------------------------------------------------------------------------------
def upsample_factors(scale):
    """The sub-pixel blocks for ``scale``: (2, 2) for x4, (2, 2, 2) for x8, (3,) for x3."""
    if scale not in SCALES:
        raise ValueError(f"Expected scale in {list(SCALES)}. Received: scale={scale!r}")
    return (3,) if scale == 3 else (2,) * int(math.log2(scale))


def receptive_radius(config):
    """LR pixels on each side of a position that can change G's output there (rounded up).

    A 9x9 convolution reaches 4 pixels, each residual block's two 3x3 convolutions 2, the
    convolution after the blocks 1, each upsampling block's 3x3 convolution 1 pixel at its own
    resolution, and the last 9x9 convolution 4 pixels at the output resolution. Tiles that overlap
    by this much give exactly the untiled result (:mod:`tfgan.upscale`).
    """
    radius, factor = 4 + 2 * config.residual_blocks + 1, 1
    for f in upsample_factors(config.scale):
        radius += 1 / factor
        factor *= f
    return math.ceil(radius + 4 / factor)


def _bn():
    return batch_normalization()


def _prelu():
    return keras.layers.PReLU(shared_axes=[1, 2])  # one slope per channel, any image size


def build_generator(config):
    """SRResNet's generator (Figure 4, top): LR in [0, 1] of any size -> SR, r times larger."""
    filters = config.filters
    conv = lambda n, k, bias=True: keras.layers.Conv2D(n, k, padding="same", use_bias=bias)
    lr = keras.Input((None, None, 3), name="lr")
    x = _prelu()(conv(filters, 9)(lr))
    long_skip = x
    for _ in range(config.residual_blocks):
        y = _prelu()(_bn()(conv(filters, 3, False)(x)))
        y = _bn()(conv(filters, 3, False)(y))
        x = keras.layers.Add()([x, y])  # residual block: x + F(x)
    x = _bn()(conv(filters, 3, False)(x))
    x = keras.layers.Add()([long_skip, x])  # the long skip connection
    for factor in upsample_factors(config.scale):
        x = _prelu()(PixelShuffle(factor)(conv(filters * factor**2, 3)(x)))  # sub-pixel block
    sr = conv(3, 9)(x)  # linear: SR image in [-1, 1] (not clipped, see the module docstring)
    return keras.Model(lr, sr, name="generator")


def build_discriminator(config):
    """SRGAN's discriminator (Figure 4, bottom): HR-sized image in [-1, 1] -> one logit."""
    f, size = config.d_filters, config.hr_size
    image = keras.Input((size, size, 3), name="image")
    x = keras.layers.LeakyReLU(0.2)(keras.layers.Conv2D(f, 3, padding="same")(image))
    for filters, stride in [(f, 2), (2 * f, 1), (2 * f, 2), (4 * f, 1), (4 * f, 2), (8 * f, 1), (8 * f, 2)]:
        x = keras.layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
        x = keras.layers.LeakyReLU(0.2)(_bn()(x))
    x = keras.layers.Flatten()(x)
    x = keras.layers.LeakyReLU(0.2)(keras.layers.Dense(config.d_dense)(x))
    logit = keras.layers.Dense(1)(x)  # D(x) = sigmoid(logit)
    return keras.Model(image, logit, name="discriminator")


# -- data: HR/LR pairs made on the fly -------------------------------------------------------------
def downscale(hr, scale):
    """Bicubic downsampling by ``scale`` of uint8 (or [0, 255] float) images, (..., H, W, 3).

    Antialiased Keys cubic (a = -0.5), as MATLAB's ``imresize``; rounded and clipped to 8-bit levels.
    H and W must be multiples of ``scale`` (see :func:`mod_crop`). Returns float32 in [0, 255].
    """
    hr = tf.cast(hr, tf.float32)
    size = tf.shape(hr)[-3:-1] // scale
    lr = tf.image.resize(hr, size, method="bicubic", antialias=True)
    return tf.round(tf.clip_by_value(lr, 0.0, 255.0))


def bicubic_upscale(lr, scale):
    """The bicubic baseline: uint8 (H, W, 3) -> uint8 (r H, r W, 3)."""
    lr = tf.convert_to_tensor(lr)
    size = tf.shape(lr)[-3:-1] * scale
    up = tf.image.resize(tf.cast(lr, tf.float32), size, method="bicubic")
    return tf.cast(tf.round(tf.clip_by_value(up, 0.0, 255.0)), tf.uint8).numpy()


def mod_crop(image, scale):
    """Crop (H, W, C) to multiples of ``scale`` (bottom and right), the usual SR evaluation step."""
    h, w = image.shape[0] - image.shape[0] % scale, image.shape[1] - image.shape[1] % scale
    return image[:h, :w]


def to_pair(hr, scale):
    """uint8 HR batch -> (LR in [0, 1], HR in [-1, 1]), the paper's ranges.

    lectures/10_super_resolution.md, Eq. (1).
    """
    lr = downscale(hr, scale) / 255.0
    return lr, tf.cast(hr, tf.float32) / 127.5 - 1.0


def make_pairs(image_set, scale, hr_size, batch_size, seed, crops_per_image=8, augment=True, repeat=True):
    """A ``tf.data`` pipeline of (LR, HR) minibatches from random crops of ``image_set``'s photos.

    The crops are :func:`tfgan.data.random_crops` (shuffled photos, ``crops_per_image`` random
    ``hr_size`` crops each, optionally flipped and rotated, shuffled and batched), downscaled with
    :func:`to_pair`. Photos smaller than the crop are skipped.
    """
    from tfgan import data

    ds = data.random_crops(image_set, hr_size, batch_size, seed, crops_per_image, augment, repeat,
                           size_flag="--hr-size")
    return ds.map(lambda hr: to_pair(hr, scale), num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


# -- models --------------------------------------------------------------------------------------
class SRResNet(AdversarialModel):
    """SRResNet: the SRGAN generator trained alone with the pixel MSE (Ledig et al. 2017, eq. 4).

    ``model(lr)`` maps LR images in [0, 1] to SR images in [-1, 1]; :meth:`upscale` handles whole
    uint8 photos of any size in tiles; :meth:`evaluation` scores the held-out split.
    """

    config_class = SRResNetConfig
    tracker_names = ("mse", "psnr")
    preview_seed = 1234

    def __init__(self, config=None, generator=None, **kwargs):
        super().__init__(config, **kwargs)
        self.generator = generator if generator is not None else build_generator(self.config)
        self.discriminator = None

    def train_step(self, data):
        lr, hr = data
        with tf.GradientTape() as tape:
            sr = self.generator(lr, training=True)  # G(I^LR)
            mse = losses.mse_content_loss(hr, sr)  # l^SR_MSE, the paper's eq. 4
        self.optimizer_step(tape, mse, self.generator, self.g_optimizer)
        return self.track(mse=mse, psnr=metrics.psnr_from_mse(mse, data_range=2.0))

    # -- data hooks of tfgan.train -------------------------------------------------------------------
    def image_set(self, split=None):
        from tfgan import data

        cfg = self.config
        return data.load_image_set(cfg.dataset, split or cfg.split, cfg.data_dir)

    def make_dataset(self, seed, repeat=True):
        """Random (LR, HR) crops of the training photos; an epoch is ``crops_per_image`` per photo."""
        cfg = self.config
        image_set = self.image_set()
        ds = make_pairs(image_set, cfg.scale, cfg.hr_size, cfg.batch_size, seed,
                        cfg.crops_per_image, cfg.augment, repeat)
        return ds, image_set.count * cfg.crops_per_image

    def preview_batch(self, num):
        """A fixed uint8 (num, s, s, 3) batch of held-out HR crops (s = max(hr_size, 128))."""
        photos = self.image_set("test").numpy(num)
        rng = np.random.default_rng(self.preview_seed)
        side = max(self.config.hr_size, PREVIEW_SIZE)
        side = min([side] + [min(p.shape[:2]) for p in photos])
        side -= side % self.config.scale
        crops = []
        for i in range(num):
            photo = photos[i % len(photos)]
            top = rng.integers(0, photo.shape[0] - side + 1)
            left = rng.integers(0, photo.shape[1] - side + 1)
            crops.append(photo[top : top + side, left : left + side])
        return np.stack(crops)

    def preview_grid(self, num):
        """Rows of held-out crops: bicubic | SR | HR (the run's sample PNGs)."""
        from tfgan import viz

        if getattr(self, "_preview_hr", None) is None or len(self._preview_hr) != num:
            self._preview_hr = self.preview_batch(num)
        scale = self.config.scale
        lr = downscale(self._preview_hr, scale)
        sr = viz.to_uint8(self.generator(lr / 255.0, training=False))
        bicubic = bicubic_upscale(tf.cast(lr, tf.uint8), scale)
        rows = np.stack([bicubic, sr, self._preview_hr], axis=1).reshape(-1, *sr.shape[1:])
        return viz.image_grid(rows, ncols=3)

    # -- inference and evaluation ----------------------------------------------------------------------
    @property
    def scale(self):
        return self.config.scale

    def sample(self, n, seed=None, z=None):
        """SR models map LR images to HR ones; there is no latent space to sample (tfgan.generate)."""
        raise RunError(
            "srresnet and srgan runs upscale images instead of sampling from noise; use "
            "python -m tfgan.upscale RUN_DIR INPUT... --output DIR"
        )

    def upscale(self, image, tile=None, overlap=None, progress=False):
        """Upscale one uint8 (H, W, 3) photo by ``scale`` in tiles (see :func:`tfgan.ops.tiling.upscale`).

        ``overlap`` defaults to :func:`receptive_radius`, which makes the tiles invisible.
        """
        overlap = receptive_radius(self.config) if overlap is None else overlap
        return tiling.upscale(self.generator, image, self.config.scale,
                              tile=tile or tiling.DEFAULT_TILE, overlap=overlap, progress=progress)

    def evaluation(self, num=None, progress=False):
        """PSNR (dB) and SSIM of SR and of bicubic upscaling on the held-out photos.

        Each photo is cropped to a multiple of ``scale``, downscaled (:func:`downscale`), upscaled
        both ways and compared on the Y channel with ``scale`` border pixels removed
        (:func:`tfgan.metrics.super_resolution_scores`); the values are means over ``num`` photos
        (default: the whole test split).
        """
        scale = self.config.scale
        scores = {"psnr": [], "ssim": [], "bicubic_psnr": [], "bicubic_ssim": []}
        photos = self.image_set("test").numpy(num)
        for photo in photos:
            hr = mod_crop(photo, scale)
            lr = downscale(hr, scale).numpy().astype(np.uint8)
            for prefix, sr in (("", self.upscale(lr, progress=progress)), ("bicubic_", bicubic_upscale(lr, scale))):
                for name, value in metrics.super_resolution_scores(hr, sr, scale).items():
                    scores[prefix + name].append(value)
        result = {name: float(np.mean(values)) for name, values in scores.items()}
        result["images"] = float(len(photos))
        return result


class SRGAN(SRResNet):
    """SRGAN: the SRResNet generator fine-tuned with the perceptual loss against a discriminator.

    One ``train_step`` is one D update (the paper's eq. 2 on HR crops against G(I^LR)) then one G
    update on the perceptual loss l^SR = l_X + 10^-3 l_Gen (the paper's eq. 3) through the updated
    D, on the same G(I^LR). The VGG feature extractor is built when first needed (training), never
    for inference.
    """

    config_class = SRGANConfig
    tracker_names = ("d_loss", "g_loss", "content_loss", "adversarial_loss", "d_real", "d_fake", "psnr")

    def __init__(self, config=None, generator=None, discriminator=None, content_extractor=None, **kwargs):
        super().__init__(config, generator, **kwargs)
        self.discriminator = discriminator if discriminator is not None else build_discriminator(self.config)
        self._extractor = [content_extractor]  # a list: Keras must not track VGG as part of the model

    @property
    def content_extractor(self):
        """The frozen VGG of the content loss (``tfgan.backbones``), built on first use."""
        if self._extractor[0] is None and self.config.content_loss == "vgg":
            cfg = self.config
            weights = None if cfg.vgg_weights.lower() in ("none", "random") else cfg.vgg_weights
            self._extractor[0] = backbones.FeatureExtractor(
                [cfg.content_layer], backbone=cfg.vgg_backbone, weights=weights, input_range=(-1.0, 1.0)
            )
        return self._extractor[0]

    def content_loss(self, hr, sr):
        """l^SR_X: the VGG loss on ``content_layer`` or the pixel MSE (paper eqs. 5 and 4)."""
        if self.config.content_loss == "mse":
            return losses.mse_content_loss(hr, sr)
        features = self.content_extractor(tf.concat([hr, sr], axis=0))[self.config.content_layer]
        real, fake = tf.split(features, 2, axis=0)  # phi(I^HR), phi(G(I^LR))
        return losses.vgg_content_loss(tf.stop_gradient(real), fake, self.config.feature_scale)

    def discriminator_step(self, hr, sr):
        """One D update on the paper's eq. 2: HR crops are real (1), G(I^LR) fake (0)."""
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(hr, training=True)  # logit of D(I^HR)
            fake_logits = self.discriminator(sr, training=True)  # logit of D(G(I^LR))
            d_loss = losses.discriminator_loss(real_logits, fake_logits)
        self.optimizer_step(tape, d_loss, self.discriminator, self.d_optimizer)
        return d_loss, real_logits, fake_logits

    def train_step(self, data):
        lr, hr = data
        cfg = self.config
        with tf.GradientTape() as g_tape:
            sr = self.generator(lr, training=True)  # G(I^LR)
            with g_tape.stop_recording():
                d_loss, real_logits, fake_logits = self.discriminator_step(hr, sr)
            content = self.content_loss(hr, sr)  # l^SR_X
            adversarial = losses.non_saturating_generator_loss(
                self.discriminator(sr, training=True)  # -log D(G(I^LR)): paper eq. 6, new D
            )
            g_loss = content + cfg.adversarial_weight * adversarial  # l^SR, the paper's eq. 3
        self.optimizer_step(g_tape, g_loss, self.generator, self.g_optimizer)
        return self.track(
            d_loss=d_loss, g_loss=g_loss, content_loss=content, adversarial_loss=adversarial,
            d_real=tf.reduce_mean(tf.sigmoid(real_logits)), d_fake=tf.reduce_mean(tf.sigmoid(fake_logits)),
            psnr=metrics.psnr_from_mse(losses.mse_content_loss(hr, sr), data_range=2.0),
        )

    # -- starting from SRResNet ----------------------------------------------------------------------
    def make_dataset(self, seed, repeat=True):
        """As SRResNet's; first checks what training needs besides data (``tfgan.trainer`` calls
        this before it starts the progress bar): the VGG weights. ``tfgan.trainer`` opens the
        ``--init-from`` run and hands it to :meth:`initialize_from`."""
        self.check_training_inputs()
        return super().make_dataset(seed, repeat)

    def check_training_inputs(self):
        """Build the VGG content network; ``tfgan.errors.RunError`` if its weights are not usable."""
        if self.config.content_loss == "vgg":
            try:
                self.content_extractor
            except backbones.WeightsUnavailableError as err:
                raise RunError(str(err)) from None

    def on_train_begin(self, start_step):
        """Builds VGG (a no-op when make_dataset ran); notes a from-scratch start without --init-from."""
        self.check_training_inputs()
        if start_step == 0 and not self.config.init_from:
            print("Note: no --init-from given, so SRGAN's generator starts from random weights; the "
                  "paper starts from a trained SRResNet (python -m tfgan.train srresnet ...).")

    def initialize_from(self, source):
        """Restore G from ``source``, the ``--init-from`` run (a :class:`tfgan.runs.SavedRun`, which
        ``tfgan.trainer`` opens); returns the names of the restored networks.

        Raises ``tfgan.errors.RunError`` when ``source`` is not an SRResNet run with the same scale,
        residual blocks and filters, or has no checkpoint.
        """
        if source.model_name != "srresnet":
            raise RunError(
                f"--init-from {source.run_dir} is a {source.model_name} run; expected an srresnet run "
                "(train one with python -m tfgan.train srresnet ...)"
            )
        fields = ("scale", "residual_blocks", "filters")
        diffs = [f"--{f.replace('_', '-')} {getattr(source.config, f)}" for f in fields
                 if getattr(source.config, f) != getattr(self.config, f)]
        if diffs:
            mine = ", ".join(f"--{f.replace('_', '-')} {getattr(self.config, f)}" for f in fields)
            raise RunError(
                f"--init-from {source.run_dir} has {', '.join(diffs)}, but this run has {mine}; "
                "pass the SRResNet run's settings"
            )
        if source.checkpoint is None:
            raise RunError(f"--init-from {source.run_dir} has no checkpoint yet; train it first")
        restored = tf.train.Checkpoint(generator=self.generator).restore(source.checkpoint)
        restored.expect_partial().assert_existing_objects_matched()
        return ["generator"]
