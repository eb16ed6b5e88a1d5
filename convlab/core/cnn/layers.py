"""The layers of ConvLab's convolutional network: Conv2D, ReLU, pooling, Flatten, Dense.

Meanings, shapes and parameter layouts are PyTorch's, so numbers carry over:

==============  ===============================  ==========================================
layer           parameters                       output size (floor mode, like PyTorch)
==============  ===============================  ==========================================
Conv2D          weight (out, in, k, k), bias     ``(H + 2·padding − k) // stride + 1``
                (out,); cross-correlation
MaxPool2D       –                                ``(H − size) // stride + 1``
AvgPool2D       –                                as MaxPool2D
Flatten         –                                ``C·H·W`` features in C, H, W order
Dense           weight (out, in), bias (out,)    ``out`` features
==============  ===============================  ==========================================

How it is fast
--------------
Inside the network, image-shaped activations are **channel-major**,
``(C, N, H, W)`` (the public API takes and returns PyTorch's ``(N, C, H, W)``),
possibly as strided views:

* a stride-1 convolution copies its padded input once into a
  ``(C·k, rows·N·OW)`` matrix — an im2col over the kernel's *columns* only,
  its columns ordered rows first, across images — and makes the output by one
  product per kernel *row*, each reading a contiguous range of columns, a few
  output rows at a time while they are in cache; the output is ``(out, OH, N,
  OW)`` memory handed on as an ``(out, N, OH, OW)`` view, and the weight
  gradient takes the same ranges (other strides: a full im2col, one strided
  copy into ``(C·k·k, N·OH·OW)``, by blocks of images);
* its input gradient is a correlation of the padded output gradient with the
  flipped kernels, by one image at a time (whole padded rows as the copy's runs);
* a convolution before a pooling that drops its last rows or columns (floor
  mode) does not compute them;
* pooling takes element-wise maxima of strided views, or, when the argmax must
  be kept, of window-major copies whose taps are contiguous; a ReLU before a
  max pooling is applied to the pooled values; the backward pass routes each
  gradient to the first maximum of its window, as PyTorch's CPU kernel does;
* every layer reuses its buffers from one batch to the next (one set for
  training, one for inference, so an evaluation between a forward and a
  backward pass changes nothing); BLAS runs on one thread.

Every layer works in the dtype of its parameters (float32 for training,
float64 for the gradient check).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.lib.stride_tricks import as_strided
from numpy.typing import NDArray

__all__ = [
    "AvgPool2D",
    "Conv2D",
    "Dense",
    "Flatten",
    "Layer",
    "MaxPool2D",
    "ReLU",
    "conv_output_size",
    "pool_output_size",
]

Shape = tuple[int, ...]

#: Bytes of the im2col matrix per block in the weight-gradient product: a block
#: of ``cols`` then stays in cache (measured: 3× faster for 3×3 kernels).
_DW_BLOCK_BYTES = 384 * 1024
#: Bytes of im2col columns per block of images in a convolution's forward pass and
#: input gradient: the copy and the product that reads it stay in the core's cache.
_BLOCK_BYTES = 320 * 1024


class ShapeError(ValueError):
    """A layer cannot take the shape it is given (the model adds the layer number)."""


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Output length of a convolution along one axis, as ``torch.nn.Conv2d``.

    ``(size + 2·padding − kernel) // stride + 1``; raises :class:`ValueError`
    when the kernel does not fit.

    >>> conv_output_size(28, 3), conv_output_size(28, 5, padding=2), conv_output_size(7, 2, 2)
    (26, 28, 3)
    """
    span = size + 2 * padding
    if kernel > span:
        padded = f" padded by {padding} to {span}×{span}" if padding else ""
        raise ShapeError(f"kernel {kernel} does not fit a {size}×{size} input{padded}")
    return (span - kernel) // stride + 1


def pool_output_size(size: int, window: int, stride: int) -> int:
    """Output length of pooling along one axis (floor mode, no padding), as ``MaxPool2d``.

    >>> pool_output_size(26, 2, 2), pool_output_size(14, 3, 3)
    (13, 4)
    """
    if window > size:
        raise ShapeError(f"pooling window {window} does not fit a {size}×{size} input")
    return (size - window) // stride + 1


def _window_views(x: NDArray, k: int, stride: int, oh: int, ow: int) -> list[NDArray]:
    """The ``k·k`` strided views ``x[:, :, i::stride, j::stride]`` cut to ``(oh, ow)``."""
    return [
        x[:, :, i : i + stride * (oh - 1) + 1 : stride, j : j + stride * (ow - 1) + 1 : stride]
        for i in range(k)
        for j in range(k)
    ]


