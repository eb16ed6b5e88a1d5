"""The line detectors over a whole data set: per-class statistics and masks of many digits.

Both work through the digits in blocks (the ÷255 of uint8 pixels folded into
the weights, so the data set is never converted as a whole) and never keep
the float responses of the whole set; both report progress and can be
cancelled (:mod:`convlab.core._progress`), so the GUI runs them in the
background.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._progress import CancelCallback, ProgressCallback, check_cancel, report
from .conv2d import _prepare
from .detectors import LINE_DETECTORS, NOTEBOOK_THRESHOLD, _check_level, _kernel_bank

__all__ = ["DetectorStats", "detector_masks", "detector_statistics"]


@dataclass(frozen=True)
class DetectorStats:
    """Per-class summary of the detector responses over a data set.

    Attributes
    ----------
    names : K kernel names
    kernels : (K, kh, kw) float64 array
    counts : (10,) int64, images per class
    mean_response : (10, K, H', W') float64, mean response map per class and kernel
        (NaN for a class with no images)
    fraction_above : (10, K) float64, fraction of response pixels above ``level``
        over all images of the class (NaN for a class with no images)
    level, mode, flip : the settings used
    """

    names: tuple[str, ...]
    kernels: NDArray
    counts: NDArray
    mean_response: NDArray
    fraction_above: NDArray
    level: float
    mode: str
    flip: bool


def detector_statistics(
    images: ArrayLike,
    labels: ArrayLike,
    kernels: Mapping[str, ArrayLike] | ArrayLike = LINE_DETECTORS,
    level: float = NOTEBOOK_THRESHOLD,
    mode: str = "full",
    flip: bool = True,
    block: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
) -> DetectorStats:
    """Per class (0–9) and per kernel: mean response map and fraction above threshold.

    Digits are scaled like :func:`scale_digit` (integer pixels ÷ 255, floats
    as given), convolved block by block in float32 (the ÷255 is folded into
    the weights, so uint8 data is never converted as a whole) and summed per
    class with one matrix product per block.

    Parameters
    ----------
    images : (N, H, W) array, uint8 0…255 or float in [0, 1]
    labels : (N,) integer array of classes 0…9
    kernels : mapping name → (kh, kw) array, or a (K, kh, kw) array
    level : float, threshold (strictly greater)
    mode : {"full", "same", "valid"}
    flip : bool, True for convolution, False for cross-correlation
    block : int, optional, images per block (default: a cache-sized block)
    progress : callable(fraction, message), optional, called after each block
    cancel : callable() -> bool, optional, checked before each block

    Returns
    -------
    DetectorStats

    Raises
    ------
    ValueError
        For shapes that disagree, labels outside 0…9, bad kernels.
    Cancelled
        When ``cancel()`` returned True.
    """
    imgs = np.asarray(images)
    if imgs.ndim != 3:
        raise ValueError(f"images must be a stack (N, H, W), got shape {imgs.shape}")
    labs = np.asarray(labels)
    if labs.ndim != 1 or labs.shape[0] != imgs.shape[0]:
        raise ValueError(
            f"labels must be one label per image: {imgs.shape[0]} images, labels shape {labs.shape}"
        )
    if labs.dtype.kind not in "iu" or (labs.size and (labs.min() < 0 or labs.max() > 9)):
        raise ValueError("labels must be whole numbers 0…9")
    names, bank = _kernel_bank(kernels)
    level = _check_level(level)
    scale = 1 / 255 if imgs.dtype.kind in "biu" else 1.0
    imgs3, _, convolver = _prepare(imgs, bank, mode, flip, np.float32, block, scale=scale)
    plan = convolver.plan
    k = bank.shape[0]
    pixels = convolver.pixels
    sums = np.zeros((k, 10, pixels))
    above = np.zeros((k, 10, pixels))
    classes = np.arange(10)[:, None]
    n = imgs3.shape[0]
    report(progress, 0.0, "computing detector statistics")
    for start, stop, res in convolver.blocks(imgs3):
        check_cancel(cancel)
        onehot = (classes == labs[start:stop]).astype(np.float32)
        flat = res.reshape(k, stop - start, pixels)
        sums += np.matmul(onehot, flat)
        above += np.matmul(onehot, (flat > level).astype(np.float32))
        report(progress, stop / n, f"{stop:,} of {n:,} digits")
    counts = np.bincount(labs, minlength=10).astype(np.int64)
    shape = (k, 10, plan.padded_height, plan.padded_width)
    window = (slice(None), slice(None), slice(plan.out_height), slice(plan.out_width))
    sums = sums.reshape(shape)[window]
    above = above.reshape(shape)[window].sum(axis=(2, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / counts[None, :, None, None]
        fraction = above / (counts[None, :] * plan.out_height * plan.out_width)
    return DetectorStats(
        names,
        bank,
        counts,
        mean.transpose(1, 0, 2, 3).copy(),
        fraction.T.copy(),
        level,
        mode,
        flip,
    )


def detector_masks(
    images: ArrayLike,
    kernels: Mapping[str, ArrayLike] | ArrayLike = LINE_DETECTORS,
    level: float = NOTEBOOK_THRESHOLD,
    mode: str = "full",
    flip: bool = True,
    block: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
) -> NDArray[np.bool_]:
    """The thresholded responses of many digits, without keeping the responses.

    Equal to ``threshold(conv2d(scale_digit(images), kernels, mode, flip), level)``
    but computed block by block: the float responses of a whole data set
    (1 GB for 70,000 digits × 4 detectors) are never stored, only the masks
    (a quarter of that, one byte a pixel).

    Parameters
    ----------
    images : (N, H, W) or (H, W) array
        uint8/integer pixels (divided by 255) or floats in [0, 1].
    kernels : mapping name → (kh, kw) array, or (K, kh, kw) array
    level : float
        Threshold (strictly greater).
    mode, flip, block
        As in :func:`convlab.core.conv2d`.
    progress, cancel
        Progress and cancellation callbacks (:mod:`convlab.core._progress`).

    Returns
    -------
    (N, K, H', W') bool array; ``(K, H', W')`` for a single image.

    Examples
    --------
    >>> digit = np.zeros((5, 5), np.uint8)
    >>> digit[:, 2] = 255                      # a vertical stroke
    >>> masks = detector_masks(digit)
    >>> [int(m.sum()) for m in masks]  # vertical, horizontal, diagonal \\ and / detectors
    [7, 0, 2, 2]

    The vertical detector fires all along the stroke, the diagonal ones only at its ends.
    """
    imgs = np.asarray(images)
    _, bank = _kernel_bank(kernels)
    level = _check_level(level)
    scale = 1 / 255 if imgs.dtype.kind in "biu" else 1.0
    imgs3, _, convolver = _prepare(imgs, bank, mode, flip, np.float32, block, scale=scale)
    plan = convolver.plan
    n = imgs3.shape[0]
    masks = np.empty((n, bank.shape[0], plan.out_height, plan.out_width), dtype=bool)
    report(progress, 0.0, "thresholding detector responses")
    for start, stop, res in convolver.blocks(imgs3):
        check_cancel(cancel)
        window = res[:, :, : plan.out_height, : plan.out_width].transpose(1, 0, 2, 3)
        np.greater(window, level, out=masks[start:stop])
        report(progress, stop / n, f"{stop:,} of {n:,} digits")
    return masks[0] if imgs.ndim == 2 else masks
