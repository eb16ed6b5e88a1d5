"""The kernels compiled into numpy calls for the shift-and-add engine (private).

:func:`build_program` turns a bank of correlation kernels into a short list
of operations on shifted views of a padded block (see
:mod:`._conv_engine` for the layout); :func:`plan_steps` groups them into
numpy calls.

* **A planned program.** Taps with equal weights are summed before one
  multiplication (or read from a cached ``m·x`` copy when several kernels
  share the magnitude ``m``); a kernel made mostly of one weight ``c`` is
  computed as ``c·box + (kernel − c)`` with the box sum shared by the bank,
  and a kernel row of one weight reads the box's row sums. The notebook's
  line detectors (each ``3·line − box``) take 16 passes over the block,
  against 72 for tap-by-tap multiply-and-add.
* **Exact integers.** Integer images (uint8 digits) and integer kernels are
  computed in the smallest integer type that provably cannot overflow (int16
  for a 3×3 kernel on uint8: ``|sum| ≤ 9·2·255``), so the results are exact
  and half the memory traffic of float32. Other inputs are computed in the
  requested float type; the order of operations depends only on the kernels,
  never on the block size, so a digit alone and the same digit inside a data
  set get bit-identical float responses.
* **Kernels side by side.** Kernels whose plans have the same shape (the
  same operations on the same buffers, only the taps' offsets differ) and
  whose offsets step evenly from kernel to kernel are computed together: one
  numpy call on ``(kernels, n)`` strided views instead of one per kernel.
  Three of the notebook's detectors (the two diagonals and the vertical:
  centre tap shared, the other two stepping by one pixel) form one stack.
  Fewer, longer calls matter most with several threads: numpy releases the
  GIL only inside a call, and on a small VM every hand-over of the GIL
  between calls costs more than the call's work (measured: blocks of 24
  digits ran 2× *slower* on two threads than on one; stacked, two threads
  ran 1.8× faster). The line detectors take 10 calls a block instead of 17.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

__all__: list[str] = []

# op codes
_ADD, _SUB, _MUL, _NEG, _COPY, _ZERO = range(6)

#: An operand of a :class:`Step` reading the step's own destination rows.
SELF = -1


@dataclass(frozen=True)
class Step:
    """One numpy call of a planned program.

    A step on a shared buffer (``rows == 0``) writes the flat buffer ``dst``.
    A step on kernels' results writes ``rows`` consecutive rows of the results
    array from ``row`` (``dst`` is the first kernel's buffer), one kernel per
    row. Operands are ``(buffer, offset, step)``: row ``r`` reads
    ``buffer[offset + r * step :]``, ``SELF`` being the destination rows.
    """

    code: int
    dst: int
    row: int
    rows: int
    a: tuple[int, int, int]
    b: tuple[int, int, int] | None
    scalar: float


@dataclass(frozen=True)
class Program:
    """Numpy operations computing every kernel's response from shifted views.

    ``ops`` are ``(code, dst, a, a_offset, b, b_offset, scalar)`` on buffers
    (0 is the padded input); ``results[k]`` is the buffer holding kernel
    ``k``'s response (after the program ran, sign already positive).
    ``extent[b]`` is how far past ``count * slot`` buffer ``b`` is computed
    (later ops read it shifted); ``bound`` bounds ``|value|`` of every buffer
    for inputs with ``|pixel| ≤ 1`` (integer programs). ``steps`` are the
    same operations as numpy calls, kernels stacked where their plans allow
    (:func:`plan_steps`): kernel ``k``'s response is row ``rows[k]`` of the
    results, and ``stacks`` lists the kernels computed together, in row order.
    """

    ops: tuple[tuple, ...]
    n_buffers: int
    results: tuple[int, ...]
    extent: tuple[int, ...]
    bound: float
    integer: bool
    steps: tuple[Step, ...] = field(default=())
    rows: tuple[int, ...] = field(default=())
    stacks: tuple[tuple[int, ...], ...] = field(default=())

    @property
    def passes(self) -> int:
        """Numpy passes over the block per run (the cost model)."""
        return len(self.ops)


def _reads(op: tuple) -> list[tuple[int, int]]:
    """The ``(buffer, offset)`` operands an op reads."""
    code, _, a, ao, b, bo, _ = op
    return [(a, ao), (b, bo)] if code in (_ADD, _SUB) else [(a, ao)]


def _step(ops: Sequence[tuple], row: int, rows: int) -> Step:
    """One call for ``ops``: the same operation of the kernels of a stack (or one shared op)."""
    first = ops[0]
    operands = []
    for q, (src, off) in enumerate(_reads(first)):
        if rows and src == first[1]:
            operands.append((SELF, 0, 0))
        else:
            nxt = _reads(ops[1])[q][1] if len(ops) > 1 else off
            operands.append((src, off, nxt - off))
    return Step(first[0], first[1], row, rows, operands[0],
                operands[1] if len(operands) > 1 else None, first[6])


def plan_steps(ops: Sequence[tuple], results: Sequence[int]) -> tuple[
        tuple[Step, ...], tuple[int, ...], tuple[tuple[int, ...], ...]]:
    """Group the kernels' operations into stacked numpy calls.

    The operations writing shared buffers come first (they never read a
    result). Each kernel's chain (the operations writing its result) is
    described by its shape — codes, scalars and the buffers read — and its
    offsets. Kernels of one shape whose offset vectors step evenly (in sorted
    order) form a stack, computed in one call per operation. Returns
    ``(steps, rows, stacks)`` as in :class:`Program`.

    >>> ops = [(_ADD, 1, 0, 0, 0, 1, 0.0), (_ADD, 2, 0, 1, 0, 2, 0.0)]
    >>> steps, rows, stacks = plan_steps(ops, (1, 2))
    >>> stacks, steps[0].rows, steps[0].a, steps[0].b
    (((0, 1),), 2, (0, 0, 1), (0, 1, 1))
    """
    kernel_of = {buf: k for k, buf in enumerate(results)}
    shared = [op for op in ops if op[1] not in kernel_of]
    chains: list[list[tuple]] = [[] for _ in results]
    for op in ops:
        if op[1] in kernel_of:
            chains[kernel_of[op[1]]].append(op)
    hoistable = all(src not in kernel_of for op in shared for src, _ in _reads(op)) and all(
        (src == op[1] and off == 0) or src not in kernel_of
        for chain in chains for op in chain for src, off in _reads(op))
    if not hoistable:  # pragma: no cover - the builder never reads another kernel's result
        raise AssertionError("a shared buffer or another kernel reads a kernel's result")

    def shape(k: int) -> tuple:
        return tuple((op[0], op[6], *[SELF if src == op[1] else src for src, _ in _reads(op)])
                     for op in chains[k])

    def offsets(k: int) -> tuple[int, ...]:
        return tuple(off for op in chains[k] for _, off in _reads(op))

    groups: dict[tuple, list[int]] = {}
    for k in range(len(results)):
        groups.setdefault(shape(k), []).append(k)
    stacks: list[list[int]] = []
    for members in groups.values():
        run: list[int] = []
        for k in sorted(members, key=offsets):
            if len(run) >= 2:
                step = np.subtract(offsets(run[1]), offsets(run[0]))
                if not np.array_equal(np.subtract(offsets(k), offsets(run[-1])), step):
                    stacks.append(run)
                    run = []
            run.append(k)
        stacks.append(run)
    stacks.sort(key=min)
    rows = [0] * len(results)
    steps = [_step([op], -1, 0) for op in shared]
    row = 0
    for stack in stacks:
        for i, k in enumerate(stack):
            rows[k] = row + i
        for p in range(len(chains[stack[0]])):
            steps.append(_step([chains[k][p] for k in stack], row, len(stack)))
        row += len(stack)
    return tuple(steps), tuple(rows), tuple(tuple(st) for st in stacks)


class _Builder:
    """Builds a :class:`Program` with shared sub-expressions (see the module docstring)."""

    def __init__(self, stride: int, kh: int, kw: int) -> None:
        self.stride, self.kh, self.kw = stride, kh, kw
        self.ops: list[tuple] = []
        self.weight = [1.0]  # Σ|coefficient| of each buffer's linear form in the pixels
        self.scaled: dict[float, int] = {}
        self.box_buf: int | None = None
        self.box_scaled: dict[float, int] = {}
        self.row_buf: int | None = None  # the box's row sums (kw taps of a row, offset 0)
        self.row_scaled: dict[float, int] = {}

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
            if self.kw > 1:
                self.row_buf = rows[0]
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

    def row_sums_times(self, m: float) -> int:
        """The box's row sums times ``m`` (a whole row of equal weights ``m`` in one read)."""
        self.box()
        if m == 1:
            return self.row_buf
        if m not in self.row_scaled:
            buf = self._new(abs(m) * self.weight[self.row_buf])
            self.emit(_MUL, buf, self.row_buf, scalar=m)
            self.row_scaled[m] = buf
        return self.row_scaled[m]

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
        if u and kw >= 3:
            # a whole kernel row of one weight is the box's row sums, shifted to that row
            for row in range(kh):
                values = {v for i, _, v in plan if i == row}
                if len(values) == 1 and sum(i == row for i, _, _ in plan) == kw:
                    v = values.pop()
                    operands.append((b.row_sums_times(abs(v)), row * stride, 1 if v > 0 else -1))
                    plan = [t for t in plan if t[0] != row]
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
    if any(extent[r] for r in results):  # pragma: no cover - the builder never shifts a result
        raise AssertionError("a kernel's result is read shifted")
    steps, rows, stacks = plan_steps(b.ops, results)
    return Program(tuple(b.ops), n, results, tuple(extent), max(b.weight), integer,
                   steps, rows, stacks)


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
