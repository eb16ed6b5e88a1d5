"""The line detectors over a whole data set: per-class statistics and masks of many digits.

Both work through the digits in cache-sized blocks spread over the cores this
process may use (:mod:`convlab.core.threads`), never keep the responses of
the whole set, report progress and can be cancelled
(:mod:`convlab.core._progress`), so the GUI runs them in the background.

**One thresholding rule, shared with the figure.** For integer digits (uint8)
and whole-number kernels, a response is ``n / 255`` with ``n`` an exact
integer computed in integers, and ``response > level`` is decided exactly as
``n > integer_cutoff(level)`` — by :func:`~convlab.core.detector_figure`,
:func:`detector_masks` and :func:`detector_statistics` alike. For any other
kernel (or float digits) all three compute the responses in float64 from the
digit divided by 255, with the same sequence of operations whatever the block
size, and compare them with ``level``: they agree bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._progress import CancelCallback, ProgressCallback, report
from .conv2d import Convolution, _as_images, _scratch, conv2d
from .detectors import (
    LINE_DETECTORS,
    NOTEBOOK_THRESHOLD,
    _check_level,
    _kernel_bank,
)
from .threads import map_blocks

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


def _detector_convolution(images: NDArray, bank: NDArray, mode: str, flip: bool,
                          block: int | None, threads: int | None) -> Convolution:
    """The exact integer convolution for integer digits and kernels, else the float64 rule."""
    imgs = _as_images(images)
    divisor = 255.0 if imgs.dtype.kind in "biu" else 1.0
    return Convolution(imgs, bank, mode, flip, np.float64, block, divisor,
                       images_checked=imgs, kernels_checked=bank, threads=threads)


def _digits_message(done: int, total: int) -> str:
    return f"{done:,} of {total:,} digits"


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
    *,
    threads: int | None = None,
) -> DetectorStats:
    """Per class (0–9) and per kernel: mean response map and fraction above threshold.

    Digits are scaled like :func:`scale_digit` (integer pixels ÷ 255, floats
    as given). The fraction above ``level`` follows the rule shared with the
    figure (see the module docstring): exact integers for uint8 digits and
    whole-number kernels. The digits are visited class by class (a stable
    sort of the labels), so each block counts its pixels above the threshold
    for one class without storing any response. The mean response map of a
    class is the response to the class's mean digit (convolution is linear),
    computed from exact integer sums for uint8 digits.

    Parameters
    ----------
    images : (N, H, W) array, uint8 0…255 or float in [0, 1]
    labels : (N,) integer array of classes 0…9
    kernels : mapping name → (kh, kw) array, or a (K, kh, kw) array
    level : float, threshold (strictly greater)
    mode : {"full", "same", "valid"}
    flip : bool, True for convolution, False for cross-correlation
    block : int, optional, images per block (default: a cache-sized block)
    progress : callable(fraction, message), optional, called from the calling
        thread after each block it computes
    cancel : callable() -> bool, optional, checked from the calling thread
        before each block it computes and every 20 ms while it waits
    threads : int, optional, at most this many threads (default: the thread
        policy, :func:`convlab.core.max_threads`)

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
    conv = _detector_convolution(imgs, bank, mode, flip, block, threads)
    lay = conv.layout
    k = bank.shape[0]
    order = np.argsort(labs, kind="stable")
    counts = np.bincount(labs, minlength=10).astype(np.int64)
    ends = np.cumsum(counts)
    blocks = [(c, s, e)
              for c in range(10)
              for s, e in _split(int(ends[c] - counts[c]), int(ends[c]), conv.block)]
    exact = conv.exact
    chunk = _sum_chunk(conv)

    def one_block(item: tuple[int, int, int]) -> tuple[int, NDArray, NDArray]:
        c, start, stop = item
        ws, groups = conv.compute_masks(start, stop, level, index=order)
        count = stop - start
        above = np.empty(k, dtype=np.int64)
        for kernels, lhs, rhs in groups:
            mask = np.greater(lhs, rhs, out=_scratch(ws, "mask", lhs.shape, np.bool_))
            for i, j in enumerate(kernels):
                above[j] = np.count_nonzero(mask[i])
        padded = ws.buffers[0][: count * lay.slot].reshape(count, lay.slot)
        # sum the digits in their own type, in chunks that cannot overflow it
        digit_sum = np.zeros(lay.slot, dtype=np.int64 if exact else np.float64)
        for s in range(0, count, chunk):
            digit_sum += np.add.reduce(padded[s : s + chunk], axis=0, dtype=padded.dtype)
        return c, above, digit_sum

    report(progress, 0.0, "computing detector statistics")
    parts = map_blocks(one_block, blocks, threads, progress=progress, cancel=cancel,
                       sizes=[e - s for _, s, e in blocks], message=_digits_message)
    above = np.zeros((10, k), dtype=np.int64)
    sums = np.zeros((10, lay.slot), dtype=np.int64 if exact else np.float64)
    for c, n_above, digit_sum in parts:
        above[c] += n_above
        sums[c] += digit_sum
    class_sums = lay.interior(sums.reshape(-1), 10)
    pixels = lay.out_height * lay.out_width
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = above / (counts[:, None] * pixels)
        if exact:
            # exact integer responses to each class's summed digits, divided once
            total = conv2d(class_sums, bank, mode, flip, dtype=np.int64)
            mean = total / (counts[:, None, None, None] * 255.0)
        else:
            total = conv2d(class_sums, bank, mode, flip, dtype=np.float64)
            mean = total / counts[:, None, None, None]
    mean[counts == 0] = np.nan
    fraction[counts == 0] = np.nan
    return DetectorStats(names, bank, counts, mean, fraction, level, mode, flip)


