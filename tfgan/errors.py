"""Library exceptions: what the CLIs turn into exit code 2 with a one-line message.

Every module below the CLIs raises one of these (or a plain ``ValueError`` for a bad argument);
models never print and never exit. ``tfgan.cli`` maps ``TfganError`` and ``ValueError`` to exit
code 2. Each class also derives from the built-in exception that callers caught before this module
existed, so older ``except ValueError`` / ``except FileNotFoundError`` code keeps working.
"""

from __future__ import annotations


class TfganError(Exception):
    """Base class: a known failure with a message that says what to do."""


class ConfigError(TfganError, ValueError):
    """A setting is out of range or inconsistent (``--steps 0``, an unknown choice...)."""


class RunError(TfganError):
    """A run directory cannot be used: missing, incompatible with the flags, or damaged."""


class NonFiniteError(TfganError, RuntimeError):
    """A loss or a weight became NaN or infinite."""


class DataError(TfganError):
    """A dataset or file cannot be found, read or downloaded."""
