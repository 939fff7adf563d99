"""BiGAN / ALI (lectures/13_representation_learning.md, Eq. (7)): D on (x, z) pairs, one step updates
E, G and D, the losses against a NumPy reference, the CLI end to end, bad flags."""

import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import inversion, models, train
from tfgan.models import BiGAN, BiGANConfig

TINY = dict(g_filters=8, d_filters=8, latent_dim=6, joint_units=16, batch_size=8)


def _weights(network):
    return [w.numpy().copy() for w in network.trainable_weights]


def _changed(before, network):
    return any(not np.allclose(b, a.numpy()) for b, a in zip(before, network.trainable_weights))


def test_registry_and_pinned_parameter_counts():
    assert models.get("bigan").model_class is BiGAN and models.get("bigan").default_dataset == "mnist"
    model = BiGAN(BiGANConfig())
    assert model.generator.count_params() == 760_065  # DCGAN's default generator
    trunk = (4 * 4 * 1 * 64 + 64) + (4 * 4 * 64 * 128 + 128)  # DCGAN's D stages, no norm: biases
    # E: the same stages with batch norm on the second (no bias; gamma, beta and two moving statistics)
    e_trunk = (4 * 4 * 1 * 64 + 64) + (4 * 4 * 64 * 128 + 4 * 128)
    assert model.encoder.count_params() == e_trunk + 6272 * 100 + 100  # flatten 7x7x128 -> z
    # D: the trunk on x, z -> 256, (6272 + 256) -> 256, 256 -> 1, and W: 6272 -> 100 (no bias)
    assert model.discriminator.count_params() == trunk + (100 * 256 + 256) + (6528 * 256 + 256) + 257 + 6272 * 100
    assert BiGAN(BiGANConfig(code_projection=False)).discriminator.count_params() == \
        model.discriminator.count_params() - 6272 * 100


def test_discriminator_sees_image_code_pairs_and_depends_on_both():
    model = BiGAN(BiGANConfig(**TINY))
    assert [tuple(s) for s in model.discriminator.input_shape] == [(None, 28, 28, 1), (None, 6)]
    assert model.discriminator.output_shape == (None, 1) and model.encoder.output_shape == (None, 6)
    x = tf.random.uniform((4, 28, 28, 1), -1, 1, seed=0)
    z = model.latent(4, seed=1)
    logits = model.discriminator([x, z]).numpy()
    assert logits.shape == (4, 1)
    assert np.abs(model.discriminator([x, 2 * z]).numpy() - logits).max() > 1e-5  # z matters
    assert np.abs(model.discriminator([tf.zeros_like(x), z]).numpy() - logits).max() > 1e-5  # x matters
    assert model.encode(x).shape == (4, 6) and model.reconstruct(x).shape == (4, 28, 28, 1)


def test_code_projection_adds_the_inner_product_of_z_with_the_image_features():
    """D(x, z) = joint(f(x), z) + <W f(x), z>: zeroing W removes exactly sum_k (W f(x))_k z_k, a
    NumPy product of D's own image features f(x) (its flattened conv features) with W."""
    model = BiGAN(BiGANConfig(**TINY, seed=1))
    d = model.discriminator
    x = tf.random.uniform((4, 28, 28, 1), -1, 1, seed=3)
    z = model.latent(4, seed=2)
    flat = next(layer for layer in d.layers if isinstance(layer, keras.layers.Flatten))
    features = keras.Model(d.inputs, flat.output)([x, z]).numpy()  # f(x)
    w = d.get_layer("code_projection").kernel
    np.testing.assert_array_equal(w.numpy(), 0)  # starts at zero: D learns the pairing's sign
    w.assign(tf.random.normal(w.shape, stddev=0.05, seed=4))
    expected = np.sum((features @ w.numpy()) * z.numpy(), axis=1, keepdims=True)
    with_term = d([x, z]).numpy()
    w.assign(tf.zeros_like(w))
    np.testing.assert_allclose(with_term - d([x, z]).numpy(), expected, rtol=1e-4, atol=1e-5)


