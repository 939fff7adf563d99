"""Run directories: where a training run keeps its config, checkpoints, samples and metrics.

This module is the run machinery's home (see lectures and README, "Training from the command
line"); it depends on the models and never on a CLI module.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os

#: Config fields that say where or how to run, not what is trained: they do not change a run's name.
_NOT_SETTINGS = ("output_dir", "resume", "data_dir", "strategy")


def settings_run_dir(root, model_name, config):
    """``ROOT/MODEL_DATASET-HASH``: a run directory named after the settings that define the run.

    Notebooks train into this, so a student who changes a setting (steps, loss, sizes...) gets a
    new run instead of a refusal to resume an incompatible one, and re-running a cell with the same
    settings resumes (or reuses) the run it trained before. The hash covers every config field
    except ``output_dir``, ``resume``, ``data_dir`` and ``strategy``.
    """
    values = {k: v for k, v in dataclasses.asdict(config).items() if k not in _NOT_SETTINGS}
    digest = hashlib.sha1(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:8]
    dataset = str(getattr(config, "dataset", "data")).replace(":", "_").replace("/", "_").strip("_")
    return os.path.join(str(root), f"{model_name}_{dataset}-{digest}")
