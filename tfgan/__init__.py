"""tfgan: generative adversarial networks and neural style transfer with TensorFlow 2 / Keras 3.

A course package: the notebooks in ``notebooks/`` and the ``python -m tfgan.train`` CLI both call
into this library; the lecture notes in ``lectures/`` hold the equations that docstrings cite.
"""

import os as _os

# Keep TensorFlow's C++ log lines out of students' notebooks and terminals. Level 3 (not 2) also
# hides oneDNN's "supports DT_UINT8 only on platforms with AVX-512" ERROR line, which every uint8
# image op logs on an AVX2 laptop; real failures still raise Python exceptions with their message.
# TF_CPP_MIN_LOG_LEVEL=0 shows everything again.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _import_tensorflow_quietly():
    """Import TensorFlow and probe its devices with file descriptor 2 pointed at /dev/null.

    TensorFlow 2.21 writes its start-up messages ("oneDNN custom operations are on", "Could not
    find cuda drivers", "failed call to cuInit", the CPU feature guard) straight to the process's
    stderr before its logging is configured, so ``TF_CPP_MIN_LOG_LEVEL`` cannot hide them; in a
    notebook they would end up in every saved output. Python errors are raised as usual once
    stderr is back. Import ``tfgan`` before ``tensorflow`` or ``keras`` for this to apply.
    """
    import sys

    if "tensorflow" in sys.modules:
        return
    try:
        saved, devnull = _os.dup(2), _os.open(_os.devnull, _os.O_WRONLY)
    except OSError:  # no usable fd 2 (embedded interpreters): import with the messages
        saved = None
    if saved is not None:
        _os.dup2(devnull, 2)
    try:
        import tensorflow as tf

        tf.config.list_physical_devices()  # the GPU probe (cuInit) happens here, still quiet
    finally:
        if saved is not None:
            _os.dup2(saved, 2)
            _os.close(saved)
            _os.close(devnull)


_import_tensorflow_quietly()

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
