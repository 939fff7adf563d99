"""python -m tfgan.upscale: tiles equal one pass, files end to end, bad inputs exit 2 with one line."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from PIL import Image

from tfgan import models, train, upscale
from tfgan.models import SRResNetConfig, srgan


@pytest.fixture(scope="module")
def generator():
    keras.utils.set_random_seed(3)
    cfg = SRResNetConfig(residual_blocks=2, filters=8, scale=2)
    return cfg, srgan.build_generator(cfg)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A tiny srresnet run (x2, two steps on the offline photos)."""
    out = tmp_path_factory.mktemp("runs") / "srresnet"
    config = SRResNetConfig(residual_blocks=1, filters=8, scale=2, hr_size=32, batch_size=2, crops_per_image=2,
                            steps=2, num_samples=1, log_every=1, output_dir=str(out))
    train.run(config, progress=False)
    return out


def _image(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_tile_cores_cover_the_image_once():
    cover = np.zeros((37, 50), int)
    for (top, left, bottom, right), (ptop, pleft, pbottom, pright) in upscale.tiles(37, 50, 16, 5):
        cover[top:bottom, left:right] += 1
        assert (ptop, pleft) == (max(0, top - 5), max(0, left - 5))
        assert (pbottom, pright) == (min(37, bottom + 5), min(50, right + 5))
    assert np.all(cover == 1)


def test_tiles_with_enough_overlap_equal_a_single_pass(generator):
    cfg, g = generator
    image = _image(45, 61)
    radius = srgan.receptive_radius(cfg)
    whole = g(image[None].astype(np.float32) / 255.0, training=False)[0].numpy()
    tiled = upscale.upscale(g, image, 2, tile=16, overlap=radius, as_uint8=False)
    assert tiled.shape == (90, 122, 3) and len(upscale.tiles(45, 61, 16, radius)) == 12
    np.testing.assert_allclose(tiled, whole, atol=1e-5)
    as_uint8 = upscale.upscale(g, image, 2, tile=16, overlap=radius)
    expected = np.clip(np.round((whole + 1) * 127.5), 0, 255).astype(np.uint8)
    assert np.mean(as_uint8 == expected) > 0.999  # rounding ties may differ by one level
    # Too little context is visible: the test above can fail.
    short = upscale.upscale(g, image, 2, tile=16, overlap=2, as_uint8=False)
    assert np.abs(short - whole).max() > 1e-3


def test_upscale_rejects_non_rgb_uint8(generator):
    _, g = generator
    with pytest.raises(ValueError, match="uint8 RGB image.*shape=\\(4, 4\\)"):
        upscale.upscale(g, np.zeros((4, 4), np.uint8), 2)
    with pytest.raises(ValueError, match="dtype=float32"):
        upscale.upscale(g, np.zeros((4, 4, 3), np.float32), 2)


@pytest.mark.slow
def test_cli_upscales_files_and_folders(tmp_path, run_dir):
    inputs = tmp_path / "in"
    inputs.mkdir()
    Image.fromarray(_image(30, 41, 1)).save(inputs / "a.png")
    Image.fromarray(_image(20, 25, 2)).save(inputs / "b.jpg", quality=95)
    single = tmp_path / "c.png"
    Image.fromarray(_image(64, 70, 3)).save(single)
    out = tmp_path / "out"
    env = dict(os.environ, TFGAN_OFFLINE="1")
    proc = subprocess.run(
        [sys.executable, "-m", "tfgan.upscale", str(run_dir), str(inputs), str(single), "--output", str(out),
         "--bicubic", "--tile", "16"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Upscaling 3 image(s) x2" in proc.stdout and "Done: 3 image(s)" in proc.stdout
    sizes = {p.name: Image.open(p).size for p in out.iterdir()}
    assert sizes == {"a_x2.png": (82, 60), "a_bicubic_x2.png": (82, 60), "b_x2.png": (50, 40),
                     "b_bicubic_x2.png": (50, 40), "c_x2.png": (140, 128), "c_bicubic_x2.png": (140, 128)}
    # The CLI writes what the model computes.
    model = train.load_model(str(run_dir))
    np.testing.assert_array_equal(np.asarray(Image.open(out / "c_x2.png")), model.upscale(_image(64, 70, 3)))


def test_from_hr_scores_against_the_original(tmp_path, run_dir, capsys):
    photo = tmp_path / "photo.png"
    Image.fromarray(_image(41, 53, 4)).save(photo)
    assert upscale.main([str(run_dir), str(photo), "--output", str(tmp_path / "out"), "--from-hr"]) == 0
    out = capsys.readouterr().out
    assert "photo.png: 26x20 -> 52x40" in out  # 53x41 cropped to 52x40, downscaled to 26x20
    assert "PSNR" in out and "(bicubic:" in out and "Y channel, border 2" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["{run}", "{tmp}/missing.png"], "No such file or folder: .*missing.png"),
        (["{run}", "{tmp}/notes.txt"], "Unsupported image format: .*notes.txt"),
        (["{run}", "{tmp}/broken.png"], "Cannot decode image .*broken.png"),
        (["{tmp}/nowhere", "{tmp}/ok.png"], "Run directory not found"),
        (["{tmp}/dcgan", "{tmp}/ok.png"], "is a dcgan run; expected an srresnet or srgan run"),
        (["{run}", "{tmp}/ok.png", "--tile", "4"], "--tile must be >= 8"),
        (["{run}", "{tmp}/ok.png", "--overlap", "-1"], "--overlap must be >= 0"),
        (["{run}", "{tmp}/tiny.png", "--from-hr"], "needs at least 15 on each side"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, message, tmp_path, run_dir, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    Image.fromarray(_image(12, 12)).save(tmp_path / "ok.png")
    Image.fromarray(_image(12, 12)).save(tmp_path / "tiny.png")
    (tmp_path / "dcgan").mkdir()
    (tmp_path / "dcgan" / "config.json").write_text(json.dumps(train.config_to_dict(models.DCGANConfig())))
    argv = [a.format(run=run_dir, tmp=tmp_path) for a in args] + ["--output", str(tmp_path / "out")]
    try:
        code = upscale.main(argv)
    except SystemExit as exit_:  # argparse errors
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert __import__("re").search(message, err), err


def test_generate_points_sr_runs_to_upscale(run_dir, tmp_path, capsys):
    from tfgan import generate

    assert generate.main([str(run_dir), "--output", str(tmp_path / "s.npz")]) == 2
    assert "use python -m tfgan.upscale RUN_DIR INPUT... --output DIR" in capsys.readouterr().err
