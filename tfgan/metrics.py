"""Evaluation metrics for generative models, computed in float64 NumPy.

The metrics take a classifier's outputs (logits or probabilities), not images, so they do not
depend on which network produced them: the Inception network of Salimans et al. 2016, or the small
MNIST digit classifier of :mod:`tfgan.classifier` (a "classifier score", the usual stand-in for
28x28 digits, where Inception-v3's ImageNet classes mean nothing).

The lecture is ``lectures/05_evaluation.md``. The notebook
``notebooks/05_conditional_gan_and_evaluation.ipynb`` recomputes the Inception score and the
Fréchet distance from scratch and compares them with these functions.

Float64 on purpose: the Inception score exponentiates a mean of log-ratios, and float32 rounding
in ``p log p`` over tens of thousands of samples moves the third significant digit.
"""

from __future__ import annotations

import warnings

import numpy as np
import tensorflow as tf


def _log_softmax(logits):
    """Row-wise log softmax in float64, shifted by the row max so ``exp`` cannot overflow."""
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def _check_scores_input(values, splits, from_probs):
    if isinstance(splits, bool) or not isinstance(splits, (int, np.integer)) or splits < 1:
        raise ValueError(f"Expected splits to be an int >= 1. Received: splits={splits!r}.")
    values = np.asarray(values, dtype=np.float64)
    kind = "probs" if from_probs else "logits"
    if values.ndim != 2 or values.shape[1] < 1:
        raise ValueError(
            f"Expected {kind} of shape (num_samples, num_classes). "
            f"Received: shape={values.shape}."
        )
    if values.shape[0] < splits:
        raise ValueError(
            f"Expected at least one sample per split, i.e. num_samples >= splits. Received: "
            f"num_samples={values.shape[0]}, splits={splits}. Pass more samples or fewer splits."
        )
    if not np.all(np.isfinite(values)):
        raise ValueError(f"Expected finite {kind}. Received: an array with NaN or inf entries.")
    if from_probs:
        sums = values.sum(axis=1)
        if np.any(values < 0) or not np.allclose(sums, 1.0, atol=1e-4):
            raise ValueError(
                "Expected probs to be non-negative rows that sum to 1. Received: min entry "
                f"{values.min():.4g}, row sums in [{sums.min():.6g}, {sums.max():.6g}]. "
                "Pass logits with from_probs=False instead."
            )
    return values


