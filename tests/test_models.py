"""Models: registry, shapes, pinned parameter counts, real train steps, Algorithm 1's k."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import models
from tfgan.models import DCGAN, GAN, DCGANConfig, GANConfig


def _weights(network):
    return [w.numpy().copy() for w in network.trainable_weights]


def _changed(before, network):
    return any(not np.allclose(b, a.numpy()) for b, a in zip(before, network.trainable_weights))


def test_registry_lists_models_and_rejects_unknown():
    assert {"gan", "dcgan"} <= set(models.REGISTRY)
    assert models.get("dcgan").config_class is DCGANConfig
    with pytest.raises(ValueError, match="Valid choices: .*dcgan"):
        models.get("stylegan9")


@pytest.mark.parametrize(
    "shape, g_params, d_params",
    [
        ((28, 28, 1), 760_065, 138_945),  # default MNIST config
        ((32, 32, 3), 1_069_827, 664_129),
        ((64, 64, 3), 3_578_627, 2_767_425),
    ],
)
def test_dcgan_shapes_and_pinned_parameter_counts(shape, g_params, d_params):
    model = DCGAN(DCGANConfig(image_shape=shape))
    images = model.sample(3, seed=0)
    assert images.shape == (3, *shape)
    assert np.all(np.abs(images.numpy()) <= 1.0)  # tanh output
    assert model.discriminator(images).shape == (3, 1)  # one logit per image
    assert model.generator.count_params() == g_params
    assert model.discriminator.count_params() == d_params


def test_dcgan_follows_radford_guidelines():
    model = DCGAN(DCGANConfig(image_shape=(32, 32, 3)))
    g_layers = [type(l).__name__ for l in model.generator.layers]
    d_layers = [type(l).__name__ for l in model.discriminator.layers]
    assert "MaxPooling2D" not in g_layers + d_layers and "AveragePooling2D" not in d_layers
    assert d_layers[0] == "Conv2D" and d_layers[1] == "LeakyReLU"  # no BN on D's input layer
    assert g_layers[-1] == "Conv2DTranspose" and model.generator.layers[-1].activation.__name__ == "tanh"
    assert g_layers.count("Dense") == 1 and d_layers.count("Dense") == 1  # no hidden dense layers
    assert all(l.strides == (2, 2) for l in model.discriminator.layers if type(l).__name__ == "Conv2D")


def test_gan_pinned_parameter_count_and_shapes():
    model = GAN(GANConfig())
    assert model.sample(2, seed=1).shape == (2, 28, 28, 1)
    assert model.generator.count_params() == 100 * 256 + 256 + 256 * 512 + 512 + 512 * 784 + 784
    assert model.discriminator.count_params() == 784 * 512 + 512 + 512 * 256 + 256 + 256 + 1


def test_sample_is_reproducible_with_seed():
    model = DCGAN(DCGANConfig())
    np.testing.assert_array_equal(model.sample(4, seed=7).numpy(), model.sample(4, seed=7).numpy())
    assert not np.allclose(model.sample(4, seed=7).numpy(), model.sample(4, seed=8).numpy())


@pytest.mark.parametrize("model_class", [GAN, DCGAN])
@pytest.mark.parametrize("reuse_fake", [True, False])
def test_one_train_step_changes_both_networks(model_class, reuse_fake):
    config = model_class.config_class(batch_size=8, reuse_fake=reuse_fake)
    model = model_class(config)
    model.compile(jit_compile=False)
    g_before, d_before = _weights(model.generator), _weights(model.discriminator)
    real = tf.random.uniform((8, 28, 28, 1), -1, 1, seed=0)
    logs = model.train_step(real)
    assert _changed(g_before, model.generator) and _changed(d_before, model.discriminator)
    assert set(logs) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert 0 < float(logs["d_real"]) < 1 and 0 < float(logs["d_fake"]) < 1


@pytest.mark.slow
@pytest.mark.parametrize("k", [1, 3])
def test_k_discriminator_steps_per_generator_step(k):
    model = DCGAN(DCGANConfig(batch_size=4, d_steps=k, update="alternating"))  # k D steps: Algorithm 1
    model.compile(jit_compile=False)
    data = tf.data.Dataset.from_tensor_slices(tf.random.uniform((4 * k * 2, 28, 28, 1), -1, 1)).batch(4 * k)
    model.fit(data, epochs=1, verbose=0)  # two train_steps
    assert int(model.g_optimizer.iterations.numpy()) == 2
    assert int(model.d_optimizer.iterations.numpy()) == 2 * k
    assert int(model.step_counter.numpy()) == 2


@pytest.mark.slow
def test_train_step_runs_under_xla():
    model = GAN(GANConfig(batch_size=4, hidden_units=16))
    model.compile(jit_compile=True)
    data = tf.data.Dataset.from_tensor_slices(tf.random.uniform((8, 28, 28, 1), -1, 1)).batch(4)
    history = model.fit(data, epochs=1, verbose=0)
    assert np.isfinite(history.history["g_loss"][-1])


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 3])
def test_tiny_gan_overfits_one_image(seed):
    """With one real image, G collapses onto it: its samples approach that image.

    G first sits on a plateau (outputs near 0, |G(z) - x| near 1) for a seed-dependent 100-400
    steps, then converges geometrically; 800 steps ended at 0.116 for seed 0. With 1,500 steps
    seeds 0-9 all end at or below 0.014 (seed 7, the slowest), far inside the 0.1 bound.
    """
    target = np.zeros((28, 28, 1), np.float32) - 1.0
    target[8:20, 12:16] = 1.0  # a bar: a "1"
    real = np.repeat(target[None], 16, axis=0)
    keras.utils.set_random_seed(seed)
    config = GANConfig(batch_size=16, hidden_units=32, latent_dim=8, dropout=0.0, g_lr=1e-3, d_lr=1e-3, seed=seed)
    model = GAN(config)
    model.compile(jit_compile=False)
    before = np.mean(np.abs(model.sample(16, seed=0).numpy() - target))
    model.fit(tf.data.Dataset.from_tensors(real).repeat(1500), epochs=1, verbose=0)
    after = np.mean(np.abs(model.sample(16, seed=0).numpy() - target))
    assert before > 0.5
    assert after < 0.1, f"mean |G(z) - x| went from {before:.3f} to {after:.3f}"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"batch_size": 0}, "--batch-size must be >= 1. Received: 0"),
        ({"d_steps": 0}, "--d-steps"),
        ({"label_smoothing": 1.0}, "--label-smoothing"),
        ({"loss": "hinge_loss"}, "minimax"),
        ({"image_shape": (30, 30, 1)}, "divisible by 4"),
        ({"g_lr": 0.0}, "--g-lr"),
    ],
)
def test_bad_config_values_are_rejected(changes, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")):
        DCGAN(DCGANConfig(**changes))


# -- config validation from field metadata ------------------------------------------------------
def _bad_values(meta):
    """Values just outside a field's metadata: below min, above max, not a choice."""
    if "choices" in meta:
        yield "nope", "must be one of"
    if "min" in meta:
        yield (meta["min"] if meta.get("min_exclusive") else meta["min"] - 1), "must be"
    if "max" in meta:
        yield (meta["max"] if meta.get("max_exclusive") else meta["max"] + 1), "must be"