class Layer:
    """Base class. Subclasses define the shape rule, forward and backward.

    Attributes
    ----------
    params, grads : dict name → array
        ``"weight"``/``"bias"`` for layers with parameters (the model prefixes
        the layer's index: ``"0.weight"``). ``grads`` are written by
        :meth:`backward`; a frozen layer's stay as they were (zeros).
    frozen : bool
        A frozen layer's parameters are not trained: no gradient is computed
        for them and optimizers skip them.
    """

    #: Name in architecture descriptions (``{"type": "conv2d", …}``).
    kind: ClassVar[str] = ""
    #: How the editor shows the type.
    title: ClassVar[str] = ""

    def __init__(self) -> None:
        self.params: dict[str, NDArray] = {}
        self.grads: dict[str, NDArray] = {}
        self.frozen = False
        self._buffers: tuple[dict[str, NDArray], dict[str, NDArray]] = ({}, {})

    # -- description ------------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """The layer's settings as JSON-safe values (``type`` included)."""
        return {"type": self.kind}

    def __repr__(self) -> str:
        args = [str(v) for k, v in self.config().items() if k not in ("type", "frozen", "init")]
        return f"{self.title}({', '.join(args)})"

    def output_shape(self, shape: Shape) -> Shape:
        """The per-example output shape for a per-example input shape.

        ``(C, H, W)`` for images, ``(F,)`` for features. Raises
        :class:`ValueError` with a student-readable reason if it does not fit.
        """
        return shape

    @property
    def n_params(self) -> int:
        """Number of parameters (weights and biases)."""
        return int(sum(p.size for p in self.params.values()))

    # -- computation --------------------------------------------------------------------------
    def _buffer(self, train: bool, name: str, shape: Shape, dtype: Any, zero: bool = False
                ) -> NDArray:
        """A reusable array (zeros when new): the same one while shape and dtype stay the same."""
        store = self._buffers[train]
        buf = store.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = np.zeros(shape, dtype)
            store[name] = buf
        elif zero:
            buf.fill(0)
        return buf

    def release(self) -> None:
        """Free the reusable buffers and cached activations."""
        self._buffers = ({}, {})

    def forward(self, x: NDArray, train: bool, inplace: bool = False) -> NDArray:
        """Output for a channel-major batch ``x``; ``train`` keeps what :meth:`backward` needs.

        ``inplace`` allows overwriting ``x`` (the model allows it when nothing
        else needs it).
        """
        raise NotImplementedError

    def backward(self, dy: NDArray, need_dx: bool) -> NDArray | None:
        """Gradients of the parameters (into :attr:`grads`) and, if asked, of the input."""
        raise NotImplementedError


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ShapeError(f"{name} must be a whole number, got {value!r}")
    if value < minimum:
        raise ShapeError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


