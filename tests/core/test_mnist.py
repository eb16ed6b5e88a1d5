"""MNIST sources: the bundled sample, folders, torchvision trees, Keras files, local copies."""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from convlab.core import (
    Cancelled,
    IdxError,
    MnistDataset,
    MnistFormatError,
    bundled_sample_path,
    find_local_copies,
    load_mnist,
    mnist_file_names,
    read_idx,
    write_idx,
)

NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


@pytest.fixture(scope="module")
def sample() -> MnistDataset:
    return load_mnist()


def write_folder(folder: Path, parts: dict[str, np.ndarray], *, gz: bool = False,
                 dotted: bool = False) -> Path:
    """Write the four files into ``folder`` with the chosen spelling."""
    folder.mkdir(parents=True, exist_ok=True)
    for part, name in NAMES.items():
        spellings = mnist_file_names(name)  # [plain, plain.gz, dotted, dotted.gz]
        filename = spellings[2 * dotted + gz]
        write_idx(folder / filename, parts[part])
    return folder


def parts_of(data: MnistDataset) -> dict[str, np.ndarray]:
    return {part: getattr(data, part) for part in NAMES}


def assert_same_digits(a: MnistDataset, b: MnistDataset) -> None:
    for part in NAMES:
        x, y = getattr(a, part), getattr(b, part)
        assert x.dtype == y.dtype == np.uint8
        np.testing.assert_array_equal(x, y)


# --------------------------------------------------------------------------- bundled sample

def test_bundled_sample_contents(sample):
    assert sample.train_images.shape == (1000, 28, 28)
    assert sample.test_images.shape == (1000, 28, 28)
    assert sample.train_labels.shape == sample.test_labels.shape == (1000,)
    assert sample.train_images.dtype == sample.train_labels.dtype == np.uint8
    assert sample.train_labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert sample.test_labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert sample.train_labels[2] == 4  # the notebook's example digit
    assert sample.source == "bundled sample (1,000 + 1,000 digits)"
    assert set(np.unique(sample.train_labels)) == set(range(10))


def test_training_digit_2_looks_like_mnist(sample):
    digit = sample.train_images[2]
    assert digit.min() == 0 and digit.max() == 255
    assert digit[0].sum() == digit[:, 0].sum() == 0  # empty border, as in all MNIST digits
    # Known figures of the first training digit (a 5) of MNIST.
    assert int(sample.train_images[0].sum()) == 27525
    assert int(np.count_nonzero(sample.train_images[0])) == 166


def test_bundled_sample_is_read_only(sample):
    with pytest.raises(ValueError, match="read-only"):
        sample.train_images[0, 0, 0] = 1
    with pytest.raises(ValueError, match="read-only"):
        sample.test_labels[0] = 3


def test_bundled_files_rebuild_byte_identically(sample, tmp_path):
    """What scripts/make_mnist_sample.py writes is reproducible from the arrays."""
    folder = bundled_sample_path()
    for part, name in NAMES.items():
        write_idx(tmp_path / f"{name}.gz", getattr(sample, part))
        assert (tmp_path / f"{name}.gz").read_bytes() == (folder / f"{name}.gz").read_bytes()


def test_bundled_readme_lists_the_file_hashes():
    folder = bundled_sample_path()
    listed = dict(
        (name, digest)
        for digest, name in re.findall(r"([0-9a-f]{64})\s+(\S+\.gz)",
                                       (folder / "README.md").read_text())
    )
    assert sorted(listed) == sorted(f"{n}.gz" for n in NAMES.values())
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    assert sum((folder / n).stat().st_size for n in listed) < 1_000_000


def test_split(sample):
    images, labels = sample.split("test")
    assert images is sample.test_images and labels is sample.test_labels
    assert sample.split("train")[1] is sample.train_labels
    with pytest.raises(ValueError, match="'train', 'test'"):
        sample.split("validation")


