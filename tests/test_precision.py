"""``--precision`` for every model: one real train step under each policy, float32 where it must
be (D's logits, losses, samples), loss scaling only for float16, and ``auto`` on this machine."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import models, precision
from tfgan.models import CycleGAN, CycleGANConfig, Pix2Pix, Pix2PixConfig, SRResNet, SRResNetConfig

POLICIES = ["float32", "mixed_bfloat16", "mixed_float16", "auto"]


@pytest.mark.parametrize("policy", POLICIES)
def test_dcgan_trains_a_step_under_each_precision(policy):
    keras.utils.set_random_seed(0)
    model = models.build("dcgan", batch_size=4, g_filters=4, d_filters=4, precision=policy)
    model.compile()
    resolved = precision.resolve(policy)
    compute = {"float32": "float32", "mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}[resolved]
    assert any(layer.compute_dtype == compute for layer in model.generator.layers)
    assert all(w.dtype == "float32" for w in model.generator.trainable_weights)  # weights stay float32
    x = tf.random.stateless_uniform((4, 28, 28, 1), [0, 1], -1, 1)
    before = [w.numpy().copy() for w in model.discriminator.trainable_weights]
    logs = model.train_step(x)
    assert all(np.isfinite(float(v)) for v in logs.values())
    # float16's dynamic loss scale starts at 2^15 and skips the steps whose scaled gradients
    # overflow, halving the scale each time: a few steps until one applies
    for _ in range(20 if resolved == "mixed_float16" else 0):
        if any(not np.allclose(b, w.numpy()) for b, w in zip(before, model.discriminator.trainable_weights)):
            break
        model.train_step(x)
    assert any(not np.allclose(b, w.numpy()) for b, w in zip(before, model.discriminator.trainable_weights))
    assert model.discriminate(x).dtype == tf.float32  # D's logit layer computes in float32
    assert model.sample(2).dtype == tf.float32
    scaled = isinstance(model.g_optimizer, keras.optimizers.LossScaleOptimizer)
    assert scaled == (resolved == "mixed_float16")
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored


@pytest.mark.parametrize("name", ["gan", "cgan"])
def test_noise_gans_train_under_bfloat16(name):
    extra = dict(hidden_units=8) if name == "gan" else dict(g_filters=4, d_filters=4)
    model = models.build(name, batch_size=4, precision="mixed_bfloat16", spectral_norm=True, **extra)
    model.compile()
    x = tf.random.stateless_uniform((4, 28, 28, 1), [0, 1], -1, 1)
    logs = model.train_step((x, tf.range(4)) if name == "cgan" else x)
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert model.sample(4).dtype == tf.float32


@pytest.mark.parametrize("build", [
    lambda p: Pix2Pix(Pix2PixConfig(dataset="folder:/nonexistent", image_size=16, channels=3, ngf=2, ndf=2,
                                    patch_size=16, precision=p)),
    lambda p: CycleGAN(CycleGANConfig(dataset="folder:/nonexistent", image_size=16, channels=3, ngf=2, ndf=2,
                                      patch_size=16, n_blocks=0, precision=p)),
], ids=["pix2pix", "cyclegan"])
@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_translation_models_train_a_step_under_mixed_precision(build, policy):
    keras.utils.set_random_seed(0)
    model = build(policy)
    model.compile(jit_compile=False)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    logs = model.train_step((x, -x))
    assert all(np.isfinite(float(v)) for v in logs.values())


def test_srresnet_trains_a_step_under_bfloat16():
    from tfgan.models import srgan

    cfg = SRResNetConfig(residual_blocks=1, filters=8, hr_size=32, batch_size=2, crops_per_image=2,
                         precision="mixed_bfloat16")
    model = SRResNet(cfg)
    model.compile(jit_compile=False)
    hr = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3)).astype(np.uint8)
    logs = model.train_step(srgan.to_pair(hr, cfg.scale))
    assert np.isfinite(float(logs["mse"]))


def test_auto_follows_the_cpu_and_the_onednn_cap(monkeypatch):
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    native = precision.bfloat16_is_fast()
    with open("/proc/cpuinfo") as f:
        flags = next(line for line in f if line.startswith("flags")).split()
    assert native == ("avx512_bf16" in flags or "amx_bf16" in flags)  # no GPU on the test machine
    assert precision.resolve("auto") == ("mixed_bfloat16" if native else "float32")
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")  # a laptop-sized oneDNN: no native bfloat16
    assert precision.bfloat16_is_fast() is False and precision.resolve("auto") == "float32"
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "avx512_core_bf16")
    assert precision.bfloat16_is_fast() == native
    with pytest.raises(ValueError, match="precision must be one of"):
        precision.resolve("half")
