"""IDX reading and writing: exact bytes, every dtype, the malformed-file corpus, fuzzing."""

from __future__ import annotations

import gzip
import importlib.util
import struct
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import convlab.core.idx as idx_module
from convlab.core import IDX_DTYPES, IdxError, read_idx, write_idx

CORPUS = Path(__file__).resolve().parent / "idx_corpus"


def _load_corpus_module():
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus_module()

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


# --------------------------------------------------------------------------- exact bytes

def test_write_idx_bytes_by_hand(tmp_path):
    path = tmp_path / "a.idx"
    write_idx(path, np.array([[1, 2], [3, 4]], dtype=np.uint8))
    assert path.read_bytes() == bytes.fromhex("00000802 00000002 00000002 01020304")


@pytest.mark.parametrize(
    ("dtype", "code", "value", "encoded"),
    [
        (np.uint8, 0x08, 200, "c8"),
        (np.int8, 0x09, -2, "fe"),
        (np.int16, 0x0B, 258, "0102"),
        (np.int16, 0x0B, -2, "fffe"),
        (np.int32, 0x0C, 16909060, "01020304"),
        (np.float32, 0x0D, 1.0, "3f800000"),
        (np.float64, 0x0E, -2.0, "c000000000000000"),
    ],
)
def test_every_type_code_is_big_endian(tmp_path, dtype, code, value, encoded):
    path = tmp_path / "one.idx"
    write_idx(path, np.array([value], dtype=dtype))
    assert path.read_bytes() == bytes([0, 0, code, 1]) + struct.pack(">I", 1) + bytes.fromhex(
        encoded
    )
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    assert back.tolist() == [value]


def test_read_hand_built_file(tmp_path):
    path = tmp_path / "h.idx"
    path.write_bytes(bytes([0, 0, 0x0B, 2]) + struct.pack(">II", 2, 3)
                     + struct.pack(">6h", 1, -1, 300, 0, 7, -300))
    np.testing.assert_array_equal(read_idx(path), [[1, -1, 300], [0, 7, -300]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("suffix", [".idx", ".idx.gz"])
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 5), (0, 28, 28), (1, 1, 1, 2)])
def test_round_trip(tmp_path, dtype, suffix, shape):
    rng = np.random.default_rng(0)
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    if info is not None:
        array = rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
    else:
        array = (rng.standard_normal(shape) * 1e3).astype(dtype)
    path = tmp_path / f"x{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable


def test_non_native_input_is_stored_big_endian(tmp_path):
    little, big = tmp_path / "l.idx", tmp_path / "b.idx"
    values = np.array([1, -2, 70000], dtype="<i4")
    write_idx(little, values)
    write_idx(big, values.astype(">i4"))
    assert little.read_bytes() == big.read_bytes()


def test_gzip_detected_by_content_not_name(tmp_path):
    raw = tmp_path / "labels.idx"
    write_idx(raw, np.arange(10, dtype=np.uint8))
    misnamed = tmp_path / "labels-not-gz.idx"
    misnamed.write_bytes(gzip.compress(raw.read_bytes()))
    plain_gz = tmp_path / "labels-plain.gz"
    plain_gz.write_bytes(raw.read_bytes())
    np.testing.assert_array_equal(read_idx(misnamed), np.arange(10))
    np.testing.assert_array_equal(read_idx(plain_gz), np.arange(10))


def test_gzip_output_is_deterministic(tmp_path):
    array = np.arange(1000, dtype=np.uint8).reshape(10, 100)
    write_idx(tmp_path / "a.idx.gz", array)
    time.sleep(1.1)  # a timestamp in the gzip header would now differ
    write_idx(tmp_path / "b.idx.gz", array)
    data = (tmp_path / "a.idx.gz").read_bytes()
    assert data == (tmp_path / "b.idx.gz").read_bytes()
    assert data[4:8] == b"\x00\x00\x00\x00"  # gzip MTIME field
    assert gzip.decompress(data)[:4] == bytes([0, 0, 0x08, 2])


@pytest.mark.parametrize(
    ("array", "problem"),
    [
        (np.array([True, False]), "bool"),
        (np.array([1, 2], dtype=np.int64), "int64"),
        (np.array([1, 2], dtype=np.uint16), "uint16"),
        (np.array([1.0], dtype=np.float16), "float16"),
        (np.array([1 + 2j]), "complex"),
        (np.array(3, dtype=np.uint8), "dimensions"),
    ],
)
def test_write_rejects_what_idx_cannot_store(tmp_path, array, problem):
    with pytest.raises(ValueError, match=problem):
        write_idx(tmp_path / "x.idx", array)
    assert list(tmp_path.iterdir()) == []  # no file, no temporary left behind


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "x.idx"
    write_idx(path, np.arange(3, dtype=np.uint8))
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(idx_module.os, "fsync", broken)
    with pytest.raises(OSError, match="disk full"):
        write_idx(path, np.arange(5, dtype=np.uint8))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.idx"]


# --------------------------------------------------------------------------- the corpus

def _corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.suffix != ".py" and p.name != "__pycache__")


def test_corpus_files_match_their_generator():
    assert sorted(p.name for p in _corpus_files()) == sorted(corpus.CASES)
    for name, (data, _) in corpus.CASES.items():
        assert (CORPUS / name).read_bytes() == data, f"{name} differs: rerun make_corpus.py"


@pytest.mark.parametrize("name", sorted(corpus.CASES))
def test_corpus_file_raises_idx_error_naming_file_and_problem(name):
    path = CORPUS / name
    with pytest.raises(IdxError) as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message
    assert corpus.CASES[name][1] in message
    assert info.value.path == str(path)
    assert isinstance(info.value, ValueError)


def test_huge_declared_size_is_refused_before_allocating():
    tracemalloc.start()
    try:
        for name in ("huge-dims.idx", "huge-dims.idx.gz", "huge-dims-doubles.idx"):
            with pytest.raises(IdxError, match="limit"):
                read_idx(CORPUS / name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


def test_decompression_bomb_costs_no_memory():
    tracemalloc.start()
    try:
        with pytest.raises(IdxError, match="extra bytes"):
            read_idx(CORPUS / "bomb.idx.gz")  # 16 KB that inflate to 16 MiB
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


def test_lying_gzip_header_allocates_only_what_is_there(tmp_path):
    # Declares 200 MB (under the limit) but holds 10 bytes of data.
    path = tmp_path / "liar.idx.gz"
    path.write_bytes(gzip.compress(corpus.header(0x08, 200_000_000) + bytes(10)))
    tracemalloc.start()
    try:
        with pytest.raises(IdxError, match="truncated"):
            read_idx(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000


@pytest.mark.parametrize("limit", [99, 100])
def test_max_bytes_is_the_limit(tmp_path, limit):
    path = tmp_path / "x.idx"
    write_idx(path, np.zeros(100, dtype=np.uint8))
    if limit >= 100:
        assert read_idx(path, max_bytes=limit).shape == (100,)
    else:
        with pytest.raises(IdxError, match="limit of 99 bytes"):
            read_idx(path, max_bytes=limit)


# Issue 20: a zero dimension makes the declared size 0 bytes, so only the
# shape can tell that no real data set looks like this (numpy refuses it).
ZERO_AND_HUGE = b"\x00\x00\x08\x04\x00\x00\x00\x00\x87\x00\x00\x00\x00\x00\x00\x00\xf3\x00\x00\x00"


def test_empty_data_set_with_absurd_dimensions_is_refused(tmp_path):
    path = tmp_path / "zero-and-huge.idx"
    path.write_bytes(ZERO_AND_HUGE)
    with pytest.raises(IdxError) as info:
        read_idx(path)
    assert info.value.problem == (
        "the header declares an empty 0 × 2,264,924,160 × 0 × 4,076,863,488 array of 1-byte "
        "elements whose non-zero dimensions alone would take 9,233,786,610,993,070,080 bytes, "
        f"more than the limit of {256 * 2**20:,} bytes (a corrupt or hostile file?)")
    assert 2264924160 * 4076863488 == 9_233_786_610_993_070_080
    path.write_bytes(gzip.compress(ZERO_AND_HUGE))
    with pytest.raises(IdxError, match="empty 0 × 2,264,924,160"):
        read_idx(path)


@pytest.mark.parametrize(
    ("code", "shape", "limit", "ok"),
    [
        (0x08, (0, 28, 28), 784, True),  # an empty image set: legal
        (0x08, (0, 28, 28), 783, False),  # … but one image would exceed the limit
        (0x0E, (0, 10), 80, True),  # itemsize counts: 10 doubles = 80 bytes
        (0x0E, (0, 10), 79, False),
        (0x08, (0,), 1, True),
        (0x08, (0, 0, 0), 1, True),
        (0x0B, (3, 0, 5), 30, True),  # a zero in the middle: 3 × 5 int16 = 30 bytes
        (0x0B, (3, 0, 5), 29, False),
        (0x08, (2**32 - 1, 0), 2**32 - 1, True),  # the largest IDX dimension, at the limit
        (0x08, (2**32 - 1, 0), 2**32 - 2, False),
    ],
)
def test_zero_dimensions_mean_an_empty_data_set(tmp_path, code, shape, limit, ok):
    path = tmp_path / "empty.idx"
    path.write_bytes(corpus.header(code, *shape))
    if ok:
        array = read_idx(path, max_bytes=limit)
        assert array.shape == shape and array.size == 0
        assert array.dtype == IDX_DTYPES[code].newbyteorder("=")
    else:
        with pytest.raises(IdxError, match=f"empty .* limit of {limit:,} bytes"):
            read_idx(path, max_bytes=limit)


def test_a_limit_beyond_numpy_still_refuses_what_numpy_cannot_build(tmp_path):
    path = tmp_path / "zero-and-huge.idx"
    path.write_bytes(ZERO_AND_HUGE)
    with pytest.raises(IdxError, match=f"limit of {sys.maxsize:,} bytes"):
        read_idx(path, max_bytes=2**100)


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope.idx")


def test_type_table_covers_the_idx_spec():
    assert {code: str(dt) for code, dt in IDX_DTYPES.items()} == {
        0x08: "uint8", 0x09: "int8", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8",
    }


# --------------------------------------------------------------------------- fuzzing

def _check_reader_on(path: Path, data: bytes) -> None:
    """``read_idx`` either raises IdxError or returns exactly what the bytes encode."""
    path.write_bytes(data)
    try:
        array = read_idx(path, max_bytes=2**20)
    except IdxError as exc:
        assert str(path) in str(exc)
        return
    raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    code, ndim = raw[2], raw[3]
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    assert raw[:2] == b"\x00\x00"
    assert array.shape == shape
    assert array.dtype == IDX_DTYPES[code].newbyteorder("=")
    # The array re-encodes to exactly the bytes read: nothing lost, nothing invented.
    assert array.astype(IDX_DTYPES[code]).tobytes() == raw[4 + 4 * ndim :]


@st.composite
def valid_files(draw) -> bytes:
    code = draw(st.sampled_from(sorted(IDX_DTYPES)))
    shape = draw(st.lists(st.integers(0, 4), min_size=1, max_size=4))
    n = int(np.prod(shape)) * IDX_DTYPES[code].itemsize
    return corpus.header(code, *shape) + draw(st.binary(min_size=n, max_size=n))


@st.composite
def mutated_files(draw) -> bytes:
    data = draw(valid_files())
    if draw(st.booleans()):
        data = corpus.gz(data)
    edits = draw(st.lists(st.tuples(st.sampled_from(["flip", "cut", "append", "insert"]),
                                    st.integers(0, 10_000), st.binary(min_size=1, max_size=8)),
                          max_size=3))
    for kind, where, extra in edits:
        i = where % (len(data) + 1)
        if kind == "flip" and data:
            i %= len(data)
            data = data[:i] + bytes([data[i] ^ extra[0]]) + data[i + 1 :]
        elif kind == "cut":
            data = data[:i]
        elif kind == "append":
            data = data + extra
        else:
            data = data[:i] + extra + data[i:]
    return data


# max(…, profile): the "fuzz" profile (tests/conftest.py) runs these longer.
FUZZ = settings(max_examples=max(300, settings().max_examples), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(data=st.binary(max_size=200))
def test_fuzz_random_bytes(tmp_path, data):
    _check_reader_on(tmp_path / "fuzz.idx", data)


@FUZZ
@given(data=st.binary(max_size=200))
def test_fuzz_random_bytes_behind_a_gzip_magic(tmp_path, data):
    _check_reader_on(tmp_path / "fuzz.idx.gz", b"\x1f\x8b" + data)


@FUZZ
@given(data=st.binary(max_size=200).map(corpus.gz))
def test_fuzz_gzip_of_random_bytes(tmp_path, data):
    _check_reader_on(tmp_path / "fuzz.idx.gz", data)


@FUZZ
@given(data=mutated_files())
@example(data=ZERO_AND_HUGE)  # issue 20: numpy's ValueError escaped for this header
def test_fuzz_mutated_valid_files(tmp_path, data):
    _check_reader_on(tmp_path / "fuzz.idx", data)


@st.composite
def extreme_headers(draw) -> bytes:
    """Headers mixing zero, small and huge dimensions (issue 20's class), a short body."""
    code = draw(st.sampled_from(sorted(IDX_DTYPES)))
    dims = draw(st.lists(st.one_of(st.just(0), st.integers(1, 4),
                                   st.integers(2**16, 2**32 - 1)), min_size=1, max_size=6))
    return corpus.header(code, *dims) + draw(st.binary(max_size=64))


@FUZZ
@given(data=extreme_headers())
@example(data=ZERO_AND_HUGE)
# Found by this strategy in its first run against the reader before the fix of issue 20.
@example(data=b"\x00\x00\x08\x04\x00\x00\x00\x00\x00\x01\x00\x00\x00\xb4\xfa\x96\x00\xb5\x0fQ")
def test_fuzz_headers_with_extreme_dimensions(tmp_path, data):
    _check_reader_on(tmp_path / "fuzz.idx", data)


@FUZZ
@given(data=valid_files())
def test_valid_files_always_read_back(tmp_path, data):
    path = tmp_path / "valid.idx"
    _check_reader_on(path, data)
    read_idx(path)  # and never raises
