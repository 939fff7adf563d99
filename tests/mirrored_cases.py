"""Mirrored training on two logical CPU devices; run by ``tests/test_distribute.py`` in a process of
its own, because the CPU must be split before TensorFlow initialises its devices (see
``tfgan.distribute.split_cpu``). Not collected by a plain ``pytest tests/`` (its name does not
start with ``test_``); run it alone with ``pytest tests/mirrored_cases.py``.

One mirrored step on a global batch must give the weights one single-device step gives on the
same batch. The optimizers are SGD on purpose: Adam divides by the gradient's running RMS, so its
update hardly changes when every gradient is scaled by the same factor, and a mirrored step that
summed instead of averaged the replicas' gradients would pass with Adam.
"""

from tfgan import distribute

distribute.split_cpu(2)  # before anything else touches TensorFlow's devices

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from tfgan import models, train  # noqa: E402
from tfgan.models import srgan  # noqa: E402
from tfgan.errors import ConfigError  # noqa: E402

LR = 0.5  # large SGD steps, so that a wrong update is far outside the float tolerance


@pytest.fixture(scope="module")
def mirrored():
    strategy = distribute.get_strategy("mirrored")
    assert strategy.num_replicas_in_sync == 2, strategy.extended.worker_devices
    return strategy


def sgd_compile(model):
    """Compile with one SGD per network instead of Adam."""
    model.compile(jit_compile=False, optimizers={name: keras.optimizers.SGD(LR) for name in model.optimizer_networks})
    assert all(isinstance(o, keras.optimizers.SGD) for o in model.optimizers().values())


def one_step(model_class, config, batch, weights, strategy):
    """A model built under ``strategy`` from ``weights``, after one ``fit`` step on ``batch``."""
    with strategy.scope():
        model = model_class(config)
        sgd_compile(model)
    for name, network in model.networks().items():
        network.set_weights(weights[name])
    logs = model.fit(tf.data.Dataset.from_tensors(batch), epochs=1, verbose=0, shuffle=False).history
    after = {name: [np.array(w) for w in net.get_weights()] for name, net in model.networks().items()}
    return after, {k: v[-1] for k, v in logs.items()}


def compare(model_class, config, batch, strategy, atol):
    keras.utils.set_random_seed(0)
    initial = model_class(config)
    weights = {name: net.get_weights() for name, net in initial.networks().items()}
    single, single_logs = one_step(model_class, config, batch, weights, tf.distribute.get_strategy())
    mirror, mirror_logs = one_step(model_class, config, batch, weights, strategy)
    for name in weights:  # every network, every weight (BN running statistics included)
        moved = max(np.max(np.abs(a - w)) for a, w in zip(single[name], weights[name]))
        assert moved > 100 * atol, f"{name} hardly moved ({moved}): the comparison would prove nothing"
        for i, (a, b) in enumerate(zip(single[name], mirror[name])):
            np.testing.assert_allclose(b, a, rtol=1e-4, atol=atol, err_msg=f"{name} weight {i}")
    assert set(mirror_logs) == set(single_logs)
    for key, value in single_logs.items():  # logs: mean over replicas == global-batch values
        if key != "psnr":  # not linear in the examples: the mean of the replicas' PSNRs
            assert mirror_logs[key] == pytest.approx(value, rel=1e-4, abs=1e-5), key
    return single, mirror


def dcgan_case():
    config = models.DCGANConfig(image_shape=(16, 16, 1), g_filters=4, d_filters=4, latent_dim=3, batch_size=4,
                                precision="float32",  # under bfloat16 one and two replicas round apart beyond atol
                                # R1 (the default) through D's batch norm: two replicas of 2 examples
                                # and one of 4 give R1 gradients ~7e-5 apart, beyond atol
                                gradient_penalty="none")
    batch = np.random.default_rng(0).uniform(-1, 1, (4, 16, 16, 1)).astype(np.float32)
    return models.DCGAN, config, batch


def cyclegan_case():
    config = models.CycleGANConfig(image_size=16, channels=3, ngf=4, ndf=4, n_blocks=1, batch_size=4,
                                   patch_size=16, pool_size=3)
    rng = np.random.default_rng(1)
    batch = tuple(rng.uniform(-1, 1, (4, 16, 16, 3)).astype(np.float32) for _ in range(2))
    return models.CycleGAN, config, batch


def other_cases():
    """The other registered models, tiny, without dropout (its masks repeat across replicas)."""
    rng = np.random.default_rng(2)
    images = rng.uniform(-1, 1, (4, 8, 8, 1)).astype(np.float32)
    pairs = tuple(rng.uniform(-1, 1, (4, 16, 16, 3)).astype(np.float32) for _ in range(2))
    hr = np.round(rng.uniform(0, 255, (4, 32, 32, 3))).astype(np.uint8)
    sr = dict(residual_blocks=1, filters=8, hr_size=32, batch_size=4, crops_per_image=2)
    return {
        "gan": (models.GAN, models.GANConfig(image_shape=(8, 8, 1), hidden_units=8, latent_dim=3, batch_size=4,
                                             dropout=0.0), images),
        "cgan": (models.CGAN, models.CGANConfig(num_classes=2, image_shape=(8, 8, 1), g_filters=8, d_filters=8,
                                                latent_dim=4, label_maps=4, batch_size=4),
                 (images, np.array([0, 1, 1, 0]))),
        "pix2pix": (models.Pix2Pix, models.Pix2PixConfig(image_size=16, channels=3, ngf=4, ndf=4, batch_size=4,
                                                         patch_size=16, dropout=0.0, norm="batch"), pairs),
        "srresnet": (models.SRResNet, models.SRResNetConfig(**sr), srgan.to_pair(hr, 4)),
        "srgan": (models.SRGAN, models.SRGANConfig(**sr, d_filters=4, d_dense=8, content_loss="mse"),
                  srgan.to_pair(hr, 4)),
    }


