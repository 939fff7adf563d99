"""Run directories: where a training run keeps its config, checkpoints, samples and metrics.

A run directory holds::

    config.json          the resolved config (and the model name)
    checkpoints/         tf.train.CheckpointManager: networks, optimizers, step, noise state; last 3 kept
    samples/             PNG grids from one fixed latent batch, step_XXXXXX.png and final.png
    metrics.csv          per-interval means of the trackers, D's gap, images/s, elapsed time
    tensorboard/         the same scalars and the sample grids

This module reads and writes that layout (config JSON, checkpoints, ``load_model``, the checks that
decide whether a run may resume). It sits above the models and below the trainer and the CLIs, and
raises :class:`tfgan.errors.RunError` for a run directory it cannot use.
"""

from __future__ import annotations

import csv
import dataclasses
import glob
import hashlib
import io
import json
import os
import re
import shutil
import socket
import sys
import time
import typing

import numpy as np
import tensorflow as tf

from tfgan import fileio, models
from tfgan.errors import ConfigError, DataError, NonFiniteError, RunError
from tfgan.models.base import total_steps

CONFIG_FILE = "config.json"
CHECKPOINT_DIR = "checkpoints"
SAMPLES_DIR = "samples"
METRICS_FILE = "metrics.csv"
TENSORBOARD_DIR = "tensorboard"
#: The lock file of a run being trained: ``PID HOST START_TIME``.
LOCK_FILE = ".lock"
#: Where damaged checkpoints are moved (``checkpoints/damaged/``), never deleted.
DAMAGED_DIR = "damaged"
#: Checkpoints a run keeps (older ones are deleted as new ones are written).
MAX_TO_KEEP = 3

#: Config fields that say where or how to run, not what is trained: they do not change a run's name.
NOT_SETTINGS = ("output_dir", "resume", "data_dir", "strategy", "restart",
                "preset")  # a preset's name only records where the values (which count) came from
#: Fields that may change between a run and its resumption; the others define the model.
RESUMABLE_FIELDS = {
    "steps", "epochs", "checkpoint_every", "sample_every", "log_every", "resume", "output_dir",
    "data_dir", "jit_compile", "num_samples", "strategy", "restart",
}

__all__ = [
    "CONFIG_FILE", "CHECKPOINT_DIR", "SAMPLES_DIR", "METRICS_FILE", "TENSORBOARD_DIR", "RESUMABLE_FIELDS",
    "SavedRun", "check_compatible", "checkpoint_manager", "config_from_dict", "config_to_dict",
    "default_run_dir", "latest_checkpoint", "list_checkpoints", "load_model", "load_run_config",
    "make_checkpoint", "model_name_of", "open_run", "prepare_run", "restore_latest", "save_run_config",
    "settings_run_dir", "total_steps", "checkpoint_files", "checkpoint_problem", "usable_checkpoints",
    "repair_checkpoints", "nonfinite_weights", "save_checkpoint", "RunLock", "trim_metrics",
    "estimated_bytes", "check_memory", "available_memory", "image_pixels",
]


# -- names and configs ---------------------------------------------------------------------------
def model_name_of(config):
    """The registry name of the model ``config`` belongs to."""
    for name, entry in models.REGISTRY.items():
        if type(config) is entry.config_class:
            return name
    raise RunError(f"No registered model uses config class {type(config).__name__}")


def config_to_dict(config):
    """``{"model": NAME, "config": {field: value}}``: what ``config.json`` holds."""
    return {"model": model_name_of(config), "config": dataclasses.asdict(config)}


