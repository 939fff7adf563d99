"""Shared fixtures: the offline data folder, and quiet TensorFlow."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Never let a test wait for a download: tfgan.data fails fast instead of asking tfds to fetch.
os.environ.setdefault("TFGAN_OFFLINE", "1")


# Without TFGAN_DATA_DIR (a fresh online machine after `make test-data`), the download cache holds
# the same layout: use it, so that the tests read real files either way.
if not os.environ.get("TFGAN_DATA_DIR"):
    from tfgan.data import cache_dir

    if (cache_dir() / "mnist" / "t10k-images-idx3-ubyte.gz").is_file():
        os.environ["TFGAN_DATA_DIR"] = str(cache_dir())


@pytest.fixture(scope="session")
def data_dir():
    """``$TFGAN_DATA_DIR`` (or the download cache) with the MNIST test split; fails, never skips,
    when it is missing."""
    root = os.environ.get("TFGAN_DATA_DIR")
    if not root:
        pytest.fail("No test data: TFGAN_DATA_DIR is not set and the download cache has no "
                    "mnist/t10k-*-ubyte.gz. Run `make test-data` (online) or point TFGAN_DATA_DIR "
                    "at the offline data (CI: ../shared/data). See data/README.md.")
    if not (Path(root) / "mnist" / "t10k-images-idx3-ubyte.gz").exists():
        pytest.fail(f"TFGAN_DATA_DIR={root} has no mnist/t10k-images-idx3-ubyte.gz; see data/README.md")
    return root


@pytest.fixture
def exits_2_with_one_line(capsys):
    """``check(cases)``: every ``(main, argv, message)`` case exits with code 2 (returned, or raised by
    argparse as SystemExit) and writes one line to stderr that contains ``message``."""

    def check(cases):
        for main, argv, message in cases:
            try:
                code = main(argv)
            except SystemExit as exit:  # argparse errors (tfgan.cli.Parser: one line, code 2)
                code = exit.code
            err = capsys.readouterr().err.strip()
            assert code == 2, (argv, err)
            assert message in err and len(err.splitlines()) == 1, err

    return check
