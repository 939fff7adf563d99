"""Time to quality: classifier Inception score of tfgan's default DCGAN against training time.

Trains ``DCGANConfig()`` (defaults apart from ``--set`` overrides) through ``tfgan.train.run``, the
function behind ``python -m tfgan.train``, for a wall-clock budget, and scores 2,000 samples with
a digit classifier every ``--eval-every`` seconds of training:

    python benchmarks/time_to_quality.py                       # 300 s budget, eval every 30 s
    python benchmarks/time_to_quality.py --seconds 60 --eval-every 20
    python benchmarks/time_to_quality.py --set g_lr=1e-3 --set batch_size=128 --json ttq.json
    python benchmarks/time_to_quality.py --set preset=radford2015   # the paper's training setup
    python benchmarks/time_to_quality.py --clock cpu                # CPU seconds / cores (shared machine)

Data: only MNIST's test split is offline (``TFGAN_DATA_DIR``), so its 10,000 digits are split
once by a fixed permutation (seed 0) into three disjoint parts:

* 4,000 digits train the classifier (``tfgan.classifier``, cached in ~/.cache/tfgan),
* 1,000 digits validate it (accuracy, and a real-data score),
* 5,000 digits are the GAN's training set. They are written as IDX files into a temporary
  folder passed as ``data_dir`` (removed at the end), so the GAN never sees the classifier's
  digits and no data file lands in the repository.

The clock: training runs in chunks, each a ``tfgan.train.run`` call that resumes from the last
checkpoint; the clock starts with the time the process took to import TensorFlow, Keras and
tfgan (what ``python -m tfgan.train`` pays first), counts the whole of every call (start-up,
tracing, checkpoints, sample grids, as a CLI user would pay them, once per chunk) and stops
between chunks while the samples are scored. The "set-up s" column sums the imports and the time
the calls spend before their training loops (building the model, restoring the checkpoint, loading
the data); retracing ``train_step`` at the start of each call happens inside the loop and is not
part of it.

``--clock wall`` (the default, the target's clock) counts elapsed seconds. ``--clock cpu`` counts
the process's CPU seconds (all threads, ``time.process_time``) divided by the cores it may use: on
a shared machine, waiting for a core costs elapsed time but no CPU time, so the CPU clock measures
the run's own work. On an idle machine the two agree as far as training keeps every core busy;
the script prints the CPU-seconds-per-wall-second ratio of each run (the "wall s" and "CPU s"
columns give both clocks whichever one paces the run), so a CPU-clock budget converts to wall time
through that ratio. Chunk sizes follow the measured
step rate so that evaluations fall near multiples of ``--eval-every``; the budget's last stretch
runs in chunks of at most 15 s, so that a sudden slowdown overruns the budget by little.

Chunking is not free: each call rebuilds and retraces the model, and a resumed run reseeds its
noise and data order, so every chunk replays the noise stream of the first. That replay did not
visibly hurt: single runs of the same length scored 6.43 (defaults, 2,637 steps) and 7.34
(``g_lr=d_lr=1e-3``, 4,665 steps) where the chunked runs scored 6.12 and 7.46.

The score: the Inception score of Salimans et al. 2016 with the digit classifier as the judge
(``tfgan.evaluate.score_images``), 2,000 samples from a fixed latent batch, 10 splits of
200. Its ceiling is the score of real digits at the same split size, printed for the GAN's own
training digits and for the classifier's validation digits. Beside it: the Fréchet distance of the
samples' classifier features to the GAN's 5,000 training digits (the classifier's 1,000 validation
digits give its floor at this sample size) and the smallest share of one digit among the samples.
Target: score >= 8.5 with every digit at least 5% of the samples, within 300 s.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gzip
import io
import json
import os
import shutil
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

TARGET = 8.5
MIN_CLASS_SHARE = 0.05  # and every digit at least 5% of the samples
SPLIT_SEED = 0
CLASSIFIER_TRAIN, CLASSIFIER_VAL = 4000, 1000
EVAL_SEED = 2024  # the fixed latent batch scored at every evaluation
LAST_CHUNK_SECONDS = 15.0  # the budget's last stretch runs in chunks of at most this (estimated)
#: Config fields the benchmark sets itself; --set may not change them.
RESERVED = {"dataset", "split", "data_dir", "output_dir", "steps", "epochs", "resume"}


# -- data -------------------------------------------------------------------------------------------
def split_digits(images, labels):
    """Fixed disjoint parts of the 10,000 test digits: classifier train / val, GAN."""
    order = np.random.default_rng(SPLIT_SEED).permutation(len(images))
    a, b = CLASSIFIER_TRAIN, CLASSIFIER_TRAIN + CLASSIFIER_VAL
    parts = {"classifier_train": order[:a], "classifier_val": order[a:b], "gan": order[b:]}
    return {name: (images[idx], labels[idx]) for name, idx in parts.items()}


def write_idx(path, array):
    """Writes a uint8 array as a gzipped IDX file (magic 0x0000080N, big-endian dims)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(header + array.tobytes())