def config_from_dict(data):
    """The config of :func:`config_to_dict`'s output; fields the class no longer has are dropped.

    Every value is checked against its field's type and the config's validation, so a hand-edited
    or damaged file gives a ``ConfigError`` naming the field instead of a crash later.
    """
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict) or "model" not in data:
        raise ConfigError('expected {"model": NAME, "config": {...}}')
    entry = models.get(data["model"])
    hints = typing.get_type_hints(entry.config_class)
    values = {}
    for f in dataclasses.fields(entry.config_class):
        if f.name in data["config"]:
            values[f.name] = check_type(f.name, data["config"][f.name], hints[f.name])
    config = entry.config_class(**values)
    config.validate()
    return config


def check_type(name, value, annotation):
    """``value`` as the field type ``annotation`` wants (JSON lists become tuples); ``ConfigError``
    naming the field when it is not one."""
    args = typing.get_args(annotation)
    if type(None) in args:
        if value is None:
            return None
        annotation = next(a for a in args if a is not type(None))
    if typing.get_origin(annotation) is tuple:
        if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return tuple(value)
    elif annotation is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif isinstance(annotation, type) and isinstance(value, annotation):
        return value
    expected = getattr(annotation, "__name__", str(annotation))
    raise ConfigError(f"field {name!r} must be {expected}. Received: {value!r}")


def default_run_dir(model_name, config):
    """``runs/MODEL_DATASET``: where the CLI trains when ``--output-dir`` is not given."""
    dataset = config.dataset.replace(":", "_").replace("/", "_").strip("_")
    return os.path.join("runs", f"{model_name}_{dataset}")


def settings_run_dir(root, model_name, config):
    """``ROOT/MODEL_DATASET-HASH``: a run directory named after the settings that define the run.

    Notebooks train into this, so a student who changes a setting (steps, loss, sizes...) gets a
    new run instead of a refusal to resume an incompatible one, and re-running a cell with the same
    settings resumes (or reuses) the run it trained before. The hash covers every config field
    except ``output_dir``, ``resume`` and ``data_dir``.
    """
    values = {k: v for k, v in dataclasses.asdict(config).items() if k not in NOT_SETTINGS}
    digest = hashlib.sha1(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:8]
    dataset = str(getattr(config, "dataset", "data")).replace(":", "_").replace("/", "_").strip("_")
    return os.path.join(str(root), f"{model_name}_{dataset}-{digest}")


