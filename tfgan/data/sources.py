"""Where datasets and course files come from: local copies first, then a checked download.

The course files (the MNIST and Fashion-MNIST IDX files and the style image) are pinned in
:data:`COURSE_FILES` by URL, size and SHA-256. Each is looked for, first found wins, in

1. ``$TFGAN_DATA_DIR/<path>`` (e.g. ``$TFGAN_DATA_DIR/mnist/t10k-images-idx3-ubyte.gz``);
2. the repository's ``data/<path>`` (:data:`REPO_DATA_DIR`);
3. system copies (Debian's ``dataset-fashion-mnist`` in ``/usr/share/datasets/fashion-mnist``);
4. the download cache (:func:`~tfgan.data.network.cache_dir`, same layout);
5. a download into the cache, checked against the pinned SHA-256, unless ``TFGAN_OFFLINE=1``.

IDX datasets (``mnist``, ``fashion_mnist``) also accept a ``data_dir`` argument (searched first)
and a copy prepared by tensorflow-datasets (searched before the download). When nothing has the
file, the error names it and where to put it. ``python -m tfgan.data fetch`` fetches them ahead.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from tfgan.data import network
from tfgan.data.idx import SPLIT_PREFIX, idx_splits, read_idx_split
from tfgan.data.registry import DatasetInfo, DatasetNotFoundError, register_dataset
from tfgan.errors import DataError

logger = logging.getLogger("tfgan.data")

#: The repository's own ``data/`` folder. Tests point it elsewhere with monkeypatch.
REPO_DATA_DIR = Path(__file__).resolve().parent.parent.parent / "data"


# --------------------------------------------------------------------------------------------
# The pinned course files


@dataclasses.dataclass(frozen=True)
class CourseFile:
    """One downloadable file: ``path`` inside a data folder, its public URL, size and SHA-256."""

    path: str
    url: str
    size: int
    sha256: str
    group: str
    #: SHA-256s of other known-good packagings of the same bytes (accepted from mirrors).
    also_accepted: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def hashes(self) -> tuple[str, ...]:
        return (self.sha256, *self.also_accepted)


_MNIST_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"  # Google's MNIST mirror
_FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"  # Zalando's bucket
# The 640 px rendering the offline copy is (same bytes as far as anyone checked). Wikimedia has begun
# to refuse thumbnail widths outside 20/40/60/120/250/330/500/960/1280/1920/3840 px (HTTP 429,
# phabricator T414805); if it does for this URL, pin a standard width and its SHA-256 here.
_STARRY_NIGHT_URL = (
    "https://upload.wikimedia.org/wikipedia/commons/thumb/e/ea/"
    "Van_Gogh_-_Starry_Night_-_Google_Art_Project.jpg/640px-Van_Gogh_-_Starry_Night_-_Google_Art_Project.jpg"
)

#: The files a fresh machine needs for the course. The hashes of the MNIST test files and of the
#: painting were computed from the offline copies the course is tested with; the MNIST train and
#: Fashion-MNIST hashes are those of the files as published (tensorflow-datasets' url_checksums pin
#: the same values). Debian's dataset-fashion-mnist (the offline copies) differs from them only in
#: the gzip header, as far as sizes tell (no file-name field: each file is len(name) + 1 bytes
#: shorter; another timestamp), so its hashes, computed from those copies, are accepted as well.
COURSE_FILES: tuple[CourseFile, ...] = (
    CourseFile("mnist/train-images-idx3-ubyte.gz", _MNIST_URL + "train-images-idx3-ubyte.gz", 9912422,
               "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", "mnist"),
    CourseFile("mnist/train-labels-idx1-ubyte.gz", _MNIST_URL + "train-labels-idx1-ubyte.gz", 28881,
               "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", "mnist"),
    CourseFile("mnist/t10k-images-idx3-ubyte.gz", _MNIST_URL + "t10k-images-idx3-ubyte.gz", 1648877,
               "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", "mnist"),
    CourseFile("mnist/t10k-labels-idx1-ubyte.gz", _MNIST_URL + "t10k-labels-idx1-ubyte.gz", 4542,
               "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", "mnist"),
    CourseFile("fashion_mnist/train-images-idx3-ubyte.gz", _FASHION_URL + "train-images-idx3-ubyte.gz",
               26421880, "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", "fashion_mnist",
               ("b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",)),
    CourseFile("fashion_mnist/train-labels-idx1-ubyte.gz", _FASHION_URL + "train-labels-idx1-ubyte.gz",
               29515, "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", "fashion_mnist",
               ("0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",)),
    CourseFile("fashion_mnist/t10k-images-idx3-ubyte.gz", _FASHION_URL + "t10k-images-idx3-ubyte.gz",
               4422102, "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", "fashion_mnist",
               ("cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",)),
    CourseFile("fashion_mnist/t10k-labels-idx1-ubyte.gz", _FASHION_URL + "t10k-labels-idx1-ubyte.gz",
               5148, "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", "fashion_mnist",
               ("8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",)),
    CourseFile("images/starry_night.jpg", _STARRY_NIGHT_URL, 562577,
               "bd7efa364a0bc3ffcd10abb27d4aaffe97cda3bc4e40011a971202c7febe04c4", "starry_night"),
)
_BY_PATH = {f.path: f for f in COURSE_FILES}
#: Folders outside the data folders that may hold a group's files directly.
SYSTEM_DIRS = {"fashion_mnist": ("/usr/share/datasets/fashion-mnist",)}


def select(names: Sequence[str] = ()) -> list[CourseFile]:
    """The course files named by groups, e.g. ``["mnist/test", "starry_night"]``; all for none.

    A group is ``mnist``, ``fashion_mnist`` or ``starry_night``; ``mnist/test`` and
    ``mnist/train`` take one split of an IDX dataset.
    """
    groups = sorted({f.group for f in COURSE_FILES})
    chosen: list[CourseFile] = []
    for name in names or groups:
        group, _, split = name.partition("/")
        prefix = SPLIT_PREFIX.get(split) if split else ""
        files = [f for f in COURSE_FILES if f.group == group and f.name.startswith(prefix or "")]
        if group not in groups or prefix is None or not files:
            splits = [f"{g}/{s}" for g in groups if g != "starry_night" for s in SPLIT_PREFIX]
            raise ValueError(f"Unknown course data {name!r}. Expected one of {groups + splits}.")
        chosen += [f for f in files if f not in chosen]
    return chosen


def data_url(file: CourseFile, base_url: str | None = None) -> str:
    """The URL to fetch ``file`` from: ``<base>/<path>`` when a mirror is given (the ``base_url``
    argument or ``$TFGAN_DATA_URL``, laid out like a data folder), else the published URL."""
    base = base_url or os.environ.get("TFGAN_DATA_URL")
    return f"{base.rstrip('/')}/{file.path}" if base else file.url


def local_folders(group: str) -> list[tuple[str, Path | None]]:
    """(label, folder or None when unset) holding ``group``'s files, in search order."""
    env = os.environ.get("TFGAN_DATA_DIR")
    sub = "images" if group == "starry_night" else group
    return [
        ("$TFGAN_DATA_DIR", Path(env).expanduser() / sub if env else None),
        ("repo data dir", Path(REPO_DATA_DIR) / sub),
        *[("system copy", Path(d)) for d in SYSTEM_DIRS.get(group, ())],
        ("download cache", network.cache_dir() / sub),
    ]


