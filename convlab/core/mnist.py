"""Where MNIST digits come from: the bundled sample, a folder, copies people have, a download.

All sources go through one call, :func:`load_mnist`, and give an
:class:`MnistDataset` of ``uint8`` digits ``(N, 28, 28)`` with ``uint8``
labels ``(N,)``:

* ``load_mnist()`` — the sample bundled with ConvLab (the first 1,000 training
  and the first 1,000 test digits), so the lab works offline.
* ``load_mnist(folder)`` — a folder with the four standard files
  (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
  ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``), gzipped or not,
  also spelled ``train-images.idx3-ubyte`` as some mirrors do; a torchvision
  ``MNIST/raw`` folder is such a folder, and its root works too.
* ``load_mnist("mnist.npz")`` — the Keras cache file.

:func:`find_local_copies` lists copies already on this computer and
:func:`download_mnist` (from :mod:`convlab.core.download`, re-exported here)
fetches the full set into the per-user cache.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._progress import CancelCallback, ProgressCallback, check_cancel, report
from .download import DEFAULT_MIRRORS, MNIST_FILES, DownloadError, ExpectedFile, download_mnist
from .idx import IDX_MAX_BYTES, IdxError, read_idx
from .validation import check_choice

__all__ = [
    "DEFAULT_MIRRORS",
    "MNIST_FILES",
    "DownloadError",
    "ExpectedFile",
    "MnistCandidate",
    "MnistDataset",
    "MnistFormatError",
    "bundled_sample_path",
    "download_mnist",
    "find_local_copies",
    "load_mnist",
    "mnist_file_names",
]

IMAGE_SHAPE = (28, 28)

#: The four standard file names, by part of the data set.
_PARTS = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
#: Keras ``mnist.npz`` key for each part.
_NPZ_KEYS = {
    "train_images": "x_train",
    "train_labels": "y_train",
    "test_images": "x_test",
    "test_labels": "y_test",
}


class MnistFormatError(IdxError):
    """Files that are valid containers but not MNIST data (wrong shape, labels > 9, counts)."""


def mnist_file_names(name: str) -> list[str]:
    """The file names under which a standard MNIST file may be stored, in order of preference.

    >>> mnist_file_names("t10k-labels-idx1-ubyte")
    ['t10k-labels-idx1-ubyte', 't10k-labels-idx1-ubyte.gz', 't10k-labels.idx1-ubyte', \
't10k-labels.idx1-ubyte.gz']
    """
    stem, _, suffix = name.rpartition("-idx")
    dotted = f"{stem}.idx{suffix}"
    return [name, f"{name}.gz", dotted, f"{dotted}.gz"]


def _check_images(images: np.ndarray, where: str) -> None:
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise MnistFormatError(where, f"expected MNIST images, an (N, 28, 28) uint8 array; "
                                      f"found a {images.dtype} array of shape {images.shape}")


def _as_labels(labels: np.ndarray, where: str) -> np.ndarray:
    """Check that ``labels`` are (N,) integer digits 0–9 and return them as uint8."""
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise MnistFormatError(where, f"expected MNIST labels, an (N,) array of whole numbers; "
                                      f"found a {labels.dtype} array of shape {labels.shape}")
    outside = (labels < 0) | (labels > 9)
    if outside.any():
        bad = int(np.argmax(outside))
        raise MnistFormatError(where, f"labels must be digits 0 to 9; label #{bad} is "
                                      f"{int(labels[bad])}")
    return labels.astype(np.uint8, copy=False)


def _check_counts(images: np.ndarray, labels: np.ndarray, images_where: str,
                  labels_where: str) -> None:
    if len(images) != len(labels):
        raise MnistFormatError(images_where, f"{len(images):,} images but {labels_where} has "
                                             f"{len(labels):,} labels; the counts must agree")


@dataclass(frozen=True, eq=False)
class MnistDataset:
    """MNIST digits and labels from one source.

    Attributes
    ----------
    train_images : numpy.ndarray
        ``(N, 28, 28)`` uint8, 0 = background, 255 = ink.  Read-only.
    train_labels : numpy.ndarray
        ``(N,)`` uint8 digits 0–9.  Read-only.
    test_images : numpy.ndarray
        ``(M, 28, 28)`` uint8.  Read-only.
    test_labels : numpy.ndarray
        ``(M,)`` uint8.  Read-only.
    source : str
        Human-readable description, e.g. ``"bundled sample (1,000 + 1,000 digits)"``.

    Raises
    ------
    MnistFormatError
        On construction, if shapes, dtypes, labels or counts are not MNIST's.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str

    def __post_init__(self) -> None:
        for name in ("train_images", "train_labels", "test_images", "test_labels"):
            # A read-only view: the caller's own array stays writable.
            view = np.asarray(getattr(self, name)).view()
            view.flags.writeable = False
            object.__setattr__(self, name, view)
        for split in ("train", "test"):
            images, labels = self.split(split)
            _check_images(images, f"{split}_images")
            if labels.dtype != np.uint8:
                raise MnistFormatError(f"{split}_labels",
                                       f"labels must be uint8, got {labels.dtype}")
            _as_labels(labels, f"{split}_labels")
            _check_counts(images, labels, f"{split}_images", f"{split}_labels")

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(images, labels)`` of the ``"train"`` or ``"test"`` split."""
        check_choice(name, "split", ("train", "test"))
        if name == "train":
            return self.train_images, self.train_labels
        return self.test_images, self.test_labels


@dataclass(frozen=True)
class MnistCandidate:
    """A copy of MNIST found on this computer (see :func:`find_local_copies`).

    ``path`` is what to pass to :func:`load_mnist`; ``kind`` is ``"keras"``,
    ``"torchvision"`` or ``"convlab"``; ``description`` is a sentence for the user.
    """

    path: Path
    kind: str
    description: str


def bundled_sample_path() -> Path:
    """Folder of the bundled sample (the first 1,000 training and 1,000 test digits).

    The sample is the core's own package data (``convlab/core/data/mnist``), found
    next to this module from a checkout, an installed wheel or a frozen app.

    Raises
    ------
    FileNotFoundError
        If the sample is missing (a broken install), naming the folder looked at.
    """
    folder = Path(__file__).resolve().parent / "data" / "mnist"
    if not folder.is_dir():
        raise FileNotFoundError(
            f"the bundled MNIST sample is missing: {folder} (is the installation complete?)"
        )
    return folder


def _find_file(folder: Path, name: str) -> Path | None:
    for candidate in mnist_file_names(name):
        path = folder / candidate
        if path.is_file():
            return path
    return None


def _has_all_files(folder: Path) -> bool:
    return all(_find_file(folder, name) is not None for name in _PARTS.values())


def _resolve_folder(folder: Path) -> Path:
    """The folder itself or its ``raw`` / ``MNIST/raw`` subfolder (torchvision) with the files."""
    for candidate in (folder, folder / "raw", folder / "MNIST" / "raw"):
        if candidate.is_dir() and _has_all_files(candidate):
            return candidate
    missing = [name for name in _PARTS.values() if _find_file(folder, name) is None]
    raise FileNotFoundError(
        f"{folder}: MNIST files missing: {', '.join(missing)} (looked for each with and "
        "without .gz, also spelled like 'train-images.idx3-ubyte', in this folder and in "
        "raw/ and MNIST/raw/ under it)"
    )


def _as_part(part: str, array: np.ndarray, where: str) -> np.ndarray:
    """Check one loaded part (images or labels) and return it in MNIST's dtype."""
    if part.endswith("images"):
        _check_images(array, where)
        return array
    return _as_labels(array, where)


