"""A small digit classifier: the "Inception network" of a classifier score on MNIST-like data.

Salimans et al.'s Inception score (:func:`tfgan.metrics.inception_score`) needs a classifier of
the data's own classes. For 28x28 digits, ImageNet's Inception-v3 is the wrong judge (its 1,000
classes are not digits), so GAN papers on MNIST score samples with a small CNN trained on MNIST
instead; a "classifier score" of 9+ out of 10 then means confident, evenly spread digits. The same
classifier's :func:`predict_labels` counts which digits a generator produces (mode coverage).

Typical use::

    images, labels = tfgan.data.load_arrays("mnist", "test")
    clf, accuracy = train_classifier(images[:5000], labels[:5000], validation=0.2)
    mean, std = classifier_score(gan.sample, clf, num_samples=10_000)

Images are uint8 in [0, 255] or floats already in [-1, 1] (what tfgan generators output), NHWC.
Trained weights can be cached (``cache_dir=True``) under ``$TFGAN_CACHE_DIR`` or
``~/.cache/tfgan/classifiers``, keyed by a hash of the training data and settings, so repeated
benchmark runs do not retrain.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfgan import metrics

#: Bumped when ``build_classifier`` or the training recipe changes, so caches are not reused.
RECIPE_VERSION = 1


def build_classifier(input_shape=(28, 28, 1), num_classes=10, seed=0):
    """A small CNN from images in [-1, 1] to class logits (about 0.4M weights, fast on a CPU).

    conv3x3(32) ReLU maxpool -> conv3x3(64) ReLU maxpool -> dropout -> dense(128) ReLU ->
    dropout -> dense(num_classes). About 97-98.5% on MNIST digits when trained on 3,000-4,000.
    """
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or min(input_shape) < 1 or min(input_shape[:2]) < 4:
        raise ValueError(
            "Expected input_shape (H, W, C) with H, W >= 4. "
            f"Received: input_shape={input_shape}."
        )
    is_int = isinstance(num_classes, (int, np.integer)) and not isinstance(num_classes, bool)
    if not is_int or num_classes < 2:
        raise ValueError(
            f"Expected num_classes to be an int >= 2. Received: num_classes={num_classes!r}."
        )

    def init(i):  # a distinct fixed seed per layer: same seed, same weights
        return keras.initializers.GlorotUniform(seed=seed * 100 + i)

    def conv(filters, i):
        return keras.layers.Conv2D(
            filters, 3, padding="same", activation="relu", kernel_initializer=init(i)
        )

    return keras.Sequential(
        [
            keras.Input(input_shape),
            conv(32, 0),
            keras.layers.MaxPooling2D(),
            conv(64, 1),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.25, seed=seed * 100 + 2),
            keras.layers.Dense(128, activation="relu", kernel_initializer=init(3)),
            keras.layers.Dropout(0.5, seed=seed * 100 + 4),
            keras.layers.Dense(int(num_classes), kernel_initializer=init(5)),  # logits
        ],
        name="digit_classifier",
    )


def to_classifier_input(images):
    """NHWC uint8 [0, 255] or float [-1, 1] images -> float32 NumPy in [-1, 1]."""
    images = images.numpy() if isinstance(images, tf.Tensor) else np.asarray(images)
    if images.ndim != 4:
        raise ValueError(
            f"Expected NHWC images (4-D). Received: shape={images.shape}. "
            "Add a channel axis to grayscale (N, H, W) arrays: images[..., None]."
        )
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 127.5 - 1.0
    if not np.issubdtype(images.dtype, np.floating):
        raise ValueError(f"Expected uint8 or float images. Received: dtype={images.dtype}.")
    images = images.astype(np.float32)
    if images.size and (images.min() < -1.001 or images.max() > 1.001):
        raise ValueError(
            "Expected float images in [-1, 1] (tfgan's convention; uint8 images are scaled "
            f"automatically). Received: values in [{images.min():.4g}, {images.max():.4g}]."
        )
    return images


def predict_logits(classifier, images, batch_size=500):
    """Class logits (N, K) as a float32 NumPy array."""
    x = to_classifier_input(images)
    return np.asarray(classifier.predict(x, batch_size=batch_size, verbose=0))


def predict_labels(classifier, images, batch_size=500):
    """Predicted classes (N,) as int64, e.g. to count the digits a generator produces."""
    return np.argmax(predict_logits(classifier, images, batch_size), axis=1).astype(np.int64)


def accuracy(classifier, images, labels, batch_size=500):
    """Fraction of ``images`` whose predicted class equals ``labels``."""
    return float(np.mean(predict_labels(classifier, images, batch_size) == np.asarray(labels)))


def _split_validation(images, labels, validation, seed):
    if validation is None:
        return images, labels, None, None
    if isinstance(validation, (tuple, list)):
        if len(validation) != 2 or len(validation[0]) != len(validation[1]):
            raise ValueError(
                "Expected validation=(images, labels) of equal length, a fraction in [0, 1), "
                f"or None. Received: a {type(validation).__name__} of {len(validation)} items."
            )
        return images, labels, validation[0], np.asarray(validation[1])
    if not isinstance(validation, float) or not 0 < validation < 1:
        raise ValueError(
            "Expected validation to be a fraction in (0, 1), (images, labels) or None. "
            f"Received: validation={validation!r}."
        )
    order = np.random.default_rng(seed).permutation(len(images))
    n_val = max(1, int(round(validation * len(images))))
    val, train = order[:n_val], order[n_val:]
    return images[train], labels[train], images[val], labels[val]


def default_cache_dir() -> Path:
    """``$TFGAN_CACHE_DIR/classifiers``, else ``$XDG_CACHE_HOME/tfgan/classifiers`` or ~/.cache."""
    root = os.environ.get("TFGAN_CACHE_DIR")
    if root:
        return Path(root).expanduser() / "classifiers"
    xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(xdg).expanduser() / "tfgan" / "classifiers"


def _cache_key(arrays, settings):
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()[:24]


def train_classifier(
    images,
    labels,
    epochs=5,
    seed=0,
    validation=0.1,
    batch_size=64,
    learning_rate=3e-3,
    num_classes=None,
    cache_dir=None,
    verbose=0,
):
    """Train :func:`build_classifier` on labelled images; returns ``(model, accuracy)``.

    Args:
        images: (N, H, W, C) uint8 in [0, 255] or floats in [-1, 1].
        labels: (N,) integer classes.
        epochs: passes over the training images (Adam, cross-entropy on logits).
        seed: weights, dropout and data order; the same seed and data give the same model
            (up to floating-point summation order in multi-threaded kernels).
        validation: a fraction in (0, 1) of ``images`` held out (seeded), an
            ``(images, labels)`` pair, or None.
        batch_size, learning_rate: training settings.
        num_classes: default ``max(labels) + 1``.
        cache_dir: None (no cache), True (:func:`default_cache_dir`) or a folder. Weights are
            stored under a hash of the data and every setting, and loaded instead of retraining.
        verbose: passed to ``model.fit``.

    Returns:
        The trained model and its accuracy on the validation images (on the training images,
        an optimistic figure, when ``validation`` is None).
    """
    labels = np.asarray(labels).astype(np.int64)
    images = np.asarray(images)
    if len(images) != len(labels) or labels.ndim != 1:
        raise ValueError(
            "Expected as many labels as images, labels of shape (N,). "
            f"Received: {len(images)} images, labels of shape {labels.shape}."
        )
    if epochs < 1:
        raise ValueError(f"Expected epochs >= 1. Received: epochs={epochs}.")
    x_train, y_train, x_val, y_val = _split_validation(images, labels, validation, seed)
    x_train = to_classifier_input(x_train)
    num_classes = int(labels.max()) + 1 if num_classes is None else num_classes
    model = build_classifier(x_train.shape[1:], num_classes, seed=seed)

    cache_paths = None
    if cache_dir is not None and cache_dir is not False:
        folder = default_cache_dir() if cache_dir is True else Path(cache_dir).expanduser()
        settings = dict(recipe=RECIPE_VERSION, epochs=epochs, seed=seed, batch_size=batch_size,
                        learning_rate=learning_rate, num_classes=num_classes,
                        keras=keras.__version__)
        arrays = [images, labels] + ([np.asarray(x_val), y_val] if x_val is not None else [])
        key = _cache_key(arrays, settings)
        cache_paths = folder / f"{key}.weights.h5", folder / f"{key}.json"
        if cache_paths[0].exists() and cache_paths[1].exists():
            model.load_weights(cache_paths[0])
            return model, json.loads(cache_paths[1].read_text())["accuracy"]

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=False,
    )
    train_ds = (
        tf.data.Dataset.from_tensor_slices((x_train, y_train))
        .shuffle(len(x_train), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    model.fit(train_ds, epochs=epochs, verbose=verbose, shuffle=False)  # shuffled above
    if x_val is None:
        acc = accuracy(model, x_train, y_train)
    else:
        acc = accuracy(model, x_val, y_val)

    if cache_paths is not None:
        cache_paths[0].parent.mkdir(parents=True, exist_ok=True)
        model.save_weights(cache_paths[0])
        cache_paths[1].write_text(json.dumps({"accuracy": acc, **settings}, indent=2))
    return model, acc


def classifier_score(images, classifier, splits=10, num_samples=None, batch_size=500):
    """Inception score of ``images`` judged by ``classifier`` (Salimans et al. 2016, section 4).

    Args:
        images: (N, H, W, C) images (float in [-1, 1] or uint8), or a function ``n -> images``
            such as a tfgan GAN's ``model.sample``, called in batches of ``batch_size``.
        classifier: a model from :func:`train_classifier` (any Keras model outputting logits).
        splits: chunks of the samples (see :func:`tfgan.metrics.inception_score`).
        num_samples: how many images to draw from a function (default 10,000), or to take from
            the front of an array (default all).
        batch_size: images per generator call and per classifier batch.

    Returns:
        ``(mean, std)`` over the chunks; 1 is the floor, the number of classes the ceiling.
    """
    if callable(images):
        sample = images
        total = 10_000 if num_samples is None else int(num_samples)
        if total < 1:
            raise ValueError(f"Expected num_samples >= 1. Received: num_samples={num_samples}.")
        logits = []
        for start in range(0, total, batch_size):
            batch = sample(min(batch_size, total - start))
            logits.append(predict_logits(classifier, batch, batch_size))
        logits = np.concatenate(logits)
    else:
        if num_samples is not None:
            images = images[: int(num_samples)]
        logits = predict_logits(classifier, images, batch_size)
    return metrics.inception_score(logits, splits=splits)