def local_copy(file: CourseFile) -> Path | None:
    """The first local copy of ``file`` (see the module docstring), or None."""
    for _, folder in local_folders(file.group):
        if folder is not None and (folder / file.name).is_file():
            return folder / file.name
    return None


def where_to_put(files: Sequence[CourseFile]) -> str:
    """The advice given when files are missing and cannot be downloaded."""
    env = os.environ.get("TFGAN_DATA_DIR")
    root = f"$TFGAN_DATA_DIR ({env})" if env else "$TFGAN_DATA_DIR"
    lines = [f"  - {f.path}  (from {f.url}, SHA-256 {f.sha256[:12]}...)" for f in files]
    return (
        f"Put the file(s) below under {root} (or under the download cache "
        f"{network.cache_dir()}), keeping the folder names; data/README.md lists the layout and "
        "hashes. " + ("Or go online (unset TFGAN_OFFLINE) and run `python -m tfgan.data fetch`."
                      if network.offline() else "Or run `python -m tfgan.data fetch` again later.")
        + "\n"
        + "\n".join(lines)
    )


@dataclasses.dataclass
class FetchReport:
    """What :func:`fetch` did with each file: found locally, downloaded, or failed (with why)."""

    found: dict[str, Path] = dataclasses.field(default_factory=dict)
    downloaded: dict[str, Path] = dataclasses.field(default_factory=dict)
    failed: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


