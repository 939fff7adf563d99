"""VirtualBatchNormalization (Salimans et al. 2016, section 3.5) against NumPy and Keras BN."""

import keras
import numpy as np
import pytest

from tfgan.layers import VirtualBatchNormalization

EPS = 1e-3
SHAPES = [(5, 4, 3, 3), (5, 3)]  # (B, H, W, C) and (B, C)


def make_vbn(shape, seed=0, **kwargs):
    """A built VBN layer with non-trivial gamma and beta."""
    rng = np.random.default_rng(seed)
    layer = VirtualBatchNormalization(epsilon=EPS, **kwargs)
    layer.build(shape, shape)
    c = shape[-1]
    layer.set_weights([rng.uniform(0.5, 2.0, c).astype(np.float32),
                       rng.normal(size=c).astype(np.float32)])
    return layer


def np_vbn(x, ref, gamma, beta, eps):
    """NumPy reference: each x_i normalized with the statistics of {ref..., x_i}."""
    x, ref = x.astype(np.float64), ref.astype(np.float64)
    n = ref.shape[0]
    axes = tuple(range(ref.ndim - 1))
    spatial = tuple(range(1, x.ndim - 1))
    mu_ref, sq_ref = ref.mean(axis=axes), (ref ** 2).mean(axis=axes)
    m_i = x.mean(axis=spatial, keepdims=True) if spatial else x
    q_i = (x ** 2).mean(axis=spatial, keepdims=True) if spatial else x ** 2
    mu = n / (n + 1) * mu_ref + 1 / (n + 1) * m_i
    var = n / (n + 1) * sq_ref + 1 / (n + 1) * q_i - mu ** 2
    out = gamma * (x - mu) / np.sqrt(var + eps) + beta
    ref_out = gamma * (ref - mu_ref) / np.sqrt(ref.var(axis=axes) + eps) + beta
    return out, ref_out


def data(shape, seed=1, n_ref=7):
    rng = np.random.default_rng(seed)
    x = rng.normal(1.0, 2.0, shape).astype(np.float32)
    ref = rng.normal(-0.5, 1.5, (n_ref,) + shape[1:]).astype(np.float32)
    return x, ref


