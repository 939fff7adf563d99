"""Fast style transfer: the Johnson network, conditional instance norm, a train step, the CLIs end to end."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import inference, models, stylize, train
from tfgan.errors import RunError
from tfgan.layers import AdaptiveInstanceNormalization, ConditionalInstanceNormalization, instance_norm
from tfgan.models import FastStyle, FastStyleConfig
from tfgan.style import feedforward, wct

TINY = dict(vgg_weights="none", vgg_precision="float32", image_size=32, batch_size=2, filters=8,
            residual_blocks=1, crops_per_image=2)
TINY_FLAGS = ["--vgg-weights", "none", "--vgg-precision", "float32", "--image-size", "32", "--batch-size", "2",
              "--filters", "8", "--residual-blocks", "1", "--crops-per-image", "2", "--num-samples", "2"]


def _png(path, h=40, w=30, seed=0):
    rng = np.random.default_rng(seed)
    image = tf.image.resize(rng.uniform(0, 255, (1, h // 5, w // 5, 3)), (h, w)).numpy()[0]
    path.write_bytes(tf.io.encode_png(image.astype(np.uint8)).numpy())
    return str(path)


def np_instance_norm(x, eps=1e-5):
    mean, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


# -- the transform network ---------------------------------------------------------------------------
def _johnson_params(f, blocks):
    """Table 1 of Johnson et al.'s supplement counted by hand: conv weights + biases, IN gamma/beta."""
    conv = lambda k, cin, cout: k * k * cin * cout + cout  # noqa: E731
    stem = conv(9, 3, f) + 2 * f  # c9s1-32 + affine IN
    down = conv(3, f, 2 * f) + 2 * 2 * f + conv(3, 2 * f, 4 * f) + 2 * 4 * f  # d64, d128
    residual = blocks * 2 * conv(3, 4 * f, 4 * f)  # IN without affine parameters
    up = conv(3, 4 * f, 2 * f) + 2 * 2 * f + conv(3, 2 * f, f) + 2 * f  # u64, u32 (either kind)
    return stem + down + residual + up + conv(9, f, 3)


@pytest.mark.parametrize("upsample, layer", [("resize", keras.layers.UpSampling2D),
                                             ("transpose", keras.layers.Conv2DTranspose)])
def test_transform_network_pinned_parameter_count_and_any_size(upsample, layer):
    net = feedforward.build_transform_network(upsample=upsample)  # the paper's 32 filters, 5 blocks
    assert net.count_params() == 1_676_675 == _johnson_params(32, 5)
    assert sum(isinstance(l, layer) for l in net.layers) == 2
    small = feedforward.build_transform_network(8, 1, upsample)
    assert small.count_params() == _johnson_params(8, 1)
    for h, w in [(16, 24), (8, 8)]:
        y = small(tf.random.uniform((2, h, w, 3), -1, 1)).numpy()
        assert y.shape == (2, h, w, 3) and np.abs(y).max() <= 1.0  # tanh: [-1, 1], same size
    with pytest.raises(ValueError, match="Received: upsample='bilinear'"):
        feedforward.build_transform_network(upsample="bilinear")


# -- conditional instance normalization --------------------------------------------------------------
def _cin(num_styles=3, channels=4, seed=0):
    rng = np.random.default_rng(seed)
    layer = ConditionalInstanceNormalization(num_styles)
    layer.build((None, None, None, channels), (None, num_styles))
    gamma = rng.normal(1.0, 0.5, (num_styles, channels)).astype(np.float32)
    beta = rng.normal(0.0, 0.5, (num_styles, channels)).astype(np.float32)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    return layer, gamma, beta


