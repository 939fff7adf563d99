"""Reproducible training experiments: a balanced game, a discriminator that overpowers its
generator, and mode collapse, each as a named preset.

Lecture: ``lectures/04_training_tricks.md`` (sections 3 and 4); notebook:
``notebooks/04_training_tricks.ipynb``.

A preset is a DCGAN config on MNIST with the knobs of lecture 04 set so that one phenomenon shows
up on purpose within a couple of CPU minutes::

    from tfgan import evaluate, experiments
    config = experiments.preset("strong_d", output_dir="runs/strong_d")   # a DCGANConfig
    clf, _ = evaluate.load_dataset_classifier("mnist")
    result = experiments.run_preset("collapse", output_dir="runs/collapse", classifier=clf)
    result.summary()   # final D(x), D(G(z)), classes covered, classifier Inception score

or from the command line with the same settings as flags: ``python -m tfgan.experiments`` prints
each preset as a ``python -m tfgan.train dcgan ...`` command.

The presets train on MNIST's *test* split because that is the split every offline copy has, and
the reliability figures in ``PRESETS`` were measured on it; ``split="train"`` uses the larger
split when you have it (not measured there).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass, field

import numpy as np

#: Settings every preset shares: a small DCGAN on MNIST (fast on a CPU), logged often enough for
#: curves, seeded; trained with the DCGAN paper's setup (Adam 2e-4, Algorithm 1, float32: the
#: ``radford2015`` preset of ``DCGANConfig``, which the phenomena were measured with) at batch 64.
BASE = dict(
    preset="radford2015", dataset="mnist", split="test", batch_size=64, g_filters=32, d_filters=32,
    log_every=25, sample_every=250, checkpoint_every=1000, num_samples=36,
)


#: What smoke mode (``TFGAN_SMOKE=1``) changes: a few steps, logged and sampled often enough to plot.
SMOKE = dict(steps=20, log_every=5, sample_every=10, checkpoint_every=20)


@dataclass(frozen=True)
class Preset:
    """A named experiment: the config overrides, how many steps show the effect, what to expect."""

    name: str
    overrides: dict
    steps: int
    expect: str
    reliability: str = ""

    def flags(self):
        """The preset as ``python -m tfgan.train dcgan`` flags."""
        values = {**BASE, **self.overrides, "steps": self.steps}
        return " ".join(f"--{k.replace('_', '-')} {v}" for k, v in values.items())


PRESETS: dict[str, Preset] = {}


def _register(name, steps, expect, reliability="", **overrides):
    PRESETS[name] = Preset(name, overrides, steps, expect, reliability)


_register(
    "balanced", 1500,
    "the DCGAN paper's settings: D(x) and D(G(z)) separate early, then keep a steady gap; "
    "samples of all ten digits",
    "seeds 0-2: 10 of 10 classes covered, classifier IS 5.05-5.57, D(x) 0.75-0.78 and D(G(z)) "
    "0.22-0.25 over the last 20% of training",
)
_register(
    "strong_d", 600,
    "D overpowers G: the saturating minimax loss, a D 4x wider than G and a 5x higher D learning rate; "
    "D(x) -> 1 and D(G(z)) -> 0 within ~50 steps, G's gradient vanishes, samples stay noise",
    "seeds 0-3: D(x) > 0.99999 and D(G(z)) < 7e-6 over the last 20% of training, classifier IS "
    "1.004-1.009 (a constant prediction gives 1)",
    loss="minimax", g_filters=16, d_filters=64, d_lr=1e-3,
)
_register(
    "collapse", 500,
    "mode collapse: 10 G steps per D step and a 4x slower D, so G keeps climbing a D that barely "
    "moves (lectures/04_training_tricks.md, Eq. (12)); every z gives nearly the same image, a blob "
    "that fools the slow D but is not a digit (D never learned what digits look like)",
    "seeds 0-3: 1-2 of 10 classes covered, 78-99% of 1,000 samples in one class, classifier IS "
    "1.03-1.09. Collapse onto a few real digits was not found: see lectures/04_training_tricks.md, "
    "section 4",
    g_steps=10, d_lr=5e-5, sample_every=50,  # grids every 50 steps follow the collapsed image
)


def preset(name, **overrides):
    """The ``DCGANConfig`` of preset ``name``, with ``overrides`` (any config field) applied.

    ``steps`` defaults to the preset's own; in smoke mode (``TFGAN_SMOKE=1``) to ``SMOKE["steps"]``
    with logging every 5 steps, so that tests and notebooks run the same code path in seconds (the
    effect then need not show).
    """
    from tfgan import models, smoke_mode

    if name not in PRESETS:
        raise ValueError(f"Unknown preset {name!r}. Valid choices: {', '.join(PRESETS)}")
    entry = PRESETS[name]
    values = {**BASE, **entry.overrides, "steps": entry.steps, **(SMOKE if smoke_mode() else {})}
    values.update(overrides)
    known = {f.name for f in dataclasses.fields(models.DCGANConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"Unknown DCGANConfig fields {unknown}. Valid fields: {', '.join(sorted(known))}")
    config = models.DCGANConfig.from_preset(**values)
    config.validate()
    return config


@dataclass
class ExperimentResult:
    """What :func:`run_experiment` measured: curves, samples and the classifier's verdict."""

    name: str
    run_dir: str
    config: object
    metrics: dict  # column -> array, from metrics.csv
    samples: np.ndarray  # uint8 (N, H, W, C) from a fixed latent batch
    predicted: np.ndarray | None = None  # classifier labels of ``samples``
    histogram: np.ndarray | None = None  # class counts of ``predicted``
    classes_covered: int | None = None  # tfgan.metrics.modes_covered(histogram)
    inception_score: float | None = None  # classifier Inception score of ``samples``
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def final(self, key, fraction=0.2):
        """Mean of metrics column ``key`` over the last ``fraction`` of the logged intervals."""
        values = self.metrics[key]
        tail = max(1, int(round(len(values) * fraction)))
        return float(np.nanmean(values[-tail:]))

    def summary(self):
        """A flat dict for tables: final D(x), D(G(z)), their gap, coverage and score."""
        out = {
            "name": self.name, "steps": int(self.metrics["step"][-1]),
            "d_real": self.final("d_real"), "d_fake": self.final("d_fake"), "d_gap": self.final("d_gap"),
            "seconds": round(self.seconds, 1),
        }
        if self.histogram is not None:
            out.update(classes_covered=self.classes_covered, inception_score=self.inception_score)
        return out