def keras_bn(batch, gamma, beta):
    """keras BatchNormalization in training mode on `batch` with the given gamma/beta."""
    bn = keras.layers.BatchNormalization(epsilon=EPS)
    bn.build(batch.shape)
    bn.set_weights([gamma, beta, np.zeros_like(gamma), np.ones_like(gamma)])
    return np.asarray(bn(batch, training=True))


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_numpy_reference(shape):
    layer = make_vbn(shape)
    x, ref = data(shape)
    out, ref_out = layer(x, ref)
    gamma, beta = layer.get_weights()
    want, want_ref = np_vbn(x, ref, gamma, beta, EPS)
    np.testing.assert_allclose(np.asarray(out), want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.asarray(ref_out), want_ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", SHAPES)
def test_example_output_independent_of_minibatch(shape):
    layer = make_vbn(shape)
    x, ref = data(shape)
    other = np.random.default_rng(9).normal(size=x.shape).astype(np.float32) * 5.0
    other[0] = x[0]  # keep example 0, change every other example in its minibatch
    out_a, _ = layer(x, ref)
    out_b, _ = layer(other, ref)
    np.testing.assert_allclose(np.asarray(out_a)[0], np.asarray(out_b)[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(layer(x[:1], ref)[0])[0], np.asarray(out_a)[0],
                               rtol=1e-5, atol=1e-5)  # and of the minibatch size
    assert not np.allclose(np.asarray(out_a)[1:], np.asarray(out_b)[1:])


@pytest.mark.parametrize("shape", SHAPES)
def test_reference_output_is_batch_norm_of_reference(shape):
    layer = make_vbn(shape)
    x, ref = data(shape)
    _, ref_out = layer(x, ref)
    gamma, beta = layer.get_weights()
    np.testing.assert_allclose(np.asarray(ref_out), keras_bn(ref, gamma, beta),
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", SHAPES)
def test_example_output_is_batch_norm_of_reference_plus_example(shape):
    # The virtual batch {ref..., x_i}: batch norm over it, read off at x_i, is VBN's output for x_i.
    layer = make_vbn(shape)
    x, ref = data(shape)
    out, _ = layer(x, ref)
    gamma, beta = layer.get_weights()
    for i in range(x.shape[0]):
        virtual = np.concatenate([ref, x[i:i + 1]], axis=0)
        np.testing.assert_allclose(np.asarray(out)[i], keras_bn(virtual, gamma, beta)[-1],
                                   rtol=1e-4, atol=1e-4)


def test_weights_shapes_and_flags():
    layer = VirtualBatchNormalization(center=False)
    layer.build((2, 4, 4, 6), (3, 4, 4, 6))
    assert [tuple(w.shape) for w in layer.trainable_weights] == [(6,)]
    x, ref = data((2, 3), n_ref=4)
    out, ref_out = VirtualBatchNormalization(center=False, scale=False)(x, ref)
    assert out.shape == x.shape and ref_out.shape == ref.shape


def test_works_inside_functional_model():
    z = keras.Input((4,))
    z_ref = keras.Input((4,))
    dense = keras.layers.Dense(3)
    h, h_ref = VirtualBatchNormalization()(dense(z), dense(z_ref))
    model = keras.Model([z, z_ref], [h, h_ref])
    x, ref = data((2, 4), n_ref=5)
    out, ref_out = model([x, ref])
    assert out.shape == (2, 3) and ref_out.shape == (5, 3)


def test_get_config_round_trip():
    layer = VirtualBatchNormalization(epsilon=0.01, center=False, gamma_initializer="he_normal",
                                      gamma_regularizer="l2", name="vbn")
    config = layer.get_config()
    clone = VirtualBatchNormalization.from_config(config)
    assert clone.get_config() == config
    assert clone.epsilon == 0.01 and clone.center is False and clone.scale is True
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(restored, VirtualBatchNormalization)
    assert restored.get_config() == config


@pytest.mark.parametrize("kwargs", [
    {"axis": 1}, {"axis": 3}, {"axis": True}, {"epsilon": 0.0}, {"epsilon": -1e-3},
    {"epsilon": "small"}, {"center": 1}, {"scale": None},
])
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError, match="Received:"):
        VirtualBatchNormalization(**kwargs)


def test_mismatched_reference_shape_raises():
    x, _ = data((2, 4, 4, 3))
    with pytest.raises(ValueError, match="Received:"):
        VirtualBatchNormalization()(x, np.zeros((3, 4, 4, 2), np.float32))


# ---------------------------------------------------------------------------------------------
# Image-to-image blocks: reflection padding, instance norm, residual and U-Net blocks, the
# history pool, receptive fields (lecture 08)

import tensorflow as tf  # noqa: E402

from tfgan.layers import (  # noqa: E402
    HistoryPool, ReflectionPadding2D, ResidualBlock, UNetDown, UNetUp, instance_norm, normalization,
    receptive_field,
)


@pytest.mark.parametrize("padding, np_pad", [
    (2, ((2, 2), (2, 2))), ((1, 3), ((1, 1), (3, 3))), (((0, 2), (1, 0)), ((0, 2), (1, 0))),
])
def test_reflection_padding_matches_numpy(padding, np_pad):
    x = np.random.default_rng(0).normal(size=(2, 5, 6, 3)).astype(np.float32)
    layer = ReflectionPadding2D(padding)
    want = np.pad(x, ((0, 0), *np_pad, (0, 0)), mode="reflect")
    np.testing.assert_array_equal(np.asarray(layer(x)), want)
    assert layer.compute_output_shape((None, 5, 6, 3)) == (None,) + want.shape[1:]
    row = np.arange(4, dtype=np.float32).reshape(1, 1, 4, 1)  # [a b c d] -> [c b a b c d c b]
    assert np.asarray(ReflectionPadding2D((0, 2))(row)).ravel().tolist() == [2, 1, 0, 1, 2, 3, 2, 1]
    clone = ReflectionPadding2D.from_config(layer.get_config())
    assert clone.padding == layer.padding


@pytest.mark.parametrize("padding", [-1, True, (1,), (1, 2, 3), ((1, 2), 3), "same", 1.5])
def test_reflection_padding_rejects_bad_arguments(padding):
    with pytest.raises(ValueError, match="Received: padding="):
        ReflectionPadding2D(padding)


def test_reflection_padding_must_be_smaller_than_the_axis():
    with pytest.raises(ValueError, match="smaller than the padded axis"):
        ReflectionPadding2D(3)(np.zeros((1, 3, 8, 1), np.float32))


def np_instance_norm(x, eps=1e-5):
    x = x.astype(np.float64)
    mean, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def test_instance_norm_matches_numpy_and_ignores_the_rest_of_the_batch():
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(4, 5, 6, 3)) * [1.0, 3.0, 0.1] + [2.0, -1.0, 0.5]).astype(np.float32)
    layer = instance_norm()
    assert isinstance(layer, keras.layers.GroupNormalization) and layer.groups == -1
    assert layer.epsilon == 1e-5
    out = np.asarray(layer(x))
    np.testing.assert_allclose(out, np_instance_norm(x), rtol=1e-4, atol=1e-4)
    assert layer.count_params() == 0  # affine=False, as the authors' InstanceNorm2d
    other = x.copy()
    other[1:] = rng.normal(size=other[1:].shape) * 9  # change every other example
    np.testing.assert_allclose(np.asarray(layer(other))[0], out[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(layer(x, training=True)), out, rtol=1e-6, atol=1e-6)


def test_instance_norm_affine_and_batch_norm_settings():
    affine = instance_norm(affine=True)
    affine.build((None, 4, 4, 64))
    gamma, beta = affine.gamma.numpy(), affine.beta.numpy()
    assert affine.count_params() == 128 and np.all(beta == 0)
    assert abs(gamma.mean() - 1.0) < 0.02 and 0.005 < gamma.std() < 0.04  # N(1, 0.02)
    bn = normalization("batch")
    assert (bn.epsilon, bn.momentum) == (1e-5, 0.9)
    assert normalization("none") is None
    with pytest.raises(ValueError, match="Received: norm='layer'"):
        normalization("layer")
    with pytest.raises(ValueError, match="affine"):
        instance_norm(affine=1)


def _conv_valid(x, kernel, bias):
    return tf.nn.conv2d(x, kernel, 1, "VALID").numpy() + bias


def test_residual_block_matches_a_numpy_composition():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 6, 6, 4)).astype(np.float32)
    block = ResidualBlock()
    out = np.asarray(block(x))
    k1, b1, k2, b2 = [w.numpy() for w in (block.conv1.kernel, block.conv1.bias,
                                          block.conv2.kernel, block.conv2.bias)]
    pad = lambda v: np.pad(v, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    h = np.maximum(np_instance_norm(_conv_valid(pad(x), k1, b1)), 0).astype(np.float32)
    want = x + np_instance_norm(_conv_valid(pad(h), k2, b2))
    np.testing.assert_allclose(out, want, rtol=1e-3, atol=1e-3)
    assert block.count_params() == 2 * (4 * 4 * 9 + 4)  # biases kept: no affine norm after them
    block.conv2.kernel.assign(np.zeros_like(k2))
    block.conv2.bias.assign(np.zeros_like(b2))
    np.testing.assert_allclose(np.asarray(block(x)), x, atol=1e-6)  # a zero branch is the identity


def test_residual_block_variants_and_config():
    x = np.ones((1, 5, 5, 3), np.float32)
    batch = ResidualBlock(norm="batch", padding="zero", dropout=0.5, name="r")
    assert batch(x).shape == x.shape
    assert batch.count_params() == 2 * (3 * 3 * 9) + 2 * 4 * 3  # no bias; BN gamma, beta, mean, var
    clone = ResidualBlock.from_config(batch.get_config())
    assert (clone.norm, clone.padding, clone.dropout) == ("batch", "zero", 0.5)
    for kwargs in ({"norm": "group"}, {"padding": "same"}, {"dropout": 1.0}):
        with pytest.raises(ValueError, match="Received:"):
            ResidualBlock(**kwargs)


def test_unet_blocks_shapes_formula_and_dropout():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 8, 8, 3)).astype(np.float32)
    down = UNetDown(5, norm="none", use_bias=False)
    y = np.asarray(down(x))
    conv = tf.nn.conv2d(x, down.conv.kernel, 2, "SAME").numpy()
    np.testing.assert_allclose(y, np.where(conv > 0, conv, 0.2 * conv), rtol=1e-5, atol=1e-5)
    assert y.shape == (2, 4, 4, 5) and down.count_params() == 3 * 5 * 16
    with_bn = UNetDown(5)
    with_bn.build((None, 8, 8, 3))
    assert with_bn.count_params() == 3 * 5 * 16 + 4 * 5  # batch norm: no bias

    up = UNetUp(6, norm="instance", dropout=0.5)
    skip = rng.normal(size=(2, 8, 8, 3)).astype(np.float32)
    out = np.asarray(up(y, skip))
    assert out.shape == (2, 8, 8, 9)
    np.testing.assert_array_equal(out[..., 6:], skip)  # the skip is concatenated unchanged
    assert np.all(out[..., :6] >= 0)  # ReLU
    assert up(y).shape == (2, 8, 8, 6)  # without a skip: the plain encoder-decoder
    np.testing.assert_array_equal(np.asarray(up(y)), np.asarray(up(y)))  # no dropout at inference
    assert not np.allclose(np.asarray(up(y, training=True)), np.asarray(up(y, training=True)))
    for layer in (down, up):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    with pytest.raises(ValueError, match="Received: filters=0"):
        UNetDown(0)


