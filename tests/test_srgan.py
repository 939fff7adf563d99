"""SRResNet and SRGAN: networks, pixel shuffle, HR/LR data, losses, PSNR/SSIM, train steps, --init-from."""

import json
import time

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tfgan import data, errors, losses, metrics, models, runs, train, trainer
from tfgan.layers import PixelShuffle
from tfgan.models import SRGAN, SRGANConfig, SRResNet, SRResNetConfig, srgan

TINY = dict(residual_blocks=1, filters=8, hr_size=32, batch_size=2, crops_per_image=2)


def _weights(network):
    return [w.numpy().copy() for w in network.trainable_weights]


def _changed(before, network):
    return any(not np.allclose(b, a.numpy()) for b, a in zip(before, network.trainable_weights))


def _photos(n=3, seed=0, size=(40, 52)):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (size[0] + 4 * i, size[1], 3), dtype=np.uint8) for i in range(n)]


# -- registry, networks, parameter counts ----------------------------------------------------------
def test_registry_has_both_phases_with_the_offline_photos_as_default():
    assert models.get("srresnet").model_class is SRResNet
    assert models.get("srgan").config_class is SRGANConfig
    assert models.get("srgan").default_dataset == models.get("srresnet").default_dataset == "sr_photos"
    cfg = SRGANConfig()  # the paper's settings are the defaults
    assert (cfg.scale, cfg.residual_blocks, cfg.filters, cfg.hr_size, cfg.batch_size) == (4, 16, 64, 96, 16)
    assert (cfg.g_lr, cfg.beta1, cfg.adversarial_weight, cfg.content_layer) == (1e-4, 0.9, 1e-3, "block5_conv4")


def _generator_params(b, f, scale):
    """Figure 4's generator counted by hand: conv weights + biases, BN (4 per channel), PReLU."""
    first = 9 * 9 * 3 * f + f + f  # k9n64 conv + PReLU slopes
    block = 2 * (3 * 3 * f * f) + 2 * 4 * f + f  # two bias-free convs, two BNs, one PReLU
    after = 3 * 3 * f * f + 4 * f  # conv + BN before the long skip
    ups = sum(3 * 3 * f * f * r * r + f * r * r + f for r in srgan.upsample_factors(scale))
    last = 9 * 9 * f * 3 + 3
    return first + b * block + after + ups + last


@pytest.mark.parametrize(
    "scale, g_params",
    [(4, 1_552_771), (2, 1_404_995)],  # the paper's B = 16, 64 filters
)
def test_paper_generator_pinned_parameter_count(scale, g_params):
    generator = srgan.build_generator(SRResNetConfig(scale=scale))
    assert generator.count_params() == g_params == _generator_params(16, 64, scale)