@pytest.mark.parametrize("name", sorted(models.REGISTRY))
def test_every_field_is_checked_from_its_metadata(name, monkeypatch):
    import dataclasses
    import math

    from tfgan import data
    from tfgan.errors import ConfigError

    config_class = models.get(name).config_class
    # Making a config reads no data registry; validate() resolves the auto fields.
    monkeypatch.setattr(data, "info", lambda *a, **k: pytest.fail("data.info called by the constructor"))
    fields = dataclasses.fields(config_class)
    configs = [config_class(**{f.name: value}) for f in fields for value, _ in _bad_values(f.metadata)]
    monkeypatch.undo()
    checked = 0
    for f in fields:
        for value, message in _bad_values(f.metadata):
            with pytest.raises(ConfigError, match=f"--{f.name.replace('_', '-')} {message} .*Received: "):
                config_class(**{f.name: value}).validate()
            checked += 1
        if f.type in ("float", "float | None"):
            with pytest.raises(ConfigError, match="must be a finite number. Received: nan"):
                config_class(**{f.name: math.nan}).validate()
    assert checked == len(configs) >= 9  # TrainConfig alone bounds nine fields
    config_class().validate()  # the defaults pass


def test_bounds_are_inclusive_unless_exclusive():
    from tfgan.models.base import check_field

    check_field("label_smoothing", 0.0, {"min": 0, "max": 1, "max_exclusive": True})
    with pytest.raises(ValueError, match=r"--label-smoothing must be in \[0, 1\)\. Received: 1"):
        check_field("label_smoothing", 1, {"min": 0, "max": 1, "max_exclusive": True})
    with pytest.raises(ValueError, match=r"--g-lr must be > 0\. Received: 0"):
        check_field("g_lr", 0, {"min": 0, "min_exclusive": True})
    check_field("decay_from", 1.0, {"min": 0, "max": 1})
    check_field("epochs", None, {"min": 0, "min_exclusive": True})  # unset optional field


def test_image_generators_train_on_a_folder_of_photos_of_any_size(tmp_path):
    """``folder:PATH`` of photos of different sizes: each center-cropped to a square and resized to
    the model's image shape (a 10x30 photo with black side bars keeps only its white middle)."""
    from tfgan import viz
    from tfgan.models import CGAN, CGANConfig

    for i, (h, w) in enumerate([(10, 30), (20, 20), (30, 10), (12, 36), (16, 16), (9, 27)]):
        photo = np.full((h, w, 3), 255, np.uint8)
        photo[:, : max(0, (w - h) // 2)] = photo[:, w - max(0, (w - h) // 2):] = 0
        photo[: max(0, (h - w) // 2)] = 0 if h > w else 255  # tall photos: the cropped-away top is black
        viz.save_png(tmp_path / "photos" / f"{i}.png", photo)
    folder = f"folder:{tmp_path / 'photos'}"
    model = DCGAN(DCGANConfig(dataset=folder, image_shape=(8, 8, 1), batch_size=2))
    dataset, examples = model.make_dataset(seed=0)
    batches = [b.numpy() for b in dataset.take(3)]
    assert examples == 5 and all(b.shape == (2, 8, 8, 1) for b in batches)  # the last photo is the test split
    np.testing.assert_allclose(np.concatenate(batches), 1.0, atol=1e-3)  # only white is left, in [-1, 1]
    with pytest.raises(ValueError, match="folder of photos without labels"):
        CGAN(CGANConfig(dataset=folder, image_shape=(8, 8, 1), batch_size=2)).make_dataset(seed=0)