def _count_text(parts: dict[str, np.ndarray]) -> str:
    return f"{len(parts['train_images']):,} + {len(parts['test_images']):,} digits"


def _load_folder(folder: Path, max_bytes: int, progress: ProgressCallback | None,
                 cancel: CancelCallback | None) -> dict[str, np.ndarray]:
    files = {part: _find_file(folder, name) for part, name in _PARTS.items()}
    sizes = {part: path.stat().st_size for part, path in files.items()}
    total, done = sum(sizes.values()) or 1, 0
    parts: dict[str, np.ndarray] = {}
    for part, path in files.items():
        check_cancel(cancel)
        report(progress, done / total, f"reading {path.name}")
        parts[part] = _as_part(part, read_idx(path, max_bytes=max_bytes), str(path))
        done += sizes[part]
    for split in ("train", "test"):
        _check_counts(parts[f"{split}_images"], parts[f"{split}_labels"],
                      str(files[f"{split}_images"]), files[f"{split}_labels"].name)
    report(progress, 1.0, "MNIST loaded")
    return parts


_NPY_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def _npz_header(npz: zipfile.ZipFile, key: str, where: str, max_bytes: int) -> None:
    """Check one array's .npy header inside a .npz without allocating anything."""
    info = npz.getinfo(f"{key}.npy")
    if info.file_size > max_bytes:
        raise MnistFormatError(where, f"{key} holds {info.file_size:,} bytes, more than the "
                                      f"limit of {max_bytes:,}")
    with npz.open(info) as member:
        version = np.lib.format.read_magic(member)
        read_header = _NPY_HEADER_READERS.get(version)
        if read_header is None:
            raise MnistFormatError(where, f"{key} uses .npy format version {version}, "
                                          "expected 1.0 or 2.0")
        shape, _fortran_order, dtype = read_header(member)
        header_size = member.tell()
    if dtype.hasobject:
        raise MnistFormatError(where, f"{key} holds Python objects, not numbers; refusing to "
                                      "load it")
    nbytes = dtype.itemsize * int(np.prod(shape, dtype=object))
    if header_size + nbytes != info.file_size:
        raise MnistFormatError(where, f"{key} declares {nbytes:,} bytes of data but stores "
                                      f"{info.file_size - header_size:,}")


