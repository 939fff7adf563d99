"""pix2pix (Isola et al. 2017): networks, PatchGAN receptive fields, L1 loss, paired data, a real
train step, evaluation and the CLI on tiny images."""

import json
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import data, imageio, layers, models, train
from tfgan.models import Pix2Pix, Pix2PixConfig
from tfgan.models.image_to_image import PATCH_SIZES, patchgan_output_size
from tfgan.models.pix2pix import max_levels, patchgan_discriminator, unet_generator


def trainable_count(network):
    return sum(int(np.prod(w.shape)) for w in network.trainable_weights)


def paired_folder(root, n_train=6, n_test=3, size=16, seed=0):
    """A pix2pix-style folder: side-by-side A|B PNGs, B = the negative of A."""
    rng = np.random.default_rng(seed)
    for split, n in (("train", n_train), ("val", n_test)):
        for i in range(n):
            a = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            imageio.write_image(root / split / f"{i:03d}.png", np.concatenate([a, 255 - a], axis=1))
    return root


def tiny(**changes):
    values = dict(image_size=16, channels=3, ngf=4, ndf=4, batch_size=2, patch_size=16, steps=2,
                  checkpoint_every=2, sample_every=2, log_every=1, num_samples=4)
    values.update(changes)
    return Pix2PixConfig(**values)


# -- networks -------------------------------------------------------------------------------------
@pytest.mark.slow
def test_paper_networks_have_the_reference_parameter_counts():
    """The 256x256 U-Net and 70x70 PatchGAN, counted like PyTorch (trainable weights only):
    the numbers the authors' pytorch-CycleGAN-and-pix2pix prints for unet_256 and basic D."""
    config = Pix2PixConfig(dataset="folder:/nonexistent", image_size=256, channels=3).resolve_auto()
    assert (config.levels, config.ngf, config.ndf, config.batch_size) == (8, 64, 64, 1)
    generator = unet_generator(256, 3, 3, ngf=64, levels=8)
    assert trainable_count(generator) == 54_413_955
    assert trainable_count(patchgan_discriminator((256, 256, 6))) == 2_768_705
    out = generator(np.zeros((1, 256, 256, 3), np.float32))
    assert out.shape == (1, 256, 256, 3)
    bottleneck = generator.get_layer("down8").output
    assert tuple(bottleneck.shape[1:]) == (None, None, 512)  # fully convolutional; 1x1 at 256


def test_default_offline_model_shapes_and_pinned_counts():
    model = Pix2Pix(Pix2PixConfig())
    cfg = model.config
    assert (cfg.dataset, cfg.image_size, cfg.channels, cfg.levels, cfg.ngf, cfg.batch_size) == (
        "fashion_edges2shoes", 32, 1, 5, 32, 16)
    assert trainable_count(model.generator) == 4_164_929
    assert trainable_count(model.discriminator) == 694_177
    x = np.zeros((3, 32, 32, 1), np.float32)
    y = model.generator(x)
    assert y.shape == (3, 32, 32, 1) and np.all(np.abs(y) <= 1)
    assert model.discriminator(np.zeros((3, 32, 32, 2), np.float32)).shape == (3, 2, 2, 1)
    encoder_decoder = unet_generator(32, 1, 1, ngf=32, skip_connections=False)
    assert trainable_count(encoder_decoder) < trainable_count(model.generator)
    assert encoder_decoder(x).shape == (3, 32, 32, 1)


def test_unet_skips_and_dropout_follow_the_paper():
    generator = unet_generator(32, 1, 1, ngf=4, levels=5)
    ups = [l for l in generator.layers if isinstance(l, layers.UNetUp)]
    downs = [l for l in generator.layers if isinstance(l, layers.UNetDown)]
    assert [d.filters for d in downs] == [4, 8, 16, 32, 32]
    assert [u.filters for u in ups] == [32, 16, 8, 4]  # mirrors the encoder
    assert [u.dropout for u in ups] == [0.5, 0.5, 0.5, 0.0]  # CD on the first three decoder layers
    assert downs[0].norm == "none" and downs[-1].norm == "none"  # C64 and the 1x1 bottleneck
    assert all(d.norm == "batch" for d in downs[1:-1])
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 1)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(generator(x)), np.asarray(generator(x)))
    assert not np.allclose(np.asarray(generator(x, training=True)), np.asarray(generator(x, training=True)))