def test_conditional_instance_norm_matches_numpy_with_mixed_styles():
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(3, 5, 6, 4)) * [1.0, 3.0, 0.1, 2.0] + [2.0, -1.0, 0.5, 0.0]).astype(np.float32)
    layer, gamma, beta = _cin()
    w = np.array([[1, 0, 0], [0.3, 0.7, 0], [0.2, 0.3, 0.5]], np.float32)  # one-hot and convex mixes
    out = layer(x, w).numpy()
    expected = np_instance_norm(x) * (w @ gamma)[:, None, None, :] + (w @ beta)[:, None, None, :]
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    # a convex mix of styles is the same mix of the single-style outputs (linear in gamma and beta)
    singles = [layer(x, np.tile(np.eye(3, dtype=np.float32)[s], (3, 1))).numpy() for s in range(3)]
    np.testing.assert_allclose(out[2], sum(w[2, s] * singles[s][2] for s in range(3)), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("style", [0, 2])
def test_conditional_instance_norm_one_hot_is_instance_norm_with_that_style(style):
    x = np.random.default_rng(2).normal(2.0, 3.0, size=(2, 4, 5, 4)).astype(np.float32)
    layer, gamma, beta = _cin()
    reference = instance_norm(affine=True)
    reference.build(x.shape)
    reference.gamma.assign(gamma[style])
    reference.beta.assign(beta[style])
    one_hot = np.tile(np.eye(3, dtype=np.float32)[style], (2, 1))
    np.testing.assert_allclose(layer(x, one_hot).numpy(), reference(x).numpy(), rtol=1e-4, atol=1e-4)


def test_conditional_instance_norm_keras_contract():
    layer = ConditionalInstanceNormalization(5, epsilon=1e-3, name="cin")
    layer.build((None, 8, 8, 16), (None, 5))
    assert layer.count_params() == 2 * 5 * 16
    assert np.all(layer.gamma.numpy() == 1) and np.all(layer.beta.numpy() == 0)  # identity at the start
    clone = ConditionalInstanceNormalization.from_config(layer.get_config())
    assert (clone.num_styles, clone.epsilon, clone.name) == (5, 1e-3, "cin")
    for kwargs, message in [({"num_styles": 0}, "Received: num_styles=0"),
                            ({"num_styles": 2, "epsilon": 0}, "Received: epsilon=0")]:
        with pytest.raises(ValueError, match=message):
            ConditionalInstanceNormalization(**kwargs)
    with pytest.raises(ValueError, match=r"style_weights of shape \(batch, 5\)"):
        ConditionalInstanceNormalization(5).build((None, 8, 8, 16), (None, 4))


# -- AdaIN and WCT ---------------------------------------------------------------------------------
def test_adain_matches_numpy_and_takes_the_style_statistics():
    rng = np.random.default_rng(5)
    content = rng.normal(3.0, 2.0, (2, 6, 5, 4)).astype(np.float32)
    style = (rng.normal(size=(2, 9, 7, 4)) * [0.5, 4.0, 1.0, 2.0] + [-1.0, 2.0, 0.0, 5.0]).astype(np.float32)
    out = AdaptiveInstanceNormalization()(content, style).numpy()
    s_mean, s_std = style.mean(axis=(1, 2), keepdims=True), np.sqrt(style.var(axis=(1, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(out, s_std * np_instance_norm(content) + s_mean, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out.mean(axis=(1, 2), keepdims=True), s_mean, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(1, 2), keepdims=True), style.std(axis=(1, 2), keepdims=True),
                               rtol=1e-3)
    assert AdaptiveInstanceNormalization.from_config(AdaptiveInstanceNormalization(1e-3).get_config()).epsilon == 1e-3
    with pytest.raises(ValueError, match="same channels"):
        AdaptiveInstanceNormalization().build((None, 4, 4, 3), (None, 4, 4, 5))


def _correlated(rng, n, c, scale):
    mix = rng.normal(size=(c, c)) * scale
    return rng.normal(size=(n, c)) @ mix + rng.normal(size=c) * 3


def test_wct_whitens_to_identity_and_colors_to_the_style_statistics():
    rng = np.random.default_rng(6)
    content = _correlated(rng, 400, 6, 1.0).reshape(20, 20, 6)
    style = _correlated(rng, 300, 6, 2.0).reshape(15, 20, 6)
    whitened = wct.whiten(content)
    mean, cov = wct.mean_and_covariance(whitened)
    np.testing.assert_allclose(mean, 0, atol=1e-10)
    np.testing.assert_allclose(cov, np.eye(6), atol=1e-8)
    out = wct.wct(content, style)
    assert out.shape == content.shape
    s_mean, s_cov = wct.mean_and_covariance(style)
    o_mean, o_cov = wct.mean_and_covariance(out)
    np.testing.assert_allclose(o_mean, s_mean, atol=1e-8)
    np.testing.assert_allclose(o_cov, s_cov, atol=1e-8)
    np.testing.assert_allclose(wct.wct(content, style, alpha=0.0), content)  # the paper's eq. 3 at alpha = 0
    np.testing.assert_allclose(wct.wct(content, style, 0.25), 0.25 * out + 0.75 * content, atol=1e-10)
    with pytest.raises(ValueError, match="alpha=1.5"):
        wct.wct(content, style, alpha=1.5)


# -- the model -------------------------------------------------------------------------------------
def test_registry_and_paper_defaults():
    entry = models.get("fast_style")
    assert entry.model_class is FastStyle and entry.default_dataset == "sr_photos"
    cfg = FastStyleConfig()
    assert (cfg.batch_size, cfg.g_lr, cfg.image_size, cfg.filters, cfg.residual_blocks) == (4, 1e-3, 128, 32, 5)
    assert (cfg.upsample, cfg.vgg_weights) == ("resize", "hed")
    # tuned for the hed VGG16 (tfgan.models.fast_style's docstring)
    assert (cfg.steps, cfg.style_weight, cfg.layer_weights, cfg.tv_weight) == (1000, 1500.0, "balanced", 0.1)
    with pytest.raises(ValueError, match=r"--image-size must be a multiple of 4 .*Received: 30"):
        FastStyleConfig(image_size=30).validate()


def test_one_train_step_lowers_the_perceptual_loss(tmp_path):
    style = _png(tmp_path / "style.png", 32, 32, seed=3)
    model = FastStyle(FastStyleConfig(**TINY, style=style))
    model.compile()
    content = next(iter(model.make_dataset(seed=0)[0]))
    assert content.shape == (2, 32, 32, 3) and -1 <= content.numpy().min() < content.numpy().max() <= 1
    before = float(model.perceptual_terms(content, model.generator(content))["total"])
    logs = model.train_step(content)
    after = float(model.perceptual_terms(content, model.generator(content))["total"])
    assert float(logs["loss"]) == pytest.approx(before, rel=1e-4)
    assert after < before
    assert model.preview_grid(2).shape[-1] == 3


def test_balanced_layer_weights_make_each_layer_loss_scale_free(tmp_path):
    """w_l = 1 / mean(A_l^2) (tfgan.style.feedforward.balanced_layer_weights): hand-worked values,
    w_l E_l unchanged when a layer's activations (so its Grams) are scaled, and the model's default."""
    from tfgan.style import gatys

    weights = feedforward.balanced_layer_weights({"a": [[1.0, 2.0], [3.0, 4.0]], "b": 2 * np.eye(2)})
    assert weights == pytest.approx({"a": 1 / 7.5, "b": 1 / 2})
    rng = np.random.default_rng(0)
    gram, target = rng.normal(size=(1, 3, 3)), rng.normal(size=(1, 3, 3))
    scaled = lambda k: feedforward.balanced_layer_weights({"l": k * target})["l"] * float(  # noqa: E731
        gatys.layer_style_loss(k * gram, k * target))
    assert scaled(1e3) == pytest.approx(scaled(1.0), rel=1e-5)  # activations x sqrt(1e3): same share
    style = _png(tmp_path / "style.png", 32, 32, seed=3)
    assert FastStyleConfig().layer_weights == "balanced"
    for choice in ("balanced", "johnson"):
        objective = FastStyle(FastStyleConfig(**TINY, style=style, layer_weights=choice)).objective
        expected = (feedforward.balanced_layer_weights(objective.style_targets) if choice == "balanced"
                    else feedforward.STYLE_LAYER_WEIGHTS)
        assert objective.layer_weights == pytest.approx(expected)


def test_one_colour_crops_are_left_out_because_they_blow_up_the_gradient(tmp_path):
    """The NaN of compiled 64 px runs at step ~98: a one-colour crop makes every instance norm
    divide rounding noise by sqrt(epsilon), the gradient explodes, and Adam's squared gradient
    overflows float32 (tfgan.style.feedforward.is_flat)."""
    flat = np.full((1, 16, 16, 3), [0.3, -0.2, 0.5], np.float32)  # one value per channel
    dot = flat.copy()
    dot[0, 5, 7, 1] += 1 / 127.5  # one pixel one grey level off
    assert feedforward.is_flat(np.concatenate([flat, dot])).numpy().tolist() == [True, False]
    # Why: on a channel whose variance is far below epsilon each instance norm multiplies the
    # gradient by 1/sqrt(epsilon) = 316, and stacked norms compound it. Float32 rounding leaves
    # ~1e-7 of noise on a one-colour image (here 1e-6); three norms already give ~5e5 times the
    # gradient of a textured input (the network has 11).
    rng = np.random.default_rng(0)
    w = rng.normal(size=(1, 8, 8, 2)).astype(np.float32)
    norms = [instance_norm() for _ in range(3)]

    def input_gradient(x):
        x = tf.constant(x, tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x
            for norm in norms:
                y = norm(y)
            loss = tf.reduce_sum(y * w)
        return float(tf.reduce_max(tf.abs(tape.gradient(loss, x))))

    one_colour = 0.3 + rng.normal(0, 1e-6, w.shape)
    assert input_gradient(one_colour) > 1e5 * input_gradient(rng.uniform(-1, 1, w.shape))
    # make_dataset leaves the crops of a one-colour photo out and keeps whole batches
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(3):
        _png(photos / f"photo{i}.png", 40, 40, seed=i)
    (photos / "black.png").write_bytes(tf.io.encode_png(np.zeros((40, 40, 3), np.uint8)).numpy())
    model = FastStyle(FastStyleConfig(**{**TINY, "crops_per_image": 4}, style=_png(tmp_path / "s.png", 32, 32),
                                      dataset=f"folder:{photos}", split="train"))
    batches = np.stack([b.numpy() for b in model.make_dataset(seed=0, repeat=False)[0]])
    # train split: black.png, photo0, photo1 (photo2 is the held-out last 10%): 2 x 4 crops, no black ones
    assert batches.shape == (4, 2, 32, 32, 3)
    assert not feedforward.is_flat(batches).numpy().any()


@pytest.mark.slow
def test_cli_train_resume_and_stylize_end_to_end(tmp_path, capsys):
    style = _png(tmp_path / "style.png", 36, 36, seed=3)
    run = str(tmp_path / "run")
    argv = ["fast_style", "--style", style, "--output-dir", run, "--steps", "2", "--sample-every", "1",
            "--checkpoint-every", "1", *TINY_FLAGS]
    assert train.main(argv) == 0
    assert sorted(os.listdir(os.path.join(run, "samples")))[-1] == "step_000002.png"
    argv[argv.index("--steps") + 1] = "3"
    assert train.main(argv) == 0  # resumes from step 2
    assert "(resumed)" in capsys.readouterr().out
    assert int(inference.load_style_model(run).step_counter.numpy()) == 3

    content = _png(tmp_path / "photo.png", 37, 29, seed=4)  # sides not multiples of 4
    out = tmp_path / "out.png"
    proc = subprocess.run(
        [sys.executable, "-m", "tfgan.stylize", content, "--method", "fast", "--run", run, "--output", str(out)],
        capture_output=True, text=True, timeout=300, env=dict(os.environ, TFGAN_OFFLINE="1"),
    )
    assert proc.returncode == 0, proc.stderr
    assert tf.io.decode_png(tf.io.read_file(str(out))).shape == (37, 29, 3)
    assert "fast style network" in proc.stdout


def test_bad_inputs_exit_2_with_one_line(tmp_path, exits_2_with_one_line):
    good = _png(tmp_path / "good.png")
    text = tmp_path / "style.txt"
    text.write_text("not an image")
    other_run = tmp_path / "not_a_run"
    other_run.mkdir()
    cases = [
        (train.main, ["fast_style", "--style", str(text), "--output-dir", str(tmp_path / "r"), "--steps", "1",
                      *TINY_FLAGS], "Unsupported image format"),
        (train.main, ["fast_style", "--style", good, "--image-size", "30"], "multiple of 4"),
        (stylize.main, [good, "--method", "fast"], "--run RUN_DIR"),
        (stylize.main, [good, good, "--method", "fast", "--run", str(other_run)], "no STYLE image"),
        (stylize.main, [good, "--method", "fast", "--run", str(other_run)], "not_a_run"),
        (stylize.main, [good], "needs at least one STYLE"),
    ]
    exits_2_with_one_line(cases)


# -- many styles in one network: conditional instance norm (Dumoulin et al. 2017) --------------------
def _cin_network(num_styles=3, seed=0):
    """A tiny conditional transform network with distinct random (gamma, beta) per style."""
    net = feedforward.build_transform_network(8, 1, num_styles=num_styles)
    rng = np.random.default_rng(seed)
    for w in feedforward.style_parameters(net):
        w.assign(rng.normal(1.0 if "gamma" in w.path else 0.0, 0.5, w.shape).astype(np.float32))
    return net


def test_conditional_network_one_hot_is_a_one_style_network_with_that_styles_parameters():
    net = _cin_network()
    # c9s1, d1, d2, 2 per residual block, u1, u2: every normalization is conditional
    assert len(feedforward.style_parameters(net)) == 2 * 7 and feedforward.num_styles(net) == 3
    per_style = sum(int(np.prod(w.shape[1:])) for w in feedforward.style_parameters(net))
    assert per_style == 2 * (8 + 16 + 32 + 2 * 32 + 16 + 8)  # (gamma, beta) per style
    single = feedforward.build_transform_network(8, 1)
    assert net.count_params() == single.count_params() - 2 * (8 + 16 + 32 + 16 + 8) + 3 * per_style
    x = np.random.default_rng(1).uniform(-1, 1, (2, 16, 12, 3)).astype(np.float32)
    style = 1
    one_hot = np.tile(np.eye(3, dtype=np.float32)[style], (2, 1))
    out = net([x, one_hot]).numpy()
    # the one-style network with the shared weights and style 1's rows computes the same thing
    alone = feedforward.build_transform_network(8, 1, num_styles=1)
    for mine, theirs in zip(alone.weights, net.weights):
        mine.assign(theirs.numpy()[style : style + 1] if mine.shape != theirs.shape else theirs)
    np.testing.assert_allclose(alone([x, np.ones((2, 1), np.float32)]).numpy(), out, rtol=1e-4, atol=1e-5)
    # the other styles' rows play no part
    for w in feedforward.style_parameters(net):
        w.assign(np.where(np.arange(3)[:, None] == style, w.numpy(), 7.0))
    np.testing.assert_allclose(net([x, one_hot]).numpy(), out, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="needs norm='instance'"):
        feedforward.build_transform_network(8, 1, num_styles=2, norm="batch")


def test_conditional_network_mixes_styles_through_gamma_and_beta():
    """lectures/12_fast_style_transfer.md, Eq. (4): a convex mix of styles is the network whose every
    (gamma, beta) is that mix."""
    net = _cin_network(num_styles=2)
    x = np.random.default_rng(2).uniform(-1, 1, (1, 12, 12, 3)).astype(np.float32)
    w = np.array([[0.3, 0.7]], np.float32)
    mixed = net([x, w]).numpy()
    mixed_params = _cin_network(num_styles=2)  # the same weights...
    mixed_params.set_weights(net.get_weights())
    for p in feedforward.style_parameters(mixed_params):
        p.assign(np.tile(w @ p.numpy(), (2, 1)))  # ...with both styles' rows set to the mix
    np.testing.assert_allclose(mixed_params([x, np.array([[1.0, 0.0]], np.float32)]).numpy(), mixed, atol=1e-5)
    ends = [net([x, np.eye(2, dtype=np.float32)[[s]]]).numpy() for s in (0, 1)]
    assert np.abs(mixed - ends[0]).mean() > 1e-3 and np.abs(mixed - ends[1]).mean() > 1e-3


def _styles(tmp_path, n, size=32):
    return [_png(tmp_path / f"style{i}.png", size, size, seed=10 + i) for i in range(n)]


def test_conditional_train_step_scores_each_photo_against_its_own_style(tmp_path):
    styles = _styles(tmp_path, 2)
    # fixed layer weights: balanced ones come from all the styles' mean target, a one-style model's
    # from its own (the same for every style only by chance)
    fixed = dict(TINY, layer_weights="johnson")
    model = FastStyle(FastStyleConfig(**fixed, style=",".join(styles), conditional=True))
    model.compile()
    keras.utils.set_random_seed(7)  # the same random VGG in every model below
    content = next(iter(model.make_dataset(seed=0)[0]))
    grams = model.objective.style_grams
    assert all(g.shape[0] == 2 for g in grams.values())
    # each image against its own style's Gram = the one-style objective of that style alone
    ids = tf.constant([1, 0])
    stylized = model.stylize(content, tf.one_hot(ids, 2))
    both = float(model.perceptual_terms(content, stylized, ids)["style"])
    alone = []
    for i in range(2):
        one = FastStyle(FastStyleConfig(**fixed, style=styles[int(ids[i])]))
        keras.utils.set_random_seed(7)
        alone.append(float(one.perceptual_terms(content[i:i + 1], stylized[i:i + 1])["style"]))
    assert both == pytest.approx(np.mean(alone), rel=1e-4)
    logs = model.train_step(content)
    assert np.isfinite(float(logs["loss"]))
    grid = model.preview_grid(2)  # photo | style 1 | style 2
    assert grid.shape[1] > grid.shape[0]
    weights = model.style_weights([1, 3])
    np.testing.assert_allclose(weights, [[0.25, 0.75]])
    for bad in ([1, 2, 3], [0, 0], [-1, 2]):
        with pytest.raises(RunError, match="--style-weights must be 2 numbers"):
            model.style_weights(bad)


@pytest.mark.slow
def test_adaptation_trains_only_the_new_styles_gamma_and_beta(tmp_path):
    """Dumoulin et al.'s fast adaptation: --init-from a 2-style run, add a third style."""
    styles = _styles(tmp_path, 3)
    base = str(tmp_path / "base")
    flags = ["--steps", "1", "--sample-every", "1", "--checkpoint-every", "1", "--conditional", *TINY_FLAGS]
    assert train.main(["fast_style", "--style", ",".join(styles[:2]), "--output-dir", base, *flags]) == 0
    old = inference.load_style_model(base).generator
    adapted_dir = str(tmp_path / "adapted")
    argv = ["fast_style", "--style", ",".join(styles), "--output-dir", adapted_dir, "--init-from", base, *flags]
    assert train.main(argv) == 0
    new = inference.load_style_model(adapted_dir).generator
    assert feedforward.num_styles(new) == 3
    changed_rows = []
    for before, after in zip(old.weights, new.weights):
        if before.shape == after.shape:  # shared weights: frozen
            np.testing.assert_array_equal(before.numpy(), after.numpy())
        else:  # (gamma, beta): the old styles' rows kept, the new row trained
            np.testing.assert_array_equal(before.numpy(), after.numpy()[:2])
            changed_rows.append(not np.allclose(after.numpy()[2], before.numpy().mean(0)))
    assert len(changed_rows) == 2 * 7 and all(changed_rows)
    # resuming keeps the shared weights frozen (the frozen-style count is checkpointed)
    argv[argv.index("--steps") + 1] = "2"
    assert train.main(argv) == 0
    resumed = inference.load_style_model(adapted_dir).generator
    for before, after in zip(old.weights, resumed.weights):
        if before.shape == after.shape:
            np.testing.assert_array_equal(before.numpy(), after.numpy())
    bad = ["fast_style", "--style", ",".join(styles[1:]), "--output-dir", str(tmp_path / "bad"),
           "--init-from", base, *flags]
    assert train.main(bad) == 2  # the run's styles must come first


@pytest.mark.slow
def test_conditional_cli_train_and_stylize_with_style_weights(tmp_path):
    styles = _styles(tmp_path, 2)
    run = str(tmp_path / "run")
    assert train.main(["fast_style", "--style", ",".join(styles), "--conditional", "--output-dir", run,
                       "--steps", "2", *TINY_FLAGS]) == 0
    content = _png(tmp_path / "photo.png", 21, 26, seed=4)
    outputs = {}
    for weights in ("1,0", "0,1", "0.3,0.7"):
        out = tmp_path / f"out_{weights}.png"
        proc = subprocess.run(
            [sys.executable, "-m", "tfgan.stylize", content, "--method", "fast", "--run", run,
             "--style-weights", weights, "--output", str(out)],
            capture_output=True, text=True, timeout=300, env=dict(os.environ, TFGAN_OFFLINE="1"),
        )
        assert proc.returncode == 0, proc.stderr
        outputs[weights] = tf.io.decode_png(tf.io.read_file(str(out))).numpy().astype(float)
        assert outputs[weights].shape == (21, 26, 3)
    assert "0.3 " in proc.stdout and "0.7 " in proc.stdout
    assert np.abs(outputs["1,0"] - outputs["0,1"]).mean() > 0.5  # two different styles
    proc = subprocess.run(
        [sys.executable, "-m", "tfgan.stylize", content, "--method", "fast", "--run", run,
         "--style-weights", "1,2,3", "--output", str(tmp_path / "x.png")],
        capture_output=True, text=True, timeout=300, env=dict(os.environ, TFGAN_OFFLINE="1"),
    )
    assert proc.returncode == 2 and "--style-weights must be 2 numbers" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_coco_content_photos_fail_at_once_offline(tmp_path, monkeypatch, capsys):
    """COCO (Johnson et al.'s content photos) comes lazily through tfds; offline it fails in
    well under a second with what to do instead, and the CLI turns that into exit 2."""
    import time

    from tfgan import data

    monkeypatch.setenv("TFGAN_OFFLINE", "1")
    assert "coco" in data.available_image_sets()
    start = time.perf_counter()
    with pytest.raises(data.DatasetNotFoundError, match="(?s)'coco'.*folder:PATH.*sr_photos.*TFGAN_OFFLINE is set"):
        data.load_image_set("coco", "train", data_dir=tmp_path)
    assert time.perf_counter() - start < 5
    style = _png(tmp_path / "style.png", 32, 32, seed=3)
    argv = ["fast_style", "--dataset", "coco", "--data-dir", str(tmp_path), "--style", style,
            "--output-dir", str(tmp_path / "run"), "--steps", "1", *TINY_FLAGS]
    assert train.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "coco" in err and "sr_photos" in err, err
