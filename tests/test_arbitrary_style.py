"""Arbitrary style transfer: the VGG-mirror decoders, AdaIN's target and loss, multi-level WCT,
the adain and wct models (a train step each), and ``tfgan.stylize --method adain|wct`` end to end."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import inference, stylize, train
from tfgan.models import AdaIN, AdaINConfig, WCT, WCTConfig
from tfgan.style import adain, decoder, wct

TINY = dict(vgg_weights="none", vgg_precision="float32", image_size=32, batch_size=2, width=1 / 16,
            crops_per_image=2)
TINY_FLAGS = ["--vgg-weights", "none", "--vgg-precision", "float32", "--image-size", "32", "--batch-size", "2",
              "--width", "0.0625", "--crops-per-image", "2", "--num-samples", "1"]


def _png(path, h=40, w=30, seed=0):
    rng = np.random.default_rng(seed)
    image = tf.image.resize(rng.uniform(0, 255, (1, h // 5, w // 5, 3)), (h, w)).numpy()[0]
    path.write_bytes(tf.io.encode_png(image.astype(np.uint8)).numpy())
    return str(path)


def _stats(x):
    return x.mean(axis=(1, 2)), np.sqrt(x.var(axis=(1, 2)) + adain.EPSILON)


# -- the decoders ------------------------------------------------------------------------------------
def test_decoder_mirrors_vgg16_pinned_parameter_count():
    conv = lambda cin, cout: 9 * cin * cout + cout  # noqa: E731  3x3 convolution with bias
    # Huang et al.'s decoder less VGG19's extra block-3 convolution: 512->256, up, 256->256 x2,
    # 256->128, up, 128->128, 128->64, up, 64->64, 64->3.
    expected = (conv(512, 256) + 2 * conv(256, 256) + conv(256, 128) + conv(128, 128) + conv(128, 64)
                + conv(64, 64) + conv(64, 3))
    net = decoder.build_decoder("block4_conv1")
    assert net.count_params() == expected == 2_915_139
    assert sum(isinstance(l, keras.layers.UpSampling2D) for l in net.layers) == 3
    assert decoder.build_decoder("block1_conv1").count_params() == conv(64, 3)
    assert [decoder.size_multiple(layer) for layer in decoder.LEVELS] == [1, 2, 4, 8]
    small = decoder.build_decoder("block3_conv1", width=1 / 16)
    assert small(tf.zeros((2, 3, 5, 256))).shape == (2, 12, 20, 3)  # two poolings undone
    with pytest.raises(ValueError, match="Received: layer='block4_pool'"):
        decoder.build_decoder("block4_pool")
    with pytest.raises(ValueError, match="Received: width=0"):
        decoder.build_decoder(width=0)


# -- AdaIN: target, alpha, mixing, loss ----------------------------------------------------------------
def test_adain_target_alpha_and_style_mixing_match_numpy():
    rng = np.random.default_rng(0)
    content = rng.normal(2.0, 3.0, (1, 5, 6, 4)).astype(np.float32)
    styles = [(rng.normal(size=(1, 7, 4, 4)) * rng.uniform(0.5, 4, 4) + rng.normal(0, 3, 4)).astype(np.float32)
              for _ in range(2)]
    mu_c, sigma_c = _stats(content)
    normalized = (content - mu_c[:, None, None]) / sigma_c[:, None, None]

    def np_adain(style):  # lectures/12_fast_style_transfer.md, Eq. (5)
        mu_s, sigma_s = _stats(style)
        return sigma_s[:, None, None] * normalized + mu_s[:, None, None]

    one = adain.target(content, styles[0]).numpy()
    np.testing.assert_allclose(one, np_adain(styles[0]), rtol=1e-4, atol=1e-4)
    for got, want in zip(_stats(one), _stats(styles[0])):  # the style's channel means and stds
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(adain.target(content, styles[0], alpha=0.0).numpy(), content, atol=1e-6)
    # (lectures/12_fast_style_transfer.md, Eq. (7) at alpha 0)
    mixed = adain.target(content, styles, weights=[3, 1], alpha=0.6).numpy()
    want = 0.4 * content + 0.6 * (0.75 * np_adain(styles[0]) + 0.25 * np_adain(styles[1]))
    np.testing.assert_allclose(mixed, want, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="alpha=1.5"):
        adain.target(content, styles, alpha=1.5)
    with pytest.raises(ValueError, match="Expected 2 style weight"):
        adain.target(content, styles, weights=[1])


def test_adain_style_loss_is_the_squared_mean_and_std_differences():
    rng = np.random.default_rng(1)
    a = {n: rng.normal(0, 2, (2, 4, 4, 3)).astype(np.float32) for n in adain.STYLE_LAYERS}
    b = {n: rng.normal(1, 1, (2, 6, 3, 3)).astype(np.float32) for n in adain.STYLE_LAYERS}
    want = sum(((_stats(a[n])[0] - _stats(b[n])[0]) ** 2).mean() + ((_stats(a[n])[1] - _stats(b[n])[1]) ** 2).mean()
               for n in adain.STYLE_LAYERS)
    assert float(adain.style_loss(a, b)) == pytest.approx(want, rel=1e-4)
    assert float(adain.style_loss(a, a)) == pytest.approx(0.0, abs=1e-6)
    x = a["block1_conv1"]
    assert float(adain.content_loss(x, np.ones_like(x))) == pytest.approx(((x - 1) ** 2).mean(), rel=1e-5)
    # balanced: each layer relative to the style's (mu^2 + sigma^2), content relative to mean(t^2);
    # so scaling one layer's activations (a badly scaled encoder layer) leaves its share unchanged
    want = sum((((_stats(a[n])[0] - _stats(b[n])[0]) ** 2).mean() + ((_stats(a[n])[1] - _stats(b[n])[1]) ** 2).mean())
               / ((_stats(b[n])[0] ** 2).mean() + (_stats(b[n])[1] ** 2).mean()) for n in adain.STYLE_LAYERS)
    assert float(adain.style_loss(a, b, balanced=True)) == pytest.approx(want, rel=1e-4)
    k = {n: 100.0 if n == "block1_conv1" else 1.0 for n in adain.STYLE_LAYERS}
    scaled = [{n: k[n] * f[n] for n in f} for f in (a, b)]
    assert float(adain.style_loss(*scaled, balanced=True)) == pytest.approx(want, rel=1e-3)
    t = np.full_like(x, 2.0)
    assert float(adain.content_loss(x, t, balanced=True)) == pytest.approx(((x - 2) ** 2).mean() / 4, rel=1e-5)


# -- multi-level WCT -----------------------------------------------------------------------------------
def _correlated(rng, shape, scale):
    c = shape[-1]
    flat = rng.normal(size=(int(np.prod(shape[:-1])), c)) @ (rng.normal(size=(c, c)) * scale) + rng.normal(size=c) * 3
    return flat.reshape(shape).astype(np.float32)


def test_multi_level_wct_colors_each_level_and_alpha_zero_is_the_reconstruction():
    rng = np.random.default_rng(2)
    content = _correlated(rng, (1, 12, 10, 3), 1.0)
    style = _correlated(rng, (1, 9, 11, 3), 2.0)
    identity = {"only": lambda x: x}
    out = wct.multi_level(content, [style], identity, identity)  # one level, identity encoder/decoder
    o_mean, o_cov = wct.mean_and_covariance(out[0])
    s_mean, s_cov = wct.mean_and_covariance(style[0])
    np.testing.assert_allclose(o_mean, s_mean, atol=1e-3)  # lectures/12_fast_style_transfer.md, Eq. (9)
    np.testing.assert_allclose(o_cov, s_cov, rtol=1e-3, atol=1e-3)
    # two levels whose "decoders" halve the features: alpha 0 chains the reconstructions
    halve = {"deep": lambda f: f / 2, "shallow": lambda f: f / 2}
    encoders = {"deep": lambda x: x, "shallow": lambda x: x}
    np.testing.assert_allclose(wct.multi_level(content, [style], encoders, halve, alpha=0.0), content / 4, rtol=1e-6)
    # two styles mixed by weights: the same mix of the single-style transforms
    other = _correlated(rng, (1, 8, 8, 3), 0.5)
    mixed = wct.multi_level(content, [style, other], identity, identity, weights=[1, 3])
    singles = [wct.wct(content[0], s[0]) for s in (style, other)]
    np.testing.assert_allclose(mixed[0], 0.25 * singles[0] + 0.75 * singles[1], rtol=1e-4, atol=1e-4)


# -- the models -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("balanced", [False, True])
def test_adain_one_train_step_lowers_the_loss_on_a_fixed_batch(balanced):
    model = AdaIN(AdaINConfig(**TINY, balanced=balanced))
    model.compile()
    content, style = next(iter(model.make_dataset(seed=0)[0]))
    assert content.shape == style.shape == (2, 32, 32, 3)
    before = float(model.losses_of(content, style)[0]["total"])
    logs = model.train_step((content, style))
    assert float(logs["loss"]) == pytest.approx(before, rel=1e-4)
    assert float(model.losses_of(content, style)[0]["total"]) < before
    assert model.preview_grid(1).shape == (36, 104, 3)  # photo | style | stylized


def test_adain_transfer_alpha_zero_decodes_the_content_features():
    model = AdaIN(AdaINConfig(**TINY))
    rng = np.random.default_rng(3)
    photo = rng.uniform(-1, 1, (1, 16, 24, 3)).astype(np.float32)
    style = rng.uniform(-1, 1, (1, 20, 12, 3)).astype(np.float32)
    features = model.encoder()(photo)[adain.ENCODER_LAYER]
    np.testing.assert_allclose(model.transfer(photo, [style], alpha=0.0), model.generator(features).numpy(),
                               rtol=1e-5, atol=1e-5)
    assert not np.allclose(model.transfer(photo, [style], alpha=1.0), model.generator(features).numpy())


def test_wct_one_train_step_lowers_every_decoders_loss_and_alpha_zero_reconstructs():
    model = WCT(WCTConfig(**TINY, levels=2))
    model.compile()
    assert sorted(model.networks()) == ["decoder1", "decoder2"] and len(model.optimizers()) == 2
    content = next(iter(model.make_dataset(seed=0)[0]))
    layers = decoder.LEVELS[:2]
    before = [sum(float(t) for t in model.reconstruction_terms(content, layer)) for layer in layers]
    model.train_step(content)
    after = [sum(float(t) for t in model.reconstruction_terms(content, layer)) for layer in layers]
    assert all(a < b for a, b in zip(after, before)), (before, after)
    photo = content[:1].numpy()
    recon = photo
    for layer in layers[::-1]:  # coarse to fine, alpha 0: reconstructions only
        recon = model.decoder(layer)(model.encoder([layer])(recon)[layer]).numpy()
    np.testing.assert_allclose(model.transfer(photo, [content[1:].numpy()], alpha=0.0), recon, rtol=1e-4, atol=1e-4)


# -- the CLIs -------------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("method", ["adain", "wct"])
def test_cli_train_and_stylize_any_size_end_to_end(tmp_path, method):
    run = str(tmp_path / "run")
    style = _png(tmp_path / "style.png", 36, 44, seed=3)
    extra = ["--levels", "2"] if method == "wct" else []
    assert train.main([method, "--style-dataset", f"{style},{style}", "--output-dir", run, "--steps", "1",
                       "--sample-every", "1", "--checkpoint-every", "1", *TINY_FLAGS, *extra]) == 0
    assert sorted(os.listdir(os.path.join(run, "samples")))[-1] == "step_000001.png"
    model = inference.load_arbitrary_style_model(run, method)
    photo = np.random.default_rng(4).integers(0, 256, (13, 21, 3), dtype=np.uint8)  # sides not multiples of 8
    for color in (None, "histogram", "luminance"):
        out = inference.stylize_arbitrary(model, photo, [photo, photo[:9]], 0.5, [1, 2], color)
        assert out.shape == photo.shape and out.dtype == np.uint8

    content = _png(tmp_path / "photo.png", 37, 29, seed=5)
    out = tmp_path / "out.png"
    proc = subprocess.run(
        [sys.executable, "-m", "tfgan.stylize", content, style, style, "--method", method, "--run", run,
         "--alpha", "0.7", "--style-weights", "1,3", "--output", str(out)],
        capture_output=True, text=True, timeout=300, env=dict(os.environ, TFGAN_OFFLINE="1"),
    )
    assert proc.returncode == 0, proc.stderr
    assert tf.io.decode_png(tf.io.read_file(str(out))).shape == (37, 29, 3)
    assert f"{method} decoder" in proc.stdout


def test_bad_inputs_exit_2_with_one_line(tmp_path, exits_2_with_one_line):
    good = _png(tmp_path / "good.png")
    other_run = tmp_path / "not_a_run"
    other_run.mkdir()
    text = tmp_path / "style.txt"
    text.write_text("not an image")
    cases = [
        (stylize.main, [good, str(text), "--method", "adain", "--run", str(other_run)], "Unsupported image format"),
        (train.main, ["adain", "--image-size", "36"], "multiple of 8"),
        (train.main, ["wct", "--levels", "5"], "--levels must be"),
        (stylize.main, [good, "--method", "adain", "--run", str(other_run)], "STYLE images and --run"),
        (stylize.main, [good, good, "--method", "wct"], "--run RUN_DIR"),
        (stylize.main, [good, good, "--method", "adain", "--run", str(other_run), "--alpha", "2"], "--alpha"),
        (stylize.main, [good, good, "--method", "adain", "--run", str(other_run), "--style-weights", "1,2"],
         "one weight per STYLE"),
        (stylize.main, [good, good, "--method", "wct", "--run", str(other_run)], "not_a_run"),
    ]
    exits_2_with_one_line(cases)
