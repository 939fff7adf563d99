"""Conditional GAN: class labels given to both players.

Mirza and Osindero 2014, "Conditional Generative Adversarial Nets", https://arxiv.org/abs/1411.1784.
Lecture: ``lectures/05_evaluation.md`` (section "Conditional GANs"); notebook:
``notebooks/05_conditional_gan_and_evaluation.ipynb``.

The value function (the paper's eq. 2; lectures/05_evaluation.md, Eq. (1)) conditions both players
on y:

    min_G max_D  E_(x,y)[log D(x | y)] + E_(z,y)[log(1 - D(G(z | y) | y))]

Paper -> code:

=====================  ==============================================================
y (one-hot class)      ``keras.ops.one_hot(labels, num_classes)``
z                      ``self.latent(n)``
G(z | y)               ``self.generator([z, y])``
D(x | y)               ``sigmoid(self.discriminator([x, y]))`` (D outputs logits)
losses                 ``tfgan.losses``: the same D and G losses as the unconditional GAN
=====================  ==============================================================

How y enters the networks, in the lecture's class-conditional DCGAN form (lectures/05_evaluation.md,
Eqs. (3)-(4)): the one-hot label goes through a dense layer, is reshaped into ``label_maps`` feature
maps of the size of the first maps, and is concatenated with them: in G with the projected z (s x s
maps), in D with the input image (H x W maps). The rest is the DCGAN of :mod:`tfgan.models.dcgan`.

Why one label map by default: with 16 label maps the label dominated G's first layer, and on MNIST
G learned to ignore z within each class (every column of the class-by-row grid identical by step
2,000: IS 8.24 but Fréchet distance 109 at step 5,000, against 25.7 with one map at the same step;
``benchmarks/README.md``). One map still conditions G and D, more slowly (74% conditional accuracy
at 5,000 steps, against 91% with 16 maps).

Departures: the paper's MNIST model is an MLP with maxout units and separate hidden layers for z
and y; we use the DCGAN backbone (convolutions learn digits in far fewer steps on a CPU). Fake
examples in a training step use the labels of the real batch, so D sees the same label
distribution for real and fake pairs; sampling and evaluation ask for any labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from tfgan.errors import ConfigError
from tfgan.layers import conv_init
from tfgan.models.base import AdversarialConfig, redefault
from tfgan.models.dcgan import (
    DCGAN, DCGANConfig, downsampling_layers, generator_head, upsampling_layers,
)


@dataclass
class CGANConfig(DCGANConfig):
    """CGAN settings: DCGAN's plus the number of classes and of label feature maps.

    CGAN keeps the training defaults of ``AdversarialConfig`` (the DCGAN paper's Adam 2e-4, Algorithm
    1's alternating updates, float32): DCGAN's faster defaults were measured on unconditional MNIST
    only.
    """

    g_lr: float = redefault(AdversarialConfig, "g_lr")
    d_lr: float = redefault(AdversarialConfig, "d_lr")
    update: str = redefault(AdversarialConfig, "update")
    precision: str = redefault(AdversarialConfig, "precision")
    gradient_penalty: str = redefault(AdversarialConfig, "gradient_penalty")
    gp_weight: float = redefault(AdversarialConfig, "gp_weight")

    num_classes: int = field(default=10, metadata={"help": "number of classes y can take", "min": 2})
    label_maps: int = field(
        default=1, metadata={"help": "feature maps the one-hot label is turned into", "min": 1}
    )

    def check(self):
        super().check()
        if self.norm == "virtual_batch":
            raise ConfigError("--norm virtual_batch is not available for cgan; use batch or none")


def _label_maps(y, size, maps, name):
    """One-hot y -> dense -> (size, size, maps) feature maps."""
    h = keras.layers.Dense(size * size * maps, kernel_initializer=conv_init(), name=f"{name}_dense")(y)
    return keras.layers.Reshape((size, size, maps), name=f"{name}_maps")(h)


def build_conditional_generator(cfg):
    """[z, y] -> projected z maps ++ label maps -> DCGAN's transposed-conv stages -> image."""
    size, filters = generator_head(cfg)
    z = keras.Input((cfg.latent_dim,), name="z")
    y = keras.Input((cfg.num_classes,), name="y")
    h = keras.layers.Dense(size * size * filters, use_bias=cfg.norm != "batch", kernel_initializer=conv_init())(z)
    h = keras.layers.Reshape((size, size, filters))(h)
    h = keras.layers.Concatenate()([h, _label_maps(y, size, cfg.label_maps, "g_label")])
    for layer in upsampling_layers(cfg, filters):
        h = layer(h)
    return keras.Model([z, y], h, name="generator")


def build_conditional_discriminator(cfg):
    """[x, y] -> image ++ label maps -> DCGAN's strided-conv stages -> one logit."""
    x = keras.Input(tuple(cfg.image_shape), name="x")
    y = keras.Input((cfg.num_classes,), name="y")
    h = keras.layers.Concatenate()([x, _label_maps(y, cfg.image_shape[0], cfg.label_maps, "d_label")])
    for layer in downsampling_layers(cfg):
        h = layer(h)
    return keras.Model([x, y], h, name="discriminator")


class CGAN(DCGAN):
    """Class-conditional DCGAN (Mirza and Osindero 2014), trained on (images, labels) batches.

    Training is the GAN's Algorithm 1 (:meth:`tfgan.models.gan.GAN.train_step`); this class only
    says how the label conditions the two players (``split_batch``, ``generate``, ``discriminate``).
    """

    config_class = CGANConfig
    uses_labels = True

    def build_networks(self):
        return build_conditional_generator(self.config), build_conditional_discriminator(self.config)

    def one_hot(self, labels):
        return tf.one_hot(tf.cast(labels, tf.int32), self.config.num_classes)

    # -- the condition hook of Algorithm 1 (tfgan.models.gan.GAN.train_step) -----------------------
    def split_batch(self, data):
        """(images, labels) -> (real images, one-hot y); fakes in a step use the real batch's labels."""
        real, labels = data
        return real, self.one_hot(labels)

    def generate(self, z, y=None, training=True, network=None):
        """G(z | y)."""
        return (network or self.generator)([z, y], training=training)

    def discriminate(self, x, y=None, training=True):
        """The logit of D(x | y)."""
        return self.discriminator([x, y], training=training)

    # -- sampling ---------------------------------------------------------------------------------
    def check_labels(self, labels):
        labels = np.asarray(labels, dtype=np.int64).reshape(-1)
        bad = labels[(labels < 0) | (labels >= self.config.num_classes)]
        if bad.size:
            raise ValueError(
                f"Labels must be in 0..{self.config.num_classes - 1}. Received: {sorted(set(bad.tolist()))}"
            )
        return labels

    def sample(self, n, seed=None, z=None, labels=None):
        """``n`` images of the given ``labels`` (default: 0, 1, ..., cycling over the classes)."""
        n = int(n if z is None else len(z))
        labels = np.arange(n) % self.config.num_classes if labels is None else self.check_labels(labels)
        if len(labels) != n:
            raise ValueError(f"Got {len(labels)} labels for {n} samples")
        z = self.latent(n, seed) if z is None else tf.convert_to_tensor(z, tf.float32)
        return tf.cast(self.generate(z, self.one_hot(labels), training=False, network=self.sampler), tf.float32)

    def class_grid_inputs(self, per_class, seed):
        """Latents and labels of a class-by-row grid: row c is class c, column j shares z_j."""
        z = self.latent(per_class, seed=seed)
        z = tf.tile(z, [self.config.num_classes, 1])
        labels = np.repeat(np.arange(self.config.num_classes), per_class)
        return z, labels

    def preview_grid(self, num):
        """Class-by-row grid: one row per class, the same z down each column."""
        from tfgan import viz

        per_class = max(1, num // self.config.num_classes)
        z, labels = self.class_grid_inputs(per_class, self.preview_seed)
        images = viz.to_uint8(self.sample(len(labels), z=z, labels=labels))
        return viz.image_grid(images, ncols=per_class, scale=2 if images.shape[1] <= 32 else 1)
