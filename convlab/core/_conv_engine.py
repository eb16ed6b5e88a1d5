"""The shift-and-add engine behind :func:`~convlab.core.conv2d` and the detectors (private).

Why shift-and-add
-----------------
A 3×3 kernel bank on 28×28 digits is tiny: a matrix product per block
(im2col + BLAS) spends most of its time copying the nine shifted copies and
calling BLAS with a 9-long inner dimension. Instead the engine writes a block
of images once into a zero-padded buffer and builds every response from
*shifted views* of it, with plain numpy additions (no BLAS, so no BLAS threads
to fight over the cores):

* **Compact layout.** Each image sits in a slot of ``rows × stride`` numbers
  with only its top and left padding stored; the bottom/right padding of one
  row (or image) is the left/top padding of the next. For ``"full"`` mode the
  slot is exactly the output (30×30 for 28×28 digits and 3×3 kernels), so the
  response of a whole block is one contiguous vector and moving a tap by
  ``(i, j)`` is the offset ``i * stride + j``.
* **A planned program.** The kernels are compiled once into a short list of
  numpy operations on shifted views: taps with equal weights are summed before
  one multiplication (or read from a cached ``m·x`` copy when several kernels
  share the magnitude ``m``), and a kernel made mostly of one weight ``c`` is
  computed as ``c·box + (kernel − c)`` with the box sum shared by the bank.
  The notebook's line detectors (each ``3·line − box``) take 17 passes over
  the block, against 72 for tap-by-tap multiply-and-add.
* **Exact integers.** Integer images (uint8 digits) and integer kernels are
  computed in the smallest integer type that provably cannot overflow (int16
  for a 3×3 kernel on uint8: ``|sum| ≤ 9·2·255``), so the results are exact
  and half the memory traffic of float32. Other inputs are computed in the
  requested float type; the order of operations depends only on the kernels,
  never on the block size, so a digit alone and the same digit inside a data
  set get bit-identical float responses.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from .conv2d_geometry import conv2d_output_shape, conv2d_padding

__all__: list[str] = []

# op codes
_ADD, _SUB, _MUL, _NEG, _COPY, _ZERO = range(6)

#: Working set of one block (every buffer of the program) aimed for, in bytes.
#: Measured for the line detectors on 70,000 digits (2-core AMD EPYC, 2 MiB L2
#: per core): 1, 1.5, 2 and 3 MiB blocks (72–218 digits) took 111, 106, 104
#: and 91 ms to threshold, so per-block overhead outweighs spilling L2.
BLOCK_BYTES = 3 << 20
MAX_BLOCK = 512


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
        """The ``(count, H', W')`` output positions of a result vector ``flat``."""
        slots = flat[: count * self.slot].reshape(count, self.rows, self.stride)
        if self.dense:
            return slots
        return slots[:, : self.out_height, : self.out_width]


@dataclass(frozen=True)
class Program:
    """Numpy operations computing every kernel's response from shifted views.

    ``ops`` are ``(code, dst, a, a_offset, b, b_offset, scalar)`` on buffers
    (0 is the padded input); ``results[k]`` is the buffer holding kernel
    ``k``'s response (after the program ran, sign already positive).
    ``extent[b]`` is how far past ``count * slot`` buffer ``b`` is computed
    (later ops read it shifted); ``bound`` bounds ``|value|`` of every buffer
    for inputs with ``|pixel| ≤ 1`` (integer programs).
    """

    ops: tuple[tuple, ...]
    n_buffers: int
    results: tuple[int, ...]
    extent: tuple[int, ...]
    bound: float
    integer: bool

    @property
    def passes(self) -> int:
        """Numpy passes over the block per run (the cost model)."""
        return len(self.ops)


class _Builder:
    """Builds a :class:`Program` with shared sub-expressions (see the module docstring)."""

    def __init__(self, stride: int, kh: int, kw: int) -> None:
        self.stride, self.kh, self.kw = stride, kh, kw
        self.ops: list[tuple] = []
        self.weight = [1.0]  # Σ|coefficient| of each buffer's linear form in the pixels
        self.scaled: dict[float, int] = {}
        self.box_buf: int | None = None
        self.box_scaled: dict[float, int] = {}

    def _new(self, weight: float) -> int:
        self.weight.append(weight)
        return len(self.weight) - 1

    def emit(self, code: int, dst: int, a: int, a_off: int = 0, b: int = 0, b_off: int = 0,
             scalar: float = 0.0) -> None:
        self.ops.append((code, dst, a, a_off, b, b_off, scalar))

    def scaled_input(self, m: float) -> int:
        if m not in self.scaled:
            buf = self._new(abs(m))
            self.emit(_MUL, buf, 0, scalar=m)
            self.scaled[m] = buf
        return self.scaled[m]

    def box(self) -> int:
        """The sum of all ``kh × kw`` taps (computed separably, once)."""
        if self.box_buf is None:
            row = [(0, j, 1) for j in range(self.kw)]
            rows = self.combine(row) if self.kw > 1 else (0, 0, 1)
            cols = [(rows[0], rows[1] + i * self.stride, 1) for i in range(self.kh)]
            buf, off, _ = self.combine(cols) if self.kh > 1 else rows
            if off != 0 or buf == 0:  # a 1×1 box is the input itself
                new = self._new(self.weight[buf])
                self.emit(_COPY, new, buf, off)
                buf = new
            self.box_buf = buf
        return self.box_buf

    def box_times(self, m: float) -> int:
        if m == 1:
            return self.box()
        if m not in self.box_scaled:
            box = self.box()
            buf = self._new(abs(m) * self.weight[box])
            self.emit(_MUL, buf, box, scalar=m)
            self.box_scaled[m] = buf
        return self.box_scaled[m]

    def combine(self, operands: list[tuple[int, int, int]],
                dst: int | None = None) -> tuple[int, int, int]:
        """Sum of signed shifted operands ``(buffer, offset, ±1)``; returns one operand.

        Positive operands come first, so the result is positive unless all are
        negative. With ``dst`` the result is written there (at offset 0).
        """
        ops = sorted(operands, key=lambda o: -o[2])
        if len(ops) == 1 and dst is None:
            return ops[0]
        if len(ops) == 1:
            buf, off, sign = ops[0]
            self.weight[dst] = self.weight[buf]
            self.emit(_COPY, dst, buf, off)
            return dst, 0, sign
        (a, ao, sa), (b, bo, sb) = ops[0], ops[1]
        out = self._new(0.0) if dst is None else dst
        self.weight[out] = self.weight[a] + self.weight[b]
        self.emit(_ADD if sa == sb else _SUB, out, a, ao, b, bo)
        for c, co, sc in ops[2:]:
            self.weight[out] += self.weight[c]
            self.emit(_ADD if sc == sa else _SUB, out, out, 0, c, co)
        return out, 0, sa

    def finish(self, result: tuple[int, int, int], dst: int) -> None:
        """Write operand ``result`` into ``dst`` with a positive sign."""
        buf, off, sign = result
        if buf != dst or off != 0:
            self.weight[dst] = self.weight[buf]
            self.emit(_COPY, dst, buf, off)
        if sign < 0:
            self.emit(_NEG, dst, dst)


def _kernel_taps(w: NDArray) -> list[tuple[int, int, float]]:
    return [(i, j, float(v)) for (i, j), v in np.ndenumerate(w) if v != 0]


def _direct_cost(taps: Sequence[tuple[int, int, float]]) -> int:
    mags = {abs(v) for _, _, v in taps}
    return max(0, len(taps) - 1) + len(mags - {1.0})


def _box_choice(w: NDArray) -> tuple[float, int] | None:
    """The weight ``c`` making ``c·box + (w − c)`` cheapest, and its cost (box excluded)."""
    values = Counter(float(v) for v in w.ravel() if v != 0)
    best = None
    for c in values:
        rest = [(i, j, v - c) for i, j, v in _kernel_taps(w) if v != c]
        rest += [(i, j, -c) for (i, j), v in np.ndenumerate(w) if v == 0]
        cost = len(rest) + len({abs(v) for *_, v in rest} - {1.0}) + (abs(c) != 1)
        if best is None or cost < best[1]:
            best = (c, cost)
    return best


def build_program(weights: NDArray, stride: int, integer: bool) -> Program:
    """Compile correlation ``weights`` (K, kh, kw) for a layout of row ``stride``."""
    k_count, kh, kw = weights.shape
    b = _Builder(stride, kh, kw)
    direct = [_direct_cost(_kernel_taps(w)) for w in weights]
    choices = [_box_choice(w) for w in weights]
    use_box = [ch is not None and ch[1] < d for ch, d in zip(choices, direct, strict=True)]
    box_cost = (kh - 1) + (kw - 1)
    if any(use_box):
        saved = sum(d - ch[1] for ch, d, u in zip(choices, direct, use_box, strict=True) if u)
        if saved <= box_cost:
            use_box = [False] * k_count
    plans: list[list[tuple[int, int, float]]] = []
    for w, ch, u in zip(weights, choices, use_box, strict=True):
        if u:
            c = ch[0]
            plans.append([(i, j, float(v) - c) for (i, j), v in np.ndenumerate(w) if v != c])
        else:
            plans.append(_kernel_taps(w))
    # magnitudes used by two or more kernels get a cached m·x copy
    mag_users = Counter(m for p in plans for m in {abs(v) for *_, v in p} - {1.0})
    results = tuple(b._new(0.0) for _ in range(k_count))
    for k, (plan, ch, u) in enumerate(zip(plans, choices, use_box, strict=True)):
        operands: list[tuple[int, int, int]] = []
        groups: dict[float, list[tuple[int, int, int]]] = {}
        for i, j, v in plan:
            m, sign = abs(v), (1 if v > 0 else -1)
            off = i * stride + j
            if m == 1.0:
                operands.append((0, off, sign))
            elif mag_users[m] > 1:
                operands.append((b.scaled_input(m), off, sign))
            else:
                groups.setdefault(m, []).append((0, off, sign))
        for m, members in groups.items():
            buf, off, sign = b.combine(members)
            scaled = b._new(m * b.weight[buf])
            b.emit(_MUL, scaled, buf, off, scalar=m)
            operands.append((scaled, 0, sign))
        if u:
            c = ch[0]
            operands.append((b.box_times(abs(c)), 0, 1 if c > 0 else -1))
        if not operands:
            b.emit(_ZERO, results[k], 0)
            b.weight[results[k]] = 0.0
            continue
        b.finish(b.combine(operands, dst=results[k]), results[k])
    n = len(b.weight)
    extent = [0] * n
    changed = True
    while changed:
        changed = False
        for code, dst, a, ao, bb, bo, _ in b.ops:
            sources = [(a, ao)] if code in (_MUL, _NEG, _COPY) else (
                [(a, ao), (bb, bo)] if code in (_ADD, _SUB) else [])
            for src, off in sources:
                need = off + extent[dst]
                if need > extent[src]:
                    extent[src] = need
                    changed = True
    return Program(tuple(b.ops), n, results, tuple(extent), max(b.weight), integer)


@lru_cache(maxsize=64)
def _cached_program(key: bytes, shape: tuple[int, int, int], stride: int,
                    integer: bool) -> Program:
    weights = np.frombuffer(key, dtype=np.float64).reshape(shape)
    return build_program(weights, stride, integer)


def program_for(weights: NDArray, stride: int, integer: bool) -> Program:
    """:func:`build_program`, cached by the weights (the figure calls it per redraw)."""
    w = np.ascontiguousarray(weights, dtype=np.float64)
    return _cached_program(w.tobytes(), w.shape, stride, integer)


def integer_dtype(bound: float) -> np.dtype | None:
    """The smallest of int16/int32/int64 holding every value up to ``bound``, or None."""
    for dt in (np.int16, np.int32, np.int64):
        if bound <= np.iinfo(dt).max:
            return np.dtype(dt)
    return None


class Workspace:
    """One thread's buffers for blocks of up to ``block`` images.

    The kernels' results are the rows of one ``(K, block * slot)`` array
    (:attr:`results`), so a dense one-image result is a single ``(K, slot)`` view.
    """

    def __init__(self, engine: Engine, block: int) -> None:
        p = engine.program
        size = block * engine.layout.slot
        dt = engine.dtype
        self.block = block
        self.results = np.empty((len(p.results), size), dtype=dt)
        rows = dict(zip(p.results, self.results, strict=True))
        # the input buffer is zero once; only the images' interiors are ever written
        self.buffers = [np.zeros(size + p.extent[0], dtype=dt)]
        for b in range(1, p.n_buffers):
            self.buffers.append(rows[b] if b in rows else np.empty(size + p.extent[b], dtype=dt))
        self.calls: dict[int, list] = {}
        self.extra: dict[str, NDArray] = {}


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
        cast = self.dtype.type
        self._ops = [(code, dst, a, ao, b, bo, cast(s)) for code, dst, a, ao, b, bo, s
                     in program.ops]
        self._small = threading.local()

    def small_workspace(self) -> Workspace:
        """A one-image workspace kept for this thread (the figure reuses it each redraw)."""
        ws = getattr(self._small, "ws", None)
        if ws is None:
            ws = self._small.ws = Workspace(self, 1)
        return ws

    def block_size(self, requested: int | None, n_images: int) -> int:
        if requested is not None:
            return max(1, min(requested, n_images))
        per_image = self.program.n_buffers * self.layout.slot * self.dtype.itemsize
        return max(1, min(MAX_BLOCK, BLOCK_BYTES // per_image, n_images))

    def load(self, ws: Workspace, images: NDArray, divisor: float | None = None) -> None:
        """Write ``images`` (count, H, W) into the block; floats divided by ``divisor``."""
        dst = self.layout.interior(ws.buffers[0], images.shape[0])
        if divisor is None or divisor == 1:
            np.copyto(dst, images, casting="unsafe")
        else:
            np.divide(images, divisor, out=dst, casting="unsafe")

    def _fold(self, k: int) -> tuple[int, int] | None:
        """``(op index, code)`` if kernel ``k``'s last op is ``result = X ± Y`` with Y shared.

        Then ``result > c`` ⇔ ``X > Y + c`` (SUB) or ``X > c − Y`` (ADD): the op
        is skipped and the threshold moved onto Y, computed once for the bank.
        """
        dst = self.program.results[k]
        last = max((i for i, op in enumerate(self._ops) if op[1] == dst), default=None)
        if last is None:
            return None
        code, _, _, _, b, bo, _ = self._ops[last]
        if code not in (_ADD, _SUB) or bo != 0 or b == 0 or b in self.program.results:
            return None
        return last, code

    def _calls(self, ws: Workspace, count: int, cutoff: int | None = None) -> tuple[list, list]:
        """The program as bound ufunc calls on this workspace's views (cached per count).

        Returns ``(calls, compare)``; with a ``cutoff`` (exact programs),
        ``compare[k] = (lhs, rhs)`` with ``response_k > cutoff`` ⇔ ``lhs > rhs``.
        """
        key = (count, cutoff)
        cached = ws.calls.get(key)
        if cached is not None:
            return cached
        bufs = ws.buffers
        n0 = count * self.layout.slot
        extent = self.program.extent
        results = self.program.results
        skip: dict[int, tuple[int, int]] = {}
        if cutoff is not None:
            info = np.iinfo(self.dtype)
            for k in range(self.kernels):
                fold = self._fold(k)
                if fold is None:
                    continue
                b = self._ops[fold[0]][4]
                if self.program.bound * self.pixels + abs(cutoff) < info.max:
                    skip[fold[0]] = (k, b)
        calls = []
        compare: list = [None] * self.kernels
        moved: dict[tuple[int, int], NDArray] = {}
        zero, minus = self.dtype.type(0), self.dtype.type(-1)
        for i, (code, dst, a, ao, b, bo, s) in enumerate(self._ops):
            n = n0 + extent[dst]
            d = bufs[dst][:n]
            if i in skip:
                k, y = skip[i]
                if (y, code) not in moved:
                    rhs = ws.extra.setdefault(f"fold{y}-{code}", np.empty_like(bufs[y]))[:n0]
                    c = self.dtype.type(cutoff)
                    if code == _SUB:
                        calls.append((np.add, bufs[y][:n0], c, rhs))
                    else:
                        calls.append((np.subtract, c, bufs[y][:n0], rhs))
                    moved[y, code] = rhs
                lhs = d[:n0] if a == dst else bufs[a][ao : ao + n0]
                compare[k] = (lhs, moved[y, code])
                continue
            if code == _ADD:
                calls.append((np.add, bufs[a][ao : ao + n], bufs[b][bo : bo + n], d))
            elif code == _SUB:
                calls.append((np.subtract, bufs[a][ao : ao + n], bufs[b][bo : bo + n], d))
            elif code == _MUL:
                calls.append((np.multiply, bufs[a][ao : ao + n], s, d))
            elif code == _COPY:
                calls.append((np.add, bufs[a][ao : ao + n], zero, d))
            elif code == _NEG:
                calls.append((np.multiply, d, minus, d))
            else:  # an all-zero kernel: 0 × the (finite) input
                calls.append((np.multiply, bufs[0][:n], zero, d))
        if cutoff is not None:
            for k in range(self.kernels):
                if compare[k] is None:
                    compare[k] = (bufs[results[k]][:n0], self.dtype.type(cutoff))
        if len(ws.calls) > 4:
            ws.calls.clear()
        ws.calls[key] = (calls, compare)
        return calls, compare

    def run(self, ws: Workspace, count: int) -> NDArray:
        """Execute the program on the first ``count`` images.

        Returns the ``(K, count * slot)`` results (views into ``ws``).
        """
        for fn, a, b, d in self._calls(ws, count)[0]:
            fn(a, b, out=d)
        return ws.results[:, : count * self.layout.slot]

    def run_threshold(self, ws: Workspace, count: int, cutoff: int) -> list:
        """Execute an exact program up to the comparison with ``cutoff``.

        Returns ``[(lhs, rhs), …]`` per kernel, flat views (rhs may be a scalar)
        with ``response_k > cutoff`` ⇔ ``lhs > rhs`` position by position.
        """
        calls, compare = self._calls(ws, count, int(cutoff))
        for fn, a, b, d in calls:
            fn(a, b, out=d)
        return compare


def blocks_of(n: int, block: int) -> list[tuple[int, int]]:
    """``[(start, stop), …]`` covering ``range(n)`` in blocks of at most ``block``."""
    return [(s, min(n, s + block)) for s in range(0, n, block)]


BlockFn = Callable[[tuple[int, int]], object]
