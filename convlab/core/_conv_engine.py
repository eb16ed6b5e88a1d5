"""The shift-and-add engine behind :func:`~convlab.core.conv2d` and the detectors (private).

Why shift-and-add
-----------------
A 3×3 kernel bank on 28×28 digits is tiny: a matrix product per block
(im2col + BLAS) spends most of its time copying the nine shifted copies and
calling BLAS with a 9-long inner dimension. Instead the engine writes a block
of images once into a zero-padded buffer and builds every response from
*shifted views* of it, with plain numpy additions (no BLAS, so no BLAS threads
to fight over the cores):

* **Compact layout** (:class:`Layout`). Each image sits in a slot of
  ``rows × stride`` numbers with only its top and left padding stored; the
  bottom/right padding of one row (or image) is the left/top padding of the
  next. For ``"full"`` mode the slot is exactly the output (30×30 for 28×28
  digits and 3×3 kernels), so the response of a whole block is one contiguous
  vector and moving a tap by ``(i, j)`` is the offset ``i * stride + j``.
* **A compiled program** (:mod:`._conv_program`): the kernels as a short
  list of numpy calls on shifted views, exact in integers for integer
  images and kernels, kernels of one shape computed side by side.
* **Execution** (:class:`Engine`, :class:`Workspace`): the program bound once
  to one thread's buffers as ufunc calls, run block by block; for masks and
  statistics up to the comparison with an integer cutoff folded onto a
  shared term.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided
from numpy.typing import NDArray

from ._conv_program import _ADD, _COPY, _MUL, _NEG, _SUB, SELF, Program, Step
from .conv2d_geometry import conv2d_output_shape, conv2d_padding
from .threads import worker_count

__all__: list[str] = []

#: Working set of one block (every buffer of the program) aimed for, in bytes.
#: Measured for the line detectors on 70,000 digits (2-core AMD EPYC, 2 MiB L2
#: per core): 1, 1.5, 2 and 3 MiB blocks (72–218 digits) took 111, 106, 104
#: and 91 ms to threshold, so per-block overhead outweighs spilling L2.
BLOCK_BYTES = 3 << 20
MAX_BLOCK = 512
#: With several workers a block is this many times bigger. Numpy releases the
#: GIL only inside a call, so each call of two threads ends in a hand-over of
#: the GIL, which on a small VM costs about what a short call computes.
#: Measured (per-class statistics of 70,000 digits, 2 threads, median of 10):
#: 101 ms at 218 digits a block, 81 ms at 436, 81 ms at 600, 99 ms at 872
#: (the blocks of two threads then spill the shared L3).
PARALLEL_BLOCK_FACTOR = 2


@dataclass(frozen=True)
class Layout:
    """Where image pixels and response values live in the flat block buffer.

    Image ``n`` occupies ``slot = rows * stride`` numbers from ``n * slot``;
    its pixel ``(y, x)`` is at ``n * slot + (pad_top + y) * stride + pad_left + x``
    and every other position of the slot is zero. The response at output
    ``(r, c)`` is computed at ``n * slot + r * stride + c`` and reads the
    buffer at that position plus ``i * stride + j`` for tap ``(i, j)``.
    """

    height: int
    width: int
    kh: int
    kw: int
    pad_top: int
    pad_left: int
    rows: int
    stride: int
    out_height: int
    out_width: int

    @classmethod
    def make(cls, image_hw: tuple[int, int], kernel_hw: tuple[int, int], mode: str,
             flip: bool) -> Layout:
        (h, w), (kh, kw) = image_hw, kernel_hw
        oh, ow = conv2d_output_shape((h, w), (kh, kw), mode)
        top, bottom = conv2d_padding(kh, mode, flip)
        left, right = conv2d_padding(kw, mode, flip)
        # A read past the end of a row lands in the next row's left padding
        # (or, past the last row, in the next slot's top padding): both zero.
        return cls(h, w, kh, kw, top, left, max(top + h, h + bottom),
                   max(left + w, w + right), oh, ow)

    @property
    def slot(self) -> int:
        return self.rows * self.stride

    @property
    def dense(self) -> bool:
        """True when the output fills the slot (``"full"`` mode): no positions to drop."""
        return self.out_height == self.rows and self.out_width == self.stride

    def interior(self, flat: NDArray, count: int) -> NDArray:
        """The ``(count, H, W)`` view of ``flat`` where the images' pixels go."""
        slots = flat[: count * self.slot].reshape(count, self.rows, self.stride)
        return slots[:, self.pad_top : self.pad_top + self.height,
                     self.pad_left : self.pad_left + self.width]

    def window(self, flat: NDArray, count: int) -> NDArray:
        """The ``(…, count, H', W')`` output positions of result vectors ``flat`` (``(…, n)``)."""
        lead = flat.shape[:-1]
        slots = flat[..., : count * self.slot].reshape(*lead, count, self.rows, self.stride)
        if self.dense:
            return slots
        return slots[..., : self.out_height, : self.out_width]