def test_encoder_codes_spread_over_a_batch_from_the_start():
    """The collapse notebook 13 first showed: without a normalization E(x) starts almost equal for
    every image (spread ~0.002 here), D finds nothing in the codes to pair with the images and E
    stays on one point. With E's batch norm (the default) a batch of distinct digits gets codes
    spread like a sizeable fraction of p_z's unit spread."""
    x = tf.random.uniform((32, 28, 28, 1), -1, 1, seed=2)
    spread = {norm: BiGAN(BiGANConfig(**TINY, e_norm=norm)).encode(x, training=True).numpy().std(axis=0).mean()
              for norm in ("batch", "none")}
    assert spread["batch"] > 0.1 > 30 * spread["none"], spread


def test_the_game_teaches_the_encoder_to_invert_the_generator_on_a_toy():
    """BiGAN's step on 2-D data with small MLPs for G, E and D: after 1,000 steps G and E are close to
    each other's inverse, E(G(z)) follows z (correlation > 0.5; about 0.86 with this seed, 0.54-0.94
    over seeds 0-4). Either network can carry the pairing alone (with E frozen G learns E's inverse),
    so which way each one moves is the next test's."""
    keras.utils.set_random_seed(0)

    def mlp(inputs, outputs, name, units=32):
        return keras.Sequential([keras.Input((inputs,)), keras.layers.Dense(units), keras.layers.LeakyReLU(0.2),
                                 keras.layers.Dense(units), keras.layers.LeakyReLU(0.2),
                                 keras.layers.Dense(outputs)], name=name)

    model = BiGAN(BiGANConfig(latent_dim=2, batch_size=128, g_lr=1e-3, d_lr=1e-3, e_lr=1e-3, seed=0))
    model.generator, model.encoder = mlp(2, 2, "generator"), mlp(2, 2, "encoder")
    x_in, z_in = keras.Input((2,)), keras.Input((2,))
    model.discriminator = keras.Model([x_in, z_in], mlp(4, 1, "joint", 64)(keras.layers.Concatenate()([x_in, z_in])))
    model.compile()
    step = tf.function(model.train_step)
    rng = np.random.default_rng(0)
    data = rng.normal(size=(1000, 128, 2)).astype(np.float32) @ np.array([[2.0, 0.5], [-0.3, 0.7]], np.float32).T + 1
    for batch in data:
        step(tf.constant(batch))
    z = rng.normal(size=(1000, 2)).astype(np.float32)
    assert np.corrcoef(model.encoder(model.generator(z)).numpy().ravel(), z.ravel())[0, 1] > 0.5


def test_one_step_moves_e_and_g_against_the_discriminator_they_saw():
    """Under D as it was before the step, E's update makes the data pairs (x, E(x)) look more
    generated and G's update makes (G(z), z) look more real (lectures/13_representation_learning.md,
    Eq. (7), the labels swapped): a code detached from D's gradient, a wrong sign or a swapped pair
    breaks one of the two."""
    model = BiGAN(BiGANConfig(**TINY, seed=3, g_lr=1e-4, e_lr=1e-4))
    model.compile()
    x = tf.random.uniform((8, 28, 28, 1), -1, 1, seed=5)
    replay = BiGAN(BiGANConfig(**TINY, seed=3))  # the z the step draws, and D before the step
    for src, dst in zip(model.weights, replay.weights):
        dst.assign(src)
    z = replay.latent(8)
    d_before = replay.discriminator

    def logits():
        real = d_before([x, model.encoder(x, training=True)], training=True)  # D_0(x, E(x))
        fake = d_before([model.generator(z, training=True), z], training=True)  # D_0(G(z), z)
        return float(tf.reduce_mean(real)), float(tf.reduce_mean(fake))

    real0, fake0 = logits()
    model.train_step(x)
    real1, fake1 = logits()
    assert real1 < real0 and fake1 > fake0, (real0, real1, fake0, fake1)


