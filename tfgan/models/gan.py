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

import functools
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from tfgan import losses
from tfgan.layers import diff_augment, spectral_norm
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
        self._d_features = self._feature_extractor() if self.config.feature_matching else None
        self.ema_generator = self._make_ema_generator() if self.config.ema is not None else None
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
        sn = functools.partial(spectral_norm, enabled=cfg.spectral_norm)
        discriminator = keras.Sequential(
            [
                keras.Input(shape),
                keras.layers.Flatten(),
                sn(keras.layers.Dense(units * 2)),
                keras.layers.LeakyReLU(0.2),
                keras.layers.Dropout(cfg.dropout),
                sn(keras.layers.Dense(units)),
                keras.layers.LeakyReLU(0.2),
                keras.layers.Dropout(cfg.dropout),
                sn(keras.layers.Dense(1, dtype="float32")),  # logit; D(x) = sigmoid(logit)
            ],
            name="discriminator",
        )
        return generator, discriminator

    # -- stabilizers (lectures/11_gan_objectives.md) -----------------------------------------------
    def _feature_extractor(self):
        """D's last hidden features (the input of its logit layer), sharing D's weights."""
        d = self.discriminator
        return keras.Model(d.inputs, d.layers[-2].output, name="discriminator_features")

    def _make_ema_generator(self):
        """A second generator, started from G's weights, that :meth:`update_ema` averages into."""
        ema = self.build_networks()[0]
        for target, source in zip(ema.weights, self.generator.weights):
            target.assign(source)
        return ema

    def ema_decay(self):
        """beta_t = min(beta, (1 + t) / (10 + t)) after t training steps: the decay of
        ``tf.train.ExponentialMovingAverage(num_updates=t)``. Early on the average then spans about
        the last t/9 steps instead of 1/(1 - beta) (1,000 for 0.999), so it does not drag G's
        initial weights along for thousands of steps (it scored 1.21 at 1,000 steps without this
        warm-up, benchmarks/README.md); from t = (10 beta - 1) / (1 - beta) on (8,990 for 0.999) it is
        beta."""
        t = tf.cast(self.step_counter, tf.float32)
        return tf.minimum(tf.constant(self.config.ema, tf.float32), (1.0 + t) / (10.0 + t))

    def update_ema(self):
        """theta_ema <- beta_t theta_ema + (1 - beta_t) theta, for every weight of G
        (lectures/11_gan_objectives.md, Eq. (16), with the warm-up of :meth:`ema_decay`); batch-norm
        statistics are averaged the same way."""
        beta = self.ema_decay()
        for target, source in zip(self.ema_generator.weights, self.generator.weights):
            target.assign(beta * target + (1.0 - beta) * tf.cast(source, target.dtype))

    @property
    def sampler(self):
        """The generator that samples (``sample``, generate, evaluate): G's moving average with
        ``--ema``, else G itself."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    def networks(self):
        nets = super().networks()
        if self.ema_generator is not None:  # checkpointed and counted, never trained
            nets["ema_generator"] = self.ema_generator
        return nets

    def clip_discriminator(self):
        """w <- clip(w, -c, c) for every weight of D (lectures/11_gan_objectives.md, Eq. (6))."""
        c = self.config.clip_weights
        for w in self.discriminator.trainable_variables:
            w.assign(tf.clip_by_value(w, -c, c))

    def penalty(self, real, fake, y=None):
        """``--gradient-penalty`` times its weight, for D's loss (0 without one)."""
        kind, weight = self.config.gradient_penalty, self.config.gp_weight
        critic = lambda x: self.discriminate(self.augment(x), y)  # noqa: E731  D(T(.) | y) of x
        if kind == "wgan_gp":
            epsilon = keras.random.uniform((tf.shape(real)[0],), seed=self.seed_generator)
            return weight * losses.gradient_penalty(critic, real, fake, epsilon)
        if kind == "r1":
            return weight * losses.r1_penalty(critic, real)
        return 0.0

    def generator_loss(self, fake, real, y=None):
        """G's loss on its samples ``fake``: the adversarial loss on D's logits, or feature
        matching against the real batch."""
        if self._d_features is not None:
            inputs = (lambda x: [x, y]) if y is not None else (lambda x: x)
            return losses.feature_matching_loss(
                tf.stop_gradient(self._d_features(inputs(self.augment(real)), training=True)),
                self._d_features(inputs(self.augment(fake)), training=True),
            )
        return self.g_loss_fn(self.discriminate(self.augment(fake), y))  # D(T(G(z)))

    def augment(self, images):
        """T(x) of ``--augment``: DiffAugment's random transforms (:func:`tfgan.layers.diff_augment`,
        lectures/11_gan_objectives.md, Eq. (17)), drawn afresh for every image at every call; the
        identity without ``--augment``. Every D call of a training step goes through it, on real
        and generated images, in D's loss, G's loss and the gradient penalties alike; sampling and
        evaluation never do."""
        if self.config.augment == "none":
            return images
        return diff_augment(images, self.config.augment, seed=self.seed_generator)

    # -- the condition hook: how y enters G and D (CGAN overrides these; here there is no y) -------
    def split_batch(self, data):
        """A training batch -> (real images, condition y or None)."""
        return (data[0] if isinstance(data, (tuple, list)) else data), None

    def generate(self, z, y=None, training=True, network=None):
        """G(z), or G(z | y) in a conditional model; ``network`` another G (the EMA sampler)."""
        return (network or self.generator)(z, training=training)

    def discriminate(self, x, y=None, training=True):
        """The logit of D(x), or of D(x | y) in a conditional model."""
        return self.discriminator(x, training=training)

    # -- Algorithm 1 -------------------------------------------------------------------------------
    def discriminator_step(self, real, fake=None, y=None):
        """One ascent step on V(D, G) for D (Algorithm 1, inner loop); draws G(z) unless given."""
        if fake is None:
            fake = self.generate(self.latent(tf.shape(real)[0]), y)  # G(z), z ~ p_z
        with tf.GradientTape() as tape:
            real_logits, fake_logits = self.discriminate_pair(real, fake, y)  # logits of D(x), D(G(z))
            d_loss = self.discriminator_loss(real_logits, fake_logits, real, fake, y)
        self.apply_discriminator_update(tape, d_loss)
        return d_loss, real_logits, fake_logits

    def discriminator_loss(self, real_logits, fake_logits, real, fake, y=None):
        """D's loss on its logits, plus the gradient penalty if any."""
        return self.d_loss_fn(real_logits, fake_logits, **self._smoothing) + self.penalty(real, fake, y)

    def apply_discriminator_update(self, tape, d_loss):
        self.optimizer_step(tape, d_loss, self.discriminator, self.d_optimizer)
        if self.config.clip_weights is not None:
            self.clip_discriminator()

    @property
    def d_has_batch_statistics(self):
        """Whether D's output for one example depends on the rest of its batch (batch norm,
        minibatch standard deviation): then real and fake batches must go through D separately."""
        from tfgan.layers import MinibatchStdDev

        mixing = (keras.layers.BatchNormalization, MinibatchStdDev)
        return any(isinstance(layer, mixing) for layer in self.discriminator.layers)

    def discriminate_pair(self, real, fake, y=None):
        """``(D's logits on real, on fake)``, each batch through ``augment`` first: one D call on
        the concatenated batch when D has no batch statistics (the same numbers, one pass of larger
        matrices), else two calls."""
        if self.d_has_batch_statistics:
            return self.discriminate(self.augment(real), y), self.discriminate(self.augment(fake), y)
        n = tf.shape(real)[0]
        both = self.discriminate(self.augment(tf.concat([real, tf.cast(fake, real.dtype)], 0)),
                                 None if y is None else tf.concat([y, y], 0))
        return both[:n], both[n:]

    def simultaneous_step(self, real, y=None):
        """The TensorFlow tutorial's update (``--update simultaneous``): one G(z), one D forward
        of the real and the fake batch, both losses from the same logits, both networks updated
        from them. Departs from Algorithm 1, where G's step sees the D that was just updated."""
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.generate(self.latent(tf.shape(real)[0]), y)  # G(z)
            # two D calls even without batch statistics: G's gradient then flows back through D on
            # the fake half only (through a concatenated call it would cross D on both halves)
            real_logits = self.discriminate(self.augment(real), y)  # D(T(x))
            fake_logits = self.discriminate(self.augment(fake), y)  # D(T(G(z)))
            d_loss = self.discriminator_loss(real_logits, fake_logits, real, fake, y)
            if self._d_features is not None:
                g_loss = self.generator_loss(fake, real, y)
            else:
                g_loss = self.g_loss_fn(fake_logits)  # the same D forward: D not yet updated
        self.optimizer_step(g_tape, g_loss, self.generator, self.g_optimizer)
        self.apply_discriminator_update(d_tape, d_loss)
        return d_loss, g_loss, real_logits, fake_logits

    @property
    def _smoothing(self):
        a = self.config.label_smoothing
        return {"label_smoothing": a} if a else {}

    def generator_step(self, batch, y=None, real=None):
        """One descent step for G on fresh noise against the current D; returns its loss."""
        with tf.GradientTape() as tape:
            g_loss = self.generator_loss(self.generate(self.latent(batch), y), real, y)
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
        if self.config.update == "simultaneous":
            d_loss, g_loss, real_logits, fake_logits = self.simultaneous_step(real, y)
        else:
            d_loss, g_loss, real_logits, fake_logits = self.alternating_step(real, y)
        for _ in range(self.config.g_steps - 1):  # more G steps against the same D (lecture 04)
            g_loss = self.generator_step(batch, y, real)
        if self._train_steps is not None:
            self._train_steps.assign_add(1)
        if self.ema_generator is not None:  # after the step count, which sets its warm-up
            self.update_ema()
        return self.track(
            d_loss=d_loss,
            g_loss=g_loss,
            d_real=tf.reduce_mean(tf.sigmoid(real_logits)),  # mean D(x)
            d_fake=tf.reduce_mean(tf.sigmoid(fake_logits)),  # mean D(G(z))
        )

    def alternating_step(self, real, y=None):
        """Algorithm 1's last D step, then G's step through the updated D."""
        batch = tf.shape(real)[0]
        with tf.GradientTape() as g_tape:
            fake = self.generate(self.latent(batch), y)  # G(z)
            with g_tape.stop_recording():  # the last D step, on the same G(z)
                d_loss, real_logits, fake_logits = self.discriminator_step(real, fake, y)
            if not self.config.reuse_fake:  # strict Algorithm 1: fresh noise for G's step
                fake = self.generate(self.latent(batch), y)
            g_loss = self.generator_loss(fake, real, y)  # D already updated
        self.optimizer_step(g_tape, g_loss, self.generator, self.g_optimizer)
        return d_loss, g_loss, real_logits, fake_logits
