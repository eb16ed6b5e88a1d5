"""Build the corpus of malformed IDX files that ``tests/core/test_idx.py`` reads.

Run ``.venv/bin/python tests/core/idx_corpus/make_corpus.py`` to (re)write the
files next to this script.  ``CASES`` maps each file name to its bytes and to a
fragment the :class:`IdxError` message must contain; the tests check that the
committed files still equal what this script builds.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent


def header(code: int, *dims: int) -> bytes:
    """IDX header: magic ``00 00 code ndim`` then big-endian uint32 dimensions."""
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


def gz(data: bytes) -> bytes:
    """Deterministic gzip (no timestamp, no file name)."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def bomb(head: bytes, zeros: int) -> bytes:
    """Gzip of ``head`` followed by ``zeros`` zero bytes, built without holding them."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [comp.compress(head)]
    block = bytes(2**20)
    for _ in range(zeros // len(block)):
        out.append(comp.compress(block))
    out.append(comp.flush())
    return b"".join(out)


LABELS = header(0x08, 5) + bytes([5, 0, 4, 1, 9])
GOOD_GZ = gz(LABELS)


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0xFF]) + data[index + 1:]


CASES: dict[str, tuple[bytes, str]] = {
    "empty.idx": (b"", "empty"),
    "short-magic.idx": (b"\x00\x00", "only 2 of the 4 bytes"),
    "wrong-magic.idx": (b"\x12\x34\x08\x01" + struct.pack(">I", 1) + b"\x07", "magic number"),
    "html-page.idx": (b"<!DOCTYPE html><html><body>Not Found</body></html>", "web page"),
    "bad-type-code.idx": (bytes([0, 0, 0x07, 1]) + struct.pack(">I", 1) + b"\x01",
                          "element type code 0x07"),
    "zero-dims.idx": (bytes([0, 0, 0x08, 0]), "0 dimensions"),
    "too-many-dims.idx": (bytes([0, 0, 0x08, 200]) + bytes(16), "200 dimensions"),
    "truncated-header.idx": (header(0x08, 2, 28, 28)[:-3], "truncated"),
    "truncated-data.idx": (header(0x08, 10) + bytes(5), "truncated"),
    "truncated-float.idx": (header(0x0D, 3) + bytes(11), "truncated"),
    "trailing-garbage.idx": (LABELS + b"junk", "extra bytes"),
    "huge-dims.idx": (header(0x08, 60000, 100000, 100000) + bytes(16), "limit"),
    "huge-dims-doubles.idx": (header(0x0E, 2**31, 2**31) + bytes(8), "limit"),
    "huge-dims.idx.gz": (gz(header(0x08, 4000000000, 28, 28)), "limit"),
    "truncated.idx.gz": (GOOD_GZ[:-12], "gzip"),
    "truncated-in-data.idx.gz": (gz(header(0x08, 100) + bytes(range(100)))[:30], "gzip"),
    "corrupt-crc.idx.gz": (_flip(GOOD_GZ, len(GOOD_GZ) - 6), "gzip"),
    "corrupt-deflate.idx.gz": (_flip(GOOD_GZ, 12), "gzip"),
    "garbage-after-gzip.idx.gz": (GOOD_GZ + b"garbage", "gzip"),
    "trailing-inside-gzip.idx.gz": (gz(LABELS + b"junk"), "extra bytes"),
    "short-data-inside-gzip.idx.gz": (gz(header(0x08, 10) + bytes(5)), "truncated"),
    "not-idx-inside-gzip.gz": (gz(b"hello, world\n"), "magic number"),
    "empty-inside-gzip.gz": (gz(b""), "empty"),
    # 10 declared labels followed by 16 MiB of zeros: a decompression bomb.
    "bomb.idx.gz": (bomb(header(0x08, 10), 16 * 2**20), "extra bytes"),
}


def main() -> None:
    for name, (data, _) in CASES.items():
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data):,} bytes")


if __name__ == "__main__":
    main()
