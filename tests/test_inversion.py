"""Recovering z (lectures/13_representation_learning.md, Eqs. (5)-(6)) on small generators whose
answer is known: a linear G (z* is the least-squares solution), a periodic G with many local
minima (restarts), and the L-BFGS driver on a quadratic."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import inversion, ops


def linear_generator(latent_dim=3, side=4, seed=0):
    """G(z) = reshape(A z) with a fixed full-rank A: the pixel objective is a convex quadratic."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(latent_dim, side * side)).astype("float32") / np.sqrt(latent_dim)
    dense = keras.layers.Dense(side * side, use_bias=False)
    g = keras.Sequential([keras.Input((latent_dim,)), dense, keras.layers.Reshape((side, side, 1))])
    dense.set_weights([a])
    return g, a


def periodic_generator():
    """G(z) = 0.9 cos(w z) on 8 pixels with w = 1..8, z scalar: the objective in z has a local
    minimum near every period of the slowest cosine, so a start far from z* can stall."""
    w = np.arange(1, 9, dtype="float32")[None]
    return keras.Sequential([
        keras.Input((1,)),
        keras.layers.Lambda(lambda z: 0.9 * tf.cos(z * w)),
        keras.layers.Reshape((2, 4, 1)),
    ])


def test_lbfgs_driver_minimizes_a_quadratic_of_any_shape():
    target = np.arange(6, dtype="float32").reshape(2, 3)
    seen = []
    x = ops.lbfgs(lambda x: (np.sum((x - target) ** 2), 2 * (x - target)), np.zeros((2, 3)), steps=20,
                  on_iteration=seen.append)
    np.testing.assert_allclose(x, target, atol=1e-4)
    assert x.shape == (2, 3) and x.dtype == np.float32 and seen and seen[-1].shape == (2, 3)
    boxed = ops.lbfgs(lambda x: (np.sum((x - target) ** 2), 2 * (x - target)), np.zeros((2, 3)), steps=20,
                      bounds=(0.0, 2.0))
    np.testing.assert_allclose(boxed, np.minimum(target, 2.0), atol=1e-4)


@pytest.mark.parametrize("method, learning_rate, atol", [("lbfgs", None, 1e-3), ("adam", 0.05, 2e-2)])
def test_a_known_z_is_recovered_on_a_linear_generator(method, learning_rate, atol):
    g, a = linear_generator()
    z_true = np.array([[0.5, -1.0, 1.5], [-0.3, 0.2, 0.8]], "float32")
    x = g(z_true).numpy()
    kwargs = {"learning_rate": learning_rate} if learning_rate else {}
    found = inversion.invert(g, x, steps=400 if method == "adam" else 50, method=method, **kwargs)
    np.testing.assert_allclose(found.z, z_true, atol=atol)
    # The least-squares answer, by NumPy: z* = argmin ||A^T z - x||.
    z_ls = np.linalg.lstsq(a.T, x.reshape(2, -1).T, rcond=None)[0].T
    np.testing.assert_allclose(found.z, z_ls, atol=atol)
    assert found.pixel_error.shape == (2,) and found.pixel_error.max() < 1e-3
    np.testing.assert_allclose(found.reconstructions, x, atol=5 * atol)
    assert found.feature_error is None and found.history[-1] < found.history[0]
    assert found.cpu_seconds > 0 and found.wall_seconds > 0


def test_restarts_are_never_worse_than_one_start_and_help_on_a_multimodal_generator():
    g = periodic_generator()
    z_true = np.linspace(-2.5, 2.5, 12, dtype="float32")[:, None]
    x = g(z_true).numpy()
    one = inversion.invert(g, x, steps=150, learning_rate=0.05, restarts=1, seed=3)
    many = inversion.invert(g, x, steps=150, learning_rate=0.05, restarts=6, seed=3)
    assert many.restart_objectives.shape == (6, 12)
    # restart 0 of the longer run is the single run: same start, same steps
    np.testing.assert_allclose(many.restart_objectives[0], one.objective, rtol=1e-4, atol=1e-6)
    assert np.all(many.objective <= one.objective + 1e-6)
    np.testing.assert_allclose(many.objective, many.restart_objectives.min(axis=0))
    # one start stalls in a local minimum for some digits; the best of six finds z* for more of them
    solved = lambda found: int(np.sum(np.abs(found.z - z_true)[:, 0] < 1e-2))  # noqa: E731
    assert solved(many) > solved(one), (solved(one), solved(many))