def test_progress_and_cancel():
    seen = []
    load_mnist(progress=lambda f, msg: seen.append((f, msg)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert any("train-images" in msg for _, msg in seen)
    with pytest.raises(Cancelled):
        load_mnist(cancel=lambda: True)


# --------------------------------------------------------------------------- folders

@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("dotted", [False, True])
def test_folder_in_every_spelling(sample, tmp_path, gz, dotted):
    folder = write_folder(tmp_path / "mnist", parts_of(sample), gz=gz, dotted=dotted)
    data = load_mnist(folder)
    assert_same_digits(data, sample)
    assert data.source == f"folder {folder} (1,000 + 1,000 digits)"
    # Pointing at one of the files means its folder; str paths work too.
    assert_same_digits(load_mnist(str(next(folder.iterdir()))), sample)


def test_folder_with_mixed_spellings(sample, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    write_idx(folder / "train-images.idx3-ubyte", sample.train_images)
    write_idx(folder / "train-labels-idx1-ubyte.gz", sample.train_labels)
    write_idx(folder / "t10k-images-idx3-ubyte", sample.test_images)
    write_idx(folder / "t10k-labels.idx1-ubyte.gz", sample.test_labels)
    assert_same_digits(load_mnist(folder), sample)


def test_torchvision_tree(sample, tmp_path):
    root = tmp_path / "data"
    raw = write_folder(root / "MNIST" / "raw", parts_of(sample))
    for name in NAMES.values():  # torchvision keeps the downloaded .gz next to the files
        (raw / f"{name}.gz").write_bytes(gzip.compress((raw / name).read_bytes()))
    for source in (root, root / "MNIST", raw):
        data = load_mnist(source)
        assert_same_digits(data, sample)
        assert str(raw) in data.source


def test_keras_npz(sample, tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez_compressed(path, x_train=sample.train_images, y_train=sample.train_labels,
                        x_test=sample.test_images, y_test=sample.test_labels)
    data = load_mnist(path)
    assert_same_digits(data, sample)
    assert data.source == f"Keras file {path} (1,000 + 1,000 digits)"


def test_keras_npz_with_int64_labels(sample, tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=sample.train_images, y_train=sample.train_labels.astype(np.int64),
             x_test=sample.test_images, y_test=sample.test_labels.astype(np.int64))
    assert_same_digits(load_mnist(path), sample)


def test_missing_files_are_listed(sample, tmp_path):
    folder = write_folder(tmp_path / "partial", parts_of(sample))
    (folder / "t10k-labels-idx1-ubyte").unlink()
    (folder / "train-images-idx3-ubyte").unlink()
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(folder)
    message = str(info.value)
    assert "train-images-idx3-ubyte" in message and "t10k-labels-idx1-ubyte" in message
    assert "train-labels" not in message and "t10k-images" not in message
    assert str(folder) in message


def test_nonexistent_source(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_mnist(tmp_path / "nowhere")


# --------------------------------------------------------------------------- bad MNIST data

def _bad_parts(sample, kind: str) -> tuple[dict[str, np.ndarray], str, str]:
    """Sample parts with one defect; returns (parts, file that is wrong, message fragment)."""
    parts = {k: np.array(v) for k, v in parts_of(sample).items()}
    if kind == "label-over-9":
        parts["train_labels"][7] = 12
        return parts, "train-labels", "label #7 is 12"
    if kind == "count-mismatch":
        parts["test_labels"] = parts["test_labels"][:999]
        return parts, "t10k-images", "1,000 images but t10k-labels-idx1-ubyte has 999"
    if kind == "image-size":
        parts["train_images"] = np.zeros((10, 32, 32), np.uint8)
        return parts, "train-images", "(10, 32, 32)"
    if kind == "image-dtype":
        parts["test_images"] = parts["test_images"].astype(np.int16)
        return parts, "t10k-images", "int16"
    if kind == "labels-2d":
        parts["train_labels"] = parts["train_labels"].reshape(100, 10)
        return parts, "train-labels", "(100, 10)"
    if kind == "float-labels":
        parts["test_labels"] = parts["test_labels"].astype(np.float32)
        return parts, "t10k-labels", "float32"
    raise AssertionError(kind)


BAD_KINDS = ["label-over-9", "count-mismatch", "image-size", "image-dtype", "labels-2d",
             "float-labels"]


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_mnist_folder(sample, tmp_path, kind):
    parts, bad_file, fragment = _bad_parts(sample, kind)
    folder = write_folder(tmp_path / kind, parts)
    with pytest.raises(MnistFormatError) as info:
        load_mnist(folder)
    assert isinstance(info.value, IdxError)
    assert str(folder / bad_file) in str(info.value)
    assert fragment in str(info.value)


@pytest.mark.parametrize("kind", ["label-over-9", "image-size", "image-dtype", "labels-2d",
                                  "float-labels"])
def test_bad_mnist_npz(sample, tmp_path, kind):
    parts, _, fragment = _bad_parts(sample, kind)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=parts["train_images"], y_train=parts["train_labels"],
             x_test=parts["test_images"], y_test=parts["test_labels"])
    with pytest.raises(MnistFormatError, match=re.escape(fragment)) as info:
        load_mnist(path)
    assert str(path) in str(info.value)


def test_negative_npz_label(sample, tmp_path):
    path = tmp_path / "mnist.npz"
    labels = sample.train_labels.astype(np.int64)
    labels[3] = -1
    np.savez(path, x_train=sample.train_images, y_train=labels, x_test=sample.test_images,
             y_test=sample.test_labels)
    with pytest.raises(MnistFormatError, match="label #3 is -1"):
        load_mnist(path)


def test_corrupt_file_in_folder_names_it(sample, tmp_path):
    folder = write_folder(tmp_path / "corrupt", parts_of(sample), gz=True)
    victim = folder / "t10k-images-idx3-ubyte.gz"
    victim.write_bytes(victim.read_bytes()[:5000])
    with pytest.raises(IdxError, match="gzip") as info:
        load_mnist(folder)
    assert str(victim) in str(info.value)


def _npz_with_member(path: Path, key: str, member: bytes, sample) -> None:
    """A Keras-like npz whose ``key`` entry is replaced by raw ``member`` bytes."""
    arrays = {"x_train": sample.train_images, "y_train": sample.train_labels,
              "x_test": sample.test_images, "y_test": sample.test_labels}
    with zipfile.ZipFile(path, "w") as zf:
        for name, array in arrays.items():
            if name == key:
                zf.writestr(f"{name}.npy", member)
            else:
                buffer = io.BytesIO()
                np.save(buffer, array)
                zf.writestr(f"{name}.npy", buffer.getvalue())


def _npy_header(descr: str, shape: tuple) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("member", "fragment"),
    [
        (_npy_header("|u1", (60000, 28, 28)) + bytes(100), "declares 47,040,000 bytes"),
        (_npy_header("|u1", (2**40, 28, 28)) + bytes(100), "declares"),
        (_npy_header("|O", (3,)) + bytes(24), "Python objects"),
        (b"not a numpy file at all", "not a readable .npz"),
    ],
)
def test_hostile_npz_members(sample, tmp_path, member, fragment):
    path = tmp_path / "mnist.npz"
    _npz_with_member(path, "x_train", member, sample)
    with pytest.raises(MnistFormatError, match=re.escape(fragment)):
        load_mnist(path)


def test_pickled_npz_is_refused(tmp_path):
    path = tmp_path / "mnist.npz"
    objects = np.array([{"a": 1}, None], dtype=object)
    np.savez(path, x_train=objects, y_train=objects, x_test=objects, y_test=objects)
    with pytest.raises(MnistFormatError, match="Python objects"):
        load_mnist(path)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"PK\x03\x04 broken zip", "not a readable .npz"),
     (b"", "not a readable .npz")],
)
def test_not_a_zip(tmp_path, content, fragment):
    path = tmp_path / "mnist.npz"
    path.write_bytes(content)
    with pytest.raises(MnistFormatError, match=fragment):
        load_mnist(path)


