"""GAN objectives and stabilizers (lectures/11_gan_objectives.md): each loss and penalty against
NumPy, the gradient penalty on a known linear critic, and the model options that use them."""

import json

import numpy as np
import pytest
import tensorflow as tf

from tfgan import losses, models, train
from tfgan.errors import ConfigError

REAL = np.array([2.0, -1.0, 0.5, 3.0, -0.2], np.float32)
FAKE = np.array([-3.0, 0.2, -0.7, 1.5, 0.9], np.float32)


# -- losses on critic values: Eqs. (4)-(5), (8)-(11) -----------------------------------------------
def test_wasserstein_losses_against_numpy():
    assert float(losses.wasserstein_discriminator_loss(REAL, FAKE)) == pytest.approx(FAKE.mean() - REAL.mean())
    assert float(losses.wasserstein_generator_loss(FAKE)) == pytest.approx(-FAKE.mean())
    # the critic's loss is minus the Kantorovich-Rubinstein estimate of W1, Eq. (3): shifting every
    # score by the same constant changes nothing
    assert float(losses.wasserstein_discriminator_loss(REAL + 7, FAKE + 7)) == pytest.approx(
        float(losses.wasserstein_discriminator_loss(REAL, FAKE)), abs=1e-5)


def test_hinge_losses_against_numpy_and_the_margin():
    want = np.mean(np.maximum(0, 1 - REAL)) + np.mean(np.maximum(0, 1 + FAKE))
    assert float(losses.hinge_discriminator_loss(REAL, FAKE)) == pytest.approx(want, rel=1e-6)
    assert float(losses.hinge_generator_loss(FAKE)) == pytest.approx(-FAKE.mean(), rel=1e-6)
    # separated with a margin of 1 on both sides: no loss, no gradient
    assert float(losses.hinge_discriminator_loss([1.5, 3.0], [-1.0, -4.0])) == 0.0


def test_least_squares_and_loss_table_cover_every_variant():
    for name in losses.LOSS_VARIANTS:
        g, d = losses.get_losses(name)
        assert np.isfinite(float(d(REAL, FAKE))) and np.isfinite(float(g(FAKE)))
    assert losses.get_losses("wasserstein") == (losses.wasserstein_generator_loss,
                                                losses.wasserstein_discriminator_loss)
    assert losses.get_losses("hinge") == (losses.hinge_generator_loss, losses.hinge_discriminator_loss)


@pytest.mark.parametrize("name", ["non_saturating", "least_squares", "wasserstein", "hinge"])
def test_losses_compute_in_float32_from_half_precision_logits(name):
    g, d = losses.get_losses(name)
    half = tf.constant(REAL, tf.bfloat16), tf.constant(FAKE, tf.bfloat16)
    assert d(*half).dtype == tf.float32 and g(half[1]).dtype == tf.float32
    exact = d(tf.cast(half[0], tf.float32), tf.cast(half[1], tf.float32))
    assert float(d(*half)) == pytest.approx(float(exact), rel=1e-6)


# -- gradient penalties: Eqs. (7) and (12) ----------------------------------------------------------
def test_interpolates_are_on_the_segments():
    real, fake = np.ones((3, 2, 2, 1), np.float32), -np.ones((3, 2, 2, 1), np.float32)
    x_hat = losses.interpolates(real, fake, [1.0, 0.0, 0.25]).numpy()
    np.testing.assert_allclose(x_hat[0], real[0])
    np.testing.assert_allclose(x_hat[1], fake[1])
    np.testing.assert_allclose(x_hat[2], 0.25 * real[2] + 0.75 * fake[2])


@pytest.mark.parametrize("w", [[0.6, 0.8], [3.0, 4.0], [0.1, 0.0]])
def test_gradient_penalty_on_a_linear_critic(w):
    # f(x) = w.x has gradient w everywhere: GP = (||w|| - 1)^2 whatever the points, and its
    # gradient in w is 2 (||w|| - 1) w / ||w||.
    w = tf.Variable(np.array(w, np.float32)[:, None])
    critic = lambda x: tf.matmul(x, w)  # noqa: E731
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(6, 2)).astype(np.float32), rng.normal(size=(6, 2)).astype(np.float32)
    with tf.GradientTape() as tape:
        gp = losses.gradient_penalty(critic, real, fake, rng.uniform(size=6))
    norm = np.linalg.norm(w.numpy())
    assert float(gp) == pytest.approx((norm - 1) ** 2, rel=1e-5, abs=1e-9)
    np.testing.assert_allclose(tape.gradient(gp, w).numpy(), 2 * (norm - 1) * w.numpy() / norm, rtol=1e-4, atol=1e-7)


