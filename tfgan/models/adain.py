"""Arbitrary style transfer: AdaIN's decoder (Huang and Belongie 2017), and what WCT shares with it.

Huang and Belongie 2017, "Arbitrary Style Transfer in Real-time with Adaptive Instance
Normalization", https://arxiv.org/abs/1703.06868. The math is in :mod:`tfgan.style.adain`
(lectures/12_fast_style_transfer.md, Eqs. (5)-(7)); this module trains its decoder:
``python -m tfgan.train adain`` on random crops of content photos (``--dataset``, ``sr_photos``
offline) and of style images (``--style-dataset``: ``style_images`` offline, ``folder:PATH`` of
paintings, or comma-separated image files). One trained run then stylizes any photo with any
style: ``python -m tfgan.stylize PHOTO STYLE --method adain --run RUN_DIR``.

Paper -> code:

=========================================  =====================================================
c, s (content and style images)              random ``--image-size`` crops of a content photo and
                                             of a style image resized to a shorter side of twice
                                             that (the paper: 512, cropped to 256)
f (VGG19 to relu4_1), frozen                 :func:`tfgan.style.adain.build_encoder` (VGG16)
t = AdaIN(f(c), f(s))                        :func:`tfgan.style.adain.adain`
g (decoder), T(c, s) = g(t)                  ``self.generator``, :func:`tfgan.style.decoder.build_decoder`
L_c + lambda L_s, lambda = 10                :func:`tfgan.style.adain.decoder_loss`, ``--style-weight``
Adam, lr 1e-4, batch 8                       ``--g-lr``, ``--batch-size``
=========================================  =====================================================

Departures: VGG16 (``hed`` weights, offline) instead of VGG19; the offline style set is seven
images, not WikiArt's 80,000 paintings, so the decoder sees few styles; MSCOCO is replaced by the
photos of ``sr_photos`` (as :mod:`tfgan.models.fast_style`). ``--balanced`` (off by default: the
paper's loss) measures each loss term relative to its target, for the ``hed`` encoder whose layers
differ in scale (:func:`tfgan.style.adain.decoder_loss`). Measured with ``hed`` at 128 px, batch 4,
lr 1e-4: ``--balanced --style-weight 1`` for 2000 steps (22 CPU-minutes, AVX-512 and the VGG in
bfloat16) keeps the photo's layout in the style's colours under a fine mesh of colour noise; the
paper's loss (lambda 10) for the same 2000 steps gives darker pictures nearer the painting's colours
with a blurrier layout. Neither is clearly better, so the paper's loss is the default. Both leave
about 4.5% of the first decoder layer's ReLUs inactive at lr 1e-4 (README,
docs/images/adain_hed_starry_night.png).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import tensorflow as tf

from tfgan.errors import ConfigError, RunError
from tfgan.models.base import AdversarialModel, TrainConfig
from tfgan.models.fast_style import FastStyle
from tfgan.style import adain as adain_lib
from tfgan.style import decoder as decoder_lib

PRECISIONS = ("auto", "float32", "bfloat16")


@dataclass
class ArbitraryStyleConfig(TrainConfig):
    """Settings shared by the AdaIN and WCT decoders."""

    dataset: str = field(
        default="sr_photos",
        metadata={"help": "content photos to crop (sr_photos offline, folder:PATH; see tfgan.data)"},
    )
    style_dataset: str = field(
        default="style_images",
        metadata={"help": "style images: an image set (style_images offline), folder:PATH of paintings, "
                          "or comma-separated image files"},
    )
    steps: int = field(default=2000, metadata={"help": "training steps (paper: 160000 at batch 8)", "min": 1})
    batch_size: int = field(default=8, metadata={"help": "content (and style) crops per step", "min": 1})
    g_lr: float = field(default=1e-4, metadata={"help": "learning rate of the decoder(s) (Adam)",
                                                "min": 0, "min_exclusive": True})
    beta1: float = field(default=0.9, metadata={"help": "Adam beta_1", "min": 0, "max": 1, "max_exclusive": True})
    num_samples: int = field(
        default=2, metadata={"help": "rows of each sample grid (held-out photo | style | result)", "min": 1}
    )
    image_size: int = field(default=256, metadata={"help": "side of the square crops (multiple of 8)", "min": 16})
    crops_per_image: int = field(
        default=8, metadata={"help": "crops taken from each photo per pass (an epoch is one pass)", "min": 1}
    )
    augment: bool = field(default=True, metadata={"help": "random flips and 90-degree rotations of crops"})
    width: float = field(default=1.0, metadata={"help": "channel multiplier of the decoder(s) (paper: 1)",
                                                "min": 0, "min_exclusive": True, "max": 4})
    vgg_weights: str = field(
        default="hed",
        metadata={"help": "VGG16 weights of the encoder: hed (offline), imagenet, a .weights.h5 path, or "
                          "none (random: tests)"},
    )
    vgg_precision: str = field(
        default="auto",
        metadata={"help": "compute precision of the encoder (auto: bfloat16 where the CPU has it)",
                  "choices": PRECISIONS},
    )

    def check(self):
        super().check()
        multiple = decoder_lib.size_multiple(adain_lib.ENCODER_LAYER)
        if self.image_size % multiple:
            raise ConfigError(
                f"--image-size must be a multiple of {multiple} (the encoder pools three times). "
                f"Received: {self.image_size}"
            )
        if not self.style_dataset.strip():
            raise ConfigError("--style-dataset must name an image set, folder:PATH or image files. Received: ''")


@dataclass
class AdaINConfig(ArbitraryStyleConfig):
    """AdaIN decoder settings; the defaults follow Huang and Belongie 2017 (section 6.1)."""

    style_weight: float = field(default=10.0, metadata={"help": "lambda of the style loss", "min": 0})
    balanced: bool = field(
        default=False,
        metadata={"help": "measure each loss term relative to the size of its target (for encoders "
                          "whose layers differ in scale, like the hed VGG16; see tfgan.style.adain)"},
    )


class ArbitraryStyleModel(AdversarialModel):
    """Decoders trained against a frozen VGG encoder (AdaIN, WCT): data, sample grids, inference.

    Subclasses define ``transfer`` (the stylization of padded images in [-1, 1]). The encoder is
    built on first use and kept out of the checkpoints (it is frozen and pretrained).
    """

    config_class = ArbitraryStyleConfig
    # The content photos and the held-out previews are those of the fast style network.
    image_set = FastStyle.image_set
    preview_batch = FastStyle.preview_batch

    def __init__(self, config=None, **kwargs):
        super().__init__(config, **kwargs)
        self.discriminator = None
        self._cache = SimpleNamespace(encoders={})  # Keras must not track the VGG as part of the model

    def encoder(self, layers=adain_lib.STYLE_LAYERS):
        """The frozen VGG16 returning ``layers`` for images in [-1, 1], built once per set of layers.

        Raises ``tfgan.errors.RunError`` when the weights cannot be had.
        """
        key = tuple(layers)
        if key not in self._cache.encoders:
            from tfgan import backbones

            cfg = self.config
            weights = None if cfg.vgg_weights.lower() in ("none", "random") else cfg.vgg_weights
            try:
                self._cache.encoders[key] = adain_lib.build_encoder(weights, cfg.vgg_precision, key)
            except (ValueError, backbones.WeightsUnavailableError) as err:
                raise RunError(str(err)) from None
        return self._cache.encoders[key]

    # -- data --------------------------------------------------------------------------------------
    def style_images(self, split="train"):
        """The style images as uint8 (H, W, 3) arrays: an image set, ``folder:PATH``, or files."""
        from tfgan import data, imageio

        source = self.config.style_dataset
        names = [n.strip() for n in source.split(",") if n.strip()]
        if len(names) > 1 or os.path.isfile(names[0]):
            return [imageio.read_image(path, channels=3) for path in names]
        return data.load_image_set(source, split, self.config.data_dir).numpy()

    def style_crops(self, seed, repeat=True):
        """uint8 style crops of ``--image-size``: each style image resized to a shorter side of twice
        that, then cropped at random (Huang et al.: 512, cropped to 256)."""
        from tfgan import data

        side = 2 * self.config.image_size
        images = [_resize_shorter(image, side) for image in self.style_images()]
        style_set = data.list_image_set("styles", "train", images)
        cfg = self.config
        return data.random_crops(style_set, cfg.image_size, cfg.batch_size, seed + 1, cfg.crops_per_image,
                                 cfg.augment, repeat, size_flag="--image-size")

    def content_crops(self, seed, repeat=True):
        from tfgan import data

        cfg = self.config
        image_set = self.image_set()
        crops = data.random_crops(image_set, cfg.image_size, cfg.batch_size, seed, cfg.crops_per_image,
                                  cfg.augment, repeat, size_flag="--image-size")
        return crops, image_set.count * cfg.crops_per_image

    def make_dataset(self, seed, repeat=True):
        """Batches of (content, style) crops in [-1, 1]; the encoder is built first (bad weights fail here)."""
        self.encoder()
        content, examples = self.content_crops(seed, repeat)
        ds = tf.data.Dataset.zip((content, self.style_crops(seed, repeat)))
        ds = ds.map(lambda c, s: (_to_unit(c), _to_unit(s)), num_parallel_calls=tf.data.AUTOTUNE)
        return ds.prefetch(tf.data.AUTOTUNE), examples

    def on_train_begin(self, start_step):
        self.encoder()

    # -- pictures ----------------------------------------------------------------------------------
    def preview_styles(self, num):
        """``num`` fixed uint8 style squares of ``--image-size`` (the style set's test split in turn)."""
        side = self.config.image_size
        try:
            styles = self.style_images("test")
        except ValueError:  # a list of files has no test split
            styles = self.style_images()
        out = []
        for i in range(num):
            image = _resize_shorter(styles[i % len(styles)], side)
            h, w = image.shape[:2]
            out.append(image[(h - side) // 2 : (h - side) // 2 + side, (w - side) // 2 : (w - side) // 2 + side])
        return np.stack(out)

    def preview_grid(self, num):
        """Rows of held-out photo | style | stylized (the run's sample PNGs)."""
        from tfgan import viz

        if getattr(self, "_preview", None) is None or len(self._preview[0]) != num:
            self._preview = (self.preview_batch(num), self.preview_styles(num))
        photos, styles = self._preview
        rows = []
        for photo, style in zip(photos, styles):
            out = self.transfer(_to_unit(photo[None]), [_to_unit(style[None])])
            rows += [photo, style, viz.to_uint8(np.clip(out, -1, 1))[0]]
        return viz.image_grid(np.stack(rows), ncols=3)

    def transfer(self, content, styles, alpha=1.0, weights=None):
        """Stylize ``content`` (1, H, W, 3) in [-1, 1], sides multiples of 8, with ``styles`` (a list
        of (1, h, w, 3) in [-1, 1]) mixed by ``weights``; returns (1, H, W, 3), unclipped."""
        raise NotImplementedError

    def sample(self, n, seed=None, z=None):
        """A style network maps photos to paintings; there is no latent space to sample."""
        name = type(self).__name__.lower()
        raise RunError(
            f"{name} runs stylize photos instead of sampling from noise; use python -m tfgan.stylize "
            f"PHOTO STYLE --method {name} --run RUN_DIR --output OUT.png"
        )


class AdaIN(ArbitraryStyleModel):
    """The decoder g trained on AdaIN targets (lectures/12_fast_style_transfer.md, Eq. (6))."""

    config_class = AdaINConfig
    tracker_names = ("loss", "content", "style")

    def __init__(self, config=None, generator=None, **kwargs):
        super().__init__(config, **kwargs)
        self.generator = generator if generator is not None else decoder_lib.build_decoder(
            adain_lib.ENCODER_LAYER, self.config.width, name="decoder")

    def losses_of(self, content, style):
        """The terms of lectures/12_fast_style_transfer.md, Eq. (6) for a batch (both in [-1, 1]),
        and ``decoded`` = g(t); the decoder is called with ``training=True``."""
        encoder = self.encoder()
        style_features = encoder(style)  # phi_i(s)
        t = adain_lib.adain(encoder(content)[adain_lib.ENCODER_LAYER], style_features[adain_lib.ENCODER_LAYER])
        decoded = self.generator(t, training=True)  # g(t)
        terms = adain_lib.decoder_loss(encoder, decoded, t, style_features, self.config.style_weight,
                                         self.config.balanced)
        return terms, decoded

    def train_step(self, data):
        content, style = data
        with tf.GradientTape() as tape:
            terms, _ = self.losses_of(content, style)
        self.optimizer_step(tape, terms["total"], self.generator, self.g_optimizer)
        return self.track(loss=terms["total"], content=terms["content"], style=terms["style"])

    def transfer(self, content, styles, alpha=1.0, weights=None):
        """g((1 - alpha) f(c) + alpha sum_k w_k AdaIN(f(c), f(s_k))), lectures/12_fast_style_transfer.md, Eq. (7)."""
        encoder = self.encoder()  # relu1_1 ... relu4_1: the VGG runs to relu4_1 either way
        features = encoder(tf.convert_to_tensor(content, tf.float32))[adain_lib.ENCODER_LAYER]
        style_features = [encoder(tf.convert_to_tensor(s, tf.float32))[adain_lib.ENCODER_LAYER] for s in styles]
        t = adain_lib.target(features, style_features, weights, alpha)
        return np.asarray(self.generator(t, training=False))


def _to_unit(images):
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def _resize_shorter(image, side):
    """uint8 (H, W, 3) resized (antialiased) so that its shorter side is ``side``."""
    h, w = image.shape[:2]
    scale = side / min(h, w)
    size = (max(side, round(h * scale)), max(side, round(w * scale)))
    out = tf.image.resize(image, size, method="area" if scale < 1 else "bicubic", antialias=scale < 1)
    return np.clip(np.round(out.numpy()), 0, 255).astype(np.uint8)