def test_npz_missing_keys(sample, tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=sample.train_images, y_train=sample.train_labels)
    with pytest.raises(MnistFormatError, match="lacks x_test, y_test"):
        load_mnist(path)


def test_dataset_checks_its_arrays(sample):
    with pytest.raises(MnistFormatError, match="counts must agree"):
        MnistDataset(sample.train_images, sample.train_labels[:5], sample.test_images,
                     sample.test_labels, "test")
    with pytest.raises(MnistFormatError, match="uint8"):
        MnistDataset(sample.train_images, sample.train_labels.astype(np.int32),
                     sample.test_images, sample.test_labels, "test")


# --------------------------------------------------------------------------- local copies

def test_find_local_copies(sample, tmp_path):
    home, cwd, cache = tmp_path / "home", tmp_path / "work", tmp_path / "cache"
    keras = home / ".keras" / "datasets" / "mnist.npz"
    keras.parent.mkdir(parents=True)
    np.savez(keras, x_train=sample.train_images, y_train=sample.train_labels,
             x_test=sample.test_images, y_test=sample.test_labels)
    tv_home = write_folder(home / "data" / "MNIST" / "raw", parts_of(sample))
    tv_cwd = write_folder(cwd / "data" / "MNIST" / "raw", parts_of(sample), gz=True)
    own = write_folder(cache / "mnist", parts_of(sample))
    incomplete = write_folder(home / "datasets" / "MNIST" / "raw", parts_of(sample))
    (incomplete / "t10k-labels-idx1-ubyte").unlink()

    found = find_local_copies(home, cwd=cwd, cache_dir=cache)
    assert [(c.kind, c.path) for c in found] == [
        ("convlab", own), ("keras", keras), ("torchvision", tv_home), ("torchvision", tv_cwd),
    ]
    assert all(str(c.path) in c.description for c in found)
    for candidate in found:  # each one loads
        assert_same_digits(load_mnist(candidate.path), sample)


