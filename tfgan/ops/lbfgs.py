"""L-BFGS-B on an array of any shape: SciPy's optimizer driven by a function's value and gradient.

One driver for every "optimize the input" problem in the course: Gatys et al.'s image
(``tfgan.style.gatys``, lectures/07_gatys_style_transfer.md) and a generator's latent vector
(``tfgan.inversion``, lectures/13_representation_learning.md, Eq. (5)).
"""

from __future__ import annotations

import numpy as np


def lbfgs(fun, x0, steps, bounds=None, on_iteration=None, history=20):
    """Minimize ``fun`` from ``x0`` with ``steps`` L-BFGS-B iterations; returns the last iterate.

    Args:
        fun: ``x -> (value, gradient)``, ``x`` a float32 array of ``x0``'s shape, the gradient of
            the same shape (NumPy or a tensor with ``.numpy()``).
        x0: the starting point (any shape).
        steps: iterations (SciPy's ``maxiter``; at most ``2 * steps + 20`` evaluations of ``fun``).
        bounds: None or a pair ``(low, high)`` applied to every entry (e.g. pixels in [0, 255]).
        on_iteration: called with the float32 iterate after each iteration.
        history: number of correction pairs kept (SciPy's ``maxcor``).

    Runs all ``steps`` iterations unless the line search fails (tolerances are 0): callers ask for
    a step count, as they do of Adam.
    """
    from scipy import optimize

    x0 = np.asarray(x0, dtype=np.float32)
    shape = x0.shape

    def flat_fun(flat):
        value, grad = fun(flat.reshape(shape).astype(np.float32))
        grad = grad.numpy() if hasattr(grad, "numpy") else grad
        return float(value), np.asarray(grad, dtype=np.float64).ravel()

    def callback(intermediate_result):
        on_iteration(intermediate_result.x.reshape(shape).astype(np.float32))

    if bounds is not None:
        bounds = optimize.Bounds(np.full(x0.size, float(bounds[0])), np.full(x0.size, float(bounds[1])))
    result = optimize.minimize(
        flat_fun, x0.astype(np.float64).ravel(), jac=True, method="L-BFGS-B", bounds=bounds,
        callback=callback if on_iteration is not None else None,
        options={"maxiter": int(steps), "maxfun": 2 * int(steps) + 20, "maxcor": int(history),
                 "ftol": 0.0, "gtol": 0.0},
    )
    return result.x.reshape(shape).astype(np.float32)
