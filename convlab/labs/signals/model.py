"""The Signals & Kernels lab's state and everything it shows, computed without Qt.

:class:`SignalsState` is the lab's model (what the user set): an evented,
validated :class:`~convlab.state.LabState`, so every field has a change signal
(``state.events.<field>``) and never holds a value the lab cannot show, save
and reopen. Its ``validate_<field>`` methods are the one source of truth for
the widgets (the text fields check with the same functions) and for loading a
session.

:func:`compute_view` turns a state into a :class:`SignalsView` (what the plots
and labels show) using only :mod:`convlab.core`, so each number on screen can
be checked against ``cc.conv1d`` & co.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from psygnal import evented

import convlab.core as cc
from convlab.core.signals import Generator, Param
from convlab.core.validation import as_finite_array, check_choice
from convlab.state import LabState, check_bool, check_int, check_number

__all__ = [
    "MAX_BATCH_ROWS",
    "MAX_BATCH_VALUES",
    "MAX_DILATION",
    "MAX_KERNEL",
    "MAX_MAGNITUDE",
    "MAX_SIGNAL",
    "MAX_STEP",
    "MAX_STRIDE",
    "PARAM_DECIMALS",
    "SIGNAL_DECIMALS",
    "JacobianCells",
    "SignalsState",
    "SignalsView",
    "StepView",
    "check_batch",
    "check_batch_shape",
    "check_kernel",
    "check_params",
    "check_signal",
    "compute_view",
    "csv_series",
    "default_batch",
    "fmt",
    "generated_signal",
    "jacobian_cells",
    "length_formula",
    "param_range",
    "step_view",
]

#: Longest signal / kernel the lab accepts (keeps the stem plots readable).
MAX_SIGNAL = 500
MAX_KERNEL = 64
MAX_STRIDE = 16
MAX_DILATION = 16
#: Most signals a batch holds, and most numbers in all: what its stacked plots can show
#: (row labels still readable) and what re-checking the text on every keystroke affords.
MAX_BATCH_ROWS = 100
MAX_BATCH_VALUES = 20_000
#: Largest magnitude of a sample or tap: a product of two is at most 1e300 and a sum of
#: the longest signal's products stays far below the float maximum (1.8e308), so no
#: square, product or sum the lab computes (or the plots' range arithmetic) overflows.
MAX_MAGNITUDE = 1e150
#: The last output index any allowed setting has (full mode, longest signal and kernel,
#: widest dilation): the largest step the slider can reach.
MAX_STEP = cc.output_length(MAX_SIGNAL, MAX_KERNEL, "full", 1, MAX_DILATION) - 1
#: Decimals of a generator's real-valued parameters (what its spin box shows).
PARAM_DECIMALS = 2
#: Decimals of a generated signal: the start signal, Generate and drawing all give 2.
SIGNAL_DECIMALS = 2
#: Bounds of a generator parameter that has none of its own (its spin box's range).
_OPEN_BOUND = 1e6


def default_batch(length: int = 8, per_class: int = 3, seed: int = 0) -> NDArray[np.float64]:
    """The notebook's ``X``: ``per_class`` rising then ``per_class`` falling lines."""
    rows = [cc.updown_line(length, rising=r, seed=seed + i)
            for r in (True, False) for i in range(per_class)]
    return np.stack(rows)


def generated_signal(name: str, params: Mapping[str, int | float]) -> NDArray[np.float64]:
    """Generator ``name``'s signal for ``params``, rounded to :data:`SIGNAL_DECIMALS`."""
    return np.round(cc.SIGNAL_GENERATORS[name](**params), SIGNAL_DECIMALS)


def _default_x() -> list[float]:
    return generated_signal("rising line", {}).tolist()


# ---------------------------------------------------------------------------- field checks
def _check_magnitude(arr: NDArray[np.float64], name: str, where: str) -> None:
    """``ValueError`` naming the first value of ``arr`` beyond :data:`MAX_MAGNITUDE`."""
    big = np.flatnonzero(np.abs(arr.ravel()) > MAX_MAGNITUDE)
    if big.size:
        at = np.unravel_index(int(big[0]), arr.shape)
        raise ValueError(f"{name}: {where.format(*at)} = {arr[at]:.3g} is too large; values must "
                         f"lie within ±{MAX_MAGNITUDE:.0e} so that their products and sums "
                         f"stay finite")