def test_find_local_copies_empty(tmp_path):
    assert find_local_copies(tmp_path / "h", cwd=tmp_path / "c", cache_dir=tmp_path / "x") == []


def test_find_local_copies_same_folder_once(sample, tmp_path):
    write_folder(tmp_path / "data" / "MNIST" / "raw", parts_of(sample))
    found = find_local_copies(tmp_path, cwd=tmp_path, cache_dir=tmp_path / "cache")
    assert len(found) == 1


def test_sample_arrays_match_idx_files(sample):
    folder = bundled_sample_path()
    for part, name in NAMES.items():
        np.testing.assert_array_equal(read_idx(folder / f"{name}.gz"), getattr(sample, part))


def test_dataset_leaves_the_callers_arrays_writable(sample):
    images = np.array(sample.train_images)
    data = MnistDataset(images, np.array(sample.train_labels), sample.test_images,
                        sample.test_labels, "copy")
    images[0, 0, 0] = 7  # still the caller's to change
    assert not data.train_images.flags.writeable
    assert np.shares_memory(data.train_images, images)


def test_other_file_is_not_a_source(sample, tmp_path):
    write_folder(tmp_path, parts_of(sample))
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(MnistFormatError, match="not an MNIST source") as info:
        load_mnist(other)
    assert str(other) in str(info.value)


def test_sample_script_refuses_files_with_wrong_hashes(sample, tmp_path):
    import importlib.util

    script = Path(__file__).resolve().parents[2] / "scripts" / "make_mnist_sample.py"
    spec = importlib.util.spec_from_file_location("make_mnist_sample", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fake = write_folder(tmp_path / "fake", parts_of(sample), gz=True)
    out = tmp_path / "out"
    with pytest.raises(SystemExit, match="does not match the published"):
        module.main([str(fake), "--out", str(out)])
    assert files_in_or_empty(out) == []


def files_in_or_empty(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []
