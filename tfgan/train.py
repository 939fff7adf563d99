"""Train any registered model: ``python -m tfgan.train MODEL --dataset NAME [flags]``.

Flags are generated from the model's config dataclass (``tfgan.models.REGISTRY``, through
``tfgan.cli``); :func:`tfgan.trainer.run` does the work and is what tests and notebooks call (it is
re-exported here as ``tfgan.train.run``). The run directory layout is described in ``tfgan.runs``.
Rerunning into an existing run directory resumes from its last checkpoint, keeping its saved
settings unless they are given again (``--resume`` insists on a checkpoint). Ctrl-C saves a
checkpoint and exits with code 130; a NaN or infinite loss stops the run with code 1.
"""

from __future__ import annotations

import dataclasses
import os
import sys

from tfgan import cli, models, runs, trainer
from tfgan.callbacks import POSTFIX_NAMES, metric_fields  # noqa: F401  (re-exported)
from tfgan.cli import EXIT_INTERRUPTED, add_config_flags, positive_int  # noqa: F401  (re-exported)
from tfgan.errors import NonFiniteError, RunError  # noqa: F401  (re-exported)
from tfgan.runs import (  # noqa: F401  (re-exported: notebooks and older code import them from here)
    RESUMABLE_FIELDS,
    check_compatible,
    config_from_dict,
    config_to_dict,
    default_run_dir,
    list_checkpoints,
    load_model,
    load_run_config,
    make_checkpoint,
    model_name_of,
    prepare_run,
    restore_latest,
    total_steps,
)
from tfgan.trainer import RunResult, run  # noqa: F401  (re-exported)

PROG = "python -m tfgan.train"
#: The name this exception had before ``tfgan.errors``.
NonFiniteLossError = NonFiniteError


def build_parser():
    """``python -m tfgan.train MODEL [flags]``: one subcommand per registered model."""
    parser = cli.Parser(prog=PROG, description="Train a registered model.")
    subcommands = parser.add_subparsers(dest="model", metavar="MODEL", parser_class=cli.Parser)
    for name in sorted(models.REGISTRY):
        entry = models.REGISTRY[name]
        sub = subcommands.add_parser(name, prog=f"{PROG} {name}", help=entry.description,
                                     description=f"Train {entry.description}.")
        add_config_flags(sub, entry.config_class, {"dataset": entry.default_dataset})
    return parser


def usage():
    lines = [f"  {n:10s} {models.REGISTRY[n].description}" for n in sorted(models.REGISTRY)]
    return (f"usage: {PROG} MODEL --dataset NAME [flags]\n\nmodels:\n" + "\n".join(lines)
            + f"\n\n`{PROG} MODEL --help` lists the flags.")


def parse_args(argv=None):
    """Parse ``MODEL [flags]`` into ``(model_name, config, explicit_fields)``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or argv[0].startswith("-"):
        print(usage())
        sys.exit(0 if argv and argv[0] in ("-h", "--help") else cli.EXIT_BAD_INPUT)
    if argv[0] not in models.REGISTRY:
        parser.error(f"unknown model {argv[0]!r}; valid choices: {', '.join(sorted(models.REGISTRY))}")
    explicit = vars(parser.parse_args(argv))
    name = explicit.pop("model")
    entry = models.get(name)
    values = {"dataset": entry.default_dataset, **explicit}
    if "preset" in explicit:  # the preset's values, then the flags given beside it
        # (on resume, the preset's fields count as given: they replace the saved ones)
        preset_fields = entry.config_class.presets.get(explicit["preset"], {})
        return name, entry.config_class.from_preset(**values), set(explicit) | set(preset_fields)
    return name, entry.config_class(**values), set(explicit)


@cli.exit_codes(PROG)
def main(argv=None):
    """CLI entry point; returns the exit code (0 ok, 1 diverged, 2 bad input, 130 interrupted)."""
    model_name, config, explicit = parse_args(argv)
    model_name, config = runs.prepare_run(config, model_name)
    if os.path.exists(os.path.join(config.output_dir, runs.CONFIG_FILE)):
        # Resuming: the saved settings stand unless given again on the command line.
        saved = runs.load_run_config(config.output_dir)
        if type(saved) is not type(config):
            runs.check_compatible(saved, config)  # "holds a pix2pix run, not gan"
        config = dataclasses.replace(saved, **{k: getattr(config, k) for k in explicit})
    result = trainer.run(config)
    return EXIT_INTERRUPTED if result.status == "interrupted" else cli.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
