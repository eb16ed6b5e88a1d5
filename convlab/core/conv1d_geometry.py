"""Where a 1-D kernel lands: padding amounts, output lengths, tap positions, padded signals.

Shared conventions (modes, padding modes, positions) are described in
:mod:`convlab.core.conv1d`. Samples are addressed in the signal's own
coordinates: ``0 .. n-1`` are real samples, negative positions and positions
``>= n`` are padding. :func:`window_positions` says where each tap of the kernel
lands for an output, :func:`source_index` which real sample a position reads
(``-1`` for a zero), :func:`receptive_field` both at once.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .validation import as_finite_array, check_choice, check_positive_int

__all__ = [
    "MODES",
    "PADDING_MODES",
    "output_length",
    "pad_signal",
    "padding_amounts",
    "receptive_field",
    "source_index",
    "window_positions",
]

MODES: tuple[str, ...] = ("valid", "same", "full")
PADDING_MODES: tuple[str, ...] = ("zeros", "reflect", "replicate", "circular")


def _check_geometry(
    n: int, k: int, mode: str, stride: int, dilation: int
) -> tuple[int, int, int, int]:
    n = check_positive_int(n, "the signal length n")
    k = check_positive_int(k, "the kernel size k")
    check_choice(mode, "mode", MODES)
    stride = check_positive_int(stride, "stride")
    dilation = check_positive_int(dilation, "dilation")
    return n, k, stride, dilation


def padding_amounts(
    n: int, k: int, mode: str = "valid", flip: bool = False, dilation: int = 1
) -> tuple[int, int]:
    """Samples of padding added on the left and on the right of the signal.

    Parameters
    ----------
    n : int
        Signal length.
    k : int
        Number of kernel taps.
    mode : {"valid", "same", "full"}
    flip : bool
        ``True`` for true convolution: in ``same`` mode the split is mirrored.
    dilation : int
        Spacing between taps.

    Returns
    -------
    (left, right) : tuple of int

    Examples
    --------
    >>> padding_amounts(10, 4, "same")           # PyTorch: smaller half on the left
    (1, 2)
    >>> padding_amounts(10, 4, "same", flip=True)  # numpy.convolve: mirrored
    (2, 1)
    >>> padding_amounts(10, 3, "full", dilation=2)
    (4, 4)
    """
    n, k, _, dilation = _check_geometry(n, k, mode, 1, dilation)
    span = dilation * (k - 1)
    if mode == "valid":
        return 0, 0
    if mode == "full":
        return span, span
    small, large = span // 2, span - span // 2
    return (large, small) if flip else (small, large)


def output_length(
    n: int, k: int, mode: str = "valid", stride: int = 1, dilation: int = 1
) -> int:
    """Number of output samples of :func:`conv1d`.

    ``L = n + (left + right) - dilation·(k-1)`` positions fit; with a stride,
    every ``stride``-th is kept from position 0: ``m = floor((L - 1) / stride) + 1``,
    or ``0`` when the kernel does not fit (``L <= 0``, only possible in valid mode).

    Parameters
    ----------
    n, k : int
        Signal length and number of kernel taps.
    mode : {"valid", "same", "full"}
    stride, dilation : int
        At least 1.

    Returns
    -------
    int

    Examples
    --------
    >>> output_length(5, 2)
    4
    >>> output_length(10, 3, "full", stride=2)
    6
    >>> output_length(3, 5)          # the kernel does not fit
    0
    """
    n, k, stride, dilation = _check_geometry(n, k, mode, stride, dilation)
    left, right = padding_amounts(n, k, mode, False, dilation)
    fit = n + left + right - dilation * (k - 1)
    return 0 if fit <= 0 else (fit - 1) // stride + 1


def source_index(positions: ArrayLike, n: int, padding_mode: str = "zeros") -> NDArray[np.intp]:
    """Which real sample each position of the padded signal reads.

    Parameters
    ----------
    positions : array_like of int, any shape
        Positions in the signal's coordinates (``0 .. n-1`` real, others padding).
    n : int
        Signal length.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}

    Returns
    -------
    ndarray of int, same shape as ``positions``
        The index in ``0 .. n-1`` whose value the position holds, or ``-1``
        where the padding is a zero.

    Raises
    ------
    ValueError
        For reflect padding reaching ``n`` or more samples beyond an edge.

    Examples
    --------
    >>> p = [-2, -1, 0, 1, 2, 3, 4]
    >>> source_index(p, 3, "zeros").tolist()
    [-1, -1, 0, 1, 2, -1, -1]
    >>> source_index(p, 3, "reflect").tolist()
    [2, 1, 0, 1, 2, 1, 0]
    >>> source_index(p, 3, "replicate").tolist()
    [0, 0, 0, 1, 2, 2, 2]
    >>> source_index(p, 3, "circular").tolist()
    [1, 2, 0, 1, 2, 0, 1]
    """
    n = check_positive_int(n, "the signal length n")
    check_choice(padding_mode, "padding_mode", PADDING_MODES)
    p = np.asarray(positions, dtype=np.intp)
    inside = (p >= 0) & (p < n)
    if padding_mode == "zeros":
        return np.where(inside, p, -1)
    if padding_mode == "replicate":
        return np.clip(p, 0, n - 1)
    if padding_mode == "circular":
        return np.mod(p, n)
    if p.size and (p.min() <= -n or p.max() >= 2 * n - 1):
        reach = max(-int(p.min()), int(p.max()) - (n - 1))
        raise ValueError(
            f"reflect padding needs fewer padded samples than the signal has: "
            f"{reach} needed beyond an edge of a signal of length {n}. "
            "Use a longer signal, a smaller kernel/dilation, or another padding mode."
        )
    return np.where(p < 0, -p, np.where(p >= n, 2 * (n - 1) - p, p))


def _check_reflect(n: int, left: int, right: int, padding_mode: str) -> None:
    if padding_mode == "reflect" and max(left, right) >= n:
        raise ValueError(
            f"reflect padding of {max(left, right)} samples needs a signal longer than that, "
            f"but it has {n} samples. Use a longer signal, a smaller kernel/dilation, "
            "or another padding mode."
        )


def pad_signal(
    x: ArrayLike, left: int, right: int, padding_mode: str = "zeros"
) -> NDArray[np.float64]:
    """Pad a signal (or each signal of a batch) on the left and right.

    Parameters
    ----------
    x : array_like, shape (n,) or (batch, n)
    left, right : int
        Samples to add on each side (>= 0).
    padding_mode : {"zeros", "reflect", "replicate", "circular"}

    Returns
    -------
    ndarray, shape (n + left + right,) or (batch, n + left + right)

    Examples
    --------
    >>> pad_signal([1, 2, 3], 2, 1, "reflect").tolist()
    [3.0, 2.0, 1.0, 2.0, 3.0, 2.0]
    >>> pad_signal([1, 2, 3], 1, 2, "circular").tolist()
    [3.0, 1.0, 2.0, 3.0, 1.0, 2.0]
    """
    x = as_finite_array(x, "x (the signal)", ndims=(1, 2))
    left = check_positive_int(left, "left padding", minimum=0)
    right = check_positive_int(right, "right padding", minimum=0)
    n = x.shape[-1]
    _check_reflect(n, left, right, padding_mode)
    src = source_index(np.arange(-left, n + right), n, padding_mode)
    return np.where(src >= 0, x[..., np.maximum(src, 0)], 0.0)


def window_positions(
    i: int | ArrayLike,
    n: int,
    k: int,
    mode: str = "valid",
    flip: bool = False,
    stride: int = 1,
    dilation: int = 1,
) -> NDArray[np.intp]:
    """Where each kernel tap lands on the signal for output ``z_i``.

    Parameters
    ----------
    i : int or array_like of int, shape (p,)
        Output index or indices, ``0 <= i < output_length(...)``.
    n, k : int
        Signal length and number of taps.
    mode, flip, stride, dilation
        As for :func:`conv1d`.

    Returns
    -------
    ndarray of int, shape (k,) or (p, k)
        Entry ``j`` is the position (signal coordinates; negative or ``>= n`` is
        padding) of the sample that tap ``w_j`` multiplies.

    Raises
    ------
    ValueError
        If ``i`` is not a valid output index.

    Examples
    --------
    >>> window_positions(2, 6, 3).tolist()                # valid cross-correlation
    [2, 3, 4]
    >>> window_positions(0, 6, 3, flip=True).tolist()     # reversed kernel
    [2, 1, 0]
    >>> window_positions(0, 6, 3, "full").tolist()
    [-2, -1, 0]
    >>> window_positions(1, 9, 3, stride=2, dilation=3).tolist()
    [2, 5, 8]
    """
    n, k, stride, dilation = _check_geometry(n, k, mode, stride, dilation)
    m = output_length(n, k, mode, stride, dilation)
    idx = np.asarray(i)
    if not np.issubdtype(idx.dtype, np.integer) or idx.ndim > 1:
        raise ValueError(f"the output index i must be a whole number or a 1-D list, got {i!r}")
    if idx.size and (idx.min() < 0 or idx.max() >= m):
        raise ValueError(f"output index {i!r} is out of range: this output has {m} samples")
    left = padding_amounts(n, k, mode, flip, dilation)[0]
    taps = np.arange(k)
    if flip:
        taps = taps[::-1]
    return (idx[..., None] * stride + taps * dilation - left).astype(np.intp)


def receptive_field(
    i: int | ArrayLike,
    n: int,
    k: int,
    mode: str = "valid",
    flip: bool = False,
    stride: int = 1,
    dilation: int = 1,
    padding_mode: str = "zeros",
) -> NDArray[np.intp]:
    """The input samples output ``z_i`` reads, tap by tap.

    Parameters
    ----------
    i : int or array_like of int, shape (p,)
        Output index or indices.
    n, k, mode, flip, stride, dilation, padding_mode
        As for :func:`conv1d`.

    Returns
    -------
    ndarray of int, shape (k,) or (p, k)
        Entry ``j`` is the index into ``x`` whose value tap ``w_j`` multiplies,
        or ``-1`` when it multiplies a zero of the padding. With reflect,
        replicate or circular padding a padded sample is a copy of a real one
        and its index is given. :func:`window_positions` gives where the taps sit.

    Examples
    --------
    >>> receptive_field(0, 5, 3, "same").tolist()
    [-1, 0, 1]
    >>> receptive_field(0, 5, 3, "same", padding_mode="replicate").tolist()
    [0, 0, 1]
    """
    check_choice(padding_mode, "padding_mode", PADDING_MODES)
    pos = window_positions(i, n, k, mode, flip, stride, dilation)
    left, right = padding_amounts(n, k, mode, flip, dilation)
    _check_reflect(n, left, right, padding_mode)
    return source_index(pos, n, padding_mode)