def load_run_config(run_dir):
    """The config saved in ``run_dir/config.json``; ``RunError`` if the run dir is not readable."""
    path = os.path.join(run_dir, CONFIG_FILE)
    if not os.path.isdir(run_dir):
        raise RunError(f"Run directory not found: {run_dir}")
    try:
        with open(path) as f:
            return config_from_dict(json.load(f))
    except FileNotFoundError:
        raise RunError(f"{run_dir} is not a tfgan run directory: it has no {CONFIG_FILE}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise RunError(f"Cannot read {path}: {reason}. Fix the file, or train into another --output-dir") from None


def save_run_config(run_dir, config):
    """Write ``config`` (with its model name) to ``run_dir/config.json`` through a temporary file;
    returns the path. ``resume`` and ``restart`` are saved off: they apply to one command."""
    config = dataclasses.replace(config, resume=False, **({"restart": False} if hasattr(config, "restart") else {}))
    return fileio.write_text(os.path.join(run_dir, CONFIG_FILE), json.dumps(config_to_dict(config), indent=2))


def prepare_run(config, model_name=None):
    """``(model_name, config)`` with ``config`` validated and its run directory resolved.

    ``RunError`` (a one-line message) when a setting is out of range.
    """
    model_name = model_name or model_name_of(config)
    try:
        config.validate()
    except ValueError as err:
        raise RunError(str(err)) from None
    try:
        from tfgan import data
        from tfgan.data import registry

        # An unknown name is refused before anything is built (SR models read image sets).
        if issubclass(models.get(model_name).model_class, models.SRResNet):
            registry.resolve(config.dataset, "image set", data.available_image_sets())
        else:
            data.info(config.dataset)
    except (DataError, ValueError) as err:
        raise RunError(str(err)) from None
    if config.data_dir is not None and not os.path.isdir(config.data_dir):
        raise RunError(f"--data-dir {config.data_dir} is not a folder; pass the folder that holds the "
                       "dataset files, or leave --data-dir out")
    check_memory(estimated_bytes(config), "Training with these settings",
                 "use a smaller --batch-size, image size, --latent-dim or --num-samples")
    run_dir = config.output_dir or default_run_dir(model_name, config)
    fileio.check_output_dir(run_dir, "--output-dir")
    return model_name, dataclasses.replace(config, output_dir=run_dir)


def image_pixels(config):
    """Values in one image of the run (H * W * C), from whichever shape fields the config has."""
    if getattr(config, "image_shape", None):
        return int(np.prod(config.image_shape, dtype=np.int64))
    size, channels = getattr(config, "image_size", None), getattr(config, "channels", None) or 3
    if size:
        return int(size) ** 2 * int(channels)
    hr = getattr(config, "hr_size", None) or getattr(config, "crop_size", None)
    return int(hr) ** 2 * 3 if hr else 0


#: Bytes per image value that a training step holds (activations of several layers, their
#: gradients and the input pipeline): a low estimate, so that only settings that cannot fit are refused.
TRAIN_BYTES_PER_VALUE = 4 * 16


def estimated_bytes(config):
    """A low estimate of the memory a training run of ``config`` needs, from its shapes alone
    (before anything is built): the batch's activations, the sample grid, and the weights with
    Adam's two moments of the layers whose size grows with the image or the latent vector."""
    pixels = image_pixels(config)
    width = max(getattr(config, "hidden_units", 0) or 0, getattr(config, "g_filters", 0) or 0, 8)
    batch = config.batch_size * getattr(config, "d_steps", 1)
    latent = getattr(config, "latent_dim", 0) or 0
    activations = TRAIN_BYTES_PER_VALUE * pixels * (batch + getattr(config, "num_samples", 0))
    weights = 4 * 3 * (latent * width + (width * pixels if hasattr(config, "hidden_units") else 0))
    return activations + weights


def available_memory():
    """Bytes of memory available to this process (``MemAvailable``, else physical memory); None
    when the platform does not say."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(needed, what, advice):
    """``ConfigError`` when ``needed`` bytes exceed the memory available: before any work."""
    available = available_memory()
    if available is not None and needed > available:
        raise ConfigError(f"{what} needs at least {needed / 2**30:.1f} GiB of memory, more than the "
                          f"{available / 2**30:.1f} GiB available; {advice}")


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


# -- checkpoints ---------------------------------------------------------------------------------
def make_checkpoint(model):
    """The checkpoint of a model: its networks, its optimizers, the step counter and the noise
    generator's state (so a resumed run continues the noise stream instead of replaying it)."""
    return tf.train.Checkpoint(
        step=model.step_counter, noise_seed=model.seed_generator.state, **model.checkpoint_items()
    )


def checkpoint_manager(checkpoint, run_dir):
    """The ``tf.train.CheckpointManager`` of ``run_dir/checkpoints`` (keeps the last 3)."""
    return tf.train.CheckpointManager(checkpoint, os.path.join(run_dir, CHECKPOINT_DIR), max_to_keep=MAX_TO_KEEP)


def checkpoint_files(run_dir):
    """``[(step, prefix), ...]`` of every ``ckpt-N`` whose index file is in ``run_dir/checkpoints``,
    oldest first, whatever the ``checkpoint`` state file says."""
    found = []
    for index in glob.glob(os.path.join(glob.escape(os.path.join(run_dir, CHECKPOINT_DIR)), "ckpt-*.index")):
        match = re.fullmatch(r"ckpt-(\d+)\.index", os.path.basename(index))
        if match:
            found.append((int(match.group(1)), index[: -len(".index")]))
    return sorted(found)


def checkpoint_problem(prefix):
    """Why the checkpoint ``prefix`` cannot be used (unreadable, or a NaN/inf tensor), or None.

    Reads every tensor back, so a truncated or corrupted file is found here rather than halfway
    through a restore.
    """
    try:
        reader = tf.train.load_checkpoint(prefix)
        for name in reader.get_variable_to_shape_map():
            value = np.asarray(reader.get_tensor(name))
            if np.issubdtype(value.dtype, np.floating) and not np.isfinite(value).all():
                return f"{name.split('/.ATTRIBUTES')[0]} holds NaN or inf"
    except (tf.errors.OpError, OSError, ValueError, IndexError, RuntimeError) as err:
        message = getattr(err, "message", None) or str(err) or type(err).__name__
        return f"unreadable ({message.strip().splitlines()[0]})"
    return None


def usable_checkpoints(run_dir):
    """``(newest usable prefix or None, [(prefix, problem), ...] skipped newer ones)``."""
    skipped = []
    for _, prefix in reversed(checkpoint_files(run_dir)):
        problem = checkpoint_problem(prefix)
        if problem is None:
            return prefix, skipped
        skipped.append((prefix, problem))
    return None, skipped


def skipped_text(skipped):
    return "; ".join(f"{os.path.basename(p)}: {problem}" for p, problem in skipped)


def latest_checkpoint(run_dir, report=None):
    """Path of the newest checkpoint of ``run_dir`` that reads back whole with finite tensors, or
    None. Newer damaged ones are skipped; ``report`` (e.g. ``print``) is told which and why."""
    latest, skipped = usable_checkpoints(run_dir)
    if skipped and report is not None:
        report(f"Skipped damaged checkpoint(s) of {run_dir}: {skipped_text(skipped)}"
               + (f"; using {os.path.basename(latest)}" if latest else ""))
    return latest


def _stderr(message):
    print(message, file=sys.stderr)


def restore_latest(model, run_dir, expect_partial=False):
    """Restore the newest usable checkpoint of ``run_dir`` into ``model``; returns its path or None."""
    latest = latest_checkpoint(run_dir, report=_stderr)
    if latest:
        status = make_checkpoint(model).restore(latest)
        if expect_partial:
            status.expect_partial()
    return latest


def list_checkpoints(run_dir):
    """``[(step, path), ...]`` of the checkpoints kept in ``run_dir``, oldest first."""
    return checkpoint_files(run_dir)


def repair_checkpoints(run_dir):
    """Make ``run_dir/checkpoints`` consistent before training resumes; returns lines to print.

    Removes the ``ckpt-N_temp`` folders an interrupted write leaves, moves checkpoints that do not
    read back whole (or hold NaN/inf) to ``checkpoints/damaged/``, and rewrites the ``checkpoint``
    state file from the files present when it is missing, damaged or disagrees with them. Raises
    ``RunError`` when there are checkpoints but none is usable: the run never restarts silently.
    """
    folder = os.path.join(run_dir, CHECKPOINT_DIR)
    if not os.path.isdir(folder):
        return []
    notes = []
    temps = [p for p in glob.glob(os.path.join(glob.escape(folder), "ckpt-*_temp*"))]
    for path in temps:
        shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.remove(path)
    if temps:
        notes.append(f"Removed {len(temps)} temporary checkpoint folder(s) left by an interrupted write")
    latest, skipped = usable_checkpoints(run_dir)
    if skipped and latest is None:
        raise RunError(f"{run_dir} holds checkpoints but none reads back whole ({skipped_text(skipped)}); "
                       "pass --restart to start again from step 0 (the old files are moved to RUN/previous-TIME/)")
    if skipped:
        damaged = os.path.join(folder, DAMAGED_DIR)
        os.makedirs(damaged, exist_ok=True)
        for prefix, _ in skipped:
            for path in glob.glob(glob.escape(prefix) + ".*"):
                os.replace(path, os.path.join(damaged, os.path.basename(path)))
        notes.append(f"Skipped damaged checkpoint(s), moved to {damaged}: {skipped_text(skipped)}")
    present = [prefix for _, prefix in checkpoint_files(run_dir)]
    try:
        state = tf.train.get_checkpoint_state(folder)
        listed = [os.path.join(folder, os.path.basename(p)) for p in state.all_model_checkpoint_paths] if state else []
        current = os.path.join(folder, os.path.basename(state.model_checkpoint_path)) if state else None
    except (tf.errors.OpError, ValueError, OSError) as err:  # a corrupted state file
        listed, current = None, f"damaged: {type(err).__name__}"
    if present and (listed != present or current != present[-1]):
        tf.compat.v1.train.update_checkpoint_state(folder, present[-1], all_model_checkpoint_paths=present)
        if listed is None or current is None:
            notes.append(f"Rebuilt {os.path.join(folder, 'checkpoint')} from the {len(present)} checkpoint(s) present")
    return notes


def nonfinite_weights(model):
    """Names of the model's checkpointed float variables (networks and optimizers) holding NaN or inf."""
    bad = []
    for item in model.checkpoint_items().values():
        for variable in item.variables:
            if "float" in str(variable.dtype) and not bool(tf.reduce_all(tf.math.is_finite(variable))):
                bad.append(variable.path if hasattr(variable, "path") else variable.name)
    return bad


def save_checkpoint(manager, model, step):
    """``manager.save(checkpoint_number=step)`` if every weight is finite; returns the path.

    A NaN or inf weight raises :class:`NonFiniteError` and writes nothing, so the latest checkpoint
    always holds finite tensors. Signals that arrive during the write are handled after it. A
    failed write (full disk, ...) removes what it left and raises :class:`RunError`.
    """
    bad = nonfinite_weights(model)
    if bad:
        raise NonFiniteError(f"weights not finite at step {step} ({', '.join(bad[:3])}"
                             + (f" and {len(bad) - 3} more" if len(bad) > 3 else "") + ")")
    folder = manager.directory
    try:
        with fileio.deferred_interrupts():
            return manager.save(checkpoint_number=step)
    except (OSError, tf.errors.OpError) as err:
        for path in glob.glob(os.path.join(glob.escape(folder), f"ckpt-{step}*")):
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.remove(path)
        reason = "the disk is full" if fileio.is_disk_full(err) else (
            getattr(err, "message", None) or str(err) or type(err).__name__).strip().splitlines()[0]
        raise RunError(
            f"Cannot write the checkpoint of step {step}: {reason}. The last good checkpoint "
            f"({manager.latest_checkpoint or 'none yet'}) is kept; fix this and run the same command to resume"
        ) from None


# -- the run directory while a run trains ----------------------------------------------------
class RunLock:
    """``run_dir/.lock`` holding ``PID HOST TIME`` while a run trains, so a second training into
    the same directory refuses at once, naming the first. A lock whose process is gone (same host)
    is stale and taken over. Use as a context manager."""

    def __init__(self, run_dir, report=print):
        self.path = os.path.join(run_dir, LOCK_FILE)
        self.run_dir, self.report = run_dir, report
        self.held = False

    def __enter__(self):
        os.makedirs(self.run_dir, exist_ok=True)
        text = f"{os.getpid()} {socket.gethostname()} {time.strftime('%Y-%m-%dT%H:%M:%S')}\n"
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self._refuse_or_clear()
                continue
            with os.fdopen(fd, "w") as f:
                f.write(text)
            self.held = True
            return self
        raise RunError(f"Cannot lock {self.run_dir}: {self.path} keeps reappearing")

    def _refuse_or_clear(self):
        try:
            with open(self.path) as f:
                pid, host, started = (f.read().split() + ["?", "?", "?"])[:3]
            pid = int(pid)
        except (OSError, ValueError):
            pid, host, started = None, "?", "?"
        if pid is not None and host != socket.gethostname():
            raise RunError(f"{self.run_dir} is being trained by PID {pid} on {host} (since {started}); "
                           f"if that process is gone, delete {self.path}")
        if pid is not None and pid != os.getpid() and _alive(pid):
            raise RunError(f"{self.run_dir} is being trained by another process (PID {pid}, since {started}); "
                           "wait for it to finish, stop it, or pass another --output-dir")
        self.report(f"Recovered the stale lock of {self.run_dir} (PID {pid} is gone)")
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass

    def __exit__(self, *exc):
        if self.held:
            try:
                os.remove(self.path)
            except FileNotFoundError:
                pass
            self.held = False


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def trim_metrics(run_dir, step, fields):
    """Cut ``metrics.csv`` back to the rows of steps <= ``step`` (a resumed run rewrites the rest);
    returns the elapsed seconds of the last kept row, so the resumed run's clock continues. A file
    with other columns is moved aside to ``metrics.csv.old``."""
    path = os.path.join(run_dir, METRICS_FILE)
    if not os.path.exists(path):
        return 0.0
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or tuple(rows[0]) != tuple(fields):
        os.replace(path, path + ".old")
        return 0.0
    kept, elapsed = [rows[0]], 0.0
    for row in rows[1:]:
        try:
            row_step = int(float(row[0]))
        except (ValueError, IndexError):
            continue  # a half-written last row
        if row_step <= step:
            kept.append(row)
            try:
                elapsed = float(row[fields.index("elapsed_sec")])
            except (ValueError, IndexError):
                pass
    if len(kept) != len(rows):
        buffer = io.StringIO()
        csv.writer(buffer).writerows(kept)
        fileio.write_text(path, buffer.getvalue())
    return elapsed


def load_model(run_dir, checkpoint=None):
    """Rebuild the model of a run directory and restore its latest checkpoint (for inference).

    ``checkpoint``: another kept checkpoint instead, as a path or a step (see :func:`list_checkpoints`).
    """
    config = load_run_config(run_dir)
    if checkpoint is None:
        path, skipped = usable_checkpoints(run_dir)
        if path is None:
            if skipped:
                raise RunError(f"{run_dir} has no usable checkpoint: {skipped_text(skipped)}. "
                               "Train it again (python -m tfgan.train ... --restart)")
            raise RunError(f"{run_dir} has no checkpoint yet ({CHECKPOINT_DIR}/ is empty)")
        if skipped:
            _stderr(f"Skipped damaged checkpoint(s) of {run_dir}: {skipped_text(skipped)}; using {os.path.basename(path)}")
    else:
        kept = list_checkpoints(run_dir)
        by_step = dict(kept)
        path = by_step.get(checkpoint) if isinstance(checkpoint, (int, np.integer)) else str(checkpoint)
        if path not in by_step.values():
            raise RunError(f"{run_dir} has no checkpoint {checkpoint!r}; kept steps: {[step for step, _ in kept]}")
        problem = checkpoint_problem(path)
        if problem:
            raise RunError(f"Cannot use {path}: {problem}")
    model = models.get(model_name_of(config)).model_class(config)
    model.compile(jit_compile=False)
    make_checkpoint(model).restore(path).expect_partial()
    return model


@dataclasses.dataclass(frozen=True)
class SavedRun:
    """Another run a run starts from (SRGAN's ``--init-from``): what a model's ``initialize_from``
    hook receives. ``checkpoint`` is the latest one, or None if the run has none yet."""

    run_dir: str
    model_name: str
    config: object
    checkpoint: str | None


def open_run(run_dir):
    """The :class:`SavedRun` of ``run_dir``; ``RunError`` if it is not a readable run directory."""
    config = load_run_config(run_dir)
    return SavedRun(str(run_dir), model_name_of(config), config, latest_checkpoint(run_dir, report=_stderr))
