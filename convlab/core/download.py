"""Downloading the full MNIST set into the per-user cache, checked and written atomically."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["MNIST_FILES", "ExpectedFile"]


class ExpectedFile(NamedTuple):
    """Size in bytes and SHA-256 (hex) of a file's *decompressed* content."""

    size: int
    sha256: str


#: The four MNIST files (decompressed), from ``shared/mnist/README.md``.
MNIST_FILES: dict[str, ExpectedFile] = {
    "train-images-idx3-ubyte": ExpectedFile(
        47040016, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
    ),
    "train-labels-idx1-ubyte": ExpectedFile(
        60008, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
    ),
    "t10k-images-idx3-ubyte": ExpectedFile(
        7840016, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
    ),
    "t10k-labels-idx1-ubyte": ExpectedFile(
        10008, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
    ),
}
