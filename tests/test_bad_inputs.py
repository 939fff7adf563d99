"""Bad input to every command, as a careless user or a hostile file would give it: each case must exit
with its code and one line on stderr, no traceback, no partial output, quickly, and without
building a model (validation comes before work).

Every case runs ``main(argv)`` in-process. Building a network, training the classifier or starting
a style transfer raises :class:`BuiltSomething` (not an ``Exception``, so no error boundary can
swallow it): a case that gets that far fails. Run directories are ``config.json`` files only.
"""

import functools
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from tfgan import evaluate, generate, runs, stylize, train, translate, trainer, upscale, viz
from tfgan.models import GANConfig, Pix2PixConfig, SRResNetConfig
from tfgan.models.base import AdversarialModel
from tfgan.style import gatys

MAINS = {"train": train.main, "generate": generate.main, "evaluate": evaluate.main,
         "stylize": stylize.main, "translate": translate.main, "upscale": upscale.main}
#: Seconds a case may take to fail (in-process, TensorFlow already imported; a loaded machine).
TIME_LIMIT = 5.0
TRAIN = ["gan", "--split", "test", "--hidden-units", "8"]


class BuiltSomething(BaseException):
    """Raised when a case gets past validation into real work."""


def _refuse(*args, **kwargs):
    raise BuiltSomething("validation let this case through to real work")


def _png_header(width, height):
    """A PNG signature and IHDR chunk announcing width x height RGB: what a decompression bomb's
    header says (its few kilobytes of IDAT would decode to width * height * 3 bytes)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Files the cases point at: images, run directories (config only), a file, an empty folder."""
    root = tmp_path_factory.mktemp("world")
    viz.save_png(str(root / "photo.png"), np.full((16, 16, 3), 128, np.uint8))
    (root / "bomb.png").write_bytes(_png_header(20000, 20000))
    (root / "a_file").write_text("not a folder")
    (root / "empty").mkdir()
    runs.save_run_config(str(root / "gan_run"), GANConfig(split="test", hidden_units=8))
    runs.save_run_config(str(root / "pix2pix_run"), Pix2PixConfig(image_size=32, channels=1, ngf=8, ndf=8))
    runs.save_run_config(str(root / "sr_run"), SRResNetConfig())
    (root / "bad_run").mkdir()
    (root / "bad_run" / "config.json").write_text('{"model": "gan", "config": {"steps": "many"}}')
    return root


UNWRITABLE = "/proc/tfgan-cannot-write-here"  # refused even to root