def _check_samples(value: Any, name: str, limit: int, unit: str, symbol: str) -> list[float]:
    arr = as_finite_array(value, name)
    if arr.size > limit:
        raise ValueError(f"{name} takes at most {limit} {unit}, got {arr.size}")
    _check_magnitude(arr, name, symbol + "_{}")
    return arr.tolist()


def check_signal(value: Any) -> list[float]:
    """The signal as a list of floats: 1 to :data:`MAX_SIGNAL` finite samples."""
    return _check_samples(value, "the signal x", MAX_SIGNAL, "samples", "x")


def check_kernel(value: Any) -> list[float]:
    """The kernel as a list of floats: 1 to :data:`MAX_KERNEL` finite taps."""
    return _check_samples(value, "the kernel w", MAX_KERNEL, "taps", "w")


def check_batch(value: Any) -> list[list[float]]:
    """The batch as rows of floats: 1 to :data:`MAX_BATCH_ROWS` rows of 1 to
    :data:`MAX_SIGNAL` samples, at most :data:`MAX_BATCH_VALUES` numbers in all."""
    if isinstance(value, (list, tuple)):  # refuse a huge batch before converting it
        check_batch_shape((len(value), 1))
    arr = as_finite_array(value, "the batch", ndims=(2,))
    check_batch_shape(arr.shape)
    _check_magnitude(arr, "the batch", "row {}, sample {}")
    return arr.tolist()


def check_batch_shape(shape: tuple[int, ...]) -> None:
    """``ValueError`` if a batch of this shape is more than the lab shows (checked before
    the numbers are read: a pasted 2000-row batch is refused at once)."""
    if len(shape) != 2:
        return  # as_finite_array names the wrong dimension
    rows, samples = shape
    if rows > MAX_BATCH_ROWS:
        raise ValueError(f"the batch takes at most {MAX_BATCH_ROWS} signals (one per line), "
                         f"got {rows}")
    if samples > MAX_SIGNAL:
        raise ValueError(f"batch signals take at most {MAX_SIGNAL} samples, got {samples}")
    if rows * samples > MAX_BATCH_VALUES:
        raise ValueError(f"the batch takes at most {MAX_BATCH_VALUES:,} numbers in all, got "
                         f"{rows} signals × {samples} samples = {rows * samples:,}")


def param_range(param: Param) -> tuple[float, float]:
    """The values a generator parameter may take (its spin box's range)."""
    low = param.minimum if param.minimum is not None else -_OPEN_BOUND
    high = param.maximum if param.maximum is not None else _OPEN_BOUND
    return low, high


def check_params(generator: Generator, params: Any) -> dict[str, int | float]:
    """``params`` checked against ``generator``'s parameter list.

    Every name must be one of its parameters, each value a number in
    :func:`param_range`; whole-number parameters become ``int``, the others are
    rounded to :data:`PARAM_DECIMALS` (what their fields show). Missing
    parameters take their defaults when the generator runs.
    """
    if not isinstance(params, Mapping):
        raise ValueError(f"parameters of {generator.name} must be a mapping, "
                         f"got {type(params).__name__}")
    known = {p.name: p for p in generator.params}
    unknown = sorted(str(key) for key in set(params) - set(known))
    if unknown:
        raise ValueError(f"{generator.name} has no parameter(s) {', '.join(unknown)}")
    checked: dict[str, int | float] = {}
    for name, value in params.items():
        param = known[name]
        low, high = param_range(param)
        what = f"parameter {name} of {generator.name}"
        param.check(value, generator.name)  # a short message for a 400-digit number
        if param.kind is int:
            checked[name] = check_int(value, what, int(low), int(high))
        else:
            checked[name] = round(check_number(value, what, low, high), PARAM_DECIMALS)
    return checked


