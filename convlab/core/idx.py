"""Reading and writing IDX files (the format of MNIST), safely.

An IDX file is a 4-byte magic number ``00 00 <type> <ndim>``, then ``ndim``
big-endian unsigned 32-bit dimension sizes, then the elements, big-endian,
row-major.  The element type codes are

====  ===========  =================
code  type         numpy dtype read
====  ===========  =================
0x08  unsigned 8   ``uint8``
0x09  signed 8     ``int8``
0x0B  signed 16    ``int16``
0x0C  signed 32    ``int32``
0x0D  float 32     ``float32``
0x0E  float 64     ``float64``
====  ===========  =================

Files may be gzip-compressed (recognised by their first two bytes, not by
their name).  A file from the internet is untrusted input, so :func:`read_idx`
checks everything before it trusts it: the magic number, the type code, that
the declared size is below a limit *before* any allocation, that exactly the
declared number of bytes follows (no truncation, no trailing garbage), and
that a gzip stream is intact.  It never decompresses more than the declared
size plus one byte, so a decompression bomb costs nothing.  Every problem with
the content raises :class:`IdxError`, which names the file and the problem.
"""

from __future__ import annotations

import gzip
import os
import struct
import sys
import zlib
from typing import BinaryIO

import numpy as np

from .atomic import atomic_output

__all__ = ["IDX_DTYPES", "IDX_MAX_BYTES", "IdxError", "read_idx", "write_idx"]

#: Element type code → big-endian numpy dtype as stored in the file.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

#: Default upper limit on the data size a file may declare (256 MiB; the full
#: MNIST training images are 47 MB).
IDX_MAX_BYTES = 256 * 2**20

_MAX_NDIM = 32
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 2**20


class IdxError(ValueError):
    """A file is not a valid IDX file (or not the MNIST data it should be).

    ``str(error)`` is ``"<file>: <problem>"``; the parts are also available as
    the attributes ``path`` and ``problem``.
    """

    def __init__(self, path: str | os.PathLike, problem: str) -> None:
        super().__init__(str(path), problem)
        self.path = str(path)
        self.problem = problem

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


def describe_start(head: bytes) -> str:
    """The first bytes in hex, with a hint when they look like a web page (not part of the API)."""
    shown = " ".join(f"{b:02x}" for b in head[:4])
    text = head.lstrip()[:1]
    if text == b"<":
        return f"found {shown} — this looks like a web page (HTML), not data"
    return f"found {shown}"


