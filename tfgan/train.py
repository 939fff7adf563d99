"""Train any registered model: ``python -m tfgan.train MODEL --dataset NAME [flags]``.

Flags are generated from the model's config dataclass (``tfgan.models.REGISTRY``); ``run(config)``
does the work and is what tests and notebooks call. A run directory holds:

    config.json          the resolved config (and the model name)
    checkpoints/         tf.train.CheckpointManager: G, D, both optimizers, step; last 3 kept
    samples/             PNG grids from one fixed latent batch, step_XXXXXX.png and final.png
    metrics.csv          per-interval means of the losses, D(x), D(G(z)), their gap, images/s
    tensorboard/         the same scalars and the sample grids

Rerunning into an existing run directory resumes from its last checkpoint (``--resume`` insists
on one). Ctrl-C saves a checkpoint and exits; a NaN or infinite loss stops the run and leaves the
last good checkpoint as the latest.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import math
import os
import signal
import sys
import time
import typing

# Quiet TensorFlow's C++ logs before it loads (the package __init__ sets the same default).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from tfgan import models  # noqa: E402

METRIC_FIELDS = ("step", "d_loss", "g_loss", "d_real", "d_fake", "d_gap", "images_per_sec", "elapsed_sec")
#: Short progress-bar names for some trackers.
POSTFIX_NAMES = {"d_real": "D(x)", "d_fake": "D(G(z))"}
EXIT_INTERRUPTED = 130


class RunError(Exception):
    """Bad user input (flags, run directory, data): the CLI prints it on one line, exit code 2."""


class NonFiniteLossError(RuntimeError):
    """A loss became NaN or infinite; the run stopped without checkpointing that state."""


# -- configs and run directories ----------------------------------------------------------------
def model_name_of(config):
    for name, entry in models.REGISTRY.items():
        if type(config) is entry.config_class:
            return name
    raise RunError(f"No registered model uses config class {type(config).__name__}")


def config_to_dict(config):
    return {"model": model_name_of(config), "config": dataclasses.asdict(config)}


def config_from_dict(data):
    entry = models.get(data["model"])
    known = {f.name for f in dataclasses.fields(entry.config_class)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data["config"].items() if k in known}
    return entry.config_class(**values)


def default_run_dir(model_name, config):
    dataset = config.dataset.replace(":", "_").replace("/", "_").strip("_")
    return os.path.join("runs", f"{model_name}_{dataset}")


def load_run_config(run_dir):
    """The config saved in ``run_dir/config.json``; ``RunError`` if the run dir is not readable."""
    path = os.path.join(run_dir, "config.json")
    if not os.path.isdir(run_dir):
        raise RunError(f"Run directory not found: {run_dir}")
    try:
        with open(path) as f:
            return config_from_dict(json.load(f))
    except FileNotFoundError:
        raise RunError(f"{run_dir} is not a tfgan run directory: it has no config.json") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise RunError(f"Cannot read {path}: {err}") from None


def make_checkpoint(model):
    """The checkpoint of a model: its networks, its optimizers, the step counter and the noise
    generator's state (so a resumed run continues the noise stream instead of replaying it)."""
    import tensorflow as tf

    return tf.train.Checkpoint(
        step=model.step_counter, noise_seed=model.seed_generator.state, **model.checkpoint_items()
    )


def restore_latest(model, run_dir, expect_partial=False):
    """Restore the newest checkpoint of ``run_dir`` into ``model``; returns its path or None."""
    import tensorflow as tf

    latest = tf.train.latest_checkpoint(os.path.join(run_dir, "checkpoints"))
    if latest:
        status = make_checkpoint(model).restore(latest)
        if expect_partial:
            status.expect_partial()
    return latest


def list_checkpoints(run_dir):
    """``[(step, path), ...]`` of the checkpoints kept in ``run_dir``, oldest first."""
    import tensorflow as tf

    state = tf.train.get_checkpoint_state(os.path.join(run_dir, "checkpoints"))
    paths = list(state.all_model_checkpoint_paths) if state else []
    return sorted((int(path.rsplit("-", 1)[1]), path) for path in paths)