#: Fields holding the parameters of the generator named by another field.
_PARAMS_OF = {"generator_params": ("generator", cc.SIGNAL_GENERATORS),
              "preset_params": ("preset", cc.KERNEL_PRESETS)}


@evented
@dataclass
class SignalsState(LabState):
    """Everything the user set in the lab (JSON-safe through :meth:`to_dict`).

    ``generator`` and ``generator_params`` (``preset`` and ``preset_params``)
    belong together: the parameters are checked against the generator in
    effect, so change both in one :meth:`update` (which sets the generator
    first, then checks the pair in :meth:`validate_all`).
    """

    label = "Signals & Kernels"

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

    def validate_x(self, value: Any) -> list[float]:
        return check_signal(value)

    def validate_w(self, value: Any) -> list[float]:
        return check_kernel(value)

    def validate_mode(self, value: Any) -> str:
        return check_choice(value, "mode", cc.MODES)

    def validate_flip(self, value: Any) -> bool:
        return check_bool(value, "flip")

    def validate_stride(self, value: Any) -> int:
        return check_int(value, "stride", 1, MAX_STRIDE)

    def validate_dilation(self, value: Any) -> int:
        return check_int(value, "dilation", 1, MAX_DILATION)

    def validate_padding_mode(self, value: Any) -> str:
        return check_choice(value, "padding_mode", cc.PADDING_MODES)

    def validate_step(self, value: Any) -> int:
        return check_int(value, "step", 0, MAX_STEP)

    def validate_show_all_modes(self, value: Any) -> bool:
        return check_bool(value, "show_all_modes")

    def validate_batch(self, value: Any) -> bool:
        return check_bool(value, "batch")

    def validate_batch_x(self, value: Any) -> list[list[float]]:
        return check_batch(value)

    def validate_generator(self, value: Any) -> str:
        return check_choice(value, "generator", cc.SIGNAL_GENERATORS)

    def validate_generator_params(self, value: Any) -> dict[str, int | float]:
        return check_params(cc.SIGNAL_GENERATORS[self.generator], value)

    def validate_preset(self, value: Any) -> str:
        return check_choice(value, "preset", cc.KERNEL_PRESETS)

    def validate_preset_params(self, value: Any) -> dict[str, int | float]:
        return check_params(cc.KERNEL_PRESETS[self.preset], value)

    def validate_all(self) -> None:
        for params, (name, registry) in _PARAMS_OF.items():
            check_params(registry[getattr(self, name)], getattr(self, params))

    def update(self, changes: Any) -> None:
        """As :meth:`LabState.update`; a generator is set before its parameters."""
        if isinstance(changes, Mapping):
            changes = dict(sorted(changes.items(), key=lambda item: item[0] in _PARAMS_OF))
        super().update(changes)

    def generated_signal(self) -> NDArray[np.float64]:
        """The selected generator's signal, rounded to :data:`SIGNAL_DECIMALS` like the start
        signal and drawn samples (``ValueError`` if the parameters do not go together)."""
        return generated_signal(self.generator, self.generator_params)

    def signal_is_generated(self) -> bool:
        """Whether ``x`` is the selected generator's signal (False: typed or drawn)."""
        try:
            return bool(np.array_equal(self.x, self.generated_signal()))
        except ValueError:
            return False

    def kernel_is_preset(self) -> bool:
        """Whether ``w`` is the selected preset's kernel (False: typed or dragged)."""
        try:
            return bool(np.array_equal(self.w, self.preset_kernel()))
        except ValueError:
            return False

    def preset_kernel(self) -> NDArray[np.float64]:
        """The selected preset's kernel (``ValueError`` if the parameters do not go together)."""
        return np.asarray(cc.KERNEL_PRESETS[self.preset](**self.preset_params), dtype=float)


