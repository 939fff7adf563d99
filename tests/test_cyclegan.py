"""CycleGAN (Zhu et al. 2017): losses by hand, networks and pinned counts, the learning-rate
schedule, a real train step on all four networks, pools in checkpoints, unpaired data, the CLI."""

import json

import numpy as np
import pytest
import tensorflow as tf

from tfgan import classifier, data, imageio, models, train
from tfgan.models import CycleGAN, CycleGANConfig
from tfgan.models.cyclegan import LinearDecay, resnet_generator
from tfgan.models.pix2pix import patchgan_discriminator


def trainable_count(network):
    return sum(int(np.prod(w.shape)) for w in network.trainable_weights)


def unpaired_folder(root, n_a=5, n_b=3, size=16, seed=0):
    """trainA/ dark squares, trainB/ bright squares, and 2 + 2 test images."""
    rng = np.random.default_rng(seed)
    for split, counts in (("train", (n_a, n_b)), ("test", (2, 2))):
        for domain, n, low in (("A", counts[0], 0), ("B", counts[1], 128)):
            for i in range(n):
                image = rng.integers(low, low + 128, (size, size, 3), dtype=np.uint8)
                imageio.write_image(root / f"{split}{domain}" / f"{i}.png", image)
    return root


def tiny(**changes):
    values = dict(image_size=16, channels=3, ngf=4, ndf=4, n_blocks=1, batch_size=2, patch_size=16,
                  pool_size=3, steps=4, checkpoint_every=4, sample_every=4, log_every=2, num_samples=4)
    values.update(changes)
    return CycleGANConfig(**values)


def test_linear_decay_schedule_by_hand():
    schedule = LinearDecay(2e-4, total_steps=10, decay_from=0.5)
    values = [float(schedule(t)) for t in range(11)]
    np.testing.assert_allclose(values[:6], [2e-4] * 6, rtol=1e-6)  # constant through t = 5
    np.testing.assert_allclose(values[6:], [1.6e-4, 1.2e-4, 0.8e-4, 0.4e-4, 0.0], rtol=1e-5, atol=1e-12)
    assert float(LinearDecay(1.0, 10, decay_from=1.0)(9)) == 1.0  # decay_from=1: no decay
    assert LinearDecay.from_config(schedule.get_config()).get_config() == schedule.get_config()


# -- networks ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_paper_networks_have_the_reference_parameter_counts():
    """ResNet-9 G and the 70x70 PatchGAN with instance norm, counted like PyTorch: the numbers
    the authors' code prints for resnet_9blocks (11.378 M) and basic D (2.765 M)."""
    config = CycleGANConfig(dataset="cycle_gan/horse2zebra")
    assert config.image_size is None  # "auto": filled from the data registry by validate(), not by the constructor
    config.validate()
    assert (config.image_size, config.channels, config.n_blocks, config.ngf, config.batch_size) == (256, 3, 9, 64, 1)
    g = resnet_generator(256, 3, ngf=64, n_blocks=9)
    assert trainable_count(g) == 11_378_179
    assert trainable_count(patchgan_discriminator((256, 256, 3), norm="instance")) == 2_764_737
    kinds = [type(l).__name__ for l in g.layers]
    assert kinds.count("ResidualBlock") == 9 and kinds.count("ReflectionPadding2D") == 2
    assert kinds.count("Conv2DTranspose") == 2 and g.layers[-1].activation.__name__ == "tanh"
    assert g(np.zeros((1, 44, 60, 3), np.float32)).shape == (1, 44, 60, 3)  # any size divisible by 4


def test_default_offline_model_shapes_and_pinned_counts():
    model = CycleGAN(CycleGANConfig())
    cfg = model.config
    assert (cfg.dataset, cfg.image_size, cfg.channels, cfg.n_blocks, cfg.ngf, cfg.ndf, cfg.batch_size) == (
        "fashion_sneakers2boots", 32, 1, 6, 16, 32, 16)
    counts = {name: trainable_count(net) for name, net in model.networks().items()}
    # G: c7s1-16 (1*16*49 + 16), d32 (16*32*9 + 32), d64 (32*64*9 + 64), 6 x R64 (2 (64*64*9 + 64)),
    # u32 (64*32*9 + 32), u16 (32*16*9 + 16), c7s1-1 (16*49 + 1)
    g_count = 800 + 4_640 + 18_496 + 6 * 73_856 + 18_464 + 4_624 + 785
    assert counts == {"generator_g": g_count, "generator_f": g_count,
                      "discriminator_x": 693_217, "discriminator_y": 693_217}
    assert g_count == 490_945
    x = np.zeros((2, 32, 32, 1), np.float32)
    assert model.translate(x).shape == (2, 32, 32, 1) and model.translate(x, "b2a").shape == (2, 32, 32, 1)
    assert model.d_x(x).shape == (2, 2, 2, 1)


