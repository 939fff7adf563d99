"""CGAN (Mirza and Osindero 2014) and DCGAN with virtual batch norm: shapes, parameter counts,
conditioning, real train steps, checkpoints, and ``tfgan.generate --labels/--per-class``."""

import numpy as np
import pytest
import tensorflow as tf

from tfgan import generate, train
from tfgan.models import CGAN, DCGAN, CGANConfig, DCGANConfig


def _changed(before, network):
    return any(not np.allclose(b, a.numpy()) for b, a in zip(before, network.trainable_weights))


def test_cgan_pinned_parameter_counts_and_label_inputs():
    cfg = CGANConfig()
    model = CGAN(cfg)
    # G: DCGAN's 760,065 + label dense 10 -> 7*7*1, then one more map through the first BN
    # (4 numbers) and the first transposed conv (4x4 kernels to 64 filters).
    label_g = 10 * 7 * 7 + 7 * 7
    assert model.generator.count_params() == 760_065 + label_g + 4 + 4 * 4 * 64
    # D: DCGAN's 138,945 + label dense 10 -> 28*28*1 + one extra input map to the first conv.
    label_d = 10 * 28 * 28 + 28 * 28
    assert model.discriminator.count_params() == 138_945 + label_d + 4 * 4 * 64
    wide = CGAN(CGANConfig(label_maps=16))
    assert wide.generator.count_params() == 760_065 + 16 * (10 * 49 + 49 + 4 + 4 * 4 * 64)
    images = model.sample(4, seed=0, labels=[0, 3, 3, 9])
    assert images.shape == (4, 28, 28, 1)
    y = model.one_hot([1, 2])
    assert model.discriminator([images[:2], y]).shape == (2, 1)


def test_cgan_output_depends_on_the_label_only_through_y():
    model = CGAN(CGANConfig(g_filters=8, d_filters=8))
    z = model.latent(2, seed=3)
    a = model.sample(2, z=z, labels=[1, 1]).numpy()
    b = model.sample(2, z=z, labels=[1, 7]).numpy()
    np.testing.assert_allclose(a[0], b[0], atol=1e-6)  # same z, same label: same image
    assert np.abs(a[1] - b[1]).max() > 1e-4  # same z, other label: another image
    with pytest.raises(ValueError, match=r"0\.\.9"):
        model.sample(1, labels=[10])


def test_cgan_train_step_updates_both_networks_with_labels():
    model = CGAN(CGANConfig(g_filters=8, d_filters=8, d_steps=2))
    model.compile()
    g0 = [w.numpy().copy() for w in model.generator.trainable_weights]
    d0 = [w.numpy().copy() for w in model.discriminator.trainable_weights]
    x = tf.random.uniform((16, 28, 28, 1), -1, 1)
    logs = model.train_step((x, tf.range(16) % 10))
    assert set(logs) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert _changed(g0, model.generator) and _changed(d0, model.discriminator)
    assert int(model.d_optimizer.iterations.numpy()) == 2 and int(model.g_optimizer.iterations.numpy()) == 1


@pytest.mark.slow
def test_cgan_learns_to_use_the_label_on_a_toy_problem():
    """Two classes whose images differ only in brightness: after a few hundred steps, G(z | y)
    must follow y (D sees the pair, so ignoring y is penalised)."""
    cfg = CGANConfig(num_classes=2, image_shape=(8, 8, 1), g_filters=8, d_filters=8, latent_dim=4, label_maps=4,
                     batch_size=32, g_lr=2e-3, d_lr=2e-3, seed=0)
    model = CGAN(cfg)
    model.compile()
    labels = np.arange(256) % 2
    images = np.where(labels[:, None, None, None] == 1, 0.8, -0.8) + np.zeros((256, 8, 8, 1))
    ds = tf.data.Dataset.from_tensor_slices((images.astype("float32"), labels)).repeat().batch(32)
    model.fit(ds, steps_per_epoch=300, epochs=1, verbose=0)
    bright = model.sample(64, seed=1, labels=np.ones(64, int)).numpy().mean()
    dark = model.sample(64, seed=1, labels=np.zeros(64, int)).numpy().mean()
    assert bright - dark > 0.8, (bright, dark)


def test_cgan_rejects_bad_settings():
    for kwargs, flag in [({"num_classes": 1}, "--num-classes"), ({"label_maps": 0}, "--label-maps"),
                         ({"norm": "virtual_batch"}, "virtual_batch")]:
        with pytest.raises(ValueError, match=flag):
            CGANConfig(**kwargs).validate()


def test_class_by_row_preview_grid():
    model = CGAN(CGANConfig(g_filters=8, d_filters=8))
    grid = model.preview_grid(30)  # 3 per class
    cell = 28 * 2 + 2  # 2x scale plus padding
    assert grid.shape == (10 * cell + 2, 3 * cell + 2, 1)


