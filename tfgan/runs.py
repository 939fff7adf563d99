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

import dataclasses
import hashlib
import json
import os

import numpy as np
import tensorflow as tf

from tfgan import models
from tfgan.errors import RunError
from tfgan.models.base import total_steps

CONFIG_FILE = "config.json"
CHECKPOINT_DIR = "checkpoints"
SAMPLES_DIR = "samples"
METRICS_FILE = "metrics.csv"
TENSORBOARD_DIR = "tensorboard"
#: Checkpoints a run keeps (older ones are deleted as new ones are written).
MAX_TO_KEEP = 3

#: Config fields that say where or how to run, not what is trained: they do not change a run's name.
NOT_SETTINGS = ("output_dir", "resume", "data_dir", "strategy")
#: Fields that may change between a run and its resumption; the others define the model.
RESUMABLE_FIELDS = {
    "steps", "epochs", "checkpoint_every", "sample_every", "log_every", "resume", "output_dir",
    "data_dir", "jit_compile", "num_samples", "strategy",
}

__all__ = [
    "CONFIG_FILE", "CHECKPOINT_DIR", "SAMPLES_DIR", "METRICS_FILE", "TENSORBOARD_DIR", "RESUMABLE_FIELDS",
    "SavedRun", "check_compatible", "checkpoint_manager", "config_from_dict", "config_to_dict",
    "default_run_dir", "latest_checkpoint", "list_checkpoints", "load_model", "load_run_config",
    "make_checkpoint", "model_name_of", "open_run", "prepare_run", "restore_latest", "save_run_config",
    "settings_run_dir", "total_steps",
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
    """The config of :func:`config_to_dict`'s output; fields the class no longer has are dropped."""
    entry = models.get(data["model"])
    known = {f.name for f in dataclasses.fields(entry.config_class)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data["config"].items() if k in known}
    return entry.config_class(**values)


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
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise RunError(f"Cannot read {path}: {err}") from None


def save_run_config(run_dir, config):
    """Write ``config`` (with its model name) to ``run_dir/config.json``; returns the path."""
    os.makedirs(run_dir, exist_ok=True)
    path = os.path.join(run_dir, CONFIG_FILE)
    with open(path, "w") as f:
        json.dump(config_to_dict(config), f, indent=2)
    return path


def prepare_run(config, model_name=None):
    """``(model_name, config)`` with ``config`` validated and its run directory resolved.

    ``RunError`` (a one-line message) when a setting is out of range.
    """
    model_name = model_name or model_name_of(config)
    try:
        config.validate()
    except ValueError as err:
        raise RunError(str(err)) from None
    run_dir = config.output_dir or default_run_dir(model_name, config)
    return model_name, dataclasses.replace(config, output_dir=run_dir)


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


def latest_checkpoint(run_dir):
    """Path of the newest checkpoint of ``run_dir``, or None."""
    return tf.train.latest_checkpoint(os.path.join(run_dir, CHECKPOINT_DIR))


def restore_latest(model, run_dir, expect_partial=False):
    """Restore the newest checkpoint of ``run_dir`` into ``model``; returns its path or None."""
    latest = latest_checkpoint(run_dir)
    if latest:
        status = make_checkpoint(model).restore(latest)
        if expect_partial:
            status.expect_partial()
    return latest


def list_checkpoints(run_dir):
    """``[(step, path), ...]`` of the checkpoints kept in ``run_dir``, oldest first."""
    state = tf.train.get_checkpoint_state(os.path.join(run_dir, CHECKPOINT_DIR))
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
            raise RunError(f"{run_dir} has no checkpoint yet ({CHECKPOINT_DIR}/ is empty)")
        return model
    kept = list_checkpoints(run_dir)
    by_step = dict(kept)
    path = by_step.get(checkpoint) if isinstance(checkpoint, (int, np.integer)) else str(checkpoint)
    if path not in by_step.values():
        raise RunError(f"{run_dir} has no checkpoint {checkpoint!r}; kept steps: {[step for step, _ in kept]}")
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
    return SavedRun(str(run_dir), model_name_of(config), config, latest_checkpoint(run_dir))
