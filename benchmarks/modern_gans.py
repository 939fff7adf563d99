"""Training speed and quality after a stated budget of the modern generators (progressive GAN,
StyleGAN when registered) beside DCGAN, all at their default sizes, on MNIST.

    python benchmarks/modern_gans.py                          # speed and quality, every model
    python benchmarks/modern_gans.py --which progan --skip-quality --rounds 3
    python benchmarks/modern_gans.py --which dcgan,progan --steps dcgan=2000 --steps progan=4000
    python benchmarks/modern_gans.py --set progan.stable_steps=500 --json modern.json

Models are named as in ``python -m tfgan.train``; ``--which`` takes any registered name, so a new
model (``stylegan``) needs no change here. Its default is dcgan plus whichever of
:data:`MODERN` the registry has.

Speed: images/s (real images D consumes per second), steps/s and process CPU ms per step of
``model.fit`` on the model's own ``make_dataset`` pipeline, as ``tfgan.train`` runs it, after two
untimed warm-up steps (tracing). Models that grow (they have ``level_start``, as ProGAN) are timed
at every resolution, in the stable part of its phase. Rounds interleave the models so background
load hits them alike; the table gives the median over rounds.

Quality: each model trains from scratch through ``tfgan.train.run`` (the CLI's code path) for its
budget of steps (``--steps NAME=N``; default: the model's own default ``--steps``, i.e. its full
default schedule), then 2,000 samples of a fixed latent batch are scored by a digit classifier:
the classifier Inception score (Salimans et al. 2016, the MNIST classifier standing in for
Inception) and the Fréchet distance of the classifier's penultimate features to 1,000 held-out
real digits (``tfgan.evaluate.score_images``; 32x32 samples are resized to the classifier's 28x28
as the evaluator does). The data split is that of ``benchmarks/time_to_quality.py``: MNIST's
offline test split permuted once into 4,000 digits for the classifier, 1,000 to validate it and
score against, and 5,000 for the GANs. The ceiling (real digits scored the same way) is printed.

The wall clock on a shared machine varies by 2x or more; the CPU seconds (all threads of this
process) are the steadier figure. The CPU's AVX flags and ``ONEDNN_MAX_CPU_ISA`` are printed: set
``ONEDNN_MAX_CPU_ISA=AVX2`` to time the kernels a laptop without AVX-512 would run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from time_to_quality import parse_overrides, split_digits, write_gan_split  # noqa: E402
from train_speed import cpu_flags  # noqa: E402

#: The models this benchmark is about; the default ``--which`` is dcgan plus those registered.
MODERN = ("progan", "stylegan")
SAMPLES, EVAL_SEED, WARMUP = 2000, 2024, 2


def default_models():
    from tfgan import models

    return ["dcgan"] + [name for name in MODERN if name in models.REGISTRY]


def make_config(name, data_dir, overrides, **changes):
    from tfgan import models

    config_class = models.get(name).config_class
    return config_class(**overrides.get(name, {})).replace(dataset="mnist", split="test", data_dir=data_dir,
                                                          **changes)


# -- speed ------------------------------------------------------------------------------------------
class SpeedCase:
    """One model at one phase: ``fit`` for a few steps from a fixed step counter."""

    def __init__(self, label, model, dataset, start_step=None):
        self.label, self.model, self.dataset, self.start_step = label, model, dataset, start_step
        self.batch = model.images_per_step

    def run(self, steps):
        """Trains ``steps`` steps; returns (wall seconds, process CPU seconds)."""
        if self.start_step is not None:  # stay in the phase being timed
            self.model.g_optimizer.iterations.assign(self.start_step)
        wall, cpu = time.perf_counter(), time.process_time()
        self.model.fit(self.dataset, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
        return time.perf_counter() - wall, time.process_time() - cpu


def speed_cases(name, data_dir, overrides):
    from tfgan import models

    config = make_config(name, data_dir, overrides)
    model = models.build(name, config)
    model.compile(jit_compile=False)
    dataset = model.make_dataset(seed=0)[0]
    if not hasattr(model, "level_start"):
        return [SpeedCase(name, model, dataset)]
    cases = []
    for level in range(model.levels):  # the stable part of each resolution's phase
        start = model.level_start(level) + (config.fade_steps if level else 0)
        side = 4 * 2**level
        cases.append(SpeedCase(f"{name}@{side}x{side}", model, dataset, start))
    return cases


def measure_speed(names, data_dir, overrides, rounds, steps):
    cases = [case for name in names for case in speed_cases(name, data_dir, overrides)]
    for case in cases:
        case.run(WARMUP)
    times = {case.label: [] for case in cases}
    for r in range(rounds):
        for case in (cases if r % 2 == 0 else cases[::-1]):
            times[case.label].append(case.run(steps))
    rows = []
    for case in cases:
        wall = statistics.median(w for w, _ in times[case.label])
        cpu = statistics.median(c for _, c in times[case.label])
        rows.append({"model": case.label, "batch": case.batch, "images_per_sec": case.batch * steps / wall,
                     "steps_per_sec": steps / wall, "cpu_ms_per_step": 1000 * cpu / steps,
                     "wall_ms_per_step": 1000 * wall / steps,
                     "wall_ms_min_max": [1000 * min(w for w, _ in times[case.label]) / steps,
                                         1000 * max(w for w, _ in times[case.label]) / steps]})
    return rows


# -- quality ----------------------------------------------------------------------------------------
def measure_quality(name, data_dir, overrides, budget, run_root, classifier, real_val):
    from tfgan import evaluate, train

    changes = {"output_dir": os.path.join(run_root, name)}
    if budget is not None:
        changes["steps"] = budget
    config = make_config(name, data_dir, overrides, **changes)
    wall, cpu = time.perf_counter(), time.process_time()
    result = train.run(config, progress=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    model = train.load_model(config.output_dir)
    z = model.latent(SAMPLES, seed=EVAL_SEED)
    # in [-1, 1]: the samplers of the linear-output models clip (tfgan.models.progan.as_images)
    images = np.concatenate([model.sample(500, z=z[i:i + 500]).numpy() for i in range(0, SAMPLES, 500)])
    scores = evaluate.score_images(images, classifier, real_val)
    return {"model": name, "steps": result.step, "batch": config.batch_size, "wall_sec": wall, "cpu_sec": cpu,
            "image_shape": list(images.shape[1:]), **{k: scores[k] for k in (
                "inception_score", "inception_score_std", "frechet_distance", "classes_covered")},
            "run_dir": config.output_dir}


def parse_steps(pairs, parser):
    budgets = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if not value.isdigit() or int(value) < 1:
            parser.error(f"--steps takes NAME=N with N >= 1. Received: {pair!r}")
        budgets[name] = int(value)
    return budgets


def parse_sets(pairs, names, parser):
    from tfgan import models

    by_model = {}
    for pair in pairs:
        target, _, assignment = pair.partition(".")
        if target not in names or not assignment:
            parser.error(f"--set takes MODEL.FIELD=VALUE for a model of --which. Received: {pair!r}")
        by_model.setdefault(target, []).append(assignment)
    return {name: parse_overrides(values, models.get(name).config_class) for name, values in by_model.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--which", default=None, help="comma-separated model names (default: dcgan "
                        "plus the registered ones of " + ", ".join(MODERN) + ")")
    parser.add_argument("--rounds", type=int, default=3, help="speed rounds (default 3)")
    parser.add_argument("--speed-steps", type=int, default=10, help="timed steps per round (default 10)")
    parser.add_argument("--steps", action="append", default=[], metavar="NAME=N",
                        help="quality budget of a model in steps (default: its default --steps)")
    parser.add_argument("--set", action="append", default=[], metavar="MODEL.FIELD=VALUE",
                        help="override a model's config field, e.g. progan.stable_steps=500")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--output-dir", default=None, help="where the quality runs go (default: a temporary "
                        "folder, removed at the end)")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write the results here")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.speed_steps < 1:
        parser.error("--rounds and --speed-steps must be >= 1")

    import shutil

    import keras
    import tensorflow as tf

    from tfgan import classifier as clf_lib
    from tfgan import data, evaluate, models

    names = args.which.split(",") if args.which else default_models()
    for name in names:
        if name not in models.REGISTRY:
            parser.error(f"unknown model {name!r}; registered: {', '.join(sorted(models.REGISTRY))}")
    budgets, overrides = parse_steps(args.steps, parser), parse_sets(args.set, names, parser)

    print("modern_gans settings:")
    print(f"  TensorFlow {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPU cores, "
          f"load average at start {os.getloadavg()[0]:.2f}")
    print(f"  CPU flags: {cpu_flags()}; ONEDNN_MAX_CPU_ISA={os.environ.get('ONEDNN_MAX_CPU_ISA', '(unset)')}")
    for name in names:
        config = make_config(name, None, overrides)
        print(f"  {name}: batch {config.batch_size}, steps {budgets.get(name, config.steps)}, "
              f"image {tuple(getattr(config, 'image_shape', ()))}"
              + (f", overrides {overrides[name]}" if name in overrides else ""))
    results = {"cpu_flags": cpu_flags(), "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA"),
               "load_average_start": os.getloadavg()[0], "models": names}

    data_dir = tempfile.mkdtemp(prefix="tfgan_modern_data_")
    run_root = args.output_dir or tempfile.mkdtemp(prefix="tfgan_modern_runs_")
    try:
        images, labels = data.load_arrays("mnist", "test")
        parts = split_digits(images, labels)
        write_gan_split(data_dir, *parts["gan"])
        if not args.skip_speed:
            rows = measure_speed(names, data_dir, overrides, args.rounds, args.speed_steps)
            results["speed"] = rows
            print(f"\nspeed ({args.rounds} rounds x {args.speed_steps} steps, median; load average now "
                  f"{os.getloadavg()[0]:.2f}):")
            print(f"  {'model':<16} {'batch':>5} {'images/s':>9} {'steps/s':>8} {'CPU ms/step':>12} "
                  f"{'wall ms/step [min, max]':>26}")
            for r in rows:
                lo, hi = r["wall_ms_min_max"]
                print(f"  {r['model']:<16} {r['batch']:>5} {r['images_per_sec']:>9.1f} {r['steps_per_sec']:>8.2f} "
                      f"{r['cpu_ms_per_step']:>12.1f} {r['wall_ms_per_step']:>9.1f} [{lo:.0f}, {hi:.0f}]")
        if not args.skip_quality:
            classifier, accuracy = clf_lib.train_classifier(
                *parts["classifier_train"], epochs=5, seed=0, validation=parts["classifier_val"],
                cache_dir=True)
            real_val = parts["classifier_val"][0]
            ceiling = evaluate.score_images(parts["gan"][0][:SAMPLES], classifier, real_val)
            results["classifier_accuracy"] = accuracy
            results["real_digits"] = {k: ceiling[k] for k in ("inception_score", "frechet_distance")}
            rows = []
            for name in names:
                rows.append(measure_quality(name, data_dir, overrides, budgets.get(name), run_root, classifier,
                                            real_val))
            results["quality"] = rows
            print(f"\nquality ({SAMPLES} samples; classifier accuracy {accuracy:.4f}; real digits: IS "
                  f"{ceiling['inception_score']:.2f}, FD {ceiling['frechet_distance']:.2f}; load average now "
                  f"{os.getloadavg()[0]:.2f}):")
            print(f"  {'model':<10} {'steps':>6} {'batch':>5} {'CPU s':>8} {'wall s':>8} {'IS':>12} {'FD':>8} {'classes':>7}")
            for r in rows:
                print(f"  {r['model']:<10} {r['steps']:>6} {r['batch']:>5} {r['cpu_sec']:>8.0f} {r['wall_sec']:>8.0f} "
                      f"{r['inception_score']:>6.2f} ± {r['inception_score_std']:.2f} {r['frechet_distance']:>8.2f} "
                      f"{r['classes_covered']:>7}")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if not args.output_dir:
            shutil.rmtree(run_root, ignore_errors=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2, default=float)
    return results


if __name__ == "__main__":
    main()
