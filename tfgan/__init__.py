"""tfgan: generative adversarial networks and neural style transfer with TensorFlow 2 / Keras 3.

A course package: the notebooks in ``notebooks/`` and the ``python -m tfgan.train`` CLI both call
into this library; the lecture notes in ``lectures/`` hold the equations that docstrings cite.
"""

import os as _os

# Keep TensorFlow's C++ start-up chatter out of students' notebooks and terminals.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__version__ = "0.1.0"


def smoke_mode() -> bool:
    """True when ``TFGAN_SMOKE=1``: notebooks run the same code with fewer steps (CI, nbval)."""
    return _os.environ.get("TFGAN_SMOKE", "0") not in ("", "0", "false", "False")
