"""The network, used sparingly: the offline switch, a bounded reachability probe and a checked download.

Every network wait here is bounded: name lookup, TCP connect, TLS handshake and the response
headers share one ``connect_timeout`` (they run in a daemon thread, so even a hanging DNS lookup
cannot hold the caller), and each read of the body waits at most ``read_timeout``. A download is
written to a temporary file beside its destination and renamed only when its SHA-256 matches, so
a failed, truncated or corrupted download never leaves a file that could be used.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from tfgan.errors import DataError

logger = logging.getLogger("tfgan.data")

#: Seconds for name lookup + TCP connect + TLS handshake (+ response headers for a download).
CONNECT_TIMEOUT = 3.0
#: Seconds a download may wait for the next bytes of the body before it gives up as stalled.
READ_TIMEOUT = 10.0
#: A download that receives fewer bytes than this within ``read_timeout`` s counts as stalled.
MIN_BYTES_PER_WINDOW = 1024
_CHUNK = 1 << 16


class DownloadError(DataError):
    """A download failed: unreachable host, HTTP error, stalled or truncated transfer, wrong hash."""


def offline() -> bool:
    """True when ``TFGAN_OFFLINE`` is 1/true/yes/on: tfgan then never touches the network."""
    return os.environ.get("TFGAN_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def cache_dir() -> Path:
    """Where downloads go: ``$TFGAN_CACHE``, else ``$XDG_CACHE_HOME/tfgan``, else ``~/.cache/tfgan``.

    The layout is that of an offline data folder (``mnist/``, ``fashion_mnist/``, ``images/``), so
    the cache can also serve as ``TFGAN_DATA_DIR``.
    """
    if os.environ.get("TFGAN_CACHE"):
        return Path(os.environ["TFGAN_CACHE"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "tfgan"


def _bounded(fn, timeout: float, what: str):
    """Runs ``fn()`` in a daemon thread; its result, its exception, or TimeoutError after ``timeout`` s."""
    box: dict = {}

    def attempt():
        try:
            box["result"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            box["error"] = e

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    if thread.is_alive():
        raise TimeoutError(f"{what}: no answer within {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box["result"]


def can_connect(host: str, port: int, timeout: float = CONNECT_TIMEOUT, tls: bool | None = None) -> str | None:
    """None when ``host:port`` answers within ``timeout`` s, else the reason, as one line.

    Checks name lookup, the TCP connection and, for ``tls`` (default: port 443), the TLS handshake
    with certificate verification, so a network that accepts connections but breaks TLS (a captive
    portal, a proxy) counts as unreachable instead of sending a download library into minutes of
    retries.
    """
    tls = port == 443 if tls is None else tls

    def attempt():
        with socket.create_connection((host, port), timeout=timeout) as sock:
            if tls:
                with ssl.create_default_context().wrap_socket(sock, server_hostname=host):
                    pass

    try:
        _bounded(attempt, timeout, f"{host}:{port}")
        return None
    except TimeoutError:
        return "timed out"
    except (OSError, ssl.SSLError) as e:
        return f"{type(e).__name__}: {e}"


def _user_agent() -> str:
    import tfgan

    return f"tfgan/{tfgan.__version__} (course data download; Python urllib)"


def _remove_stale_parts(dest: Path) -> None:
    """Deletes temporary files of ``dest`` left by processes that no longer run (e.g. kill -9)."""
    for part in dest.parent.glob(f".{dest.name}.*.part"):
        try:
            os.kill(int(part.suffixes[-2].lstrip(".")), 0)
        except (ValueError, IndexError, ProcessLookupError):
            part.unlink(missing_ok=True)
        except PermissionError:  # a live process of another user
            pass


def download(
    url: str,
    dest: str | os.PathLike,
    sha256: str | tuple[str, ...],
    size: int | None = None,
    *,
    connect_timeout: float = CONNECT_TIMEOUT,
    read_timeout: float = READ_TIMEOUT,
    progress: bool | None = None,
) -> Path:
    """Downloads ``url`` to ``dest`` if and only if its SHA-256 is ``sha256`` (or one of them, for
    a tuple of known-good versions); returns ``dest``.

    The bytes go to ``.<name>.<pid>.part`` beside ``dest`` and are renamed over it only after the
    hash matched; on any failure (including Ctrl-C) the temporary file is deleted and a
    :class:`DownloadError` says what went wrong. ``size`` (bytes) sizes the progress bar when the
    server sends no Content-Length. ``progress`` None shows a tqdm bar when stderr is a terminal.
    """
    from tqdm.auto import tqdm

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_parts(dest)
    part = dest.parent / f".{dest.name}.{os.getpid()}.part"
    request = urllib.request.Request(url, headers={"User-Agent": _user_agent()})
    if progress is None:
        progress = sys.stderr.isatty()
    response = None
    try:
        try:
            # The socket timeout bounds every later read; the thread bounds lookup + connect + TLS.
            response = _bounded(lambda: urllib.request.urlopen(request, timeout=read_timeout),
                                connect_timeout, url)
        except TimeoutError:
            raise DownloadError(f"{url}: no response within {connect_timeout:g} s") from None
        length = response.headers.get("Content-Length")
        length = int(length) if length and length.isdigit() else None
        hasher, received = hashlib.sha256(), 0
        window_start, window_bytes = time.monotonic(), 0  # curl's --speed-limit: a drip is a stall
        with open(part, "wb") as f, tqdm(total=length or size, unit="B", unit_scale=True,
                                         unit_divisor=1024, desc=dest.name, disable=not progress) as bar:
            while True:
                try:
                    chunk = response.read1(_CHUNK)  # what has arrived: one wait of read_timeout at most
                except TimeoutError:
                    raise DownloadError(
                        f"{url}: stalled, no data for {read_timeout:g} s after {received} bytes"
                    ) from None
                if not chunk:
                    break
                window_bytes += len(chunk)
                if time.monotonic() - window_start >= read_timeout:
                    if window_bytes < MIN_BYTES_PER_WINDOW:
                        raise DownloadError(
                            f"{url}: stalled, {window_bytes} bytes in the last {read_timeout:g} s "
                            f"after {received} bytes"
                        )
                    window_start, window_bytes = time.monotonic(), 0
                f.write(chunk)
                hasher.update(chunk)
                received += len(chunk)
                bar.update(len(chunk))
        if length is not None and received != length:
            raise DownloadError(f"{url}: truncated, received {received} of {length} bytes")
        digest = hasher.hexdigest()
        pinned = (sha256,) if isinstance(sha256, str) else tuple(sha256)
        if digest not in pinned:
            raise DownloadError(
                f"{url}: SHA-256 mismatch ({received} bytes with SHA-256 {digest}, expected "
                f"{' or '.join(pinned)}); the file is corrupt or not the pinned version, so it was deleted"
            )
        os.replace(part, dest)
        logger.info("downloaded %s to %s (%d bytes, SHA-256 checked)", url, dest, received)
        return dest
    except DownloadError:
        raise
    except urllib.error.HTTPError as e:
        raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from None
    except urllib.error.URLError as e:
        raise DownloadError(f"{url}: cannot connect ({_reason(e.reason)})") from None
    except Exception as e:  # noqa: BLE001 - OSError, ssl.SSLError, http.client.HTTPException...
        raise DownloadError(f"{url}: {_reason(e)}") from None
    finally:
        part.unlink(missing_ok=True)
        if response is not None:
            response.close()


def _reason(error) -> str:
    if isinstance(error, TimeoutError):
        return f"timed out: {error}" if str(error) else "timed out"
    return f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
