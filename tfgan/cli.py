"""What every ``python -m tfgan.*`` command shares: the parser, flag types, flags generated from a
config dataclass, and the mapping of library errors to exit codes.

Exit codes: 0 success, 1 a run diverged (:class:`tfgan.errors.NonFiniteError`), 2 bad input (argparse
errors, :class:`tfgan.errors.TfganError`, ``ValueError``; one line on stderr, no traceback), 130
interrupted.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import sys
import typing

from tfgan.errors import NonFiniteError, TfganError
from tfgan.models.base import range_text

EXIT_OK, EXIT_DIVERGED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit code 2) instead of usage dumps."""

    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def exit_codes(prog):
    """Decorator for a ``main(argv)``: library errors become exit codes with a one-line message.

    ``NonFiniteError`` -> 1 (``prog: message``); ``TfganError`` or ``ValueError`` -> 2
    (``prog: error: message``). ``main`` returns its own code otherwise.
    """
    def decorate(main):
        @functools.wraps(main)
        def wrapper(argv=None):
            try:
                return main(argv)
            except NonFiniteError as err:
                print(f"{prog}: {err}", file=sys.stderr)
                return EXIT_DIVERGED
            except (TfganError, ValueError) as err:
                print(f"{prog}: error: {err}", file=sys.stderr)
                return EXIT_BAD_INPUT
        return wrapper
    return decorate


# -- flag types ----------------------------------------------------------------------------------
def positive_int(text):
    """argparse ``type`` for flags that take an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def non_negative_float(text):
    """argparse ``type`` for flags that take a number >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text}")
    return value


def int_tuple(text):
    """argparse ``type`` for ``H,W,C``-style flags (``28,28,1`` or ``28x28x1``)."""
    try:
        return tuple(int(v) for v in text.replace("x", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, e.g. 28,28,1; got {text!r}") from None


def flag_type(annotation):
    """The argparse ``type`` of a dataclass field annotation (``X | None`` parses as ``X``)."""
    if typing.get_origin(annotation) is tuple:
        return int_tuple
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if args:  # Optional[X]
        return flag_type(args[0])
    return annotation


def flag_help(field, default):
    """Help text of a config field: its ``help`` metadata, its choices or range, its default."""
    meta = field.metadata
    text = meta.get("help", "")
    if "choices" in meta:
        text += f"; one of {', '.join(map(str, meta['choices']))}"
    if "min" in meta or "max" in meta:
        text += f" ({range_text(meta)})"
    if "default" not in text:
        text += f" (default: {default})"
    return text


def add_config_flags(parser, config_class, defaults=None):
    """One ``--flag`` per dataclass field, typed and documented from the field itself.

    ``choices`` metadata becomes argparse choices; ``min``/``max`` metadata is shown in the help and
    checked by the config's own validation (``TrainConfig.validate``: one message for the CLI and the
    library), not by an argparse type.
    Only flags given on the command line end up in the parsed namespace.
    """
    hints = typing.get_type_hints(config_class)
    defaults = defaults or {}
    for f in dataclasses.fields(config_class):
        default = defaults.get(f.name, f.default)
        kwargs = {"dest": f.name, "default": argparse.SUPPRESS, "help": flag_help(f, default)}
        if hints[f.name] is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs["type"] = flag_type(hints[f.name])
            if "choices" in f.metadata:
                kwargs["choices"] = f.metadata["choices"]
            kwargs["metavar"] = f.name.upper()
        parser.add_argument("--" + f.name.replace("_", "-"), **kwargs)