def load_model(run_dir, checkpoint=None):
    """Rebuild the model of a run directory and restore its latest checkpoint (for inference).

    ``checkpoint``: another kept checkpoint instead, as a path or a step (see :func:`list_checkpoints`).
    """
    config = load_run_config(run_dir)
    model = models.get(model_name_of(config)).model_class(config)
    model.compile(jit_compile=False)
    if checkpoint is None:
        if restore_latest(model, run_dir, expect_partial=True) is None:
            raise RunError(f"{run_dir} has no checkpoint yet (checkpoints/ is empty)")
        return model
    kept = list_checkpoints(run_dir)
    by_step = dict(kept)
    path = by_step.get(checkpoint) if isinstance(checkpoint, (int, np.integer)) else str(checkpoint)
    if path not in by_step.values():
        raise RunError(f"{run_dir} has no checkpoint {checkpoint!r}; kept steps: {[step for step, _ in kept]}")
    make_checkpoint(model).restore(path).expect_partial()
    return model


# -- the training run ----------------------------------------------------------------------------
def metric_fields(model):
    """Columns of ``metrics.csv``: the step, the model's trackers (plus D's gap), speed and time."""
    names = tuple(model.tracker_names)
    gap = ("d_gap",) if {"d_real", "d_fake"} <= set(names) else ()
    return ("step",) + names + gap + ("images_per_sec", "elapsed_sec")


def total_steps(config, examples_per_epoch, per_step=None):
    """``--steps`` unless ``--epochs`` is given: epochs * examples / (batch_size * d_steps)."""
    if config.epochs is None:
        return config.steps
    per_step = per_step or config.batch_size * getattr(config, "d_steps", 1)
    return max(1, math.ceil(config.epochs * examples_per_epoch / per_step))


def _format_duration(seconds):
    seconds = int(round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s"


class _Monitor:
    """Keras callback doing the per-step bookkeeping of ``run``: progress, logs, grids, checkpoints."""

    def __init__(self, model, config, run_dir, manager, start_step, end_step, images_per_step, progress):
        import keras
        import tensorflow as tf

        self.callback = keras.callbacks.LambdaCallback(on_train_batch_end=self.on_batch_end)
        self.model, self.config, self.run_dir, self.manager = model, config, run_dir, manager
        self.start_step, self.end_step, self.images_per_step = start_step, end_step, images_per_step
        self.step = start_step
        self.fields = metric_fields(model)
        self.writer = tf.summary.create_file_writer(os.path.join(run_dir, "tensorboard"))
        self.csv_path = os.path.join(run_dir, "metrics.csv")
        if not os.path.exists(self.csv_path):
            with open(self.csv_path, "w", newline="") as f:
                csv.writer(f).writerow(self.fields)
        self.bar = None
        if progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=end_step, initial=start_step, unit="step", dynamic_ncols=True,
                mininterval=0.5 if sys.stderr.isatty() else 10.0,
            )
        self.t0 = self.t_interval = time.perf_counter()
        self.steps_interval = 0
        self.nonfinite = None
        self.interrupted = False  # set by the Ctrl-C handler; the run stops after the current step
        self.estimated = False

    def write(self, message):
        (self.bar.write if self.bar else print)(message)

    def on_batch_end(self, batch, logs):
        self.step += 1
        self.steps_interval += 1
        if self.interrupted:
            self.model.stop_training = True
        values = {k: float(v) for k, v in (logs or {}).items()}
        bad = [k for k, v in values.items() if not math.isfinite(v)]
        if bad:
            self.nonfinite = (self.step, {k: values[k] for k in bad})
            self.model.stop_training = True
            return
        elapsed = time.perf_counter() - self.t_interval
        rate = self.steps_interval * self.images_per_step / max(elapsed, 1e-9)
        if self.bar is not None:
            postfix = {POSTFIX_NAMES.get(k, k): f"{v:.3f}" for k, v in values.items()}
            self.bar.set_postfix(postfix, **{"img/s": f"{rate:.0f}"}, refresh=False)
            self.bar.update(1)
        if self.step - self.start_step == 1:
            self.t_first = time.perf_counter()  # the first step includes tracing: leave it out
        if not self.estimated and self.step - self.start_step == 21:
            self.estimated = True
            per_step = (time.perf_counter() - self.t_first) / 20
            self.write(
                f"Estimated time for {self.end_step - self.step} more steps: "
                f"~{_format_duration(per_step * (self.end_step - self.step))} "
                f"({self.images_per_step / per_step:.0f} images/s)"
            )
        if self.step % self.config.log_every == 0 or self.step == self.end_step:
            self.log(values, rate)
        if self.step % self.config.sample_every == 0:
            self.save_grid(f"step_{self.step:06d}.png")
        if self.step % self.config.checkpoint_every == 0:
            self.manager.save(checkpoint_number=self.step)

    def log(self, values, rate):
        import tensorflow as tf

        row = dict(values, step=self.step, images_per_sec=rate, elapsed_sec=time.perf_counter() - self.t0)
        if "d_real" in row and "d_fake" in row:
            row["d_gap"] = row["d_real"] - row["d_fake"]  # how far D is ahead of G
        with open(self.csv_path, "a", newline="") as f:
            csv.writer(f).writerow([f"{row[k]:.6g}" if k in row else "" for k in self.fields])
        with self.writer.as_default(step=self.step):
            for key, value in row.items():
                if key != "step":
                    tf.summary.scalar(key, value)
        for tracker in self.model.metrics:  # the next row is the mean over the next interval
            tracker.reset_state()
        self.t_interval, self.steps_interval = time.perf_counter(), 0

    def save_grid(self, filename):
        import tensorflow as tf

        from tfgan import viz

        grid = self.model.preview_grid(self.config.num_samples)
        path = viz.save_png(os.path.join(self.run_dir, "samples", filename), grid)
        with self.writer.as_default(step=self.step):
            tf.summary.image("samples", grid[None])
        return path

    def close(self):
        if self.bar is not None:
            self.bar.close()
        self.writer.flush()


