"""1-D convolution and cross-correlation, output sizes, padding, and the weight Jacobian.

Conventions
-----------
``flip=False`` (the default) is **cross-correlation**, what deep-learning libraries
call "convolution" and what the notebook's ``_convolve`` computes::

    z_i = sum_j w_j * xp[i*stride + j*dilation]

where ``xp`` is the padded signal. ``flip=True`` is **true convolution**
(the kernel reversed, ``(x * w)[i] = sum_j w_j x[i - j]``), which matches
``numpy.convolve`` and ``scipy.signal.convolve`` in all three modes.

Modes (``span = dilation * (k - 1)`` is the width the kernel covers, minus one):

``valid``
    no padding; the kernel must fit inside the signal.
``full``
    ``span`` samples of padding on both sides.
``same``
    ``span`` samples of padding in total, so that the output has the signal's
    length at stride 1. Cross-correlation puts the smaller half on the left
    (like PyTorch and TensorFlow); true convolution mirrors that (the larger
    half on the left), like ``numpy.convolve``.

Padding modes (PyTorch's meanings) for the padded samples:
``zeros`` (0), ``reflect`` (mirror without repeating the edge: ``x1 x0 | x0 x1 x2``
becomes ``x2 x1 | x0 x1 x2``; the padding must be shorter than the signal),
``replicate`` (repeat the edge sample), ``circular`` (wrap around).

Where each tap lands, padding amounts and output lengths are in
:mod:`convlab.core.conv1d_geometry`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .conv1d_geometry import (
    MODES,
    PADDING_MODES,
    _check_geometry,
    _check_reflect,
    output_length,
    padding_amounts,
    receptive_field,
    source_index,
)
from .validation import as_finite_array, check_choice, check_positive_int

__all__ = ["Conv1dSettings", "conv1d", "conv1d_weight_jacobian"]

# Output samples computed per block of the blocked Toeplitz product, and the
# number of doubles one tile may hold: small enough to stay in cache and for
# OpenBLAS to run each product on one thread (its threads busy-wait, which is
# many times slower when another program keeps a core busy).
_BLOCK = 16
_CHUNK_DOUBLES = 1 << 14
# Kernels this short are summed tap by tap within a tile instead (cheaper than
# the Toeplitz product's zeros when there are so few taps).
_TAP_SUM_MAX_TAPS = 4


def _prepare(
    x: ArrayLike, k: int, mode: str, stride: int, dilation: int, padding_mode: str
) -> tuple[NDArray[np.float64], int, int]:
    """Validate the common arguments; return x and the output length."""
    x = as_finite_array(x, "x (the signal)", ndims=(1, 2))
    n = x.shape[-1]
    n, k, stride, dilation = _check_geometry(n, k, mode, stride, dilation)
    check_choice(padding_mode, "padding_mode", PADDING_MODES)
    return x, n, output_length(n, k, mode, stride, dilation)


def conv1d(
    x: ArrayLike,
    w: ArrayLike,
    mode: str = "valid",
    flip: bool = False,
    stride: int = 1,
    dilation: int = 1,
    padding_mode: str = "zeros",
) -> NDArray[np.float64]:
    """Cross-correlate (default) or convolve a signal, or a batch of signals, with a kernel.

    ``flip=False``: ``z_i = sum_j w_j * xp[i*stride + j*dilation]`` (deep learning's
    "convolution", the notebook's ``_convolve``). ``flip=True``: true convolution,
    the same with the kernel reversed; equals ``numpy.convolve(x, w, mode)`` at
    stride 1 and dilation 1 when the kernel is not longer than the signal.

    Parameters
    ----------
    x : array_like, shape (n,) or (batch, n)
        One signal or a batch of signals (the notebook's ``convolve(X, w)``).
    w : array_like, shape (k,)
        The kernel.
    mode : {"valid", "same", "full"}
        How much padding (see the module docstring).
    flip : bool
        ``True`` for true convolution, ``False`` for cross-correlation.
    stride : int
        Keep every ``stride``-th output, starting with the first.
    dilation : int
        Spacing between the samples the taps read.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}
        What the padded samples hold.

    Returns
    -------
    ndarray, shape (m,) or (batch, m)
        ``m = output_length(n, k, mode, stride, dilation)``; ``m = 0`` when the
        kernel does not fit (valid mode).

    Raises
    ------
    ValueError
        Empty or non-finite input, arrays of the wrong dimension, stride or
        dilation below 1, an unknown mode or padding mode, reflect padding as
        long as the signal.

    Examples
    --------
    >>> conv1d([1, 2, 4, 7], [1, -1]).tolist()          # x_i - x_{i+1}
    [-1.0, -2.0, -3.0]
    >>> conv1d([1, 2, 4, 7], [1, -1], flip=True).tolist()  # x_{i+1} - x_i
    [1.0, 2.0, 3.0]
    >>> conv1d([1, 2, 3], [1, 1], mode="full").tolist()
    [1.0, 3.0, 5.0, 3.0]
    >>> conv1d([[1, 2, 3], [0, 0, 1]], [1, 2]).tolist()
    [[5.0, 8.0], [0.0, 2.0]]
    """
    w = as_finite_array(w, "w (the kernel)", ndims=(1,))
    x, n, m = _prepare(x, w.size, mode, stride, dilation, padding_mode)
    k = w.size
    left, right = padding_amounts(n, k, mode, flip, dilation)
    _check_reflect(n, left, right, padding_mode)
    x2 = x.reshape(-1, n)
    out = np.zeros((x2.shape[0], m))
    if m:
        kernel = w[::-1] if flip else w
        _correlate_blocked(x2, kernel, left, right, padding_mode, stride, dilation, out)
    return out.reshape((*x.shape[:-1], m))


def _correlate_blocked(
    x: NDArray[np.float64],
    w: NDArray[np.float64],
    left: int,
    right: int,
    padding_mode: str,
    stride: int,
    dilation: int,
    out: NDArray[np.float64],
) -> None:
    """``out[b, i] = sum_j w_j xp[b, i*stride + j*dilation]``, as blocked Toeplitz products.

    The outputs are cut in blocks of ``B`` consecutive samples. Block ``c`` reads
    the padded input from ``c*B*stride`` over ``s*(B-1) + span + 1`` samples, so
    it is that stretch times a small banded (Toeplitz) matrix ``T`` holding the
    kernel. The work is done tile by tile (some rows, some blocks of a row, about
    ``_CHUNK_DOUBLES`` samples, so a tile stays in cache): the tile's padded input
    is copied into a buffer laid out as blocks of ``B*stride`` samples; a stretch
    spans ``Q`` consecutive blocks, so all output blocks of the tile are
    ``sum_q blocks[q:] @ T_q`` -- a few BLAS matrix products instead of a Python
    loop over signals or a pass over the whole batch per tap. Blocks that would
    read into the next row of the buffer are beyond the tile's outputs and dropped.

    Kernels of at most ``_TAP_SUM_MAX_TAPS`` taps skip the products: each tile's
    output is summed tap by tap from the same buffer.
    """
    batch, n = x.shape
    m = out.shape[1]
    k = w.size
    span = dilation * (k - 1)
    block = min(_BLOCK, m)
    block_in = block * stride
    n_blocks = -(-m // block)
    stretch = stride * (block - 1) + span + 1
    q_blocks = -(-stretch // block_in)

    tap_sum = k <= _TAP_SUM_MAX_TAPS
    if not tap_sum:
        toeplitz = np.zeros((q_blocks * block_in, block))
        out_cols = np.arange(block)[:, None]
        toeplitz[out_cols * stride + np.arange(k) * dilation, out_cols] = w
        last_rows = stretch - (q_blocks - 1) * block_in
        parts = [toeplitz[q * block_in : (q + 1) * block_in] for q in range(q_blocks)]
        parts[-1] = np.ascontiguousarray(parts[-1][:last_rows])

    # A tile: `rows` signals times `seg` output blocks, reading `tile_blocks` input blocks.
    seg = max(1, min(n_blocks, _CHUNK_DOUBLES // block_in - (q_blocks - 1)))
    tile_blocks = seg + q_blocks - 1
    tile_width = tile_blocks * block_in
    rows = max(1, min(batch, _CHUNK_DOUBLES // tile_width))
    padded_len = n + left + right

    # Per column segment: where the real samples sit in the tile (a slice copy)
    # and which padding samples it holds (a gather; -1 marks a zero).
    segments = []
    for c0 in range(0, n_blocks, seg):
        p0 = c0 * block_in  # first padded column of the segment
        p1 = min(p0 + tile_width, padded_len)
        body0, body1 = min(max(p0, left), p1), max(min(p1, left + n), p0)
        pad_cols = np.concatenate([np.arange(p0, body0), np.arange(max(body1, body0), p1)])
        pad_src = source_index(pad_cols - left, n, padding_mode)
        segments.append((c0 * block, min((c0 + seg) * block, m), body0 - p0, body1 - p0,
                         body0 - left, pad_cols - p0, np.maximum(pad_src, 0), pad_src < 0))
    # Columns of the buffer past the padded signal keep old (finite) values:
    # they only meet zeros of T, or feed outputs that are dropped.
    buf = np.zeros((rows, tile_width))
    prod = np.empty((rows * tile_blocks, block))
    tmp = np.empty_like(prod)
    for o0, o1, b0, b1, x0, pad_cols, pad_src, pad_zero in segments:
        for r0 in range(0, batch, rows):
            nr = min(rows, batch - r0)
            xc = x[r0 : r0 + nr]
            view = buf[:nr]
            view[:, b0:b1] = xc[:, x0 : x0 + b1 - b0]
            if pad_cols.size:
                fill = xc[:, pad_src]
                fill[:, pad_zero] = 0.0
                view[:, pad_cols] = fill
            if tap_sum:
                dest = out[r0 : r0 + nr, o0:o1]
                reach = stride * (o1 - o0 - 1) + 1
                term = tmp.reshape(-1)[: dest.size].reshape(dest.shape)
                np.multiply(view[:, :reach:stride], w[0], out=dest)
                for j in range(1, k):
                    np.multiply(view[:, j * dilation : j * dilation + reach : stride], w[j],
                                out=term)
                    dest += term
                continue
            flat = view.reshape(nr * tile_blocks, block_in)
            n_rows = nr * tile_blocks - (q_blocks - 1)
            acc = prod[:n_rows]
            for q, part in enumerate(parts):
                a = flat[q : q + n_rows, : part.shape[0]]
                np.matmul(a, part, out=tmp[:n_rows] if q else acc)
                if q:
                    acc += tmp[:n_rows]
            out[r0 : r0 + nr, o0:o1] = prod[: nr * tile_blocks].reshape(nr, -1)[:, : o1 - o0]


def conv1d_weight_jacobian(
    x: ArrayLike,
    k: int,
    mode: str = "valid",
    flip: bool = False,
    stride: int = 1,
    dilation: int = 1,
    padding_mode: str = "zeros",
) -> NDArray[np.float64]:
    """Derivative of each output with respect to each kernel tap, ``dz_i/dw_j``.

    The output is linear in ``w``, so ``J[i, j]`` is the sample tap ``j`` multiplies
    for output ``i`` (``x_{i+j}`` in valid cross-correlation, 0 on zero padding),
    and ``conv1d(x, w, ...) == J @ w``.

    Parameters
    ----------
    x : array_like, shape (n,) or (batch, n)
    k : int
        Number of kernel taps.
    mode, flip, stride, dilation, padding_mode
        As for :func:`conv1d`.

    Returns
    -------
    ndarray, shape (m, k) or (batch, m, k)

    Examples
    --------
    >>> conv1d_weight_jacobian([1, 2, 4, 7], 2).tolist()
    [[1.0, 2.0], [2.0, 4.0], [4.0, 7.0]]
    >>> conv1d_weight_jacobian([1, 2, 4], 2, mode="full", flip=True).tolist()
    [[1.0, 0.0], [2.0, 1.0], [4.0, 2.0], [0.0, 4.0]]
    """
    x, n, m = _prepare(x, k, mode, stride, dilation, padding_mode)
    src = receptive_field(np.arange(m), n, k, mode, flip, stride, dilation, padding_mode)
    return np.where(src >= 0, x[..., np.maximum(src, 0)], 0.0)


@dataclass(frozen=True)
class Conv1dSettings:
    """The five settings of a 1-D convolution, held together (checked on creation).

    Everything that takes ``mode, flip, stride, dilation, padding_mode`` can take
    one of these instead: ``settings.conv1d(x, w)``, ``settings.jacobian(x, k)``,
    ``settings.receptive_field(i, n, k)``, ``settings.output_length(n, k)``.

    Examples
    --------
    >>> s = Conv1dSettings(mode="full", flip=True)
    >>> s.conv1d([1, 2, 3], [1, -1]).tolist()      # numpy.convolve([1, 2, 3], [1, -1])
    [1.0, 1.0, 1.0, -3.0]
    >>> s.output_length(3, 2)
    4
    """

    mode: str = "valid"
    flip: bool = False
    stride: int = 1
    dilation: int = 1
    padding_mode: str = "zeros"

    def __post_init__(self) -> None:
        check_choice(self.mode, "mode", MODES)
        check_choice(self.padding_mode, "padding_mode", PADDING_MODES)
        if not isinstance(self.flip, bool):
            raise ValueError(f"flip must be true or false, got {self.flip!r}")
        object.__setattr__(self, "stride", check_positive_int(self.stride, "stride"))
        object.__setattr__(self, "dilation", check_positive_int(self.dilation, "dilation"))

    def as_args(self) -> tuple[str, bool, int, int, str]:
        """``(mode, flip, stride, dilation, padding_mode)``, in the functions' order."""
        return (self.mode, self.flip, self.stride, self.dilation, self.padding_mode)

    def conv1d(self, x: ArrayLike, w: ArrayLike) -> NDArray[np.float64]:
        """:func:`conv1d` with these settings."""
        return conv1d(x, w, *self.as_args())

    def jacobian(self, x: ArrayLike, k: int) -> NDArray[np.float64]:
        """:func:`conv1d_weight_jacobian` with these settings."""
        return conv1d_weight_jacobian(x, k, *self.as_args())

    def receptive_field(self, i: int | ArrayLike, n: int, k: int) -> NDArray[np.intp]:
        """:func:`receptive_field` with these settings."""
        return receptive_field(i, n, k, *self.as_args())

    def output_length(self, n: int, k: int) -> int:
        """:func:`output_length` with these settings."""
        return output_length(n, k, self.mode, self.stride, self.dilation)