def _constant(value, n=1, shape=(2, 2, 1)):
    return np.full((n, *shape), value, np.float32)


@pytest.mark.slow
def test_history_pool_fills_then_swaps_with_probability_one_half():
    pool = HistoryPool(pool_size=4, seed=3)
    for i in range(4):  # filling: every image is returned and stored
        assert float(pool(_constant(i), training=True)[0, 0, 0, 0]) == i
    assert int(pool.count.numpy()) == 4
    assert sorted(pool.images.numpy()[:, 0, 0, 0].tolist()) == [0, 1, 2, 3]

    returned_old = 0
    for i in range(4, 404):
        before = set(pool.images.numpy()[:, 0, 0, 0].tolist())
        out = float(pool(_constant(i), training=True)[0, 0, 0, 0])
        after = pool.images.numpy()[:, 0, 0, 0].tolist()
        if out != i:  # an old image came back, and the new one took its place
            returned_old += 1
            assert out in before and out not in after and i in after
        else:
            assert set(after) == before  # the pool is left as it was
    assert int(pool.count.numpy()) == 4
    assert 160 <= returned_old <= 240  # Binomial(400, 1/2): mean 200, sd 10


def test_history_pool_batches_inference_and_zero_size():
    pool = HistoryPool(pool_size=3, seed=0)
    batch = np.concatenate([_constant(v) for v in (1, 2, 3, 4, 5)])
    out = np.asarray(pool(batch, training=True))[:, 0, 0, 0]
    assert out[:3].tolist() == [1, 2, 3]  # the pool fills inside the batch, in order
    assert set(out[3:]) <= {1, 2, 3, 4, 5}
    kept = pool.images.numpy().copy()
    np.testing.assert_array_equal(np.asarray(pool(batch)), batch)  # training false: unchanged
    np.testing.assert_array_equal(pool.images.numpy(), kept)
    empty = HistoryPool(pool_size=0)
    np.testing.assert_array_equal(np.asarray(empty(batch, training=True)), batch)
    for kwargs in ({"pool_size": -1}, {"probability": 1.5}):
        with pytest.raises(ValueError, match="Received:"):
            HistoryPool(**kwargs)
    assert HistoryPool.from_config(pool.get_config()).pool_size == 3


