"""Lecture 04: the presets of ``tfgan.experiments`` and the ``g_steps`` setting (the optimal
discriminator's tests are in test_losses.py)."""

import dataclasses
import json

import numpy as np
import pytest
import tensorflow as tf

from tfgan import classifier, experiments, train
from tfgan.models import CGAN, CGANConfig, DCGAN, DCGANConfig, GAN, GANConfig


# -- g_steps ---------------------------------------------------------------------------------------
def test_g_steps_updates_the_generator_more_often_and_keeps_the_step_count():
    config = DCGANConfig(batch_size=4, g_filters=4, d_filters=4, g_steps=3)
    model = DCGAN(config)
    model.compile(jit_compile=False)
    before = [w.numpy().copy() for w in model.generator.trainable_weights]
    model.train_step(tf.random.uniform((4, 28, 28, 1), -1, 1))
    assert int(model.g_optimizer.iterations.numpy()) == 3  # three G updates ...
    assert int(model.d_optimizer.iterations.numpy()) == 1  # ... against one D update
    assert int(model.step_counter.numpy()) == 1  # one training step
    after = model.generator.trainable_weights
    assert any(not np.allclose(b, a.numpy()) for b, a in zip(before, after))


def test_cgan_g_steps_counts_like_dcgan():
    model = CGAN(CGANConfig(batch_size=4, g_filters=4, d_filters=4, g_steps=2))
    model.compile(jit_compile=False)
    model.train_step((tf.random.uniform((4, 28, 28, 1), -1, 1), tf.constant([0, 1, 2, 3])))
    assert int(model.g_optimizer.iterations.numpy()) == 2 and int(model.step_counter.numpy()) == 1


@pytest.mark.slow
def test_g_steps_run_resumes_at_the_right_step(tmp_path, data_dir):
    config = DCGANConfig(split="test", data_dir=data_dir, steps=3, batch_size=8, g_filters=4,
                         d_filters=4, g_steps=2, log_every=1, sample_every=100, checkpoint_every=100,
                         output_dir=str(tmp_path / "run"))
    assert train.run(config, progress=False).step == 3
    resumed = train.run(config.replace(steps=5), progress=False)
    assert resumed.step == 5
    rows = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    assert [int(r.split(",")[0]) for r in rows[1:]] == [1, 2, 3, 4, 5]


def test_g_steps_is_validated_and_a_cli_flag():
    with pytest.raises(ValueError, match="--g-steps"):
        GANConfig(g_steps=0).validate()
    _, config, explicit = train.parse_args(["gan", "--g-steps", "4"])
    assert config.g_steps == 4 and "g_steps" in explicit
    assert GAN(GANConfig()).config.g_steps == 1  # Algorithm 1 by default


# -- presets ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(experiments.PRESETS))
def test_preset_configs_validate_and_match_their_cli_flags(name, monkeypatch):
    monkeypatch.setenv("TFGAN_SMOKE", "0")
    config = experiments.preset(name, output_dir="runs/x")
    assert isinstance(config, DCGANConfig) and config.split == "test"
    assert config.steps == experiments.PRESETS[name].steps
    _, from_cli, _ = train.parse_args(["dcgan", *experiments.PRESETS[name].flags().split(), "--output-dir", "runs/x"])
    assert from_cli == config  # `python -m tfgan.experiments` prints commands for the same runs


def test_presets_pull_the_levers_the_lecture_names():
    default = DCGANConfig.from_preset("radford2015")
    balanced, strong, collapse = (experiments.preset(n) for n in ("balanced", "strong_d", "collapse"))
    for field in ("loss", "g_lr", "d_lr", "d_steps", "g_steps", "label_smoothing", "norm", "latent_dim"):
        assert getattr(balanced, field) == getattr(default, field), field  # the paper's settings
    assert strong.loss == "minimax"  # the saturating loss, lectures/01_gan.md, Eq. (5)
    assert strong.d_filters == 4 * strong.g_filters and strong.d_lr == 5 * strong.g_lr
    # lectures/04_training_tricks.md, Eq. (12)
    assert collapse.g_steps == 10 and collapse.g_lr == 4 * collapse.d_lr
    assert collapse.loss == "non_saturating"


def test_preset_overrides_smoke_steps_and_errors(monkeypatch):
    monkeypatch.setenv("TFGAN_SMOKE", "1")
    assert experiments.preset("balanced").steps == 20
    assert experiments.preset("balanced", steps=7, label_smoothing=0.1).label_smoothing == 0.1
    with pytest.raises(ValueError, match="Unknown preset 'nope'. Valid choices: balanced"):
        experiments.preset("nope")
    with pytest.raises(ValueError, match="Unknown DCGANConfig fields"):
        experiments.preset("balanced", hidden_units=3)
    with pytest.raises(ValueError, match="--d-steps"):
        experiments.preset("balanced", d_steps=0)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(experiments.PRESETS))
def test_run_preset_trains_and_measures(name, tmp_path, data_dir):
    clf = classifier.build_classifier((28, 28, 1), 10)  # untrained: only the code path is tested
    result = experiments.run_preset(
        name, output_dir=str(tmp_path / name), classifier=clf, num_eval=40, label=f"my {name}",
        data_dir=data_dir, steps=4, log_every=2, batch_size=8,
    )
    assert result.name == f"my {name}" and result.run_dir == str(tmp_path / name)
    saved = json.loads((tmp_path / name / "config.json").read_text())["config"]
    expected = dataclasses.asdict(experiments.preset(name, steps=4, log_every=2, batch_size=8,
                                                     data_dir=data_dir, output_dir=str(tmp_path / name)))
    assert saved == json.loads(json.dumps(expected))
    assert list(result.metrics["step"]) == [2.0, 4.0]
    assert result.samples.shape == (40, 28, 28, 1) and result.samples.dtype == np.uint8
    assert result.histogram.sum() == 40 and 1 <= result.classes_covered <= 10
    assert 1.0 <= result.inception_score <= 10.0
    summary = result.summary()
    assert summary["steps"] == 4 and 0 <= summary["d_fake"] <= 1 and 0 <= summary["d_real"] <= 1
    assert summary["d_gap"] == pytest.approx(summary["d_real"] - summary["d_fake"], abs=1e-6)


def test_experiments_cli_prints_the_presets(capsys):
    assert experiments.main() == 0
    out = capsys.readouterr().out
    for name, entry in experiments.PRESETS.items():
        assert f"python -m tfgan.train dcgan {entry.flags()} --output-dir runs/{name}" in out