def fetch(
    names: Sequence[str] = (),
    *,
    base_url: str | None = None,
    progress: bool | None = None,
    connect_timeout: float = network.CONNECT_TIMEOUT,
    read_timeout: float = network.READ_TIMEOUT,
) -> FetchReport:
    """Makes the course files named by ``names`` (see :func:`select`; all by default) available.

    A file with a local copy is left alone; any other is downloaded into the cache and checked
    against its pinned SHA-256 (never under ``TFGAN_OFFLINE=1``). Failures do not raise: they are
    collected in the report, so one bad file does not stop the others.
    """
    report = FetchReport()
    for file in select(names):
        path = local_copy(file)
        if path is not None:
            report.found[file.path] = path
        elif network.offline():
            report.failed[file.path] = "missing, and TFGAN_OFFLINE is set"
        else:
            try:
                report.downloaded[file.path] = _download(
                    file, base_url, connect_timeout=connect_timeout, read_timeout=read_timeout,
                    progress=progress,
                )
            except DataError as err:
                report.failed[file.path] = str(err)
    return report


def _download(file: CourseFile, base_url: str | None = None, **kwargs) -> Path:
    """Downloads ``file`` into the cache, checked against its pinned SHA-256."""
    logger.warning("downloading %s (%.1f MB) into %s", file.path, file.size / 1e6, network.cache_dir())
    return network.download(data_url(file, base_url), network.cache_dir() / file.path, file.hashes,
                            file.size, **kwargs)


def course_file(path: str) -> Path:
    """A local copy of the course file ``path`` (e.g. ``"images/starry_night.jpg"``), downloaded
    into the cache when there is none and the network may be used.

    Raises :class:`DatasetNotFoundError` naming the file, the places looked in and where to put it.
    """
    if path not in _BY_PATH:
        raise ValueError(f"Unknown course file. Received: {path!r}. Expected one of {sorted(_BY_PATH)}.")
    file = _BY_PATH[path]
    found = local_copy(file)
    if found is not None:
        return found
    looked = [f"{label}: {folder / file.name if folder else 'not set'}" for label, folder in local_folders(file.group)]
    if network.offline():
        reason = "TFGAN_OFFLINE is set"
    else:
        try:
            return _download(file)
        except DataError as err:
            reason = f"download failed: {err}"
    raise DatasetNotFoundError(
        f"No copy of {file.name} found (looked in {'; '.join(looked)}) and it cannot be downloaded "
        f"({reason}). Put it at $TFGAN_DATA_DIR/{file.path} or {network.cache_dir() / file.path} "
        f"(it is {file.url}, SHA-256 {file.sha256}), or go online and run `python -m tfgan.data fetch`."
    )


# --------------------------------------------------------------------------------------------
# IDX datasets: local folders, tensorflow-datasets copies, the cache, a download


@dataclasses.dataclass(frozen=True)
class IdxSources:
    """Where an IDX dataset may live besides the user's folders."""

    name: str
    tfds_name: str
    system_dirs: tuple[str, ...] = ()


def tfds_root() -> Path:
    """``$TFDS_DATA_DIR``, else ``~/tensorflow_datasets``."""
    return Path(os.environ.get("TFDS_DATA_DIR") or Path.home() / "tensorflow_datasets").expanduser()


def tfds_download(tfds_name: str, root: Path):
    """A tfds builder for ``tfds_name`` under ``root`` after ``download_and_prepare``.

    tfds downloads into ``root/downloads/<url>.tmp.<uuid>/`` folders and leaves them behind when a
    download fails; those left by this call are removed, and the failure is raised as one
    :class:`~tfgan.data.network.DownloadError`. Callers probe the host first
    (:func:`~tfgan.data.network.can_connect`), since tfds itself retries for minutes.
    """
    import shutil

    import tensorflow_datasets as tfds

    downloads = Path(root) / "downloads"
    before = set(downloads.glob("*.tmp.*"))
    builder = tfds.builder(tfds_name, data_dir=str(root))
    try:
        builder.download_and_prepare()
    except Exception as e:  # noqa: BLE001 - any tfds failure: clean up, then one message
        for leftover in set(downloads.glob("*.tmp.*")) - before:
            shutil.rmtree(leftover, ignore_errors=True)
        raise network.DownloadError(
            f"tensorflow-datasets could not download {tfds_name} into {root}: {type(e).__name__}: {e}"
        ) from None
    return builder


