"""Tests for tfgan.data: the IDX reader, the source order, the pipeline and the registry.

Real data comes from ``$TFGAN_DATA_DIR`` (CI: ../shared/data); everything else is made here in
tmp_path. Nothing touches the network: TFGAN_OFFLINE=1 is set for every test except the ones that
check that the connectivity test itself fails fast on this offline machine.
"""

import dataclasses
import gzip
import os
import shutil
import socket
import threading
import struct
import time
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from tfgan import data
from tfgan.data import registry, sources

SHARED_DATA_DIR = os.environ.get("TFGAN_DATA_DIR")  # read before the fixtures clear it

SHARED_FILES = [
    "mnist/t10k-images-idx3-ubyte.gz",
    "mnist/t10k-labels-idx1-ubyte.gz",
    "fashion_mnist/train-images-idx3-ubyte.gz",
    "fashion_mnist/train-labels-idx1-ubyte.gz",
    "fashion_mnist/t10k-images-idx3-ubyte.gz",
    "fashion_mnist/t10k-labels-idx1-ubyte.gz",
]


@pytest.fixture(autouse=True)
def isolated_sources(tmp_path, monkeypatch):
    """Every source but the ones a test sets points at an empty tmp folder; no downloads."""
    monkeypatch.delenv("TFGAN_DATA_DIR", raising=False)
    monkeypatch.setenv("TFGAN_OFFLINE", "1")
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    monkeypatch.setenv("TFGAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(sources, "REPO_DATA_DIR", tmp_path / "repo_data")
    monkeypatch.setattr(data, "REPO_DATA_DIR", tmp_path / "repo_data", raising=False)  # for the tests below
    src = sources.IDX_SOURCES["fashion_mnist"]
    monkeypatch.setitem(
        sources.IDX_SOURCES,
        "fashion_mnist",
        dataclasses.replace(src, system_dirs=(str(tmp_path / "system"),)),
    )
    monkeypatch.setitem(sources.SYSTEM_DIRS, "fashion_mnist", (str(tmp_path / "system"),))
    data.available_datasets()  # import every data module first, so the copy below holds every entry
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_PREFIXES", dict(registry._PREFIXES))


@pytest.fixture
def shared_data(monkeypatch):
    """$TFGAN_DATA_DIR with the real MNIST/Fashion-MNIST files; fails (never skips) without it."""
    if not SHARED_DATA_DIR:
        pytest.fail(
            "TFGAN_DATA_DIR is not set and the download cache is empty. Run `make test-data` "
            "(online), or point TFGAN_DATA_DIR at the offline data folder, e.g. "
            "`TFGAN_DATA_DIR=../shared/data pytest tests/test_data.py` (see data/README.md)."
        )
    root = Path(SHARED_DATA_DIR)
    missing = [f for f in SHARED_FILES if not (root / f).is_file()]
    if missing:
        pytest.fail(f"TFGAN_DATA_DIR={root} lacks {missing}; see data/README.md for the layout.")
    monkeypatch.setenv("TFGAN_DATA_DIR", str(root))
    return root


# --------------------------------------------------------------------------------------------
# Helpers that write IDX files byte by byte


def idx_bytes(array, magic=None):
    """An IDX file of unsigned bytes: magic (0x0000 08 ndim), big-endian dims, then the data."""
    a = np.asarray(array, dtype=np.uint8)
    magic = 0x00000800 | a.ndim if magic is None else magic
    return struct.pack(">I", magic) + struct.pack(f">{a.ndim}I", *a.shape) + a.tobytes()


def write(path, payload, gz=True):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


def write_split(folder, split, images, labels, gz=True):
    """Writes <train|t10k>-images-idx3-ubyte(.gz) and the labels file; returns both paths."""
    prefix = {"train": "train", "test": "t10k"}[split]
    suffix = ".gz" if gz else ""
    return (
        write(folder / f"{prefix}-images-idx3-ubyte{suffix}", idx_bytes(images), gz),
        write(folder / f"{prefix}-labels-idx1-ubyte{suffix}", idx_bytes(labels), gz),
    )


def constant_split(folder, split, value, n=4, size=(2, 3)):
    """n images filled with ``value``, labels 0..n-1: tells the sources apart."""
    write_split(folder, split, np.full((n, *size), value), np.arange(n))


# --------------------------------------------------------------------------------------------
# IDX reader


def test_read_idx_exact_values_from_hand_written_bytes(tmp_path):
    # 2 images of 2x3 pixels, written without numpy: magic, 3 dims, then 12 bytes.
    pixels = [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]
    payload = struct.pack(">IIII", 0x00000803, 2, 2, 3) + bytes(pixels)
    labels = struct.pack(">II", 0x00000801, 2) + bytes([7, 3])
    write(tmp_path / "t10k-images-idx3-ubyte.gz", payload)
    write(tmp_path / "t10k-labels-idx1-ubyte", labels, gz=False)  # uncompressed works too

    images = data.read_idx(tmp_path / "t10k-images-idx3-ubyte.gz", "images")
    assert images.dtype == np.uint8 and images.shape == (2, 2, 3)
    np.testing.assert_array_equal(images[0], [[0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(images[1], [[250, 251, 252], [253, 254, 255]])

    x, y = data.load_arrays("mnist", "test", data_dir=tmp_path)
    assert x.shape == (2, 2, 3, 1) and x.dtype == np.uint8
    assert y.dtype == np.int64 and y.tolist() == [7, 3]

    batch = next(iter(data.load("mnist", "test", batch_size=2, data_dir=tmp_path, shuffle=False)))
    expected = np.array(pixels) / 127.5 - 1.0
    np.testing.assert_allclose(batch.numpy().ravel(), expected, rtol=0, atol=1e-6)
    assert batch.numpy().min() == -1.0 and batch.numpy().max() == 1.0


@pytest.mark.parametrize(
    "case, expected_text",
    [
        ("labels_magic_in_images_file", ["0x00000801", "expected 0x00000803"]),
        ("int32_dtype_byte", ["0x00000C03", "expected 0x00000803"]),
        ("truncated", ["truncated", "has 27 bytes, expected 28"]),
        ("trailing_byte", ["trailing", "has 29 bytes, expected 28"]),
        ("short_header", ["header"]),
        ("bad_gzip", ["not a valid gzip file"]),
        ("truncated_gzip", ["not a valid gzip file"]),
    ],
)
def test_corrupt_image_file_names_the_file_and_the_problem(tmp_path, case, expected_text):
    good = idx_bytes(np.zeros((2, 2, 3)))  # 16-byte header + 12 bytes
    payload, gz = {
        "labels_magic_in_images_file": (idx_bytes(np.zeros((2, 2, 3)), magic=0x801), True),
        "int32_dtype_byte": (idx_bytes(np.zeros((2, 2, 3)), magic=0xC03), True),
        "truncated": (good[:-1], True),
        "trailing_byte": (good + b"\0", True),
        "short_header": (good[:10], True),
        "bad_gzip": (b"this is not gzip data", False),
        "truncated_gzip": (gzip.compress(good)[:-12], False),
    }[case]
    bad = write(tmp_path / "t10k-images-idx3-ubyte.gz", payload, gz=gz)
    write(tmp_path / "t10k-labels-idx1-ubyte.gz", idx_bytes([1, 2]))

    with pytest.raises(data.CorruptDatasetError) as err:
        data.load_arrays("mnist", "test", data_dir=tmp_path)
    assert str(bad) in str(err.value)
    for text in expected_text:
        assert text in str(err.value)
    assert isinstance(err.value, ValueError)  # callers may catch ValueError


def test_image_and_label_count_mismatch(tmp_path):
    images, labels = write_split(tmp_path, "test", np.zeros((3, 2, 2)), [0, 1])
    with pytest.raises(data.CorruptDatasetError) as err:
        data.load_arrays("mnist", "test", data_dir=tmp_path)
    message = str(err.value)
    assert str(images) in message and str(labels) in message
    assert "3 images" in message and "2 labels" in message


def test_parsed_files_are_cached_until_the_file_changes(tmp_path):
    path = write(tmp_path / "x-idx1-ubyte.gz", idx_bytes([1, 2, 3]))
    first = data.read_idx(path, "labels")
    assert data.read_idx(path, "labels") is first
    assert not first.flags.writeable  # shared cache: callers must not write into it
    write(path, idx_bytes([4, 5]))
    os.utime(path, ns=(1, 1))  # a new mtime even on coarse file-system clocks
    assert data.read_idx(path, "labels").tolist() == [4, 5]


# --------------------------------------------------------------------------------------------
# Source order


def first_pixel(name="mnist", split="test", **kwargs):
    return int(data.load_arrays(name, split, **kwargs)[0][0, 0, 0, 0])


def test_source_order_data_dir_then_env_then_repo(tmp_path, monkeypatch):
    explicit, env = tmp_path / "explicit", tmp_path / "env"
    constant_split(explicit, "test", 1)
    constant_split(env / "mnist", "test", 2)
    constant_split(data.REPO_DATA_DIR / "mnist", "test", 3)
    monkeypatch.setenv("TFGAN_DATA_DIR", str(env))

    assert first_pixel(data_dir=explicit) == 1
    assert first_pixel() == 2
    monkeypatch.delenv("TFGAN_DATA_DIR")
    assert first_pixel() == 3


def test_data_dir_may_hold_a_dataset_subfolder(tmp_path):
    constant_split(tmp_path / "mnist", "test", 5)
    assert first_pixel(data_dir=tmp_path) == 5
    assert first_pixel(data_dir=str(tmp_path / "mnist")) == 5


def test_uncompressed_and_dotted_file_names(tmp_path):
    write(tmp_path / "t10k-images.idx3-ubyte", idx_bytes(np.full((2, 2, 2), 9)), gz=False)
    write(tmp_path / "t10k-labels.idx1-ubyte", idx_bytes([0, 1]), gz=False)
    assert first_pixel(data_dir=tmp_path) == 9


def test_system_copy_comes_after_repo_data(tmp_path):
    constant_split(tmp_path / "system", "train", 7)
    assert first_pixel("fashion_mnist", "train") == 7
    constant_split(data.REPO_DATA_DIR / "fashion_mnist", "train", 3)
    assert first_pixel("fashion_mnist", "train") == 3


def test_a_folder_missing_the_split_does_not_stop_the_search(tmp_path, monkeypatch):
    constant_split(tmp_path / "explicit", "test", 1)
    constant_split(tmp_path / "env" / "mnist", "train", 2)
    monkeypatch.setenv("TFGAN_DATA_DIR", str(tmp_path / "env"))
    assert first_pixel(split="train", data_dir=tmp_path / "explicit") == 2


def test_partial_split_error_says_what_was_found_and_where(tmp_path):
    constant_split(tmp_path / "explicit", "test", 1)
    start = time.monotonic()
    with pytest.raises(data.DatasetNotFoundError) as err:
        data.load("mnist", split="train", data_dir=tmp_path / "explicit")
    assert time.monotonic() - start < 5
    message = str(err.value)
    assert f"Found only split(s) ['test'] in {tmp_path / 'explicit'}" in message
    assert "split='test'" in message and "--split test" in message
    assert "train-images-idx3-ubyte.gz" in message
    assert str(data.REPO_DATA_DIR / "mnist") in message
    assert "TFGAN_OFFLINE" in message
    assert isinstance(err.value, FileNotFoundError)


# --------------------------------------------------------------------------------------------
# tensorflow-datasets copies (made here, offline)


def make_tfds_copy(root, name, split, images, labels):
    """Writes a prepared tfds copy of ``name`` (same features and version as the real builder)."""
    import tensorflow_datasets as tfds

    builder = tfds.builder(name, data_dir=str(root))
    examples = tf.data.Dataset.from_tensor_slices(
        {"image": np.asarray(images, np.uint8), "label": np.asarray(labels, np.int64)}
    )
    tfds.dataset_builders.store_as_tfds_dataset(
        name=name,
        version=str(builder.version),
        features=builder.info.features,
        split_datasets={split: examples},
        data_dir=str(root),
        disable_shuffling=True,
    )


def test_prepared_tfds_copy_is_used_after_local_folders(tmp_path):
    images = np.arange(3 * 28 * 28, dtype=np.uint8).reshape(3, 28, 28, 1)
    make_tfds_copy(tmp_path / "tfds", "mnist", "test", images, [4, 5, 6])

    x, y = data.load_arrays("mnist", "test")
    np.testing.assert_array_equal(x, images)
    assert y.tolist() == [4, 5, 6]
    with pytest.raises(data.DatasetNotFoundError, match=r"found only split\(s\) \['test'\]"):
        data.load_arrays("mnist", "train")

    constant_split(data.REPO_DATA_DIR / "mnist", "test", 3)
    assert first_pixel() == 3  # local IDX files win over tfds


def test_importlib_resources_patch_lets_tfds_find_its_checksums():
    import tensorflow_datasets as tfds

    builder = tfds.builder("mnist", data_dir=os.environ["TFDS_DATA_DIR"])
    assert builder.code_path.name == "mnist.py"  # raised ModuleNotFoundError without the patch
    assert any("mnist" in url for url in builder.url_infos)


# --------------------------------------------------------------------------------------------
# Offline failure is fast (this machine and CI have no internet)


def test_missing_train_split_offline_fails_fast_with_every_path(shared_data):
    start = time.monotonic()
    with pytest.raises(data.DatasetNotFoundError) as err:
        data.load("mnist", split="train")
    elapsed = time.monotonic() - start
    assert elapsed < 20, f"took {elapsed:.1f} s"
    message = str(err.value)
    assert f"Found only split(s) ['test'] in {shared_data / 'mnist'}" in message
    tfds_dir = Path(os.environ["TFDS_DATA_DIR"])
    for path in (shared_data / "mnist", data.REPO_DATA_DIR / "mnist", tfds_dir / "mnist"):
        assert str(path) in message
    assert "TFGAN_DATA_DIR" in message and "--data-dir" in message


def test_download_gives_up_on_a_hanging_lookup_without_tfgan_offline(shared_data, monkeypatch):
    """Without TFGAN_OFFLINE the bounded download (3 s to look up, connect and get an answer), not
    tfds' ~205 s of retries, ends the search. The name lookup hangs on purpose, so the test behaves
    the same on a machine with internet."""
    release = threading.Event()

    def hanging_lookup(*args, **kwargs):
        release.wait(30)
        raise socket.gaierror("lookup abandoned")

    monkeypatch.delenv("TFGAN_OFFLINE")
    monkeypatch.setattr(socket, "getaddrinfo", hanging_lookup)
    start = time.monotonic()
    with pytest.raises(data.DatasetNotFoundError) as err:
        data.load_arrays("mnist", split="train")
    elapsed = time.monotonic() - start
    release.set()
    assert elapsed < 10, f"took {elapsed:.1f} s"
    message = str(err.value)
    assert "https://storage.googleapis.com/cvdf-datasets/mnist/train-images-idx3-ubyte.gz: no response within 3 s" in message
    assert "Found only split(s) ['test']" in message  # and it still says what was found
    assert not list(Path(os.environ["TFGAN_CACHE"]).rglob("*.*"))  # nothing partial left


def test_connectivity_check_gives_up_on_a_hanging_lookup(monkeypatch):
    release = threading.Event()

    def hanging_connect(*args, **kwargs):
        release.wait(10)
        raise OSError("lookup abandoned")

    monkeypatch.setattr(socket, "create_connection", hanging_connect)
    start = time.monotonic()
    assert data.can_connect("example.invalid", 443, timeout=0.2) == "timed out"
    assert time.monotonic() - start < 2
    release.set()  # let the abandoned daemon thread finish cleanly


# --------------------------------------------------------------------------------------------
# Real data through the pipeline


def test_mnist_test_split_arrays(shared_data):
    x, y = data.load_arrays("mnist", "test")
    assert x.shape == (10000, 28, 28, 1) and x.dtype == np.uint8
    assert y.shape == (10000,) and y.dtype == np.int64
    assert y[:5].tolist() == [7, 2, 1, 0, 4]  # the well-known first MNIST test digits
    assert sorted(set(y.tolist())) == list(range(10))
    assert x.min() == 0 and x.max() == 255


def test_mnist_batches_shapes_range_and_drop_remainder(shared_data):
    ds = data.load("mnist", "test", batch_size=64, with_labels=True, seed=0)
    assert ds.element_spec[0].shape == (64, 28, 28, 1)
    assert ds.element_spec[1].shape == (64,)
    batches = list(ds)
    assert len(batches) == 10000 // 64  # 156 full batches, the last 16 images dropped
    images, labels = batches[0]
    assert images.dtype == tf.float32 and labels.dtype == tf.int32
    all_images = np.concatenate([b[0].numpy() for b in batches])
    assert all_images.min() == -1.0 and all_images.max() == 1.0


def test_unshuffled_batch_matches_the_arrays(shared_data):
    x, _ = data.load_arrays("mnist", "test")
    batch = next(iter(data.load("mnist", "test", batch_size=8, shuffle=False)))
    np.testing.assert_allclose(batch.numpy(), x[:8] / 127.5 - 1.0, atol=1e-6)


def test_seeded_shuffle_is_reproducible(shared_data):
    def first_labels(seed):
        ds = data.load("mnist", "test", batch_size=32, with_labels=True, seed=seed)
        return next(iter(ds))[1].numpy()

    np.testing.assert_array_equal(first_labels(3), first_labels(3))
    assert not np.array_equal(first_labels(3), first_labels(4))


def test_image_size_and_channels(shared_data):
    ds = data.load("mnist", "test", batch_size=4, image_size=32, channels=3, shuffle=False)
    batch = next(iter(ds)).numpy()
    assert batch.shape == (4, 32, 32, 3)
    np.testing.assert_array_equal(batch[..., 0], batch[..., 2])
    assert batch.min() >= -1.0 and batch.max() <= 1.0
    ds = data.load("mnist", "test", batch_size=4, image_size=(14, 20), channels=1)
    assert next(iter(ds)).shape == (4, 14, 20, 1)


def test_repeat_runs_past_one_epoch(shared_data):
    ds = data.load("mnist", "test", batch_size=4000, repeat=True, seed=1)
    assert len(list(ds.take(5))) == 5  # 20000 images from a 10000-image split


def test_fashion_mnist_train_split(shared_data):
    x, y = data.load_arrays("fashion_mnist", "train")
    assert x.shape == (60000, 28, 28, 1) and y.shape == (60000,)
    assert y[:5].tolist() == [9, 0, 0, 3, 0]
    ds_info = data.info("fashion_mnist")
    assert ds_info.class_names[9] == "Ankle boot" and ds_info.num_classes == 10
    assert ds_info.num_examples == {"train": 60000, "test": 10000}


# --------------------------------------------------------------------------------------------
# Arguments and registry


@pytest.mark.parametrize(
    "kwargs, text",
    [
        (dict(split="validation"), "split='validation'"),
        (dict(batch_size=0), "batch_size=0"),
        (dict(batch_size=True), "batch_size=True"),
        (dict(batch_size=2.5), "batch_size=2.5"),
        (dict(image_size=0), "image_size=0"),
        (dict(image_size=(28,)), "image_size=(28,)"),
        (dict(image_size="28"), "image_size='28'"),
        (dict(channels=2), "channels=2"),
    ],
)
def test_bad_arguments(kwargs, text):
    with pytest.raises(ValueError, match="Received") as err:
        data.load("mnist", **kwargs)
    assert text in str(err.value)


def test_batch_larger_than_split_without_repeat(tmp_path):
    constant_split(tmp_path, "test", 1, n=4)
    with pytest.raises(ValueError, match="batch_size=5 exceeds the 4 examples"):
        data.load("mnist", "test", batch_size=5, data_dir=tmp_path)
    ds = data.load("mnist", "test", batch_size=5, data_dir=tmp_path, repeat=True)
    assert next(iter(ds)).shape[0] == 5


def test_unknown_dataset_lists_valid_names():
    with pytest.raises(ValueError) as err:
        data.load("mnsit")
    message = str(err.value)
    assert "name='mnsit'" in message and "'mnist'" in message and "'fashion_mnist'" in message
    assert {"mnist", "fashion_mnist"} <= set(data.available_datasets())


def test_register_dataset_and_prefix_resolver():
    rgb = np.stack([np.full((2, 2), v) for v in (0, 255, 0)], axis=-1).astype(np.uint8)

    @data.register_dataset(data.DatasetInfo("toy", image_shape=(2, 2, 3), splits=("train",)))
    def toy(split, data_dir=None):
        return np.stack([rgb] * 3), None

    batch = next(iter(data.load("toy", batch_size=3, channels=1)))
    assert batch.shape == (3, 2, 2, 1)
    with pytest.raises(ValueError, match="has no labels"):
        data.load("toy", with_labels=True)
    with pytest.raises(ValueError, match="already registered"):
        data.register_dataset(data.DatasetInfo("toy", image_shape=(2, 2, 3)), toy)

    data.register_prefix("const", lambda rest: (
        data.DatasetInfo(f"const:{rest}", image_shape=(1, 1, 1), splits=("train",)),
        lambda split, data_dir=None: (np.full((2, 1, 1, 1), int(rest), np.uint8), None),
    ))
    assert "const:<...>" in data.available_datasets()
    assert data.info("const:255").image_shape == (1, 1, 1)
    assert data.load_arrays("const:255")[0].max() == 255
    with pytest.raises(ValueError, match="Unknown dataset"):
        data.info("nope:1")


def test_split_slices_select_rows_and_reject_bad_slices(tmp_path):
    """``"test[:3]"`` / ``"test[3:]"``: two disjoint parts of one split (offline MNIST's held-out
    digits come from such a slice of its only split)."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 2, 3), dtype=np.uint8)
    write_split(tmp_path, "test", images, np.arange(5, dtype=np.uint8))
    head, head_labels = data.load_arrays("mnist", "test[:3]", data_dir=tmp_path)
    tail, tail_labels = data.load_arrays("mnist", "test[3:]", data_dir=tmp_path)
    np.testing.assert_array_equal(head[..., 0], images[:3])
    np.testing.assert_array_equal(tail[..., 0], images[3:])
    np.testing.assert_array_equal(np.concatenate([head_labels, tail_labels]), np.arange(5))
    middle, _ = data.load_arrays("mnist", "test[-2:-1]", data_dir=tmp_path)
    np.testing.assert_array_equal(middle[..., 0], images[3:4])
    batch = next(iter(data.load("mnist", "test[3:]", batch_size=2, data_dir=tmp_path, shuffle=False)))
    assert batch.shape == (2, 2, 3, 1)
    for bad, message in [("test[5:]", "selects none"), ("test[:x]", "slice of examples"),
                         ("validation[:2]", "Unknown split")]:
        with pytest.raises(ValueError, match=message):
            data.load_arrays("mnist", bad, data_dir=tmp_path)
