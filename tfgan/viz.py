"""Pictures: sample grids for runs and notebooks, and small plotting helpers."""

from __future__ import annotations

import math
import os

import numpy as np


def to_uint8(images):
    """Map images in [-1, 1] (any float array or tensor, NHWC) to uint8 in [0, 255]."""
    images = np.asarray(images, dtype=np.float32)
    return np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def image_grid(images, ncols=None, padding=2, pad_value=255, scale=1):
    """Tile N images (NHWC, uint8 or floats in [-1, 1]) into one (H', W', C) uint8 grid.

    ``ncols`` defaults to ceil(sqrt(N)); empty cells and the ``padding`` border use ``pad_value``;
    ``scale`` enlarges each image by pixel repetition (28x28 digits are easier to see at 2x).
    """
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(f"Expected a non-empty NHWC (or NHW) batch. Received shape: {images.shape}")
    if images.dtype != np.uint8:
        images = to_uint8(images)
    if scale > 1:
        images = images.repeat(scale, axis=1).repeat(scale, axis=2)
    n, h, w, c = images.shape
    ncols = int(ncols or math.ceil(math.sqrt(n)))
    nrows = math.ceil(n / ncols)
    grid = np.full(
        (nrows * (h + padding) + padding, ncols * (w + padding) + padding, c), pad_value, np.uint8
    )
    for i, image in enumerate(images):
        row, col = divmod(i, ncols)
        top, left = padding + row * (h + padding), padding + col * (w + padding)
        grid[top : top + h, left : left + w] = image
    return grid


def save_png(path, image):
    """Write an (H, W, C) or (H, W) uint8 array as PNG, creating the folder; returns the path."""
    import tensorflow as tf

    image = np.asarray(image, np.uint8)
    if image.ndim == 2:
        image = image[..., None]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp"
    tf.io.write_file(tmp, tf.io.encode_png(image))
    os.replace(tmp, path)  # a reader never sees half a PNG
    return path


def show_grid(images, ncols=None, title=None, ax=None, figsize=(5, 5)):
    """Display a sample grid with matplotlib (notebooks); returns the axes."""
    import matplotlib.pyplot as plt

    grid = image_grid(images, ncols)
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    ax.imshow(grid.squeeze(-1) if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=255)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


# -- run directories (notebooks) -------------------------------------------------------------------
def read_metrics(run_dir):
    """``run_dir/metrics.csv`` (written by ``tfgan.train.run``) as a dict: column -> float array."""
    import csv

    path = os.path.join(run_dir, "metrics.csv")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} not found: is {run_dir} a run directory of tfgan.train?")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f"{path} has a header but no rows yet: train for at least --log-every steps")
    return {
        key: np.array([float(row[key]) if row[key] else np.nan for row in rows])
        for key in rows[0]
    }


def plot_metrics(run_dir, axes=None, label=None, figsize=(10, 3)):
    """Plot a run's losses and mean D(x), D(G(z)) against the step; returns the two axes.

    Pass the ``axes`` of an earlier call and a ``label`` to overlay several runs.
    """
    import matplotlib.pyplot as plt

    metrics = read_metrics(run_dir)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=figsize)
    prefix = f"{label}: " if label else ""
    step = metrics["step"]
    for key, name in (("d_loss", "D loss"), ("g_loss", "G loss")):
        axes[0].plot(step, metrics[key], label=prefix + name)
    for key, name in (("d_real", "D(x)"), ("d_fake", "D(G(z))")):
        axes[1].plot(step, metrics[key], label=prefix + name)
    axes[0].set(xlabel="step", title="losses (interval means)")
    axes[1].set(xlabel="step", title="discriminator outputs (interval means)", ylim=(0, 1))
    for ax in axes:
        ax.legend(fontsize="small")
    return axes