def _load_npz(path: Path, max_bytes: int, progress: ProgressCallback | None,
              cancel: CancelCallback | None) -> dict[str, np.ndarray]:
    try:
        with zipfile.ZipFile(path) as npz:
            names = set(npz.namelist())
            missing = [k for k in _NPZ_KEYS.values() if f"{k}.npy" not in names]
            if missing:
                found = ", ".join(sorted(n.removesuffix(".npy") for n in names)) or "nothing"
                raise MnistFormatError(path, f"not a Keras MNIST file: it lacks "
                                             f"{', '.join(missing)} (found {found})")
            for key in _NPZ_KEYS.values():
                _npz_header(npz, key, str(path), max_bytes)
        parts: dict[str, np.ndarray] = {}
        with np.load(path, allow_pickle=False) as arrays:
            for i, (part, key) in enumerate(_NPZ_KEYS.items()):
                check_cancel(cancel)
                report(progress, i / 4, f"reading {key} from {path.name}")
                parts[part] = _as_part(part, arrays[key], f"{path}[{key}]")
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise MnistFormatError(path, f"not a readable .npz file ({exc})") from exc
    except ValueError as exc:
        if isinstance(exc, IdxError):
            raise
        raise MnistFormatError(path, f"not a readable .npz file ({exc})") from exc
    for split in ("train", "test"):
        _check_counts(parts[f"{split}_images"], parts[f"{split}_labels"],
                      f"{path}[x_{split}]", f"y_{split}")
    report(progress, 1.0, "MNIST loaded")
    return parts