@dataclasses.dataclass
class RunResult:
    run_dir: str
    step: int
    status: str  # "completed", "interrupted" or "already_done"
    seconds: float


def prepare_run(config, model_name=None):
    """Validate ``config`` and resolve its run directory; ``RunError`` on bad input."""
    model_name = model_name or model_name_of(config)
    try:
        config.validate()
    except ValueError as err:
        raise RunError(str(err)) from None
    run_dir = config.output_dir or default_run_dir(model_name, config)
    return model_name, dataclasses.replace(config, output_dir=run_dir)


def run(config, progress=True, interrupt_after=None):
    """Train the model that ``config`` belongs to, resuming from its run directory if it exists.

    Returns a :class:`RunResult`. Raises :class:`RunError` for bad input,
    :class:`NonFiniteLossError` when a loss blows up. ``interrupt_after`` (tests) raises
    ``KeyboardInterrupt`` after that many steps, as Ctrl-C would.
    """
    import tensorflow as tf

    from tfgan import data, distribute
    from tfgan.errors import ConfigError

    model_name, config = prepare_run(config)
    run_dir = config.output_dir
    ckpt_dir = os.path.join(run_dir, "checkpoints")
    has_checkpoint = tf.train.latest_checkpoint(ckpt_dir) is not None
    if config.resume and not has_checkpoint:
        raise RunError(f"--resume given but {run_dir} has no checkpoint to resume from")
    if has_checkpoint:
        check_compatible(load_run_config(run_dir), config)

    keras_seed(config.seed)
    try:
        strategy = distribute.get_strategy(config.strategy)
        with strategy.scope():  # networks, optimizers and checkpoint state live on every replica
            model = models.get(model_name).model_class(config)
            distribute.check_global_batch(model.config.batch_size, strategy)
            model.compile(jit_compile=config.jit_compile)
            checkpoint = make_checkpoint(model)
    except ConfigError as err:
        raise RunError(str(err)) from None
    write_dir = distribute.worker_dir(run_dir, strategy)  # run_dir, except on non-chief workers
    manager = tf.train.CheckpointManager(checkpoint, os.path.join(write_dir, "checkpoints"), max_to_keep=3)
    if has_checkpoint:  # every worker restores the chief's checkpoint
        checkpoint.restore(tf.train.latest_checkpoint(ckpt_dir)).assert_existing_objects_matched()
    start_step = int(model.step_counter.numpy())

    try:
        # A resumed run draws a new data order rather than replaying the first one.
        dataset, examples = model.make_dataset(seed=config.seed + start_step)
    except (data.DatasetNotFoundError, data.CorruptDatasetError, ValueError) as err:
        raise RunError(str(err)) from None
    images_per_step = model.images_per_step
    end_step = total_steps(config, examples, images_per_step)
    os.makedirs(write_dir, exist_ok=True)
    with open(os.path.join(write_dir, "config.json"), "w") as f:
        json.dump(config_to_dict(config), f, indent=2)

    t0 = time.perf_counter()
    if start_step >= end_step:
        print(f"{run_dir} already trained {start_step} of {end_step} steps; nothing to do "
              "(pass a larger --steps or --epochs to train longer).")
        return RunResult(run_dir, start_step, "already_done", 0.0)
    print(f"Training {model_name} on {config.dataset} ({config.split}, {examples} images) "
          f"into {run_dir}: steps {start_step} -> {end_step}, batch {images_per_step}"
          + (f" over {strategy.num_replicas_in_sync} replicas" if strategy.num_replicas_in_sync > 1 else "")
          + (" (resumed)" if start_step else ""))
    monitor = _Monitor(model, config, write_dir, manager, start_step, end_step, images_per_step, progress)
    callbacks = [monitor.callback]
    if interrupt_after is not None:
        callbacks.append(_interrupt_after(start_step + interrupt_after, monitor))
    status = "completed"
    previous_handler = _catch_ctrl_c(monitor)
    try:
        model.on_train_begin(start_step)
        if start_step == 0:
            monitor.save_grid("step_000000.png")
        model.fit(dataset, steps_per_epoch=end_step - start_step, epochs=1, verbose=0,
                  shuffle=False, callbacks=callbacks)
    except KeyboardInterrupt:
        status = "interrupted"
    finally:
        monitor.close()
        if previous_handler is not None:
            signal.signal(signal.SIGINT, previous_handler)
    if monitor.interrupted:
        status = "interrupted"
    if monitor.nonfinite:
        step, bad = monitor.nonfinite
        raise NonFiniteLossError(
            f"Training stopped at step {step}: non-finite loss {bad}. The last good checkpoint "
            f"({manager.latest_checkpoint or 'none yet'}) is kept; try a lower learning rate "
            "or --label-smoothing."
        )
    step = int(model.step_counter.numpy())
    if manager.latest_checkpoint is None or not manager.latest_checkpoint.endswith(f"-{step}"):
        manager.save(checkpoint_number=step)
    seconds = time.perf_counter() - t0
    if status == "completed":
        monitor.save_grid("final.png")
        print(f"Done: {step} steps in {_format_duration(seconds)}. Samples: "
              f"{os.path.join(run_dir, 'samples', 'final.png')}; metrics: {monitor.csv_path}")
    else:
        print(f"Interrupted at step {step}; checkpoint saved. Run the same command to resume.")
    return RunResult(run_dir, step, status, seconds)