def show_images(images, titles=None, scale=1.0, gap=12):
    """Show images side by side at ``scale`` times their pixel size (1.0: no resampling).

    Each item is a PNG path or an (H, W[, C]) array, uint8 or floats in [0, 1]; sample grids from
    :func:`image_grid` (e.g. with ``scale=2``) fit directly. Pixel-exact display keeps small
    digits crisp and the notebooks' stored outputs small. Returns the figure.
    """
    import matplotlib.pyplot as plt

    arrays = []
    for item in images:
        image = plt.imread(item) if isinstance(item, (str, os.PathLike)) else np.asarray(item)
        if image.dtype == np.uint8:
            image = image.astype(np.float32) / 255.0
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        arrays.append(image)
    if not arrays:
        raise ValueError("Expected at least one image or PNG path. Received: an empty list")
    titles = list(titles) if titles is not None else [None] * len(arrays)
    dpi = plt.rcParams["figure.dpi"]
    title_px = 20 if any(titles) else 0
    widths = [image.shape[1] * scale for image in arrays]
    height = max(image.shape[0] for image in arrays) * scale
    fig_w, fig_h = sum(widths) + gap * (len(arrays) - 1), height + title_px
    fig = plt.figure(figsize=(fig_w / dpi, fig_h / dpi))
    left = 0.0
    for image, width, title in zip(arrays, widths, titles):
        h = image.shape[0] * scale
        ax = fig.add_axes([left / fig_w, (height - h) / fig_h, width / fig_w, h / fig_h])
        ax.imshow(image, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_axis_off()
        if title:
            ax.set_title(title, fontsize="small", pad=3)
        left += width + gap
    return fig


def show_sample_history(run_dir, max_grids=5, scale=1.0):
    """Show up to ``max_grids`` of a run's sample grids (``samples/step_*.png``), evenly spaced.

    Every grid of a run comes from the same fixed latent batch, so one cell of the grid follows
    one z through training. Returns the figure.
    """
    import glob

    paths = sorted(glob.glob(os.path.join(run_dir, "samples", "step_*.png")))
    if not paths:
        raise FileNotFoundError(f"No samples/step_*.png in {run_dir}: has it trained yet?")
    if len(paths) > max_grids:
        keep = np.unique(np.round(np.linspace(0, len(paths) - 1, max_grids)).astype(int))
        paths = [paths[i] for i in keep]
    steps = [int(os.path.basename(path)[len("step_"):-len(".png")]) for path in paths]
    return show_images(paths, [f"step {step}" for step in steps], scale=scale)


# -- evaluation (lecture 05) -----------------------------------------------------------------------
def _named_histograms(histograms):
    """One histogram, a list of them or a dict name -> histogram, as a dict."""
    if isinstance(histograms, dict):
        sets = dict(histograms)
    elif isinstance(histograms, (list, tuple)) and histograms and np.ndim(histograms[0]) >= 1:
        sets = {f"set {i}": h for i, h in enumerate(histograms)}
    else:
        sets = {"": histograms}
    if not sets:
        raise ValueError("Expected at least one histogram. Received: an empty dict")
    return sets


def plot_class_histogram(histograms, ax=None, class_names=None, min_share=0.1, figsize=(8, 3)):
    """Grouped bars of class histograms (:func:`tfgan.metrics.class_histogram`), as shares.

    ``histograms`` is one histogram, a list of them, or a dict name -> histogram (e.g. real
    digits, an untrained and a trained generator). Each set is divided by its own total, so sets
    of different sizes compare; a dashed line marks the uniform share 1/K and a dotted one the
    coverage threshold ``min_share / K`` of :func:`tfgan.metrics.modes_covered`
    (lectures/05_evaluation.md, Eqs. (14)-(15)). Returns the axes.
    """
    import matplotlib.pyplot as plt

    sets = _named_histograms(histograms)
    arrays = {}
    for name, hist in sets.items():
        hist = np.asarray(hist, dtype=np.float64)
        if hist.ndim != 1 or hist.size < 1 or np.any(hist < 0) or hist.sum() <= 0:
            raise ValueError(
                f"Expected each histogram to be a 1-D array of non-negative counts with a positive "
                f"total. Received for {name or 'the histogram'!r}: shape {hist.shape}, "
                f"total {hist.sum():g}."
            )
        arrays[name] = hist
    sizes = {len(h) for h in arrays.values()}
    if len(sizes) != 1:
        raise ValueError(
            f"Expected histograms with the same number of classes. Received lengths: {sorted(sizes)}"
        )
    k = sizes.pop()
    names = list(class_names) if class_names is not None else [str(c) for c in range(k)]
    if len(names) != k:
        raise ValueError(f"Expected {k} class names. Received: {len(names)}")
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    width = 0.8 / len(arrays)
    x = np.arange(k)
    for i, (name, hist) in enumerate(arrays.items()):
        ax.bar(x + (i - (len(arrays) - 1) / 2) * width, hist / hist.sum(), width, label=name or None)
    ax.axhline(1.0 / k, color="black", linestyle="--", linewidth=1, label="uniform share 1/K")
    ax.axhline(min_share / k, color="gray", linestyle=":", linewidth=1,
               label=f"covered above {min_share:g}/K")
    ax.set(xticks=x, xlabel="class predicted by the classifier", ylabel="share of the samples")
    ax.set_xticklabels(names)
    ax.legend(fontsize="small")
    return ax


#: Axis titles of :func:`plot_scores` for the keys of :func:`tfgan.evaluate.score_images`.
SCORE_TITLES = {
    "inception_score": "Inception score (higher is better)",
    "frechet_distance": "Fréchet distance (lower is better)",
    "conditional_accuracy": "conditional accuracy",
    "classes_covered": "classes covered",
}


def plot_scores(results, keys=("inception_score", "frechet_distance"), axes=None, figsize=None):
    """Bar charts comparing score dicts (e.g. from :func:`tfgan.evaluate.score_images`).

    ``results`` maps a set's name to its dict of scores; one panel per key, one bar per set, the
    value written on the bar, and ``<key>_std`` (the Inception score's spread over splits) as an
    error bar when present. A set without a key (e.g. no conditional accuracy for real digits)
    gets no bar in that panel. Returns the axes.
    """
    import matplotlib.pyplot as plt

    if not isinstance(results, dict) or not results:
        raise ValueError(
            f"Expected a non-empty dict name -> scores. Received: {type(results).__name__} {results!r:.60}"
        )
    keys = [keys] if isinstance(keys, str) else list(keys)
    missing = [key for key in keys if not any(key in scores for scores in results.values())]
    if missing:
        available = sorted(set().union(*results.values()))
        raise ValueError(f"No set has the scores {missing}. Available: {available}")
    if axes is None:
        _, axes = plt.subplots(1, len(keys), figsize=figsize or (4.5 * len(keys), 3), squeeze=False)
        axes = axes[0]
    names = list(results)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, key in zip(axes, keys):
        for i, name in enumerate(names):
            scores = results[name]
            if key not in scores:
                continue
            value = float(scores[key])
            err = scores.get(f"{key}_std")
            ax.bar(i, value, 0.7, yerr=err, capsize=4 if err is not None else 0,
                   color=colors[i % len(colors)])
            ax.annotate(f"{value:.3g}", (i, value), xytext=(0, 3), textcoords="offset points",
                        ha="center", va="bottom", fontsize="small")
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=20, ha="right", fontsize="small")
        ax.set_title(SCORE_TITLES.get(key, key), fontsize="medium")
        ax.margins(y=0.15)
    return axes
