"""The whitening and coloring transform (WCT) of Li et al. 2017, in float64 NumPy.

Li, Fang, Yang, Wang, Lu and Yang 2017, "Universal Style Transfer via Feature Transforms", NeurIPS
2017, https://arxiv.org/abs/1705.08086, section 3.1. Encoder features f (N positions x C channels)
are whitened, so that their channels are uncorrelated with unit variance, then colored with the
style features' covariance and mean:

    whiten:  f_hat = (f - m_c) E_c D_c^(-1/2) E_c^T        (paper eq. 1; covariance I)
    color:   f_cs  = f_hat E_s D_s^(1/2) E_s^T + m_s       (paper eq. 2; the style's covariance)
    blend:   alpha f_cs + (1 - alpha) f_c                  (paper eq. 3, the stylization strength)

where E D E^T is the eigendecomposition of a covariance matrix. The same affine map on RGB pixels
is Gatys et al.'s color histogram matching (:func:`tfgan.style.gatys.match_color_histogram`), which
uses :func:`psd_power` too. Eigendecompositions are done in float64: in float32 the small
eigenvalues of 512-channel covariances lose their precision and whitening amplifies the error.

Lecture: lectures/12_fast_style_transfer.md, Eqs. (8)-(10). :func:`multi_level` is the paper's
multi-level scheme (its section 3.2, Figure 2(c)): coarse to fine, each level's features are
transformed and decoded by a decoder trained to invert the encoder at that level
(:class:`tfgan.models.wct.WCT`, ``python -m tfgan.train wct``). The paper starts at relu5_1;
here the levels are relu4_1 ... relu1_1 (:data:`tfgan.style.decoder.LEVELS`), as AdaIN's encoder.
"""

from __future__ import annotations

import numpy as np


def psd_power(cov, power, floor=1e-6):
    """``cov ** power`` of a symmetric positive semi-definite matrix via ``E diag(d^power) E^T``.

    Eigenvalues below ``floor`` are raised to it, so that power -1/2 of a rank-deficient covariance
    stays finite. float64.
    """
    values, vectors = np.linalg.eigh(np.asarray(cov, np.float64))
    values = np.maximum(values, floor)
    return (vectors * values**power) @ vectors.T


def _flat(features):
    features = np.asarray(features, np.float64)
    if features.ndim < 2:
        raise ValueError(f"Expected features of shape (..., channels). Received shape {features.shape}.")
    flat = features.reshape(-1, features.shape[-1])
    if len(flat) < 2:
        raise ValueError(f"Expected at least 2 positions to estimate a covariance. Received shape {features.shape}.")
    return flat


def mean_and_covariance(features):
    """Channel mean (C,) and covariance (C, C) of features (..., C) over all positions, float64."""
    flat = _flat(features)
    mean = flat.mean(axis=0)
    centered = flat - mean
    return mean, centered.T @ centered / (len(flat) - 1)


def whiten(features, floor=1e-6):
    """lectures/12_fast_style_transfer.md, Eq. (8) (the paper's eq. 1): centered features times
    cov^(-1/2); their covariance is the identity."""
    flat = _flat(features)
    mean, cov = mean_and_covariance(flat)
    return ((flat - mean) @ psd_power(cov, -0.5, floor)).reshape(np.shape(features))


def color(whitened, style_features, floor=1e-6):
    """lectures/12_fast_style_transfer.md, Eq. (9) (the paper's eq. 2): whitened features times the
    style's cov^(1/2), plus the style's mean."""
    mean, cov = mean_and_covariance(style_features)
    flat = _flat(whitened)
    return (flat @ psd_power(cov, 0.5, floor) + mean).reshape(np.shape(whitened))


def wct(content_features, style_features, alpha=1.0, floor=1e-6):
    """lectures/12_fast_style_transfer.md, Eqs. (8)-(10) (the paper's eqs. 1-3): the content
    features with the style's mean and covariance, blended with the content features by ``alpha``
    in [0, 1]. Features (..., C) of one image each; the two may
    have different numbers of positions. Returns float64 of the content's shape."""
    if not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"Expected alpha in [0, 1]. Received: alpha={alpha!r}.")
    content = np.asarray(content_features, np.float64)
    if np.shape(style_features)[-1] != content.shape[-1]:
        raise ValueError(
            f"Expected content and style features with the same channels. Received shapes "
            f"{content.shape} and {np.shape(style_features)}."
        )
    colored = color(whiten(content, floor), style_features, floor)
    return alpha * colored + (1.0 - alpha) * content


def multi_level(image, styles, encoders, decoders, alpha=1.0, weights=None, floor=1e-6):
    """Li et al.'s multi-level stylization: for each level, deepest first, encode the current image,
    apply :func:`wct` (lectures/12_fast_style_transfer.md, Eqs. (8)-(10)) and decode.

    ``image`` (1, H, W, 3) and ``styles`` (a list of (1, h, w, 3)) are what the encoders take;
    ``encoders`` and ``decoders`` map each level's name (deepest first, in the same order) to a
    callable: image -> features (1, h, w, C) and features -> image. Several styles are mixed in
    feature space, ``sum_k w_k WCT(f_c, f_s_k)`` (``weights``: one per style, normalized; default
    equal; the paper's section 4.2). ``alpha`` blends with the content features at every level
    (lectures/12_fast_style_transfer.md, Eq. (10)); alpha 0 gives each level's reconstruction of
    its input. Returns float32 (1, H, W, 3).
    """
    from tfgan.style.adain import normalized_weights

    if not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"Expected alpha in [0, 1]. Received: alpha={alpha!r}.")
    weights = normalized_weights(weights, len(styles))
    x = np.asarray(image, np.float32)
    for level in encoders:
        content = np.asarray(encoders[level](x), np.float64)[0]
        colored = sum(w * wct(content, np.asarray(encoders[level](s))[0], 1.0, floor)
                      for w, s in zip(weights, styles))
        blended = alpha * colored + (1.0 - alpha) * content  # lectures/12_fast_style_transfer.md, Eq. (10)
        x = np.asarray(decoders[level](blended[None].astype(np.float32)), np.float32)
    return x
