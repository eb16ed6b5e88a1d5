"""Digits for the benchmarks: the full MNIST set when given, synthetic digits otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .harness import Context, describe_error

__all__ = ["Digits", "default_mnist_dir", "digits"]

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Digits:
    """``images`` (N, 28, 28) uint8 and ``labels`` (N,) uint8, and where they came from."""

    images: np.ndarray
    labels: np.ndarray
    source: str
    synthetic: bool


def default_mnist_dir() -> Path | None:
    """``../shared/mnist`` beside the repository, if it exists."""
    folder = REPO.parent / "shared" / "mnist"
    return folder if folder.is_dir() else None


def _synthetic(count: int) -> Digits:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=count, dtype=np.uint8)
    return Digits(images, labels, f"synthetic: {count:,} random uint8 28×28 images", True)


def _full_mnist(folder: Path) -> Digits:
    from convlab.core.mnist import load_mnist

    data = load_mnist(folder)
    images = np.concatenate([data.train_images, data.test_images])
    labels = np.concatenate([data.train_labels, data.test_labels])
    return Digits(images, labels, f"MNIST from {folder} ({len(images):,} digits)", False)


def digits(ctx: Context, count: int) -> Digits:
    """``count`` digits: the first ``count`` of MNIST (train then test), tiled if needed.

    Without ``ctx.mnist_dir`` (or if loading fails) random uint8 images stand
    in; the run's notes say so. Timings of the convolutions do not depend on
    the pixel values, the per-class statistics only on the label counts.
    """
    if "digits" not in ctx.cache:
        loaded = None
        if ctx.mnist_dir is not None:
            try:
                loaded = _full_mnist(ctx.mnist_dir)
            except Exception as exc:
                ctx.note(f"could not load MNIST from {ctx.mnist_dir} ({describe_error(exc)}); "
                         "using synthetic digits")
        ctx.cache["digits"] = loaded
    full: Digits | None = ctx.cache["digits"]
    if full is None:
        key = f"synthetic-{count}"
        if key not in ctx.cache:
            ctx.cache[key] = _synthetic(count)
        ctx.note("digits are synthetic (random uint8 28×28 images): give --mnist DIR for MNIST")
        return ctx.cache[key]
    ctx.note(f"digits: {full.source}")
    if count <= len(full.images):
        return Digits(full.images[:count], full.labels[:count], full.source, False)
    reps = -(-count // len(full.images))
    return Digits(np.tile(full.images, (reps, 1, 1))[:count], np.tile(full.labels, reps)[:count],
                  f"{full.source}, tiled to {count:,}", False)