def test_max_levels():
    assert [max_levels(s) for s in (256, 32, 28, 96, 1024, 7)] == [8, 5, 2, 5, 8, 0]


@pytest.mark.parametrize("patch_size", PATCH_SIZES[:-1])
def test_patchgan_receptive_field_by_formula_and_by_gradient(patch_size):
    """receptive_field (lectures/08_image_to_image.md, Eq. (6)) equals the input region that one
    output logit's gradient touches, measured on a random network."""
    size = 160
    d = patchgan_discriminator((size, size, 1), ndf=2, patch_size=patch_size, norm="none")
    assert layers.receptive_field(d) == patch_size
    assert d.output_shape[1] == patchgan_output_size(size, patch_size)
    x = tf.random.normal((1, size, size, 1), seed=1)
    with tf.GradientTape() as tape:
        tape.watch(x)
        logits = d(x)
        centre = logits.shape[1] // 2
        unit = logits[0, centre, centre, 0]
    touched = np.argwhere(np.abs(tape.gradient(unit, x).numpy()[0, :, :, 0]) > 0)
    spans = touched.max(axis=0) - touched.min(axis=0) + 1
    assert spans.tolist() == [patch_size, patch_size]


def test_patchgan_layer_counts_and_too_small_images():
    assert patchgan_output_size(256, 70) == 30 and patchgan_output_size(32, 70) == 2
    assert patchgan_output_size(32, 286) < 1
    with pytest.raises(ValueError, match="--patch-size 286 needs images of at least 96 px"):
        Pix2Pix(Pix2PixConfig(patch_size=286))


