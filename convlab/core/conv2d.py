"""Batched 2-D convolution of images with a bank of kernels.

The notebook convolves one MNIST digit with four 3×3 kernels using
``scipy.signal.convolve2d``. The lab does the same for whole data sets
(70,000 digits), so :func:`conv2d` is vectorized over images *and* kernels
and works through the images in cache-sized blocks, spread over the cores
this process may use (:mod:`convlab.core.threads`):

1. a block of images is written once into a reusable, zero-padded buffer in
   which moving a kernel tap by ``(i, j)`` is a fixed offset;
2. a program compiled once from the kernels (:mod:`convlab.core._conv_program`)
   builds every kernel's response from shifted views of that buffer with a
   few numpy additions, sharing work between taps of equal weight and between
   kernels;
3. each block's responses are converted and copied to the output.

**Exact integers.** Integer images (uint8 digits) with integer-valued kernels
are computed in integers (int16 when that cannot overflow, else int32/int64),
so the result is exact; a float ``dtype`` then gets the exact result divided
by ``divisor`` and rounded once. Anything else is computed in ``dtype``.

Sizes and padding follow :func:`scipy.signal.convolve2d` /
:func:`scipy.signal.correlate2d` (see :mod:`convlab.core.conv2d_geometry`).
"""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _conv_engine as engine
from . import _conv_program as compiler
from .conv2d_geometry import CONV2D_MODES, conv2d_output_shape, conv2d_padding
from .threads import map_blocks
from .validation import as_finite_array, check_choice, check_positive_int

__all__ = ["CONV2D_MODES", "conv2d", "conv2d_output_shape", "conv2d_padding"]

_FLOAT_TYPES = (np.dtype(np.float32), np.dtype(np.float64))
_INT_TYPES = (np.dtype(np.int16), np.dtype(np.int32), np.dtype(np.int64))


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


_SMALL_BOUNDS = {np.dtype(t): float(max(-np.iinfo(t).min, np.iinfo(t).max))
                 for t in (np.uint8, np.int8, np.uint16, np.int16)}
_SMALL_BOUNDS[np.dtype(np.bool_)] = 1.0


def pixel_bound(images: NDArray) -> float:
    """Largest ``|pixel|`` an integer stack may hold (from its type for small types)."""
    bound = _SMALL_BOUNDS.get(images.dtype)
    if bound is not None:
        return bound
    if images.size == 0:
        return 0.0
    return float(max(-int(images.min()), int(images.max())))


def is_integer_bank(kernels: NDArray) -> bool:
    """True if every weight is a whole number (so integer images convolve exactly)."""
    return bool(np.all(kernels == np.rint(kernels)) and np.abs(kernels).max() < 2**31)


@lru_cache(maxsize=64)
def _compile(key: bytes, kshape: tuple[int, int, int], image_hw: tuple[int, int], mode: str,
             flip: bool, integer_images: bool, pixels: float,
             float_dtype: np.dtype) -> engine.Engine:
    """The engine for these kernels and image size (cached: the figure redraws often)."""
    kernels = np.frombuffer(key, dtype=np.float64).reshape(kshape)
    layout = engine.Layout.make(image_hw, kshape[1:], mode, flip)
    weights = kernels[:, ::-1, ::-1] if flip else kernels
    if integer_images and is_integer_bank(kernels):
        program = compiler.program_for(weights, layout.stride, True)
        int_type = compiler.integer_dtype(program.bound * pixels)
        if int_type is not None:
            return engine.Engine(layout, program, int_type, pixels)
    return engine.Engine(layout, compiler.program_for(weights, layout.stride, False), float_dtype)