def test_gradient_penalty_and_r1_against_numpy_on_a_quadratic_critic():
    # f(x) = sum(x^2) per example: grad 2x, so ||grad|| = 2 ||x|| at each point.
    critic = lambda x: tf.reduce_sum(tf.square(x), axis=[1, 2, 3])  # noqa: E731
    rng = np.random.default_rng(1)
    real = rng.normal(size=(5, 3, 3, 2)).astype(np.float32)
    fake = rng.normal(size=(5, 3, 3, 2)).astype(np.float32)
    eps = rng.uniform(size=5).astype(np.float32)
    x_hat = eps[:, None, None, None] * real + (1 - eps[:, None, None, None]) * fake
    norms = 2 * np.sqrt((x_hat**2).sum(axis=(1, 2, 3)))
    gp = losses.gradient_penalty(critic, real, fake, eps)
    assert float(gp) == pytest.approx(np.mean((norms - 1) ** 2), rel=1e-5)
    r1 = losses.r1_penalty(critic, real)
    assert float(r1) == pytest.approx(0.5 * np.mean(4 * (real**2).sum(axis=(1, 2, 3))), rel=1e-5)


def test_feature_matching_loss_against_numpy():
    rng = np.random.default_rng(2)
    real, fake = rng.normal(size=(8, 2, 2, 3)), rng.normal(size=(6, 2, 2, 3))
    want = np.sum((real.reshape(8, -1).mean(0) - fake.reshape(6, -1).mean(0)) ** 2)
    assert float(losses.feature_matching_loss(real, fake)) == pytest.approx(want, rel=1e-5)
    assert float(losses.feature_matching_loss(real, real[::-1])) == pytest.approx(0.0, abs=1e-6)


# -- the model options -------------------------------------------------------------------------------
TINY = {"gan": dict(hidden_units=8), "dcgan": dict(g_filters=4, d_filters=4),
        "cgan": dict(g_filters=4, d_filters=4)}


def _step(name, **config):
    import keras

    keras.utils.set_random_seed(config.get("seed", 0))  # the same initial weights for a given seed
    model = models.build(name, batch_size=4, **TINY[name], **config)
    model.compile()
    x = tf.random.stateless_uniform((4, 28, 28, 1), [1, 2], -1, 1)
    out = model.train_step((x, tf.range(4) % 10) if name == "cgan" else x)
    return model, {k: float(v) for k, v in out.items()}


@pytest.mark.parametrize("name", ["gan", "dcgan", "cgan"])
@pytest.mark.parametrize("options", [
    dict(loss="wasserstein", gradient_penalty="wgan_gp"),
    dict(loss="hinge", gradient_penalty="r1", gp_weight=1.0),
    dict(loss="least_squares", feature_matching=True),
])
def test_every_noise_gan_trains_a_step_with_each_objective(name, options):
    model, out = _step(name, **options)
    assert all(np.isfinite(v) for v in out.values())
    assert (model.g_loss_fn, model.d_loss_fn) == losses.LOSSES[options["loss"]]


@pytest.mark.parametrize("kind", ["wgan_gp", "r1"])
def test_the_penalty_enters_d_loss_times_its_weight(kind):
    # Same seed, same weights and noise: D's reported loss is L_D + weight * penalty (Eqs. (7), (12)).
    d_loss = {w: _step("gan", loss="wasserstein", gp_weight=w, gradient_penalty=kind, seed=3)[1]["d_loss"]
              for w in (0.0, 10.0, 20.0)}
    assert d_loss[10.0] > d_loss[0.0] + 1e-3
    assert d_loss[20.0] - d_loss[0.0] == pytest.approx(2 * (d_loss[10.0] - d_loss[0.0]), rel=1e-3)


def test_weight_clipping_bounds_every_weight_of_d():
    model, _ = _step("dcgan", loss="wasserstein", clip_weights=0.01)
    assert max(float(tf.reduce_max(tf.abs(w))) for w in model.discriminator.trainable_variables) <= 0.01
    assert max(float(tf.reduce_max(tf.abs(w))) for w in model.generator.trainable_variables) > 0.01


