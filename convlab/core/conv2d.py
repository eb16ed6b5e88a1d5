"""Batched 2-D convolution of images with a bank of kernels.

The notebook convolves one MNIST digit with four 3×3 kernels using
``scipy.signal.convolve2d``. The lab does the same for whole data sets
(70,000 digits), so :func:`conv2d` is vectorized over images *and* kernels
and works through the images in cache-sized blocks:

1. a block of images is copied once into a reusable, zero-padded buffer;
2. the buffer is read as one long flat row: moving a kernel tap by
   ``(i, j)`` is an offset of ``i * padded_width + j`` into it, so the
   ``kh * kw`` shifted copies of the block form a small ``(kh*kw, L)``
   matrix (an im2col of *one block*, never of the whole set);
3. one matrix product ``(K, kh*kw) @ (kh*kw, L)`` gives every kernel's
   response at every position of the block;
4. the positions that fall in the padding columns are dropped when the
   block is copied to the output.

Sizes and padding follow :func:`scipy.signal.convolve2d` /
:func:`scipy.signal.correlate2d` for ``mode`` ``"full"``, ``"same"`` and
``"valid"``. For ``"same"`` with an even kernel size the total padding
``k - 1`` is split with the smaller half on the left/top for
cross-correlation (as PyTorch and TensorFlow do) and the mirror image for
true convolution, so that ``flip=True`` matches ``convolve2d(mode="same")``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .validation import as_finite_array, check_choice, check_positive_int

__all__ = ["CONV2D_MODES", "conv2d", "conv2d_output_shape", "conv2d_padding"]

CONV2D_MODES = ("full", "same", "valid")

#: Bytes of shifted copies (the per-block im2col) aimed for; measured fastest
#: around 4 MiB for 3×3 kernels on 28×28 digits (about 110 digits a block).
_BLOCK_BYTES = 4 * 1024 * 1024
_MAX_BLOCK = 256


def conv2d_padding(k: int, mode: str, flip: bool) -> tuple[int, int]:
    """Zeros added (before, after) along one axis for a length-``k`` kernel.

    ``flip=True`` is true convolution, ``False`` cross-correlation (see the
    module docstring for how ``"same"`` splits an even kernel's padding).

    >>> conv2d_padding(3, "full", True), conv2d_padding(4, "same", False)
    ((2, 2), (1, 2))
    """
    if mode == "full":
        return k - 1, k - 1
    if mode == "valid":
        return 0, 0
    small = (k - 1) // 2
    # Correlation: smaller half first. True convolution: the mirror image.
    return (k - 1 - small, small) if flip else (small, k - 1 - small)


def conv2d_output_shape(
    image_shape: tuple[int, int], kernel_shape: tuple[int, int], mode: str = "full"
) -> tuple[int, int]:
    """Height and width of the result of :func:`conv2d` for one image and one kernel.

    Parameters
    ----------
    image_shape : (H, W)
    kernel_shape : (kh, kw)
    mode : {"full", "same", "valid"}

    Returns
    -------
    (H', W') : ``(H+kh-1, W+kw-1)``, ``(H, W)`` or ``(H-kh+1, W-kw+1)``.

    Examples
    --------
    >>> conv2d_output_shape((28, 28), (3, 3), "full")
    (30, 30)
    >>> conv2d_output_shape((28, 28), (3, 3), "valid")
    (26, 26)
    """
    check_choice(mode, "mode", CONV2D_MODES)
    (h, w), (kh, kw) = image_shape, kernel_shape
    if mode == "full":
        return h + kh - 1, w + kw - 1
    if mode == "same":
        return h, w
    if kh > h or kw > w:
        raise ValueError(
            f"in 'valid' mode the kernel ({kh}×{kw}) must fit inside the image ({h}×{w}); "
            "use 'same' or 'full' for a larger kernel"
        )
    return h - kh + 1, w - kw + 1


def _as_images(images: ArrayLike) -> NDArray:
    """Images as an array of numbers, without copying or converting uint8 data."""
    arr = np.asarray(images)
    if arr.dtype.kind not in "biuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"images must be numbers, got {images!r:.80}") from exc
    if arr.ndim not in (2, 3):
        raise ValueError(
            "images must be one image (H, W) or a stack (N, H, W), "
            f"got a {arr.ndim}-D array of shape {arr.shape}"
        )
    if arr.size == 0:
        raise ValueError(f"images is empty (shape {arr.shape}): give at least one pixel")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError("images contain NaN or infinity: every pixel must be a finite number")
    return arr


@dataclass(frozen=True)
class _Plan:
    """Geometry of one convolution: padded block layout and output size."""

    height: int
    width: int
    kh: int
    kw: int
    pad_top: int
    pad_left: int
    padded_height: int
    padded_width: int
    out_height: int
    out_width: int

    @classmethod
    def make(cls, image_hw: tuple[int, int], kernel_hw: tuple[int, int], mode: str, flip: bool):
        (h, w), (kh, kw) = image_hw, kernel_hw
        oh, ow = conv2d_output_shape((h, w), (kh, kw), mode)
        top, bottom = conv2d_padding(kh, mode, flip)
        left, right = conv2d_padding(kw, mode, flip)
        return cls(h, w, kh, kw, top, left, h + top + bottom, w + left + right, oh, ow)


class _BlockConvolver:
    """Correlates blocks of images with a kernel bank (see the module docstring)."""

    def __init__(self, plan: _Plan, weights: NDArray, dtype: np.dtype, block: int):
        self.plan = plan
        p = plan
        self.pixels = p.padded_height * p.padded_width
        self.block = block
        # One flat zero-padded buffer; the tail lets the last shifts read past the last image.
        tail = (p.kh - 1) * p.padded_width + p.kw
        self.flat = np.zeros(block * self.pixels + tail, dtype=dtype)
        self.padded = self.flat[: block * self.pixels].reshape(
            block, p.padded_height, p.padded_width
        )
        self.offsets = [i * p.padded_width + j for i in range(p.kh) for j in range(p.kw)]
        self.columns = np.empty((len(self.offsets), block * self.pixels), dtype=dtype)
        self.weights = np.ascontiguousarray(weights.reshape(weights.shape[0], -1), dtype=dtype)
        self.result = np.empty((weights.shape[0], block * self.pixels), dtype=dtype)

    def blocks(self, images: NDArray) -> Iterator[tuple[int, int, NDArray]]:
        """Yield ``(start, stop, r)``; ``r[k, n, :out_height, :out_width]`` is the response.

        ``r`` has shape ``(K, stop - start, padded_height, padded_width)`` and is
        overwritten by the next block: copy what you keep.
        """
        p = self.plan
        for start in range(0, images.shape[0], self.block):
            stop = min(images.shape[0], start + self.block)
            count = stop - start
            self.padded[
                :count, p.pad_top : p.pad_top + p.height, p.pad_left : p.pad_left + p.width
            ] = images[start:stop]
            length = count * self.pixels
            for row, offset in zip(self.columns, self.offsets, strict=True):
                row[:length] = self.flat[offset : offset + length]
            res = np.matmul(self.weights, self.columns[:, :length], out=self.result[:, :length])
            yield start, stop, res.reshape(-1, count, p.padded_height, p.padded_width)


def _prepare(
    images: ArrayLike,
    kernels: ArrayLike,
    mode: str,
    flip: bool,
    dtype: type,
    block: int | None,
    scale: float = 1.0,
) -> tuple[NDArray, NDArray, _BlockConvolver]:
    """Validate inputs; return images (N,H,W), kernels (K,kh,kw) and a convolver.

    ``scale`` multiplies the kernels' weights (``conv(s·x, w) = conv(x, s·w)``).
    """
    check_choice(mode, "mode", CONV2D_MODES)
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    imgs = _as_images(images)
    kern = as_finite_array(kernels, "kernels", ndims=(2, 3))
    imgs3 = imgs if imgs.ndim == 3 else imgs[None]
    kern3 = kern if kern.ndim == 3 else kern[None]
    if kern3.shape[0] == 0 or 0 in kern3.shape[1:]:
        raise ValueError(f"kernels is empty (shape {kern.shape}): give at least one weight")
    plan = _Plan.make(imgs3.shape[1:], kern3.shape[1:], mode, flip)
    weights = kern3[:, ::-1, ::-1] if flip else kern3
    taps = kern3.shape[1] * kern3.shape[2]
    if block is None:
        per_image = taps * plan.padded_height * plan.padded_width * dtype.itemsize
        block = max(1, min(_MAX_BLOCK, _BLOCK_BYTES // per_image))
    else:
        block = check_positive_int(block, "block")
    block = min(block, imgs3.shape[0])
    return imgs3, kern3, _BlockConvolver(plan, weights * scale, dtype, block)


def conv2d(
    images: ArrayLike,
    kernels: ArrayLike,
    mode: str = "full",
    flip: bool = True,
    dtype: type = np.float32,
    out: NDArray | None = None,
    block: int | None = None,
) -> NDArray:
    """Convolve every image with every kernel.

    Parameters
    ----------
    images : (H, W) or (N, H, W) array
        One image or a stack; uint8 (MNIST), integer, bool or float. uint8
        data is converted block by block, never as a whole.
    kernels : (kh, kw) or (K, kh, kw) array
        One kernel or a bank of kernels of the same size (finite numbers).
    mode : {"full", "same", "valid"}
        Output size, as in :func:`scipy.signal.convolve2d`: ``(H+kh-1, W+kw-1)``,
        ``(H, W)`` or ``(H-kh+1, W-kw+1)``.
    flip : bool
        ``True`` (default): true convolution, equal to
        ``scipy.signal.convolve2d(image, kernel, mode)``. ``False``:
        cross-correlation, equal to ``scipy.signal.correlate2d`` (what CNN
        libraries call convolution).
    dtype : np.float32 or np.float64
        Arithmetic and result type. float32 (default) is about twice as fast.
    out : array, optional
        Preallocated result of the exact shape and ``dtype`` (see Returns);
        it need not be contiguous. Returned filled.
    block : int, optional
        Images per block. The default keeps a block's working set near 4 MiB.

    Returns
    -------
    ndarray
        ``(N, K, H', W')`` for a stack and a bank. The image axis ``N`` is
        dropped when ``images`` is a single ``(H, W)`` image and the kernel axis
        ``K`` is dropped when ``kernels`` is a single ``(kh, kw)`` kernel:
        ``(K, H', W')``, ``(N, H', W')`` or ``(H', W')``.

    Raises
    ------
    ValueError
        For arrays of the wrong dimension, empty arrays, NaN or infinity, an
        unknown mode, a kernel larger than the image in ``"valid"`` mode, or
        an ``out`` of the wrong shape or type.

    Examples
    --------
    >>> image = np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    >>> conv2d(image, [[1, 2], [3, 4]], dtype=np.float64)
    array([[0., 0., 0., 0.],
           [0., 1., 2., 0.],
           [0., 3., 4., 0.],
           [0., 0., 0., 0.]])
    >>> conv2d(image, [[1, 2], [3, 4]], mode="same", flip=False, dtype=np.float64)
    array([[4., 3., 0.],
           [2., 1., 0.],
           [0., 0., 0.]])
    >>> conv2d(np.zeros((5, 28, 28), np.uint8), np.ones((4, 3, 3))).shape
    (5, 4, 30, 30)
    """
    imgs3, kern3, convolver = _prepare(images, kernels, mode, flip, dtype, block)
    plan = convolver.plan
    n, k = imgs3.shape[0], kern3.shape[0]
    shape = (n, k, plan.out_height, plan.out_width)
    single_image = np.ndim(images) == 2
    single_kernel = np.ndim(kernels) == 2
    final_shape = tuple(
        s
        for s, drop in zip(shape, (single_image, single_kernel, False, False), strict=True)
        if not drop
    )
    if out is None:
        out = np.empty(final_shape, dtype=convolver.flat.dtype)
    elif not isinstance(out, np.ndarray) or out.shape != final_shape:
        got = getattr(out, "shape", type(out).__name__)
        raise ValueError(f"out must be an array of shape {final_shape}, got {got}")
    elif out.dtype != convolver.flat.dtype:
        raise ValueError(f"out must have dtype {convolver.flat.dtype}, got {out.dtype}")
    out4 = out
    if single_image:
        out4 = out4[None]
    if single_kernel:
        out4 = out4[:, None]
    for start, stop, res in convolver.blocks(imgs3):
        out4[start:stop] = res[:, :, : plan.out_height, : plan.out_width].transpose(1, 0, 2, 3)
    return out
