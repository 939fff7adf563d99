"""pix2pixHD (tfgan.models.pix2pixhd): multi-scale Ds, feature matching, VGG loss, coarse-to-fine G."""

import json
import re

import numpy as np
import pytest
import tensorflow as tf

from tfgan import layers, losses, models, train
from tfgan.models import Pix2PixHD, Pix2PixHDConfig
from tfgan.models.pix2pixhd import VGG_LAYERS, MultiscaleDiscriminator, downsample, nlayer_discriminator

from test_pix2pix import paired_folder, trainable_count


def tiny(**changes):
    """32 px pairs, few filters; no VGG unless asked (random VGG weights when it is)."""
    values = dict(image_size=32, channels=3, ngf=4, ndf=4, batch_size=2, patch_size=16, num_d=3,
                  global_blocks=1, local_blocks=1, lambda_vgg=0.0, vgg_weights="none", steps=2,
                  checkpoint_every=2, sample_every=2, log_every=1, num_samples=4)
    values.update(changes)
    return Pix2PixHDConfig(**values)


def weights_of(network):
    return [w.numpy().copy() for w in network.trainable_weights]


def changed(before, network):
    return [not np.allclose(b, w.numpy()) for b, w in zip(before, network.trainable_weights)]


# -- the pieces, against NumPy ------------------------------------------------------------------------
def numpy_downsample(x):
    """AvgPool2d(3, stride 2, padding 1, count_include_pad=False), one window at a time."""
    n, h, w, c = x.shape
    out = np.zeros((n, (h + 1) // 2, (w + 1) // 2, c))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            rows = slice(max(2 * i - 1, 0), min(2 * i + 2, h))
            cols = slice(max(2 * j - 1, 0), min(2 * j + 2, w))
            out[:, i, j] = x[:, rows, cols].mean(axis=(1, 2))
    return out


@pytest.mark.parametrize("shape", [(2, 8, 8, 3), (1, 7, 5, 2)])
def test_downsample_is_average_pooling_without_counting_the_padding(shape):
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    np.testing.assert_allclose(downsample(x).numpy(), numpy_downsample(x), rtol=1e-5, atol=1e-6)
    constant = np.full(shape, 0.7, np.float32)  # padding not counted: a flat image stays flat
    np.testing.assert_allclose(downsample(constant).numpy(), 0.7, rtol=1e-6)


def test_feature_matching_loss_against_numpy():
    """lectures/15_pix2pixhd.md, Eq. (6): (1/K) sum_k sum_i (4/T) mean|real - fake|."""
    rng = np.random.default_rng(1)
    shapes = [[(2, 5, 5, 3), (2, 3, 3, 4)], [(2, 4, 4, 3), (2, 2, 2, 4)], [(2, 3, 3, 3), (2, 2, 2, 4)]]
    real = [[rng.normal(size=s).astype(np.float32) for s in d] for d in shapes]
    fake = [[rng.normal(size=s).astype(np.float32) for s in d] for d in shapes]
    expected = np.mean([sum(4 / len(r) * np.abs(a - b).mean() for a, b in zip(r, f)) for r, f in zip(real, fake)])
    got = float(losses.multiscale_feature_matching_loss(real, fake))
    assert got == pytest.approx(expected, rel=1e-5)
    assert float(losses.multiscale_feature_matching_loss(real, real)) == 0.0
    # hand-worked: one D, T = 2 layers, |difference| 1 everywhere in one and 3 in the other: 2*1 + 2*3
    ones = [[np.zeros((1, 2, 2, 1)), np.zeros((1, 1, 1, 2))]]
    other = [[np.ones((1, 2, 2, 1)), np.full((1, 1, 1, 2), -3.0)]]
    assert float(losses.multiscale_feature_matching_loss(ones, other)) == pytest.approx(8.0)
    with pytest.raises(ValueError, match="one list of feature maps per discriminator"):
        losses.multiscale_feature_matching_loss(real, fake[:2])


def test_feature_l1_loss_is_the_weighted_vgg_sum():
    """lectures/15_pix2pixhd.md, Eq. (7) with the layer weights 1/32 ... 1."""
    rng = np.random.default_rng(2)
    real = [rng.normal(size=(2, 16 // 2**i, 16 // 2**i, 3)).astype(np.float32) for i in range(5)]
    fake = [rng.normal(size=r.shape).astype(np.float32) for r in real]
    expected = sum(w * np.abs(r - f).mean() for w, r, f in zip((1 / 32, 1 / 16, 1 / 8, 1 / 4, 1), real, fake))
    assert float(losses.feature_l1_loss(real, fake, losses.VGG_LAYER_WEIGHTS)) == pytest.approx(expected, rel=1e-5)
    assert float(losses.feature_l1_loss(real[:1], fake[:1])) == pytest.approx(np.abs(real[0] - fake[0]).mean(), rel=1e-5)
    with pytest.raises(ValueError, match="one weight per layer"):
        losses.feature_l1_loss(real, fake, [1.0])


# -- the networks -----------------------------------------------------------------------------------
def test_the_multiscale_discriminator_sees_three_resolutions():
    d = MultiscaleDiscriminator(channels=2, num_d=3, ndf=4, n_layers=3)
    pairs = np.random.default_rng(0).normal(size=(2, 64, 64, 2)).astype(np.float32)
    assert [tuple(x.shape) for x in d.scale_inputs(pairs)] == [(2, 64, 64, 2), (2, 32, 32, 2), (2, 16, 16, 2)]
    outputs = d(pairs)
    assert len(outputs) == 3 and all(len(o) == 5 for o in outputs)  # 4 hidden layers + logits each
    # 4x4 convolutions padded by 2: stride 2 gives n/2 + 1, stride 1 gives n + 1
    assert [tuple(o[-1].shape) for o in outputs] == [(2, 11, 11, 1), (2, 7, 7, 1), (2, 5, 5, 1)]
    assert [o[0].shape[-1] for o in outputs] == [4, 4, 4] and outputs[0][3].shape[-1] == 32
    # D_k is D_1's architecture applied to the k-times downsampled pair
    again = d.scales[1](downsample(pairs))
    np.testing.assert_allclose(outputs[1][-1].numpy(), again[-1].numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("k, expected", [(0, 70), (1, 141), (2, 283)])
def test_receptive_field_doubles_per_scale(k, expected):
    """lectures/15_pix2pixhd.md, Eq. (5): by formula (3x3 stride-2 pools before a 70x70 PatchGAN)
    and by the input region one logit's gradient touches."""
    d = nlayer_discriminator(1, ndf=2, n_layers=3, norm="none")
    pool = tf.keras.layers.AveragePooling2D(3, strides=2)
    assert layers.receptive_field([pool] * k + d.layers) == expected
    size = 360
    x = tf.random.normal((1, size, size, 1), seed=3)
    with tf.GradientTape() as tape:
        tape.watch(x)
        h = x
        for _ in range(k):
            h = downsample(h)
        logits = d(h)[-1]
        centre = logits.shape[1] // 2
        unit = logits[0, centre, centre, 0]
    touched = np.argwhere(np.abs(tape.gradient(unit, x).numpy()[0, :, :, 0]) > 0)
    assert (touched.max(axis=0) - touched.min(axis=0) + 1).tolist() == [expected, expected]


def test_default_offline_model_sizes_and_pinned_counts():
    model = Pix2PixHD(Pix2PixHDConfig())
    cfg = model.config
    assert (cfg.dataset, cfg.image_size, cfg.channels, cfg.ngf, cfg.ndf, cfg.batch_size) == (
        "fashion_edges2shoes", 64, 1, 16, 32, 16)
    assert (cfg.global_downsamplings, cfg.global_blocks, cfg.local_blocks, cfg.num_d, cfg.patch_size) == (2, 4, 3, 3, 70)
    assert trainable_count(model.global_generator) == 1_368_449
    assert trainable_count(model.local_enhancer) == 66_337
    assert trainable_count(model.discriminator) == 2_081_187  # 3 x 693,729
    x = np.zeros((2, 64, 64, 1), np.float32)
    assert model.generator(x).shape == (2, 64, 64, 1)
    assert model.global_generator(np.zeros((2, 32, 32, 1), np.float32)).shape == (2, 32, 32, 1)
    assert model.global_features(np.zeros((2, 32, 32, 1), np.float32)).shape == (2, 32, 32, 32)  # 2 ngf


def test_paper_sizes_at_256_px():
    cfg = Pix2PixHDConfig(dataset="folder:/nonexistent", image_size=256, channels=3).resolve_auto()
    assert (cfg.ngf, cfg.ndf, cfg.global_downsamplings, cfg.global_blocks, cfg.batch_size) == (64, 64, 4, 9, 1)


def test_coarse_to_fine_generator_adds_g1_features_to_g2_front_end():
    """lectures/15_pix2pixhd.md, Eq. (9): G(s) = G2^B(G2^F(s) + G1^F(s down 2))."""
    model = Pix2PixHD(tiny())
    s = tf.constant(np.random.default_rng(4).uniform(-1, 1, (2, 32, 32, 3)), tf.float32)
    g1 = model.global_features(downsample(s))
    np.testing.assert_allclose(model.generator(s).numpy(), model.local_enhancer([s, g1]).numpy(), atol=1e-6)
    zero = model.local_enhancer([s, tf.zeros_like(g1)]).numpy()
    assert not np.allclose(zero, model.generator(s).numpy())  # G1's features matter


@pytest.mark.parametrize("changes, message", [
    ({"num_d": 0}, "--num-d must be in [1, 4]"),
    ({"coarse_fraction": 1.5}, "--coarse-fraction must be in [0, 1]"),
    ({"patch_size": 1}, "has no hidden layers to match"),
    ({"image_size": 40, "global_downsamplings": 3}, "--image-size must be a multiple of 16"),
    ({"image_size": 24, "lambda_vgg": 1.0}, "needs images of at least 16 px at half resolution"),
    ({"gan_loss": "wasserstein"}, "--gan-loss must be one of"),
])
def test_bad_config_values_are_rejected(changes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Pix2PixHD(tiny(**changes))


# -- training ---------------------------------------------------------------------------------------
def batch(size=32):
    source = np.random.default_rng(0).uniform(-1, 1, (2, size, size, 3)).astype(np.float32)
    return source, -source


def test_the_coarse_phase_trains_only_g1():
    model = Pix2PixHD(tiny(coarse_fraction=0.5, steps=4))
    model.compile(jit_compile=False)
    assert model.coarse_steps == 2 and model.in_coarse_phase()
    before = {n: weights_of(net) for n, net in model.networks().items()}
    logs = model.train_step(batch())
    assert float(logs["coarse"]) == 1.0
    assert all(changed(before["global_generator"], model.global_generator))
    assert not any(changed(before["local_enhancer"], model.local_enhancer))
    assert any(changed(before["discriminator"], model.discriminator))
    assert int(model.l_optimizer.iterations.numpy()) == 0 and int(model.step_counter.numpy()) == 1


def test_one_joint_step_changes_g1_g2_and_d_by_the_full_objective():
    """lectures/15_pix2pixhd.md, Eq. (8): g_loss = sum_k L_GAN + 10 L_FM + 10 L_VGG (random VGG)."""
    model = Pix2PixHD(tiny(coarse_fraction=0.0, lambda_vgg=10.0))
    model.compile(jit_compile=False)
    before = {n: weights_of(net) for n, net in model.networks().items()}
    logs = model.train_step(batch())
    for name, net in model.networks().items():
        moved = changed(before[name], net)
        if name == "global_generator":  # all but its image output layer, unused by G2
            names = [w.path for w in net.trainable_weights]
            assert [m for m, n in zip(moved, names) if "output" not in n] and all(
                m for m, n in zip(moved, names) if "output" not in n), name
            assert not any(m for m, n in zip(moved, names) if "output/" in n)
        else:
            assert all(moved) if name == "local_enhancer" else any(moved), name
    assert set(logs) == set(Pix2PixHD.tracker_names) and float(logs["coarse"]) == 0.0
    assert all(np.isfinite(float(v)) for v in logs.values()) and float(logs["g_vgg"]) > 0
    expected = float(logs["g_gan"]) + 10 * float(logs["g_fm"]) + 10 * float(logs["g_vgg"])
    assert float(logs["g_loss"]) == pytest.approx(expected, rel=1e-5)


def test_vgg_loss_reads_relu_b_1_of_grey_images_repeated_to_rgb():
    model = Pix2PixHD(tiny(channels=1, lambda_vgg=1.0))
    rng = np.random.default_rng(5)
    real, fake = (rng.uniform(-1, 1, (2, 32, 32, 1)).astype(np.float32) for _ in range(2))
    features_real = model.vgg(np.repeat(real, 3, -1))
    features_fake = model.vgg(np.repeat(fake, 3, -1))
    assert model.vgg.output_layers == VGG_LAYERS
    expected = sum(w * np.abs(features_real[n].numpy() - features_fake[n].numpy()).mean()
                   for w, n in zip(losses.VGG_LAYER_WEIGHTS, VGG_LAYERS))
    assert float(model.vgg_loss(real, fake)) == pytest.approx(expected, rel=1e-4)


def test_translate_uses_g1_in_the_coarse_phase_and_g_after():
    model = Pix2PixHD(tiny(coarse_fraction=0.5, steps=2))
    model.compile(jit_compile=False)
    s, _ = batch()
    coarse = tf.image.resize(model.global_generator(downsample(s)), (32, 32)).numpy()
    np.testing.assert_allclose(model.translate(s).numpy(), coarse, atol=1e-6)
    model.g_optimizer.iterations.assign(1)  # the joint phase starts at step 1
    np.testing.assert_allclose(model.translate(s).numpy(), model.generator(s).numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="translates a2b only"):
        model.translate(s, "b2a")


# -- evaluation, CLI ----------------------------------------------------------------------------------
def test_evaluation_and_preview_on_a_folder(tmp_path):
    model = Pix2PixHD(tiny(dataset=f"folder:{paired_folder(tmp_path / 'neg', size=32)}", coarse_fraction=0.0))
    model.compile(jit_compile=False)
    results = model.evaluation()
    assert results["examples"] == 3.0 and set(results) == {"examples", "l1", "psnr_db"}
    source, target = model.held_out()
    fake = model.translate(source).numpy()
    assert results["l1"] == pytest.approx(float(np.mean(np.abs(fake - target))), rel=1e-5)
    grid = model.preview_grid(64)  # input | G1 | G | target, 3 held-out pairs
    assert grid.shape == (4 * (2 * 32 + 2) + 2, 3 * (2 * 32 + 2) + 2, 3)  # drawn at twice the size


@pytest.mark.slow
def test_cli_trains_coarse_then_joint_and_resumes(tmp_path, capsys):
    folder = paired_folder(tmp_path / "neg", size=32)
    run_dir = tmp_path / "run"
    argv = ["pix2pixhd", "--dataset", f"folder:{folder}", "--image-size", "32", "--ngf", "4", "--ndf", "4",
            "--batch-size", "2", "--patch-size", "16", "--global-blocks", "1", "--local-blocks", "1",
            "--vgg-weights", "none", "--steps", "4", "--coarse-fraction", "0.5", "--log-every", "1",
            "--sample-every", "4", "--checkpoint-every", "4", "--output-dir", str(run_dir)]
    assert train.main(argv) == 0
    saved = json.loads((run_dir / "config.json").read_text())
    assert saved["model"] == "pix2pixhd" and saved["config"]["global_downsamplings"] == 1
    rows = (run_dir / "metrics.csv").read_text().splitlines()
    header = rows[0].split(",")
    assert header[: len(Pix2PixHD.tracker_names) + 1] == ["step", *Pix2PixHD.tracker_names]
    coarse = [float(r.split(",")[header.index("coarse")]) for r in rows[1:]]
    assert coarse == [1.0, 1.0, 0.0, 0.0]  # two G1-only steps, then two joint ones (logged every step)
    assert train.main(argv[:-4] + ["--steps", "5", "--output-dir", str(run_dir)]) == 0
    assert "steps 4 -> 5" in capsys.readouterr().out
    model = train.load_model(str(run_dir))
    assert isinstance(model, Pix2PixHD) and int(model.step_counter.numpy()) == 5
    assert int(model.l_optimizer.iterations.numpy()) == 3
    assert set(model.evaluation()) == {"examples", "l1", "psnr_db"}


@pytest.mark.slow
@pytest.mark.parametrize("argv, message", [
    (["pix2pixhd", "--dataset", "fashion_sneakers2boots"], "is unpaired"),
    (["pix2pixhd", "--num-d", "9"], "--num-d must be in [1, 4]"),
    (["pix2pixhd", "--vgg-weights", "/no/such/vgg.weights.h5"], "vgg.weights.h5"),
    (["pix2pixhd", "--image-size", "40", "--global-downsamplings", "3"], "multiple of 16"),
])
def test_cli_bad_input_exits_2_with_one_line(argv, message, tmp_path, capsys, data_dir):
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(train.main(argv + ["--output-dir", str(tmp_path / "r")]))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_registry_entry():
    entry = models.get("pix2pixhd")
    assert entry.model_class is Pix2PixHD and entry.default_dataset == "fashion_edges2shoes"


def test_translate_image_pads_to_what_g1_and_g2_accept():
    from tfgan import inference

    model = Pix2PixHD(tiny(global_downsamplings=2, coarse_fraction=0.0))
    model.compile(jit_compile=False)
    assert inference.size_multiple(model) == 8
    image = np.random.default_rng(6).integers(0, 256, (21, 13, 3), dtype=np.uint8)
    out = inference.translate_image(model, image)
    assert out.shape == (21, 13, 3) and out.dtype == np.uint8