def write_gan_split(folder, images, labels):
    """The GAN's digits as ``folder/mnist/t10k-*`` so ``data_dir=folder, split="test"`` finds them."""
    target = os.path.join(folder, "mnist")
    os.makedirs(target)
    write_idx(os.path.join(target, "t10k-images-idx3-ubyte.gz"), images[..., 0])
    write_idx(os.path.join(target, "t10k-labels-idx1-ubyte.gz"), labels)
    return folder


# -- config overrides ---------------------------------------------------------------------------------
def parse_overrides(pairs, config_class):
    """``["g_lr=1e-3", ...]`` -> typed field values, parsed by the CLI's own flag definitions."""
    from tfgan import train

    fields = {f.name for f in dataclasses.fields(config_class)}
    flag_parser = argparse.ArgumentParser(prog="--set", add_help=False)
    train.add_config_flags(flag_parser, config_class)
    argv = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in fields:
            raise SystemExit(f"--set expects FIELD=VALUE with a DCGANConfig field; got {pair!r}. "
                             f"Fields: {', '.join(sorted(fields - RESERVED))}")
        if key in RESERVED:
            raise SystemExit(f"--set {key}: the benchmark sets {key} itself")
        flag = "--" + key.replace("_", "-")
        if isinstance(getattr(config_class(), key), bool):
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise SystemExit(f"--set {key}: expected true or false, got {value!r}")
            argv.append(flag if value.lower() in ("true", "1", "yes") else "--no-" + flag[2:])
        else:
            argv += [flag, value]
    return vars(flag_parser.parse_args(argv))


# -- evaluation ---------------------------------------------------------------------------------------
def meets_target(row):
    """Score >= TARGET with every class at least MIN_CLASS_SHARE of the samples."""
    return row["score_mean"] >= TARGET and row["min_class_share"] >= MIN_CLASS_SHARE


def evaluate_fd_baseline(classifier, parts, real_features):
    """Fréchet distance of the classifier's validation digits to the GAN's digits: what real
    digits score (the floor a generator can approach at this sample size)."""
    from tfgan import backbones, metrics

    val_features = backbones.logits_and_features(classifier, parts["classifier_val"][0])[1]
    return metrics.frechet_distance(val_features, real_features)


def score_run(run_dir, classifier, z, real_features):
    """Scores of the run's latest checkpoint on the fixed latent batch ``z``: classifier Inception
    score (10 splits), Fréchet distance to ``real_features`` (the classifier's penultimate
    features of the GAN's training digits) and the smallest class share of the samples."""
    from tfgan import evaluate, train

    model = train.load_model(run_dir)
    images = model.sample(len(z), z=z).numpy()
    scores = evaluate.score_images(images, classifier, None, splits=10, real_features=real_features)
    hist = np.asarray(scores["class_histogram"])
    generator_score = None  # with --ema the samples come from G's average; G's own score beside it
    if getattr(model, "ema_generator", None) is not None:
        g_images = model.generator(z, training=False).numpy().astype(np.float32)
        generator_score = evaluate.score_images(
            g_images, classifier, None, splits=10, real_features=real_features)["inception_score"]
    return scores["inception_score"], scores["inception_score_std"], scores["frechet_distance"], \
        float(hist.min() / hist.sum()), generator_score