@pytest.mark.parametrize("name", ["gan", "cgan", "pix2pix", "srresnet", "srgan"])
def test_mirrored_step_equals_single_device_step_for_the_other_models(mirrored, name):
    compare(*other_cases()[name], mirrored, atol=2e-5)


def test_mirrored_dcgan_step_equals_single_device_step(mirrored):
    compare(*dcgan_case(), mirrored, atol=2e-5)


def test_mirrored_cyclegan_step_equals_single_device_step(mirrored):
    """All four networks; the history pools see the global batch (pool of 3 < batch of 4)."""
    compare(*cyclegan_case(), mirrored, atol=2e-5)


def test_without_the_gradient_scaling_the_mirrored_step_differs(mirrored, monkeypatch):
    """The control: with the replicas' gradients summed unscaled, the comparison fails."""
    monkeypatch.setattr(distribute, "scale_gradients", lambda grads: grads)
    with pytest.raises(AssertionError, match="weight"):
        compare(*dcgan_case(), mirrored, atol=2e-5)


def test_gradients_are_divided_by_the_replica_count(mirrored):
    def scale():
        sparse = tf.IndexedSlices(tf.constant([[4.0, 8.0]]), tf.constant([1]), tf.constant([3, 2]))
        return distribute.scale_gradients([tf.constant([2.0, -6.0]), sparse, None])

    dense, sparse, none = mirrored.run(scale)
    assert none is None
    dense, sparse = mirrored.experimental_local_results(dense), mirrored.experimental_local_results(sparse)
    for replica in range(2):
        np.testing.assert_allclose(dense[replica], [1.0, -3.0])
        np.testing.assert_allclose(tf.convert_to_tensor(sparse[replica]), [[0, 0], [2.0, 4.0], [0, 0]])


def test_mirrored_batch_norm_is_synchronized(mirrored):
    with mirrored.scope():
        model = models.DCGAN(dcgan_case()[1])
    norms = [layer for layer in model.discriminator.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert norms and all(layer.synchronized for layer in norms)
    assert not any(layer.synchronized for layer in models.DCGAN(dcgan_case()[1]).discriminator.layers
                   if isinstance(layer, keras.layers.BatchNormalization))


def test_mirrored_noise_differs_between_replicas_and_matches_one_device(mirrored):
    model = models.DCGAN(dcgan_case()[1])
    expected = model.latent(4).numpy()  # one device: 4 rows from the generator's state
    with mirrored.scope():
        again = models.DCGAN(dcgan_case()[1])
    rows = mirrored.run(lambda: again.latent(2))
    parts = [t.numpy() for t in mirrored.experimental_local_results(rows)]
    np.testing.assert_allclose(np.concatenate(parts), expected, rtol=1e-6)


def test_mirrored_run_resumes_from_its_checkpoint(tmp_path, data_dir, capsys):
    """Through the trainer: 2 mirrored steps, then a third one resumed from the checkpoint; the
    first sample grid is the one a single-device model of the same seed draws."""
    from tfgan import imageio

    config = models.DCGANConfig(split="test", data_dir=data_dir, batch_size=4, g_filters=4, d_filters=4,
                                latent_dim=8, steps=2, checkpoint_every=2, sample_every=100, log_every=1,
                                num_samples=4, output_dir=str(tmp_path / "run"), strategy="mirrored")
    with pytest.raises(ConfigError, match="does not split evenly between 2 replicas"):
        train.run(config.replace(batch_size=5, output_dir=str(tmp_path / "odd")), progress=False)
    first = train.run(config, progress=False)
    assert (first.step, first.status) == (2, "completed")
    assert "over 2 replicas" in capsys.readouterr().out
    second = train.run(config.replace(steps=3), progress=False)
    out = capsys.readouterr().out
    assert (second.step, second.status) == (3, "completed") and "steps 2 -> 3" in out and "(resumed)" in out
    resumed = train.load_model(first.run_dir)
    assert all(int(o.iterations.numpy()) == 3 for o in resumed.optimizers().values())
    rows = (tmp_path / "run" / "metrics.csv").read_text().strip().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["1", "2", "3"]

    keras.utils.set_random_seed(config.seed)  # as the trainer does before building
    single = models.DCGAN(config.replace(strategy="default"))
    expected = single.preview_grid(config.num_samples)
    grid = imageio.read_image(tmp_path / "run" / "samples" / "step_000000.png", channels=expected.shape[-1])
    np.testing.assert_array_equal(grid, expected)
