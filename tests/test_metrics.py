"""Inception score against a NumPy reference, hand-worked values and its properties."""

import warnings

import numpy as np
import pytest

from tfgan import metrics


def reference_inception_score(probs, splits):
    """The reference code of Salimans et al. 2016 (openai/improved-gan), written out again."""
    scores = []
    n = probs.shape[0]
    for i in range(splits):
        part = probs[i * n // splits : (i + 1) * n // splits]
        kl = part * (np.log(part) - np.log(np.mean(part, 0, keepdims=True)))
        scores.append(np.exp(np.mean(np.sum(kl, 1))))
    return np.mean(scores), np.std(scores)


def softmax64(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("splits", [1, 3, 10])
def test_matches_reference_implementation(splits):
    logits = np.random.default_rng(0).normal(scale=3.0, size=(103, 7))
    expected = reference_inception_score(softmax64(logits), splits)
    np.testing.assert_allclose(metrics.inception_score(logits, splits=splits), expected, rtol=1e-12)
    np.testing.assert_allclose(
        metrics.inception_score(softmax64(logits), splits=splits, from_probs=True), expected,
        rtol=1e-12,
    )


def test_uniform_predictions_score_one():
    # p(y|x) = p(y) for every x: every KL term is 0, IS = exp(0) = 1.
    mean, std = metrics.inception_score(np.zeros((50, 10)), splits=5)
    assert mean == pytest.approx(1.0, abs=1e-12)
    assert std == pytest.approx(0.0, abs=1e-12)


def test_identical_confident_predictions_score_one():
    # Confident but all the same class: p(y) = p(y|x), IS = 1 (no diversity).
    logits = np.tile([[50.0, 0, 0, 0]], (40, 1))
    assert metrics.inception_score(logits, splits=4)[0] == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("k", [2, 5, 10])
def test_one_hot_predictions_spread_evenly_score_k(k):
    # p(y|x) one-hot, p(y) = 1/K: KL = log K for every x, IS = K.
    probs = np.eye(k)[np.arange(20 * k) % k]
    mean, std = metrics.inception_score(probs, splits=4, from_probs=True)
    assert mean == pytest.approx(k, rel=1e-12)
    assert std == pytest.approx(0.0, abs=1e-12)


def test_one_hot_probs_need_no_warnings():
    # log 0 appears in one-hot probabilities; 0 log 0 must count as 0 without a RuntimeWarning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metrics.inception_score(np.eye(3)[[0, 1, 2, 0, 1, 2]], splits=2, from_probs=True)
        metrics.inception_score(np.eye(3)[[0, 0, 1, 1]], splits=2, from_probs=True)  # p(y) = 0


def test_large_logits_are_stable():
    # Saturated logits are one-hot predictions: IS = K, no overflow from exp(1000).
    logits = 1000.0 * np.eye(4)[np.arange(40) % 4]
    assert metrics.inception_score(logits, splits=2)[0] == pytest.approx(4.0, rel=1e-9)


def test_invariant_to_constant_added_to_logits():
    logits = np.random.default_rng(1).normal(size=(60, 10))
    base = metrics.inception_score(logits, splits=3)
    shifted = metrics.inception_score(logits + 123.0, splits=3)
    np.testing.assert_allclose(shifted, base, rtol=1e-10)


def test_hand_worked_two_class_value():
    # Two samples, p(y|x) = (3/4, 1/4) and (1/4, 3/4): p(y) = (1/2, 1/2) and
    # KL = 3/4 log(3/2) + 1/4 log(1/2) for both, so IS = (3/2)^(3/4) * (1/2)^(1/4).
    probs = np.array([[0.75, 0.25], [0.25, 0.75]])
    expected = 1.5**0.75 * 0.5**0.25
    assert metrics.inception_score(probs, splits=1, from_probs=True)[0] == pytest.approx(expected)


def test_std_over_splits():
    # Chunk 1: evenly spread one-hots (IS 2); chunk 2: all one class (IS 1). Mean 1.5, std 0.5.
    probs = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    mean, std = metrics.inception_score(probs, splits=2, from_probs=True)
    assert (mean, std) == (pytest.approx(1.5), pytest.approx(0.5))


def test_returns_python_floats():
    mean, std = metrics.inception_score(np.ones((4, 3), np.float32), splits=2)
    assert type(mean) is float and type(std) is float


@pytest.mark.parametrize(
    "values, kwargs, match",
    [
        (np.zeros(10), {}, r"shape \(num_samples, num_classes\).*Received: shape=\(10,\)"),
        (np.zeros((2, 3, 4)), {}, r"Received: shape=\(2, 3, 4\)"),
        (np.zeros((5, 0)), {}, r"Received: shape=\(5, 0\)"),
        (np.zeros((5, 3)), {"splits": 10}, r"num_samples=5, splits=10"),
        (np.zeros((5, 3)), {"splits": 0}, r"splits=0"),
        (np.zeros((5, 3)), {"splits": 2.0}, r"splits=2.0"),
        (np.full((5, 3), np.nan), {"splits": 1}, r"NaN or inf"),
        (np.full((5, 3), 0.5), {"splits": 1, "from_probs": True}, r"sum to 1"),
        (np.array([[1.5, -0.5]]), {"splits": 1, "from_probs": True}, r"non-negative"),
    ],
)
def test_bad_inputs_raise(values, kwargs, match):
    with pytest.raises(ValueError, match=match):
        metrics.inception_score(values, **kwargs)


# -- Fréchet distance and conditional accuracy ---------------------------------------------------
def _gaussian_samples(mean, cov, n, seed):
    return np.random.default_rng(seed).multivariate_normal(mean, cov, size=n)


def test_frechet_distance_closed_form_for_fitted_gaussians():
    # The formula on the samples' own means and covariances, written independently: S_a S_b is
    # similar to the symmetric S_a^1/2 S_b S_a^1/2, so Tr((S_a S_b)^1/2) = sum of sqrt(eigenvalues).
    a = _gaussian_samples([0.0, 0.0, 0.0], np.diag([1.0, 2.0, 3.0]), 4000, 0)
    b = _gaussian_samples([1.0, -1.0, 0.5], np.diag([2.0, 1.0, 0.5]), 4000, 1)
    mu_a, mu_b = a.mean(0), b.mean(0)
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w_a, v_a = np.linalg.eigh(ca)
    sqrt_a = v_a @ np.diag(np.sqrt(w_a)) @ v_a.T
    w = np.linalg.eigvalsh(sqrt_a @ cb @ sqrt_a)
    expected = np.sum((mu_a - mu_b) ** 2) + np.trace(ca) + np.trace(cb) - 2 * np.sum(np.sqrt(w))
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=1e-8)


def test_frechet_distance_of_known_gaussians_approaches_closed_form():
    # N(0, I) vs N(m, 4I) in d dims: ||m||^2 + d (1 + 4 - 2*2) = ||m||^2 + d.
    d, m = 4, np.array([1.0, 0.0, 2.0, 0.0])
    a = _gaussian_samples(np.zeros(d), np.eye(d), 20000, 2)
    b = _gaussian_samples(m, 4 * np.eye(d), 20000, 3)
    assert metrics.frechet_distance(a, b) == pytest.approx(np.sum(m**2) + d, rel=0.03)


def test_frechet_distance_is_zero_for_identical_sets_and_symmetric():
    a = _gaussian_samples([0.0, 1.0], [[1.0, 0.5], [0.5, 2.0]], 500, 4)
    b = _gaussian_samples([0.5, 1.0], [[2.0, 0.1], [0.1, 1.0]], 500, 5)
    assert abs(metrics.frechet_distance(a, a)) < 1e-6
    assert metrics.frechet_distance(a, b) == pytest.approx(metrics.frechet_distance(b, a), rel=1e-6)


def test_frechet_distance_survives_singular_covariances():
    # Fewer samples than dimensions: both covariances are singular.
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=(5, 20)), rng.normal(size=(5, 20)) + 1.0
    value = metrics.frechet_distance(a, b)
    assert np.isfinite(value) and value > 0