@pytest.mark.parametrize("changes, message", [
    ({"patch_size": 50}, "--patch-size must be one of 1, 16, 34, 70, 142, 286"),
    ({"levels": 6}, "--levels 6 needs an image size divisible by 2^6"),
    ({"direction": "ab"}, "--direction must be one of a2b, b2a. Received: 'ab'"),
    ({"lambda_l1": -1.0}, "--lambda-l1 must be >= 0"),
    ({"dropout": 1.0}, "--dropout must be in [0, 1)"),
    ({"channels": 2}, "--channels must be 1 or 3"),
    ({"norm": "group"}, "--norm must be one of"),
])
def test_bad_config_values_are_rejected(changes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Pix2Pix(Pix2PixConfig(**changes))


# -- training -------------------------------------------------------------------------------------
def test_one_train_step_changes_both_networks():
    model = Pix2Pix(tiny())
    model.compile(jit_compile=False)
    before = {n: [w.numpy().copy() for w in net.trainable_weights] for n, net in model.networks().items()}
    rng = np.random.default_rng(0)
    source = rng.uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    logs = model.train_step((source, -source))
    for name, net in model.networks().items():
        assert any(not np.allclose(b, a.numpy()) for b, a in zip(before[name], net.trainable_weights)), name
    assert set(logs) == set(Pix2Pix.tracker_names)
    assert all(np.isfinite(float(v)) for v in logs.values())
    # lectures/08_image_to_image.md, Eq. (3) with lambda = 100
    expected = float(logs["g_gan"]) + 100.0 * float(logs["g_l1"])
    assert float(logs["g_loss"]) == pytest.approx(expected, rel=1e-5)
    assert int(model.step_counter.numpy()) == 1 and int(model.d_optimizer.iterations.numpy()) == 1


@pytest.mark.slow
def test_tiny_pix2pix_learns_a_paired_mapping():
    """L1 + cGAN on one fixed batch of (x, -x) pairs: the L1 error drops well below the start."""
    keras.utils.set_random_seed(0)
    model = Pix2Pix(tiny(ngf=8, dropout=0.0, g_lr=2e-3, d_lr=2e-4))
    model.compile(jit_compile=False)
    source = np.random.default_rng(1).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    before = float(np.mean(np.abs(model.translate(source) + source)))
    model.fit(tf.data.Dataset.from_tensors((source, -source)).repeat(150), epochs=1, verbose=0)
    after = float(np.mean(np.abs(model.translate(source, training=True) + source)))
    assert after < 0.5 * before, f"L1 went from {before:.3f} to {after:.3f}"


# -- data -----------------------------------------------------------------------------------------
def test_fashion_edges2shoes_pairs(data_dir):
    info = data.info("fashion_edges2shoes")
    assert info.kind == "paired" and info.image_shape == (32, 32, 1)
    split = data.translation_data("fashion_edges2shoes", "test")
    assert split.paired and split.num_a == 3000
    edges, shoes = next(iter(split.a.batch(3000)))
    edges, shoes = edges.numpy(), shoes.numpy()
    assert edges.shape == shoes.shape == (3000, 32, 32, 1)
    assert set(np.unique(edges)) == {0, 255}  # binary Canny edges
    assert np.all(shoes[:, :2] == 0) and np.all(shoes[:, :, -2:] == 0)  # 2-pixel padding
    footwear, labels = data.fashion_footwear("test")
    np.testing.assert_array_equal(shoes, footwear)
    assert set(np.unique(labels)) == {5, 7, 9}
    inner = shoes[:, 2:-2, 2:-2, 0] > 60
    assert np.mean(edges[:, 2:-2, 2:-2, 0][inner] > 0) < 0.5  # edges outline; they do not fill
    with pytest.raises(ValueError, match="two domains"):
        data.load_arrays("fashion_edges2shoes", "test")


@pytest.mark.slow
def test_paired_folder_jitter_and_mirror_keep_pairs_aligned(tmp_path):
    root = tmp_path / "same"
    rng = np.random.default_rng(0)
    for i in range(4):  # A and B identical: any misaligned crop or flip would show
        a = rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)
        imageio.write_image(root / "train" / f"{i}.png", np.concatenate([a, a], axis=1))
    name = f"folder:{root}"
    info = data.info(name)
    assert info.kind == "paired" and info.image_shape == (20, 20, 3) and info.splits == ("train",)
    plain = next(iter(data.load_translation(name, batch_size=4, image_size=16, shuffle=False)))
    jittered = next(iter(data.load_translation(name, batch_size=4, image_size=16, shuffle=False,
                                               jitter=True, mirror=True, seed=3)))
    for a, b in (plain, jittered):
        assert a.shape == (4, 16, 16, 3)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.allclose(plain[0].numpy(), jittered[0].numpy())
    again = next(iter(data.load_translation(name, batch_size=4, image_size=16, shuffle=False,
                                            jitter=True, mirror=True, seed=3)))
    np.testing.assert_array_equal(again[0].numpy(), jittered[0].numpy())  # seeded


def test_paired_folder_halves_and_direction(tmp_path):
    name = f"folder:{paired_folder(tmp_path / 'neg')}"
    assert data.info(name).splits == ("train", "test")  # val/ serves as the test split
    a, b = next(iter(data.load_translation(name, "test", batch_size=3, shuffle=False)))
    np.testing.assert_allclose(b.numpy(), -a.numpy(), atol=1e-6)  # B = 255 - A
    b2, a2 = next(iter(data.load_translation(name, "test", batch_size=3, shuffle=False, direction="b2a")))
    np.testing.assert_array_equal(b2.numpy(), b.numpy())
    gray, _ = next(iter(data.load_translation(name, "test", batch_size=3, channels=1, image_size=8)))
    assert gray.shape == (3, 8, 8, 1)


def test_folder_errors_are_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="found neither layout"):
        data.info(f"folder:{tmp_path / 'empty'}")
    with pytest.raises(data.DatasetNotFoundError, match="no such folder"):
        data.info(f"folder:{tmp_path / 'missing'}")
    (tmp_path / "bad" / "train").mkdir(parents=True)
    (tmp_path / "bad" / "train" / "x.png").write_bytes(b"not a png")
    with pytest.raises(imageio.ImageReadError, match="Cannot decode image"):
        data.info(f"folder:{tmp_path / 'bad'}")