def load_mnist(
    source: str | os.PathLike | None = None,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
    max_bytes: int = IDX_MAX_BYTES,
) -> MnistDataset:
    """Load MNIST digits from the bundled sample, a folder, or a Keras ``.npz``.

    Parameters
    ----------
    source : str, path-like or None
        ``None``: the bundled sample (1,000 training + 1,000 test digits).
        A folder: the four standard IDX files, gzipped or not, either name
        spelling; a torchvision root or its ``MNIST/raw`` folder works too.
        One of the four files: its folder.  A ``.npz`` file: the Keras cache
        layout (``x_train``, ``y_train``, ``x_test``, ``y_test``).
    progress, cancel : callable, optional
        The core's progress and cancellation callbacks (see ``_progress``).
    max_bytes : int, optional
        Largest size one file may declare (see :func:`read_idx`).

    Returns
    -------
    MnistDataset
        Images ``(N, 28, 28)`` uint8 and labels ``(N,)`` uint8 for both splits.

    Raises
    ------
    IdxError
        (or its subclass :class:`MnistFormatError`) if a file is corrupt or not
        MNIST data; the message names the file and the problem.
    FileNotFoundError
        If ``source`` does not exist or a folder lacks some of the files (the
        message lists which).
    Cancelled
        If ``cancel()`` returned True.

    Examples
    --------
    >>> data = load_mnist()
    >>> data.train_images.shape, data.train_labels[:10].tolist()
    ((1000, 28, 28), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
    """
    if source is None:
        folder = bundled_sample_path()
        parts = _load_folder(folder, max_bytes, progress, cancel)
        return MnistDataset(**parts, source=f"bundled sample ({_count_text(parts)})")
    path = Path(source).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.is_file() and path.suffix.lower() == ".npz":
        parts = _load_npz(path, max_bytes, progress, cancel)
        return MnistDataset(**parts, source=f"Keras file {path} ({_count_text(parts)})")
    if path.is_file():
        if not any(path.name in mnist_file_names(name) for name in _PARTS.values()):
            raise MnistFormatError(path, "not an MNIST source: choose a folder with the four "
                                         "MNIST files, one of those files, or a Keras .npz")
        path = path.parent
    folder = _resolve_folder(path)
    parts = _load_folder(folder, max_bytes, progress, cancel)
    return MnistDataset(**parts, source=f"folder {folder} ({_count_text(parts)})")


def find_local_copies(
    home: Path | None = None,
    *,
    cwd: Path | None = None,
    cache_dir: Path | None = None,
) -> list[MnistCandidate]:
    """List copies of MNIST already on this computer, best first.

    Looks for the Keras cache ``~/.keras/datasets/mnist.npz``, torchvision
    trees (``MNIST/raw`` under ``~/data``, ``~/datasets``, ``./data``, ``.``)
    and ConvLab's own download (``<user cache>/mnist``).  A folder counts only
    if all four files are present; nothing is read or validated here.

    Parameters
    ----------
    home : Path, optional
        Home folder to search (default: the user's home).
    cwd : Path, optional
        Working folder for the ``./data`` locations (default: the current one).
    cache_dir : Path, optional
        ConvLab's cache folder, whose ``mnist`` subfolder holds its own
        download (the app passes its per-user cache; default: not searched).

    Returns
    -------
    list of MnistCandidate
        Each with the ``path`` to give :func:`load_mnist` and a description.
    """
    home = Path.home() if home is None else Path(home)
    cwd = Path.cwd() if cwd is None else Path(cwd)
    found: list[MnistCandidate] = []
    seen: set[Path] = set()

    def add(path: Path, kind: str, description: str) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            found.append(MnistCandidate(path, kind, description))

    own = Path(cache_dir) / "mnist" if cache_dir is not None else None
    if own is not None and own.is_dir() and _has_all_files(own):
        add(own, "convlab", f"ConvLab's full download in {own}")
    keras = home / ".keras" / "datasets" / "mnist.npz"
    if keras.is_file():
        add(keras, "keras", f"Keras cache file {keras}")
    for root in (home / "data", home / "datasets", cwd / "data", cwd):
        raw = root / "MNIST" / "raw"
        if raw.is_dir() and _has_all_files(raw):
            add(raw, "torchvision", f"torchvision download in {raw}")
    return found
