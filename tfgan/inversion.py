"""Going back from an image to its z: by optimization, and by an encoder trained on G's samples.

Lecture: ``lectures/13_representation_learning.md``, section 2; notebook:
``notebooks/13_representation_learning.ipynb``. The third way, BiGAN's encoder learned inside the
game (lectures/13_representation_learning.md, Eq. (7)), is :class:`tfgan.models.bigan.BiGAN`;
:func:`compare` scores the three.

Typical use, for a trained DCGAN ``model`` and held-out digits ``x`` in [-1, 1]::

    clf, _ = tfgan.classifier.train_classifier(train_images, train_labels, cache_dir=True)
    found = invert(model.generator, x, steps=300, restarts=4,
                   features=classifier_features(clf), feature_weight=0.1)
    encoder, history = train_encoder(model.generator, steps=2000)
    z_enc = encode(encoder, x)
    print(compare(model.generator, {"optimization": found.z, "encoder": z_enc}, x, clf))

Every function takes a generator as a Keras model ``z -> image`` (called with ``training=False``,
so batch norm uses its moving statistics and each image depends on its own z only).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from tfgan import backbones
from tfgan.models.bigan import BiGANConfig, build_encoder
from tfgan.ops import lbfgs

METHODS = ("adam", "lbfgs")


@dataclass
class Inversion:
    """What :func:`invert` found, per image (the best of its restarts).

    ``objective`` is the minimized objective (lectures/13_representation_learning.md, Eq. (5)) at
    ``z``, ``pixel_error`` its first term, the mean squared pixel difference, ``feature_error`` the
    mean squared feature difference (None without ``features``); ``restart_objectives`` is that
    objective for every restart (R, N), ``history`` the mean objective over all restarts and images
    after each step; times in seconds (CPU: user + system, all threads).
    """

    z: np.ndarray
    reconstructions: np.ndarray
    objective: np.ndarray
    pixel_error: np.ndarray
    feature_error: np.ndarray | None
    restart_objectives: np.ndarray
    history: np.ndarray = field(repr=False)
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0


def latent_dim_of(generator):
    return int(generator.input_shape[-1])


def classifier_features(classifier_model):
    """psi of lectures/13_representation_learning.md, Eq. (5): images in [-1, 1] -> the
    penultimate features (128 ReLU units) of a classifier from
    :func:`tfgan.classifier.train_classifier`, differentiable."""
    both = backbones.feature_model(classifier_model)
    return lambda images: tf.cast(both(images, training=False)[1], tf.float32)


def _generate(generator, z):
    return tf.cast(generator(z, training=False), tf.float32)


def reconstruction_terms(generator, z, images, features=None, image_features=None):
    """Per image: (mean squared pixel error of G(z) against ``images``, mean squared error of their
    features or None), the two terms of lectures/13_representation_learning.md, Eq. (5).
    ``image_features``: ``features(images)`` if already computed."""
    x = _generate(generator, z)
    target = tf.cast(images, tf.float32)
    pixel = tf.reduce_mean(tf.square(x - target), axis=[1, 2, 3])
    if features is None:
        return pixel, None
    image_features = features(target) if image_features is None else image_features
    feature = tf.reduce_mean(tf.square(features(x) - image_features), axis=-1)
    return pixel, feature


def _as_images(images):
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"Expected NHWC images in [-1, 1]. Received: shape={images.shape}")
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 127.5 - 1.0
    return images.astype(np.float32)


def _clock():
    return time.perf_counter(), time.process_time()


def invert(generator, images, steps=300, method="adam", learning_rate=0.05, restarts=1,
           features=None, feature_weight=0.0, seed=0, init=None):
    """z* = argmin_z ||G(z) - x||^2 + lambda_f ||psi(G(z)) - psi(x)||^2 for each image
    (lectures/13_representation_learning.md, Eq. (5)), from ``restarts`` starts z ~ N(0, I), keeping
    the best start of each image.

    Args:
        generator: a Keras model z -> image in [-1, 1] (e.g. a trained DCGAN's ``generator``).
        images: (N, H, W, C) in [-1, 1], or uint8.
        steps: Adam steps, or L-BFGS iterations.
        method: ``"adam"`` (``learning_rate`` in units of z) or ``"lbfgs"`` (SciPy's L-BFGS-B).
        restarts: starts per image; all of them are optimized together as one batch.
        features: psi, images -> (N, F) features, e.g. :func:`classifier_features`; None for pixels only.
        feature_weight: lambda_f.
        seed: the starts: restart r of image i is ``stateless_normal(seed=[seed, r])[i]``, so a run
            with more restarts begins with the same first start.
        init: (N, d) codes to start the first restart from instead, e.g. an encoder's E(x) (the
            "hybrid" inversion: the encoder's guess refined by the optimization).

    The squared norms of the lecture's objective are averaged over pixels (and features) instead of summed, which
    rescales lambda_f and the learning rate but not z*. Each image's term depends on its own z only,
    so optimizing the sum over the batch optimizes every image at once.
    """
    if method not in METHODS:
        raise ValueError(f"Expected method in {METHODS}. Received: method={method!r}")
    if int(restarts) < 1 or int(steps) < 1:
        raise ValueError(f"Expected restarts >= 1 and steps >= 1. Received: restarts={restarts}, steps={steps}")
    if features is None and feature_weight:
        raise ValueError("feature_weight > 0 needs features=, e.g. classifier_features(classifier)")
    images = _as_images(images)
    n, d, r = len(images), latent_dim_of(generator), int(restarts)
    target = tf.constant(np.tile(images, (r, 1, 1, 1)))  # restart-major: row k * n + i
    starts = [tf.random.stateless_normal((n, d), seed=[int(seed), k]) for k in range(r)]
    if init is not None:
        init = np.asarray(init, np.float32)
        if init.shape != (n, d):
            raise ValueError(f"Expected init of shape {(n, d)} (images, latent size). Received: {init.shape}")
        starts[0] = tf.constant(init)
    z0 = tf.concat(starts, 0)
    weight = float(feature_weight)
    target_features = features(target) if weight else None

    def per_image(z):
        pixel, feature = reconstruction_terms(generator, z, target, features if weight else None,
                                              target_features)
        return pixel if feature is None else pixel + weight * feature

    @tf.function(reduce_retracing=True)
    def value_and_grad(z):
        with tf.GradientTape() as tape:
            tape.watch(z)
            total = tf.reduce_sum(per_image(z))
        return total, tape.gradient(total, z)

    history = []
    wall0, cpu0 = _clock()
    if method == "adam":
        z = tf.Variable(z0)
        optimizer = keras.optimizers.Adam(learning_rate)
        optimizer.build([z])

        @tf.function
        def step():
            total, grad = value_and_grad(tf.convert_to_tensor(z))
            optimizer.apply([grad], [z])
            return total

        for _ in range(int(steps)):
            history.append(float(step()) / (n * r))
        z_found = z.numpy()
    else:
        def fun(z):
            total, grad = value_and_grad(tf.constant(z))
            return float(total), grad

        def on_iteration(z):
            history.append(float(value_and_grad(tf.constant(z))[0]) / (n * r))

        z_found = lbfgs(fun, z0.numpy(), steps, on_iteration=on_iteration)
    wall1, cpu1 = _clock()

    objectives = per_image(tf.constant(z_found)).numpy().reshape(r, n)
    best = np.argmin(objectives, axis=0)
    z_best = z_found.reshape(r, n, d)[best, np.arange(n)]
    pixel, feature = reconstruction_terms(generator, z_best, images, features)
    return Inversion(
        z=z_best,
        reconstructions=_generate(generator, z_best).numpy(),
        objective=objectives[best, np.arange(n)],
        pixel_error=pixel.numpy(),
        feature_error=None if feature is None else feature.numpy(),
        restart_objectives=objectives,
        history=np.asarray(history),
        wall_seconds=wall1 - wall0,
        cpu_seconds=cpu1 - cpu0,
    )


def train_encoder(generator, encoder=None, steps=1000, batch_size=64, learning_rate=1e-3, seed=0,
                  filters=32):
    """An encoder E trained after the fact on G's own samples: min_E E_z ||E(G(z)) - z||^2
    (lectures/13_representation_learning.md, Eq. (6)); G stays fixed.

    Args:
        generator: a trained generator z -> image.
        encoder: a Keras model image -> z; default :func:`tfgan.models.bigan.build_encoder` (BiGAN's
            encoder, DCGAN's discriminator stages with ``filters`` filters in the first).
        steps, batch_size, learning_rate: Adam on fresh z ~ N(0, I) every step.
        seed: the encoder's starting weights are Keras' defaults; ``seed`` fixes the z's drawn.

    Returns:
        ``(encoder, history)``: the loss (mean over z's coordinates) of every step.
    """
    d = latent_dim_of(generator)
    if encoder is None:
        shape = tuple(int(s) for s in generator.output_shape[1:])
        encoder = build_encoder(BiGANConfig(image_shape=shape, latent_dim=d, d_filters=filters,
                                            e_norm="batch", seed=seed))
    optimizer = keras.optimizers.Adam(learning_rate)
    optimizer.build(encoder.trainable_variables)

    @tf.function
    def step(k):
        z = tf.random.stateless_normal((batch_size, d), seed=tf.stack([tf.cast(seed, tf.int64), k]))
        x = _generate(generator, z)  # G(z), G fixed
        with tf.GradientTape() as tape:
            # ||E(G(z)) - z||^2, lectures/13_representation_learning.md, Eq. (6)
            loss = tf.reduce_mean(tf.square(tf.cast(encoder(x, training=True), tf.float32) - z))
        optimizer.apply(tape.gradient(loss, encoder.trainable_variables), encoder.trainable_variables)
        return loss

    history = np.array([float(step(tf.constant(k, tf.int64))) for k in range(int(steps))])
    return encoder, history


def encode(encoder, images, batch_size=500):
    """E(x) for images in [-1, 1] (or uint8), as a float32 NumPy array."""
    images = _as_images(images)
    parts = [encoder(images[i:i + batch_size], training=False) for i in range(0, len(images), batch_size)]
    return np.concatenate([np.asarray(tf.cast(p, tf.float32)) for p in parts])


def code_correlation(encoder, generator, n=500, seed=7):
    """Correlation of E(G(z)) with z over ``n`` fresh z ~ N(0, I), all coordinates pooled: near 1
    when E inverts G on G's own samples (the optimum of lectures/13_representation_learning.md,
    Eqs. (6) and (7)), near 0 for an encoder that ignores its image."""
    z = tf.random.stateless_normal((int(n), latent_dim_of(generator)), seed=[int(seed), 0])
    found = encode(encoder, _generate(generator, z).numpy())
    return float(np.corrcoef(found.ravel(), z.numpy().ravel())[0, 1])


def compare(generator, latents, images, classifier_model, times=None):
    """Score codes of the same ``images``: for each method name -> z (N, d), decoded by
    ``generator`` (or by ``generator[name]`` when it is a dict, e.g. BiGAN's own G), a row of
    ``pixel_mse`` (mean squared error of G(z) against x, pixels in [-1, 1]), ``feature_mse`` (of
    the classifier's penultimate features), ``agreement`` (fraction of images whose classifier label
    of G(z) equals that of x) and the ``times`` given for it (e.g. ``(wall, cpu)`` seconds)."""
    images = _as_images(images)
    psi = classifier_features(classifier_model)
    both = backbones.feature_model(classifier_model)
    labels = np.argmax(np.asarray(both(images, training=False)[0]), axis=1)
    rows = {}
    for name, z in latents.items():
        g = generator[name] if isinstance(generator, dict) else generator
        x = _generate(g, tf.constant(np.asarray(z, np.float32)))
        pixel, feature = reconstruction_terms(g, z, images, psi)
        agree = np.argmax(np.asarray(both(x, training=False)[0]), axis=1) == labels
        rows[name] = {"pixel_mse": float(np.mean(pixel)), "feature_mse": float(np.mean(feature)),
                      "agreement": float(np.mean(agree))}
        if times and name in times:
            rows[name]["wall_seconds"], rows[name]["cpu_seconds"] = times[name]
    return rows