class Convolution:
    """Validated inputs and the compiled engine for one call (shared by the detectors).

    Attributes
    ----------
    images : (N, H, W) array, as given (not converted)
    kernels : (K, kh, kw) float64 array
    layout : engine.Layout
    engine : engine.Engine
    exact : bool, True when the responses are exact integers (to be divided by ``divisor``)
    divisor : float, responses are ``conv(images, kernels) / divisor``
    block : int, images per block (for ``threads`` workers, see ``engine.block_size``)
    """

    def __init__(self, images: ArrayLike, kernels: ArrayLike, mode: str, flip: bool,
                 float_dtype: type | np.dtype = np.float32, block: int | None = None,
                 divisor: float = 1.0, images_checked: NDArray | None = None,
                 kernels_checked: NDArray | None = None, threads: int | None = None) -> None:
        check_choice(mode, "mode", CONV2D_MODES)
        imgs = images_checked if images_checked is not None else _as_images(images)
        kern = kernels_checked if kernels_checked is not None else as_finite_array(
            kernels, "kernels", ndims=(2, 3))
        self.images = imgs if imgs.ndim == 3 else imgs[None]
        self.kernels = kern if kern.ndim == 3 else kern[None]
        if self.kernels.shape[0] == 0 or 0 in self.kernels.shape[1:]:
            raise ValueError(f"kernels is empty (shape {kern.shape}): give at least one weight")
        integer_images = self.images.dtype.kind in "biu"
        k64 = np.ascontiguousarray(self.kernels, dtype=np.float64)
        self.engine = _compile(
            k64.tobytes(), k64.shape, self.images.shape[1:], mode, bool(flip), integer_images,
            pixel_bound(self.images) if integer_images else 0.0, np.dtype(float_dtype))
        self.layout = self.engine.layout
        self.exact = self.engine.dtype.kind == "i"
        self.divisor = float(divisor)
        if block is not None:
            block = check_positive_int(block, "block")
        self.block = self.engine.block_size(block, self.images.shape[0], threads)
        self._local = threading.local()

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """``(N, K, H', W')``."""
        lay = self.layout
        return (self.images.shape[0], self.kernels.shape[0], lay.out_height, lay.out_width)

    def blocks(self) -> list[tuple[int, int]]:
        return engine.blocks_of(self.images.shape[0], self.block)

    def workspace(self) -> engine.Workspace:
        """This thread's buffers (made on its first block, reused by its later blocks)."""
        ws = getattr(self._local, "ws", None)
        if ws is None:
            if self.block == 1:  # one image (the figure): the engine keeps a small one per thread
                ws = self._local.ws = self.engine.small_workspace()
            else:
                ws = self._local.ws = engine.Workspace(self.engine, self.block)
        return ws

    def compute(self, start: int, stop: int, index: NDArray | None = None):
        """Run one block: ``(workspace, [(count, H', W') view of each kernel's response])``.

        ``index`` (optional) picks the block's images by position instead of
        ``start:stop``. The views are overwritten by this thread's next block.
        """
        ws = self.workspace()
        imgs = self.images[start:stop] if index is None else self.images[index[start:stop]]
        count = imgs.shape[0]
        self.engine.load(ws, imgs, None if self.exact else self.divisor)
        flat = self.engine.run(ws, count)
        return ws, [self.layout.window(r, count) for r in flat]

    def compute_masks(self, start: int, stop: int, level: float,
                      index: NDArray | None = None):
        """Run one block up to the threshold: ``(workspace, [(kernels, lhs, rhs), …])``.

        For the ``i``-th kernel ``k`` of ``kernels``, ``response_k > level`` ⇔
        ``lhs[i] > rhs``; ``lhs`` is ``(len(kernels), count, H', W')``, ``rhs``
        broadcasts against it (a view or a scalar). Exact programs skip their
        last subtraction and move the integer cutoff onto the shared term
        instead (one pass less per kernel), one comparison per stack of kernels.
        """
        if not self.exact:
            ws, responses = self.compute(start, stop, index)
            return ws, [((k,), r[None], level) for k, r in enumerate(responses)]
        from .detectors import integer_cutoff

        ws = self.workspace()
        imgs = self.images[start:stop] if index is None else self.images[index[start:stop]]
        count = imgs.shape[0]
        self.engine.load(ws, imgs)
        info = np.iinfo(self.engine.dtype)
        cutoff = int(min(max(integer_cutoff(level, self.divisor), info.min), info.max))
        groups = self.engine.run_threshold(ws, count, cutoff)
        win = self.layout.window
        return ws, [(ks, win(a, count), b if np.ndim(b) == 0 else win(b, count))
                    for ks, a, b in groups]


def _scratch(ws, name: str, shape: tuple[int, ...], dtype) -> NDArray:
    """A per-workspace buffer at least ``shape`` big (reused across blocks)."""
    extra = ws.extra
    buf = extra.get(name)
    size = int(np.prod(shape))
    if buf is None or buf.size < size or buf.dtype != dtype:
        buf = extra[name] = np.empty(size, dtype=dtype)
    return buf[:size].reshape(shape)