# -- evaluation, preview, CLI -----------------------------------------------------------------------
def test_evaluation_and_preview_on_a_folder(tmp_path):
    config = tiny(dataset=f"folder:{paired_folder(tmp_path / 'neg')}")
    model = Pix2Pix(config)
    model.compile(jit_compile=False)
    results = model.evaluation()
    assert results["examples"] == 3.0 and set(results) == {"examples", "l1", "psnr_db"}
    source, target = model.held_out()
    fake = np.asarray(model.translate(source))
    assert results["l1"] == pytest.approx(float(np.mean(np.abs(fake - target))), rel=1e-5)
    grid = model.preview_grid(64)
    assert grid.shape == (3 * (16 * 2 + 2) + 2, 3 * (16 * 2 + 2) + 2, 3)  # 3 rows x 3 held-out pairs
    with pytest.raises(ValueError, match="translates a2b only"):
        model.translate(source, "b2a")


def test_evaluation_with_a_classifier_on_the_offline_task(data_dir):
    from tfgan import classifier

    model = Pix2Pix(Pix2PixConfig(ngf=4, ndf=4))
    judge = classifier.build_classifier((32, 32, 1), 3)
    results = model.evaluation(num=64, classifier=judge)
    assert set(results) == {"examples", "l1", "psnr_db", "fd", "class_agreement"}
    assert results["examples"] == 64 and results["fd"] > 0 and 0 <= results["class_agreement"] <= 1


@pytest.mark.slow
def test_cli_trains_pix2pix_on_a_folder_and_resumes(tmp_path, capsys):
    folder = paired_folder(tmp_path / "neg")
    run_dir = tmp_path / "run"
    argv = ["pix2pix", "--dataset", f"folder:{folder}", "--image-size", "16", "--ngf", "4", "--ndf", "4",
            "--batch-size", "2", "--patch-size", "16", "--steps", "2", "--log-every", "1",
            "--sample-every", "2", "--checkpoint-every", "2", "--output-dir", str(run_dir)]
    assert train.main(argv) == 0
    saved = json.loads((run_dir / "config.json").read_text())
    assert saved["model"] == "pix2pix" and saved["config"]["levels"] == 4
    assert saved["config"]["channels"] == 3 and saved["config"]["direction"] == "a2b"
    header = (run_dir / "metrics.csv").read_text().splitlines()[0].split(",")
    assert header == ["step", *Pix2Pix.tracker_names, "d_gap", "images_per_sec", "elapsed_sec"]
    assert sorted(p.name for p in (run_dir / "samples").glob("*.png")) == [
        "final.png", "step_000000.png", "step_000002.png"]
    assert train.main(argv[:-4] + ["--steps", "3", "--output-dir", str(run_dir)]) == 0
    assert "steps 2 -> 3" in capsys.readouterr().out
    model = train.load_model(str(run_dir))
    assert isinstance(model, Pix2Pix) and int(model.step_counter.numpy()) == 3
    assert set(model.evaluation()) == {"examples", "l1", "psnr_db"}


@pytest.mark.slow
@pytest.mark.parametrize("argv, message", [
    (["pix2pix", "--dataset", "fashion_sneakers2boots"], "is unpaired"),
    (["pix2pix", "--dataset", "mnist"], "holds single images, not two domains"),
    (["pix2pix", "--patch-size", "286"], "needs images of at least 96 px"),
    (["pix2pix", "--dataset", "folder:/no/such/folder"], "no such folder"),
    (["pix2pix", "--direction", "sideways"], "invalid choice: 'sideways'"),
])
def test_cli_bad_input_exits_2_with_one_line(argv, message, tmp_path, capsys, data_dir):
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(train.main(argv + ["--output-dir", str(tmp_path / "r")]))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_registry_entry():
    entry = models.get("pix2pix")
    assert entry.model_class is Pix2Pix and entry.default_dataset == "fashion_edges2shoes"
    assert "pix2pix" in train.parse_args(["pix2pix", "--steps", "5"])[0]
