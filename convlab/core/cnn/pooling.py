"""MaxPool2D and AvgPool2D: maxima of strided views or window-major copies (see
:mod:`.layers`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided
from numpy.typing import NDArray

from .layer import Layer, Shape, _check_int, _image_shape, pool_output_size

__all__ = ["AvgPool2D", "MaxPool2D"]

def _window_views(x: NDArray, k: int, stride: int, oh: int, ow: int) -> list[NDArray]:
    """The ``k·k`` strided views ``x[:, :, i::stride, j::stride]`` cut to ``(oh, ow)``."""
    return [
        x[:, :, i : i + stride * (oh - 1) + 1 : stride, j : j + stride * (ow - 1) + 1 : stride]
        for i in range(k)
        for j in range(k)
    ]


def _index_dtype(count: int) -> np.dtype:
    """The smallest unsigned integer type that numbers ``count`` window positions."""
    return np.dtype(np.uint8 if count <= 256 else np.uint16 if count <= 65536 else np.uint32)


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
