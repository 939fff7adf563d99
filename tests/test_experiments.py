"""Lecture 04: the optimal discriminator under label smoothing (Eqs. 2-6), the presets of
``tfgan.experiments`` and the ``g_steps`` setting."""

import dataclasses
import json

import numpy as np
import pytest
import tensorflow as tf

from tfgan import classifier, experiments, losses, train
from tfgan.models import CGAN, CGANConfig, DCGAN, DCGANConfig, GAN, GANConfig


# -- the optimal discriminator, lecture 04 Eq. (3) --------------------------------------------------
def grid_search_d(p_data, p_model, alpha, beta, grid=np.linspace(1e-6, 1 - 1e-6, 200_001)):
    """argmin over y of Eq. (2), the smoothed D loss at one point, by brute force."""
    f = (-(alpha * p_data + beta * p_model) * np.log(grid)
         - ((1 - alpha) * p_data + (1 - beta) * p_model) * np.log1p(-grid))
    return grid[np.argmin(f)]


@pytest.mark.parametrize("alpha,beta", [(1.0, 0.0), (0.9, 0.0), (0.9, 0.1), (0.7, 0.3), (0.8, 0.2)])
def test_optimal_discriminator_minimizes_the_smoothed_loss_pointwise(alpha, beta):
    rng = np.random.default_rng(0)
    p_data = np.concatenate([rng.uniform(0, 2, 20), [0.0, 1e-3, 0.5]])
    p_model = np.concatenate([rng.uniform(0, 2, 20), [0.7, 0.0, 0.5]])
    expected = [grid_search_d(a, b, alpha, beta) for a, b in zip(p_data, p_model)]
    got = losses.optimal_discriminator(p_data, p_model, alpha, beta)
    np.testing.assert_allclose(got, expected, atol=1e-5)  # the grid's spacing is 5e-6


def test_optimal_discriminator_hand_worked_values():
    d = losses.optimal_discriminator
    assert d(0.3, 0.1, 0.9, 0.0) == pytest.approx(0.27 / 0.4)  # 0.675
    assert d(0.3, 0.1) == pytest.approx(0.75)  # lecture 01, Eq. (2)
    assert d(1.0, 1.0, 0.9, 0.1) == pytest.approx(0.5)  # (alpha + beta) / 2 where p_model = p_data
    assert d(0.0, 2.0, 0.9, 0.1) == pytest.approx(0.1)  # no data: D* = beta, Eq. (5) discussion
    assert d(0.0, 2.0, 0.9, 0.0) == 0.0
    assert np.isnan(d(0.0, 0.0, 0.9, 0.0))  # undefined where neither distribution has mass


def test_optimal_discriminator_is_affine_in_the_unsmoothed_one():
    # Eq. (4): D*_{alpha,beta} = beta + (alpha - beta) D*
    rng = np.random.default_rng(1)
    p_data, p_model = rng.uniform(0.01, 1, 50), rng.uniform(0.01, 1, 50)
    np.testing.assert_allclose(
        losses.optimal_discriminator(p_data, p_model, 0.85, 0.2),
        0.2 + 0.65 * losses.optimal_discriminator(p_data, p_model), rtol=1e-12)


def test_fake_smoothing_flattens_the_optimal_logit():
    # Eq. (6) on two unit-variance Gaussians 4 apart, beyond the model's mean (r = p_data/p_model
    # <= e^-12): beta = 0 keeps the slope of the log-ratio (-4 everywhere); beta = 0.1 flattens it.
    x = np.linspace(5.0, 9.0, 401)
    p_data = np.exp(-0.5 * x**2) / np.sqrt(2 * np.pi)
    p_model = np.exp(-0.5 * (x - 4) ** 2) / np.sqrt(2 * np.pi)

    def slope(alpha, beta):
        d = losses.optimal_discriminator(p_data, p_model, alpha, beta)
        return np.gradient(np.log(d) - np.log1p(-d), x)

    np.testing.assert_allclose(slope(0.9, 0.0), -4.0, atol=1e-3)  # d/dx log(p_data / p_model) = -4
    assert np.max(np.abs(slope(0.9, 0.1))) < 1e-3
    logit = np.log(0.1 / 0.9)
    d = losses.optimal_discriminator(p_data, p_model, 0.9, 0.1)
    np.testing.assert_allclose(np.log(d) - np.log1p(-d), logit, atol=1e-4)  # the plateau


def test_discriminator_loss_minimizer_is_the_optimal_discriminator():
    # Train free logits on a 3-point space with tfgan's own loss; the minimizer is Eq. (3) with
    # alpha = 1 - label_smoothing, beta = 0 (lecture 01, Eq. 8).
    p_data, p_model = np.array([0.5, 0.3, 0.2]), np.array([0.1, 0.3, 0.6])
    real_idx = np.repeat([0, 1, 2], (p_data * 10).astype(int))  # 10 samples in proportion
    fake_idx = np.repeat([0, 1, 2], (p_model * 10).astype(int))
    logits = tf.Variable(tf.zeros(3, tf.float64))
    opt = tf.keras.optimizers.SGD(2.0)
    for _ in range(200):  # convex and separable: converges geometrically
        with tf.GradientTape() as tape:
            loss = losses.discriminator_loss(tf.gather(logits, real_idx), tf.gather(logits, fake_idx), 0.2)
        opt.apply_gradients([(tape.gradient(loss, logits), logits)])
    np.testing.assert_allclose(tf.sigmoid(logits).numpy(),
                               losses.optimal_discriminator(p_data, p_model, 0.8, 0.0), atol=1e-4)


@pytest.mark.parametrize("kwargs,match", [
    ({"alpha": 1.5}, "alpha"), ({"beta": -0.1}, "beta"), ({"p_data": -1.0}, "Densities"),
])
def test_optimal_discriminator_rejects_bad_input(kwargs, match):
    args = {"p_data": 0.5, "p_model": 0.5, "alpha": 0.9, "beta": 0.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        losses.optimal_discriminator(**args)


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
    default = DCGANConfig()
    balanced, strong, collapse = (experiments.preset(n) for n in ("balanced", "strong_d", "collapse"))
    for field in ("loss", "g_lr", "d_lr", "d_steps", "g_steps", "label_smoothing", "norm", "latent_dim"):
        assert getattr(balanced, field) == getattr(default, field), field  # tfgan's defaults
    assert strong.loss == "minimax"  # the saturating loss, lecture 01 Eq. (5)
    assert strong.d_filters == 4 * strong.g_filters and strong.d_lr == 5 * strong.g_lr
    assert collapse.g_steps == 10 and collapse.g_lr == 4 * collapse.d_lr  # lecture 04 Eq. (12)
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