@pytest.mark.parametrize(
    "a, b, match",
    [
        (np.zeros((1, 3)), np.zeros((5, 3)), "N >= 2"),
        (np.zeros((5, 3)), np.zeros((5, 4)), "same dimension"),
        (np.full((5, 2), np.nan), np.zeros((5, 2)), "finite"),
    ],
)
def test_frechet_distance_bad_inputs(a, b, match):
    with pytest.raises(ValueError, match=match):
        metrics.frechet_distance(a, b)


def test_conditional_accuracy():
    assert metrics.conditional_accuracy([0, 1, 2, 2], [0, 1, 1, 2]) == 0.75
    with pytest.raises(ValueError, match="same length"):
        metrics.conditional_accuracy([0, 1], [0])


def test_class_histogram_counts_and_range():
    np.testing.assert_array_equal(metrics.class_histogram([0, 2, 2, 9], 10), [1, 0, 2, 0, 0, 0, 0, 0, 0, 1])
    with pytest.raises(ValueError, match="0..9"):
        metrics.class_histogram([10], 10)


def test_modes_covered_uses_a_tenth_of_the_fair_share():
    # 1000 samples over 10 classes: the fair share is 100, the threshold 10.
    hist = np.array([500, 300, 100, 50, 10, 9, 31, 0, 0, 0])
    assert metrics.modes_covered(hist) == 6  # 500, 300, 100, 50, 10, 31
    assert metrics.modes_covered(np.full(10, 100)) == 10
    assert metrics.modes_covered([1000, 0, 0]) == 1
    assert metrics.modes_covered(hist, min_share=1.0) == 3  # >= 100


