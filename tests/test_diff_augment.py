"""DiffAugment (tfgan.layers.diff_augment; lectures/11_gan_objectives.md, Eq. (17)) and ``--augment``."""

import numpy as np
import pytest
import tensorflow as tf

from tfgan import models, train
from tfgan.errors import ConfigError
from tfgan.layers import cutout_images, diff_augment, translate_images


def np_translate(image, dy, dx, fill=0.0):
    """NumPy reference: out[i, j] = image[i - dy, j - dx] where it exists, else fill."""
    h, w = image.shape[:2]
    out = np.full_like(image, fill)
    for i in range(h):
        for j in range(w):
            if 0 <= i - dy < h and 0 <= j - dx < w:
                out[i, j] = image[i - dy, j - dx]
    return out


def images(n=6, size=12, seed=0):
    """Random images with no pixel equal to 0 (the fill), so filled pixels are recognisable."""
    return np.random.default_rng(seed).uniform(0.1, 1.0, (n, size, size, 1)).astype(np.float32)


def test_translate_and_cutout_against_numpy():
    x = images(4)
    shifts = np.array([[0, 0], [2, -1], [-3, 3], [12, 0]])  # the last moves the image out entirely
    got = translate_images(x, shifts, fill=-1.0).numpy()
    for b, (dy, dx) in enumerate(shifts):
        np.testing.assert_array_equal(got[b], np_translate(x[b], dy, dx, fill=-1.0))
    corners = np.array([[0, 0], [-2, 5], [9, 9], [3, 4]])
    got = cutout_images(x, corners, (6, 6)).numpy()
    for b, (top, left) in enumerate(corners):
        want = x[b].copy()
        want[max(top, 0):top + 6, max(left, 0):left + 6] = 0.0  # clipped at the border
        np.testing.assert_array_equal(got[b], want)


def test_translation_moves_each_image_by_an_offset_within_an_eighth_of_its_size():
    x = images(16, size=28)
    got = diff_augment(x, "translation", seed=1).numpy()
    assert got.shape == x.shape
    offsets = []
    for b in range(len(x)):  # exactly one offset in [-4, 4]^2 (round(28 / 8)) explains each image
        found = [(dy, dx) for dy in range(-4, 5) for dx in range(-4, 5)
                 if np.array_equal(got[b], np_translate(x[b], dy, dx))]
        assert len(found) == 1, b
        offsets.append(found[0])
    assert len(set(offsets)) > 4  # drawn per image
    np.testing.assert_array_equal(diff_augment(x, "none"), x)


def test_cutout_zeroes_exactly_one_square_of_half_the_size():
    x = images(16, size=28)
    got = diff_augment(x, "cutout", seed=2).numpy()
    corners = []
    for b in range(len(x)):
        zero = got[b, ..., 0] == 0.0
        rows, cols = np.nonzero(zero.any(1))[0], np.nonzero(zero.any(0))[0]
        # a 14 x 14 square (round(28 / 2)), clipped where it reaches past the border
        top, left = rows[0] if rows[0] > 0 else rows[-1] - 13, cols[0] if cols[0] > 0 else cols[-1] - 13
        want = x[b].copy()
        want[max(top, 0):top + 14, max(left, 0):left + 14] = 0.0
        np.testing.assert_array_equal(got[b], want)
        corners.append((top, left))
        assert -7 <= top <= 21 and -7 <= left <= 21  # the centre is in the image
    assert len(set(corners)) > 4


def test_gradients_flow_to_every_pixel_that_survives():
    x = tf.constant(images(4, size=16))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = diff_augment(x, "translation,cutout", seed=3)
        loss = tf.reduce_sum(y * y)
    grad = tape.gradient(loss, x).numpy()
    y = y.numpy()
    # d sum(y^2) / dx = 2 x at each input pixel that lands in the output (each lands at most once)
    kept = grad != 0
    np.testing.assert_allclose(grad[kept], 2 * x.numpy()[kept], rtol=1e-6)
    assert kept.sum() == (y != 0).sum() > 0


def test_augment_flag_reaches_d_and_trains_a_step():
    name, config, _ = train.parse_args(["dcgan", "--augment", "translation,cutout"])
    assert config.augment == "translation,cutout"
    with pytest.raises(ConfigError, match="--augment must be one of .* Received: 'flip'"):
        models.build("dcgan", augment="flip")
    with pytest.raises(ConfigError, match="bigan does not take --augment"):
        models.build("bigan", augment="translation")
    real = tf.random.stateless_uniform((4, 28, 28, 1), [1, 2], -1, 1)
    for name, options in [("dcgan", {}), ("cgan", {"update": "simultaneous"})]:
        model = models.build(name, batch_size=4, g_filters=4, d_filters=4, d_norm="none",
                             augment="translation,cutout", **options)
        y = model.one_hot(tf.range(4)) if name == "cgan" else None
        # D's logits in a training step are those of augmented images, not of the images
        assert not np.allclose(model.discriminate_pair(real, real, y)[0], model.discriminate(real, y))
        model.compile()
        out = model.train_step((real, tf.range(4)) if name == "cgan" else real)
        assert all(np.isfinite(float(v)) for v in out.values())