def test_label_smoothing_is_refused_for_losses_on_scores():
    with pytest.raises(ConfigError, match="--label-smoothing applies to.*Received: --loss hinge"):
        models.build("dcgan", loss="hinge", label_smoothing=0.1)
    with pytest.raises(ConfigError, match="--gradient-penalty must be one of none, wgan_gp, r1"):
        models.build("dcgan", gradient_penalty="gp")


# -- EMA of G: Eq. (16) --------------------------------------------------------------------------------
def test_ema_follows_the_update_rule():
    model = models.build("dcgan", batch_size=4, ema=0.9, **TINY["dcgan"])
    model.compile()
    for a, b in zip(model.ema_generator.weights, model.generator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())  # starts from G
    before = [w.numpy() for w in model.ema_generator.weights]
    model.train_step(tf.random.stateless_uniform((4, 28, 28, 1), [1, 2], -1, 1))
    after_g = [w.numpy() for w in model.generator.weights]
    beta = 2 / 11  # warm-up: min(0.9, (1 + t) / (10 + t)) after t = 1 step
    for old, new, g in zip(before, model.ema_generator.weights, after_g):
        np.testing.assert_allclose(new.numpy(), beta * old + (1 - beta) * g, rtol=1e-5, atol=1e-7)
    model.g_optimizer.iterations.assign(500)  # late in training the decay is --ema itself
    assert float(model.ema_decay()) == pytest.approx(0.9)
    model.g_optimizer.iterations.assign(80)  # (1 + 80) / 90 = 0.9: where the warm-up ends
    assert float(model.ema_decay()) == pytest.approx(0.9)
    model.g_optimizer.iterations.assign(35)
    assert float(model.ema_decay()) == pytest.approx(36 / 45)
    z = model.latent(2, seed=0)
    np.testing.assert_allclose(model.sample(2, z=z), model.ema_generator(z, training=False))
    assert not np.allclose(model.sample(2, z=z), model.generator(z, training=False))


def test_ema_is_checkpointed_and_survives_resume(tmp_path, data_dir):
    config = models.DCGANConfig(split="test", batch_size=8, g_filters=4, d_filters=4, steps=2, ema=0.5,
                                checkpoint_every=2, sample_every=2, log_every=2,
                                output_dir=str(tmp_path / "run"))
    train.run(config, progress=False)
    saved = json.loads((tmp_path / "run" / "config.json").read_text())["config"]
    assert saved["ema"] == 0.5
    restored = train.load_model(config.output_dir)
    fresh = models.build("dcgan", config=config)
    assert restored.ema_generator is not None
    restored_w = [w.numpy() for w in restored.ema_generator.weights]
    assert any(not np.allclose(a, b.numpy()) for a, b in zip(restored_w, fresh.ema_generator.weights))
    assert any(not np.allclose(a, b.numpy()) for a, b in zip(restored_w, restored.generator.weights))
    result = train.run(config.replace(steps=3), progress=False)  # resumes, EMA continues
    assert result.step == 3


def test_cli_flags_end_to_end(tmp_path, data_dir):
    from tfgan import generate

    run_dir = tmp_path / "wgan"
    code = train.main(["dcgan", "--dataset", "mnist", "--split", "test", "--steps", "2", "--batch-size", "8",
                       "--g-filters", "4", "--d-filters", "4", "--loss", "wasserstein",
                       "--gradient-penalty", "wgan_gp", "--gp-weight", "5", "--ema", "0.99",
                       "--checkpoint-every", "2", "--sample-every", "2", "--log-every", "1",
                       "--output-dir", str(run_dir)])
    assert code == 0
    saved = json.loads((run_dir / "config.json").read_text())["config"]
    assert (saved["loss"], saved["gradient_penalty"], saved["gp_weight"], saved["ema"]) == (
        "wasserstein", "wgan_gp", 5.0, 0.99)
    model = train.load_model(str(run_dir))
    images = generate.generate(str(run_dir), 3, seed=0, model=model)
    want = (model.ema_generator(model.latent(3, seed=0), training=False).numpy() + 1) * 127.5
    assert np.abs(images.astype(float) - want).max() <= 1.0  # sampled from the EMA generator