def test_paper_discriminator_pinned_parameter_count_and_layers():
    d = srgan.build_discriminator(SRGANConfig())
    assert d.count_params() == 23_567_361
    convs = [l for l in d.layers if isinstance(l, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [64, 64, 128, 128, 256, 256, 512, 512]
    assert [c.strides[0] for c in convs] == [1, 2, 1, 2, 1, 2, 1, 2]
    assert sum(isinstance(l, keras.layers.BatchNormalization) for l in d.layers) == 7  # not after the first
    assert all(l.negative_slope == pytest.approx(0.2) for l in d.layers if isinstance(l, keras.layers.LeakyReLU))
    dense = [l.units for l in d.layers if isinstance(l, keras.layers.Dense)]
    assert dense == [1024, 1] and d.layers[-1].activation.__name__ == "linear"  # a logit


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_shapes_any_input_size(scale):
    cfg = SRGANConfig(**{**TINY, "hr_size": 48}, scale=scale, d_filters=4, d_dense=8)
    model = SRGAN(cfg)
    assert model.generator.count_params() == _generator_params(1, 8, scale)
    for h, w in [(5, 7), (12, 12)]:
        out = model.generator(tf.random.uniform((2, h, w, 3)))
        assert out.shape == (2, h * scale, w * scale, 3)
    assert model.discriminator(tf.zeros((3, 48, 48, 3))).shape == (3, 1)
    assert model.discriminator.count_params() > 0 and "PReLU" in [type(l).__name__ for l in model.generator.layers]


# -- pixel shuffle -----------------------------------------------------------------------------------
def _pixel_shuffle_numpy(x, r):
    """Shi et al. 2016, eq. 4 written with loops: out[r y + i, r x + j, c] = x[y, x, (i r + j) C + c]."""
    b, h, w, cr2 = x.shape
    c = cr2 // (r * r)
    out = np.zeros((b, h * r, w * r, c), x.dtype)
    for y in range(h):
        for x_ in range(w):
            for i in range(r):
                for j in range(r):
                    out[:, r * y + i, r * x_ + j, :] = x[:, y, x_, (i * r + j) * c : (i * r + j + 1) * c]
    return out


@pytest.mark.parametrize("r, channels", [(2, 3), (3, 2)])
def test_pixel_shuffle_matches_numpy(r, channels):
    x = np.random.default_rng(r).normal(size=(2, 3, 4, channels * r * r)).astype(np.float32)
    layer = PixelShuffle(r)
    np.testing.assert_array_equal(layer(x).numpy(), _pixel_shuffle_numpy(x, r))
    assert layer.compute_output_shape((2, 3, None, channels * r * r)) == (2, 3 * r, None, channels)
    clone = PixelShuffle.from_config(layer.get_config())
    assert clone.factor == r


def test_pixel_shuffle_rejects_bad_arguments():
    with pytest.raises(ValueError, match="factor=1"):
        PixelShuffle(1)
    with pytest.raises(ValueError, match="divisible by 4"):
        PixelShuffle(2)(np.zeros((1, 2, 2, 6), np.float32))


def test_receptive_radius_bounds_the_influence_of_one_pixel():
    """Flip one LR pixel: outputs change only within receptive_radius LR pixels of it (and do change near it)."""
    cfg = SRResNetConfig(residual_blocks=2, filters=8, scale=4)
    keras.utils.set_random_seed(0)
    generator = srgan.build_generator(cfg)
    assert srgan.receptive_radius(cfg) == 12  # 4 + 2*2 + 1 + 1 + 1/2 + 4/4 = 11.5
    lr = np.random.default_rng(0).uniform(size=(1, 40, 40, 3)).astype(np.float32)
    flipped = lr.copy()
    flipped[0, 20, 20] = 1.0 - flipped[0, 20, 20]
    diff = np.abs(generator(flipped).numpy() - generator(lr).numpy()).max(axis=(0, 3))
    rows, cols = np.nonzero(diff > 0)
    reach = max(20 * 4 - rows.min(), rows.max() - (20 * 4 + 3), 20 * 4 - cols.min(), cols.max() - (20 * 4 + 3))
    assert 11 * 4 <= reach <= srgan.receptive_radius(cfg) * 4


# -- data: image sets and HR/LR pairs -----------------------------------------------------------------
def test_sr_photos_hold_out_whole_photos():
    train_set, test_set = data.load_image_set("sr_photos", "train"), data.load_image_set("sr_photos", "test")
    assert (train_set.count, test_set.count) == (14, 3)
    assert set(data.SR_PHOTOS["train"]).isdisjoint(data.SR_PHOTOS["test"])
    train_photos, test_photos = train_set.numpy(), test_set.numpy()
    assert [p.shape for p in test_photos] == [(300, 451, 3), (400, 600, 3), (600, 512, 3)]
    assert all(p.dtype == np.uint8 and p.ndim == 3 and p.shape[-1] == 3 for p in train_photos)
    assert [p.shape[:2] for p in train_photos] == list(train_set.sizes)
    digests = lambda photos: {p.tobytes()[:100_000] for p in photos}
    assert not digests(train_photos) & digests(test_photos)  # no test photo is among the training ones


def test_folder_image_set_holds_out_the_last_tenth(tmp_path):
    for i in range(10):
        Image.fromarray(np.full((20 + i, 30, 3), i * 20, np.uint8)).save(tmp_path / f"img_{i:02d}.png")
    (tmp_path / "notes.png").write_bytes(b"not an image")  # skipped with a warning
    train_set = data.load_image_set(f"folder:{tmp_path}", "train")
    test_set = data.load_image_set(f"folder:{tmp_path}", "test")
    assert (train_set.count, test_set.count) == (9, 1)
    (held_out,) = test_set.numpy()
    assert held_out.shape == (29, 30, 3) and held_out[0, 0, 0] == 180  # img_09.png
    assert [p.shape[0] for p in train_set.numpy()] == list(range(20, 29))


def test_folder_and_div2k_errors_say_what_to_do(tmp_path):
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "only.png")
    with pytest.raises(data.DatasetNotFoundError, match="1 readable image.*at least 2"):
        data.load_image_set(f"folder:{tmp_path}")
    with pytest.raises(data.DatasetNotFoundError, match="no such folder"):
        data.load_image_set(f"folder:{tmp_path / 'missing'}")
    with pytest.raises(ValueError, match="Unknown image set.*sr_photos"):
        data.load_image_set("set14")
    start = time.perf_counter()
    with pytest.raises(data.DatasetNotFoundError, match="(?s)folder:PATH.*sr_photos.*TFGAN_OFFLINE is set"):
        data.load_image_set("div2k", data_dir=tmp_path)  # offline: fails at once, no download
    assert time.perf_counter() - start < 5


def test_downscale_is_antialiased_bicubic_like_pillow():
    """Keys cubic (a = -0.5) widened by r, as MATLAB imresize and Pillow's BICUBIC reduce."""
    photo = data.load_image_set("sr_photos", "test").numpy(1)[0][:296, :448]
    for r in (2, 4):
        ours = srgan.downscale(photo, r).numpy()
        pillow = np.asarray(Image.fromarray(photo).resize((448 // r, 296 // r), Image.BICUBIC), np.float64)
        assert ours.shape == pillow.shape and np.all(ours == np.round(ours))  # 8-bit levels
        assert np.mean(np.abs(ours - pillow)) < 0.2 and np.mean(np.abs(ours - pillow) > 1) < 0.005
    flat = np.full((16, 16, 3), 77, np.uint8)
    np.testing.assert_array_equal(srgan.downscale(flat, 4).numpy(), 77)  # weights sum to 1


@pytest.mark.slow
def test_pairs_are_crops_in_the_papers_ranges_and_reproducible():
    photos = _photos()
    image_set = data.list_image_set("synthetic", "train", photos)
    batches = lambda seed: list(srgan.make_pairs(image_set, 2, 16, 4, seed, crops_per_image=2, augment=False).take(3))
    first = batches(7)
    for lr, hr in first:
        assert lr.shape == (4, 8, 8, 3) and hr.shape == (4, 16, 16, 3)
        assert 0.0 <= float(tf.reduce_min(lr)) and float(tf.reduce_max(lr)) <= 1.0  # LR in [0, 1]
        assert -1.0 <= float(tf.reduce_min(hr)) and float(tf.reduce_max(hr)) <= 1.0  # HR in [-1, 1]
        np.testing.assert_allclose(lr.numpy(), srgan.downscale((hr.numpy() + 1) * 127.5, 2).numpy() / 255, atol=1e-6)
        for crop in np.round((hr.numpy() + 1) * 127.5).astype(np.uint8):  # each HR crop is a window of a photo
            assert any(_contains(photo, crop) for photo in photos)
    for (lr_a, hr_a), (lr_b, hr_b) in zip(first, batches(7)):
        np.testing.assert_array_equal(hr_a.numpy(), hr_b.numpy())
    assert not np.array_equal(first[0][1].numpy(), batches(8)[0][1].numpy())


def _contains(photo, crop):
    h, w = crop.shape[:2]
    for top in range(photo.shape[0] - h + 1):
        rows = photo[top : top + h]
        for left in range(photo.shape[1] - w + 1):
            if rows[0, left, 0] == crop[0, 0, 0] and np.array_equal(rows[:, left : left + w], crop):
                return True
    return False


def test_pairs_refuse_a_crop_larger_than_every_photo():
    image_set = data.list_image_set("small", "train", _photos(size=(20, 20)))
    with pytest.raises(ValueError, match="smaller than --hr-size 64"):
        srgan.make_pairs(image_set, 4, 64, 2, 0)


# -- training -----------------------------------------------------------------------------------------
def _batch(cfg, n=2, seed=0):
    """Smooth random HR images (sums of a few low-frequency waves), uint8 -> (LR, HR)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[: cfg.hr_size, : cfg.hr_size] / cfg.hr_size
    waves = [np.sin(2 * np.pi * (rng.uniform(0, 2) * x + rng.uniform(0, 2) * y + rng.uniform()))
             for _ in range(n * 3 * 2)]
    hr = np.stack(waves).reshape(n, 3, 2, cfg.hr_size, cfg.hr_size).sum(2).transpose(0, 2, 3, 1)
    return srgan.to_pair(np.round(127.5 + 60 * hr).astype(np.uint8), cfg.scale)


@pytest.mark.slow
def test_srresnet_train_step_lowers_mse_and_reports_psnr():
    keras.utils.set_random_seed(0)
    cfg = SRResNetConfig(**TINY, g_lr=1e-3)
    model = SRResNet(cfg)
    model.compile(jit_compile=False)
    assert set(model.networks()) == {"generator"} and set(model.optimizers()) == {"g_optimizer"}
    batch = _batch(cfg)
    before = _weights(model.generator)
    logs = model.train_step(batch)
    assert _changed(before, model.generator) and set(logs) == {"mse", "psnr"}
    assert float(logs["psnr"]) == pytest.approx(10 * np.log10(4 / float(logs["mse"])), rel=1e-5)
    first = float(logs["mse"])
    for _ in range(20):
        model.trackers["mse"].reset_state()
        logs = model.train_step(batch)
    assert float(logs["mse"]) < 0.5 * first


def test_srgan_train_step_updates_g_and_d_with_vgg_content_loss():
    keras.utils.set_random_seed(0)
    cfg = SRGANConfig(**TINY, d_filters=4, d_dense=8, vgg_weights="none", vgg_backbone="vgg16",
                      content_layer="block2_conv2")
    model = SRGAN(cfg)
    model.compile(jit_compile=False)
    assert model.content_extractor.output_layers == ("block2_conv2",)
    assert not any("block" in v.path for v in model.trainable_variables)  # VGG stays frozen and outside
    g_before, d_before = _weights(model.generator), _weights(model.discriminator)
    lr, hr = _batch(cfg)
    logs = model.train_step((lr, hr))
    assert _changed(g_before, model.generator) and _changed(d_before, model.discriminator)
    assert set(logs) == set(SRGAN.tracker_names)
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert float(logs["g_loss"]) == pytest.approx(float(logs["content_loss"]) + 1e-3 * float(logs["adversarial_loss"]), rel=1e-5)
    assert 0 < float(logs["d_real"]) < 1 and 0 < float(logs["d_fake"]) < 1


def test_srgan_mse_variant_and_config_errors():
    cfg = SRGANConfig(**TINY, d_filters=4, d_dense=8, content_loss="mse")
    model = SRGAN(cfg)
    model.compile(jit_compile=False)
    lr, hr = _batch(cfg)
    sr = model.generator(lr)
    assert float(model.content_loss(hr, sr)) == pytest.approx(float(losses.mse_content_loss(hr, sr)))
    assert model.content_extractor is None
    with pytest.raises(ValueError, match="hed holds VGG16.*--vgg-backbone vgg16 --content-layer block5_conv3"):
        SRGANConfig(vgg_weights="hed").validate()
    with pytest.raises(ValueError, match="multiple of 16"):
        SRGANConfig(hr_size=40).validate()
    with pytest.raises(ValueError, match="--scale must be one of"):
        SRResNetConfig(scale=5).validate()
    with pytest.raises(ValueError, match="multiple of --scale 3"):
        SRResNetConfig(scale=3, hr_size=32).validate()


def _tiny_run(tmp_path, name, **changes):
    values = dict(TINY, steps=2, log_every=1, sample_every=2, checkpoint_every=2, num_samples=2,
                  output_dir=str(tmp_path / name))
    values.update(changes)
    config_class = SRGANConfig if name.startswith("srgan") else SRResNetConfig
    return train.run(config_class(**values), progress=False)


@pytest.fixture(scope="module")
def srresnet_run(tmp_path_factory):
    """A tiny srresnet run: two steps on the offline photos, checkpoint ckpt-2."""
    root = tmp_path_factory.mktemp("runs")
    result = _tiny_run(root, "srresnet")
    assert result.status == "completed"
    return root / "srresnet"


@pytest.mark.slow
def test_cli_trains_srresnet_then_srgan_from_it_then_evaluates(tmp_path, capsys, srresnet_run):
    run_dir = srresnet_run
    assert (run_dir / "samples" / "final.png").exists()
    header = (run_dir / "metrics.csv").read_text().splitlines()[0]
    assert header == "step,mse,psnr,images_per_sec,elapsed_sec"
    grid = np.asarray(Image.open(run_dir / "samples" / "final.png"))
    assert grid.shape == (2 + 2 * (128 + 2), 2 + 3 * (128 + 2), 3)  # rows: bicubic | SR | HR

    code = train.main(["srgan", "--output-dir", str(tmp_path / "srgan"), "--init-from", str(run_dir),
                       "--steps", "1", "--residual-blocks", "1", "--filters", "8", "--hr-size", "32",
                       "--batch-size", "2", "--d-filters", "4", "--d-dense", "8", "--vgg-weights", "none",
                       "--vgg-backbone", "vgg16", "--content-layer", "block1_conv2", "--num-samples", "1"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert f"Initialized the generator from {run_dir / 'checkpoints' / 'ckpt-2'}" in out.out
    header = (tmp_path / "srgan" / "metrics.csv").read_text().splitlines()[0].split(",")
    assert header[1:9] == ["d_loss", "g_loss", "content_loss", "adversarial_loss", "d_real", "d_fake", "psnr", "d_gap"]

    model = train.load_model(str(run_dir))
    scores = model.evaluation(num=1)
    assert set(scores) == {"psnr", "ssim", "bicubic_psnr", "bicubic_ssim", "images"} and scores["images"] == 1
    hr = srgan.mod_crop(data.load_image_set("sr_photos", "test").numpy(1)[0], 4)
    lr = srgan.downscale(hr, 4).numpy().astype(np.uint8)
    bicubic = np.asarray(Image.fromarray(lr).resize(hr.shape[1::-1], Image.BICUBIC))
    # tfgan's bicubic baseline agrees with Pillow's to within rounding (~0.1 dB)
    assert scores["bicubic_psnr"] == pytest.approx(metrics.psnr(hr, bicubic, border=4, y_channel=True), abs=0.15)
    assert 20 < scores["bicubic_psnr"] < 35 and 0 < scores["bicubic_ssim"] < 1


def test_init_from_loads_the_srresnet_generator_and_refuses_other_runs(tmp_path, srresnet_run):
    source = train.load_model(str(srresnet_run))
    model = SRGAN(SRGANConfig(**TINY, d_filters=4, d_dense=8, content_loss="mse", init_from=str(srresnet_run)))
    model.compile(jit_compile=False)
    message = trainer.initialize_from_source(model, model.config, start_step=0)
    assert message == f"Initialized the generator from {runs.latest_checkpoint(str(srresnet_run))}"
    for a, b in zip(source.generator.weights, model.generator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert trainer.initialize_from_source(model, model.config, start_step=5) is None  # resumed: own weights

    other = tmp_path / "dcgan"
    other.mkdir()
    (other / "config.json").write_text(json.dumps(train.config_to_dict(models.DCGANConfig())))
    with pytest.raises(errors.RunError, match="is a dcgan run; expected an srresnet run"):
        model.initialize_from(runs.open_run(str(other)))
    wide = SRGAN(SRGANConfig(**{**TINY, "filters": 16}, d_filters=4, d_dense=8, content_loss="mse"))
    with pytest.raises(errors.RunError, match="--filters 8, but this run has .*--filters 16"):
        wide.initialize_from(runs.open_run(str(srresnet_run)))
    with pytest.raises(errors.RunError, match="not found"):
        runs.open_run(str(tmp_path / "nowhere"))
    untrained = tmp_path / "untrained"
    untrained.mkdir()
    (untrained / "config.json").write_text((srresnet_run / "config.json").read_text())
    with pytest.raises(errors.RunError, match="--init-from .*untrained has no checkpoint yet"):
        model.initialize_from(runs.open_run(str(untrained)))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["srresnet", "--scale", "5"], "--scale must be one of \\[2, 3, 4, 8\\]. Received: 5"),
        (["srresnet", "--dataset", "set14"], "Unknown image set.*Received: name='set14'"),
        (["srresnet", "--dataset", "folder:{tmp}/nowhere"], "no such folder"),
        (["srresnet", "--hr-size", "2048"], "smaller than --hr-size 2048"),
        (["srgan", "--vgg-weights", "hed"], "--vgg-backbone vgg16 --content-layer block5_conv3"),
        (["srgan", "--content-loss", "mse", "--init-from", "{tmp}/dcgan"], "is a dcgan run; expected an srresnet run"),
        (["srgan", "--content-layer", "block1_conv1"] + ["--vgg-weights", "imagenet"],
         "ImageNet weights for vgg19 are not cached.*TFGAN_OFFLINE is set"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # no cached ImageNet weights
    (tmp_path / "dcgan").mkdir()
    (tmp_path / "dcgan" / "config.json").write_text(json.dumps(train.config_to_dict(models.DCGANConfig())))
    small = ["--residual-blocks", "1", "--filters", "8", "--hr-size", "32", "--batch-size", "2", "--steps", "1"]
    if "--hr-size" in argv:
        small = small[:4] + small[6:]
    argv = [a.format(tmp=tmp_path) for a in argv] + small + ["--output-dir", str(tmp_path / "run")]
    code = train.main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert __import__("re").search(message, err), err


def test_tfgan_evaluate_dispatches_to_the_sr_model_and_writes_eval_json(srresnet_run, capsys):
    import json

    from tfgan import evaluate

    assert evaluate.main([str(srresnet_run)]) == 0
    out = capsys.readouterr().out
    result = json.loads((srresnet_run / "eval.json").read_text())
    assert {"psnr", "ssim", "bicubic_psnr", "bicubic_ssim"} <= set(result)
    assert result["step"] == 2 and 0 < result["ssim"] <= 1
    assert "psnr" in out and "bicubic_psnr" in out
