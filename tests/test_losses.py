"""Losses against NumPy references on fixed logits, and the saturation property.

lectures/01_gan.md, Eq. (5).
"""

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
    assert losses.get_losses("least_squares") == (losses.least_squares_generator_loss,
                                                 losses.least_squares_discriminator_loss)
    with pytest.raises(ValueError, match="minimax"):
        losses.get_losses("wasserstein")


def test_every_model_looks_its_losses_up_in_the_one_table():
    from tfgan.models import CycleGAN, CycleGANConfig, DCGAN, Pix2Pix, Pix2PixConfig
    from tfgan.models.image_to_image import GAN_LOSSES

    assert set(losses.LOSS_VARIANTS) | set(GAN_LOSSES) == set(losses.LOSSES)
    assert (DCGAN().g_loss_fn, DCGAN().d_loss_fn) == losses.LOSSES["non_saturating"]
    tiny = dict(dataset="folder:/nonexistent", image_size=16, channels=1, ngf=2, ndf=2, patch_size=16)
    cyclegan = CycleGAN(CycleGANConfig(n_blocks=0, **tiny))
    assert (cyclegan.g_loss_fn, cyclegan.d_loss_fn) == losses.LOSSES["least_squares"]
    assert Pix2Pix(Pix2PixConfig(**tiny)).d_loss_fn is losses.non_saturating_discriminator_loss


# -- image-to-image translation losses (lecture 08) -----------------------------------------------
def test_cycle_loss_hand_worked():
    x = np.array([[0.0, 1.0, -1.0, 0.5]])
    rec_x = np.array([[0.5, 1.0, -0.5, 0.5]])  # |diff| = 0.5, 0, 0.5, 0: mean 0.25
    y = np.array([[1.0, -1.0]])
    rec_y = np.array([[1.0, 1.0]])  # |diff| = 0, 2: mean 1.0
    assert float(losses.cycle_consistency_loss(x, rec_x, y, rec_y)) == pytest.approx(1.25)
    assert 10 * float(losses.cycle_consistency_loss(x, rec_x, y, rec_y)) == pytest.approx(12.5)  # lambda
    # identity: ||G(y) - y|| + ||F(x) - x||, the same means in the other order of arguments
    assert float(losses.identity_loss(x, rec_x, y, rec_y)) == pytest.approx(1.25)
    assert float(losses.cycle_consistency_loss(x, x, y, y)) == 0.0


def test_least_squares_losses_against_numpy():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(4, 3, 3, 1)), rng.normal(size=(4, 3, 3, 1))
    assert float(losses.least_squares_generator_loss(fake)) == pytest.approx(np.mean((fake - 1) ** 2), rel=1e-6)
    want = np.mean((real - 1) ** 2) + np.mean(fake ** 2)
    assert float(losses.least_squares_discriminator_loss(real, fake)) == pytest.approx(want, rel=1e-6)
    # At D's targets (real 1, fake 0) D's loss is 0; G's loss is 1 when D says 0 to its fakes.
    assert float(losses.least_squares_discriminator_loss(np.ones(3), np.zeros(3))) == 0.0
    assert float(losses.least_squares_generator_loss(np.zeros(3))) == 1.0


def test_l1_loss_is_the_mean_absolute_error():
    target = np.array([[0.0, 1.0], [-1.0, 0.5]])
    output = np.array([[0.5, 1.0], [1.0, 0.0]])
    # |-0.5| + 0 + |-2| + 0.5 = 3 over 4 values
    assert float(losses.l1_reconstruction_loss(target, output)) == pytest.approx(0.75)


# -- super-resolution content losses (lecture 10) --------------------------------------------------
def test_content_losses_against_numpy_and_hand_worked_values():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(2, 4, 4, 3)), rng.normal(size=(2, 4, 4, 3))
    np.testing.assert_allclose(losses.mse_content_loss(real, fake).numpy(), np.mean((real - fake) ** 2), rtol=1e-12)
    # the paper's eq. 5 with its 1/12.75 on the features: a difference of 12.75 everywhere costs 1.
    a = np.zeros((1, 2, 2, 512), np.float32)
    assert losses.vgg_content_loss(a, a + 12.75).numpy() == pytest.approx(1.0)
    np.testing.assert_allclose(
        losses.vgg_content_loss(real, fake).numpy(), np.mean((real - fake) ** 2) / 12.75**2, rtol=1e-12
    )
    assert losses.VGG_FEATURE_SCALE**2 == pytest.approx(0.00615, abs=1e-5)  # the paper's "~0.006"


# -- the optimal discriminator, lectures/04_training_tricks.md, Eq. (3) ----------------------------
def grid_search_d(p_data, p_model, alpha, beta, grid=np.linspace(1e-6, 1 - 1e-6, 200_001)):
    """argmin over y of the smoothed D loss at one point, by brute force.

    lectures/04_training_tricks.md, Eq. (2).
    """
    f = (-(alpha * p_data + beta * p_model) * np.log(grid)
         - ((1 - alpha) * p_data + (1 - beta) * p_model) * np.log1p(-grid))
    return grid[np.argmin(f)]