@functools.lru_cache(maxsize=8)
def _tfds_arrays(tfds_name: str, split: str, root: str, marker_mtime: int):
    """Reads one prepared tfds split fully into memory (cached)."""
    del marker_mtime
    import tensorflow_datasets as tfds

    builder = tfds.builder(tfds_name, data_dir=root)
    batch = tfds.as_numpy(builder.as_dataset(split=split, batch_size=-1))
    images = np.asarray(batch["image"], dtype=np.uint8)
    images.flags.writeable = False
    return images, np.asarray(batch["label"], dtype=np.int64)


def _tfds_prepared(tfds_name: str, split: str, root: Path) -> tuple[str, tuple | None]:
    """(status, arrays or None) for a tfds copy prepared under ``root``, without any download."""
    infos = sorted(root.glob(f"{tfds_name}/*/dataset_info.json"))
    if not infos:  # checked first: building a tfds builder for a missing copy logs warnings
        return "not prepared", None
    import tensorflow_datasets as tfds

    builder = tfds.builder(tfds_name, data_dir=str(root))
    if not builder.is_prepared():
        return f"no prepared copy for version {builder.version}", None
    if split not in builder.info.splits:
        return f"prepared, but found only split(s) {sorted(builder.info.splits)}", None
    marker = Path(builder.data_dir) / "dataset_info.json"
    return "used", _tfds_arrays(tfds_name, split, str(root), marker.stat().st_mtime_ns)


def find_idx(src: IdxSources, split: str, data_dir) -> tuple[np.ndarray, np.ndarray]:
    """Tries every source in order; raises DatasetNotFoundError listing them all."""
    looked: list[str] = []
    partial: list[tuple[Path, list[str]]] = []
    candidates: list[tuple[str, Path | None]] = []
    if data_dir is not None:
        base = Path(data_dir).expanduser()
        candidates.append(("data_dir argument", base))
        if base.is_dir():
            candidates.append(("data_dir argument", base / src.name))
    else:
        candidates.append(("data_dir argument", None))
    env = os.environ.get("TFGAN_DATA_DIR")
    candidates.append(("$TFGAN_DATA_DIR", Path(env).expanduser() / src.name if env else None))
    candidates.append(("repo data dir", Path(REPO_DATA_DIR) / src.name))
    candidates += [("system copy", Path(d)) for d in src.system_dirs]
    cache = network.cache_dir() / src.name
    candidates.append(("download cache", cache))

    for label, folder in candidates:
        if folder is None:
            looked.append(f"{label}: not set")
            continue
        if not folder.is_dir():
            looked.append(f"{label}: {folder} (no such folder)")
            continue
        found = idx_splits(folder, ("train", "test"))
        if split in found:
            logger.info("%s/%s: reading IDX files from %s (%s)", src.name, split, folder, label)
            return read_idx_split(folder, split)
        if found and folder not in [f for f, _ in partial]:
            partial.append((folder, found))
            looked.append(f"{label}: {folder} (found only split(s) {found})")
        else:
            looked.append(f"{label}: {folder} (no IDX files)")

    root = tfds_root()
    status, arrays = _tfds_prepared(src.tfds_name, split, root)
    if arrays is not None:
        logger.info("%s/%s: reading tfds copy prepared in %s", src.name, split, root)
        return arrays
    looked.append(f"tfds prepared copy: {root / src.tfds_name} ({status})")

    files = select([f"{src.name}/{split}"]) if src.name in {f.group for f in COURSE_FILES} else []
    if not files:
        looked.append("download: no pinned files for this dataset")
    elif network.offline():
        looked.append("download: skipped because TFGAN_OFFLINE is set")
    else:
        try:
            for file in files:
                if not (network.cache_dir() / file.path).is_file():
                    _download(file)
            return read_idx_split(cache, split)
        except DataError as err:
            looked.append(f"download into {cache}: {err}")

    raise DatasetNotFoundError(_not_found_message(src.name, split, looked, partial, files))


