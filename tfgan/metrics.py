"""Evaluation metrics for generative models, computed in float64 NumPy.

The metrics take a classifier's outputs (logits or probabilities), not images, so they do not
depend on which network produced them: the Inception network of Salimans et al. 2016, or the small
MNIST digit classifier of :mod:`tfgan.classifier` (a "classifier score", the usual stand-in for
28x28 digits, where Inception-v3's ImageNet classes mean nothing).

Float64 on purpose: the Inception score exponentiates a mean of log-ratios, and float32 rounding
in ``p log p`` over tens of thousands of samples moves the third significant digit.
"""

from __future__ import annotations

import numpy as np


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

    High when each sample is classified confidently (p(y|x) has low entropy) and the samples
    cover the classes evenly (p(y) has high entropy). It ranges from 1 (every sample gets the same
    prediction) to K, the number of classes (confident one-hot predictions spread evenly).

    As in the paper's reference code (openai/improved-gan, ``inception_score/model.py``), the
    samples are cut into ``splits`` consecutive chunks of (nearly) equal size; p(y) is estimated per
    chunk and the score is the mean and standard deviation over chunks. Smaller chunks estimate
    p(y) less well and bias the score down, so compare scores only at equal chunk sizes.

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