# -- stabilizers in D: Eqs. (13) and (15) -----------------------------------------------------------
def test_spectral_norm_sigma_matches_the_svd_after_power_iterations():
    import keras

    from tfgan.layers import spectral_norm

    rng = np.random.default_rng(3)
    kernel = rng.normal(size=(3, 3, 2, 5)).astype(np.float32)  # a conv kernel, as a 18x5 matrix
    sigma = np.linalg.svd(kernel.reshape(-1, 5), compute_uv=False)[0]
    layer = spectral_norm(keras.layers.Conv2D(5, 3, use_bias=False))
    x = rng.normal(size=(2, 6, 6, 2)).astype(np.float32)
    layer(x)  # build
    layer.layer.kernel.assign(kernel)
    for _ in range(30):  # one power-iteration step per training call, Eq. (13)
        layer(x, training=True)
    normalized = layer.layer.kernel.numpy()
    np.testing.assert_allclose(kernel / normalized, sigma, rtol=1e-3)  # W / sigma(W) with sigma from SVD
    assert np.linalg.svd(normalized.reshape(-1, 5), compute_uv=False)[0] == pytest.approx(1.0, rel=1e-3)
    assert spectral_norm(keras.layers.Dense(2), enabled=False).__class__ is keras.layers.Dense


def np_minibatch_std(x, group, eps=1e-8):
    n = x.shape[0]
    out = np.empty((n,) + x.shape[1:3] + (1,))
    m = n // group
    for j in range(m):  # group j holds examples j, j + m, j + 2m, ...
        members = x[j::m]
        s = np.sqrt(members.var(axis=0) + eps).mean()
        out[j::m] = s
    return np.concatenate([x, out], axis=-1)


@pytest.mark.parametrize("n,group", [(8, 4), (4, 4), (6, 2), (3, 4)])
def test_minibatch_std_against_numpy(n, group):
    from tfgan.layers import MinibatchStdDev

    x = np.random.default_rng(n).normal(size=(n, 3, 3, 2)).astype(np.float32)
    got = MinibatchStdDev(group_size=group)(x).numpy()
    np.testing.assert_allclose(got, np_minibatch_std(x, min(group, n)), rtol=1e-5, atol=1e-6)
    # a collapsed batch (identical examples) has spread ~0
    same = np.repeat(x[:1], n, axis=0)
    assert np.abs(MinibatchStdDev(group_size=group)(same).numpy()[..., -1]).max() < 1e-3
    layer = MinibatchStdDev(group_size=group)
    assert MinibatchStdDev.from_config(layer.get_config()).group_size == group
    with pytest.raises(ValueError, match="group_size.*Received"):
        MinibatchStdDev(group_size=0)


@pytest.mark.parametrize("name", ["gan", "dcgan", "cgan"])
def test_spectral_norm_and_minibatch_std_train_a_step(name):
    import keras

    extra = dict(minibatch_std=True, d_norm="none") if name != "gan" else {}
    model, out = _step(name, loss="hinge", spectral_norm=True, **extra)
    assert all(np.isfinite(v) for v in out.values())
    wrapped = [layer for layer in model.discriminator.layers
               if isinstance(layer, keras.layers.SpectralNormalization)]
    assert len(wrapped) == 3  # gan: 3 Dense; dcgan, cgan: 2 convs + the logit
    for layer in wrapped:  # every weight layer of D has spectral norm ~1 after a training call
        kernel = layer.layer.kernel.numpy()
        sigma = np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]
        assert sigma < 1.5
    if name != "gan":
        from tfgan.layers import MinibatchStdDev

        assert any(isinstance(layer, MinibatchStdDev) for layer in model.discriminator.layers)
        assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in model.discriminator.layers)


def test_default_dcgan_discriminator_is_unchanged_by_the_new_options():
    d = models.build("dcgan").discriminator
    assert d.count_params() == 138_945  # lecture 02's figure
    with pytest.raises(ConfigError, match="multiple of 4. Received: --batch-size 6"):
        models.build("dcgan", minibatch_std=True, batch_size=6)


# -- the update order and one D call on real ++ fake -------------------------------------------------
def _g_after_one_step(update, d_lr):
    model, _ = _step("dcgan", update=update, d_lr=d_lr, d_norm="none", seed=5)
    return [w.numpy() for w in model.generator.trainable_weights]


