"""tfgan.style.gatys: the losses against NumPy, the optimization loop, color, images, errors."""

import numpy as np
import pytest
import tensorflow as tf

import keras

from tfgan.style import gatys
from tfgan.style.gatys import ImageError
from tfgan.style.perceptual import FeatureExtractor

LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1")  # shallow: fast, 4-pixel minimum
CONTENT = ("block2_conv2",)
SMALL = dict(content_layers=CONTENT, style_layers=LAYERS, weights=None, max_size=None)


@pytest.fixture(scope="module")
def extractor():
    keras.utils.set_random_seed(0)
    return FeatureExtractor(LAYERS + CONTENT, weights=None)


def _photo(h=32, w=32, seed=0):
    """A smooth random colour image (uint8): noise, blurred, so it has structure at all scales."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 255, (h // 4 + 1, w // 4 + 1, 3))
    x = tf.image.resize(x[None], (h, w), method="bicubic")[0].numpy()
    return np.clip(x + rng.normal(0, 10, x.shape), 0, 255).astype(np.uint8)


def _np_gram(f):
    b, h, w, c = f.shape
    flat = f.reshape(b, h * w, c).astype(np.float64)
    return np.einsum("bmi,bmj->bij", flat, flat) / (h * w)


# -- losses (lectures/06_style_transfer.md, Eqs. (2)-(5);
# lectures/07_gatys_style_transfer.md, Eq. (1)) ----------------------------------------------------


def test_gram_matrix_matches_numpy_and_is_symmetric():
    f = np.random.default_rng(0).normal(size=(2, 5, 4, 3)).astype(np.float32)
    g = gatys.gram_matrix(f).numpy()
    np.testing.assert_allclose(g, _np_gram(f), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g, np.transpose(g, (0, 2, 1)), atol=1e-6)
    # Hand-worked: one channel of values 1, 2, 3 at M = 3 positions: (1 + 4 + 9) / 3.
    assert gatys.gram_matrix(np.array([1.0, 2.0, 3.0]).reshape(1, 1, 3, 1)).numpy().item() == pytest.approx(14 / 3)


def test_gram_matrix_does_not_grow_with_image_size():
    f = np.random.default_rng(1).normal(size=(1, 4, 4, 3)).astype(np.float32)
    tiled = np.tile(f, (1, 3, 2, 1))  # the same statistics over 6x the positions
    np.testing.assert_allclose(gatys.gram_matrix(tiled), gatys.gram_matrix(f), rtol=1e-5)


def test_content_loss_matches_numpy():
    rng = np.random.default_rng(2)
    f, p = rng.normal(size=(1, 6, 5, 4)), rng.normal(size=(1, 6, 5, 4))
    expected = 0.5 * np.sum((f - p) ** 2) / f.size  # 1/(2 N M) sum (F - P)^2
    assert float(gatys.content_loss(f.astype(np.float32), p.astype(np.float32))) == pytest.approx(expected, rel=1e-5)


def test_layer_style_loss_equals_the_papers_unnormalized_form():
    rng = np.random.default_rng(3)
    x, s = rng.normal(size=(1, 6, 5, 4)), rng.normal(size=(1, 6, 5, 4))
    n, m = 4, 30
    raw = lambda f: f.reshape(m, n).T @ f.reshape(m, n)  # noqa: E731 - G = F F^T, F is N x M
    paper = np.sum((raw(x) - raw(s)) ** 2) / (4 * n**2 * m**2)  # Gatys et al. 2016, eq. 4
    ours = gatys.layer_style_loss(gatys.gram_matrix(x), gatys.gram_matrix(s))
    assert float(ours) == pytest.approx(paper, rel=1e-5)


def test_style_loss_weights_layers():
    rng = np.random.default_rng(4)
    feats = {"a": rng.normal(size=(1, 4, 4, 2)).astype(np.float32),
             "b": rng.normal(size=(1, 2, 2, 3)).astype(np.float32)}
    other = {k: rng.normal(size=v.shape).astype(np.float32) for k, v in feats.items()}
    targets = {k: _np_gram(v).astype(np.float32) for k, v in other.items()}
    e = {k: np.mean((_np_gram(feats[k]) - targets[k]) ** 2) / 4 for k in feats}
    assert float(gatys.style_loss(feats, targets)) == pytest.approx((e["a"] + e["b"]) / 2, rel=1e-5)
    got = gatys.style_loss(feats, targets, {"a": 0.25, "b": 2.0})
    assert float(got) == pytest.approx(0.25 * e["a"] + 2.0 * e["b"], rel=1e-5)
    with pytest.raises(ValueError, match="must name exactly the style layers"):
        gatys.style_loss(feats, targets, {"a": 1.0})


def test_total_variation_matches_numpy():
    x = np.random.default_rng(5).uniform(0, 255, (2, 5, 7, 3))
    dh = np.abs(np.diff(x, axis=1)).sum(axis=(1, 2, 3))
    dw = np.abs(np.diff(x, axis=2)).sum(axis=(1, 2, 3))
    expected = np.mean(dh + dw) / (5 * 7 * 3)
    assert float(gatys.total_variation_loss(x.astype(np.float32))) == pytest.approx(expected, rel=1e-5)
    assert float(gatys.total_variation_loss(np.full((1, 4, 4, 3), 9.0, np.float32))) == 0.0


def test_several_styles_equal_the_weighted_sum_of_their_losses(extractor):
    """One blended Gram target plus a constant == the weighted sum of per-style losses.

    lectures/06_style_transfer.md, Eq. (6).
    """
    styles = [_photo(seed=1).astype(np.float32), _photo(seed=2).astype(np.float32)]
    image = _photo(seed=3).astype(np.float32)
    objective = gatys.Objective(extractor, (), LAYERS, style_weight=1.0)
    objective.set_style(styles, weights=[3.0, 1.0])
    got = float(objective(tf.constant(image[None]))["style"])
    feats = {k: v.numpy() for k, v in extractor(image[None]).items()}
    expected = 0.0
    for v, style in zip((0.75, 0.25), styles):
        target = {k: _np_gram(f.numpy()) for k, f in extractor(style[None]).items()}
        expected += v * sum(np.mean((_np_gram(feats[n]) - target[n]) ** 2) / 4 / 3 for n in LAYERS)
    assert got == pytest.approx(expected, rel=1e-4)


# -- color (lectures/07_gatys_style_transfer.md, Eqs. (4)-(5)) -------------------------------------


def test_yiq_matches_tensorflow_and_round_trips():
    x = np.random.default_rng(6).uniform(0, 1, (4, 5, 3))
    np.testing.assert_allclose(gatys.rgb_to_yiq(x), tf.image.rgb_to_yiq(x).numpy(), atol=1e-6)
    np.testing.assert_allclose(gatys.yiq_to_rgb(gatys.rgb_to_yiq(x)), x, atol=1e-9)


def test_match_luminance_moments():
    rng = np.random.default_rng(7)
    style, content = rng.normal(50, 5, 1000), rng.normal(140, 30, 800)
    out = gatys.match_luminance(style, content)
    assert out.mean() == pytest.approx(content.mean()) and out.std() == pytest.approx(content.std())
    np.testing.assert_allclose(np.corrcoef(out, style)[0, 1], 1.0)  # an affine map


def test_match_color_histogram_moments():
    rng = np.random.default_rng(8)
    mix = np.array([[1.0, 0.3, 0.1], [0.2, 0.8, 0.0], [0.0, 0.4, 0.6]])
    style = 120 + rng.normal(size=(40, 30, 3)) @ mix * 12
    content = 110 + rng.normal(size=(20, 20, 3)) @ mix.T * 15
    out = gatys.match_color_histogram(style, content).reshape(-1, 3)
    c = content.reshape(-1, 3)
    np.testing.assert_allclose(out.mean(0), c.mean(0), atol=1e-6)
    np.testing.assert_allclose(np.cov(out, rowvar=False), np.cov(c, rowvar=False), rtol=1e-6, atol=1e-6)


# -- the optimization ------------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_a_stylize_step_lowers_the_loss(extractor, optimizer):
    content, style = _photo(seed=0), _photo(seed=9)
    result = gatys.stylize(content, style, steps=3, optimizer=optimizer, learning_rate=2.0,
                           extractor=extractor, **SMALL)
    total = result.history["total"]
    assert len(total) == 3 and total[-1] < total[0]
    assert result.image.shape == content.shape and result.image.dtype == np.uint8
    assert result.history["content"][0] == pytest.approx(0.0, abs=1e-6)  # init = content
    np.testing.assert_allclose(
        result.history["total"],
        result.history["content"] + result.history["style"] + result.history["tv"], rtol=1e-5)


def test_adam_step_clips_pixels(extractor):
    objective = gatys.Objective(extractor, CONTENT, LAYERS, style_weight=1.0)
    objective.set_content(_photo(seed=0).astype(np.float32))
    objective.set_style([_photo(seed=1).astype(np.float32)])
    pixels = gatys._Pixels(_photo(seed=2).astype(np.float32), luminance_only=False)
    step = gatys.make_adam_step(objective, pixels, learning_rate=500.0)
    step()
    x = pixels.variable.numpy()
    assert x.min() >= 0.0 and x.max() <= 255.0
    assert (x == 0).any() and (x == 255).any()  # the step went past the box and was clipped


def test_reconstruction_from_noise_lowers_the_feature_distance(extractor):
    image = _photo(seed=4)
    content = gatys.reconstruct_content(image, "block2_conv2", steps=15, learning_rate=8.0, extractor=extractor)
    d = content.history["content"]
    assert d[-1] < 0.5 * d[0]
    style = gatys.reconstruct_style(image, LAYERS, steps=15, learning_rate=8.0, extractor=extractor)
    s = style.history["style"]
    assert s[-1] < 0.5 * s[0]
    assert content.image.shape == style.image.shape == image.shape
    assert content.settings["content_layers"] == ["block2_conv2"] and style.settings["style_layers"] == list(LAYERS)


def test_luminance_transfer_keeps_the_contents_chrominance(extractor):
    content, style = _photo(seed=5), _photo(seed=6)[:, :, ::-1]  # other colours
    result = gatys.stylize(content, style, steps=3, preserve_color="luminance", learning_rate=20.0,
                           extractor=extractor, **SMALL)
    out, ref = gatys.rgb_to_yiq(result.image), gatys.rgb_to_yiq(content)
    inside = np.all((result.image > 0) & (result.image < 255), axis=-1)  # clipping changes I, Q
    assert inside.mean() > 0.9
    np.testing.assert_allclose(out[inside][:, 1:], ref[inside][:, 1:], atol=1.0)  # uint8 rounding
    assert np.abs(out[..., 0] - ref[..., 0]).mean() > 1.0  # the luminance did change
    # Without color preservation the chrominance moves towards the style's.
    plain = gatys.stylize(content, style, steps=3, learning_rate=20.0, extractor=extractor, **SMALL)
    assert np.abs(gatys.rgb_to_yiq(plain.image)[..., 1:] - ref[..., 1:]).mean() > \
        np.abs(out[..., 1:] - ref[..., 1:]).mean()


def test_histogram_mode_and_inits(extractor):
    content, style = _photo(40, 32, seed=7), _photo(seed=8)
    seen, results = [], {}
    for init in ("content", "noise", "style"):
        results[init] = gatys.stylize(content, style, steps=2, init=init, preserve_color="histogram",
                                      extractor=extractor, callback=seen.append, **SMALL)
        assert results[init].image.shape == (40, 32, 3) and results[init].settings["init"] == init
    assert [p.step for p in seen] == [1, 2] * 3 and seen[0].steps == 2
    assert seen[-1].image().shape == (40, 32, 3)
    assert results["content"].history["content"][0] == pytest.approx(0.0, abs=1e-6)
    assert results["noise"].history["content"][0] > 0 and results["style"].history["content"][0] > 0


def test_max_size_keeps_the_aspect_ratio(extractor):
    result = gatys.stylize(_photo(64, 40), _photo(16, 16), steps=1, extractor=extractor,
                           content_layers=CONTENT, style_layers=LAYERS, weights=None, max_size=32)
    assert result.image.shape == (32, 20, 3)


def test_bfloat16_precision_runs_and_tracks_float32(extractor):
    fast = FeatureExtractor(LAYERS + CONTENT, weights=None, precision="bfloat16")
    fast.set_weights(extractor.get_weights())
    args = dict(steps=3, learning_rate=2.0, **SMALL)
    a = gatys.stylize(_photo(seed=0), _photo(seed=9), extractor=extractor, **args)
    b = gatys.stylize(_photo(seed=0), _photo(seed=9), extractor=fast, **args)
    assert b.settings["precision"] == "bfloat16"
    np.testing.assert_allclose(b.history["total"], a.history["total"], rtol=0.05)


def test_bad_arguments(extractor):
    content, style = _photo(), _photo()
    with pytest.raises(ImageError, match=r"content image is 7x32 pixels, too small for layer 'block4_conv2'.*8x8"):
        gatys.stylize(_photo(8, 32)[:7], style, steps=1, weights=None, max_size=None)
    with pytest.raises(ValueError, match=r"optimizer.*'adam', 'lbfgs'.*'sgd'"):
        gatys.stylize(content, style, optimizer="sgd", extractor=extractor, **SMALL)
    with pytest.raises(ValueError, match="non-negative style_weights"):
        gatys.stylize(content, [style, style], style_weights=[1.0], extractor=extractor, **SMALL)
    with pytest.raises(ValueError, match=r"does not return layer\(s\) \['block4_conv2', 'block4_conv1'"):
        gatys.stylize(content, style, extractor=extractor, weights=None)
    with pytest.raises(ImageError, match=r"pixel values in \[0, 255\]"):
        gatys.stylize(content / 255.0 - 0.5, style, extractor=extractor, **SMALL)


# -- images ----------------------------------------------------------------------------------------


def test_load_image_formats_and_errors(tmp_path):
    rgb = _photo(12, 10)
    png = tmp_path / "a.png"
    png.write_bytes(tf.io.encode_png(rgb).numpy())
    np.testing.assert_array_equal(gatys.load_image(png), rgb.astype(np.float32))
    gray = tmp_path / "g.png"
    gray.write_bytes(tf.io.encode_png(rgb[..., :1]).numpy())
    assert gatys.load_image(gray).shape == (12, 10, 3)
    rgba = tmp_path / "rgba.png"
    rgba.write_bytes(tf.io.encode_png(np.concatenate([rgb, rgb[..., :1]], -1)).numpy())
    np.testing.assert_array_equal(gatys.load_image(rgba), rgb.astype(np.float32))
    jpg = tmp_path / "a.jpg"
    jpg.write_bytes(tf.io.encode_jpeg(rgb, quality=95).numpy())
    assert gatys.load_image(jpg, max_size=5).shape == (5, 4, 3)

    with pytest.raises(ImageError, match="No such image file"):
        gatys.load_image(tmp_path / "missing.png")
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(ImageError, match="Unsupported image format.*PNG, JPEG, GIF or BMP"):
        gatys.load_image(text)
    broken = tmp_path / "broken.png"
    broken.write_bytes(png.read_bytes()[:40])
    with pytest.raises(ImageError, match="Cannot decode image .*broken.png as PNG"):
        gatys.load_image(broken)
    with pytest.raises(ImageError, match="got a directory"):
        gatys.load_image(tmp_path)


def test_resize_max():
    x = np.zeros((100, 50, 3), np.float32)
    assert gatys.resize_max(x, 40).shape == (40, 20, 3)
    assert gatys.resize_max(x, 400).shape == (100, 50, 3)  # never enlarges by default
    assert gatys.resize_max(x, 200, upscale=True).shape == (200, 100, 3)


def test_sample_style_image_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("TFGAN_OFFLINE", "1")
    image = gatys.sample_style_image("starry_night", max_size=64)  # from $TFGAN_DATA_DIR/images
    assert image.shape == (51, 64, 3) and image.dtype == np.float32  # 640x507, aspect kept
    monkeypatch.setenv("TFGAN_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("tfgan.data.sources.REPO_DATA_DIR", tmp_path)
    monkeypatch.setenv("TFGAN_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ImageError, match=r"No copy of starry_night.jpg.*TFGAN_OFFLINE is set.*\$TFGAN_DATA_DIR/images"):
        gatys.sample_style_image("starry_night")
    with pytest.raises(ValueError, match="Unknown sample style"):
        gatys.sample_style_image("mona_lisa")
