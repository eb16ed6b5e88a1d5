"""Build ConvLab's bundled MNIST sample from a full copy of MNIST.

Usage (from the repository root)::

    .venv/bin/python scripts/make_mnist_sample.py [SOURCE] [--out DIR] [--count N]

SOURCE is a folder with the four standard MNIST files (default
``../shared/mnist`` relative to the repository).  The script checks the
SHA-256 of each decompressed file against the published hashes, keeps the
first N (default 1,000) training and first N test digits with their labels,
and writes them as gzip-compressed IDX files with the standard names into
``convlab/core/data/mnist``.  Compression is deterministic (no timestamp), so
running it again gives byte-identical files.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from convlab.core.download import MNIST_FILES  # noqa: E402
from convlab.core.idx import read_idx, write_idx  # noqa: E402
from convlab.core.mnist import mnist_file_names  # noqa: E402


def find(folder: Path, name: str) -> Path:
    for candidate in mnist_file_names(name):
        if (folder / candidate).is_file():
            return folder / candidate
    raise SystemExit(f"{folder}: no {name} (with or without .gz)")


def decompressed_sha256(path: Path) -> str:
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    digest = hashlib.sha256()
    with opener(path, "rb") as f:
        for chunk in iter(lambda: f.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=REPO.parent / "shared" / "mnist",
                        help="folder with the full MNIST files (default: ../shared/mnist)")
    parser.add_argument("--out", type=Path, default=REPO / "convlab" / "core" / "data" / "mnist",
                        help="output folder (default: convlab/core/data/mnist)")
    parser.add_argument("--count", type=int, default=1000,
                        help="digits kept from each split (default: 1000)")
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    for name, expected in MNIST_FILES.items():
        path = find(args.source, name)
        digest = decompressed_sha256(path)
        if digest != expected.sha256:
            raise SystemExit(f"{path}: SHA-256 {digest} does not match the published "
                             f"{expected.sha256}; refusing to build from it")
        array = read_idx(path)[: args.count]
        out = args.out / f"{name}.gz"
        write_idx(out, array)
        print(f"{out}: {array.shape} {array.dtype}, {out.stat().st_size:,} bytes, "
              f"sha256 {hashlib.sha256(out.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    main()