class Workspace:
    """One thread's buffers for blocks of up to ``block`` images.

    The kernels' results are the rows of one ``(K, block * slot)`` array
    (:attr:`results`; kernel ``k`` in row ``program.rows[k]``), so a stack of
    kernels is one 2-D view.
    """

    def __init__(self, engine: Engine, block: int) -> None:
        p = engine.program
        size = block * engine.layout.slot
        dt = engine.dtype
        self.block = block
        self.results = np.empty((len(p.results), size), dtype=dt)
        rows = {buf: self.results[row] for buf, row in zip(p.results, p.rows, strict=True)}
        # the input buffer is zero once; only the images' interiors are ever written
        self.buffers = [np.zeros(size + p.extent[0], dtype=dt)]
        for b in range(1, p.n_buffers):
            self.buffers.append(rows[b] if b in rows else np.empty(size + p.extent[b], dtype=dt))
        self.calls: dict[tuple, tuple] = {}
        self.extra: dict[str, NDArray] = {}


#: ``(kernels, lhs, rhs)``: ``response_k > cutoff`` ⇔ ``lhs[i] > rhs`` for the
#: ``i``-th kernel ``k`` of ``kernels``; ``lhs`` is ``(len(kernels), n)``, ``rhs``
#: a ``(1, n)`` view or a scalar.
Comparison = tuple[tuple[int, ...], NDArray, object]


