"""Checks for the labs' test cells (``labs/``): a wrong answer says what was expected and received.

A lab's visible checks call these so that a student working alone gets a useful message instead
of a bare ``AssertionError``; nbgrader counts a test cell as failed when it raises, so the same
calls grade. :func:`grading` tells a lab it runs under the autograder, so long training cells can
skip themselves (nbgrader sets ``NBGRADER_EXECUTION`` while it executes a submission).
"""

from __future__ import annotations

import os

import numpy as np


def grading() -> bool:
    """True while nbgrader executes the notebook (``nbgrader autograde`` or ``validate``)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def _as_array(name, value):
    if value is None:
        raise AssertionError(f"{name}: received None. Did the function forget to `return` its result?")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise AssertionError(
            f"{name}: expected numbers (an array, tensor or float), received {type(value).__name__}: {e}"
        ) from None


def _show(a, limit=12):
    if a.size <= limit:
        return np.array2string(a, precision=6, separator=", ")
    return f"array of shape {a.shape} (first values {np.array2string(a.ravel()[:4], precision=6, separator=', ')} ...)"


def check_close(name, received, expected, rtol=1e-5, atol=1e-6):
    """Raise ``AssertionError`` unless ``received`` matches ``expected`` (same shape, allclose).

    The message names the quantity, both shapes or values, and the worst entry, e.g.
    ``discriminator_loss: expected 1.386294, received -1.386294 (max abs error 2.77)``.
    """
    got = _as_array(name, received)
    want = np.asarray(expected, dtype=np.float64)
    if got.shape != want.shape:
        raise AssertionError(f"{name}: expected shape {want.shape}, received shape {got.shape}.")
    if not np.all(np.isfinite(got) | ~np.isfinite(want)):
        raise AssertionError(f"{name}: received NaN or inf: {_show(got)}; expected {_show(want)}.")
    if np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
        return
    err = np.abs(got - want)
    err = np.where(np.isnan(err), np.inf, err)
    worst = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
    where = f" at index {tuple(int(i) for i in worst)}: expected {want[worst]:.6g}, received {got[worst]:.6g}" if err.ndim else ""
    raise AssertionError(
        f"{name}: expected {_show(want)}, received {_show(got)} "
        f"(max abs error {err.max():.3g}{where}; tolerance rtol={rtol:g}, atol={atol:g})."
    )


def check_true(name, condition, message):
    """Raise ``AssertionError(f"{name}: {message}")`` unless ``condition`` holds."""
    if not condition:
        raise AssertionError(f"{name}: {message}")