def _read_header(stream: BinaryIO, path: str | os.PathLike, where: str) -> tuple[np.dtype, tuple]:
    """Read and check the magic number and dimensions; return (file dtype, shape)."""
    magic = stream.read(4)
    if len(magic) == 0:
        raise IdxError(path, f"the file is empty{where}")
    if len(magic) < 4:
        raise IdxError(path, f"the file is truncated{where}: only {len(magic)} of the 4 bytes "
                             "of the IDX magic number")
    if magic[0] != 0 or magic[1] != 0:
        raise IdxError(path, f"not an IDX file{where}: the magic number must start with "
                             f"00 00, {describe_start(magic)}")
    code, ndim = magic[2], magic[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise IdxError(path, f"unknown IDX element type code 0x{code:02X} (known: {known})")
    if ndim == 0 or ndim > _MAX_NDIM:
        raise IdxError(path, f"the header declares {ndim} dimensions; an IDX file needs "
                             f"between 1 and {_MAX_NDIM}")
    raw_dims = stream.read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise IdxError(path, f"the file is truncated{where}: the header declares {ndim} "
                             f"dimensions but ends after {len(raw_dims) // 4}")
    shape = struct.unpack(f">{ndim}I", raw_dims)
    return IDX_DTYPES[code], shape


def _check_declared(path, shape: tuple, dtype: np.dtype, max_bytes: int) -> int:
    """Return the declared data size in bytes, or raise if the shape is beyond ``max_bytes``.

    Zero dimensions are judged as if they were 1: a file may declare an empty
    data set (``0 × 28 × 28`` images), but only one whose records would fit
    the limit.  ``0 × 2,264,924,160 × 0 × 4,076,863,488`` holds no bytes, yet
    no real data set has such a shape (and numpy cannot even build it).
    """
    max_bytes = min(max_bytes, sys.maxsize)  # numpy's own limit on any array's shape
    dims = " × ".join(f"{d:,}" for d in shape)
    nbytes = dtype.itemsize
    for d in shape:
        nbytes *= d or 1  # Python ints: no overflow however absurd the header
    if nbytes > max_bytes:
        if 0 in shape:
            raise IdxError(path, f"the header declares an empty {dims} array of "
                                 f"{dtype.itemsize}-byte elements whose non-zero dimensions "
                                 f"alone would take {nbytes:,} bytes, more than the limit of "
                                 f"{max_bytes:,} bytes (a corrupt or hostile file?)")
        raise IdxError(path, f"the header declares a {dims} array of {dtype.itemsize}-byte "
                             f"elements = {nbytes:,} bytes, more than the limit of "
                             f"{max_bytes:,} bytes (a corrupt or hostile file?)")
    return 0 if 0 in shape else nbytes


def _truncated(path, nbytes: int, got: int, where: str) -> IdxError:
    return IdxError(path, f"the file is truncated{where}: the header declares {nbytes:,} bytes "
                          f"of data but only {got:,} follow")


def _trailing(path, where: str) -> IdxError:
    return IdxError(path, f"unexpected extra bytes after the data{where} (trailing garbage, "
                          "or the header's dimensions are wrong)")


def _read_raw(f: BinaryIO, path, max_bytes: int) -> tuple[np.dtype, tuple, bytearray]:
    dtype, shape = _read_header(f, path, "")
    nbytes = _check_declared(path, shape, dtype, max_bytes)
    available = os.fstat(f.fileno()).st_size - f.tell()
    if available < nbytes:
        raise _truncated(path, nbytes, available, "")
    if available > nbytes:
        raise _trailing(path, "")
    data = bytearray(nbytes)
    view = memoryview(data)
    filled = 0
    while filled < nbytes:
        n = f.readinto(view[filled:])
        if not n:  # the file shrank while we read it
            raise _truncated(path, nbytes, filled, "")
        filled += n
    return dtype, shape, data


def _read_gzip(f: BinaryIO, path, max_bytes: int) -> tuple[np.dtype, tuple, bytearray]:
    where = " (after gzip decompression)"
    try:
        with gzip.GzipFile(fileobj=f, mode="rb") as gz:
            dtype, shape = _read_header(gz, path, where)
            nbytes = _check_declared(path, shape, dtype, max_bytes)
            # Grow the buffer only as real data arrives: a header that lies
            # about the size cannot make us allocate what is not there.
            data = bytearray()
            while len(data) < nbytes:
                piece = gz.read(min(_CHUNK, nbytes - len(data)))
                if not piece:
                    raise _truncated(path, nbytes, len(data), where)
                data += piece
            # One more byte (bounded) both detects trailing data and makes the
            # gzip reader reach the end of the stream and verify its CRC.
            if gz.read(1):
                raise _trailing(path, where)
    except (OSError, EOFError, zlib.error) as exc:
        raise IdxError(path, f"the gzip compression is corrupt or incomplete ({exc})") from exc
    return dtype, shape, data


def read_idx(path: str | os.PathLike, *, max_bytes: int = IDX_MAX_BYTES) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) into a numpy array.

    Parameters
    ----------
    path : str or path-like
        The file.  Gzip compression is detected from the content.
    max_bytes : int, optional
        Largest data size (in bytes, after decompression) the header may
        declare; checked before anything is allocated.  Default 256 MiB.  A
        header with a zero dimension declares an empty data set, which is
        legal (e.g. ``(0, 28, 28)``), but its non-zero dimensions must still
        fit this limit as if each zero were 1.

    Returns
    -------
    numpy.ndarray
        Array of the shape in the header, e.g. ``(N, 28, 28)`` for MNIST
        images or ``(N,)`` for labels, in native byte order with the dtype of
        the type code (``uint8``, ``int8``, ``int16``, ``int32``, ``float32``
        or ``float64``).  It is a fresh, writable array.

    Raises
    ------
    IdxError
        If the content is not a valid IDX file: empty, truncated, wrong magic
        number, unknown type code, too many dimensions, declared size above
        ``max_bytes`` (for an empty data set: the product of its non-zero
        dimensions), trailing bytes, or a corrupt gzip stream.
    OSError
        If the file cannot be opened (missing, a folder, no permission).

    Examples
    --------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> write_idx(os.path.join(folder, "x.idx"), np.arange(6, dtype=np.int16).reshape(2, 3))
    >>> read_idx(os.path.join(folder, "x.idx"))
    array([[0, 1, 2],
           [3, 4, 5]], dtype=int16)
    """
    with open(path, "rb") as f:
        compressed = f.read(2) == _GZIP_MAGIC
        f.seek(0)
        reader = _read_gzip if compressed else _read_raw
        dtype, shape, data = reader(f, path, max_bytes)
    array = np.frombuffer(data, dtype=dtype).reshape(shape)
    native = dtype.newbyteorder("=")
    return array if dtype.itemsize == 1 else array.astype(native)


_CODE_FOR_KIND = {(dt.kind, dt.itemsize): code for code, dt in IDX_DTYPES.items()}


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file; gzip-compressed if ``path`` ends in ``.gz``.

    Compression is deterministic (no timestamp or file name in the gzip
    header), so writing the same array twice gives identical bytes.  The file
    is written atomically (a temporary file renamed into place).

    Parameters
    ----------
    path : str or path-like
        Destination file.
    array : numpy.ndarray
        At least 1-D, dtype ``uint8``, ``int8``, ``int16``, ``int32``,
        ``float32`` or ``float64`` (any byte order; stored big-endian), every
        dimension below 2**32.

    Raises
    ------
    ValueError
        If the dtype or shape cannot be stored in IDX.
    """
    array = np.asarray(array)
    code = _CODE_FOR_KIND.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise ValueError(f"IDX cannot store {array.dtype} elements; use uint8, int8, int16, "
                         "int32, float32 or float64")
    if array.ndim == 0 or array.ndim > _MAX_NDIM:
        raise ValueError(f"IDX stores arrays of 1 to {_MAX_NDIM} dimensions, got {array.ndim}")
    if any(d >= 2**32 for d in array.shape):
        raise ValueError(f"IDX dimensions must be below 2**32, got shape {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    with atomic_output(path) as f:
        if str(path).endswith(".gz"):
            with gzip.GzipFile(filename="", mode="wb", fileobj=f, compresslevel=9,
                               mtime=0) as gz:
                gz.write(header)
                gz.write(body)
        else:
            f.write(header)
            f.write(body)