def inception_score(logits, splits=10, from_probs=False):
    """Inception score of a set of samples from the class predictions of a classifier.

    Salimans et al. 2016, "Improved Techniques for Training GANs", section 4,
    https://arxiv.org/abs/1606.03498:

        IS = exp( E_x KL( p(y|x) || p(y) ) ),   p(y) = E_x p(y|x)

    (lectures/05_evaluation.md, Eqs. (5)-(6)).

    High when each sample is classified confidently (p(y|x) has low entropy) and the samples
    cover the classes evenly (p(y) has high entropy). It ranges from 1 (every sample gets the same
    prediction) to K, the number of classes (confident one-hot predictions spread evenly);
    lectures/05_evaluation.md, Eqs. (7)-(8).

    As in the paper's reference code (openai/improved-gan, ``inception_score/model.py``), the
    samples are cut into ``splits`` consecutive chunks of (nearly) equal size; p(y) is estimated per
    chunk and the score is the mean and standard deviation over chunks (lectures/05_evaluation.md,
    Eq. (9)). Smaller chunks estimate p(y) less well and bias the score down, so compare scores only
    at equal chunk sizes.

    Args:
        logits: (N, K) classifier logits (or probabilities, with ``from_probs=True``).
        splits: number of chunks; N must be >= splits.
        from_probs: ``logits`` already holds probabilities p(y|x) (rows summing to 1).

    Returns:
        ``(mean, std)`` of the score over the chunks, as Python floats.
    """
    values = _check_scores_input(logits, splits, from_probs)
    if from_probs:
        with np.errstate(divide="ignore"):
            log_p = np.log(values)  # -inf where p = 0; those terms are dropped below
    else:
        log_p = _log_softmax(values)
    p = np.exp(log_p)
    n = len(values)
    scores = []
    for i in range(splits):
        part_p = p[i * n // splits : (i + 1) * n // splits]
        part_log_p = log_p[i * n // splits : (i + 1) * n // splits]
        # KL(p(y|x) || p(y)) = sum_y p(y|x) (log p(y|x) - log p(y)), with 0 log 0 = 0: a class
        # with p(y|x) = 0 contributes nothing, even where p(y) = 0 too (log -> -inf, dropped).
        with np.errstate(divide="ignore", invalid="ignore"):
            log_py = np.log(np.mean(part_p, axis=0, keepdims=True))  # log p(y) of this chunk
            terms = np.where(part_p > 0, part_p * (part_log_p - log_py), 0.0)
        scores.append(np.exp(np.mean(np.sum(terms, axis=1))))
    return float(np.mean(scores)), float(np.std(scores))


def _check_features(name, features):
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(
            f"Expected {name} as a 2-D (N, D) array with N >= 2 to estimate a covariance. "
            f"Received: shape={features.shape}."
        )
    if not np.all(np.isfinite(features)):
        raise ValueError(f"Expected finite {name}. Received: an array with NaN or inf values.")
    return features


def frechet_distance(features_a, features_b, eps=1e-6):
    """Fréchet distance between Gaussians fitted to two sets of features (the "FID" formula).

    Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
    Equilibrium", section 3 (https://arxiv.org/abs/1706.08500); the distance is Dowson and
    Landau's 1982 closed form for two Gaussians N(mu_a, S_a), N(mu_b, S_b):

        d^2 = ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))

    (lectures/05_evaluation.md, Eq. (11)) with the features' means and (N - 1)-normalized
    covariances (lectures/05_evaluation.md, Eq. (10)).

    With Inception-v3 pool features this is the FID; with a digit classifier's penultimate
    features (:mod:`tfgan.classifier`) it is the classifier analogue used on MNIST.

    The matrix square root uses ``scipy.linalg.sqrtm``. Covariances estimated from fewer samples
    than dimensions are singular and ``sqrtm`` can then fail or return large imaginary parts; as
    in the reference implementation (bioinf-jku/TTUR), ``eps`` is added to both diagonals when
    the product's square root is not finite, and a negligible imaginary part is dropped.

    Returns:
        d^2 as a Python float (>= 0 up to rounding).
    """
    from scipy import linalg

    a = _check_features("features_a", features_a)
    b = _check_features("features_b", features_b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            "Expected features of the same dimension. "
            f"Received: features_a with {a.shape[1]}, features_b with {b.shape[1]} columns."
        )
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    with warnings.catch_warnings():  # singular products are expected (dead ReLU features)
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(cov_a @ cov_b)
    if not np.all(np.isfinite(covmean)):
        offset = np.eye(len(cov_a)) * eps
        covmean = linalg.sqrtm((cov_a + offset) @ (cov_b + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(
                "The covariance product's square root has a large imaginary part "
                f"({np.max(np.abs(covmean.imag)):.3g}); use more samples than feature dimensions."
            )
        covmean = covmean.real
    diff = mu_a - mu_b
    return float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(covmean))


def conditional_accuracy(predicted_labels, requested_labels):
    """Fraction of conditional samples that a classifier assigns to the class they were asked for.

    For a class-conditional generator G(z, y): accuracy = mean[ classifier(G(z, y)) == y ]
    (lectures/05_evaluation.md, Eq. (13)). Compare it with the classifier's own accuracy on real
    held-out images.
    """
    predicted = np.asarray(predicted_labels).reshape(-1)
    requested = np.asarray(requested_labels).reshape(-1)
    if predicted.shape != requested.shape or predicted.size == 0:
        raise ValueError(
            "Expected two non-empty label arrays of the same length. "
            f"Received: {predicted.size} predicted and {requested.size} requested labels."
        )
    return float(np.mean(predicted == requested))


def class_histogram(labels, num_classes):
    """Counts of each class among ``labels`` (int64, length ``num_classes``).

    lectures/05_evaluation.md, Eq. (14). Over a generator's samples labelled by a classifier, it
    shows mode coverage: a healthy MNIST generator gives ten bars of about N/10, a collapsed one a
    few tall bars.
    """
    labels = np.asarray(labels).reshape(-1).astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"Expected labels in 0..{num_classes - 1}. Received values in [{labels.min()}, {labels.max()}]."
        )
    return np.bincount(labels, minlength=num_classes).astype(np.int64)


def modes_covered(histogram, min_share=0.1):
    """Number of classes holding at least ``min_share`` of a uniform share N/K of the samples.

    With K classes and N samples, class k counts as covered when count_k >= min_share * N / K
    (default: a tenth of its fair share, so stray misclassifications do not count as a mode);
    lectures/05_evaluation.md, Eq. (15).
    """
    histogram = np.asarray(histogram, dtype=np.float64).reshape(-1)
    if histogram.size == 0 or histogram.sum() <= 0:
        raise ValueError("Expected a non-empty histogram with at least one sample.")
    if not 0 < min_share <= 1:
        raise ValueError(f"Expected min_share in (0, 1]. Received: {min_share}")
    return int(np.sum(histogram >= min_share * histogram.sum() / histogram.size))
# -- image fidelity: PSNR and SSIM (super-resolution) ---------------------------------------------
# The super-resolution convention (Ledig et al. 2017, section 3.1; Set5/Set14/BSD100 tables):
# compare on the luma channel Y of ITU-R BT.601 YCbCr (what MATLAB's rgb2ycbcr returns, in
# [16, 235] for RGB in [0, 255]), after removing a ``border`` of ``scale`` pixels on every side
# (those pixels are extrapolated, not interpolated, by any upscaler). Y is kept in float, not
# rounded to integers (as BasicSR does; MATLAB's uint8 output would round it).
#: BT.601 luma weights for RGB in [0, 255] (MATLAB rgb2ycbcr, "studio swing").
_Y_WEIGHTS = np.array([65.481, 128.553, 24.966]) / 255.0


def rgb_to_y(images):
    """ITU-R BT.601 luma ``Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255`` of RGB in [0, 255].

    ``images`` is (..., 3), any numeric dtype; returns float64 (...) in [16, 235].
    """
    images = np.asarray(images, dtype=np.float64)
    if images.shape[-1] != 3:
        raise ValueError(f"Expected RGB images with 3 channels last. Received: shape={images.shape}.")
    return 16.0 + images @ _Y_WEIGHTS


def _fidelity_inputs(reference, test, border, y_channel, batched=False):
    """float64 (H, W) or (H, W, C) arrays (a leading batch axis when ``batched``), checked,
    optionally converted to Y, border removed."""
    a, b = np.asarray(reference, dtype=np.float64), np.asarray(test, dtype=np.float64)
    lead = 1 if batched else 0
    if a.shape != b.shape or a.ndim - lead not in (2, 3):
        expected = "(N, H, W) or (N, H, W, C)" if batched else "(H, W) or (H, W, C)"
        raise ValueError(
            f"Expected two images of the same shape, {expected}. "
            f"Received: reference {a.shape}, test {b.shape}."
        )
    if isinstance(border, bool) or not isinstance(border, (int, np.integer)) or border < 0:
        raise ValueError(f"Expected border to be an int >= 0. Received: border={border!r}.")
    if y_channel:
        a, b = rgb_to_y(a), rgb_to_y(b)
    if border:
        height, width = a.shape[lead : lead + 2]
        if min(height, width) <= 2 * border:
            raise ValueError(
                f"A border of {border} pixels leaves nothing of a {height}x{width} image."
            )
        inside = (slice(None),) * lead + (slice(border, -border), slice(border, -border))
        a, b = a[inside], b[inside]
    return a, b


def psnr_from_mse(mse, data_range=255.0):
    """Peak signal-to-noise ratio in dB, ``PSNR = 10 log10(R^2 / MSE)``, element-wise
    (lectures/10_super_resolution.md, Eq. (8)): the one place tfgan writes this formula.

    On NumPy values it is float64 and an MSE of 0 gives ``inf``; on a TensorFlow tensor (a
    training-time indicator inside a compiled ``train_step``) it keeps the tensor's dtype and
    floors the MSE at 1e-12, so a logged value stays finite.
    """
    if tf.is_tensor(mse):
        return 10.0 * tf.math.log(float(data_range) ** 2 / tf.maximum(mse, 1e-12)) / tf.math.log(10.0)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(float(data_range) ** 2 / np.asarray(mse, np.float64))


def psnr(reference, test, data_range=255.0, border=0, y_channel=False, batched=False):
    """Peak signal-to-noise ratio in dB: ``PSNR = 10 log10(R^2 / MSE)`` (:func:`psnr_from_mse`).

    ``MSE`` is the mean squared difference over all pixels (and channels) and ``R`` the
    ``data_range`` (255 for 8-bit images, 2 for tfgan's [-1, 1] images). For the
    super-resolution convention pass ``y_channel=True, border=scale`` (see above). Identical
    images give ``inf``. With ``batched=True`` the first axis indexes images and the result is a
    float64 array of one PSNR per image; otherwise one image gives a float.
    """
    a, b = _fidelity_inputs(reference, test, border, y_channel, batched)
    if batched:
        return psnr_from_mse(np.mean((a - b) ** 2, axis=tuple(range(1, a.ndim))), data_range)
    return float(psnr_from_mse(np.mean((a - b) ** 2), data_range))


def ssim(reference, test, data_range=255.0, border=0, y_channel=False):
    """Mean structural similarity (SSIM) of Wang et al. 2004, eq. 13.

    lectures/10_super_resolution.md, Eq. (9).

    "Image Quality Assessment: From Error Visibility to Structural Similarity", IEEE TIP 13(4):

        SSIM(x, y) = (2 mu_x mu_y + C1)(2 s_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(s_x^2 + s_y^2 + C2))

    with local statistics from an 11x11 Gaussian window (sigma 1.5, weights normalized),
    ``C1 = (0.01 R)^2``, ``C2 = (0.03 R)^2``, averaged over the positions where the window fits
    inside the image (the paper's MATLAB code, ``filter2(..., 'valid')``). Multi-channel images
    average the per-channel values. This equals ``skimage.metrics.structural_similarity(...,
    gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=R)``.
    """
    from scipy import ndimage

    a, b = _fidelity_inputs(reference, test, border, y_channel)
    if a.ndim == 3:
        return float(np.mean([ssim(a[..., c], b[..., c], data_range) for c in range(a.shape[-1])]))
    radius = 5  # int(3.5 * 1.5 + 0.5): an 11x11 window
    if min(a.shape) < 2 * radius + 1:
        raise ValueError(f"SSIM needs images of at least 11x11 pixels. Received: {a.shape}.")

    def blur(x):
        return ndimage.gaussian_filter(x, sigma=1.5, truncate=3.5)

    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    )
    return float(ssim_map[radius:-radius, radius:-radius].mean())


def super_resolution_scores(reference, test, scale):
    """``{"psnr", "ssim"}`` on Y with a ``scale``-pixel border removed (the SR convention)."""
    return {
        "psnr": psnr(reference, test, border=scale, y_channel=True),
        "ssim": ssim(reference, test, border=scale, y_channel=True),
    }