# -- PSNR and SSIM (lectures/10_super_resolution.md, Eqs. (8)-(9)) ---------------------------------
def test_psnr_hand_worked_and_against_skimage():
    from skimage.metrics import peak_signal_noise_ratio

    a = np.zeros((8, 8), np.uint8)
    b = a.copy()
    b[0, :4] = 16  # MSE = 4 * 256 / 64 = 16 -> PSNR = 10 log10(255^2 / 16)
    assert metrics.psnr(a, b) == pytest.approx(10 * np.log10(255**2 / 16)) == pytest.approx(36.09, abs=0.01)
    assert metrics.psnr(a, a) == float("inf")
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    y = np.clip(x + rng.normal(0, 8, x.shape), 0, 255).astype(np.uint8)
    assert metrics.psnr(x, y) == pytest.approx(peak_signal_noise_ratio(x, y, data_range=255), rel=1e-12)
    ya, yb = metrics.rgb_to_y(x)[4:-4, 4:-4], metrics.rgb_to_y(y)[4:-4, 4:-4]
    assert metrics.psnr(x, y, border=4, y_channel=True) == pytest.approx(
        peak_signal_noise_ratio(ya, yb, data_range=255), rel=1e-12)


def test_ssim_and_luma_against_skimage():
    from skimage.color import rgb2ycbcr
    from skimage.metrics import structural_similarity

    rng = np.random.default_rng(2)
    x = rng.integers(0, 256, (33, 41, 3), dtype=np.uint8)
    y = np.clip(x + rng.normal(0, 12, x.shape), 0, 255).astype(np.uint8)
    np.testing.assert_allclose(metrics.rgb_to_y(x), rgb2ycbcr(x)[..., 0], atol=1e-9)
    assert metrics.rgb_to_y(np.array([[0, 0, 0], [255, 255, 255]])).tolist() == pytest.approx([16.0, 235.0])
    wang = dict(data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    assert metrics.ssim(x, y) == pytest.approx(structural_similarity(x, y, channel_axis=-1, **wang), rel=1e-10)
    ya, yb = metrics.rgb_to_y(x)[3:-3, 3:-3], metrics.rgb_to_y(y)[3:-3, 3:-3]
    assert metrics.ssim(x, y, border=3, y_channel=True) == pytest.approx(structural_similarity(ya, yb, **wang), rel=1e-10)
    assert metrics.ssim(x, x) == pytest.approx(1.0)
    scores = metrics.super_resolution_scores(x, y, 3)
    assert scores == {"psnr": metrics.psnr(x, y, border=3, y_channel=True),
                      "ssim": metrics.ssim(x, y, border=3, y_channel=True)}
    with pytest.raises(ValueError, match="same shape"):
        metrics.psnr(x, y[:-1])
    with pytest.raises(ValueError, match="leaves nothing"):
        metrics.ssim(x, y, border=20)


def test_batched_psnr_by_hand_and_per_image():
    a = np.zeros((2, 2, 2, 1))
    b = a.copy()
    b[0] += 0.2  # error 0.2 everywhere: MSE 0.04, range 2: 10 log10(4 / 0.04) = 20 dB
    values = metrics.psnr(a, b, data_range=2.0, batched=True)
    assert values.shape == (2,) and values[0] == pytest.approx(20.0) and np.isinf(values[1])
    rng = np.random.default_rng(3)
    x = rng.integers(0, 256, (3, 20, 24, 3), dtype=np.uint8)
    y = np.clip(x + rng.normal(0, 8, x.shape), 0, 255).astype(np.uint8)
    batched = metrics.psnr(x, y, border=2, y_channel=True, batched=True)
    np.testing.assert_allclose(batched, [metrics.psnr(a, b, border=2, y_channel=True) for a, b in zip(x, y)],
                               rtol=1e-12)
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        metrics.psnr(x[0, :, :, 0], y[0, :, :, 0], batched=True)


def test_psnr_from_mse_numpy_and_in_a_train_step():
    assert metrics.psnr_from_mse(0.04, data_range=2.0) == pytest.approx(20.0)
    assert np.isinf(metrics.psnr_from_mse(0.0))
    import tensorflow as tf

    traced = tf.function(lambda mse: metrics.psnr_from_mse(mse, data_range=2.0))
    assert float(traced(tf.constant(0.04))) == pytest.approx(20.0, rel=1e-6)
    assert np.isfinite(float(traced(tf.constant(0.0))))  # floored: a training log stays finite