class Engine:
    """A compiled convolution: layout, program and arithmetic type (immutable, cached).

    Parameters
    ----------
    layout : Layout
    program : Program
    dtype : arithmetic type: an integer type for exact programs, else float32/float64
    """

    def __init__(self, layout: Layout, program: Program, dtype: np.dtype,
                 pixels: float = 1.0) -> None:
        self.layout = layout
        self.pixels = pixels  # largest |pixel| the engine was compiled for
        self.dtype = np.dtype(dtype)
        self.program = program
        self.kernels = len(program.results)
        #: the results' rows in kernel order (``results.take(row_index, axis=0)``)
        self.row_index = np.asarray(program.rows, dtype=np.intp)
        self._small = threading.local()

    def small_workspace(self) -> Workspace:
        """A one-image workspace kept for this thread (the figure reuses it each redraw)."""
        ws = getattr(self._small, "ws", None)
        if ws is None:
            ws = self._small.ws = Workspace(self, 1)
        return ws

    def block_size(self, requested: int | None, n_images: int,
                   threads: int | None = None) -> int:
        """Images per block: ``requested``, else a cache-sized block (bigger when parallel)."""
        if requested is not None:
            return max(1, min(requested, n_images))
        per_image = self.program.n_buffers * self.layout.slot * self.dtype.itemsize
        block = max(1, min(MAX_BLOCK, BLOCK_BYTES // per_image, n_images))
        if block < n_images and worker_count(-(-n_images // block), threads) > 1:
            block = max(1, min(block * PARALLEL_BLOCK_FACTOR, -(-n_images // 2)))
        return block

    def load(self, ws: Workspace, images: NDArray, divisor: float | None = None) -> None:
        """Write ``images`` (count, H, W) into the block; floats divided by ``divisor``."""
        dst = self.layout.interior(ws.buffers[0], images.shape[0])
        if divisor is None or divisor == 1:
            np.copyto(dst, images, casting="unsafe")
        else:
            np.divide(images, divisor, out=dst, casting="unsafe")

    def _foldable(self, step: Step, cutoff: int | None) -> bool:
        """True if ``step`` (a stack's last) is ``result = X ± Y`` with Y shared and unshifted.

        Then ``result > c`` ⇔ ``X > Y + c`` (SUB) or ``X > c − Y`` (ADD): the
        step is skipped and the threshold moved onto Y, computed once for the bank.
        """
        if cutoff is None or step.code not in (_ADD, _SUB) or step.b is None:
            return False
        y, off, stride = step.b
        if y in (SELF, 0) or off or stride or y in self.program.results:
            return False
        return self.program.bound * self.pixels + abs(cutoff) < np.iinfo(self.dtype).max

    def _calls(self, ws: Workspace, count: int,
               cutoff: int | None = None) -> tuple[list, list[Comparison]]:
        """The program as bound ufunc calls on this workspace's views (cached per count).

        Returns ``(calls, comparisons)``; comparisons only with a ``cutoff``
        (exact programs).
        """
        key = (count, cutoff)
        cached = ws.calls.get(key)
        if cached is not None:
            return cached
        p = self.program
        bufs = ws.buffers
        n0 = count * self.layout.slot
        item = ws.results.itemsize
        last = {}
        for i, st in enumerate(p.steps):
            if st.rows:
                last[st.row] = i
        stack_of_row = {p.rows[stack[0]]: stack for stack in p.stacks}

        def operand(spec: tuple[int, int, int], rows: int, n: int, dst: NDArray) -> NDArray:
            buf, off, stride = spec
            if buf == SELF:
                return dst
            base = bufs[buf]
            if not rows:
                return base[off : off + n]
            if stride == 0:
                return base[off : off + n][None]
            return as_strided(base[off:], shape=(rows, n), strides=(stride * item, item),
                              writeable=False)

        calls = []
        comparisons: list[Comparison] = []
        moved: dict[tuple[int, int], NDArray] = {}
        zero, minus = self.dtype.type(0), self.dtype.type(-1)
        for i, st in enumerate(p.steps):
            if st.rows:
                n = n0
                d = ws.results[st.row : st.row + st.rows, :n]
            else:
                n = n0 + p.extent[st.dst]
                d = bufs[st.dst][:n]
            a = operand(st.a, st.rows, n, d)
            if st.rows and last[st.row] == i and self._foldable(st, cutoff):
                y = st.b[0]
                if (y, st.code) not in moved:
                    rhs = ws.extra.setdefault(f"fold{y}-{st.code}", np.empty_like(bufs[y]))[:n0]
                    c = self.dtype.type(cutoff)
                    if st.code == _SUB:
                        calls.append((np.add, bufs[y][:n0], c, rhs))
                    else:
                        calls.append((np.subtract, c, bufs[y][:n0], rhs))
                    moved[y, st.code] = rhs[None]
                comparisons.append((stack_of_row[st.row], a, moved[y, st.code]))
                continue
            if st.code in (_ADD, _SUB):
                fn = np.add if st.code == _ADD else np.subtract
                calls.append((fn, a, operand(st.b, st.rows, n, d), d))
            elif st.code == _MUL:
                calls.append((np.multiply, a, self.dtype.type(st.scalar), d))
            elif st.code == _COPY:
                calls.append((np.add, a, zero, d))
            elif st.code == _NEG:
                calls.append((np.multiply, d, minus, d))
            else:  # an all-zero kernel: 0 × the (finite) input
                calls.append((np.multiply, bufs[0][:n][None] if st.rows else bufs[0][:n], zero, d))
            if st.rows and last[st.row] == i and cutoff is not None:
                comparisons.append((stack_of_row[st.row], d, self.dtype.type(cutoff)))
        if len(ws.calls) > 4:
            ws.calls.clear()
        ws.calls[key] = (calls, comparisons)
        return calls, comparisons

    def execute(self, ws: Workspace, count: int) -> None:
        """Execute the program on the first ``count`` images (results in ``ws.results``)."""
        for fn, a, b, d in self._calls(ws, count)[0]:
            fn(a, b, d)

    def run(self, ws: Workspace, count: int) -> list[NDArray]:
        """Execute the program on the first ``count`` images.

        Returns each kernel's ``(count * slot,)`` result (views into ``ws``).
        """
        self.execute(ws, count)
        n = count * self.layout.slot
        return [ws.results[row, :n] for row in self.program.rows]

    def run_threshold(self, ws: Workspace, count: int, cutoff: int) -> list[Comparison]:
        """Execute an exact program up to the comparison with ``cutoff``.

        Returns one :data:`Comparison` per stack of kernels, flat views with
        ``response_k > cutoff`` ⇔ ``lhs[i] > rhs`` position by position.
        """
        calls, comparisons = self._calls(ws, count, int(cutoff))
        for fn, a, b, d in calls:
            fn(a, b, d)
        return comparisons


def blocks_of(n: int, block: int) -> list[tuple[int, int]]:
    """``[(start, stop), …]`` covering ``range(n)`` in blocks of at most ``block``."""
    return [(s, min(n, s + block)) for s in range(0, n, block)]
