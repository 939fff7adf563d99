"""2-D mixtures of Gaussians: the toy problems of GAN objectives (lectures/11_gan_objectives.md).

``ring8``: 8 Gaussians evenly spaced on a circle; ``grid25``: 25 Gaussians on a 5x5 grid (the
benchmarks of Metz et al. 2017, "Unrolled GANs", and Srivastava et al. 2017, "VEEGAN"). Here
scaled into [-1, 1] (G's tanh range): the ring has radius 0.8, the grid spans [-0.8, 0.8], every
component has standard deviation :data:`STD` = 0.02 in each coordinate, all equally likely.
``tfgan.metrics.mixture_scores`` counts the modes a generator covers and its share of
high-quality samples.
"""

from __future__ import annotations

import numpy as np

#: The mixtures and the standard deviation of every component.
MIXTURES = ("ring8", "grid25")
STD = 0.02


def mixture_centers(name):
    """The (K, 2) component means of mixture ``name``."""
    if name == "ring8":
        angles = 2 * np.pi * np.arange(8) / 8
        return 0.8 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    if name == "grid25":
        axis = np.linspace(-0.8, 0.8, 5)
        return np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    raise ValueError(f"Unknown mixture. Expected one of {list(MIXTURES)}. Received: {name!r}")


def sample_mixture(name, n, seed=0):
    """``n`` float32 points (n, 2) of mixture ``name``: a uniform component, plus N(0, STD^2 I)."""
    centers = mixture_centers(name)
    rng = np.random.default_rng(seed)
    picks = rng.integers(len(centers), size=int(n))
    return (centers[picks] + STD * rng.standard_normal((int(n), 2))).astype(np.float32)