class Conv2D(Layer):
    """2-D cross-correlation (what deep-learning libraries call convolution), ``torch.nn.Conv2d``.

    ``y[n, o, r, c] = b[o] + Σ_{i,u,v} w[o, i, u, v] · x[n, i, r·s + u − p, c·s + v − p]``
    (zeros outside the image).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int
        Square ``k × k`` kernels.
    stride, padding : int
        As ``torch.nn.Conv2d`` (zero padding on all four sides).
    """

    kind = "conv2d"
    title = "Conv2D"

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0, dtype: Any = np.float32):
        super().__init__()
        self.in_channels = _check_int(in_channels, "in_channels", 1)
        self.out_channels = _check_int(out_channels, "out_channels", 1)
        self.kernel_size = _check_int(kernel_size, "kernel_size", 1)
        self.stride = _check_int(stride, "stride", 1)
        self.padding = _check_int(padding, "padding", 0)
        k = self.kernel_size
        self.params = {"weight": np.zeros((self.out_channels, self.in_channels, k, k), dtype),
                       "bias": np.zeros(self.out_channels, dtype)}
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        self._cols: NDArray | None = None
        self._row_cols: NDArray | None = None
        self._in_shape: Shape = ()
        self._full_out: tuple[int, int] = (0, 0)

    def config(self) -> dict[str, Any]:
        return {"type": self.kind, "in_channels": self.in_channels,
                "out_channels": self.out_channels, "kernel_size": self.kernel_size,
                "stride": self.stride, "padding": self.padding}

    def release(self) -> None:
        super().release()
        self._cols = self._row_cols = None

    def __repr__(self) -> str:
        extra = "".join(f", {k}={getattr(self, k)}" for k, default in (("stride", 1),
                        ("padding", 0)) if getattr(self, k) != default)
        return f"Conv2D({self.in_channels}, {self.out_channels}, {self.kernel_size}{extra})"

    def output_shape(self, shape: Shape) -> Shape:
        c, h, w = _image_shape(shape, "Conv2D")
        if c != self.in_channels:
            raise ShapeError(f"Conv2D expects {self.in_channels} input channel"
                             f"{'s' if self.in_channels != 1 else ''} but gets {c}")
        oh = conv_output_size(h, self.kernel_size, self.stride, self.padding)
        ow = conv_output_size(w, self.kernel_size, self.stride, self.padding)
        return (self.out_channels, oh, ow)

    def forward(self, x: NDArray, train: bool, inplace: bool = False,
                crop: tuple[int, int] | None = None) -> NDArray:
        """Output ``(out, N, OH, OW)`` for a channel-major batch ``x (in, N, H, W)``.

        ``crop = (rows, cols)`` computes only the first rows and columns of the
        output: the model passes it when a pooling that follows drops the others
        (floor mode: ``MaxPool2D(3)`` reads 12 of 14). The output is then
        ``(out, N, rows, cols)``, and :meth:`backward` takes a gradient of that
        shape (the dropped outputs have zero gradient).
        """
        c, n, h, w = x.shape
        k, s, p = self.kernel_size, self.stride, self.padding
        o = self.out_channels
        weight = self.params["weight"]
        dtype = weight.dtype
        if p:
            # new buffers start at zero and only the inside is written: the border stays 0
            xp = self._buffer(train, "padded", (c, n, h + 2 * p, w + 2 * p), dtype)
            xp[:, :, p : p + h, p : p + w] = x
        else:
            xp = x
        oh = (h + 2 * p - k) // s + 1
        ow = (w + 2 * p - k) // s + 1
        full = (oh, ow)
        if crop is not None:
            oh, ow = min(oh, crop[0]), min(ow, crop[1])
        if train:
            self._in_shape = (c, n, h, w)
            self._full_out = full
        if s == 1:
            return self._forward_row_taps(xp, train, oh, ow)
        # im2col as strided copies: cols[(i, u, v), (n, r, c)] = xp[i, n, r·s + u, c·s + v],
        # a block of images at a time, each block multiplied while it is still in cache
        sc, sn, sh, sw = xp.strides
        nb = _images_per_block(c * k * k * oh * ow * np.dtype(dtype).itemsize, n)
        if train:  # backward needs every column (the weight gradient)
            cols = self._buffer(train, "cols", (c, k, k, n, oh, ow), dtype)
        else:
            cols = self._buffer(train, "cols", (c, k, k, nb, oh, ow), dtype)
        out = self._buffer(train, "out", (o, n, oh, ow), dtype)
        weight2 = weight.reshape(o, -1)
        bias = self.params["bias"][:, None]
        view = as_strided(xp, (c, k, k, n, oh, ow), (sc, sh, sw, sn, sh * s, sw * s),
                          writeable=False)
        for start in range(0, n, nb):
            m = min(nb, n - start)
            block = cols[:, :, :, start : start + m] if train else cols[:, :, :, :m]
            np.copyto(block, view[:, :, :, start : start + m], casting="same_kind")
            out_block = out[:, start : start + m].reshape(o, m * oh * ow)
            np.matmul(weight2, block.reshape(c * k * k, m * oh * ow), out=out_block)
            out_block += bias
        if train:
            self._cols = cols.reshape(c * k * k, n * oh * ow)
            self._row_cols = None
        return out

    def _forward_row_taps(self, xp: NDArray, train: bool, oh: int, ow: int) -> NDArray:
        """Stride 1: the output by :meth:`_row_taps` (a transposed view ``(out, N, OH, OW)``)."""
        weight = self.params["weight"]
        taps = self._buffer(train, "row_weights", (self.kernel_size, *weight.shape[:2],
                                                   self.kernel_size), weight.dtype)
        np.copyto(taps, weight.transpose(2, 0, 1, 3))
        out, cols2 = self._row_taps(train, "", xp, taps, oh, ow, self.params["bias"])
        if train:
            self._row_cols = cols2
            self._cols = None
        return out.transpose(0, 2, 1, 3)

    def _row_taps(self, train: bool, name: str, xp: NDArray, taps: NDArray, oh: int, ow: int,
                  bias: NDArray | None) -> tuple[NDArray, NDArray]:
        """A stride-1 correlation of a padded batch with ``k × k`` kernels, one product per
        kernel row.

        Parameters
        ----------
        xp : (C, N, ≥ OH + k − 1, ≥ OW + k − 1) array
            The padded input, channel-major.
        taps : (k, O, C, k) array
            ``taps[u] = kernels[:, :, u, :]``.
        oh, ow : int
            The output rows and columns to compute.
        bias : (O,) array or None

        Returns
        -------
        out : (O, OH, N, OW) array
            ``out[o, r, n, c] = bias[o] + Σ_{i,u,v} taps[u, o, i, v] · xp[i, n, r + u, c + v]``.
        cols : (C·k, (OH + k − 1)·N·OW) array
            ``cols[(i, v), (r, n, c)] = xp[i, n, r, c + v]``: an im2col over the kernel's
            columns only (``k`` times fewer copies than a full one), its columns ordered
            rows first, across images. Kernel row ``u`` then reads one contiguous range
            of columns, starting at row ``u``, so ``out = Σ_u taps[u] @ cols[:, rows u…]``
            — and the weight gradient is ``k`` products with the same ranges. Blocks of a
            few output rows keep what they read in cache (measured 1.4–1.8× faster than a
            full im2col for B's convolutions).
        """
        c, n = xp.shape[:2]
        k, o = taps.shape[0], taps.shape[1]
        dtype = taps.dtype
        rows = oh + k - 1
        sc, sn, sh, sw = xp.strides
        cols = self._buffer(train, name + "row_cols", (c, k, rows, n, ow), dtype)
        np.copyto(cols, as_strided(xp, cols.shape, (sc, sw, sh, sn, sw), writeable=False),
                  casting="same_kind")
        out = self._buffer(train, name + "out_rows", (o, oh, n, ow), dtype)
        step = n * ow  # columns per row
        cols2 = cols.reshape(c * k, rows * step)
        out2 = out.reshape(o, oh * step)
        block = max(1, min(oh, _BLOCK_BYTES // (c * k * step * np.dtype(dtype).itemsize)))
        part = self._buffer(train, name + "row_part", (o, block * step), dtype)
        for r0 in range(0, oh, block):
            span = min(block, oh - r0) * step
            out_block = out2[:, r0 * step : r0 * step + span]
            np.matmul(taps[0].reshape(o, c * k), cols2[:, r0 * step : r0 * step + span],
                      out=out_block)
            for u in range(1, k):
                start = (r0 + u) * step
                np.matmul(taps[u].reshape(o, c * k), cols2[:, start : start + span],
                          out=part[:, :span])
                out_block += part[:, :span]
            if bias is not None:
                out_block += bias[:, None]
        return out, cols2

    def _weight_gradient_row_taps(self, dy: NDArray) -> None:
        """``∂L/∂W[:, :, u, :] = Σ_r dy[:, row r] @ cols[:, row r + u].T`` (see :meth:`_row_taps`),
        by blocks of output rows, all kernel rows of a block while its columns are in cache
        (measured 1.7× faster than one product per kernel row)."""
        cols2 = self._row_cols
        assert cols2 is not None
        weight = self.params["weight"]
        o, n, oh, ow = dy.shape
        c, k = self.in_channels, self.kernel_size
        rows_first = dy.transpose(0, 2, 1, 3)  # (out, OH, N, OW): the forward pass's order
        if not rows_first.flags.c_contiguous:
            buf = self._buffer(True, "dy_rows", rows_first.shape, weight.dtype)
            np.copyto(buf, rows_first)
            rows_first = buf
        dy2 = rows_first.reshape(o, -1)
        step = n * ow
        block = max(1, min(oh, _BLOCK_BYTES // (c * k * step * weight.itemsize)))
        acc = self._buffer(True, "gw_rows", (k, c * k, o), weight.dtype)
        part = self._buffer(True, "gw_part", (c * k, o), weight.dtype)
        for r0 in range(0, oh, block):
            span = min(block, oh - r0) * step
            d = dy2[:, r0 * step : r0 * step + span].T
            for u in range(k):
                start = (r0 + u) * step
                np.matmul(cols2[:, start : start + span], d, out=acc[u] if r0 == 0 else part)
                if r0:
                    acc[u] += part
        # acc[u, (i, v), o] → grad[o, i, u, v]
        np.copyto(self.grads["weight"], acc.reshape(k, c, k, o).transpose(3, 1, 0, 2))
        np.sum(dy2, axis=1, out=self.grads["bias"])

    def backward(self, dy: NDArray, need_dx: bool) -> NDArray | None:
        if self._cols is None and self._row_cols is None:
            raise RuntimeError("backward before a training forward pass")
        weight = self.params["weight"]
        o = self.out_channels
        if self._cols is None:  # stride 1
            if not self.frozen:
                self._weight_gradient_row_taps(dy)
            if not need_dx:
                return None
            if self.padding <= self.kernel_size - 1:
                return self._input_gradient_correlation(dy)
        cols = self._cols
        dy2 = np.ascontiguousarray(dy, dtype=weight.dtype).reshape(o, -1)
        if cols is not None and not self.frozen:
            gw_t = self._buffer(True, "gw_t", (cols.shape[0], o), weight.dtype)
            _gemm_nt_blocked(cols, dy2, gw_t, self._buffer(True, "gw_part", gw_t.shape,
                                                           gw_t.dtype))
            np.copyto(self.grads["weight"].reshape(o, -1), gw_t.T)
            np.sum(dy2, axis=1, out=self.grads["bias"])
        if not need_dx:
            return None
        c, n, h, w = self._in_shape
        k, s, p = self.kernel_size, self.stride, self.padding
        oh, ow = dy.shape[2], dy.shape[3]  # cropped if the forward pass was
        if s == 1 and p <= k - 1:
            return self._input_gradient_correlation(dy)
        dcols = self._buffer(True, "dcols", (c * k * k, dy2.shape[1]), weight.dtype)
        np.matmul(weight.reshape(o, -1).T, dy2, out=dcols)
        dcols6 = dcols.reshape(c, k, k, n, oh, ow)
        dxp = self._buffer(True, "dx", (c, n, h + 2 * p, w + 2 * p), weight.dtype, zero=True)
        # col2im: every tap adds its share back where it was read from
        for u in range(k):
            for v in range(k):
                dxp[:, :, u : u + s * (oh - 1) + 1 : s, v : v + s * (ow - 1) + 1 : s] += \
                    dcols6[:, u, v]
        return dxp[:, :, p : p + h, p : p + w] if p else dxp

    def _input_gradient_correlation(self, dy: NDArray) -> NDArray:
        """``∂L/∂x`` for stride 1: the output gradient, padded by ``k − 1 − p``, correlated with
        the flipped kernels (``(in, out, k, k)``), as a forward convolution is.

        The padded gradient is laid out one image after another, each image a flat
        ``Hq·Wq`` grid (plus ``k`` spare zeros): a tap ``(u, v)`` is then the offset
        ``u·Wq + v``, and a block's im2col is one strided copy whose runs are whole
        rows of ``H·Wq`` values (``dx`` is computed on rows as wide as the padded
        gradient; the ``k − 1`` extra columns of each row are dropped). Blocks of
        images keep the columns in cache between the copy and the product.
        """
        c, n, h, w = self._in_shape
        k, p = self.kernel_size, self.padding
        o, _, rows, cols_used = dy.shape
        oh, ow = self._full_out
        q = k - 1 - p
        hq, wq = oh + 2 * q, ow + 2 * q  # hq − k + 1 == h, wq − k + 1 == w
        weight = self.params["weight"]
        dtype = weight.dtype
        flipped = self._buffer(True, "w_flipped", (c, o, k, k), dtype)
        np.copyto(flipped, weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
        # the frame and the spare entries stay 0: only the inside is written
        dyq = self._buffer(True, "dy_padded", (o, n, hq * wq + k), dtype)
        inside = dyq[:, :, : hq * wq].reshape(o, n, hq, wq)[:, :, q : q + oh, q : q + ow]
        inside[:, :, :rows, :cols_used] = dy
        if rows < oh or cols_used < ow:  # outputs the forward pass did not compute: no gradient
            inside[:, :, rows:] = 0
            inside[:, :, :rows, cols_used:] = 0
        span = h * wq
        nb = _images_per_block(o * k * k * span * np.dtype(dtype).itemsize, n)
        cols = self._buffer(True, "dcols", (o, k, k, nb, span), dtype)
        dx = self._buffer(True, "dx_wide", (c, n, h, wq), dtype)
        so, sn, item = dyq.strides[0], dyq.strides[1], dyq.itemsize
        flipped2 = flipped.reshape(c, o * k * k)
        view = as_strided(dyq, (o, k, k, n, span), (so, wq * item, item, sn, item),
                          writeable=False)
        block2 = cols.reshape(o * k * k, nb * span)
        for start in range(0, n, nb):
            m = min(nb, n - start)
            if m < nb:
                block2 = cols[:, :, :, :m].reshape(o * k * k, m * span)
            np.copyto(cols[:, :, :, :m], view[:, :, :, start : start + m])
            np.matmul(flipped2, block2, out=dx[:, start : start + m].reshape(c, m * span))
        return dx[:, :, :, :w]


def _index_dtype(count: int) -> np.dtype:
    """The smallest unsigned integer type that numbers ``count`` window positions."""
    return np.dtype(np.uint8 if count <= 256 else np.uint16 if count <= 65536 else np.uint32)


def _images_per_block(bytes_per_image: int, n: int) -> int:
    """How many images' im2col columns fit in :data:`_BLOCK_BYTES` (at least 1, at most n)."""
    return max(1, min(n, _BLOCK_BYTES // max(1, bytes_per_image)))


def _gemm_nt_blocked(a: NDArray, b: NDArray, out: NDArray, part: NDArray) -> None:
    """``out = a @ b.T`` for ``a (M, L)``, ``b (K, L)`` with long ``L``, in cache-sized blocks.

    The weight gradient ``cols @ dy.T`` (``M = C·k·k`` rows of columns, ``K`` output
    channels): OpenBLAS is faster with the long im2col matrix on the left than
    ``dy @ cols.T`` (1.3× for ``Conv2D(8, 16, 5)``), and with blocks of ``a`` that
    stay in cache when ``M`` is small (2–4× for 3×3 and 5×5 kernels on one channel).
    """
    length = a.shape[1]
    block = max(2048, _DW_BLOCK_BYTES // max(1, a.shape[0] * a.itemsize))
    if length <= block:
        np.matmul(a, b.T, out=out)
        return
    np.matmul(a[:, :block], b[:, :block].T, out=out)
    for start in range(block, length, block):
        np.matmul(a[:, start : start + block], b[:, start : start + block].T, out=part)
        out += part


class ReLU(Layer):
    """``max(x, 0)``; its gradient passes where the output is positive (as PyTorch)."""

    kind = "relu"
    title = "ReLU"

    def __init__(self) -> None:
        super().__init__()
        self._out: NDArray | None = None
        self._fused = False

    def forward(self, x: NDArray, train: bool, inplace: bool = False) -> NDArray:
        self._fused = False
        out = x if inplace else self._buffer(train, "out", x.shape, x.dtype)
        np.maximum(x, 0, out=out)
        if train:
            self._out = out
        return out

    def pass_to_pool(self, x: NDArray) -> NDArray:
        """Leave ``x`` as it is: the max-pooling that follows applies the ReLU (see MaxPool2D)."""
        self._fused = True
        return x

    def backward(self, dy: NDArray, need_dx: bool) -> NDArray | None:
        if not need_dx:
            return None
        if self._fused:  # the pooling already kept only positive maxima
            return dy
        if self._out is None:
            raise RuntimeError("backward before a training forward pass")
        out = self._out
        dx = self._buffer(True, "dx", out.shape, out.dtype, zero=True)
        np.copyto(dx, dy, where=out > 0)
        return dx


class _Pool(Layer):
    """Shared parts of the pooling layers: window, stride, shapes."""

    def __init__(self, size: int, stride: int | None = None):
        super().__init__()
        self.size = _check_int(size, "size", 1)
        self.stride = self.size if stride is None else _check_int(stride, "stride", 1)
        self._in_shape: Shape = ()

    def config(self) -> dict[str, Any]:
        return {"type": self.kind, "size": self.size, "stride": self.stride}

    def __repr__(self) -> str:
        extra = "" if self.stride == self.size else f", stride={self.stride}"
        return f"{self.title}({self.size}{extra})"

    def output_shape(self, shape: Shape) -> Shape:
        c, h, w = _image_shape(shape, self.title)
        return (c, pool_output_size(h, self.size, self.stride),
                pool_output_size(w, self.size, self.stride))

    def _geometry(self, x: NDArray) -> tuple[int, int]:
        h, w = x.shape[2:]
        return (h - self.size) // self.stride + 1, (w - self.size) // self.stride + 1


class MaxPool2D(_Pool):
    """The largest value of each ``size × size`` window (``torch.nn.MaxPool2d``, floor mode).

    The gradient goes to the first maximum of each window (row by row), as
    PyTorch's CPU kernel does.

    When windows do not overlap (``stride == size``, the usual case) the max
    is taken in two passes — along rows, then along columns of the row maxima
    — with half and a ``size``-th of the work of ``size²`` scattered maxima;
    the first-maximum rule survives the split (a later row only wins if it
    is strictly larger). A ReLU just before is applied here, to the pooled
    values (``max(relu(x)) = relu(max(x))``; where the window's maximum is
    ≤ 0 the gradient is 0 either way), so the full-size ReLU pass is skipped.
    """

    kind = "maxpool2d"
    title = "MaxPool2D"

    def __init__(self, size: int, stride: int | None = None):
        super().__init__(size, stride)
        self._args: list[NDArray] | None = None
        self._relu = False
        self._rows_first = False

    def forward(self, x: NDArray, train: bool, inplace: bool = False, relu: bool = False
                ) -> NDArray:
        c, n = x.shape[:2]
        oh, ow = self._geometry(x)
        k = self.size
        if self.stride == k:
            out = self._separable(x, train, oh, ow)
        else:
            views = _window_views(x, k, self.stride, oh, ow)
            out = self._buffer(train, "out", (c, n, oh, ow), x.dtype)
            np.copyto(out, views[0])
            args = ([self._buffer(train, "arg", out.shape, _index_dtype(k * k), zero=True)]
                    if train else [])
            self._pass(views, out, args[0] if train else None, train)
            if train:
                self._args = args
        if relu:
            np.maximum(out, 0, out=out)
        if train:
            self._in_shape = x.shape
            # a stride-1 Conv2D hands on (C, H, N, W) memory as a (C, N, H, W) view: the
            # window-major backward (size ≥ 3) lays the input gradient out the same way,
            # which that Conv2D reads without a copy (for size 2 the strided writes of the
            # bool-mask backward are slower in that layout than the Conv2D's copy)
            self._rows_first = (self.stride == self.size != 2 and not x.flags.c_contiguous
                                and x.transpose(0, 2, 1, 3).flags.c_contiguous)
            self._relu = relu
            self._out = out
        return out

    def _pass(self, views: list[NDArray], out: NDArray, arg: NDArray | None, train: bool
              ) -> None:
        """``out = max(views)`` in place (``out`` holds ``views[0]``), ``arg`` = first argmax."""
        if arg is None:
            for view in views[1:]:
                np.maximum(out, view, out=out)
            return
        larger = self._buffer(train, f"larger{out.shape}", out.shape, np.bool_)
        winner = self._buffer(train, f"winner{out.shape}", out.shape, arg.dtype)
        for t, view in enumerate(views[1:], 1):
            np.greater(view, out, out=larger)  # strictly: the first maximum wins ties
            # arg = t where larger: t exceeds every earlier index, so a maximum does it
            # (4× faster than copyto(where=))
            np.multiply(larger, arg.dtype.type(t), out=winner)
            np.maximum(arg, winner, out=arg)
            np.maximum(out, view, out=out)

    def _separable(self, x: NDArray, train: bool, oh: int, ow: int) -> NDArray:
        c, n = x.shape[:2]
        k = self.size
        out = self._buffer(train, "out", (c, n, oh, ow), x.dtype)
        if k == 2 and not train:  # values only: rows first, whose pairs are contiguous runs
            rows = self._buffer(train, "rows", (c, n, oh, 2 * ow), x.dtype)
            crop = x[:, :, : 2 * oh, : 2 * ow]
            np.maximum(crop[:, :, 0::2], crop[:, :, 1::2], out=rows)
            np.maximum(rows[..., 0::2], rows[..., 1::2], out=out)
            return out
        if k == 2:  # one comparison per pass, the argmax is two bools: right?, then lower?
            # window-major (see below): the four taps are contiguous slabs (1.4× faster)
            win = self._buffer(train, "windows", (4, c, n, oh, ow), x.dtype)
            np.copyto(win.reshape(2, 2, c, n, oh, ow), self._window_major(x, oh, ow))
            arg_w = self._buffer(train, "arg_w", (c, n, 2 * oh, ow), np.bool_)
            np.greater(win[1], win[0], out=arg_w[:, :, 0::2])  # first row of each window
            np.greater(win[3], win[2], out=arg_w[:, :, 1::2])
            top, bottom = win[0], win[2]  # their row maxima, in place
            np.maximum(top, win[1], out=top)
            np.maximum(bottom, win[3], out=bottom)
            arg_h = self._buffer(train, "arg_h", out.shape, np.bool_)
            np.greater(bottom, top, out=arg_h)  # strictly: the upper row wins ties
            np.maximum(top, bottom, out=out)
            self._args = [arg_w, arg_h]
            return out
        if not train:  # values only: a row pass, then a column pass, on strided views
            crop = x[:, :, : oh * k, : ow * k]
            rows = self._buffer(train, "rows", (c, n, oh * k, ow), x.dtype)
            np.maximum(crop[..., 0::k], crop[..., 1::k], out=rows)
            for j in range(2, k):
                np.maximum(rows, crop[..., j::k], out=rows)
            stacked = rows.reshape(c, n, oh, k, ow)
            np.maximum(stacked[:, :, :, 0], stacked[:, :, :, 1], out=out)
            for i in range(2, k):
                np.maximum(out, stacked[:, :, :, i], out=out)
            return out
        # k ≥ 3, training: strided views of every k-th value make short inner loops (ow
        # values), and keeping the argmax takes 3 passes per tap, so the windows are first
        # copied window-major, (k, k, C, N, OH, OW): each of the k² taps is then one
        # contiguous slab (measured 3–4× faster for MaxPool2D(3) on 16 × 12 × 12)
        win = self._buffer(train, "windows", (k * k, c, n, oh, ow), x.dtype)
        np.copyto(win.reshape(k, k, c, n, oh, ow), self._window_major(x, oh, ow))
        np.copyto(out, win[0])
        arg = (self._buffer(train, "arg", out.shape, _index_dtype(k * k), zero=True) if train
               else None)
        self._pass(list(win), out, arg, train)  # the first maximum in row-major order
        if train:
            self._args = [arg]
        return out

    def _window_major(self, x: NDArray, oh: int, ow: int) -> NDArray:
        """The view ``v[i, j, c, n, r, s] = x[c, n, r·k + i, s·k + j]`` (``stride == size``)."""
        k = self.size
        sc, sn, sh, sw = x.strides
        return as_strided(x, (k, k, x.shape[0], x.shape[1], oh, ow),
                          (sh, sw, sc, sn, k * sh, k * sw), writeable=x.flags.writeable)

    def backward(self, dy: NDArray, need_dx: bool) -> NDArray | None:
        if not need_dx:
            return None
        if self._args is None:
            raise RuntimeError("backward before a training forward pass")
        c, n, h, w = self._in_shape
        oh, ow = dy.shape[2:]
        k = self.size
        if self._relu:  # the fused ReLU: no gradient where the pooled maximum is ≤ 0
            masked = self._buffer(True, "masked", dy.shape, dy.dtype)
            np.multiply(dy, self._out > 0, out=masked)
            dy = masked
        # without overlap every value inside the windows is written below, and the rows and
        # columns the windows leave out (floor mode) are never written: zero since creation
        if self._rows_first:
            dx = self._buffer(True, "dx_rows_first", (c, h, n, w), dy.dtype,
                              zero=self.stride != k).transpose(0, 2, 1, 3)
        else:
            dx = self._buffer(True, "dx", self._in_shape, dy.dtype, zero=self.stride != k)
        chosen = self._buffer(True, "chosen", dy.shape, np.bool_)
        if self.stride != k:
            arg = self._args[0]
            for t, view in enumerate(_window_views(dx, k, self.stride, oh, ow)):
                np.equal(arg, t, out=chosen)
                view += np.where(chosen, dy, 0)
            return dx
        if k == 2:  # d·[second won] to the second, the rest (exactly d or 0) to the first
            arg_w, arg_h = self._args
            rows = self._buffer(True, "drows", arg_w.shape, dy.dtype)
            stacked = rows.reshape(c, n, oh, k, ow)
            crop = dx[:, :, : oh * k, : ow * k]
            np.multiply(dy, arg_h, out=stacked[:, :, :, 1])
            np.subtract(dy, stacked[:, :, :, 1], out=stacked[:, :, :, 0])
            np.multiply(rows, arg_w, out=crop[..., 1::2])
            np.subtract(rows, crop[..., 1::2], out=crop[..., 0::2])
            return dx
        # each tap's share straight into its place (a strided view of dx)
        arg = self._args[0]
        taps = self._window_major(dx, oh, ow)
        for t in range(k * k):
            np.equal(arg, t, out=chosen)
            np.multiply(dy, chosen, out=taps[t // k, t % k])
        return dx


class AvgPool2D(_Pool):
    """The mean of each ``size × size`` window (``torch.nn.AvgPool2d``, floor mode)."""

    kind = "avgpool2d"
    title = "AvgPool2D"

    def forward(self, x: NDArray, train: bool, inplace: bool = False) -> NDArray:
        c, n = x.shape[:2]
        oh, ow = self._geometry(x)
        views = _window_views(x, self.size, self.stride, oh, ow)
        out = self._buffer(train, "out", (c, n, oh, ow), x.dtype)
        np.copyto(out, views[0])
        for view in views[1:]:
            out += view
        out *= out.dtype.type(1.0 / self.size**2)
        if train:
            self._in_shape = x.shape
        return out

    def backward(self, dy: NDArray, need_dx: bool) -> NDArray | None:
        if not need_dx:
            return None
        oh, ow = dy.shape[2:]
        dx = self._buffer(True, "dx", self._in_shape, dy.dtype, zero=True)
        share = self._buffer(True, "share", dy.shape, dy.dtype)
        np.multiply(dy, dy.dtype.type(1.0 / self.size**2), out=share)
        for view in _window_views(dx, self.size, self.stride, oh, ow):
            view += share
        return dx


class Flatten(Layer):
    """Images ``(C, H, W)`` to ``C·H·W`` features in C, H, W order (``torch.nn.Flatten``)."""

    kind = "flatten"
    title = "Flatten"

    def __init__(self) -> None:
        super().__init__()
        self._in_shape: Shape = ()

    def output_shape(self, shape: Shape) -> Shape:
        c, h, w = _image_shape(shape, "Flatten")
        return (c * h * w,)

    def forward(self, x: NDArray, train: bool, inplace: bool = False) -> NDArray:
        c, n, h, w = x.shape
        out = self._buffer(train, "out", (n, c * h * w), x.dtype)
        np.copyto(out.reshape(n, c, h, w), x.transpose(1, 0, 2, 3))
        if train:
            self._in_shape = x.shape
        return out

    def backward(self, dy: NDArray, need_dx: bool) -> NDArray | None:
        if not need_dx:
            return None
        c, n, h, w = self._in_shape
        return dy.reshape(n, c, h, w).transpose(1, 0, 2, 3)


class Dense(Layer):
    """Fully connected: ``y = x @ weight.T + bias`` (``torch.nn.Linear``).

    Parameters
    ----------
    in_features, out_features : int
    """

    kind = "dense"
    title = "Dense"

    def __init__(self, in_features: int, out_features: int, dtype: Any = np.float32):
        super().__init__()
        self.in_features = _check_int(in_features, "in_features", 1)
        self.out_features = _check_int(out_features, "out_features", 1)
        self.params = {"weight": np.zeros((self.out_features, self.in_features), dtype),
                       "bias": np.zeros(self.out_features, dtype)}
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        self._x: NDArray | None = None

    def config(self) -> dict[str, Any]:
        return {"type": self.kind, "in_features": self.in_features,
                "out_features": self.out_features}

    def output_shape(self, shape: Shape) -> Shape:
        if len(shape) != 1:
            raise ShapeError(f"Dense needs features, got an image of {_shape_text(shape)}: "
                             "put a Flatten layer before it")
        if shape[0] != self.in_features:
            raise ShapeError(f"Dense expects {self.in_features} inputs but gets {shape[0]}")
        return (self.out_features,)

    def forward(self, x: NDArray, train: bool, inplace: bool = False) -> NDArray:
        weight = self.params["weight"]
        out = self._buffer(train, "out", (x.shape[0], self.out_features), weight.dtype)
        np.matmul(x, weight.T, out=out)
        out += self.params["bias"]
        if train:
            self._x = x
        return out

    def backward(self, dy: NDArray, need_dx: bool) -> NDArray | None:
        if self._x is None:
            raise RuntimeError("backward before a training forward pass")
        weight = self.params["weight"]
        if not self.frozen:
            np.matmul(dy.T, self._x, out=self.grads["weight"])
            np.sum(dy, axis=0, out=self.grads["bias"])
        if not need_dx:
            return None
        dx = self._buffer(True, "dx", self._x.shape, weight.dtype)
        np.matmul(dy, weight, out=dx)
        return dx


def _image_shape(shape: Shape, title: str) -> tuple[int, int, int]:
    """``(channels, height, width)``, or ``ShapeError`` saying layer ``title`` needs an image."""
    if len(shape) != 3:
        raise ShapeError(f"{title} needs an image-shaped input (channels × height × width), "
                         f"got {_shape_text(shape)}")
    c, h, w = shape
    return c, h, w


def _shape_text(shape: Shape) -> str:
    if len(shape) == 1:
        return f"{shape[0]} features"
    return "×".join(str(s) for s in shape)