#: (command, argv with {w} for the world folder, expected exit code, a fragment of the message)
CASES = [
    # train: numbers
    ("train", [*TRAIN, "--epochs", "inf"], 2, "--epochs must be a finite number"),
    ("train", [*TRAIN, "--epochs", "nan"], 2, "--epochs must be a finite number"),
    ("train", [*TRAIN, "--epochs", "0"], 2, "--epochs must be > 0"),
    ("train", [*TRAIN, "--seed", "-1"], 2, "--seed must be in [0, 4294967295]"),
    ("train", [*TRAIN, "--seed", str(2**40)], 2, "--seed must be in"),
    ("train", [*TRAIN, "--g-lr", "inf"], 2, "--g-lr must be a finite number"),
    ("train", [*TRAIN, "--g-lr", "nan"], 2, "--g-lr must be a finite number"),
    ("train", [*TRAIN, "--d-lr", "0"], 2, "--d-lr must be > 0"),
    ("train", [*TRAIN, "--g-lr=-1e-3"], 2, "--g-lr must be > 0"),
    ("train", [*TRAIN, "--beta1", "1"], 2, "--beta1 must be in [0, 1)"),
    ("train", [*TRAIN, "--label-smoothing", "nan"], 2, "--label-smoothing must be a finite number"),
    ("train", [*TRAIN, "--steps", "0"], 2, "--steps must be >= 1"),
    ("train", [*TRAIN, "--steps", "ten"], 2, "invalid int value"),
    ("train", [*TRAIN, "--batch-size", "0"], 2, "--batch-size must be >= 1"),
    ("train", [*TRAIN, "--checkpoint-every", "-5"], 2, "--checkpoint-every must be >= 1"),
    ("train", [*TRAIN, "--image-shape", "28,28"], 2, "--image-shape must be H,W,C"),
    ("train", [*TRAIN, "--image-shape", "0,28,1"], 2, "--image-shape must be H,W,C"),
    ("train", [*TRAIN, "--image-shape", "a,b,c"], 2, "expected comma-separated integers"),
    # train: sizes beyond memory, refused from the shapes before anything is built
    ("train", [*TRAIN, "--image-shape", "100000,100000,3"], 2, "GiB of memory"),
    ("train", [*TRAIN, "--latent-dim", str(10**10)], 2, "GiB of memory"),
    ("train", [*TRAIN, "--num-samples", str(10**9)], 2, "GiB of memory"),
    ("train", [*TRAIN, "--batch-size", str(10**9)], 2, "GiB of memory"),
    # train: names and paths
    ("train", ["nosuchmodel"], 2, "unknown model"),
    ("train", [*TRAIN, "--dataset", "nosuch"], 2, "Unknown dataset"),
    ("train", [*TRAIN, "--data-dir", "/nonexistent"], 2, "--data-dir /nonexistent is not a folder"),
    ("train", [*TRAIN, "--output-dir", "{w}/a_file"], 2, "--output-dir must be a folder"),
    ("train", [*TRAIN, "--output-dir", "{w}/a_file/run"], 2, "is a file, not a folder"),
    ("train", [*TRAIN, "--output-dir", UNWRITABLE], 2, "--output-dir: cannot write into"),
    ("train", [*TRAIN, "--output-dir", "{w}/bad_run"], 2, "'steps' must be int"),
    ("train", [*TRAIN, "--output-dir", "{w}/gan_run", "--resume"], 2, "has no checkpoint to resume"),
    ("train", [*TRAIN, "--output-dir", "{w}/pix2pix_run"], 2, "holds a pix2pix run, not gan"),
    ("train", ["pix2pix", "--output-dir", "{w}/x", "--direction", "sideways"], 2, "invalid choice"),
    # generate
    ("generate", ["{w}/nowhere"], 2, "Run directory not found"),
    ("generate", ["{w}/empty"], 2, "has no config.json"),
    ("generate", ["{w}/bad_run"], 2, "'steps' must be int"),
    ("generate", ["{w}/pix2pix_run", "--output", "{w}/out/s.npz"], 2, "python -m tfgan.translate"),
    ("generate", ["{w}/sr_run", "--output", "{w}/out/s.npz"], 2, "python -m tfgan.upscale"),
    ("generate", ["{w}/gan_run", "--num", str(10**12), "--output", "{w}/out/s.npz"], 2, "GiB of memory"),
    ("generate", ["{w}/gan_run", "--num", "0"], 2, "expected a positive integer"),
    ("generate", ["{w}/gan_run", "--seed", "-1"], 2, "expected an integer in [0, 2**32)"),
    ("generate", ["{w}/gan_run", "--output", "{w}/out/s.txt"], 2, "--output must end in .npz"),
    ("generate", ["{w}/gan_run", "--output", "{w}/empty"], 2, "--output must end in .npz"),
    ("generate", ["{w}/gan_run", "--output", "{w}/a_file/s.npz"], 2, "is a file, not a folder"),
    ("generate", ["{w}/gan_run", "--output", UNWRITABLE + "/s.npz"], 2, "cannot write into"),
    ("generate", ["{w}/gan_run", "--output", "{w}/out/s.npz", "--grid", "{w}/a_file/g.png"], 2, "--grid: cannot create"),
    ("generate", ["{w}/gan_run", "--labels", "a,b"], 2, "expected comma-separated class numbers"),
    # evaluate
    ("evaluate", ["train-classifier", "--dataset", "foo"], 2, "Unknown dataset"),
    ("evaluate", ["train-classifier", "--output", UNWRITABLE + "/c.weights.h5"], 2, "cannot write into"),
    ("evaluate", ["train-classifier", "--data-dir", "/nonexistent"], 2, "is not a folder"),
    ("evaluate", ["train-classifier", "--epochs", "0"], 2, "expected a positive integer"),
    ("evaluate", ["{w}/nowhere"], 2, "Run directory not found"),
    ("evaluate", ["{w}/bad_run"], 2, "'steps' must be int"),
    ("evaluate", ["{w}/gan_run", "--num", "0"], 2, "expected a positive integer"),
    ("evaluate", ["{w}/gan_run", "--num", str(10**12)], 2, "GiB of memory"),
    ("evaluate", ["{w}/gan_run", "--seed", str(2**33)], 2, "expected an integer in [0, 2**32)"),
    ("evaluate", ["augment", "{w}/gan_run", "--real", "-3"], 2, "expected a positive integer"),
    # stylize
    ("stylize", ["{w}/photo.png", "{w}/photo.png", "--learning-rate", "nan", "-o", "{w}/out/s.png"], 2, "expected a finite number"),
    ("stylize", ["{w}/photo.png", "{w}/photo.png", "--learning-rate", "inf", "-o", "{w}/out/s.png"], 2, "expected a finite number"),
    ("stylize", ["{w}/photo.png", "{w}/photo.png", "--learning-rate", "0", "-o", "{w}/out/s.png"], 2, "expected a number > 0"),
    ("stylize", ["{w}/photo.png", "{w}/photo.png", "--content-weight", "inf", "-o", "{w}/out/s.png"], 2, "expected a finite number"),
    ("stylize", ["{w}/photo.png", "{w}/photo.png", "--style-weight", "nan", "-o", "{w}/out/s.png"], 2, "expected a finite number"),
    ("stylize", ["{w}/photo.png", "{w}/photo.png", "--tv-weight", "-1", "-o", "{w}/out/s.png"], 2, "expected a number >= 0"),
    ("stylize", ["{w}/photo.png", "{w}/photo.png", "--style-weights", "nan", "-o", "{w}/out/s.png"], 2, "finite numbers >= 0"),
    ("stylize", ["{w}/photo.png", "{w}/bomb.png", "--size", "64", "-o", "{w}/out/s.png"], 2, "20000x20000 pixels"),
    ("stylize", ["{w}/bomb.png", "{w}/photo.png", "-o", "{w}/out/s.png"], 2, "raise --max-pixels"),
    ("stylize", ["{w}/nothing.png", "{w}/photo.png", "-o", "{w}/out/s.png"], 2, "image file not found"),
    ("stylize", ["{w}/photo.png", "{w}/photo.png", "-o", "{w}/out/s.gif"], 2, "--output must end in"),
    ("stylize", ["{w}/photo.png", "{w}/photo.png", "-o", "{w}/a_file/s.png"], 2, "is a file, not a folder"),
    ("stylize", ["{w}/photo.png", "{w}/photo.png", "-o", UNWRITABLE + "/s.png"], 2, "cannot write into"),
    ("stylize", ["{w}/photo.png", "{w}/photo.png", "--steps", "0", "-o", "{w}/out/s.png"], 2, "expected a positive integer"),
    ("stylize", ["{w}/photo.png", "{w}/photo.png", "--size", "-1", "-o", "{w}/out/s.png"], 2, "expected a positive integer"),
    ("stylize", ["{w}/photo.png", "{w}/photo.png", "--seed", str(2**40), "-o", "{w}/out/s.png"], 2, "[0, 2**32)"),
    # translate
    ("translate", ["{w}/nowhere", "{w}/photo.png", "--output", "{w}/out"], 2, "Run directory not found"),
    ("translate", ["{w}/gan_run", "{w}/photo.png", "--output", "{w}/out"], 2, "needs a pix2pix or cyclegan run"),
    ("translate", ["{w}/pix2pix_run", "{w}/bomb.png", "--output", "{w}/out"], 2, "20000x20000 pixels"),
    ("translate", ["{w}/pix2pix_run", "{w}/nothing.png", "--output", "{w}/out"], 2, "No such file or folder"),
    ("translate", ["{w}/pix2pix_run", "{w}/empty", "--output", "{w}/out"], 2, "holds no image files"),
    ("translate", ["{w}/pix2pix_run", "{w}/photo.png", "--output", "{w}/a_file"], 2, "--output must be a folder"),
    ("translate", ["{w}/pix2pix_run", "{w}/photo.png", "--output", UNWRITABLE], 2, "cannot write into"),
    ("translate", ["{w}/pix2pix_run", "{w}/photo.png", "--output", "{w}/out", "--direction", "up"], 2, "invalid choice"),
    ("translate", ["{w}/pix2pix_run", "{w}/photo.png"], 2, "--output"),
    # upscale
    ("upscale", ["{w}/sr_run", "{w}/bomb.png", "--output", "{w}/out"], 2, "20000x20000 pixels"),
    ("upscale", ["{w}/sr_run", "{w}/photo.png", "--output", "{w}/out", "--tile", "100000"], 2, "--tile must be in [8, 2048]"),
    ("upscale", ["{w}/sr_run", "{w}/photo.png", "--output", "{w}/out", "--tile", "4"], 2, "--tile must be in"),
    ("upscale", ["{w}/sr_run", "{w}/photo.png", "--output", "{w}/out", "--overlap", "-1"], 2, "--overlap must be >= 0"),
    ("upscale", ["{w}/gan_run", "{w}/photo.png", "--output", "{w}/out"], 2, "expected an srresnet or srgan run"),
    ("upscale", ["{w}/sr_run", "{w}/photo.png", "--output", "{w}/a_file"], 2, "--output must be a folder"),
    ("upscale", ["{w}/sr_run", "{w}/nothing.png", "--output", "{w}/out"], 2, "No such file or folder"),
    ("upscale", ["{w}/nowhere", "{w}/photo.png", "--output", "{w}/out"], 2, "Run directory not found"),
]