@pytest.mark.parametrize("alpha,beta", [(1.0, 0.0), (0.9, 0.0), (0.9, 0.1), (0.7, 0.3), (0.8, 0.2)])
def test_optimal_discriminator_minimizes_the_smoothed_loss_pointwise(alpha, beta):
    rng = np.random.default_rng(0)
    p_data = np.concatenate([rng.uniform(0, 2, 20), [0.0, 1e-3, 0.5]])
    p_model = np.concatenate([rng.uniform(0, 2, 20), [0.7, 0.0, 0.5]])
    expected = [grid_search_d(a, b, alpha, beta) for a, b in zip(p_data, p_model)]
    got = losses.optimal_discriminator(p_data, p_model, alpha, beta)
    np.testing.assert_allclose(got, expected, atol=1e-5)  # the grid's spacing is 5e-6


def test_optimal_discriminator_hand_worked_values():
    d = losses.optimal_discriminator
    assert d(0.3, 0.1, 0.9, 0.0) == pytest.approx(0.27 / 0.4)  # 0.675
    assert d(0.3, 0.1) == pytest.approx(0.75)  # lectures/01_gan.md, Eq. (2)
    assert d(1.0, 1.0, 0.9, 0.1) == pytest.approx(0.5)  # (alpha + beta) / 2 where p_model = p_data
    # no data: D* = beta (lectures/04_training_tricks.md, Eq. (5))
    assert d(0.0, 2.0, 0.9, 0.1) == pytest.approx(0.1)
    assert d(0.0, 2.0, 0.9, 0.0) == 0.0
    assert np.isnan(d(0.0, 0.0, 0.9, 0.0))  # undefined where neither distribution has mass


def test_optimal_discriminator_is_affine_in_the_unsmoothed_one():
    # lectures/04_training_tricks.md, Eq. (4): D*_{alpha,beta} = beta + (alpha - beta) D*
    rng = np.random.default_rng(1)
    p_data, p_model = rng.uniform(0.01, 1, 50), rng.uniform(0.01, 1, 50)
    np.testing.assert_allclose(
        losses.optimal_discriminator(p_data, p_model, 0.85, 0.2),
        0.2 + 0.65 * losses.optimal_discriminator(p_data, p_model), rtol=1e-12)


def test_fake_smoothing_flattens_the_optimal_logit():
    # lectures/04_training_tricks.md, Eq. (6), on two unit-variance Gaussians 4 apart, beyond the
    # model's mean (r = p_data/p_model <= e^-12): beta = 0 keeps the slope of the log-ratio (-4
    # everywhere); beta = 0.1 flattens it.
    x = np.linspace(5.0, 9.0, 401)
    p_data = np.exp(-0.5 * x**2) / np.sqrt(2 * np.pi)
    p_model = np.exp(-0.5 * (x - 4) ** 2) / np.sqrt(2 * np.pi)

    def slope(alpha, beta):
        d = losses.optimal_discriminator(p_data, p_model, alpha, beta)
        return np.gradient(np.log(d) - np.log1p(-d), x)

    np.testing.assert_allclose(slope(0.9, 0.0), -4.0, atol=1e-3)  # d/dx log(p_data / p_model) = -4
    assert np.max(np.abs(slope(0.9, 0.1))) < 1e-3
    logit = np.log(0.1 / 0.9)
    d = losses.optimal_discriminator(p_data, p_model, 0.9, 0.1)
    np.testing.assert_allclose(np.log(d) - np.log1p(-d), logit, atol=1e-4)  # the plateau


def test_discriminator_loss_minimizer_is_the_optimal_discriminator():
    # Train free logits on a 3-point space with tfgan's own loss; the minimizer is
    # lectures/04_training_tricks.md, Eq. (3), with alpha = 1 - label_smoothing, beta = 0
    # (lectures/01_gan.md, Eq. (8)).
    p_data, p_model = np.array([0.5, 0.3, 0.2]), np.array([0.1, 0.3, 0.6])
    real_idx = np.repeat([0, 1, 2], (p_data * 10).astype(int))  # 10 samples in proportion
    fake_idx = np.repeat([0, 1, 2], (p_model * 10).astype(int))
    logits = tf.Variable(tf.zeros(3, tf.float64))
    opt = tf.keras.optimizers.SGD(2.0)
    for _ in range(200):  # convex and separable: converges geometrically
        with tf.GradientTape() as tape:
            loss = losses.discriminator_loss(tf.gather(logits, real_idx), tf.gather(logits, fake_idx), 0.2)
        opt.apply_gradients([(tape.gradient(loss, logits), logits)])
    np.testing.assert_allclose(tf.sigmoid(logits).numpy(),
                               losses.optimal_discriminator(p_data, p_model, 0.8, 0.0), atol=1e-4)


@pytest.mark.parametrize("kwargs,match", [
    ({"alpha": 1.5}, "alpha"), ({"beta": -0.1}, "beta"), ({"p_data": -1.0}, "Densities"),
])
def test_optimal_discriminator_rejects_bad_input(kwargs, match):
    args = {"p_data": 0.5, "p_model": 0.5, "alpha": 0.9, "beta": 0.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        losses.optimal_discriminator(**args)
