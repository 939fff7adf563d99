"""Run directories that cannot be lost: NaN never checkpointed, damaged checkpoints and state files
repaired, stray temporary folders removed, one training per directory, metrics cut back on resume,
SIGTERM saves, a full disk leaves the last good checkpoint.

One tiny MLP GAN run is trained once per module and copied into each test's run directory."""

import csv
import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from tfgan import generate, runs, train, viz
from tfgan.models import GANConfig
from tfgan.models.gan import GAN

TINY = dict(dataset="mnist", split="test", batch_size=8, hidden_units=8, latent_dim=4, steps=4,
            checkpoint_every=2, sample_every=100, log_every=1, num_samples=4)
FLAGS = ["--split", "test", "--batch-size", "8", "--hidden-units", "8", "--latent-dim", "4",
         "--checkpoint-every", "2", "--sample-every", "100", "--log-every", "1", "--num-samples", "4"]


def _config(run_dir, **changes):
    return GANConfig(**{**TINY, "output_dir": str(run_dir), **changes})


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data_dir):
    """A finished 4-step run with checkpoints ckpt-2 and ckpt-4 and four metrics rows."""
    run_dir = tmp_path_factory.mktemp("base") / "run"
    assert train.run(_config(run_dir), progress=False).step == 4
    return run_dir


@pytest.fixture
def run_dir(trained, tmp_path):
    target = tmp_path / "run"
    shutil.copytree(trained, target)
    return target


def _ckpt(run_dir):
    return run_dir / "checkpoints"


def _steps(run_dir):
    with open(run_dir / "metrics.csv") as f:
        return [(int(r["step"]), float(r["elapsed_sec"])) for r in csv.DictReader(f)]


def test_nan_weights_are_never_checkpointed_and_the_stop_names_a_finite_one(tmp_path, data_dir, monkeypatch, capsys):
    original = GAN.train_step

    def poisoned(self, data):  # losses stay finite; G's weights turn NaN from step 3 on
        logs = original(self, data)
        w = self.generator.trainable_variables[0]
        w.assign(tf.where(self.step_counter >= 3, tf.fill(tf.shape(w), float("nan")), w))
        return logs

    monkeypatch.setattr(GAN, "train_step", poisoned)
    run_dir = tmp_path / "nan"
    code = train.main(["gan", *FLAGS, "--steps", "6", "--checkpoint-every", "1", "--output-dir", str(run_dir)])
    err = capsys.readouterr().err.splitlines()[-1]
    assert code == 1 and "weights not finite at step 3" in err and "ckpt-2" in err, err
    assert [s for s, _ in runs.checkpoint_files(run_dir)] == [1, 2]
    assert runs.checkpoint_problem(str(_ckpt(run_dir) / "ckpt-2")) is None  # every tensor finite


