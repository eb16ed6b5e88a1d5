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

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .conv import Conv2D
from .layer import (
    Layer,
    Shape,
    ShapeError,
    _check_int,
    _image_shape,
    _shape_text,
    conv_output_size,
    pool_output_size,
)
from .pooling import AvgPool2D, MaxPool2D

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