def test_one_step_changes_encoder_generator_and_discriminator():
    model = BiGAN(BiGANConfig(**TINY))
    model.compile()
    before = {name: _weights(net) for name, net in model.networks().items()}
    logs = model.train_step(tf.random.uniform((8, 28, 28, 1), -1, 1))
    assert set(logs) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(float(v)) for v in logs.values())
    for name, net in model.networks().items():
        assert _changed(before[name], net), name
    assert {name: int(opt.iterations.numpy()) for name, opt in model.optimizers().items()} == {
        "g_optimizer": 1, "e_optimizer": 1, "d_optimizer": 1}


def test_losses_match_numpy_on_the_pairs():
    """D's loss is Eq. (7)'s negation on (x, E(x)) real and (G(z), z) fake; G and E get the same
    cross-entropy with the labels swapped. Recomputed in NumPy from the networks' own logits."""
    model = BiGAN(BiGANConfig(**TINY, seed=4))
    model.compile()
    x = tf.random.uniform((8, 28, 28, 1), -1, 1, seed=1)
    # the z the step will draw: the model's seed generator, replayed on a copy
    replay = BiGAN(BiGANConfig(**TINY, seed=4))
    for src, dst in zip(model.weights, replay.weights):
        dst.assign(src)
    z = replay.latent(8)
    real = replay.discriminator([x, replay.encoder(x, training=True)], training=True).numpy()
    fake = replay.discriminator([replay.generator(z, training=True), z], training=True).numpy()
    softplus = lambda t: np.log1p(np.exp(-np.abs(t))) + np.maximum(t, 0)  # noqa: E731
    d_loss = np.mean(softplus(-real)) + np.mean(softplus(fake))  # -log D(x,E(x)) - log(1 - D(G(z),z))
    ge_loss = np.mean(softplus(real)) + np.mean(softplus(-fake))  # swapped labels
    logs = model.train_step(x)
    assert float(logs["d_loss"]) == pytest.approx(d_loss, rel=1e-4)
    assert float(logs["g_loss"]) == pytest.approx(ge_loss, rel=1e-4)


def test_cli_trains_and_the_run_encodes(tmp_path, data_dir, capsys):
    run_dir = tmp_path / "bigan"
    code = train.main(["bigan", "--split", "test[:64]", "--batch-size", "8", "--g-filters", "8",
                       "--d-filters", "8", "--latent-dim", "6", "--joint-units", "8", "--steps", "3",
                       "--checkpoint-every", "3", "--sample-every", "3", "--log-every", "1",
                       "--output-dir", str(run_dir)])
    assert code == 0, capsys.readouterr().err
    assert "test[:64], 64 images" in capsys.readouterr().out
    model = train.load_model(str(run_dir))
    assert isinstance(model, BiGAN) and int(model.step_counter.numpy()) == 3
    x = np.zeros((2, 28, 28, 1), np.float32)
    np.testing.assert_allclose(inversion.encode(model.encoder, x), model.encode(x).numpy(), atol=1e-6)
    assert (run_dir / "samples" / "final.png").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["bigan", "--d-steps", "2"], "bigan does not take --d-steps"),
        (["bigan", "--feature-matching"], "bigan does not take --feature-matching"),
        (["bigan", "--gradient-penalty", "r1"], "bigan does not take --gradient-penalty"),
        (["bigan", "--e-lr", "0"], "--e-lr must be > 0. Received: 0"),
        (["bigan", "--joint-units", "0"], "--joint-units must be >= 1"),
        (["bigan", "--e-norm", "group"], "--e-norm"),
        (["bigan", "--norm", "virtual_batch"], "bigan takes --norm batch or none"),
    ],
)
def test_bad_flags_exit_2_with_one_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        sys.exit(train.main(argv))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err
