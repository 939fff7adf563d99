"""The training CLI end to end on the MNIST test split: files, resume, interrupt, bad input."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from tfgan import generate, losses, train
from tfgan.models import DCGANConfig, GANConfig

FAST = ["--split", "test", "--batch-size", "16", "--g-filters", "8", "--d-filters", "8"]


def _cli(module, *args, env_extra=None):
    env = dict(os.environ, TFGAN_OFFLINE="1", **(env_extra or {}))
    return subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, env=env, timeout=300
    )


def _metrics(run_dir):
    with open(Path(run_dir) / "metrics.csv") as f:
        return list(csv.DictReader(f))


def _tiny(tmp_path, **changes):
    values = dict(split="test", batch_size=8, g_filters=8, d_filters=8, steps=4,
                  checkpoint_every=2, sample_every=2, log_every=2, output_dir=str(tmp_path / "run"))
    values.update(changes)
    return DCGANConfig(**values)


@pytest.mark.slow
def test_cli_trains_writes_everything_then_resumes(tmp_path, data_dir):
    run_dir = tmp_path / "dcgan"
    common = [*FAST, "--checkpoint-every", "3", "--sample-every", "3", "--log-every", "2",
              "--output-dir", str(run_dir)]
    first = _cli("tfgan.train", "dcgan", "--dataset", "mnist", "--steps", "6", *common)
    assert first.returncode == 0, first.stderr
    assert "steps 0 -> 6" in first.stdout and "Done: 6 steps" in first.stdout
    assert "Traceback" not in first.stderr

    config = json.loads((run_dir / "config.json").read_text())
    assert config["model"] == "dcgan" and config["config"]["batch_size"] == 16
    assert config["config"]["split"] == "test"
    assert tf.train.latest_checkpoint(str(run_dir / "checkpoints")).endswith("ckpt-6")
    samples = sorted(p.name for p in (run_dir / "samples").glob("*.png"))
    assert samples == ["final.png", "step_000000.png", "step_000003.png", "step_000006.png"]
    grid = tf.io.decode_png(tf.io.read_file(str(run_dir / "samples" / "final.png")))
    assert grid.shape[0] > 28 * 8 and grid.shape[-1] == 1  # 8x8 grid of 28x28 digits
    rows = _metrics(run_dir)
    assert [r["step"] for r in rows] == ["2", "4", "6"]
    for row in rows:
        assert all(np.isfinite(float(row[k])) for k in ("d_loss", "g_loss", "d_real", "d_fake"))
        assert float(row["d_gap"]) == pytest.approx(float(row["d_real"]) - float(row["d_fake"]), abs=1e-5)
        assert float(row["images_per_sec"]) > 0
    assert list((run_dir / "tensorboard").glob("events.out.tfevents.*"))

    # Rerunning into the same directory resumes: the step count continues from 6.
    second = _cli("tfgan.train", "dcgan", "--dataset", "mnist", "--steps", "10", *common)
    assert second.returncode == 0, second.stderr
    assert "steps 6 -> 10," in second.stdout and "(resumed)" in second.stdout
    assert [r["step"] for r in _metrics(run_dir)] == ["2", "4", "6", "8", "10"]
    assert tf.train.latest_checkpoint(str(run_dir / "checkpoints")).endswith("ckpt-10")

    # Sampling from the run.
    out = _cli("tfgan.generate", str(run_dir), "--num", "5", "--output", str(tmp_path / "s.npz"),
               "--grid", str(tmp_path / "g.png"))
    assert out.returncode == 0, out.stderr
    images = np.load(tmp_path / "s.npz")["images"]
    assert images.shape == (5, 28, 28, 1) and images.dtype == np.uint8
    assert (tmp_path / "g.png").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["stylegan9"], "unknown model 'stylegan9'; valid choices: cgan, dcgan, gan"),
        (["dcgan", "--dataset", "imagenet"], "'mnist'"),
        (["dcgan", "--batch-size", "0"], "--batch-size must be >= 1. Received: 0"),
        (["dcgan", "--loss", "hinge"], "invalid choice: 'hinge'"),
        (["dcgan", "--image-shape", "abc"], "expected comma-separated integers"),
        (["dcgan", "--image-shape", "30,30,1"], "divisible by 4"),
        (["dcgan", "--label-smoothing", "1.5"], "--label-smoothing must be in [0, 1)"),
        (["dcgan", "--steps", "two"], "invalid int value: 'two'"),
        (["dcgan", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        sys.exit(train.main(argv))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    if message.startswith("unknown model"):  # the list grows with the registry
        message = message.split("valid choices")[0] + "valid choices: " + ", ".join(sorted(train.models.REGISTRY))
    assert message in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_missing_split_offline_is_exit_2_naming_found_splits(capsys, tmp_path, data_dir):
    code = train.main(["dcgan", "--dataset", "mnist", "--split", "train", "--output-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2
    assert "'test'" in err and "Traceback" not in err


def test_generate_rejects_unreadable_run_dirs(tmp_path, capsys):
    assert generate.main([str(tmp_path / "nope")]) == 2
    assert "Run directory not found" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert generate.main([str(tmp_path / "empty")]) == 2
    assert "no config.json" in capsys.readouterr().err
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "config.json").write_text("{not json")
    assert generate.main([str(tmp_path / "bad")]) == 2
    assert "Cannot read" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        generate.main([str(tmp_path / "bad"), "--num", "0"])
    assert exit_info.value.code == 2


def test_flags_come_from_the_config_dataclass():
    name, config, explicit = train.parse_args(
        ["dcgan", "--image-shape", "32,32,3", "--no-reuse-fake", "--d-steps", "2", "--g-lr", "1e-3"])
    assert name == "dcgan" and isinstance(config, DCGANConfig)
    assert config.image_shape == (32, 32, 3) and config.reuse_fake is False
    assert config.d_steps == 2 and config.g_lr == 1e-3
    assert explicit == {"image_shape", "reuse_fake", "d_steps", "g_lr"}
    _, gan_config, _ = train.parse_args(["gan", "--hidden-units", "32"])
    assert isinstance(gan_config, GANConfig) and gan_config.hidden_units == 32


def test_epochs_set_the_step_count():
    config = DCGANConfig(epochs=2, batch_size=100, d_steps=2)
    assert train.total_steps(config, 10_000) == 100  # 2 * 10000 / (100 * 2)
    assert train.total_steps(DCGANConfig(steps=7), 10_000) == 7


def test_config_json_round_trip():
    config = DCGANConfig(image_shape=(32, 32, 3), label_smoothing=0.1, steps=9)
    assert train.config_from_dict(json.loads(json.dumps(train.config_to_dict(config)))) == config


@pytest.mark.slow
def test_resume_restores_optimizers_and_step(tmp_path, data_dir):
    config = _tiny(tmp_path)
    assert train.run(config, progress=False).step == 4
    restored = train.load_model(config.output_dir)
    assert int(restored.step_counter.numpy()) == 4
    assert int(restored.d_optimizer.iterations.numpy()) == 4
    moments = [v for v in restored.g_optimizer.variables if "momentum" in v.path]
    assert moments and all(np.any(v.numpy() != 0) for v in moments)  # Adam state came back
    fresh_state = train.models.get("dcgan").model_class(config).seed_generator.state.numpy()
    assert not np.array_equal(restored.seed_generator.state.numpy(), fresh_state)  # noise continues

    result = train.run(config.replace(steps=6), progress=False)
    assert result.step == 6 and result.status == "completed"
    assert train.run(config.replace(steps=6), progress=False).status == "already_done"


@pytest.mark.slow
def test_load_model_restores_any_kept_checkpoint(tmp_path, data_dir):
    config = _tiny(tmp_path)  # 4 steps, a checkpoint every 2
    train.run(config, progress=False)
    kept = train.list_checkpoints(config.output_dir)
    assert [step for step, _ in kept] == [2, 4] and kept[0][1].endswith("ckpt-2")
    early = train.load_model(config.output_dir, checkpoint=2)
    by_path = train.load_model(config.output_dir, checkpoint=kept[0][1])
    latest = train.load_model(config.output_dir)
    assert [int(m.step_counter.numpy()) for m in (early, by_path, latest)] == [2, 2, 4]
    z = latest.latent(3, seed=0)
    np.testing.assert_allclose(early.sample(3, z=z), by_path.sample(3, z=z))
    assert not np.allclose(early.sample(3, z=z), latest.sample(3, z=z))
    with pytest.raises(train.RunError, match=r"no checkpoint 3; kept steps: \[2, 4\]"):
        train.load_model(config.output_dir, checkpoint=3)
    assert train.list_checkpoints(str(tmp_path / "nowhere")) == []


@pytest.mark.slow
def test_resume_refuses_different_architecture(tmp_path, data_dir, capsys):
    config = _tiny(tmp_path, steps=2)
    train.run(config, progress=False)
    code = train.main(["dcgan", "--split", "test", "--g-filters", "16", "--output-dir", config.output_dir])
    assert code == 2
    assert "g_filters: saved 8, received 16" in capsys.readouterr().err
    with pytest.raises(train.RunError, match="has no checkpoint"):
        train.run(_tiny(tmp_path / "fresh", resume=True), progress=False)


@pytest.mark.slow
def test_ctrl_c_saves_a_checkpoint_then_resume_continues(tmp_path, data_dir):
    config = _tiny(tmp_path, steps=10, checkpoint_every=100)
    result = train.run(config, progress=False, interrupt_after=3)
    assert result.status == "interrupted" and result.step == 3
    assert tf.train.latest_checkpoint(str(Path(config.output_dir) / "checkpoints")).endswith("ckpt-3")
    assert train.run(config, progress=False).step == 10


@pytest.mark.slow
def test_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path, data_dir, monkeypatch, capsys):
    config = _tiny(tmp_path, steps=2)
    train.run(config, progress=False)

    original = losses.get_losses

    def exploding(variant):
        g_loss, d_loss = original(variant)
        return (lambda logits: g_loss(logits) * float("nan")), d_loss

    monkeypatch.setattr(losses, "get_losses", exploding)
    code = train.main(["dcgan", "--steps", "6", "--output-dir", config.output_dir])
    err = capsys.readouterr().err
    assert code == 1
    assert "non-finite loss" in err and "ckpt-2" in err
    assert tf.train.latest_checkpoint(str(Path(config.output_dir) / "checkpoints")).endswith("ckpt-2")


@pytest.mark.slow
def test_partial_checkpoint_write_never_becomes_latest(tmp_path, data_dir):
    config = _tiny(tmp_path, steps=2)
    train.run(config, progress=False)
    ckpt_dir = Path(config.output_dir) / "checkpoints"
    # An interrupted save leaves data files but no update of the `checkpoint` state file.
    (ckpt_dir / "ckpt-3.data-00000-of-00001").write_bytes(b"\0" * 10)
    (ckpt_dir / "ckpt-3.index").write_bytes(b"garbage")
    assert tf.train.latest_checkpoint(str(ckpt_dir)).endswith("ckpt-2")
    assert train.run(config.replace(steps=3), progress=False).step == 3


@pytest.mark.slow
def test_real_sigint_saves_a_checkpoint_and_exits_130(tmp_path, data_dir):
    run_dir = tmp_path / "sigint"
    env = dict(os.environ, TFGAN_OFFLINE="1", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tfgan.train", "dcgan", *FAST, "--steps", "100000",
         "--output-dir", str(run_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )
    try:
        for line in proc.stdout:  # wait until training has started
            if line.startswith("Training dcgan"):
                break
        time.sleep(4)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, out
    assert "Interrupted at step" in out and "checkpoint saved" in out
    step = int(out.split("Interrupted at step ")[1].split(";")[0])
    latest = tf.train.latest_checkpoint(str(run_dir / "checkpoints"))
    assert latest is not None and latest.endswith(f"ckpt-{step}")
