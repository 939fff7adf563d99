"""Adversarial losses, as pure functions on discriminator logits.

Label convention, used everywhere in tfgan: **real = 1, fake = 0**. Discriminators output logits
(no final sigmoid); ``D(x) = sigmoid(logit)``. Working on logits lets TensorFlow use the stable
``sigmoid_cross_entropy_with_logits`` instead of ``log(sigmoid(.))``, which underflows.

Every loss is a minibatch mean. Formulas refer to Goodfellow et al. 2014, "Generative Adversarial
Nets" (https://arxiv.org/abs/1406.2661); "Lecture eq. N" is ``lectures/01_gan.md``, and
``notebooks/01_gan_basics.ipynb`` plots the losses and their gradients.

Variants (the ``loss`` setting of every adversarial model):

* ``"minimax"``: the generator minimizes eq. 1 directly (saturates early in training).
* ``"non_saturating"``: the generator maximizes log D(G(z)) instead (Goodfellow 2014, section 3).

:func:`optimal_discriminator` is the theory behind label smoothing: the D that minimizes the
smoothed loss at every point (``lectures/04_training_tricks.md``, ``notebooks/04_training_tricks.ipynb``).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

LOSS_VARIANTS = ("minimax", "non_saturating")


def _bce(labels, logits):
    return tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)


def _check_label_smoothing(label_smoothing):
    if not 0.0 <= float(label_smoothing) < 1.0:
        raise ValueError(
            "label_smoothing must be in [0, 1): the real target is 1 - label_smoothing. "
            f"Received: label_smoothing={label_smoothing}"
        )


def discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
    """Discriminator loss, eq. 1 of Goodfellow et al. 2014 with one-sided label smoothing.

    L_D = -E_x[(1 - a) log D(x) + a log(1 - D(x))] - E_z[log(1 - D(G(z)))]      (Lecture eq. 7)

    This is Lecture 04 eq. 1 with real target alpha = 1 - a and fake target beta = 0; its pointwise
    minimizer is :func:`optimal_discriminator` (Lecture 04 eq. 3).

    With ``a = label_smoothing = 0`` this is the negated value function V(D, G) of eq. 1
    (Lecture eq. 1), which D maximizes. One-sided label smoothing (Salimans et al. 2016, "Improved Techniques for Training
    GANs", section 3.4, https://arxiv.org/abs/1606.03498) replaces the real target 1 by ``1 - a``
    and keeps the fake target at 0: smoothing the fake target too would move the optimal
    discriminator towards the generator's own samples and flatten its logit where the generator's
    mistakes are (``lectures/01_gan.md`` eq. 9, ``lectures/04_training_tricks.md`` eqs. 5-6).

    Args:
        real_logits: D's logits on real data, any shape.
        fake_logits: D's logits on generated data, any shape.
        label_smoothing: ``a`` in [0, 1).

    Returns:
        Scalar: mean loss on the real batch plus mean loss on the fake batch.
    """
    _check_label_smoothing(label_smoothing)
    real_logits = tf.convert_to_tensor(real_logits)
    fake_logits = tf.convert_to_tensor(fake_logits)
    real_target = tf.fill(tf.shape(real_logits), tf.cast(1.0 - label_smoothing, real_logits.dtype))
    real_loss = tf.reduce_mean(_bce(real_target, real_logits))
    fake_loss = tf.reduce_mean(_bce(tf.zeros_like(fake_logits), fake_logits))
    return real_loss + fake_loss


def minimax_discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
    """Discriminator loss of the minimax game: the same as :func:`discriminator_loss`."""
    return discriminator_loss(real_logits, fake_logits, label_smoothing)


def non_saturating_discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
    """Discriminator loss used with the non-saturating generator: the same as :func:`discriminator_loss`.

    Only the generator's objective changes between the two variants.
    """
    return discriminator_loss(real_logits, fake_logits, label_smoothing)


def minimax_generator_loss(fake_logits):
    """Minimax generator loss, eq. 1 of Goodfellow et al. 2014.

    L_G = E_z[log(1 - D(G(z)))]            (minimized by G)

    Computed as ``-BCE(0, logit)`` = ``log(1 - sigmoid(logit))``. Its gradient with respect to the
    logit is ``-D(G(z))`` (Lecture eq. 5), which vanishes when D confidently rejects the samples (D(G(z)) -> 0),
    the usual state early in training: the generator then learns slowly ("saturation").
    """
    fake_logits = tf.convert_to_tensor(fake_logits)
    return -tf.reduce_mean(_bce(tf.zeros_like(fake_logits), fake_logits))


def non_saturating_generator_loss(fake_logits):
    """Non-saturating generator loss, Goodfellow et al. 2014, section 3 (after eq. 1).

    L_G = -E_z[log D(G(z))]                (minimized by G)

    Same fixed point as the minimax loss, but its gradient with respect to the logit is
    ``-(1 - D(G(z)))`` (Lecture eq. 6), which is largest exactly when D rejects the samples.
    """
    fake_logits = tf.convert_to_tensor(fake_logits)
    return tf.reduce_mean(_bce(tf.ones_like(fake_logits), fake_logits))


def optimal_discriminator(p_data, p_model, alpha=1.0, beta=0.0):
    """The discriminator that minimizes the label-smoothed D loss, point by point.

    D*(x) = (alpha p_data(x) + beta p_model(x)) / (p_data(x) + p_model(x))     (Lecture 04 eq. 3)

    for real targets ``alpha`` and fake targets ``beta`` (Salimans et al. 2016, section 3.4,
    https://arxiv.org/abs/1606.03498). tfgan's one-sided smoothing is ``alpha = 1 -
    label_smoothing``, ``beta = 0`` (Lecture 01 eq. 8); ``alpha = 1, beta = 0`` is Goodfellow et
    al.'s D* (Lecture 01 eq. 2). With ``beta > 0``, D* tends to ``beta`` wherever p_data is
    negligible next to p_model, and its logit stops pointing G's samples towards the data
    (Lecture 04 eqs. 5-6): the reason tfgan never smooths the fake target. Unlike the losses above
    this works on densities, not logits: it is the theory the losses are checked against
    (``notebooks/04_training_tricks.ipynb`` plots it).

    Args:
        p_data, p_model: densities (arrays of the same shape, or broadcastable), >= 0.
        alpha: real target in [0, 1].
        beta: fake target in [0, 1].

    Returns:
        float64 array of D*; NaN where both densities are 0 (D* is undefined there).
    """
    for name, value in (("alpha", alpha), ("beta", beta)):
        if not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"{name} is a target probability and must be in [0, 1]. Received: {name}={value}")
    p_data = np.asarray(p_data, dtype=np.float64)
    p_model = np.asarray(p_model, dtype=np.float64)
    if np.any(p_data < 0) or np.any(p_model < 0):
        raise ValueError(
            "Densities must be >= 0. Received: p_data min "
            f"{p_data.min():.4g}, p_model min {p_model.min():.4g}"
        )
    total = p_data + p_model
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (alpha * p_data + beta * p_model) / total, np.nan)


def get_losses(variant):
    """Return ``(generator_loss, discriminator_loss)`` for a loss variant name."""
    table = {
        "minimax": (minimax_generator_loss, minimax_discriminator_loss),
        "non_saturating": (non_saturating_generator_loss, non_saturating_discriminator_loss),
    }
    if variant not in table:
        raise ValueError(f"Unknown loss variant. Expected one of {list(table)}. Received: loss={variant!r}")
    return table[variant]