def run_experiment(config, name=None, classifier=None, num_eval=1000, progress=False):
    """Train ``config`` with :func:`tfgan.trainer.run` and measure the result.

    Args:
        config: any z -> image model config (e.g. from :func:`preset`); ``output_dir`` should be set.
        name: label of the result (default: the run directory's name).
        classifier: a digit classifier (``tfgan.evaluate.load_dataset_classifier("mnist")[0]``);
            when given, ``num_eval`` samples are classified into a class histogram.
        num_eval: samples drawn (from a fixed seed) for the histogram and the score.
        progress: show tqdm's progress bar.

    Returns:
        An :class:`ExperimentResult`.
    """
    from tfgan import evaluate, metrics, runs, trainer, viz

    result = trainer.run(config, progress=progress)
    model = runs.load_model(result.run_dir)
    samples, _ = evaluate.sample_run(model, num_eval, seed=0)
    out = ExperimentResult(
        name=name or os.path.basename(os.path.normpath(result.run_dir)), run_dir=result.run_dir,
        config=model.config, metrics=viz.read_metrics(result.run_dir), samples=samples,
        seconds=result.seconds,
    )
    if classifier is not None:
        from tfgan.classifier import predict_logits

        logits = predict_logits(classifier, samples).astype(np.float64)
        out.predicted = np.argmax(logits, axis=1)
        out.histogram = metrics.class_histogram(out.predicted, logits.shape[1])
        out.classes_covered = metrics.modes_covered(out.histogram)
        out.inception_score = metrics.inception_score(logits, splits=min(10, len(logits)))[0]
    return out


def run_preset(name, output_dir, classifier=None, num_eval=1000, progress=False, label=None, **overrides):
    """Train preset ``name`` (with config ``overrides``) into ``output_dir`` and measure it.

    ``run_experiment(preset(name, output_dir=output_dir, **overrides), label or name, ...)``; see
    :func:`run_experiment` for the other arguments. Rerunning into a finished run directory
    measures the saved run again without training.
    """
    config = preset(name, output_dir=output_dir, **overrides)
    return run_experiment(config, name=label or name, classifier=classifier, num_eval=num_eval, progress=progress)