TIMES = {}


@pytest.fixture
def no_real_work(monkeypatch):
    monkeypatch.setattr(AdversarialModel, "__init__", _refuse)
    monkeypatch.setattr(trainer, "build_model", _refuse)
    monkeypatch.setattr(evaluate, "train_dataset_classifier", _refuse)
    monkeypatch.setattr(gatys, "stylize", functools.wraps(gatys.stylize)(_refuse))  # keeps the defaults


def _listing(root):
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob("*"))


@pytest.mark.parametrize("command, argv, code, fragment", CASES,
                         ids=[f"{c}-{'_'.join(a)[-40:]}" for c, a, _, _ in CASES])
def test_bad_input_fails_fast_in_one_line_and_writes_nothing(world, no_real_work, capsys, command, argv, code, fragment):
    argv = [a.replace("{w}", str(world)) for a in argv]
    before = _listing(world)
    t0 = time.perf_counter()
    try:
        result = MAINS[command](argv)
    except SystemExit as exit_:  # argparse
        result = exit_.code
    seconds = time.perf_counter() - t0
    TIMES.setdefault(command, []).append(seconds)
    err = capsys.readouterr().err
    assert result == code, err
    assert err.count("\n") == 1 and err.endswith("\n"), err  # one line
    assert "Traceback" not in err and fragment in err, err
    assert _listing(world) == before  # no output, no temporary file, no run directory
    assert seconds < TIME_LIMIT