# ---------------------------------------------------------------------------- the view
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
    """Everything the lab draws for one state (a snapshot: the components draw only this)."""

    x: NDArray[np.float64]  # (n,)
    w: NDArray[np.float64]  # (k,)
    flip: bool
    padding_mode: str
    left: int  # padding samples before the signal
    right: int  # and after it
    m: int  # output length
    z: NDArray[np.float64]  # (m,)
    padded_positions: NDArray[np.intp]  # positions of the padding samples
    padded_values: NDArray[np.float64]
    length_formula: str  # HTML
    step: StepView | None
    error: str = ""
    all_modes: dict[str, NDArray[np.float64]] = field(default_factory=dict)  # when shown
    batch_x: NDArray[np.float64] | None = None  # (rows, t) when the batch is shown
    batch_z: NDArray[np.float64] | None = None  # (rows, m') when it could be computed
    batch_error: str = ""
    settings: cc.Conv1dSettings = field(default_factory=cc.Conv1dSettings)

    @property
    def n(self) -> int:
        return self.x.size

    @property
    def k(self) -> int:
        return self.w.size


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
    pad_pos = np.concatenate([np.arange(-left, 0), np.arange(n, n + right)]).astype(np.intp)
    empty = np.zeros(0)
    view = SignalsView(x, w, state.flip, state.padding_mode, left, right, m, empty, pad_pos,
                       np.zeros(pad_pos.size),
                       length_formula(n, k, state.mode, state.stride, state.dilation), None,
                       settings=cc.Conv1dSettings(*args))
    if state.batch:
        view.batch_x = np.asarray(state.batch_x, dtype=float)
        try:
            view.batch_z = cc.conv1d(view.batch_x, w, *args)
        except ValueError as exc:
            view.batch_error = str(exc)
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
    if not np.all(np.isfinite(view.z)):  # unreachable with checked inputs; never draw inf
        view.error = "the output overflows: make the signal or the kernel smaller"
        view.z = np.zeros(0)
        view.m = 0
        return view
    if m == 0:
        view.error = (f"the kernel spans {state.dilation * (k - 1) + 1} samples but the signal "
                      f"has {n}: in valid mode there is no output. Try same or full.")
    else:
        view.step = step_view(x, w, min(state.step, m - 1), *args)
    if state.show_all_modes:
        for mode in cc.MODES:
            try:
                view.all_modes[mode] = cc.conv1d(x, w, mode, *args[1:])
            except ValueError:
                view.all_modes[mode] = empty
    return view


@dataclass
class JacobianCells:
    """The whole Jacobian ``∂z_i/∂w_j`` (rows i, columns j) and where each entry comes from."""

    values: NDArray[np.float64]  # (m, k) the entries: the sample tap j multiplies for z_i
    sources: NDArray[np.intp]  # (m, k) which x_t that is, -1 for a zero of the padding
    padded: NDArray[np.bool_]  # (m, k) the tap sits on a padding sample


def jacobian_cells(x: NDArray[np.float64], k: int, settings: cc.Conv1dSettings) -> JacobianCells:
    """The Jacobian of ``settings.conv1d(x, w)`` with respect to ``w`` (``k`` taps), cell by cell.

    ``values`` is ``settings.jacobian(x, k)``; ``sources`` and ``padded`` say which
    sample each entry is (``x_{i+j}`` in valid cross-correlation) and whether it is padding.
    ``ValueError`` when the settings cannot be applied to ``x`` (as ``conv1d`` would).
    """
    n = x.size
    m = settings.output_length(n, k)
    rows = np.arange(m)
    positions = cc.window_positions(rows, n, k, settings.mode, settings.flip, settings.stride,
                                    settings.dilation).reshape(m, k)
    return JacobianCells(settings.jacobian(x, k).reshape(m, k),
                         settings.receptive_field(rows, n, k).reshape(m, k),
                         (positions < 0) | (positions >= n))


def csv_series(view: SignalsView) -> dict[str, Any]:
    """The columns of the lab's CSV export: x, w, z, and the batch's X and Z when shown."""
    series: dict[str, Any] = {"x": view.x, "w": view.w, "z": view.z}
    if view.batch_x is not None and view.batch_z is not None:
        for r, (row, out) in enumerate(zip(view.batch_x, view.batch_z, strict=True)):
            series[f"X[{r}]"] = row
            series[f"Z[{r}]"] = out
    return series