# -- the 2-D mixtures under each objective (lectures/11_gan_objectives.md, section 6) --------------
#: Objectives compared on the 2-D mixtures: GAN config overrides (lectures/11_gan_objectives.md).
TOY_OBJECTIVES = {
    "non_saturating": dict(loss="non_saturating"),
    "least_squares": dict(loss="least_squares"),
    "hinge": dict(loss="hinge"),
    "wgan_clip": dict(loss="wasserstein", clip_weights=0.01),
    "wgan_gp": dict(loss="wasserstein", gradient_penalty="wgan_gp", gp_weight=0.1),
    "hinge_sn": dict(loss="hinge", spectral_norm=True),
    "ns_r1": dict(loss="non_saturating", gradient_penalty="r1", gp_weight=0.1),
}
#: The toy networks: MLPs of 128 and 256 units, 8-D noise, no dropout, a fast Adam.
TOY_BASE = dict(image_shape=(2, 1, 1), hidden_units=128, latent_dim=8, dropout=0.0, batch_size=256,
                g_lr=1e-3, d_lr=1e-3, beta1=0.5, beta2=0.9)


@dataclass
class ToyResult:
    """One objective on one mixture: samples, modes covered, high-quality share, seconds."""

    objective: str
    mixture: str
    samples: np.ndarray  # (n, 2) from a fixed latent batch
    modes_covered: int
    num_modes: int
    high_quality: float
    seconds: float
    d_loss: float
    history: dict = field(default_factory=dict)  # step -> (n, 2) samples of the same latent batch

    def summary(self):
        return {"objective": self.objective, "mixture": self.mixture,
                "modes": f"{self.modes_covered}/{self.num_modes}",
                "high_quality": round(self.high_quality, 3), "seconds": round(self.seconds, 1)}


#: A discriminator ten times as busy as the generator (ten D steps per G step): on the ring of 8
#: Gaussians the generator's samples contract onto one or a few real modes and stay there, the
#: partial collapse of lectures/04_training_tricks.md, section 4, which the small DCGAN on MNIST
#: did not reproduce. Measured with ``run_toy("non_saturating", "ring8", steps=1000, seed=s,
#: **TOY_COLLAPSE)``: seeds 1-5 ended on 1 of 8 modes (89-99% of the samples high quality), seed 0
#: on 3 modes (81-82%); with one D step per G step, seeds 0-2 covered all 8.
TOY_COLLAPSE = dict(d_steps=10)


