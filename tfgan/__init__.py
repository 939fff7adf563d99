"""tfgan: generative adversarial networks and neural style transfer with TensorFlow 2 / Keras 3.

A course package: the notebooks in ``notebooks/`` and the ``python -m tfgan.train`` CLI both call
into this library; the lecture notes in ``lectures/`` hold the equations that docstrings cite.
"""

import os as _os
import sys as _sys

# Keep TensorFlow's C++ start-up chatter out of students' notebooks and terminals.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _quiet_start_up_interrupt(kind, value, traceback, _default=_sys.excepthook):
    """``python -m tfgan.X``: Ctrl-C while the command is still importing TensorFlow (before its
    error boundary, ``tfgan.cli.exit_codes``, is in place) ends in one line instead of a traceback."""
    if issubclass(kind, KeyboardInterrupt):
        print("interrupted during start-up", file=_sys.stderr)
        return
    _default(kind, value, traceback)


if _sys.argv[:1] == ["-m"]:  # run as ``python -m tfgan.X``, not imported by a notebook or a test
    _sys.excepthook = _quiet_start_up_interrupt

__version__ = "0.1.0"


def smoke_mode() -> bool:
    """True when ``TFGAN_SMOKE=1``: notebooks run the same code with fewer steps (CI, nbval)."""
    return _os.environ.get("TFGAN_SMOKE", "0") not in ("", "0", "false", "False")


def run_mode() -> str:
    """The notebooks' setting: ``"smoke"``, ``"laptop"`` (the default) or ``"paper"``.

    ``TFGAN_SMOKE=1`` (CI, nbval) wins: same code, a few steps. Otherwise ``TFGAN_FULL=paper`` asks
    for the paper-sized run meant for a GPU; anything else is the laptop full mode, sized to finish
    on a 2-core CPU within the time each notebook states in its first cell.
    """
    if smoke_mode():
        return "smoke"
    if _os.environ.get("TFGAN_FULL", "").strip().lower() == "paper":
        return "paper"
    return "laptop"