# -- DCGAN with virtual batch normalization ---------------------------------------------------------
def test_vbn_generator_samples_do_not_depend_on_their_minibatch():
    model = DCGAN(DCGANConfig(norm="virtual_batch", g_filters=16))
    z = model.latent(5, seed=0)
    alone = model.generator(z[:1], training=True).numpy()
    together = model.generator(tf.concat([z[:1], model.latent(7, seed=9)], 0), training=True).numpy()
    np.testing.assert_allclose(alone[0], together[0], atol=1e-5)
    bn = DCGAN(DCGANConfig(norm="batch", g_filters=16))  # the contrast: batch norm couples them
    a = bn.generator(z[:2], training=True).numpy()[0]
    b = bn.generator(tf.concat([z[:1], 3 * model.latent(7, seed=9)], 0), training=True).numpy()[0]
    assert np.abs(a - b).max() > 1e-3


def test_vbn_generator_parameter_count_and_reference_batch():
    model = DCGAN(DCGANConfig(norm="virtual_batch", vbn_reference_size=32))
    # DCGAN's G minus BN's moving statistics (2 * (128 + 64)) plus the fixed 32 x 100 reference batch.
    assert model.generator.count_params() == 760_065 - 2 * (128 + 64) + 32 * 100
    assert model.generator.reference_z.shape == (32, 100)
    assert not model.generator.reference_z.trainable
    again = DCGAN(DCGANConfig(norm="virtual_batch", vbn_reference_size=32))
    np.testing.assert_array_equal(model.generator.reference_z.numpy(), again.generator.reference_z.numpy())


@pytest.mark.slow
def test_vbn_dcgan_trains_and_its_reference_batch_survives_checkpoints(tmp_path, data_dir):
    cfg = DCGANConfig(norm="virtual_batch", split="test", batch_size=8, g_filters=8, d_filters=8, steps=2,
                      vbn_reference_size=8, checkpoint_every=2, sample_every=2, log_every=1,
                      output_dir=str(tmp_path / "vbn"))
    train.run(cfg, progress=False)
    model = train.load_model(cfg.output_dir)
    # Overwrite the reference batch, restore again: the checkpoint brings the original back.
    original = model.generator.reference_z.numpy().copy()
    fresh = DCGAN(cfg)
    fresh.generator.reference_z.assign(np.zeros_like(original))
    fresh.compile()
    train.restore_latest(fresh, cfg.output_dir, expect_partial=True)
    np.testing.assert_array_equal(fresh.generator.reference_z.numpy(), original)
    np.testing.assert_allclose(fresh.sample(3, seed=4).numpy(), model.sample(3, seed=4).numpy(), atol=1e-6)


# -- the CLI with labels --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cgan_run(tmp_path_factory, data_dir):
    run_dir = tmp_path_factory.mktemp("cgan") / "run"
    code = train.main(["cgan", "--split", "test", "--batch-size", "16", "--g-filters", "8", "--d-filters", "8",
                       "--steps", "3", "--output-dir", str(run_dir)])
    assert code == 0
    return str(run_dir)


@pytest.mark.slow
def test_cgan_cli_run_writes_class_by_row_grids(cgan_run):
    from tfgan.imageio import read_image

    grid = read_image(f"{cgan_run}/samples/final.png", channels=1)
    assert grid.shape[0] == 10 * 58 + 2  # ten class rows of 2x digits


def test_generate_per_class_and_labels(cgan_run, tmp_path, capsys):
    out = tmp_path / "s.npz"
    assert generate.main([cgan_run, "--per-class", "3", "--output", str(out), "--grid", str(tmp_path / "g.png")]) == 0
    saved = np.load(out)
    assert saved["images"].shape == (30, 28, 28, 1) and saved["images"].dtype == np.uint8
    np.testing.assert_array_equal(saved["labels"], np.repeat(np.arange(10), 3))
    assert generate.main([cgan_run, "--labels", "7,7,2", "--output", str(out)]) == 0
    np.testing.assert_array_equal(np.load(out)["labels"], [7, 7, 2])
    assert np.load(out)["images"].shape[0] == 3


@pytest.mark.slow
def test_generate_label_errors(cgan_run, tmp_path, capsys, data_dir):
    out = str(tmp_path / "s.npz")
    assert generate.main([cgan_run, "--labels", "3,12", "--output", out]) == 2
    assert "0..9" in capsys.readouterr().err
    dcgan_dir = str(tmp_path / "dcgan")
    train.run(DCGANConfig(split="test", batch_size=8, g_filters=8, d_filters=8, steps=1, output_dir=dcgan_dir),
              progress=False)
    assert generate.main([dcgan_dir, "--per-class", "2", "--output", out]) == 2
    assert "unconditional" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        generate.main([cgan_run, "--labels", "a,b", "--output", out])
    assert exit_info.value.code == 2


def test_cgan_reuses_the_gan_algorithm_1():
    """CGAN keeps its networks and the condition hook; the training steps are the GAN's."""
    from tfgan.models.gan import GAN

    for name in ("train_step", "discriminator_step", "generator_step"):
        assert getattr(CGAN, name) is getattr(GAN, name), name