def test_simultaneous_update_takes_g_gradient_before_d_moves():
    # G's step sees the D of before this step's D update, so D's learning rate cannot change G's
    # new weights; under Algorithm 1 (alternating) it does.
    for a, b in zip(_g_after_one_step("simultaneous", 1e-6), _g_after_one_step("simultaneous", 1e-1)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    alternating = zip(_g_after_one_step("alternating", 1e-6), _g_after_one_step("alternating", 1e-1))
    assert any(not np.allclose(a, b) for a, b in alternating)
    with pytest.raises(ConfigError, match="--update simultaneous .* Received: --d-steps 2"):
        models.build("dcgan", update="simultaneous", d_steps=2)


@pytest.mark.parametrize("name,options", [("gan", dict(dropout=0.0)), ("dcgan", dict(d_norm="none")),
                                          ("cgan", dict(d_norm="layer"))])
def test_one_d_call_on_the_concatenated_batch_gives_the_same_logits(name, options):
    model = models.build(name, batch_size=4, **TINY[name], **options)
    assert not model.d_has_batch_statistics
    real = tf.random.stateless_uniform((4, 28, 28, 1), [1, 2], -1, 1)
    fake = tf.random.stateless_uniform((4, 28, 28, 1), [3, 4], -1, 1)
    y = model.one_hot(tf.range(4)) if name == "cgan" else None
    pair = model.discriminate_pair(real, fake, y)
    np.testing.assert_allclose(pair[0], model.discriminate(real, y), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pair[1], model.discriminate(fake, y), rtol=1e-5, atol=1e-6)
    assert models.build("dcgan").d_has_batch_statistics  # batch norm: two calls
    assert models.build("dcgan", d_norm="none", minibatch_std=True).d_has_batch_statistics


@pytest.mark.parametrize("name", ["gan", "cgan"])
def test_simultaneous_update_trains_every_noise_gan(name):
    model, out = _step(name, update="simultaneous", loss="hinge")
    assert all(np.isfinite(v) for v in out.values())


# -- the 2-D mixtures -----------------------------------------------------------------------------------
def test_mixtures_and_their_scores():
    from tfgan import metrics
    from tfgan.data import toy

    ring, grid = toy.mixture_centers("ring8"), toy.mixture_centers("grid25")
    assert ring.shape == (8, 2) and grid.shape == (25, 2)
    np.testing.assert_allclose(np.linalg.norm(ring, axis=1), 0.8)
    assert np.abs(grid).max() == pytest.approx(0.8)
    for name, centers in (("ring8", ring), ("grid25", grid)):
        data = toy.sample_mixture(name, 5000, seed=1)
        covered, quality = metrics.mixture_scores(data, centers, toy.STD)
        assert covered == len(centers) and quality > 0.98  # within 3 std: 98.9% of a 2-D Gaussian
    # a generator that found 3 modes, half its samples off the modes
    n = 600
    on_modes = ring[np.arange(n // 2) % 3] + 0.001
    off = np.zeros((n // 2, 2))  # the ring's centre: far from every mode
    covered, quality = metrics.mixture_scores(np.concatenate([on_modes, off]), ring, toy.STD)
    assert (covered, quality) == (3, 0.5)
    assert metrics.mixture_scores(off, ring, toy.STD) == (0, 0.0)
    with pytest.raises(ValueError, match="Unknown mixture"):
        toy.mixture_centers("ring9")


def test_a_toy_run_in_a_few_steps():
    from tfgan import experiments

    result = experiments.run_toy("wgan_gp", "ring8", steps=3, num_samples=50)
    assert result.samples.shape == (50, 2) and np.abs(result.samples).max() <= 1.0
    assert 0 <= result.modes_covered <= 8 and 0.0 <= result.high_quality <= 1.0
    assert set(experiments.TOY_OBJECTIVES) >= {"non_saturating", "least_squares", "hinge", "wgan_clip", "wgan_gp"}


def test_toy_snapshots_follow_the_same_latent_batch_to_the_final_samples():
    from tfgan import experiments

    result = experiments.run_toy("non_saturating", "ring8", steps=5, num_samples=40, snapshot_every=2,
                                 **experiments.TOY_COLLAPSE)
    assert sorted(result.history) == [2, 4, 5]  # every 2 steps, and the last step
    assert all(v.shape == (40, 2) for v in result.history.values())
    np.testing.assert_array_equal(result.history[5], result.samples)  # same z, same weights
    assert not np.array_equal(result.history[2], result.history[4])  # G moved between snapshots
    assert experiments.run_toy("hinge", "ring8", steps=2, num_samples=10).history == {}