def run_toy(objective, mixture, steps=2000, seed=0, num_samples=2500, snapshot_every=None, **overrides):
    """Train the toy GAN with ``TOY_OBJECTIVES[objective]`` on ``tfgan.data.toy`` mixture
    ``mixture`` for ``steps`` steps, then score ``num_samples`` samples with
    ``tfgan.metrics.mixture_scores``. ``overrides`` change any GAN config field. With
    ``snapshot_every=k``, ``ToyResult.history`` holds the samples of the same latent batch every
    ``k`` steps (to watch the generator move), the last of them equal to ``samples``."""
    import time

    import keras
    import tensorflow as tf

    from tfgan import metrics, models
    from tfgan.data import toy

    if objective not in TOY_OBJECTIVES:
        raise ValueError(f"Unknown objective {objective!r}. Valid choices: {', '.join(TOY_OBJECTIVES)}")
    start = time.perf_counter()
    keras.utils.set_random_seed(seed)
    config = models.GANConfig(**{**TOY_BASE, **TOY_OBJECTIVES[objective], "seed": seed, **overrides})
    model = models.GAN(config)
    model.compile(jit_compile=False)
    per_step = model.images_per_step
    points = toy.sample_mixture(mixture, steps * per_step, seed=seed).reshape(-1, 2, 1, 1)
    dataset = tf.data.Dataset.from_tensor_slices(points).batch(per_step, drop_remainder=True)
    snapshots = {}

    class Snapshots(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            step = batch + 1
            if snapshot_every and (step % snapshot_every == 0 or step == steps):
                snapshots[step] = model.sample(num_samples, seed=seed + 1).numpy().reshape(-1, 2)

    history = model.fit(dataset, epochs=1, verbose=0, shuffle=False,  # the points are i.i.d. already
                        callbacks=[Snapshots()] if snapshot_every else None)
    samples = model.sample(num_samples, seed=seed + 1).numpy().reshape(-1, 2)
    covered, quality = metrics.mixture_scores(samples, toy.mixture_centers(mixture), toy.STD)
    return ToyResult(objective, mixture, samples, covered, len(toy.mixture_centers(mixture)), quality,
                     time.perf_counter() - start, float(history.history["d_loss"][-1]), snapshots)


# -- the objectives on MNIST at equal CPU time (lectures/11_gan_objectives.md, section 6) ------------
#: Objectives compared on MNIST (notebooks/11_gan_objectives.ipynb): DCGAN config overrides. The
#: WGAN-GP critic uses layer norm, since a penalty on each example's gradient needs a D whose output
#: for one example does not depend on the rest of its batch.
MNIST_OBJECTIVES = {  # penalties given explicitly: DCGANConfig's default is R1 with gamma 0.1
    "non_saturating": dict(loss="non_saturating", gradient_penalty="none"),
    "least_squares": dict(loss="least_squares", gradient_penalty="none"),
    "hinge": dict(loss="hinge", gradient_penalty="none"),
    "wgan_gp": dict(loss="wasserstein", gradient_penalty="wgan_gp", gp_weight=10.0, d_norm="layer"),
}


def train_for_cpu_budget(config, cpu_seconds, evaluations, classifier, real_features, num_eval=1000,
                         first_steps=25):
    """Train ``config`` for ``cpu_seconds`` of this process's CPU time (all threads), scoring the
    samples ``evaluations`` times along the way: equal budgets for settings whose steps cost
    different amounts (a gradient penalty costs a second backward pass).

    Training runs as :func:`tfgan.trainer.run` calls that resume from the last checkpoint (their
    output is swallowed); the first call makes ``first_steps`` steps and measures the step cost, the
    next ones aim at the ``k / evaluations`` fractions of the budget, each call's start-up included.
    ``config.output_dir`` must be a new folder. After each evaluation point ``num_eval`` samples
    (seed 0) are scored with ``tfgan.evaluate.score_images`` against ``real_features`` (the
    classifier's penultimate features of real images, ``tfgan.evaluate.logits_and_features``).

    Returns:
        A list of dicts, one per evaluation: ``cpu_seconds``, ``steps``, ``inception_score``,
        ``frechet_distance``, ``classes_covered``.
    """
    import contextlib
    import io
    import time

    from tfgan import evaluate, runs, trainer

    if config.output_dir is None or os.path.exists(os.path.join(config.output_dir, runs.CONFIG_FILE)):
        raise ValueError(f"Expected a new output_dir, so that the CPU time starts at step 0. "
                         f"Received: output_dir={config.output_dir!r}")
    rows, step, spent, rate = [], 0, 0.0, None
    for k in range(1, evaluations + 1):
        target = cpu_seconds * k / evaluations
        while spent < 0.97 * target:
            chunk = first_steps if rate is None else max(1, round((target - spent) * rate))
            start = time.process_time()
            with contextlib.redirect_stdout(io.StringIO()):
                result = trainer.run(config.replace(steps=step + chunk), progress=False)
            used = time.process_time() - start
            spent, step = spent + used, result.step
            rate = chunk / used  # steps per CPU second, this call's start-up included
        model = runs.load_model(config.output_dir)
        images = model.sample(num_eval, seed=0).numpy()
        scores = evaluate.score_images(images, classifier, None, real_features=real_features)
        rows.append({"cpu_seconds": spent, "steps": step, "inception_score": scores["inception_score"],
                     "frechet_distance": scores["frechet_distance"],
                     "classes_covered": scores["classes_covered"]})
    return rows


def main(argv=None):
    """``python -m tfgan.experiments``: list the presets as CLI commands."""
    print("Presets of tfgan.experiments (lectures/04_training_tricks.md):\n")
    for entry in PRESETS.values():
        print(f"{entry.name}: {entry.expect}")
        if entry.reliability:
            print(f"  measured: {entry.reliability}")
        print(f"  python -m tfgan.train dcgan {entry.flags()} --output-dir runs/{entry.name}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
