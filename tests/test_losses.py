"""Losses against NumPy references on fixed logits, and the saturation property (eq. 1)."""

import numpy as np
import pytest
import tensorflow as tf

from tfgan import losses

REAL = np.array([2.0, -1.0, 0.5, 3.0], np.float32)
FAKE = np.array([-3.0, 0.2, -0.7, 1.5], np.float32)


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x.astype(np.float64)))


def test_discriminator_loss_matches_numpy_eq1():
    # -[log D(x)] - [log(1 - D(G(z)))], minibatch means
    expected = -np.mean(np.log(np_sigmoid(REAL))) - np.mean(np.log(1 - np_sigmoid(FAKE)))
    got = losses.discriminator_loss(REAL, FAKE)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5)


def test_one_sided_label_smoothing_matches_numpy():
    a = 0.1
    d_real, d_fake = np_sigmoid(REAL), np_sigmoid(FAKE)
    real_term = -np.mean((1 - a) * np.log(d_real) + a * np.log(1 - d_real))
    fake_term = -np.mean(np.log(1 - d_fake))  # fake target stays 0
    got = losses.discriminator_loss(REAL, FAKE, label_smoothing=a)
    np.testing.assert_allclose(got.numpy(), real_term + fake_term, rtol=1e-5)


def test_label_smoothing_leaves_fake_term_alone():
    # One-sided: changing a moves only the real term, so the change is the same whatever the
    # fake logits are.
    fakes = [FAKE, FAKE * 3.0 - 1.0]
    deltas = [
        (losses.discriminator_loss(REAL, f, 0.2) - losses.discriminator_loss(REAL, f, 0.0)).numpy()
        for f in fakes
    ]
    np.testing.assert_allclose(deltas[0], deltas[1], rtol=1e-5)
    assert abs(deltas[0]) > 1e-3


def test_generator_losses_match_numpy():
    d_fake = np_sigmoid(FAKE)
    np.testing.assert_allclose(
        losses.minimax_generator_loss(FAKE).numpy(), np.mean(np.log(1 - d_fake)), rtol=1e-5)
    np.testing.assert_allclose(
        losses.non_saturating_generator_loss(FAKE).numpy(), -np.mean(np.log(d_fake)), rtol=1e-5)


def test_hand_worked_value_at_zero_logits():
    # D = 1/2 everywhere: L_D = 2 log 2, minimax L_G = log(1/2), non-saturating L_G = log 2.
    zeros = np.zeros(3, np.float32)
    assert losses.discriminator_loss(zeros, zeros).numpy() == pytest.approx(2 * np.log(2), rel=1e-6)
    assert losses.minimax_generator_loss(zeros).numpy() == pytest.approx(-np.log(2), rel=1e-6)
    assert losses.non_saturating_generator_loss(zeros).numpy() == pytest.approx(np.log(2), rel=1e-6)


def _grad_wrt_logit(loss_fn, logit):
    x = tf.Variable([logit], dtype=tf.float32)
    with tf.GradientTape() as tape:
        loss = loss_fn(x)
    return float(tape.gradient(loss, x).numpy()[0])


def test_saturation_minimax_gradient_vanishes_non_saturating_does_not():
    # D(G(z)) -> 0 as the logit -> -inf: early training, when D easily spots fakes.
    for logit in [-5.0, -10.0, -20.0]:
        d = np_sigmoid(np.array(logit))
        g_mm = _grad_wrt_logit(losses.minimax_generator_loss, logit)
        g_ns = _grad_wrt_logit(losses.non_saturating_generator_loss, logit)
        np.testing.assert_allclose(g_mm, -d, rtol=1e-4)  # d/dl log(1 - s(l)) = -s(l)
        np.testing.assert_allclose(g_ns, -(1 - d), rtol=1e-4)  # d/dl -log s(l) = -(1 - s(l))
    assert abs(_grad_wrt_logit(losses.minimax_generator_loss, -20.0)) < 1e-8
    assert abs(_grad_wrt_logit(losses.non_saturating_generator_loss, -20.0)) > 0.99


def test_losses_are_finite_for_extreme_logits():
    big = np.array([80.0, -80.0], np.float32)
    for value in [losses.discriminator_loss(big, -big, 0.1), losses.minimax_generator_loss(big),
                  losses.non_saturating_generator_loss(big)]:
        assert np.isfinite(value.numpy())


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5])
def test_label_smoothing_out_of_range_is_rejected(bad):
    with pytest.raises(ValueError, match="Received: label_smoothing"):
        losses.discriminator_loss(REAL, FAKE, label_smoothing=bad)


def test_get_losses_names_choices():
    assert losses.get_losses("minimax")[0] is losses.minimax_generator_loss
    with pytest.raises(ValueError, match="minimax"):
        losses.get_losses("wasserstein")