def test_the_feature_term_is_the_mean_squared_feature_difference():
    g, _ = linear_generator()
    z = np.array([[0.1, 0.2, 0.3]], "float32")
    x = np.zeros((1, 4, 4, 1), "float32")
    psi = lambda images: tf.reshape(images, (-1, 16))[:, :2] * 2.0  # noqa: E731  two features
    pixel, feature = inversion.reconstruction_terms(g, z, x, psi)
    gz = g(z).numpy().reshape(16)
    np.testing.assert_allclose(pixel.numpy(), [np.mean(gz**2)], rtol=1e-5)
    np.testing.assert_allclose(feature.numpy(), [np.mean((2 * gz[:2]) ** 2)], rtol=1e-5)
    found = inversion.invert(g, x, steps=5, method="lbfgs", features=psi, feature_weight=0.5)
    np.testing.assert_allclose(found.objective, found.pixel_error + 0.5 * found.feature_error, rtol=1e-4)
    with pytest.raises(ValueError, match="features="):
        inversion.invert(g, x, feature_weight=1.0)
    with pytest.raises(ValueError, match="method"):
        inversion.invert(g, x, method="sgd")
    with pytest.raises(ValueError, match="init of shape"):
        inversion.invert(g, x, init=np.zeros((2, 3)))


def test_an_init_starts_the_first_restart_there():
    """Started at z* itself (the hybrid inversion's encoder guess, when perfect), zero steps of
    descent are needed: one Adam step with a tiny rate stays at z*."""
    g, _ = linear_generator()
    z_true = np.array([[0.5, -1.0, 1.5]], "float32")
    found = inversion.invert(g, g(z_true).numpy(), steps=1, learning_rate=1e-6, init=z_true, restarts=2)
    np.testing.assert_allclose(found.z, z_true, atol=1e-5)
    assert found.objective[0] < 1e-10 < found.restart_objectives[1, 0]


def test_an_encoder_trained_on_g_samples_inverts_a_linear_generator():
    """Eq. (6): E trained on (G(z), z) pairs; for a linear G the pseudo-inverse is reachable by a
    linear E, so E(G(z)) ~ z on fresh z."""
    g, _ = linear_generator()
    encoder = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(3)])
    encoder, history = inversion.train_encoder(g, encoder, steps=300, batch_size=32, learning_rate=0.02)
    assert history[-1] < 0.01 * history[0]
    z = np.random.default_rng(1).normal(size=(5, 3)).astype("float32")
    np.testing.assert_allclose(inversion.encode(encoder, g(z).numpy()), z, atol=0.05)


def test_the_default_encoder_and_the_comparison_table():
    from tfgan.classifier import build_classifier
    from tfgan.models import DCGAN, DCGANConfig

    gan = DCGAN(DCGANConfig(g_filters=8, d_filters=8, latent_dim=5))
    encoder, history = inversion.train_encoder(gan.generator, steps=2, batch_size=4, filters=4)
    assert encoder.output_shape == (None, 5) and len(history) == 2
    x = gan.sample(3, seed=0).numpy()
    z_true = gan.latent(3, seed=0).numpy()
    clf = build_classifier()
    rows = inversion.compare(gan.generator, {"true": z_true, "encoder": inversion.encode(encoder, x)}, x, clf,
                             times={"true": (0.0, 0.0)})
    other = DCGAN(DCGANConfig(g_filters=8, d_filters=8, latent_dim=5, seed=1))
    by_name = inversion.compare({"true": gan.generator, "other": other.generator}, {"true": z_true, "other": z_true},
                                x, clf)
    assert by_name["true"]["pixel_mse"] < 1e-10 < by_name["other"]["pixel_mse"]
    assert rows["true"]["pixel_mse"] < 1e-10 and rows["true"]["feature_mse"] < 1e-10
    assert rows["true"]["agreement"] == 1.0 and rows["true"]["cpu_seconds"] == 0.0
    assert rows["encoder"]["pixel_mse"] > 0 and "cpu_seconds" not in rows["encoder"]


def test_code_correlation_is_one_for_the_inverse_and_near_zero_for_an_encoder_that_ignores_x():
    g, a = linear_generator()
    inverse = keras.layers.Dense(3, use_bias=False)
    exact = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), inverse])
    inverse.set_weights([np.linalg.pinv(a)])  # A^+: E(G(z)) = z
    assert inversion.code_correlation(exact, g) == pytest.approx(1.0, abs=1e-5)
    blind = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Lambda(
        lambda x: tf.random.stateless_normal((tf.shape(x)[0], 3), seed=[3, 4]))])
    assert abs(inversion.code_correlation(blind, g)) < 0.1
