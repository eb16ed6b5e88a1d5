"""The base of every layer (:class:`Layer`), shapes and their errors, output sizes."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

__all__ = ["Layer", "ShapeError", "conv_output_size", "pool_output_size"]

Shape = tuple[int, ...]

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
