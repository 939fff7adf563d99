"""What every ``python -m tfgan.*`` command shares: the parser, flag types, flags generated from a
config dataclass, and the mapping of library errors to exit codes.

Exit codes: 0 success, 1 a run diverged (:class:`tfgan.errors.NonFiniteError`) or an unexpected
error (one line naming a log file with the traceback), 2 bad input (argparse errors,
:class:`tfgan.errors.TfganError`, ``ValueError``, out-of-memory, a full disk; one line on stderr, no
traceback), 130 interrupted (Ctrl-C, SIGTERM, SIGHUP).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import math
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
import typing

from tfgan import fileio
from tfgan.errors import NonFiniteError, TfganError
from tfgan.models.base import range_text

EXIT_OK, EXIT_DIVERGED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
#: An unexpected error (a bug): one line and the path of a log file with the traceback.
EXIT_CRASHED = 1
#: Signals that stop a command the way Ctrl-C does.
TERMINATING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit code 2) instead of usage dumps."""

    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def log_dir():
    """Where unexpected errors leave their traceback: ``$TFGAN_LOG_DIR``, else ``~/.cache/tfgan/logs``."""
    return os.environ.get("TFGAN_LOG_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "tfgan", "logs")


def write_crash_log(prog):
    """Write the current exception's traceback to a new file in :func:`log_dir` (the temporary
    folder if that cannot be written); returns its path."""
    text = f"{prog} {' '.join(sys.argv[1:])}\n\n{traceback.format_exc()}"
    name = f"{prog.split()[-1].replace('.', '-')}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    for folder in (log_dir(), tempfile.gettempdir()):
        with contextlib.suppress(OSError):
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, name)
            with open(path, "w") as f:
                f.write(text)
            return path
    return None


def known_error_message(err):
    """The one line a known failure prints (without the ``prog: error:`` prefix), or None for an
    unexpected one: library errors, bad values, out-of-memory, a full disk, paths the OS refused."""
    tf = sys.modules.get("tensorflow")  # loaded by every command that can raise its errors
    out_of_memory = (MemoryError,) + ((tf.errors.ResourceExhaustedError,) if tf else ())
    if isinstance(err, (TfganError, ValueError)):
        return str(err)
    if isinstance(err, out_of_memory) and not fileio.is_disk_full(err):
        return ("out of memory. Use a smaller --batch-size, image size or --num (or close other "
                "programs) and run the same command again")
    if fileio.is_disk_full(err):
        where = f" writing {err.filename}" if getattr(err, "filename", None) else ""
        return (f"the disk is full{where}. Free some space and run the same command again "
                "(a training run resumes from its last good checkpoint)")
    if isinstance(err, OSError) and err.strerror:
        return f"{err.strerror}: {err.filename}" if err.filename else err.strerror
    return None


@contextlib.contextmanager
def signals_interrupt():
    """SIGTERM and SIGHUP (what Slurm, Kubernetes and a closing terminal send) raise
    ``KeyboardInterrupt`` like Ctrl-C, so every command cleans up the same way (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in TERMINATING_SIGNALS}
    for sig in TERMINATING_SIGNALS:
        signal.signal(sig, signal.default_int_handler)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def exit_codes(prog):
    """Decorator for a ``main(argv)``: the error boundary every command goes through.

    ``NonFiniteError`` -> 1 (``prog: message``); known errors (``TfganError``, ``ValueError``,
    out-of-memory, a full disk, a path the OS refused) -> 2 (``prog: error: message``); Ctrl-C,
    SIGTERM or SIGHUP outside training -> 130 (``prog: interrupted``); anything else -> 1, one line
    naming a log file that holds the traceback. No traceback is printed. ``main`` returns its own
    code otherwise.
    """
    def decorate(main):
        @functools.wraps(main)
        def wrapper(argv=None):
            try:
                with signals_interrupt():
                    return main(argv)
            except NonFiniteError as err:
                print(f"{prog}: {err}", file=sys.stderr)
                return EXIT_DIVERGED
            except KeyboardInterrupt:
                print(f"{prog}: interrupted", file=sys.stderr)
                return EXIT_INTERRUPTED
            except Exception as err:  # noqa: BLE001  (the boundary: nothing escapes as a traceback)
                message = known_error_message(err)
                if message is not None:
                    print(f"{prog}: error: {message}", file=sys.stderr)
                    return EXIT_BAD_INPUT
                log = write_crash_log(prog)
                print(f"{prog}: internal error: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
                      f" (traceback in {log}; please report it)", file=sys.stderr)
                return EXIT_CRASHED
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


def _finite(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text}")
    return value


def non_negative_float(text):
    """argparse ``type`` for flags that take a finite number >= 0."""
    value = _finite(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text}")
    return value


def positive_float(text):
    """argparse ``type`` for flags that take a finite number > 0 (learning rates)."""
    value = _finite(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text}")
    return value


def seed(text):
    """argparse ``type`` of ``--seed``: an integer in [0, 2**32)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"expected an integer in [0, 2**32), got {value}")
    return value


def add_max_pixels_flag(parser):
    """``--max-pixels``: the largest input image read (from its header, before decoding)."""
    from tfgan.imageio import DEFAULT_MAX_PIXELS

    parser.add_argument("--max-pixels", type=positive_int, default=DEFAULT_MAX_PIXELS,
                        help=f"refuse input images larger than this many pixels, read from the header "
                             f"before decoding (default: {DEFAULT_MAX_PIXELS})")


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
