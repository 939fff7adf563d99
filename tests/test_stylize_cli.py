"""python -m tfgan.stylize end to end on small images with random weights, and its bad inputs."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tfgan import stylize

SMALL = ["--weights", "none", "--size", "32", "--content-layers", "block2_conv2",
         "--style-layers", "block1_conv1,block2_conv1"]


def _png(path, h=40, w=30, seed=0):
    rng = np.random.default_rng(seed)
    image = tf.image.resize(rng.uniform(0, 255, (1, h // 5, w // 5, 3)), (h, w)).numpy()[0]
    path.write_bytes(tf.io.encode_png(image.astype(np.uint8)).numpy())
    return str(path)


@pytest.mark.slow
def test_cli_end_to_end_in_a_subprocess(tmp_path):
    content, style = _png(tmp_path / "c.png"), _png(tmp_path / "s.png", 24, 24, seed=1)
    out = tmp_path / "out" / "result.png"
    proc = subprocess.run(
        [sys.executable, "-m", "tfgan.stylize", content, style, "--output", str(out), "--steps", "4",
         "--save-every", "2", *SMALL],
        capture_output=True, text=True, timeout=300, env=dict(os.environ, TFGAN_OFFLINE="1"),
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    image = tf.io.decode_png(tf.io.read_file(str(out))).numpy()
    assert image.shape == (32, 24, 3)  # 40x30 shrunk to a longer side of 32, aspect kept
    assert sorted(p.name for p in out.parent.iterdir()) == ["result.png", "result_step000002.png"]
    assert "Wrote" in proc.stdout and "4 adam steps" in proc.stdout and "weights None" in proc.stdout
    assert "style=" in proc.stderr  # the progress bar shows the losses


def test_cli_options_in_process(tmp_path, capsys):
    content = _png(tmp_path / "c.png")
    styles = [_png(tmp_path / "s1.png", seed=1), _png(tmp_path / "s2.png", seed=2)]
    out = tmp_path / "mix.jpg"
    code = stylize.main([content, *styles, "--output", str(out), "--steps", "2", "--optimizer", "lbfgs",
                         "--style-weights", "2,1", "--preserve-color", "--init", "noise", *SMALL])
    assert code == 0
    assert tf.io.decode_jpeg(tf.io.read_file(str(out))).shape == (32, 24, 3)
    assert "2 lbfgs steps" in capsys.readouterr().out


def _error(capsys, argv):
    code = stylize.main(argv)
    err = capsys.readouterr().err.strip()
    return code, err


@pytest.mark.parametrize("case", ["missing", "directory", "text", "truncated", "small", "layer", "style_weights"])
def test_bad_inputs_exit_2_with_one_line(tmp_path, capsys, case):
    good = _png(tmp_path / "good.png")
    out = ["--output", str(tmp_path / "o.png"), "--steps", "1"]
    if case == "missing":
        with pytest.raises(SystemExit) as info:
            stylize.main([str(tmp_path / "nope.jpg"), good, *out, *SMALL])
        assert info.value.code == 2
        err = capsys.readouterr().err.strip()
        assert "image file not found" in err and "nope.jpg" in err
        return
    if case == "directory":
        argv, expect = [good, str(tmp_path), *out, *SMALL], "image file not found"
        with pytest.raises(SystemExit) as info:
            stylize.main(argv)
        assert info.value.code == 2 and expect in capsys.readouterr().err
        return
    if case == "text":
        bad = tmp_path / "notes.jpg"
        bad.write_text("hello")
        argv, expect = [good, str(bad), *out, *SMALL], "Unsupported image format"
    elif case == "truncated":
        bad = tmp_path / "cut.png"
        bad.write_bytes((tmp_path / "good.png").read_bytes()[:50])
        argv, expect = [str(bad), good, *out, *SMALL], "Cannot decode"
    elif case == "small":
        argv = [good, good, *out, "--weights", "none", "--size", "12"]  # block5_conv1 needs 16
        expect = "too small for layer 'block5_conv1'"
    elif case == "layer":
        argv = [good, good, *out, "--weights", "none", "--style-layers", "block9_conv1"]
        expect = "Unknown vgg19 layer(s)"
    else:
        argv = [good, good, *out, *SMALL, "--style-weights", "1,2"]
        expect = "non-negative style_weights"
    code, err = _error(capsys, argv)
    assert code == 2 and expect in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_bad_flags_exit_2(tmp_path, capsys):
    good = _png(tmp_path / "good.png")
    for argv, expect in (
        ([good, good, "--output", "x.gif"], "--output must end in .png, .jpg or .jpeg"),
        ([good, good, "--steps", "0"], "expected a positive integer"),
        ([good, good, "--optimizer", "sgd"], "invalid choice"),
        ([good, good, "--preserve-color", "sepia"], "invalid choice"),
    ):
        with pytest.raises(SystemExit) as info:
            stylize.main(argv)
        assert info.value.code == 2
        assert expect in capsys.readouterr().err