@pytest.mark.parametrize("changes, message", [
    ({"image_size": 30}, "--image-size must be a multiple of 4"),
    ({"pool_size": -1}, "--pool-size must be >= 0"),
    ({"decay_from": 1.5}, "--decay-from must be in [0, 1]"),
    ({"lambda_cycle": -1.0}, "--lambda-cycle must be >= 0"),
    ({"gan_loss": "hinge"}, "--gan-loss must be one of"),
    ({"padding": "same"}, "--padding must be one of reflect, zero. Received: 'same'"),
])
def test_bad_config_values_are_rejected(changes, message):
    import re

    with pytest.raises(ValueError, match=re.escape(message)):
        CycleGAN(CycleGANConfig(**changes))


# -- training ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_one_train_step_updates_all_four_networks_and_the_pools():
    model = CycleGAN(tiny())
    model.compile(jit_compile=False)
    before = {n: [w.numpy().copy() for w in net.trainable_weights] for n, net in model.networks().items()}
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    y = rng.uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    rec_x = model.f(model.g(x, training=True), training=True).numpy()  # F(G(x)); no batch state
    rec_y = model.g(model.f(y, training=True), training=True).numpy()  # G(F(y))
    logs = model.train_step((x, y))
    for name, net in model.networks().items():
        assert any(not np.allclose(b, a.numpy()) for b, a in zip(before[name], net.trainable_weights)), name
    assert set(logs) == set(CycleGAN.tracker_names)
    assert all(np.isfinite(float(v)) for v in logs.values())
    cycle = np.mean(np.abs(rec_x - x)) + np.mean(np.abs(rec_y - y))  # the paper's eq. 2
    assert float(logs["cycle_loss"]) == pytest.approx(cycle, rel=1e-4)
    # the paper's eq. 3 plus the identity term: GAN(G) + GAN(F) + 10 cyc + 0.5 * 10 identity
    expected = (float(logs["gan_g"]) + float(logs["gan_f"]) + 10 * float(logs["cycle_loss"])
                + 5 * float(logs["identity_loss"]))
    assert float(logs["g_loss"]) == pytest.approx(expected, rel=1e-5)
    assert float(logs["lr"]) == pytest.approx(2e-4)
    assert all(int(o.iterations.numpy()) == 1 for o in model.optimizers().values())
    assert int(model.pool_x.count.numpy()) == 2 and int(model.pool_y.count.numpy()) == 2  # G(x), F(y) stored


def test_learning_rate_decays_over_the_second_half():
    model = CycleGAN(tiny(steps=4))
    model.compile(jit_compile=False)
    rates = []
    for t in range(4):
        for optimizer in model.optimizers().values():
            optimizer.iterations.assign(t)
        rates.append([float(o.learning_rate) for o in model.optimizers().values()])
    np.testing.assert_allclose(rates, [[2e-4] * 4] * 3 + [[1e-4] * 4], rtol=1e-5)  # t = 0..3 of T = 4
    model.set_total_steps(100)  # --epochs: stretched once the epoch size is known
    assert float(model.g_optimizer.learning_rate) == pytest.approx(2e-4)


def test_four_optimizers_come_from_the_base_compile():
    from tfgan.models.base import AdversarialModel

    assert CycleGAN.compile is AdversarialModel.compile  # no compile of its own
    model = CycleGAN(tiny(steps=4))
    model.compile(jit_compile=False)
    assert list(model.optimizers()) == ["g_optimizer", "f_optimizer", "d_x_optimizer", "d_y_optimizer"]
    for name, (network, _) in CycleGAN.optimizer_networks.items():  # built on its own network
        assert len(model.optimizers()[name].variables) > 2 * len(model.networks()[network].trainable_weights)
    model.set_total_steps(100)
    assert [s.total_steps for s in model.lr_schedules] == [100] * 4


# -- data -------------------------------------------------------------------------------------------
def test_fashion_sneakers2boots_is_unpaired(data_dir):
    split = data.translation_data("fashion_sneakers2boots", "test")
    assert not split.paired and (split.num_a, split.num_b) == (1000, 1000)
    a, b = next(iter(data.load_translation("fashion_sneakers2boots", "test", batch_size=1000, shuffle=False)))
    sneakers, _ = data.fashion_footwear("test", classes=(7,))
    boots, _ = data.fashion_footwear("test", classes=(9,))
    np.testing.assert_array_equal(np.round((a.numpy() + 1) * 127.5).astype(np.uint8), sneakers)
    np.testing.assert_array_equal(np.round((b.numpy() + 1) * 127.5).astype(np.uint8), boots)
    # Boots are taller: more ink in the upper half than sneakers, on average.
    assert (boots[:, 4:16] > 50).mean() > 1.4 * (sneakers[:, 4:16] > 50).mean()


