"""StyleGAN (Karras et al. 2019): AdaIN and noise against NumPy, style mixing, truncation, noise,
pinned parameter counts, a real train step, and ``train``/``generate`` end to end."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import generate, inference, runs, train
from tfgan.errors import ConfigError, RunError
from tfgan.classifier import to_classifier_input
from tfgan.layers import NoiseInjection, adaptive_instance_norm, leaky_relu
from tfgan.models import DCGAN, DCGANConfig, StyleGAN, StyleGANConfig
from tfgan.models.stylegan import channels_at, mix_layers, resolutions

TINY = dict(g_filters=8, d_filters=8, latent_dim=8, w_dim=8, mapping_layers=2, batch_size=8)


def _tiny(**changes):
    return StyleGAN(StyleGANConfig(**{**TINY, **changes}))


def _with_noise_scales(g, value):
    for layer in g.noise:
        layer.noise_scale.assign(np.full(layer.noise_scale.shape, value, np.float32))


def _changed(before, network):
    return any(not np.allclose(b, a.numpy()) for b, a in zip(before, network.trainable_weights))


# -- the layers: lectures/14_progressive_and_stylegan.md, Eqs. (5) and (6) ---------------------
def test_adaptive_instance_norm_matches_numpy():
    """lectures/14_progressive_and_stylegan.md, Eq. (5): y_s (x - mu(x)) / sigma(x) + y_b per example
    and channel."""
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, (2, 5, 4, 3)).astype(np.float32)
    y_s, y_b = rng.normal(size=(2, 1, 1, 3)), rng.normal(size=(2, 1, 1, 3))
    mu, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    expected = y_s * (x - mu) / np.sqrt(var + 1e-8) + y_b
    got = adaptive_instance_norm(x, y_s.astype(np.float32), y_b.astype(np.float32), 1e-8)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_noise_injection_adds_per_pixel_noise_scaled_per_channel():
    """lectures/14_progressive_and_stylegan.md, Eq. (6): x + B n, one noise value per pixel shared
    by the channels; B starts at 0."""
    layer = NoiseInjection()
    x = np.random.default_rng(1).normal(size=(2, 3, 3, 4)).astype(np.float32)
    n = np.random.default_rng(2).normal(size=(2, 3, 3, 1)).astype(np.float32)
    np.testing.assert_allclose(layer(x, n), x)  # B = 0 at the start
    scales = np.array([0.0, 0.5, -1.0, 2.0], np.float32)
    layer.noise_scale.assign(scales)
    np.testing.assert_allclose(layer(x, n), x + scales * n, rtol=1e-6)
    assert NoiseInjection.from_config(layer.get_config()).name == layer.name
    with pytest.raises(ValueError, match="noise of shape"):
        NoiseInjection()(x, np.zeros((2, 3, 3, 2), np.float32))


# -- shapes and sizes --------------------------------------------------------------------------------
def test_resolutions_channels_and_layer_groups():
    assert resolutions((32, 32, 1)) == [4, 8, 16, 32]
    assert resolutions((28, 28, 1)) == [7, 14, 28]
    assert resolutions((64, 64, 3)) == [4, 8, 16, 32, 64]
    for bad in [(30, 30, 1), (32, 28, 1), (6, 6, 1)]:
        with pytest.raises(ConfigError, match="s \\* 2\\^k"):
            resolutions(bad)
    assert [channels_at(64, r, 4) for r in (4, 8, 16, 32)] == [64, 64, 32, 16]
    g = StyleGAN(StyleGANConfig()).generator
    assert g.num_layers == 8 and g.layer_resolutions == [4, 4, 8, 8, 16, 16, 32, 32]
    assert g.layer_groups() == {"coarse": [0, 1, 2, 3], "middle": [4, 5], "fine": [6, 7]}


def test_pinned_parameter_counts():
    model = StyleGAN(StyleGANConfig())
    g, d = model.generator, model.discriminator
    channels = [64, 64, 64, 64, 32, 32, 16, 16]
    mapping = 4 * (64 * 64 + 64)
    convs = sum(9 * c_in * c + c for c_in, c in zip(channels[:-1], channels[1:]))
    styles = sum(64 * 2 * c + 2 * c for c in channels)  # A: w -> (y_s, y_b)
    noise = sum(channels)  # B
    const, w_avg, to_rgb = 4 * 4 * 64, 64, 16 + 1
    assert g.count_params() == mapping + const + w_avg + convs + styles + noise + to_rgb == 209_297
    # D: fromRGB 1x1 (1 -> 16), per resolution 32, 16, 8: 3x3 (c -> c), 3x3 (c -> next), then
    # minibatch stddev (+1 channel), 3x3 at 4x4, dense 4*4*64 -> 64, logit.
    blocks = [(16, 32), (32, 64), (64, 64)]
    d_expected = (16 + 16) + sum(9 * c * c + c + 9 * c * n + n for c, n in blocks) \
        + (9 * 65 * 64 + 64) + (16 * 64 * 64 + 64) + (64 + 1)
    assert d.count_params() == d_expected == 211_761
    assert model.sample(3, seed=0).shape == (3, 32, 32, 1)
    small = StyleGAN(StyleGANConfig(image_shape=(28, 28, 1), **TINY))
    assert small.sample(2, seed=0).shape == (2, 28, 28, 1) and small.generator.num_layers == 6


def test_bad_settings_are_refused():
    with pytest.raises(ConfigError, match="groups the batch in 4s: --batch-size must be a multiple"):
        StyleGANConfig(batch_size=6).validate()
    StyleGANConfig(batch_size=6, mbstd_group=3).validate()
    with pytest.raises(ConfigError, match="--style-mixing must be in \\[0, 1\\]"):
        StyleGANConfig(style_mixing=1.5).validate()
    with pytest.raises(ConfigError, match="--image-shape 30,30,1"):
        StyleGANConfig(image_shape=(30, 30, 1)).validate()


# -- the mapping network, style mixing, truncation, noise ----------------------------------------------
def test_style_mixing_takes_coarse_layers_from_one_w_and_the_rest_from_another():
    model = _tiny()
    g = model.generator
    z = model.latent(2, seed=3)
    w = g.map(z).numpy()
    ws = mix_layers(g.broadcast(w[:1]), g.broadcast(w[1:]), g.layer_groups()["coarse"]).numpy()
    coarse = set(g.layer_groups()["coarse"])
    for i in range(g.num_layers):  # the w each layer is fed
        np.testing.assert_array_equal(ws[0, i], w[1] if i in coarse else w[0])
    # ... and the style (y_s, y_b) = A_i(w) each layer computes from it
    # (lectures/14_progressive_and_stylegan.md, Eq. (5))
    for i, (y_s, y_b) in enumerate(g.styles(ws)):
        source = w[1:] if i in coarse else w[:1]
        expected = g.affine[i](source).numpy()
        np.testing.assert_allclose(np.concatenate([y_s - 1.0, y_b], -1), expected, rtol=1e-5, atol=1e-6)
    # the grid: cell (r, c) is the image of those per-layer latents
    rows, cols, mixes = model.style_mixing_grid(z[:1], z[1:], layers="coarse", noise_seed=5)
    np.testing.assert_allclose(mixes, model.synthesize(ws, noise_seed=5), atol=1e-5)
    np.testing.assert_allclose(rows, model.synthesize(g.broadcast(w[:1]), noise_seed=5), atol=1e-5)
    assert not np.allclose(mixes, rows, atol=1e-3) and not np.allclose(mixes, cols, atol=1e-3)
    rows, cols, mixes = model.style_mixing_grid(model.latent(3, seed=1), model.latent(4, seed=2), layers="fine")
    assert (rows.shape[0], cols.shape[0], mixes.shape[0]) == (3, 4, 12)
    with pytest.raises(ValueError, match="coarse, middle, fine"):
        model.style_mixing_grid(z[:1], z[1:], layers="medium")


def test_training_mixes_at_one_random_crossover_per_batch():
    model = _tiny()
    g, num = model.generator, model.generator.num_layers
    w1, w2 = g.map(model.latent(2, seed=0)), g.map(model.latent(2, seed=1))
    ws = model.mixed_styles(w1, w2, 3).numpy()
    np.testing.assert_array_equal(ws[:, :3], np.repeat(w1.numpy()[:, None], 3, 1))  # before the crossover: w1
    np.testing.assert_array_equal(ws[:, 3:], np.repeat(w2.numpy()[:, None], num - 3, 1))
    model.config.style_mixing = 0.0
    assert {int(model.mixing_cutoff()) for _ in range(20)} == {num}  # cutoff L: no mixing
    model.config.style_mixing = 1.0
    always = [int(model.mixing_cutoff()) for _ in range(40)]
    assert set(always) <= set(range(1, num)) and len(set(always)) > 1


def test_truncation_psi_0_gives_the_mean_w_image_and_psi_1_the_identity():
    model = _tiny()
    g = model.generator
    g.w_avg.assign(np.random.default_rng(0).normal(size=g.w_avg.shape).astype(np.float32))
    _with_noise_scales(g, 0.3)
    z = model.latent(3, seed=4)
    w = g.map(z)
    np.testing.assert_allclose(  # lectures/14_progressive_and_stylegan.md, Eq. (7)
        g.truncate(w, 0.7), g.w_avg.numpy() + 0.7 * (w.numpy() - g.w_avg.numpy()), rtol=1e-5, atol=1e-6)
    noise = g.noise_inputs(1, seed=7)
    at_zero = g(z, psi=0.0, noise=noise).numpy()
    mean_image = g.synthesize(g.broadcast(g.w_avg.numpy()[None]), noise=noise).numpy()
    for image in at_zero:
        np.testing.assert_allclose(image, mean_image[0], atol=1e-5)
    np.testing.assert_allclose(g(z, psi=1.0, noise=noise), g(z, noise=noise), atol=1e-4)  # float rounding
    np.testing.assert_allclose(model.sample(3, seed=4, truncation=1.0), model.sample(3, seed=4), atol=1e-4)
    assert not np.allclose(model.sample(3, seed=4, truncation=0.5), model.sample(3, seed=4), atol=1e-4)


def test_noise_changes_details_not_the_image_and_only_through_b():
    keras.utils.set_random_seed(0)  # the weights: the margins below hold for seeds 0-7
    model = _tiny()
    g = model.generator
    z = model.latent(4, seed=0)
    a, b = g.noise_inputs(1, seed=1), g.noise_inputs(1, seed=2)
    np.testing.assert_allclose(g(z, noise=a), g(z, noise=b), atol=1e-6)  # B = 0: noise has no effect
    change = {}
    for scale in (0.02, 0.05):
        _with_noise_scales(g, scale)
        change[scale] = np.abs(g(z, noise=a).numpy() - g(z, noise=b).numpy()).mean()
    other_w = np.abs(g(z, noise=a).numpy() - g(model.latent(4, seed=9), noise=a).numpy()).mean()
    # same w, other noise: a change that grows with B and stays far below that of another w
    assert 0 < change[0.02] < change[0.05] < other_w / 3, (change, other_w)
    _with_noise_scales(g, 0.1)
    # a layer whose B is 0 ignores its noise image
    g.noise[2].noise_scale.assign(np.zeros(g.noise[2].noise_scale.shape, np.float32))
    c = list(a)
    c[2] = b[2]
    np.testing.assert_allclose(g(z, noise=a), g(z, noise=c), atol=1e-6)
    # the same call gives the same images: noise from the seed
    np.testing.assert_array_equal(model.sample(2, seed=3), model.sample(2, seed=3))


def test_samples_are_clipped_to_the_data_range():
    """G's toRGB is linear: a sample that overshoots is clipped to [-1, 1] (what a PNG shows), so
    the classifier IS/FD, which refuse floats outside [-1, 1], can score every sampling path."""
    model = _tiny()
    g = model.sampler  # G's moving average (the default --ema)
    g.to_rgb.bias.assign([3.0])  # every raw pixel far above 1
    z = model.latent(3, seed=5)
    noise = g.noise_inputs(3, 5)
    raw = g(z, noise=noise).numpy()
    assert raw.max() > 1.5
    sampled = model.sample(3, z=z, noise_seed=5).numpy()
    np.testing.assert_allclose(sampled, np.clip(raw, -1.0, 1.0), atol=1e-5)
    assert sampled.dtype == np.float32 and sampled.min() >= -1.0 and sampled.max() <= 1.0
    for images in (*model.style_mixing_grid(z[:2], z[2:], layers="fine"), model.sample(2, seed=0, truncation=0.5)):
        to_classifier_input(images)  # raises for floats outside [-1, 1]


def test_leaky_relu_is_a_maximum_and_d_has_no_leakyrelu_op_under_r1():
    """One LeakyReLU for ProGAN and StyleGAN, max(x, 0.2 x): the value and gradient of Keras' leaky
    ReLU (away from 0), and no LeakyRelu/LeakyReluGrad op in D's R1 graph, the op grappler's
    remapper fails on ("remapper failed ... LeakyReluGrad")."""
    x = tf.constant([-3.0, -0.5, 0.25, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        ours, keras_lrelu = leaky_relu(x), keras.activations.leaky_relu(x, negative_slope=0.2)
    np.testing.assert_allclose(ours, [-0.6, -0.1, 0.25, 2.0], rtol=1e-6)
    np.testing.assert_allclose(ours, keras_lrelu, rtol=1e-6)
    np.testing.assert_allclose(tape.gradient(ours, x), [0.2, 0.2, 1.0, 1.0], rtol=1e-6)
    with pytest.raises(ValueError, match="negative_slope"):
        leaky_relu(x, 1.5)
    model = _tiny()
    graph = tf.function(lambda real: model.penalty(real, real)).get_concrete_function(
        tf.TensorSpec((8, 32, 32, 1), tf.float32)).graph
    definition = graph.as_graph_def()
    op_types = {node.op for node in definition.node} | {
        node.op for function in definition.library.function for node in function.node_def}
    assert "Maximum" in op_types  # the graph was read down to the activations
    assert not op_types & {"LeakyRelu", "LeakyReluGrad"}, op_types


# -- training ---------------------------------------------------------------------------------------
def test_train_step_updates_g_d_and_the_mean_w():
    model = _tiny()
    model.compile()
    g0 = [w.numpy().copy() for w in model.generator.trainable_weights]
    d0 = [w.numpy().copy() for w in model.discriminator.trainable_weights]
    logs = model.train_step(tf.random.uniform((8, 32, 32, 1), -1, 1))
    assert set(logs) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert _changed(g0, model.generator) and _changed(d0, model.discriminator)
    assert np.abs(model.generator.w_avg.numpy()).max() > 0  # tracked from the batch's w
    names = {w.path.split("/")[-2] for w, w0 in zip(model.generator.trainable_weights, g0)
             if not np.allclose(w0, w.numpy())}
    assert {"mapping_0", "style_0", "conv_1", "to_rgb"} <= names
    # samples come from G's moving average, as the authors' Gs: theta_ema = beta theta_ema + (1 - beta) theta
    assert model.sampler is model.ema_generator and model.config.ema == 0.995
    beta = float(model.ema_decay())  # after one step, the warm-up's 2 / 11
    assert beta == pytest.approx(2 / 11)
    for ema, before, after in zip(model.ema_generator.trainable_weights, g0, model.generator.trainable_weights):
        np.testing.assert_allclose(ema.numpy(), beta * before + (1 - beta) * after.numpy(), rtol=1e-5, atol=1e-6)


def test_a_checkpoint_holds_every_weight_of_g_its_moving_average_and_d(tmp_path):
    """Keras 3 lists of layers are invisible to tf.train.Checkpoint: the moving average of G, whose
    weights no optimizer holds, used to come back as random values (tfgan.layers.track_layers)."""
    model = _tiny()
    model.compile()
    model.train_step(tf.random.uniform((8, 32, 32, 1), -1, 1, seed=3))
    path = runs.make_checkpoint(model).save(str(tmp_path / "ckpt"))
    fresh = _tiny(seed=1)
    fresh.compile()
    runs.make_checkpoint(fresh).restore(path).assert_existing_objects_matched()
    for name in ("generator", "ema_generator", "discriminator"):
        saved, restored = getattr(model, name).weights, getattr(fresh, name).weights
        assert len(saved) == len(restored) >= 20
        for a, b in zip(saved, restored):
            np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=f"{name}: {a.path}")
    np.testing.assert_array_equal(model.sample(2, seed=0), fresh.sample(2, seed=0))


@pytest.mark.slow
def test_cli_trains_and_generates_truncated_and_mixed_samples(tmp_path, data_dir, capsys):
    run_dir = tmp_path / "run"
    code = train.main(["stylegan", "--dataset", "mnist", "--split", "test", "--steps", "2", "--batch-size", "8",
                       "--g-filters", "8", "--d-filters", "8", "--sample-every", "2", "--checkpoint-every", "2",
                       "--output-dir", str(run_dir)])
    assert code == 0, capsys.readouterr().err
    assert (run_dir / "samples" / "step_000002.png").exists()
    w_avg = train.load_model(str(run_dir)).generator.w_avg.numpy()
    assert np.abs(w_avg).max() > 0  # the running mean of w came back from the checkpoint

    out = tmp_path / "s.npz"
    assert generate.main([str(run_dir), "--num", "3", "--truncation", "0.7", "--output", str(out)]) == 0
    truncated = np.load(out)["images"]
    assert truncated.shape == (3, 32, 32, 1) and truncated.dtype == np.uint8
    np.testing.assert_array_equal(truncated, inference.generate(str(run_dir), 3, truncation=0.7))

    assert generate.main([str(run_dir), "--mix-styles", "3,2", "--output", str(out),
                          "--grid", str(tmp_path / "mix.png")]) == 0
    arrays = np.load(out)
    assert arrays["images"].shape == (6, 32, 32, 1)
    assert arrays["coarse_sources"].shape[0] == 3 and arrays["fine_sources"].shape[0] == 2
    assert (tmp_path / "mix.png").exists()
    capsys.readouterr()

    for argv, message in [(["--truncation", "1.5"], "expected a number in [-1, 1]"),
                          (["--truncation", "nan"], "expected a number in [-1, 1]"),
                          (["--mix-styles", "3"], "expected two positive integers COARSE,FINE"),
                          (["--mix-styles", "0,2"], "expected two positive integers COARSE,FINE"),
                          (["--mix-styles", "2,2", "--per-class", "2"], "not allowed with argument")]:
        with pytest.raises(SystemExit) as exit_info:
            generate.main([str(run_dir), *argv, "--output", str(out)])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err


def test_truncation_and_mixing_need_a_stylegan_run():
    dcgan = DCGAN(DCGANConfig(g_filters=8, d_filters=8))
    with pytest.raises(RunError, match="--truncation needs a stylegan run"):
        inference.generate("run", 2, truncation=0.5, model=dcgan)
    with pytest.raises(RunError, match="--mix-styles needs a stylegan run"):
        inference.generate_style_mix("run", 2, 2, model=dcgan)
