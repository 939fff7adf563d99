"""The course-data download against servers on 127.0.0.1 (nothing leaves this machine).

A local HTTP server serves a copy of ``$TFGAN_DATA_DIR`` (laid out like a data folder, the way
``TFGAN_DATA_URL`` mirrors are) with one file corrupted on purpose; other servers misbehave on
purpose: a truncated body, a server that never answers, one that stalls mid-body, and a plain TCP
socket that answers an https URL with garbage. Every failure must come within seconds, be
reported with the file's name, and leave nothing behind in the cache.
"""

import hashlib
import http.server
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from tfgan import data
from tfgan.data import __main__ as data_cli
from tfgan.data import network, sources

SHARED_DATA_DIR = os.environ.get("TFGAN_DATA_DIR")
CORRUPTED = "mnist/t10k-labels-idx1-ubyte.gz"
GOOD = ("mnist/t10k-images-idx3-ubyte.gz", "fashion_mnist/t10k-labels-idx1-ubyte.gz", "images/starry_night.jpg")
FAST = dict(connect_timeout=1.0, read_timeout=1.0, progress=False)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(autouse=True)
def empty_machine(tmp_path, monkeypatch):
    """No local copies anywhere, an empty cache, the network allowed (only 127.0.0.1 is used)."""
    monkeypatch.delenv("TFGAN_DATA_DIR", raising=False)
    monkeypatch.delenv("TFGAN_OFFLINE", raising=False)
    monkeypatch.delenv("TFGAN_DATA_URL", raising=False)
    monkeypatch.setenv("TFGAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setattr(sources, "REPO_DATA_DIR", tmp_path / "repo_data")
    monkeypatch.setitem(sources.SYSTEM_DIRS, "fashion_mnist", ())
    return tmp_path / "cache"


def leftovers(cache):
    """Every file in the cache, temporary ones included."""
    return sorted(str(p.relative_to(cache)) for p in Path(cache).rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    """http://127.0.0.1:PORT serving a copy of the shared data with CORRUPTED's bytes altered."""
    if not SHARED_DATA_DIR:
        pytest.fail("TFGAN_DATA_DIR is not set: point it at the offline data (CI: ../shared/data).")
    root = tmp_path_factory.mktemp("mirror")
    for path in (CORRUPTED, *GOOD):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(SHARED_DATA_DIR) / path, root / path)
    damaged = bytearray((root / CORRUPTED).read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF  # same size, one byte changed
    (root / CORRUPTED).write_bytes(bytes(damaged))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class RawServer:
    """A TCP server on 127.0.0.1 whose every connection is handed to ``handle(conn)``."""

    def __init__(self, handle):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.handle = handle
        self.done = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn):
        with conn:
            try:
                self.handle(conn, self.done)
            except OSError:
                pass

    def close(self):
        self.done.set()
        self.sock.close()


@pytest.fixture
def raw_server():
    servers = []

    def start(handle):
        servers.append(RawServer(handle))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def read_request(conn):
    conn.settimeout(5)
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = conn.recv(4096)
        if not chunk:
            break
        received += chunk


def fetch_one(url_base):
    """(report, seconds) of fetching the style image from ``url_base``."""
    start = time.monotonic()
    report = data.fetch(["starry_night"], base_url=url_base, **FAST)
    return report, time.monotonic() - start


# --------------------------------------------------------------------------------------------


def test_good_files_land_in_the_cache_and_the_corrupted_one_is_deleted_and_reported(mirror, empty_machine):
    report = data.fetch(["mnist/test", "fashion_mnist/test", "starry_night"], base_url=mirror, **FAST)

    assert list(report.failed) == [CORRUPTED, "fashion_mnist/t10k-images-idx3-ubyte.gz"]  # not served
    assert "HTTP 404" in report.failed["fashion_mnist/t10k-images-idx3-ubyte.gz"]
    assert sorted(report.downloaded) == sorted(GOOD)
    for path in GOOD:
        pinned = next(f for f in data.COURSE_FILES if f.path == path)
        assert sha256(empty_machine / path) == sha256(Path(SHARED_DATA_DIR) / path) in pinned.hashes
    assert "SHA-256 mismatch" in report.failed[CORRUPTED] and CORRUPTED in report.failed[CORRUPTED]
    assert leftovers(empty_machine) == sorted(GOOD)  # no corrupted file, no temporary file

    again = data.fetch(["starry_night"], base_url="http://127.0.0.1:9", **FAST)  # port 9: nothing listens
    assert again.ok and again.found == {"images/starry_night.jpg": empty_machine / "images/starry_night.jpg"}


def test_the_library_downloads_a_missing_split_from_the_mirror(mirror, monkeypatch, empty_machine):
    monkeypatch.setenv("TFGAN_DATA_URL", mirror)
    with pytest.raises(data.DatasetNotFoundError, match=r"t10k-labels-idx1-ubyte.gz: SHA-256 mismatch"):
        data.load_arrays("mnist", "test")  # its labels file is the corrupted one
    assert leftovers(empty_machine) == ["mnist/t10k-images-idx3-ubyte.gz"]
    assert data.course_file("images/starry_night.jpg") == empty_machine / "images/starry_night.jpg"


def test_truncated_body_fails_fast_and_leaves_nothing(raw_server, empty_machine):
    def half(conn, done):
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 562577\r\nConnection: close\r\n\r\n")
        conn.sendall(b"\xff" * 1000)  # then hang up

    server = raw_server(half)
    report, seconds = fetch_one(f"http://127.0.0.1:{server.port}")
    assert seconds < 5 and not report.ok
    assert "truncated" in report.failed["images/starry_night.jpg"] or "IncompleteRead" in report.failed["images/starry_night.jpg"]
    assert leftovers(empty_machine) == []


def test_silent_server_fails_within_the_connect_timeout(raw_server, empty_machine):
    server = raw_server(lambda conn, done: done.wait(30))  # accepts, never answers
    report, seconds = fetch_one(f"http://127.0.0.1:{server.port}")
    assert seconds < 5, f"took {seconds:.1f} s"
    assert "no response within 1 s" in report.failed["images/starry_night.jpg"]
    assert leftovers(empty_machine) == []


def test_server_stalling_mid_body_fails_within_the_read_timeout(raw_server, empty_machine):
    def stall(conn, done):
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 562577\r\n\r\n" + b"\0" * 5000)
        done.wait(30)

    server = raw_server(stall)
    report, seconds = fetch_one(f"http://127.0.0.1:{server.port}")
    assert seconds < 5, f"took {seconds:.1f} s"
    assert "stalled" in report.failed["images/starry_night.jpg"]
    assert leftovers(empty_machine) == []


def test_server_dripping_bytes_counts_as_stalled(raw_server, empty_machine):
    def drip(conn, done):
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 562577\r\n\r\n")
        while not done.wait(0.2):  # 5 bytes a second: never silent for a whole read timeout
            conn.sendall(b"x")

    server = raw_server(drip)
    report, seconds = fetch_one(f"http://127.0.0.1:{server.port}")
    assert seconds < 5, f"took {seconds:.1f} s"
    assert "stalled" in report.failed["images/starry_night.jpg"]
    assert leftovers(empty_machine) == []


def test_tls_failure_fails_within_seconds(raw_server, empty_machine):
    def garbage(conn, done):
        conn.recv(4096)  # the TLS ClientHello
        conn.sendall(b"this is not TLS\r\n" * 20)

    server = raw_server(garbage)
    report, seconds = fetch_one(f"https://127.0.0.1:{server.port}")
    assert seconds < 5, f"took {seconds:.1f} s"
    assert "SSL" in report.failed["images/starry_night.jpg"]
    assert leftovers(empty_machine) == []

    start = time.monotonic()
    reason = data.can_connect("127.0.0.1", server.port, timeout=1.0, tls=True)
    assert reason is not None and "SSL" in reason and time.monotonic() - start < 3
    silent = raw_server(lambda conn, done: done.wait(30))  # accepts, never completes the handshake
    start = time.monotonic()
    assert data.can_connect("127.0.0.1", silent.port, timeout=0.5, tls=True) == "timed out"
    assert time.monotonic() - start < 3


def test_refused_connection_fails_at_once(empty_machine):
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    report, seconds = fetch_one(f"http://127.0.0.1:{port}")
    assert seconds < 3 and "Connection refused" in report.failed["images/starry_night.jpg"]
    assert "ConnectionRefusedError" in data.can_connect("127.0.0.1", port, timeout=1.0)
    assert leftovers(empty_machine) == []


def test_a_temporary_file_of_a_dead_process_is_removed(mirror, empty_machine):
    stale = empty_machine / "images" / ".starry_night.jpg.99999999.part"  # pid above pid_max
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"left by kill -9")
    assert data.fetch(["starry_night"], base_url=mirror, **FAST).ok
    assert leftovers(empty_machine) == ["images/starry_night.jpg"]