def test_generate_refuses_a_run_whose_only_checkpoint_holds_nan(run_dir, capsys, tmp_path):
    model = runs.load_model(str(run_dir))
    for w in model.generator.weights:
        w.assign(np.full(w.shape, np.nan, "float32"))
    shutil.rmtree(_ckpt(run_dir))
    runs.make_checkpoint(model).write(str(_ckpt(run_dir) / "ckpt-4"))
    out = tmp_path / "s.npz"
    assert generate.main([str(run_dir), "--num", "4", "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "NaN or inf" in err and "Traceback" not in err
    assert not out.exists()


def test_truncated_newest_checkpoint_is_skipped_by_resume_and_generate(run_dir, capsys, tmp_path):
    data = _ckpt(run_dir) / "ckpt-4.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:100])
    out = tmp_path / "s.npz"
    assert generate.main([str(run_dir), "--num", "2", "--output", str(out)]) == 0
    assert "Skipped damaged checkpoint(s)" in capsys.readouterr().err and out.exists()
    result = train.run(_config(run_dir), progress=False)
    printed = capsys.readouterr().out
    assert "ckpt-4" in printed and "damaged" in printed and "steps 2 -> 4" in printed
    assert result.step == 4 and (_ckpt(run_dir) / "damaged" / data.name).exists()
    assert runs.checkpoint_problem(runs.latest_checkpoint(str(run_dir))) is None


@pytest.mark.parametrize("state", [b"\x00garbage{", None])
def test_damaged_or_missing_state_file_is_rebuilt_never_a_new_run(run_dir, capsys, state):
    path = _ckpt(run_dir) / "checkpoint"
    path.unlink() if state is None else path.write_bytes(state)
    result = train.run(_config(run_dir), progress=False)
    assert result.status == "already_done" and result.step == 4
    assert tf.train.latest_checkpoint(str(_ckpt(run_dir))).endswith("ckpt-4")
    assert [s for s, _ in runs.checkpoint_files(run_dir)] == [2, 4]


def test_stray_temp_folders_are_removed_at_start(run_dir, capsys):
    temp = _ckpt(run_dir) / "ckpt-6_temp"
    temp.mkdir()
    (temp / "part-00000-of-00001.data-00000-of-00001").write_bytes(b"x" * 100)
    train.run(_config(run_dir), progress=False)
    assert not temp.exists() and "temporary checkpoint folder" in capsys.readouterr().out


def test_unreadable_checkpoints_never_restart_silently(run_dir, capsys):
    for _, prefix in runs.checkpoint_files(run_dir):
        Path(prefix + ".index").write_bytes(b"garbage")
    assert train.main(["gan", *FLAGS, "--output-dir", str(run_dir)]) == 2
    assert "--restart" in capsys.readouterr().err
    assert len(runs.checkpoint_files(run_dir)) == 2  # nothing moved or deleted
    assert train.main(["gan", *FLAGS, "--output-dir", str(run_dir), "--restart", "--steps", "2"]) == 0
    (previous,) = run_dir.glob("previous-*")
    assert (previous / "checkpoints" / "ckpt-4.index").exists()
    assert [s for s, _ in runs.checkpoint_files(run_dir)] == [2]


def test_resume_cuts_metrics_back_and_continues_the_clock(run_dir):
    for path in _ckpt(run_dir).glob("ckpt-4.*"):  # killed after rows 3 and 4, before ckpt-4
        path.unlink()
    before = _steps(run_dir)
    assert [s for s, _ in before] == [1, 2, 3, 4]
    train.run(_config(run_dir), progress=False)
    after = _steps(run_dir)
    assert [s for s, _ in after] == [1, 2, 3, 4]
    assert after[:2] == before[:2] and all(b[1] >= a[1] for a, b in zip(after, after[1:]))


def test_config_json_with_a_wrong_type_is_one_line(run_dir, capsys):
    path = run_dir / "config.json"
    path.write_text(path.read_text().replace('"steps": 4', '"steps": "four"'))
    assert generate.main([str(run_dir), "--output", str(run_dir / "x.npz")]) == 2
    err = capsys.readouterr().err
    assert "'steps' must be int" in err and "four" in err and err.count("\n") == 1


def test_a_second_training_refuses_naming_the_first_and_stale_locks_recover(run_dir, capsys):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = run_dir / runs.LOCK_FILE
        lock.write_text(f"{sleeper.pid} {os.uname().nodename} 2026-01-01T00:00:00\n")
        t0 = time.perf_counter()
        assert train.main(["gan", *FLAGS, "--output-dir", str(run_dir), "--steps", "6"]) == 2
        assert time.perf_counter() - t0 < 5
        assert f"PID {sleeper.pid}" in capsys.readouterr().err
    finally:
        sleeper.kill()
        sleeper.wait()
    result = train.run(_config(run_dir, steps=6), progress=False)  # the PID is gone now: stale
    assert result.step == 6 and "stale lock" in capsys.readouterr().out and not lock.exists()


def test_full_disk_during_checkpoint_write_keeps_the_last_good_one(run_dir, monkeypatch, capsys):
    def full(self, checkpoint_number=None, **_):
        temp = Path(self.directory) / f"ckpt-{checkpoint_number}_temp"
        temp.mkdir()
        (temp / "part").write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tf.train.CheckpointManager, "save", full)
    assert train.main(["gan", *FLAGS, "--output-dir", str(run_dir), "--steps", "6"]) == 2
    err = capsys.readouterr().err.splitlines()[-1]  # after the progress bar
    assert "disk is full" in err and "ckpt-4" in err and "Traceback" not in err, err
    assert not list(_ckpt(run_dir).glob("*_temp*")) and not list(_ckpt(run_dir).glob("ckpt-6*"))
    assert runs.checkpoint_problem(runs.latest_checkpoint(str(run_dir))) is None


def test_full_disk_during_a_sample_grid_leaves_no_partial_file(tmp_path, monkeypatch):
    def full(path, contents):
        Path(path).write_bytes(b"half")
        raise tf.errors.ResourceExhaustedError(None, None, "No space left on device")

    monkeypatch.setattr(tf.io, "write_file", full)
    with pytest.raises(tf.errors.ResourceExhaustedError):
        viz.save_png(str(tmp_path / "grid.png"), np.zeros((4, 4, 1), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_sigterm_saves_a_checkpoint_and_exits_like_ctrl_c(tmp_path, data_dir):
    run_dir = tmp_path / "sigterm"
    env = dict(os.environ, TFGAN_OFFLINE="1", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tfgan.train", "gan", *FLAGS, "--steps", "100000", "--checkpoint-every", "100000",
         "--output-dir", str(run_dir)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )
    try:
        for line in proc.stdout:
            if line.startswith("Training gan"):
                break
        time.sleep(3)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, out
    step = int(out.split("Interrupted at step ")[1].split(";")[0])
    assert step > 0 and "SIGTERM" in out
    assert runs.latest_checkpoint(str(run_dir)).endswith(f"ckpt-{step}")
    assert not (run_dir / runs.LOCK_FILE).exists()
