"""The Signals & Kernels lab's state and everything it shows, computed without Qt.

:class:`SignalsState` is the panel's model (what the user set);
:func:`compute_view` turns it into a :class:`SignalsView` (what the plots and
labels show) using only :mod:`convlab.core`, so each number on screen can be
checked against ``cc.conv1d`` & co.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

import convlab.core as cc
from convlab.core.validation import as_finite_array, check_choice, check_positive_int

__all__ = ["SignalsState", "SignalsView", "StepView", "compute_view", "default_batch"]

#: Longest signal / kernel the lab accepts (keeps the stem plots readable).
MAX_SIGNAL = 500
MAX_KERNEL = 64
MAX_STRIDE = 16
MAX_DILATION = 16


def default_batch(length: int = 8, per_class: int = 3, seed: int = 0) -> NDArray[np.float64]:
    """The notebook's ``X``: ``per_class`` rising then ``per_class`` falling lines."""
    rows = [cc.updown_line(length, rising=r, seed=seed + i)
            for r in (True, False) for i in range(per_class)]
    return np.stack(rows)


def _default_x() -> list[float]:
    return np.round(cc.updown_line(8, rising=True, seed=0), 2).tolist()


@dataclass
class SignalsState:
    """Everything the user set in the lab (JSON-safe through :meth:`to_dict`)."""

    x: list[float] = field(default_factory=_default_x)
    w: list[float] = field(default_factory=lambda: cc.DIFFERENCE.tolist())
    mode: str = "valid"
    flip: bool = False
    stride: int = 1
    dilation: int = 1
    padding_mode: str = "zeros"
    step: int = 0
    show_all_modes: bool = False
    batch: bool = False
    batch_x: list[list[float]] = field(
        default_factory=lambda: np.round(default_batch(), 2).tolist())
    generator: str = "rising line"
    generator_params: dict[str, float] = field(default_factory=dict)
    preset: str = "difference"
    preset_params: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignalsState:
        """Build a state from :meth:`to_dict` output; ``ValueError`` on anything wrong."""
        if not isinstance(data, dict):
            raise ValueError("the Signals & Kernels state must be a mapping")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown Signals & Kernels settings: {', '.join(sorted(unknown))}")
        state = cls(**data)
        state.validate()
        return state

    def validate(self) -> None:
        """Raise ``ValueError`` if a field has a wrong type or value."""
        x = as_finite_array(self.x, "the signal x")
        w = as_finite_array(self.w, "the kernel w")
        if x.size > MAX_SIGNAL or w.size > MAX_KERNEL:
            raise ValueError(f"at most {MAX_SIGNAL} signal samples and {MAX_KERNEL} kernel taps")
        batch = as_finite_array(self.batch_x, "the batch", ndims=(2,))
        if batch.shape[1] > MAX_SIGNAL:
            raise ValueError(f"batch signals have at most {MAX_SIGNAL} samples")
        check_choice(self.mode, "mode", cc.MODES)
        check_choice(self.padding_mode, "padding_mode", cc.PADDING_MODES)
        check_positive_int(self.stride, "stride")
        check_positive_int(self.dilation, "dilation")
        if self.stride > MAX_STRIDE or self.dilation > MAX_DILATION:
            raise ValueError(f"stride and dilation go up to {MAX_STRIDE} and {MAX_DILATION}")
        check_positive_int(self.step, "step", minimum=0)
        for name in ("flip", "show_all_modes", "batch"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false")
        check_choice(self.generator, "generator", cc.SIGNAL_GENERATORS)
        check_choice(self.preset, "preset", cc.KERNEL_PRESETS)
        for registry, name, params in ((cc.SIGNAL_GENERATORS, self.generator,
                                        self.generator_params),
                                       (cc.KERNEL_PRESETS, self.preset, self.preset_params)):
            if not isinstance(params, dict):
                raise ValueError(f"parameters of {name} must be a mapping")
            kinds = {p.name: p.kind for p in registry[name].params}
            if set(params) - set(kinds):
                raise ValueError(f"{name} has no parameter(s) {sorted(set(params) - set(kinds))}")
            for key, value in params.items():
                if (isinstance(value, bool) or not isinstance(value, (int, float))
                        or not np.isfinite(value)
                        or (kinds[key] is int and not float(value).is_integer())):
                    kind = "a whole number" if kinds[key] is int else "a number"
                    raise ValueError(f"parameter {key} of {name} must be {kind}, got {value!r}")
        self.x, self.w = x.tolist(), w.tolist()
        self.batch_x = batch.tolist()
        self.stride, self.dilation = int(self.stride), int(self.dilation)


@dataclass
class StepView:
    """One output ``z_i`` taken apart: where each tap lands and what it multiplies."""

    index: int
    positions: NDArray[np.intp]  # (k,) signal coordinates of the taps (padding outside 0..n-1)
    sources: NDArray[np.intp]  # (k,) sample each tap reads, -1 for a zero of the padding
    values: NDArray[np.float64]  # (k,) the values multiplied = dz_i/dw_j
    products: NDArray[np.float64]  # (k,) w_j * value
    total: float  # z_i
    equation: str  # HTML: z_i = w_0·x_.. + … = numbers = total


@dataclass
class SignalsView:
    """Everything the panel draws for one state."""

    n: int
    k: int
    left: int
    right: int
    m: int
    z: NDArray[np.float64]
    padded_positions: NDArray[np.intp]  # positions of the padding samples
    padded_values: NDArray[np.float64]
    length_formula: str  # HTML
    step: StepView | None
    error: str = ""
    all_modes: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    batch_z: NDArray[np.float64] | None = None
    batch_error: str = ""


def fmt(value: float) -> str:
    """A number as the lab prints it: up to 4 significant digits, a true minus sign."""
    text = f"{float(value):.4g}"
    if text in ("-0", "-0.0"):
        text = "0"
    return text.replace("-", "−")


def _sub(name: str, index: int) -> str:
    return f"{name}<sub>{index}</sub>"


def length_formula(n: int, k: int, mode: str, stride: int, dilation: int) -> str:
    """HTML of ``m = floor((n + pL + pR − d(k−1) − 1)/s) + 1`` with the numbers filled in."""
    left, right = cc.padding_amounts(n, k, mode, False, dilation)
    m = cc.output_length(n, k, mode, stride, dilation)
    fit = n + left + right - dilation * (k - 1)
    general = "m = ⌊(n + p<sub>L</sub> + p<sub>R</sub> − d·(k−1) − 1) / s⌋ + 1"
    numbers = f"⌊({n} + {left} + {right} − {dilation}·{k - 1} − 1) / {stride}⌋ + 1"
    if fit <= 0:
        return (f"{general}<br>= {numbers} → <b>0</b>: the kernel spans {dilation * (k - 1) + 1}"
                f" samples, more than the {n} of the signal")
    return f"{general}<br>= {numbers} = <b>{m}</b>"


def step_view(
    x: NDArray[np.float64], w: NDArray[np.float64], i: int, mode: str, flip: bool,
    stride: int, dilation: int, padding_mode: str,
) -> StepView:
    """Take output ``z_i`` apart (the numbers come from :func:`cc.conv1d_weight_jacobian`)."""
    n, k = x.size, w.size
    positions = cc.window_positions(i, n, k, mode, flip, stride, dilation)
    sources = cc.receptive_field(i, n, k, mode, flip, stride, dilation, padding_mode)
    values = cc.conv1d_weight_jacobian(x, k, mode, flip, stride, dilation, padding_mode)[i]
    products = w * values
    total = float(cc.conv1d(x, w, mode, flip, stride, dilation, padding_mode)[i])
    symbols, numbers = [], []
    for j in range(k):
        sample = _sub("x", int(sources[j])) if sources[j] >= 0 else "0"
        symbols.append(f"{_sub('w', j)}·{sample}")
        wj = fmt(w[j]) if w[j] >= 0 else f"({fmt(w[j])})"
        vj = fmt(values[j]) if values[j] >= 0 else f"({fmt(values[j])})"
        numbers.append(f"{wj}·{vj}")
    equation = (f"{_sub('z', i)} = {' + '.join(symbols)}<br>= {' + '.join(numbers)}"
                f" = <b>{html.escape(fmt(total))}</b>")
    return StepView(i, positions, sources, values, products, total, equation)


def compute_view(state: SignalsState) -> SignalsView:
    """Everything to draw for ``state``; problems land in ``error``, never raise."""
    x = np.asarray(state.x, dtype=float)
    w = np.asarray(state.w, dtype=float)
    n, k = x.size, w.size
    args = (state.mode, state.flip, state.stride, state.dilation, state.padding_mode)
    left, right = cc.padding_amounts(n, k, state.mode, state.flip, state.dilation)
    m = cc.output_length(n, k, state.mode, state.stride, state.dilation)
    formula = length_formula(n, k, state.mode, state.stride, state.dilation)
    pad_pos = np.concatenate([np.arange(-left, 0), np.arange(n, n + right)]).astype(np.intp)
    empty = np.zeros(0)
    view = SignalsView(n, k, left, right, m, empty, pad_pos, np.zeros(pad_pos.size),
                       formula, None)
    try:
        view.z = cc.conv1d(x, w, *args)
        src = cc.source_index(pad_pos, n, state.padding_mode)
        view.padded_values = np.where(src >= 0, x[np.maximum(src, 0)], 0.0)
    except ValueError as exc:
        view.error = str(exc)
        view.m = 0
        view.padded_positions = np.zeros(0, dtype=np.intp)
        view.padded_values = empty
        return view
    if m == 0:
        view.error = (f"the kernel spans {state.dilation * (k - 1) + 1} samples but the signal "
                      f"has {n}: in valid mode there is no output. Try same or full.")
    else:
        i = min(state.step, m - 1)
        view.step = step_view(x, w, i, *args)
    if state.show_all_modes:
        for mode in cc.MODES:
            try:
                view.all_modes[mode] = cc.conv1d(x, w, mode, *args[1:])
            except ValueError:
                view.all_modes[mode] = empty
    if state.batch:
        try:
            view.batch_z = cc.conv1d(np.asarray(state.batch_x, dtype=float), w, *args)
        except ValueError as exc:
            view.batch_error = str(exc)
    return view