def test_out_of_memory_is_a_known_error_with_advice(tmp_path, monkeypatch, capsys):
    def oom(*args, **kwargs):
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor with shape[...]")

    monkeypatch.setattr(trainer, "build_model", oom)
    assert train.main([*TRAIN, "--output-dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "out of memory" in err and "--batch-size" in err


def test_ctrl_c_during_start_up_exits_130_in_one_line(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(trainer, "build_model", interrupted)
    assert train.main([*TRAIN, "--output-dir", str(tmp_path / "run")]) == 130
    assert capsys.readouterr().err == "python -m tfgan.train: interrupted\n"
    assert not (tmp_path / "run" / runs.LOCK_FILE).exists()


def test_image_headers_give_the_size_without_decoding(tmp_path):
    from tfgan import imageio

    viz.save_png(str(tmp_path / "a.png"), np.zeros((5, 7, 3), np.uint8))
    tf.io.write_file(str(tmp_path / "a.jpg"), tf.io.encode_jpeg(np.zeros((9, 11, 3), np.uint8)))
    tf.io.write_file(str(tmp_path / "a.bmp"), tf.io.encode_bmp(np.zeros((3, 4, 3), np.uint8))) \
        if hasattr(tf.io, "encode_bmp") else None
    assert imageio.image_size(tmp_path / "a.png") == (7, 5)
    assert imageio.image_size(tmp_path / "a.jpg") == (11, 9)
    (tmp_path / "a.gif").write_bytes(b"GIF89a" + struct.pack("<HH", 300, 200) + b"\0" * 10)
    assert imageio.image_size(tmp_path / "a.gif") == (300, 200)
    (tmp_path / "b.png").write_bytes(_png_header(20000, 20000))
    assert imageio.image_size(tmp_path / "b.png") == (20000, 20000)
    with pytest.raises(imageio.ImageReadError, match="20000x20000"):
        imageio.read_image(tmp_path / "b.png")


def test_report_times(capsys):
    """Prints the time each command's bad inputs take to fail (``pytest -s`` shows it)."""
    with capsys.disabled():
        for command, times in sorted(TIMES.items()):
            print(f"\n  {command:9s} {len(times):2d} cases, fail in {min(times) * 1e3:.0f}-{max(times) * 1e3:.0f} ms "
                  f"(median {np.median(times) * 1e3:.0f} ms)", end="")
    assert sum(len(t) for t in TIMES.values()) in (0, len(CASES))


def test_image_datasets_skip_images_beyond_the_pixel_bound(tmp_path):
    from tfgan.data import folders

    for i in range(4):
        viz.save_png(str(tmp_path / f"p{i}.png"), np.zeros((8, 6, 3), np.uint8))
    (tmp_path / "p9.png").write_bytes(_png_header(20000, 20000))
    both = [folders.photo_set(tmp_path, split) for split in ("train", "test")]
    assert sum(s.count for s in both) == 4 and all(size == (8, 6) for s in both for size in s.sizes)


def test_signals_during_a_checkpoint_write_wait_for_it():
    import os
    import signal

    from tfgan import fileio

    finished = []
    # Python's own Ctrl-C handler, as in a terminal: a suite started in the background by a
    # non-interactive shell inherits SIGINT ignored, and the write must then keep ignoring it.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            with fileio.deferred_interrupts():
                os.kill(os.getpid(), signal.SIGINT)  # a (second) Ctrl-C in the middle of the write
                time.sleep(0.05)
                finished.append(True)  # the write goes on
        assert finished == [True]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)


def test_ctrl_c_while_a_command_starts_up_prints_no_traceback(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen([*[sys.executable, "-m"], "tfgan.train", *TRAIN, "--steps", "1",
                             "--output-dir", str(tmp_path / "run")],
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, TFGAN_OFFLINE="1"),
                            # Ctrl-C handled as in a terminal, even when this suite was started in
                            # the background (which makes children inherit SIGINT ignored)
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(1.0)  # still importing TensorFlow
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (130, -signal.SIGINT, 1) and "Traceback" not in err, err
    assert "interrupted" in err


def test_a_run_that_fails_before_writing_leaves_no_folder(tmp_path, capsys):
    run_dir = tmp_path / "run"  # an unknown split is found by the data layer, after start-up
    assert train.main(["gan", "--split", "nosplit", "--hidden-units", "8", "--output-dir", str(run_dir)]) == 2
    assert "Traceback" not in capsys.readouterr().err and not run_dir.exists()