def conv2d(
    images: ArrayLike,
    kernels: ArrayLike,
    mode: str = "full",
    flip: bool = True,
    dtype: type = np.float32,
    out: NDArray | None = None,
    block: int | None = None,
    *,
    divisor: float = 1.0,
    threads: int | None = None,
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
    dtype : np.float32, np.float64, np.int16, np.int32 or np.int64
        Result type. Integer images with whole-number kernels are computed
        exactly in integers whatever ``dtype`` is; a float ``dtype`` receives
        the exact result divided by ``divisor``, rounded once. Integer types
        (exact results, ``divisor`` 1) need integer images and whole-number
        kernels. Other inputs are computed in the float ``dtype``.
    out : array, optional
        Preallocated result of the exact shape and ``dtype`` (see Returns);
        it need not be contiguous. Returned filled.
    block : int, optional
        Images per block. The default keeps a block's working set near 1 MiB.
    divisor : float, keyword-only
        The result is ``conv(images, kernels) / divisor``: ``divisor=255``
        gives the responses of uint8 digits scaled to [0, 1], computed from
        the exact integers. For float inputs the images are divided first.
    threads : int, keyword-only, optional
        At most this many threads (default: the thread policy,
        :func:`convlab.core.max_threads`).

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

    Exact integers, and the same divided by 255 (a uint8 digit scaled to [0, 1]):

    >>> digit = np.array([[0, 255, 51]], np.uint8)
    >>> conv2d(digit, [[-1, 2, -1]], mode="same", dtype=np.int32)
    array([[-255,  459, -153]], dtype=int32)
    >>> conv2d(digit, [[-1, 2, -1]], mode="same", dtype=np.float64, divisor=255)
    array([[-1. ,  1.8, -0.6]])
    """
    check_choice(mode, "mode", CONV2D_MODES)
    dtype = np.dtype(dtype)
    if dtype not in _FLOAT_TYPES + _INT_TYPES:
        raise ValueError(f"dtype must be float32, float64, int16, int32 or int64, got {dtype}")
    try:
        divisor = float(divisor)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"divisor must be a number, got {divisor!r}") from exc
    if not np.isfinite(divisor) or divisor == 0:
        raise ValueError(f"divisor must be a finite non-zero number, got {divisor!r}")
    conv = Convolution(images, kernels, mode, flip,
                       dtype if dtype in _FLOAT_TYPES else np.float64, block, divisor,
                       threads=threads)
    if dtype in _INT_TYPES:
        if not conv.exact or divisor != 1:
            raise ValueError(
                f"dtype {dtype} (exact integers) needs integer images, whole-number kernels "
                "and divisor 1; use float32 or float64"
            )
        if conv.engine.program.bound * pixel_bound(conv.images) > np.iinfo(dtype).max:
            raise ValueError(f"the responses may not fit in dtype {dtype}: use int32 or int64")
    n, k, oh, ow = conv.shape
    single_image = np.ndim(images) == 2
    single_kernel = np.ndim(kernels) == 2
    final_shape = tuple(
        s
        for s, drop in zip((n, k, oh, ow), (single_image, single_kernel, False, False),
                           strict=True)
        if not drop
    )
    if out is None:
        out = np.empty(final_shape, dtype=dtype)
    elif not isinstance(out, np.ndarray) or out.shape != final_shape:
        got = getattr(out, "shape", type(out).__name__)
        raise ValueError(f"out must be an array of shape {final_shape}, got {got}")
    elif out.dtype != dtype:
        raise ValueError(f"out must have dtype {dtype}, got {out.dtype}")
    out4 = out
    if single_image:
        out4 = out4[None]
    if single_kernel:
        out4 = out4[:, None]
    divide = conv.exact and divisor != 1
    staged = divide and out4.flags.c_contiguous

    def one_block(bounds: tuple[int, int]) -> None:
        start, stop = bounds
        ws, responses = conv.compute(start, stop)
        dst = out4[start:stop]
        if staged:
            # convert in cache, then write the output in one contiguous stream
            tmp = _scratch(ws, "out", dst.shape, dtype)
            for j, r in enumerate(responses):
                np.copyto(tmp[:, j], r, casting="unsafe")
            np.divide(tmp, dtype.type(divisor), out=dst)
            return
        for j, r in enumerate(responses):
            if divide:
                np.divide(r, dtype.type(divisor), out=dst[:, j], casting="unsafe")
            else:
                np.copyto(dst[:, j], r, casting="unsafe")

    map_blocks(one_block, conv.blocks(), threads)
    return out