def test_offline_fetch_names_what_is_missing_and_where_to_put_it(monkeypatch, capsys, empty_machine):
    monkeypatch.setenv("TFGAN_OFFLINE", "1")
    start = time.monotonic()
    assert data_cli.main(["fetch", "mnist/test"]) == 2
    assert time.monotonic() - start < 3
    err = capsys.readouterr().err
    for text in ("mnist/t10k-images-idx3-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz",
                 "TFGAN_OFFLINE is set", "$TFGAN_DATA_DIR", str(empty_machine),
                 "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-labels-idx1-ubyte.gz"):
        assert text in err
    with pytest.raises(data.DatasetNotFoundError, match=r"No copy of starry_night.jpg.*TFGAN_OFFLINE is set.*\$TFGAN_DATA_DIR/images/starry_night.jpg"):
        data.course_file("images/starry_night.jpg")


def test_fetch_with_local_copies_does_not_touch_the_network(monkeypatch, capsys):
    """``make test`` with TFGAN_DATA_DIR set: every file the tests need is found, none fetched."""
    monkeypatch.setenv("TFGAN_DATA_DIR", SHARED_DATA_DIR)
    monkeypatch.setenv("TFGAN_DATA_URL", "http://127.0.0.1:9")  # would fail if anything were fetched
    assert data_cli.main(["fetch", "mnist/test", "fashion_mnist", "starry_night"]) == 0
    out = capsys.readouterr().out
    assert out.count("found") == 7 and "downloaded" not in out