def test_unpaired_folder_and_epoch_size(tmp_path):
    name = f"folder:{unpaired_folder(tmp_path / 'sq')}"
    info = data.info(name)
    assert info.kind == "unpaired" and info.splits == ("train", "test") and info.image_shape == (16, 16, 3)
    model = CycleGAN(tiny(dataset=name))
    dataset, examples = model.make_dataset(seed=0)
    assert examples == 5  # max(5 A images, 3 B images), as the authors' unaligned dataset
    a, b = next(iter(dataset))
    assert a.shape == b.shape == (2, 16, 16, 3)
    assert float(tf.reduce_max(a)) <= 0.01 and float(tf.reduce_min(b)) >= -0.01  # A dark, B bright


@pytest.mark.slow
def test_tfds_cycle_gan_offline_fails_fast_with_advice(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    assert "cycle_gan/horse2zebra" in data.translation_datasets()
    code = train.main(["cyclegan", "--dataset", "cycle_gan/horse2zebra", "--output-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "cycle_gan/horse2zebra" in err and "TFGAN_OFFLINE" in err and "folder:PATH" in err


def test_tfds_cycle_gan_loader_with_tfds_mock_data(tmp_path, monkeypatch):
    """The online path (download, then decode the encoded images) against tfds' own mock data:
    ``download_and_prepare`` and ``as_dataset`` are replaced by tfds.testing, nothing is fetched."""
    import tensorflow_datasets as tfds

    monkeypatch.setenv("TFGAN_OFFLINE", "0")
    monkeypatch.setattr(data.network, "can_connect", lambda *args, **kwargs: None)  # pretend to be online
    with tfds.testing.mock_data(num_examples=5):
        split = data.translation_data("cycle_gan/horse2zebra", "train", data_dir=tmp_path)
        assert not split.paired and (split.num_a, split.num_b) == (5, 5)
        a, b = next(iter(data.load_translation("cycle_gan/horse2zebra", batch_size=2, image_size=24,
                                               jitter=True, mirror=True, seed=0, data_dir=tmp_path)))
    assert a.shape == b.shape == (2, 24, 24, 3)
    assert -1.0 <= float(tf.reduce_min(a)) and float(tf.reduce_max(a)) <= 1.0


# -- checkpoints, evaluation, CLI -----------------------------------------------------------------------
@pytest.mark.slow
def test_run_checkpoints_the_pools_and_evaluates(tmp_path):
    config = tiny(dataset=f"folder:{unpaired_folder(tmp_path / 'sq')}", output_dir=str(tmp_path / "run"),
                  lambda_identity=0.0)
    result = train.run(config, progress=False)
    assert result.status == "completed" and result.step == 4
    rows = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    header = rows[0].split(",")
    assert header == ["step", *CycleGAN.tracker_names, "images_per_sec", "elapsed_sec"]
    assert [float(r.split(",")[header.index("identity_loss")]) for r in rows[1:]] == [0.0, 0.0]  # off
    model = train.load_model(config.output_dir)
    assert isinstance(model, CycleGAN) and int(model.step_counter.numpy()) == 4
    assert int(model.pool_x.count.numpy()) == 3 and int(model.pool_x.draws.numpy()) == 4
    assert np.any(model.pool_y.images.numpy() != 0)
    saved = json.loads((tmp_path / "run" / "config.json").read_text())["config"]
    assert saved["n_blocks"] == 1 and saved["pool_size"] == 3

    results = model.evaluation()
    assert set(results) == {"examples", "cycle_l1_a", "cycle_l1_b"} and results["examples"] == 2
    x, y = model.held_out()
    rec = model.translate(model.translate(x), "b2a").numpy()
    assert results["cycle_l1_a"] == pytest.approx(float(np.mean(np.abs(rec - x))), rel=1e-5)
    grid = model.preview_grid(64)
    assert grid.shape[0] == 6 * (2 * 16 + 2) + 2  # x | G(x) | F(G(x)) | y | F(y) | G(F(y)), at 2x


def test_evaluation_with_a_classifier_on_the_offline_task(data_dir):
    model = CycleGAN(CycleGANConfig(ngf=4, ndf=4, n_blocks=1))
    judge = classifier.build_classifier((32, 32, 1), 3)
    results = model.evaluation(num=40, classifier=judge)
    assert set(results) == {"examples", "cycle_l1_a", "cycle_l1_b", "fd_a2b", "fd_b2a", "fd_a_vs_b",
                            "a2b_target_class", "b2a_target_class"}
    assert results["examples"] == 40 and results["fd_a_vs_b"] > 0
    assert all(0 <= results[k] <= 1 for k in ("a2b_target_class", "b2a_target_class"))


def test_registry_entry_and_flags():
    entry = models.get("cyclegan")
    assert entry.model_class is CycleGAN and entry.default_dataset == "fashion_sneakers2boots"
    name, config, explicit = train.parse_args(["cyclegan", "--n-blocks", "3", "--no-jitter", "--pool-size", "0"])
    assert name == "cyclegan" and config.n_blocks == 3 and config.jitter is False and config.pool_size == 0
    assert explicit == {"n_blocks", "jitter", "pool_size"}