def test_history_pool_checkpoint_restores_images_count_and_random_stream(tmp_path):
    pool = HistoryPool(pool_size=3, seed=5)
    pool.build((None, 2, 2, 1))
    for i in range(5):
        pool(_constant(i), training=True)
    path = tf.train.Checkpoint(pool=pool).save(str(tmp_path / "ckpt"))
    restored, fresh = HistoryPool(pool_size=3, seed=5), HistoryPool(pool_size=3, seed=5)
    for layer in (restored, fresh):
        layer.build((None, 2, 2, 1))
    tf.train.Checkpoint(pool=restored).restore(path).assert_existing_objects_matched()
    np.testing.assert_array_equal(restored.images.numpy(), pool.images.numpy())
    assert int(restored.count.numpy()) == 3 and int(restored.draws.numpy()) == 5
    fresh.images.assign(pool.images.numpy())
    fresh.count.assign(3)

    def stream(layer):
        return [float(layer(_constant(10 + i), training=True)[0, 0, 0, 0]) for i in range(20)]

    following = stream(pool)
    assert stream(restored) == following  # the random stream continues where it was
    assert stream(fresh) != following  # (a pool restarted at draw 0 would differ)


def test_receptive_field_recursion_by_hand():
    stack = [keras.layers.Conv2D(1, 3), keras.layers.MaxPooling2D(2),
             keras.layers.Conv2D(1, 3, dilation_rate=2), keras.layers.ReLU()]
    # r: 1 -> 3 (k3, j1) -> 4 (pool k2, j1 -> 2) -> 4 + 2*2*2 = 12
    assert receptive_field(stack) == 12
    assert receptive_field([]) == 1
    with pytest.raises(ValueError, match="Conv2DTranspose"):
        receptive_field([keras.layers.Conv2DTranspose(1, 3)])


# ---------------------------------------------------------------------------------------------
# Progressive growing / StyleGAN: equalized learning rate
# (lectures/14_progressive_and_stylegan.md, Eq. (2)) and pixel norm
# (lectures/14_progressive_and_stylegan.md, Eq. (3))

from tfgan.layers import EqualizedConv2D, EqualizedDense, PixelNormalization  # noqa: E402


