"""The notebook's line detectors and thresholds, for one digit.

The notebook takes MNIST training digit #2, scales it to [0, 1], convolves
it (``scipy.signal.convolve2d``, full mode) with four 3×3 line detectors and
shows where each response is above 1.5. :func:`detector_figure` computes
exactly that figure; :mod:`convlab.core.detector_stats` does it for every
digit of a data set.

Examples
--------
>>> digit = np.zeros((28, 28), np.uint8)
>>> digit[4:24, 14] = 255                      # a vertical stroke
>>> fig = detector_figure(digit)
>>> fig.names
('vertical', 'horizontal', 'diagonal \\\\', 'diagonal /')
>>> [int(m.sum()) for m in fig.masks]   # vertical fires along it, diagonals at its ends
[22, 0, 2, 2]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from math import floor
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .conv2d import Convolution
from .conv2d_geometry import conv2d_output_shape, conv2d_padding
from .validation import as_finite_array

__all__ = [
    "KERNEL_PRESETS_2D",
    "LINE_DETECTORS",
    "NOTEBOOK_THRESHOLD",
    "DetectorFigure",
    "detector_figure",
    "integer_cutoff",
    "recenter_digit",
    "response_patch",
    "scale_digit",
    "threshold",
]

#: The notebook's threshold on the responses of a digit scaled to [0, 1].
NOTEBOOK_THRESHOLD = 1.5


def _constant(rows: list[list[float]]) -> NDArray:
    arr = np.array(rows, dtype=np.float64)
    arr.flags.writeable = False
    return arr


#: The four 3×3 line detectors of the notebook, in its order (read-only arrays).
LINE_DETECTORS: Mapping[str, NDArray] = MappingProxyType(
    {
        "vertical": _constant([[-1, 2, -1], [-1, 2, -1], [-1, 2, -1]]),
        "horizontal": _constant([[-1, -1, -1], [2, 2, 2], [-1, -1, -1]]),
        "diagonal \\": _constant([[2, -1, -1], [-1, 2, -1], [-1, -1, 2]]),
        "diagonal /": _constant([[-1, -1, 2], [-1, 2, -1], [2, -1, -1]]),
    }
)

_LINE_NAMES = tuple(LINE_DETECTORS)
_LINE_BANK = np.stack([np.asarray(k, dtype=np.float64) for k in LINE_DETECTORS.values()])

#: 2-D kernels offered by the MNIST lab's editor: classic image filters and the line detectors
#: (``signals.KERNEL_PRESETS`` holds the 1-D kernel generators).
KERNEL_PRESETS_2D: Mapping[str, NDArray] = MappingProxyType(
    {
        "Sobel x": _constant([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
        "Sobel y": _constant([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
        "Prewitt x": _constant([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]),
        "Prewitt y": _constant([[-1, -1, -1], [0, 0, 0], [1, 1, 1]]),
        "Laplacian": _constant([[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
        "box blur": _constant(np.full((3, 3), 1 / 9).tolist()),
        "sharpen": _constant([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
        **{f"line {name}": k for name, k in LINE_DETECTORS.items()},
    }
)


def _check_level(level: float) -> float:
    try:
        value = float(level)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"threshold level must be a number, got {level!r}") from exc
    if not np.isfinite(value):
        raise ValueError(f"threshold level must be a finite number, got {level!r}")
    return value


@lru_cache(maxsize=256)
def integer_cutoff(level: float, divisor: float = 255) -> int:
    """The whole number ``c`` with ``n / divisor > level`` ⇔ ``n > c`` for every integer ``n``.

    This is how ConvLab thresholds exactly: a uint8 digit scaled to [0, 1]
    and convolved with a whole-number kernel has responses ``n / 255`` with
    ``n`` an exact integer, so ``response > level`` is decided as
    ``n > integer_cutoff(level)``, with no rounding anywhere.

    ``level`` is read as the decimal number it is written as (its shortest
    ``repr``): ``1.4`` means 14/10, so a response of exactly ``357/255 = 1.4``
    is *not* above ``1.4``. This is also what float64 arithmetic gives, and
    what a student expects; the binary value nearest 1.4 is slightly below it.

    Parameters
    ----------
    level : float, a finite threshold
    divisor : float, the (whole-number) scale of the responses, 255 for uint8 digits

    Returns
    -------
    int, ``floor(level · divisor)`` computed exactly.

    Examples
    --------
    >>> integer_cutoff(1.5), integer_cutoff(0.2), integer_cutoff(1.4), integer_cutoff(-0.001)
    (382, 51, 357, -1)
    """
    value = Fraction(repr(_check_level(level)))
    return floor(value * Fraction(repr(float(divisor))))


#: Values per chunk of :func:`threshold` on big arrays (1 MiB of float32: stays in L2).
_THRESHOLD_CHUNK = 1 << 18


def threshold(response: ArrayLike, level: float = NOTEBOOK_THRESHOLD) -> NDArray[np.bool_]:
    """Where the response is strictly greater than ``level``.

    Parameters
    ----------
    response : array of any shape
    level : float

    Returns
    -------
    bool array of the same shape.

    Examples
    --------
    >>> threshold([1.0, 1.5, 2.0])
    array([False, False,  True])
    """
    arr = np.asarray(response)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"response must be numbers, got an array of {arr.dtype}")
    level = _check_level(level)
    if arr.dtype.kind != "f" or not arr.size:
        return arr > level
    # keep the dtype (float32 responses of a whole data set would double in float64);
    # a NaN anywhere makes the minimum NaN. Chunk by chunk, the comparison reads what
    # the minimum just brought into the cache: one pass over memory, not two.
    flat = arr.reshape(-1) if arr.flags.c_contiguous else None
    if flat is None or flat.size <= _THRESHOLD_CHUNK:
        if np.isnan(np.min(arr)):
            raise ValueError("response contains NaN: every value must be a number")
        return arr > level
    masks = np.empty(arr.shape, dtype=np.bool_)
    out = masks.reshape(-1)
    for start in range(0, flat.size, _THRESHOLD_CHUNK):
        chunk = flat[start : start + _THRESHOLD_CHUNK]
        if np.isnan(np.min(chunk)):
            raise ValueError("response contains NaN: every value must be a number")
        np.greater(chunk, level, out=out[start : start + _THRESHOLD_CHUNK])
    return masks


def scale_digit(img: ArrayLike, dtype: type = np.float32) -> NDArray:
    """A digit as floats in [0, 1]: integer pixels (MNIST's uint8) are divided by 255.

    Parameters
    ----------
    img : (H, W) or (N, H, W) array
        uint8/integer pixels in 0…255, or floats already in [0, 1] (returned as ``dtype``).
    dtype : np.float32 (default) or np.float64

    Raises
    ------
    ValueError
        If integer pixels lie outside 0…255, or float pixels outside [0, 1].

    Examples
    --------
    >>> scale_digit(np.array([[0, 51, 255]], np.uint8))
    array([[0. , 0.2, 1. ]], dtype=float32)
    """
    arr = np.asarray(img)
    if arr.dtype.kind in "biu":
        if arr.ndim not in (2, 3) or arr.size == 0:
            raise ValueError(f"digit must be a non-empty (H, W) or (N, H, W) array: {arr.shape}")
        if arr.dtype not in (np.uint8, np.bool_) and (arr.min() < 0 or arr.max() > 255):
            raise ValueError("integer pixels must lie in 0…255")
        return arr.astype(dtype) / 255
    if arr.dtype.kind != "f":  # text, objects …: the shared check words the error
        arr = as_finite_array(arr, "digit", ndims=(2, 3), dtype=dtype)
    arr = np.asarray(arr, dtype=dtype)
    # in [0, 1] is also finite (a NaN fails both comparisons): two reductions check both
    if arr.ndim not in (2, 3) or not arr.size or not (arr.min() >= 0 and arr.max() <= 1):
        as_finite_array(arr, "digit", ndims=(2, 3), dtype=dtype)  # the precise message first
        raise ValueError(
            "float pixels must lie in [0, 1]; divide 0…255 values by 255 or pass uint8 data"
        )
    return arr


def _kernel_bank(kernels: Mapping[str, ArrayLike] | ArrayLike) -> tuple[tuple[str, ...], NDArray]:
    """Names and a (K, kh, kw) float64 stack from a name→kernel mapping or an array."""
    if kernels is LINE_DETECTORS:  # the default of every call: read-only, stacked once
        return _LINE_NAMES, _LINE_BANK.copy()
    if isinstance(kernels, Mapping):
        names = tuple(str(n) for n in kernels)
        if not names:
            raise ValueError("kernels is empty: give at least one kernel")
        try:  # the common case in one step: same-size 2-D kernels of finite numbers
            bank = np.array([np.asarray(k, dtype=np.float64) for k in kernels.values()])
            if bank.ndim == 3 and bank.size and np.isfinite(bank).all():
                return names, bank
        except (TypeError, ValueError):
            pass
        items = [as_finite_array(k, f"kernel {n!r}", ndims=(2,)) for n, k in kernels.items()]
        if len({k.shape for k in items}) > 1:
            sizes = ", ".join(f"{n}: {k.shape}" for n, k in zip(names, items, strict=True))
            raise ValueError(f"all kernels must have the same size, got {sizes}")
        return names, np.stack(items)
    bank = as_finite_array(kernels, "kernels", ndims=(2, 3))
    bank = bank if bank.ndim == 3 else bank[None]
    return tuple(f"kernel {i + 1}" for i in range(bank.shape[0])), bank


@dataclass(frozen=True)
class DetectorFigure:
    """The notebook's figure for one digit.

    Attributes
    ----------
    digit : (H, W) float64 array, the digit scaled to [0, 1]
    names : K kernel names
    kernels : (K, kh, kw) float64 array
    responses : (K, H', W') float64 array, ``conv2d(digit, kernels, mode, flip)``
    masks : (K, H', W') bool array, ``responses > level``
    level, mode, flip : the settings used
    """

    digit: NDArray
    names: tuple[str, ...]
    kernels: NDArray
    responses: NDArray
    masks: NDArray
    level: float
    mode: str
    flip: bool


def detector_figure(
    digit: ArrayLike,
    kernels: Mapping[str, ArrayLike] | ArrayLike = LINE_DETECTORS,
    level: float = NOTEBOOK_THRESHOLD,
    mode: str = "full",
    flip: bool = True,
) -> DetectorFigure:
    """Scale a digit, convolve it with each kernel and threshold the responses.

    With the defaults this is the notebook's figure:
    ``masks[k] == scipy.signal.convolve2d(digit / 255, kernel_k) > 1.5``.

    For a uint8 digit and whole-number kernels the responses are computed
    exactly in integers (``responses`` is that integer ÷ 255 in float64,
    rounded once) and thresholded exactly with :func:`integer_cutoff`;
    otherwise in float64 from the digit scaled to [0, 1]. This is the rule of
    :func:`~convlab.core.detector_masks` and
    :func:`~convlab.core.detector_statistics` too, so the three always agree.

    Parameters
    ----------
    digit : (H, W) array, uint8 0…255 or float in [0, 1] (see :func:`scale_digit`)
    kernels : mapping name → (kh, kw) array, or a (K, kh, kw) array
    level : float, threshold (strictly greater)
    mode : {"full", "same", "valid"}
    flip : bool, True for convolution, False for cross-correlation

    Returns
    -------
    DetectorFigure
    """
    x = scale_digit(digit, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"digit must be one (H, W) image, got shape {x.shape}")
    names, bank = _kernel_bank(kernels)
    level = _check_level(level)
    raw = np.asarray(digit)
    if raw.dtype.kind in "biu":
        conv = Convolution(raw, bank, mode, flip, np.float64, divisor=255,
                           kernels_checked=bank)
        if conv.exact:
            acc = _responses(conv)
            masks = np.greater(acc, integer_cutoff(level, 255))
            responses = np.divide(acc, 255.0)
            return DetectorFigure(x, names, bank, responses, masks, level, mode, flip)
    conv = Convolution(x, bank, mode, flip, np.float64, images_checked=x, kernels_checked=bank)
    responses = _responses(conv)
    return DetectorFigure(x, names, bank, responses, responses > level, level, mode, flip)


def _responses(conv: Convolution) -> NDArray:
    """The ``(K, H', W')`` responses of a one-image :class:`Convolution` (a new array)."""
    ws = conv.workspace()
    conv.engine.load(ws, conv.images, None)
    conv.engine.execute(ws, 1)
    flat = ws.results.take(conv.engine.row_index, axis=0)
    lay = conv.layout
    if lay.dense:
        return flat.reshape(-1, lay.out_height, lay.out_width)
    return flat.reshape(-1, lay.rows, lay.stride)[:, : lay.out_height, : lay.out_width]


def response_patch(
    digit: ArrayLike,
    kernel_shape: tuple[int, int],
    row: int,
    col: int,
    mode: str = "full",
    flip: bool = True,
) -> NDArray:
    """The pixels under the kernel for one output pixel (zeros where it hangs over the edge).

    ``(response_patch(x, k.shape, r, c, mode, flip) * applied).sum()`` equals
    ``conv2d(x, k, mode, flip)[r, c]``, where ``applied`` is the kernel as it
    is laid on the image: ``k[::-1, ::-1]`` (rotated 180°) for true
    convolution, ``k`` itself for cross-correlation.

    Parameters
    ----------
    digit : (H, W) array
    kernel_shape : (kh, kw)
    row, col : position in the output of :func:`conv2d` for that ``mode``
    mode : {"full", "same", "valid"}
    flip : bool

    Returns
    -------
    (kh, kw) float64 array

    Examples
    --------
    >>> x = np.arange(9.0).reshape(3, 3)
    >>> response_patch(x, (3, 3), 0, 0)          # full mode: mostly padding
    array([[0., 0., 0.],
           [0., 0., 0.],
           [0., 0., 0.]])
    >>> response_patch(x, (3, 3), 2, 2)
    array([[0., 1., 2.],
           [3., 4., 5.],
           [6., 7., 8.]])
    """
    x = as_finite_array(digit, "digit", ndims=(2,))
    kh, kw = (int(v) for v in kernel_shape)
    out_h, out_w = conv2d_output_shape(x.shape, (kh, kw), mode)
    if not (0 <= row < out_h and 0 <= col < out_w):
        raise ValueError(f"pixel ({row}, {col}) is outside the {out_h}×{out_w} response")
    top, bottom = conv2d_padding(kh, mode, flip)
    left, right = conv2d_padding(kw, mode, flip)
    padded = np.pad(x, ((top, bottom), (left, right)))
    return padded[row : row + kh, col : col + kw].copy()


def recenter_digit(img: ArrayLike) -> NDArray:
    """Shift a drawn digit so its centre of mass is the image centre (as MNIST did).

    The shift is a whole number of pixels; what is pushed over an edge is
    lost and the vacated pixels become 0. An empty image is returned unchanged.

    Parameters
    ----------
    img : (H, W) array of non-negative ink values

    Returns
    -------
    (H, W) float64 array

    Examples
    --------
    >>> img = np.zeros((5, 5)); img[0, 0] = 1
    >>> np.argwhere(recenter_digit(img)).tolist()
    [[2, 2]]
    """
    x = as_finite_array(img, "digit", ndims=(2,))
    total = x.sum()
    if total <= 0:
        return x.copy()
    h, w = x.shape
    rows, cols = np.indices(x.shape)
    dy = round(float((h - 1) / 2 - (rows * x).sum() / total))
    dx = round(float((w - 1) / 2 - (cols * x).sum() / total))
    out = np.zeros_like(x)
    src = x[max(0, -dy) : h - max(0, dy), max(0, -dx) : w - max(0, dx)]
    out[max(0, dy) : max(0, dy) + src.shape[0], max(0, dx) : max(0, dx) + src.shape[1]] = src
    return out
