"""Files that are never half-written, and output paths checked before any work is done.

Every file a command writes (sample grids, ``.npz`` archives, ``config.json``, ``metrics.csv``,
translated images) goes through :func:`atomic_path`: it is written under a temporary name in the
same folder and renamed over the target only once complete, so an interrupted or failed command
leaves either the old file or none, never a truncated one, and no temporary file either.

The ``check_*`` functions are what the CLIs call before loading a model or data: they raise
:class:`tfgan.errors.ConfigError` with a one-line message naming the flag, the path and what to do.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import tempfile
import threading

from tfgan.errors import ConfigError

#: Suffix of the temporary files :func:`atomic_path` writes (stray ones are safe to delete).
TEMP_SUFFIX = ".tmp"


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; on success rename it over ``path``, on any error
    (or Ctrl-C) delete it. Parent folders are created. The temporary name keeps the extensions
    (``.weights.h5``), so writers that pick a format from them (Keras, ``np.savez``) still work."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    name = os.path.basename(path)
    stem, ext = (name.split(".", 1)[0], "." + name.split(".", 1)[1]) if "." in name.lstrip(".") else (name, "")
    fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=TEMP_SUFFIX + ext, dir=folder)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def write_text(path, text):
    """Write ``text`` to ``path`` atomically (see :func:`atomic_path`); returns the path."""
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    return path


def is_disk_full(err):
    """Whether an exception (``OSError`` or a TensorFlow error) says the disk or quota is full."""
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(err).lower()
    return "no space left on device" in text or "disk quota exceeded" in text


def _nearest_existing(path):
    path = os.path.abspath(path)
    while not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def check_output_dir(path, flag="--output"):
    """``path`` can be a folder the command writes into: it is one or can be made, and is writable.

    Raises ``ConfigError`` for a file in the way (at ``path`` or above it) or a read-only folder.
    """
    path = os.fspath(path)
    existing = _nearest_existing(path)
    if not os.path.isdir(existing):
        if existing == os.path.abspath(path):
            raise ConfigError(f"{flag} must be a folder, but {path} is a file; pass another {flag}")
        raise ConfigError(f"{flag}: cannot create {path}: {existing} is a file, not a folder; pass another {flag}")
    try:  # a real probe: os.access says yes to root on a read-only mount
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as err:
        raise ConfigError(f"{flag}: cannot write into {existing} ({err.strerror or err}); "
                          f"pass a writable {flag}") from None
    return path


def check_output_file(path, flag="--output"):
    """``path`` can be written as a file: not a folder, and its folder can be made and written."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ConfigError(f"{flag} must be a file name, but {path} is a folder; pass e.g. {os.path.join(path, 'out')}")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise ConfigError(f"{flag}: {path} is read-only; pass another {flag}")
    existing = _nearest_existing(os.path.dirname(os.path.abspath(path)))
    if not os.path.isdir(existing):
        raise ConfigError(f"{flag}: cannot create {path}: {existing} is a file, not a folder; pass another {flag}")
    check_output_dir(os.path.dirname(os.path.abspath(path)), flag)
    return path


def check_input(path, what="input", folder_ok=True):
    """``path`` exists and is readable (a file, or a folder when ``folder_ok``)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ConfigError(f"{what} not found: {path}")
    if os.path.isdir(path) and not folder_ok:
        raise ConfigError(f"{what} must be a file, but {path} is a folder")
    if not os.access(path, os.R_OK):
        raise ConfigError(f"{what}: cannot read {path} (permission denied)")
    return path


#: The signals :func:`deferred_interrupts` holds back (those that exist on this platform).
INTERRUPT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def deferred_interrupts(notice=None):
    """Hold Ctrl-C, SIGTERM and SIGHUP back while a write that must finish runs (a checkpoint):
    they are delivered to the previous handlers once it is done. ``notice(message)`` is told when
    one arrives. Outside the main thread (where handlers cannot be set) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived = []

    def hold(signum, frame):
        arrived.append(signum)
        if notice is not None:
            notice("Saving a checkpoint; it finishes first")

    previous = {sig: signal.signal(sig, hold) for sig in INTERRUPT_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sig in arrived:
            handler = previous[sig]
            if callable(handler):
                handler(sig, None)
            elif handler == signal.SIG_DFL:
                if sig == signal.SIGINT:
                    raise KeyboardInterrupt
                os.kill(os.getpid(), sig)