@pytest.mark.parametrize("make, shape, fan_in", [
    (lambda **k: EqualizedDense(5, **k), (3, 12), 12),
    (lambda **k: EqualizedConv2D(4, 3, **k), (2, 6, 6, 7), 3 * 3 * 7),
])
def test_equalized_scale_is_he_constant_and_weights_are_unit_normal(make, shape, fan_in):
    layer = make()
    layer.build(shape)
    # c = sqrt(2 / fan_in), the standard deviation of He et al.'s initialization
    # (lectures/14_progressive_and_stylegan.md, Eq. (2))
    assert layer.scale == pytest.approx(np.sqrt(2.0 / fan_in), rel=1e-7)
    he_std = np.sqrt(keras.initializers.HeNormal().scale / fan_in)  # Keras' own He constant
    assert layer.scale == pytest.approx(he_std, rel=1e-7)
    # toRGB's linear gain 1 and StyleGAN's learning-rate multiplier
    linear = make(gain=1.0)
    linear.build(shape)
    assert linear.scale == pytest.approx(np.sqrt(1.0 / fan_in))
    slow = make(lr_multiplier=0.01)
    slow.build(shape)
    assert slow.scale == pytest.approx(0.01 * np.sqrt(2.0 / fan_in))


def test_equalized_weights_are_drawn_from_the_unit_normal():
    layer = EqualizedConv2D(64, 3)
    layer.build((1, 8, 8, 64))
    w = layer.kernel.numpy()
    assert abs(w.std() - 1.0) < 0.02 and abs(w.mean()) < 0.02  # 36864 draws from N(0, 1)
    eff = np.asarray(layer.effective_kernel)
    assert abs(eff.std() - np.sqrt(2.0 / (9 * 64))) < 0.02 * np.sqrt(2.0 / (9 * 64))


def test_equalized_layers_equal_plain_layers_with_scaled_weights():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 5, 3)).astype("float32")
    conv = EqualizedConv2D(4, 3, strides=2, padding="same", activation="relu")
    conv.build(x.shape)
    conv.bias.assign(rng.normal(size=4))
    plain = keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")
    plain.build(x.shape)
    plain.set_weights([conv.kernel.numpy() * conv.scale, conv.bias.numpy()])
    np.testing.assert_allclose(conv(x), plain(x), rtol=1e-5, atol=1e-6)

    h = rng.normal(size=(3, 6)).astype("float32")
    dense = EqualizedDense(2, lr_multiplier=0.5)
    dense.build(h.shape)
    dense.bias.assign([1.0, -2.0])
    w = dense.kernel.numpy() * np.sqrt(2.0 / 6) * 0.5
    np.testing.assert_allclose(dense(h), h @ w + 0.5 * np.array([1.0, -2.0]), rtol=1e-5, atol=1e-6)


def test_equalized_and_pixel_norm_serialize(tmp_path):
    inputs = keras.Input((4, 4, 3))
    y = EqualizedConv2D(5, (3, 1), gain=1.0, use_bias=False)(inputs)
    y = PixelNormalization(epsilon=1e-6)(y)
    y = EqualizedDense(2, lr_multiplier=0.1, activation="tanh")(keras.layers.Flatten()(y))
    model = keras.Model(inputs, y)
    x = np.random.default_rng(1).normal(size=(2, 4, 4, 3)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-6)
    conv = loaded.layers[1]
    assert (conv.kernel_size, conv.gain, conv.use_bias) == ((3, 1), 1.0, False)
    assert loaded.layers[-1].lr_multiplier == 0.1
    for bad in (dict(filters=0, kernel_size=3), dict(filters=2, kernel_size=3, gain=0),
                dict(filters=2, kernel_size=3, padding="full")):
        with pytest.raises(ValueError, match="Received"):
            EqualizedConv2D(**bad)
    with pytest.raises(ValueError, match="epsilon.*Received"):
        PixelNormalization(epsilon=-1)


def test_pixel_norm_matches_numpy():
    a = np.random.default_rng(2).normal(size=(2, 3, 3, 5)).astype("float32") * 4
    # lectures/14_progressive_and_stylegan.md, Eq. (3)
    b = a / np.sqrt(np.mean(a**2, axis=-1, keepdims=True) + 1e-8)
    out = PixelNormalization()(a).numpy()
    np.testing.assert_allclose(out, b, rtol=1e-5)
    np.testing.assert_allclose(np.mean(out**2, axis=-1), 1.0, rtol=1e-5)  # unit RMS per pixel
    # hand-worked: (3, 4) has mean square 12.5
    np.testing.assert_allclose(PixelNormalization()(np.array([[3.0, 4.0]], "float32")),
                               [[3 / np.sqrt(12.5), 4 / np.sqrt(12.5)]], rtol=1e-6)