def test_fetch_cli_rejects_unknown_names(capsys):
    with pytest.raises(SystemExit) as exit_info:
        data_cli.main(["fetch", "cifar10"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "Unknown course data 'cifar10'" in err and "mnist/test" in err


def test_a_failed_tfds_download_leaves_no_temporary_folders(tmp_path, monkeypatch):
    """cycle_gan/* and div2k download through tensorflow-datasets, which leaves
    ``downloads/<url>.tmp.<uuid>/`` behind when a download fails; tfgan removes them."""
    import tensorflow_datasets as tfds

    def failing_download(builder, *args, **kwargs):
        partial = tmp_path / "tfds" / "downloads" / "efrosgans.eecs.berkeley.edu_horse2zebra.tmp.0123abcd"
        partial.mkdir(parents=True)
        (partial / "horse2zebra.zip").write_bytes(b"PK\x03\x04 the first bytes only")
        raise ConnectionResetError("the connection broke mid-download")

    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", failing_download)
    monkeypatch.setattr(data.network, "can_connect", lambda *args, **kwargs: None)  # pretend to be online
    start = time.monotonic()
    with pytest.raises(data.DatasetNotFoundError, match="(?s)could not download cycle_gan/horse2zebra.*mid-download.*folder:PATH"):
        data.translation_data("cycle_gan/horse2zebra", "train", data_dir=tmp_path / "tfds")
    with pytest.raises(data.DatasetNotFoundError, match="(?s)could not download div2k/bicubic_x4.*mid-download"):
        data.load_image_set("div2k", "train", data_dir=tmp_path / "tfds")
    assert time.monotonic() - start < 30
    assert not list((tmp_path / "tfds" / "downloads").iterdir())
