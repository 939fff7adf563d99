"""The original GAN: multilayer perceptrons trained with Algorithm 1.

Goodfellow et al. 2014, "Generative Adversarial Nets", https://arxiv.org/abs/1406.2661.
Lecture: ``lectures/01_gan.md``; notebook: ``notebooks/01_gan_basics.ipynb``.

Paper -> code:

=====================  ======================================================
z ~ p_z(z)             ``self.latent(n)``: N(0, I) of size ``latent_dim``
G(z; theta_g)          ``self.generator``: MLP, tanh output in [-1, 1]
D(x; theta_d)          ``sigmoid(self.discriminator(x))``: D outputs logits
k                      ``config.d_steps``
V(D, G), paper eq. 1   ``tfgan.losses.discriminator_loss`` (negated)
log(1 - D(G(z)))       ``tfgan.losses.minimax_generator_loss``
-log D(G(z))           ``tfgan.losses.non_saturating_generator_loss``
=====================  ======================================================

Departures from the paper: Gaussian instead of uniform noise, LeakyReLU instead of maxout units,
dropout only in D, and Adam (Kingma and Ba 2015) instead of SGD with momentum; these are the
settings most course material uses and they train in minutes on a CPU. By default the generator
step reuses the G(z) of the last discriminator step instead of drawing fresh noise (as the PyTorch
DCGAN example does): the minibatch is still an unbiased sample of p_z and one generator forward
pass per step is saved. ``reuse_fake=False`` gives Algorithm 1 exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from tfgan import losses
from tfgan.models.base import AdversarialConfig, AdversarialModel


@dataclass
class GANConfig(AdversarialConfig):
    """MLP GAN settings."""

    hidden_units: int = field(default=256, metadata={"help": "units of each hidden MLP layer", "min": 1})
    dropout: float = field(
        default=0.3, metadata={"help": "dropout rate in D's hidden layers", "min": 0, "max": 1, "max_exclusive": True}
    )


class GAN(AdversarialModel):
    """MLP GAN with Goodfellow et al.'s Algorithm 1 as ``train_step``.

    One ``train_step`` is one iteration of Algorithm 1's outer loop: ``k = d_steps``
    discriminator updates, each on its own slice of the real batch and fresh noise, then one
    generator update through the updated D (on the last D step's G(z), or on fresh noise with
    ``reuse_fake=False``). The input batch therefore holds ``k * batch_size`` images
    (``tfgan.train`` batches the data that way). ``g_steps > 1`` adds generator updates on fresh
    noise against the same D, a departure from Algorithm 1 that lecture 04 uses to provoke mode
    collapse (G trained "too much without updating D", Goodfellow et al. 2014, section 6).

    Conditional models reuse this Algorithm 1 through three hooks: ``split_batch`` (the condition
    y of a batch), ``generate`` (G(z | y)) and ``discriminate`` (D(x | y)); see
    :class:`tfgan.models.cgan.CGAN`.
    """

    config_class = GANConfig

    def __init__(self, config=None, generator=None, discriminator=None, **kwargs):
        super().__init__(config, **kwargs)
        if generator is None or discriminator is None:
            built_g, built_d = self.build_networks()
            generator, discriminator = generator or built_g, discriminator or built_d
        self.generator, self.discriminator = generator, discriminator
        self.g_loss_fn, self.d_loss_fn = losses.get_losses(self.config.loss)
        # With g_steps > 1 the G optimizer's update count is no longer the step count: keep one.
        self._train_steps = tf.Variable(0, dtype=tf.int64, trainable=False) if self.config.g_steps > 1 else None

    @property
    def step_counter(self):
        return self._train_steps if self._train_steps is not None else super().step_counter

    def build_networks(self):
        cfg = self.config
        units, shape = cfg.hidden_units, tuple(cfg.image_shape)
        generator = keras.Sequential(
            [
                keras.Input((cfg.latent_dim,)),
                keras.layers.Dense(units),
                keras.layers.LeakyReLU(0.2),
                keras.layers.Dense(units * 2),
                keras.layers.LeakyReLU(0.2),
                keras.layers.Dense(int(np.prod(shape)), activation="tanh"),
                keras.layers.Reshape(shape),
            ],
            name="generator",
        )
        discriminator = keras.Sequential(
            [
                keras.Input(shape),
                keras.layers.Flatten(),
                keras.layers.Dense(units * 2),
                keras.layers.LeakyReLU(0.2),
                keras.layers.Dropout(cfg.dropout),
                keras.layers.Dense(units),
                keras.layers.LeakyReLU(0.2),
                keras.layers.Dropout(cfg.dropout),
                keras.layers.Dense(1),  # logit; D(x) = sigmoid(logit)
            ],
            name="discriminator",
        )
        return generator, discriminator

    # -- the condition hook: how y enters G and D (CGAN overrides these; here there is no y) -------
    def split_batch(self, data):
        """A training batch -> (real images, condition y or None)."""
        return (data[0] if isinstance(data, (tuple, list)) else data), None

    def generate(self, z, y=None, training=True):
        """G(z), or G(z | y) in a conditional model."""
        return self.generator(z, training=training)

    def discriminate(self, x, y=None, training=True):
        """The logit of D(x), or of D(x | y) in a conditional model."""
        return self.discriminator(x, training=training)

    # -- Algorithm 1 -------------------------------------------------------------------------------
    def discriminator_step(self, real, fake=None, y=None):
        """One ascent step on V(D, G) for D (Algorithm 1, inner loop); draws G(z) unless given."""
        if fake is None:
            fake = self.generate(self.latent(tf.shape(real)[0]), y)  # G(z), z ~ p_z
        with tf.GradientTape() as tape:
            real_logits = self.discriminate(real, y)  # logit of D(x)
            fake_logits = self.discriminate(fake, y)  # logit of D(G(z))
            d_loss = self.d_loss_fn(real_logits, fake_logits, self.config.label_smoothing)
        self.optimizer_step(tape, d_loss, self.discriminator, self.d_optimizer)
        return d_loss, real_logits, fake_logits

    def generator_step(self, batch, y=None):
        """One descent step for G on fresh noise against the current D; returns its loss."""
        with tf.GradientTape() as tape:
            g_loss = self.g_loss_fn(self.discriminate(self.generate(self.latent(batch), y), y))
        self.optimizer_step(tape, g_loss, self.generator, self.g_optimizer)
        return g_loss

    def train_step(self, data):
        real, y = self.split_batch(data)
        k = self.config.d_steps
        reals = tf.split(real, k) if k > 1 else [real]
        ys = tf.split(y, k) if k > 1 and y is not None else [y] * k
        for real_k, y_k in zip(reals[:-1], ys[:-1]):  # k is static: the loop is unrolled
            self.discriminator_step(real_k, y=y_k)
        real, y = reals[-1], ys[-1]
        batch = tf.shape(real)[0]
        with tf.GradientTape() as g_tape:
            fake = self.generate(self.latent(batch), y)  # G(z)
            with g_tape.stop_recording():  # the last D step, on the same G(z)
                d_loss, real_logits, fake_logits = self.discriminator_step(real, fake, y)
            if not self.config.reuse_fake:  # strict Algorithm 1: fresh noise for G's step
                fake = self.generate(self.latent(batch), y)
            g_loss = self.g_loss_fn(self.discriminate(fake, y))  # D already updated
        self.optimizer_step(g_tape, g_loss, self.generator, self.g_optimizer)
        for _ in range(self.config.g_steps - 1):  # more G steps against the same D (lecture 04)
            g_loss = self.generator_step(batch, y)
        if self._train_steps is not None:
            self._train_steps.assign_add(1)
        return self.track(
            d_loss=d_loss,
            g_loss=g_loss,
            d_real=tf.reduce_mean(tf.sigmoid(real_logits)),  # mean D(x)
            d_fake=tf.reduce_mean(tf.sigmoid(fake_logits)),  # mean D(G(z))
        )
