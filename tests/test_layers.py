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