def _catch_ctrl_c(monitor):
    """First Ctrl-C: finish the current step, then stop and checkpoint (a KeyboardInterrupt raised
    inside TensorFlow's tracing can be lost); a second Ctrl-C interrupts at once. Returns the
    previous handler, or None outside the main thread."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        if monitor.interrupted:
            raise KeyboardInterrupt
        monitor.interrupted = True
        monitor.write("Ctrl-C: stopping after this step and saving a checkpoint (Ctrl-C again to quit now)")

    return signal.signal(signal.SIGINT, handler)


def _interrupt_after(step, monitor):
    import keras

    def on_batch_end(batch, logs):
        if monitor.step >= step:
            raise KeyboardInterrupt

    return keras.callbacks.LambdaCallback(on_train_batch_end=on_batch_end)


#: Fields that may change between a run and its resumption; the others define the model.
RESUMABLE_FIELDS = {
    "steps", "epochs", "checkpoint_every", "sample_every", "log_every", "resume", "output_dir",
    "data_dir", "jit_compile", "num_samples", "strategy",
}


def check_compatible(saved, config):
    """Refuse to resume a run with a different architecture or training setup."""
    if type(saved) is not type(config):
        raise RunError(
            f"{config.output_dir} holds a {model_name_of(saved)} run, not {model_name_of(config)}; "
            "pass another --output-dir"
        )
    diffs = [
        f"{f.name}: saved {getattr(saved, f.name)!r}, received {getattr(config, f.name)!r}"
        for f in dataclasses.fields(config)
        if f.name not in RESUMABLE_FIELDS and getattr(saved, f.name) != getattr(config, f.name)
    ]
    if diffs:
        raise RunError(
            f"Cannot resume {config.output_dir} with different settings ({'; '.join(diffs)}); "
            "use the saved settings or pass another --output-dir"
        )


def keras_seed(seed):
    import keras

    keras.utils.set_random_seed(seed)


# -- command line --------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit code 2) instead of usage dumps."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def positive_int(text):
    """argparse ``type`` for flags that take an integer >= 1 (shared by the tfgan CLIs)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _flag_type(annotation):
    """argparse ``type`` and ``nargs``-free parser for a dataclass field annotation."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is tuple:
        def parse_tuple(text):
            try:
                return tuple(int(v) for v in text.replace("x", ",").split(","))
            except ValueError:
                raise argparse.ArgumentTypeError(f"expected comma-separated integers, e.g. 28,28,1; got {text!r}")
        return parse_tuple
    if args:  # Optional[X]
        return _flag_type(args[0])
    return annotation


def add_config_flags(parser, config_class, defaults=None):
    """One ``--flag`` per dataclass field, typed and documented from the field itself."""
    hints = typing.get_type_hints(config_class)
    defaults = defaults or {}
    for f in dataclasses.fields(config_class):
        flag = "--" + f.name.replace("_", "-")
        default = defaults.get(f.name, f.default)
        help_text = f.metadata.get("help", "")
        if "choices" in f.metadata:
            help_text += f"; one of {', '.join(f.metadata['choices'])}"
        if "default" not in help_text:
            help_text += f" (default: {default})"
        kwargs = {"dest": f.name, "default": argparse.SUPPRESS, "help": help_text}
        if hints[f.name] is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs["type"] = _flag_type(hints[f.name])
            if "choices" in f.metadata:
                kwargs["choices"] = f.metadata["choices"]
            kwargs["metavar"] = f.name.upper()
        parser.add_argument(flag, **kwargs)


def parse_args(argv=None):
    """Parse ``MODEL [flags]`` into ``(model_name, config, explicit_fields)``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    names = sorted(models.REGISTRY)
    top = _Parser(prog="python -m tfgan.train", add_help=False)
    top.add_argument("model", nargs="?")
    known, _ = top.parse_known_args(argv[:1])
    if known.model in (None, "-h", "--help") or known.model.startswith("-"):
        lines = [f"  {n:10s} {models.REGISTRY[n].description}" for n in names]
        print("usage: python -m tfgan.train MODEL --dataset NAME [flags]\n\nmodels:\n"
              + "\n".join(lines) + "\n\n`python -m tfgan.train MODEL --help` lists the flags.")
        sys.exit(0 if argv and argv[0] in ("-h", "--help") else 2)
    if known.model not in models.REGISTRY:
        top.error(f"unknown model {known.model!r}; valid choices: {', '.join(names)}")
    entry = models.get(known.model)
    parser = _Parser(
        prog=f"python -m tfgan.train {known.model}",
        description=f"Train {entry.description}.",
    )
    add_config_flags(parser, entry.config_class, {"dataset": entry.default_dataset})
    explicit = vars(parser.parse_args(argv[1:]))
    values = {"dataset": entry.default_dataset, **explicit}
    return known.model, entry.config_class(**values), set(explicit)


def main(argv=None):
    """CLI entry point; returns the exit code (0 ok, 1 diverged, 2 bad input, 130 interrupted)."""
    model_name, config, explicit = parse_args(argv)
    prog = "python -m tfgan.train"
    try:
        model_name, config = prepare_run(config, model_name)
        if os.path.exists(os.path.join(config.output_dir, "config.json")):
            # Resuming: the saved settings stand unless given again on the command line.
            saved = load_run_config(config.output_dir)
            config = dataclasses.replace(saved, **{k: getattr(config, k) for k in explicit})
        result = run(config)
    except RunError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    except NonFiniteLossError as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 1
    return EXIT_INTERRUPTED if result.status == "interrupted" else 0


if __name__ == "__main__":
    sys.exit(main())
