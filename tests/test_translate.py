"""python -m tfgan.translate: padding and resizing, folders, both CycleGAN directions, bad input."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tfgan import imageio, train, translate
from tfgan.models import CycleGAN, CycleGANConfig, DCGAN, DCGANConfig, Pix2Pix, Pix2PixConfig


def save_run(run_dir, model):
    """A run directory as tfgan.train writes it (config.json and a checkpoint), without training."""
    import json

    os.makedirs(run_dir, exist_ok=True)
    with open(os.path.join(run_dir, "config.json"), "w") as f:
        json.dump(train.config_to_dict(model.config), f)
    model.compile(jit_compile=False)
    manager = tf.train.CheckpointManager(train.make_checkpoint(model), os.path.join(run_dir, "checkpoints"), 1)
    manager.save(checkpoint_number=0)
    return str(run_dir)


@pytest.fixture(scope="module")
def pix2pix_run(tmp_path_factory):
    config = Pix2PixConfig(dataset="folder:/unused", image_size=16, channels=3, ngf=4, ndf=4, levels=3, patch_size=16)
    return save_run(tmp_path_factory.mktemp("p2p") / "run", Pix2Pix(config))


@pytest.fixture(scope="module")
def cyclegan_run(tmp_path_factory):
    config = CycleGANConfig(dataset="folder:/unused", image_size=16, channels=1, ngf=4, ndf=4, n_blocks=1, patch_size=16)
    return save_run(tmp_path_factory.mktemp("cg") / "run", CycleGAN(config))


def image(height, width, channels=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (height, width, channels), dtype=np.uint8)


def test_padding_translates_at_native_size_and_crops_back(pix2pix_run):
    model = train.load_model(pix2pix_run)
    assert translate.size_multiple(model) == 8  # 2^levels
    x = image(13, 21)
    out = translate.translate_image(model, x)
    assert out.shape == (13, 21, 3) and out.dtype == np.uint8
    # by hand: reflect-pad to 16 x 24 (top 1, bottom 2, left 1, right 2), translate, crop
    padded = np.pad(x.astype(np.float32) / 127.5 - 1, ((1, 2), (1, 2), (0, 0)), mode="reflect")
    want = np.asarray(model.translate(padded[None]))[0, 1:14, 1:22]
    np.testing.assert_array_equal(out, np.clip(np.round((want + 1) * 127.5), 0, 255).astype(np.uint8))
    exact = image(16, 16)
    direct = np.asarray(model.translate(exact[None].astype(np.float32) / 127.5 - 1))[0]
    np.testing.assert_allclose(translate.translate_image(model, exact) / 127.5 - 1, direct, atol=1 / 127.5)


def test_resize_goes_through_the_training_size(pix2pix_run):
    model = train.load_model(pix2pix_run)
    x = image(40, 24)
    out = translate.translate_image(model, x, resize=True)
    assert out.shape == (40, 24, 3)
    small = tf.image.resize(x.astype(np.float32) / 127.5 - 1, (16, 16), antialias=True).numpy()
    y = np.asarray(model.translate(small[None]))[0]
    want = tf.image.resize(y, (40, 24), antialias=True).numpy()
    np.testing.assert_allclose(out / 127.5 - 1, want, atol=1.5 / 127.5)


@pytest.mark.slow
def test_cli_files_and_folders_with_both_cyclegan_directions(cyclegan_run, tmp_path, capsys):
    folder = tmp_path / "in"
    imageio.write_image(folder / "a.png", image(16, 16))
    imageio.write_image(folder / "b.png", image(20, 12, channels=1, seed=1))
    imageio.write_image(tmp_path / "a.png", image(8, 8, seed=2))  # same name as folder/a.png
    out = tmp_path / "out"
    assert translate.main([cyclegan_run, str(folder), str(tmp_path / "a.png"), "--output", str(out)]) == 0
    assert "Wrote 3 translated images" in capsys.readouterr().out
    assert sorted(os.listdir(out)) == ["a.png", "a_2.png", "b.png"]
    assert imageio.read_image(out / "b.png", channels=1).shape == (20, 12, 1)
    assert translate.translate_image(train.load_model(cyclegan_run), image(3, 5, 1)).shape == (3, 5, 1)
    model = train.load_model(cyclegan_run)
    gray = imageio.read_image(folder / "a.png", channels=1)  # RGB input, 1-channel model
    a2b = imageio.read_image(out / "a.png", channels=1)
    np.testing.assert_array_equal(a2b, translate.translate_image(model, gray, "a2b"))
    assert translate.main([cyclegan_run, str(folder / "a.png"), "--output", str(tmp_path / "f"),
                           "--direction", "b2a"]) == 0
    b2a = imageio.read_image(tmp_path / "f" / "a.png", channels=1)
    np.testing.assert_array_equal(b2a, translate.translate_image(model, gray, "b2a"))
    assert not np.array_equal(a2b, b2a)  # G and F are different networks


def test_bad_inputs_exit_2_with_one_line(pix2pix_run, tmp_path, capsys):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG not really")
    dcgan_run = save_run(tmp_path / "dcgan", DCGAN(DCGANConfig(g_filters=4, d_filters=4)))
    cases = [
        ([pix2pix_run, str(bad), "--output", str(tmp_path / "o")], "Cannot decode image"),
        ([pix2pix_run, str(tmp_path / "nope.png"), "--output", str(tmp_path / "o")], "No such file or folder"),
        ([pix2pix_run, str(tmp_path), "--output", str(tmp_path / "o"), "--direction", "b2a"],
         "translates a2b only"),
        ([dcgan_run, str(bad), "--output", str(tmp_path / "o")], "holds a dcgan run"),
        ([str(tmp_path / "norun"), str(bad), "--output", str(tmp_path / "o")], "Run directory not found"),
    ]
    for argv, message in cases:
        assert translate.main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err, err
    with pytest.raises(SystemExit) as exit_info:
        translate.main([pix2pix_run, str(bad)])  # --output is required
    assert exit_info.value.code == 2


@pytest.mark.slow
def test_module_runs_end_to_end(pix2pix_run, tmp_path):
    imageio.write_image(tmp_path / "in" / "x.jpg.png", image(30, 30))
    proc = subprocess.run(
        [sys.executable, "-m", "tfgan.translate", pix2pix_run, str(tmp_path / "in"), "--output",
         str(tmp_path / "out"), "--resize"],
        capture_output=True, text=True, env=dict(os.environ, TFGAN_OFFLINE="1"), timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert imageio.read_image(tmp_path / "out" / "x.jpg.png").shape == (30, 30, 3)