def _split(start: int, stop: int, block: int) -> list[tuple[int, int]]:
    return [(s, min(stop, s + block)) for s in range(start, stop, block)]


def _sum_chunk(conv: Convolution) -> int:
    """How many digits can be summed in the block's own type without overflow."""
    if not conv.exact:
        return conv.block
    from .conv2d import pixel_bound

    return max(1, int(np.iinfo(conv.engine.dtype).max // max(1.0, pixel_bound(conv.images))))


def detector_masks(
    images: ArrayLike,
    kernels: Mapping[str, ArrayLike] | ArrayLike = LINE_DETECTORS,
    level: float = NOTEBOOK_THRESHOLD,
    mode: str = "full",
    flip: bool = True,
    block: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
    *,
    threads: int | None = None,
) -> NDArray[np.bool_]:
    """The thresholded responses of many digits, without keeping the responses.

    Equal to ``detector_figure(digit, kernels, level, mode, flip).masks`` for
    every digit (the rule in the module docstring: exact integers for uint8
    digits and whole-number kernels), computed block by block: the responses
    of a whole data set (1 GB of float32 for 70,000 digits × 4 detectors) are
    never stored, only the masks (one byte a pixel).

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
        Progress and cancellation callbacks (:mod:`convlab.core._progress`),
        called from the calling thread only.
    threads : int, optional
        At most this many threads (default: the thread policy).

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
    conv = _detector_convolution(imgs, bank, mode, flip, block, threads)
    masks = np.empty(conv.shape, dtype=bool)

    def one_block(bounds: tuple[int, int]) -> None:
        start, stop = bounds
        ws, groups = conv.compute_masks(start, stop, level)
        dst = masks[start:stop]
        # threshold into a block in cache, then write the output in one contiguous stream
        staged = _scratch(ws, "masks", dst.shape, np.bool_) if dst.flags.c_contiguous else dst
        for kernels, lhs, rhs in groups:
            for i, j in enumerate(kernels):
                np.greater(lhs[i], rhs[0] if np.ndim(rhs) else rhs, out=staged[:, j])
        if staged is not dst:
            dst[...] = staged

    report(progress, 0.0, "thresholding detector responses")
    blocks = conv.blocks()
    map_blocks(one_block, blocks, threads, progress=progress, cancel=cancel,
               sizes=[e - s for s, e in blocks], message=_digits_message)
    return masks[0] if imgs.ndim == 2 else masks