def _not_found_message(name, split, looked, partial, files) -> str:
    p = SPLIT_PREFIX[split]
    names = f"{p}-images-idx3-ubyte.gz and {p}-labels-idx1-ubyte.gz"
    lines = [f"Found no source for split {split!r} of dataset {name!r}."]
    for folder, found in partial:
        hint = " or ".join(f"split={s!r} (--split {s})" for s in found)
        lines.append(f"Found only split(s) {found} in {folder}; pass {hint}, or add {names} there.")
    lines.append(
        f"To provide the files, set TFGAN_DATA_DIR (or data_dir= / --data-dir) to a folder "
        f"holding {name}/{p}-images-idx3-ubyte.gz and {name}/{p}-labels-idx1-ubyte.gz, "
        "or go online and run `python -m tfgan.data fetch`. Looked in:"
    )
    lines += [f"  - {entry}" for entry in looked]
    return "\n".join(lines)


#: name -> where that IDX dataset may live; looked up at load time so tests can swap entries.
IDX_SOURCES: dict[str, IdxSources] = {}


def register_idx(info_: DatasetInfo, src: IdxSources) -> None:
    """Registers an IDX dataset found through :func:`find_idx`."""
    IDX_SOURCES[info_.name] = src

    def loader(split, data_dir=None):
        return find_idx(IDX_SOURCES[info_.name], split, data_dir)

    loader.__doc__ = f"Loads {info_.name} from IDX files (local, tfds or downloaded); see tfgan.data."
    register_dataset(info_, loader)


_MNIST_COUNTS = {"train": 60000, "test": 10000}

register_idx(
    DatasetInfo(
        name="mnist",
        image_shape=(28, 28, 1),
        num_classes=10,
        class_names=tuple(str(d) for d in range(10)),
        num_examples=_MNIST_COUNTS,
        description="MNIST handwritten digits, 28x28 grayscale (LeCun et al., 1998).",
    ),
    IdxSources("mnist", "mnist"),
)

register_idx(
    DatasetInfo(
        name="fashion_mnist",
        image_shape=(28, 28, 1),
        num_classes=10,
        class_names=(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
        ),
        num_examples=_MNIST_COUNTS,
        description="Fashion-MNIST Zalando article images, 28x28 grayscale (Xiao et al., 2017).",
    ),
    IdxSources("fashion_mnist", "fashion_mnist", system_dirs=SYSTEM_DIRS["fashion_mnist"]),
)


# --------------------------------------------------------------------------------------------
# SVHN through tensorflow-datasets (the source domain of ADDA's SVHN -> MNIST), for users online

#: Where tfds downloads ``svhn_cropped`` from (probed before a download is attempted).
SVHN_HOST = ("ufldl.stanford.edu", 80)


def svhn(split="train", data_dir=None):
    """``(images uint8 (N, 32, 32, 3), labels int64)`` of tfds ``svhn_cropped``: a prepared copy
    under ``data_dir`` (a tfds folder) or ``$TFDS_DATA_DIR``, else a download when online. Offline
    (``TFGAN_OFFLINE=1``) or when the host does not answer it fails at once, naming what to do."""
    root = Path(data_dir).expanduser() if data_dir is not None else tfds_root()
    status, arrays = _tfds_prepared("svhn_cropped", split, root)
    if arrays is not None:
        return arrays
    if network.offline():
        reason = "TFGAN_OFFLINE is set"
    else:
        reason = network.can_connect(*SVHN_HOST)
        if reason is None:
            try:
                tfds_download("svhn_cropped", root)
                status, arrays = _tfds_prepared("svhn_cropped", split, root)
                if arrays is not None:
                    return arrays
                reason = status
            except DataError as err:
                reason = str(err)
        else:
            reason = f"cannot reach {SVHN_HOST[0]}: {reason}"
    raise DatasetNotFoundError(
        f"Found no prepared tensorflow-datasets copy of svhn_cropped ({status}) in {root} and did not "
        f"download it ({reason}). Go online once (unset TFGAN_OFFLINE) so tfds can download it, or pass "
        "--data-dir with a tfds folder holding it."
    )


register_dataset(
    DatasetInfo(
        name="svhn",
        image_shape=(32, 32, 3),
        num_classes=10,
        class_names=tuple(str(d) for d in range(10)),
        num_examples={"train": 73257, "test": 26032},
        description="SVHN cropped house-number digits, 32x32 RGB (Netzer et al. 2011), through "
                    "tensorflow-datasets (downloads when online).",
    ),
    svhn,
)