def usable_cores():
    """Cores this process may run on (its CPU affinity), the divisor of ``--clock cpu``."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def make_clock(kind, cores):
    """The benchmark's clock in seconds: wall time, or process CPU time (all threads) / cores."""
    if kind == "wall":
        return time.perf_counter
    return lambda: time.process_time() / cores


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=300.0,
                        help="training budget in seconds of --clock (default 300)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall: elapsed time (the target's clock); cpu: process CPU seconds "
                             "(all threads) divided by the usable cores, steadier on a shared "
                             "machine (default wall)")
    parser.add_argument("--eval-every", type=float, default=30.0,
                        help="training seconds between evaluations (default 30)")
    parser.add_argument("--samples", type=int, default=2000, help="samples per score (default 2000)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a DCGANConfig field, e.g. --set g_lr=1e-3 (repeatable)")
    parser.add_argument("--first-chunk-steps", type=int, default=100,
                        help="steps of the first chunk, which measures the step rate (default 100)")
    parser.add_argument("--output-dir", default=None,
                        help="run directory, must not exist yet (default: a new temporary folder)")
    parser.add_argument("--data-dir", default=None, help="folder with mnist/t10k-* (default: "
                        "the usual tfgan.data search, e.g. $TFGAN_DATA_DIR)")
    parser.add_argument("--no-cache", action="store_true", help="retrain the classifier")
    parser.add_argument("--verbose", action="store_true", help="show tfgan.train's own output")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write the results here")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.eval_every <= 0 or args.samples < 10:
        parser.error("--seconds and --eval-every must be > 0 and --samples >= 10")

    # the imports a `python -m tfgan.train` process pays before anything else: counted once
    import_wall, import_cpu = time.perf_counter(), time.process_time()
    import keras
    import tensorflow as tf

    from tfgan import classifier as clf_lib
    from tfgan import data, train
    from tfgan.models import DCGANConfig
    import_wall, import_cpu = time.perf_counter() - import_wall, time.process_time() - import_cpu

    overrides = parse_overrides(args.set, DCGANConfig)
    run_dir = args.output_dir or tempfile.mkdtemp(prefix="tfgan_ttq_run_")
    if args.output_dir and os.path.exists(run_dir):
        parser.error(f"--output-dir {run_dir} exists; pass a new folder (a run there would resume)")
    idx_dir = tempfile.mkdtemp(prefix="tfgan_ttq_data_")
    try:
        images, labels = data.load_arrays("mnist", "test", data_dir=args.data_dir)
        parts = split_digits(images, labels)
        write_gan_split(idx_dir, *parts["gan"])
        config = DCGANConfig.from_preset(**overrides).replace(
            dataset="mnist", split="test", data_dir=idx_dir, output_dir=run_dir)
        # The GAN must read exactly its own 5,000 digits, never the classifier's.
        seen = data.load_arrays("mnist", "test", data_dir=idx_dir)[0]
        assert np.array_equal(seen, parts["gan"][0]), "the GAN would not read its own split"

        print("time_to_quality settings:")
        print(f"  TensorFlow {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPU "
              f"cores, GPUs: {len(tf.config.list_physical_devices('GPU'))}, load average at "
              f"start: {os.getloadavg()[0]:.2f}")
        cores = usable_cores()
        clock_now = make_clock(args.clock, cores)
        print(f"  clock: {args.clock}" + (f" (process CPU seconds / {cores} cores)" if args.clock == "cpu"
                                          else " (elapsed seconds)")
              + f"; it starts at the imports of TensorFlow and tfgan: {import_wall:.1f} s wall, "
                f"{import_cpu:.1f} CPU s")
        print(f"  budget {args.seconds:g} s of training, evaluation every {args.eval_every:g} s "
              f"(not counted), {args.samples} samples, 10 splits")
        print(f"  data: MNIST test split ({len(images)} digits) permuted with seed {SPLIT_SEED}: "
              f"classifier train {CLASSIFIER_TRAIN}, classifier val {CLASSIFIER_VAL}, "
              f"GAN {len(parts['gan'][0])}")
        changed = {k: v for k, v in dataclasses.asdict(config).items()
                   if k not in RESERVED and v != getattr(DCGANConfig(), k)}
        print(f"  GAN: DCGANConfig() defaults{', overrides: ' + str(changed) if changed else ''} "
              f"(batch {config.batch_size}, g_lr {config.g_lr}, d_lr {config.d_lr}, "
              f"loss {config.loss}); run dir {run_dir}")

        start = time.perf_counter()
        classifier, accuracy = clf_lib.train_classifier(
            *parts["classifier_train"], epochs=5, seed=0, validation=parts["classifier_val"],
            cache_dir=None if args.no_cache else True)
        n_real = min(args.samples, len(parts["gan"][0]))
        ceiling = clf_lib.classifier_score(parts["gan"][0][:n_real], classifier,
                                           splits=max(1, n_real // 200))
        val_score = clf_lib.classifier_score(parts["classifier_val"][0], classifier,
                                             splits=CLASSIFIER_VAL // 200)
        from tfgan import backbones
        real_features = backbones.logits_and_features(classifier, parts["gan"][0])[1]
        real_fd = evaluate_fd_baseline(classifier, parts, real_features)
        print(f"  classifier: val accuracy {accuracy:.4f} ({time.perf_counter() - start:.0f} s "
              f"incl. cache lookup)")
        print(f"  real-data score (ceiling): GAN's digits {ceiling[0]:.2f} ± {ceiling[1]:.2f} "
              f"({n_real}), classifier val digits {val_score[0]:.2f} ± {val_score[1]:.2f} "
              f"({CLASSIFIER_VAL}); 200 per split as for the samples")
        print(f"  Fréchet distance (classifier features) to the GAN's {len(parts['gan'][0])} digits; "
              f"the classifier's {CLASSIFIER_VAL} val digits score {real_fd:.2f} (floor)\n")

        z = tf.random.stateless_normal([args.samples, config.latent_dim], seed=[EVAL_SEED, 0])
        header = (f"{'train s':>8s} {'wall s':>7s} {'CPU s':>7s} {'steps':>6s} {'images':>8s} "
                  f"{'img/s':>6s} {'score':>13s} {'FD':>7s} {'min cls':>7s} {'set-up s':>9s}")
        print(header, flush=True)
        # both clocks start with the imports of TensorFlow, Keras and tfgan (a CLI run's start-up)
        wall_total, cpu_total = import_wall, import_cpu
        start_up = import_wall if args.clock == "wall" else import_cpu / cores
        rows, clock, step, overhead, rate, chunks = [], start_up, 0, start_up, None, 0
        next_eval = args.eval_every
        while clock < args.seconds - 1.0:
            boundary = min(next_eval, args.seconds)
            if rate is None:
                chunk = args.first_chunk_steps
            else:  # steps that should end the chunk at the next boundary
                restart = overhead / chunks
                chunk = max(1, int((boundary - clock - restart) * rate))
                if boundary >= args.seconds:  # short last chunks: a slowdown cannot overrun much
                    chunk = min(chunk, max(1, int(LAST_CHUNK_SECONDS * rate)))
            out = io.StringIO()
            t0, c0, k0 = time.perf_counter(), time.process_time(), clock_now()
            with contextlib.redirect_stdout(out if not args.verbose else sys.stdout):
                result = train.run(config.replace(steps=step + chunk), progress=False)
            wall = time.perf_counter() - t0
            wall_total += wall
            cpu_total += time.process_time() - c0
            spent = clock_now() - k0
            clock += spent
            chunks += 1
            # before the training loop (build, restore, data): its share of the call's wall time,
            # in units of the clock
            loop = spent * result.seconds / wall
            overhead += spent - loop
            rate = chunk / loop if rate is None else 0.5 * rate + 0.5 * chunk / loop
            step = result.step
            # Close enough to the boundary? Otherwise train on (each call costs a restart).
            tolerance = 1.0 if boundary >= args.seconds else max(1.0, 0.1 * args.eval_every)
            if clock < boundary - tolerance:
                continue
            t_eval = time.perf_counter()
            mean, std, fd, min_share, g_score = score_run(run_dir, classifier, z, real_features)
            images_seen = step * config.batch_size * config.d_steps
            row = {"train_seconds": clock, "wall_seconds": wall_total, "cpu_seconds": cpu_total,
                   "steps": step, "images": images_seen,
                   "images_per_sec": images_seen / clock, "score_mean": mean, "score_std": std,
                   "frechet_distance": fd, "min_class_share": min_share,
                   "generator_score": g_score,
                   "restart_overhead_seconds": overhead,
                   "load_average": os.getloadavg()[0],
                   "eval_seconds": time.perf_counter() - t_eval}
            rows.append(row)
            print(f"{clock:8.1f} {wall_total:7.1f} {cpu_total:7.1f} {step:6d} {images_seen:8d} "
                  f"{row['images_per_sec']:6.0f} {mean:6.2f} ± {std:4.2f} {fd:7.2f} "
                  f"{min_share:7.3f} {overhead:9.1f}"
                  + (f"   (G without its average: {g_score:.2f})" if g_score is not None else ""),
                  flush=True)
            # the boundary after the one just reached (chunks end near, not exactly at, one)
            next_eval = (round(clock / args.eval_every) + 1) * args.eval_every

        reached = next((r for r in rows if meets_target(r)), None)
        final = rows[-1]
        print(f"\nfinal: {final['score_mean']:.2f} ± {final['score_std']:.2f}, FD "
              f"{final['frechet_distance']:.2f}, smallest class {final['min_class_share']:.1%} after "
              f"{final['train_seconds']:.0f} s of the {args.clock} clock ({final['wall_seconds']:.0f} s "
              f"wall, {final['cpu_seconds']:.0f} CPU s; {final['steps']} steps in {chunks} run() "
              f"calls, {final['restart_overhead_seconds']:.0f} s of it set-up); ceiling {ceiling[0]:.2f}")
        print(f"CPU s per wall s during training: {cpu_total / max(wall_total, 1e-9):.2f} "
              f"({cores} usable cores; load average now {os.getloadavg()[0]:.2f})")
        goal = f"score >= {TARGET} with every class >= {MIN_CLASS_SHARE:.0%}"
        if reached:
            print(f"target {goal} first reached at {reached['train_seconds']:.0f} s "
                  f"(step {reached['steps']})")
        else:
            print(f"target {goal} not reached within {args.seconds:g} s")
        print(f"samples: {os.path.join(run_dir, 'samples', 'final.png')}")
        if args.json:
            with open(args.json, "w") as f:
                json.dump({
                    "settings": {"seconds": args.seconds, "clock": args.clock, "cores": cores,
                                 "eval_every": args.eval_every,
                                 "samples": args.samples, "splits": 10,
                                 "config": dataclasses.asdict(config), "overrides": changed,
                                 "split_seed": SPLIT_SEED, "tensorflow": tf.__version__,
                                 "keras": keras.__version__, "cpu_count": os.cpu_count()},
                    "classifier_val_accuracy": accuracy,
                    "ceiling": {"gan_digits": ceiling, "classifier_val_digits": val_score},
                    "real_frechet_distance": real_fd,
                    "curve": rows, "target": TARGET, "min_class_share": MIN_CLASS_SHARE,
                    "target_reached_at_seconds": reached["train_seconds"] if reached else None,
                }, f, indent=2)
            print(f"wrote {args.json}")
    finally:
        shutil.rmtree(idx_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
