"""Signal generators and kernel presets for the Signals & Kernels lab.

Every generator is a pure function of its parameters (random ones take a
``seed`` and use :class:`numpy.random.Generator`, so the same seed gives the
same signal) and returns a float array of shape ``(length,)`` (signals) or
``(k,)`` (kernels).

Two registries describe them for a user interface:
:data:`SIGNAL_GENERATORS` and :data:`KERNEL_PRESETS` map a display name to a
:class:`Generator`: the function plus its :class:`Param` list (name, default,
range, help text), so a menu and its parameter fields can be built from them.

>>> SIGNAL_GENERATORS["step"](length=6).tolist()
[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
>>> KERNEL_PRESETS["moving average"](k=4).tolist()
[0.25, 0.25, 0.25, 0.25]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .validation import check_positive_int

__all__ = [
    "CENTRAL_DIFFERENCE",
    "DIFFERENCE",
    "KERNEL_PRESETS",
    "LAPLACIAN",
    "SIGNAL_GENERATORS",
    "Generator",
    "Param",
    "gaussian_kernel",
    "impulse",
    "moving_average",
    "noise",
    "ramp",
    "sine",
    "square",
    "step",
    "updown_line",
]

#: ``[1, -1]``: with cross-correlation ``z_i = x_i - x_{i+1}`` (negative where the signal rises).
DIFFERENCE: NDArray[np.float64] = np.array([1.0, -1.0])
#: ``[-0.5, 0, 0.5]``: the slope around each sample (cross-correlation).
CENTRAL_DIFFERENCE: NDArray[np.float64] = np.array([-0.5, 0.0, 0.5])
#: ``[1, -2, 1]``: discrete second derivative, zero on straight lines.
LAPLACIAN: NDArray[np.float64] = np.array([1.0, -2.0, 1.0])


def _short(value: object) -> str:
    """``value`` for a message: a huge whole number by its digit count, not its digits."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        digits = len(str(abs(int(value))))
        if digits > 15:
            return f"a {digits}-digit number"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _finite(value: float, name: str) -> float:
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return value


def _position(at: int | None, length: int, name: str = "at") -> int:
    """``at`` (default: the middle) checked to be a sample index."""
    if at is None:
        return length // 2
    at = check_positive_int(at, name, minimum=0)
    if at >= length:
        raise ValueError(f"{name} must be a sample index below the length {length}, got {at}")
    return at


def step(length: int = 20, at: int | None = None, low: float = 0.0, high: float = 1.0) -> NDArray:
    """``low`` before sample ``at`` (default the middle), ``high`` from it on.

    Returns
    -------
    ndarray, shape (length,)

    >>> step(5, at=2).tolist()
    [0.0, 0.0, 1.0, 1.0, 1.0]
    """
    length = check_positive_int(length, "length")
    at = _position(at, length)
    return np.where(np.arange(length) >= at, _finite(high, "high"), _finite(low, "low"))


def ramp(length: int = 20, at: int = 0, slope: float = 1.0) -> NDArray:
    """Zero before sample ``at``, then rising by ``slope`` per sample: ``slope·max(t - at, 0)``.

    Returns
    -------
    ndarray, shape (length,)

    >>> ramp(5, at=1, slope=2).tolist()
    [0.0, 0.0, 2.0, 4.0, 6.0]
    """
    length = check_positive_int(length, "length")
    at = _position(at, length)
    return _finite(slope, "slope") * np.maximum(np.arange(length) - at, 0).astype(float)


def sine(
    length: int = 32, period: float = 16.0, amplitude: float = 1.0, phase: float = 0.0
) -> NDArray:
    """``amplitude·sin(2π·t/period + phase)``; ``period`` in samples (> 0), ``phase`` in radians.

    Returns
    -------
    ndarray, shape (length,)

    >>> np.round(sine(4, period=4), 12).tolist()
    [0.0, 1.0, 0.0, -1.0]
    """
    length = check_positive_int(length, "length")
    period = _finite(period, "period")
    if period <= 0:
        raise ValueError(f"period must be positive (in samples), got {period}")
    angle = 2 * np.pi * np.arange(length) / period + _finite(phase, "phase")
    return _finite(amplitude, "amplitude") * np.sin(angle)


def square(
    length: int = 32, period: int = 16, amplitude: float = 1.0, duty: float = 0.5
) -> NDArray:
    """A square wave: ``+amplitude`` for the first ``duty`` of each period, then ``-amplitude``.

    Returns
    -------
    ndarray, shape (length,)

    >>> square(8, period=4).tolist()
    [1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0]
    """
    length = check_positive_int(length, "length")
    period = check_positive_int(period, "period")
    duty = _finite(duty, "duty")
    if not 0.0 <= duty <= 1.0:
        raise ValueError(f"duty must be between 0 and 1, got {duty}")
    a = _finite(amplitude, "amplitude")
    return np.where(np.arange(length) % period < duty * period, a, -a)


def impulse(length: int = 20, at: int | None = None, amplitude: float = 1.0) -> NDArray:
    """All zeros except ``amplitude`` at sample ``at`` (default the middle).

    Convolving an impulse with a kernel shows the kernel itself (reversed for
    cross-correlation).

    Returns
    -------
    ndarray, shape (length,)

    >>> impulse(5, at=1).tolist()
    [0.0, 1.0, 0.0, 0.0, 0.0]
    """
    length = check_positive_int(length, "length")
    out = np.zeros(length)
    out[_position(at, length)] = _finite(amplitude, "amplitude")
    return out


def noise(length: int = 32, std: float = 1.0, seed: int = 0) -> NDArray:
    """Gaussian white noise with standard deviation ``std`` (>= 0), from a seeded Generator.

    Returns
    -------
    ndarray, shape (length,)

    >>> bool(np.array_equal(noise(5, seed=3), noise(5, seed=3)))
    True
    """
    length = check_positive_int(length, "length")
    std = _finite(std, "std")
    if std < 0:
        raise ValueError(f"std must be zero or positive, got {std}")
    seed = check_positive_int(seed, "seed", minimum=0)
    return np.random.default_rng(seed).normal(0.0, std, length)


def updown_line(
    length: int = 5, rising: bool = True, noise: float = 0.5, seed: int = 0
) -> NDArray:
    """One signal like the up/down data set: ``x_t = a·t + b + u_t``, ``t = 0 … length-1``.

    The slope ``a`` is drawn from ``[1, 2)`` (rising) or ``[-2, -1)`` (falling), the
    intercept ``b`` from ``[-0.5, 0.5)`` and the noise ``u_t`` from
    ``[-noise, noise)``, as :func:`convlab.core.updown_dataset` does.

    Returns
    -------
    ndarray, shape (length,)

    >>> x = updown_line(6, rising=False, noise=0.0, seed=1)
    >>> bool(np.all(np.diff(x) < -0.99))
    True
    """
    length = check_positive_int(length, "length")
    half = _finite(noise, "noise")
    if half < 0:
        raise ValueError(f"noise must be zero or positive, got {half}")
    rng = np.random.default_rng(check_positive_int(seed, "seed", minimum=0))
    slope = rng.uniform(1.0, 2.0) * (1.0 if rising else -1.0)
    intercept = rng.uniform(-0.5, 0.5)
    return slope * np.arange(length) + intercept + rng.uniform(-half, half, length)


def moving_average(k: int = 3) -> NDArray:
    """``k`` equal taps ``1/k``: smooths the signal.

    Returns
    -------
    ndarray, shape (k,)

    >>> moving_average(2).tolist()
    [0.5, 0.5]
    """
    k = check_positive_int(k, "k (number of taps)")
    return np.full(k, 1.0 / k)


def gaussian_kernel(k: int = 5, sigma: float = 1.0) -> NDArray:
    """A sampled Gaussian bell, centred, normalised to sum 1 (a gentler smoother).

    Returns
    -------
    ndarray, shape (k,)

    >>> g = gaussian_kernel(5, 1.0)
    >>> round(float(g.sum()), 12), bool(g[2] == g.max()), bool(np.allclose(g, g[::-1]))
    (1.0, True, True)
    """
    k = check_positive_int(k, "k (number of taps)")
    sigma = _finite(sigma, "sigma")
    if sigma <= 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    t = np.arange(k) - (k - 1) / 2
    g = np.exp(-0.5 * (t / sigma) ** 2)
    return g / g.sum()


@dataclass(frozen=True)
class Param:
    """One parameter of a :class:`Generator`.

    Attributes
    ----------
    name : str
        Keyword argument name.
    default : int or float
        Its default; its type is the parameter's type (whole numbers for ``int``).
    minimum, maximum : float or None
        Allowed range for a user interface (inclusive), ``None`` when open.
    help : str
        One-line explanation (a tooltip).
    """

    name: str
    default: int | float
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""

    @property
    def kind(self) -> type:
        """``int`` or ``float``: the type of the value."""
        return type(self.default)

    def check(self, value: object, owner: str) -> int | float:
        """``value`` as this parameter's type, if it is one and lies in its range.

        Raises
        ------
        ValueError
            Naming the parameter, its owner (``owner``, e.g. ``"sine"``) and the
            allowed range, e.g. ``parameter length of sine must be a whole number
            from 1 to 500, got a 31-digit number``.

        >>> Param("k", 3, 1, 31).check(4.0, "moving average")
        4
        """
        whole = self.kind is int
        ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, (bool, np.bool_))
        number = math.nan
        if ok:
            try:
                number = float(value)
            except OverflowError:  # an int beyond the float range
                number = math.inf
            ok = math.isfinite(number) and (not whole or number.is_integer())
        low = -math.inf if self.minimum is None else self.minimum
        high = math.inf if self.maximum is None else self.maximum
        if not ok or not low <= number <= high:
            what = "a whole number" if whole else "a number"
            bounds = (f"{int(low):,} to {int(high):,}" if whole and math.isfinite(low + high)
                      else f"{low:g} to {high:g}")
            raise ValueError(f"parameter {self.name} of {owner} must be {what} from {bounds}, "
                             f"got {_short(value)}")
        return int(value) if whole else number


@dataclass(frozen=True)
class Generator:
    """A named signal generator or kernel preset with documented parameters.

    Call it with keyword arguments; missing ones take their defaults.
    """

    name: str
    func: Callable[..., NDArray]
    params: tuple[Param, ...]
    description: str

    def defaults(self) -> dict[str, int | float]:
        """``{parameter name: default}``."""
        return {p.name: p.default for p in self.params}

    def __call__(self, **kwargs: int | float) -> NDArray:
        """The signal (or kernel) for ``kwargs``; ``ValueError`` naming a parameter that is
        unknown, of the wrong type or outside its range."""
        unknown = set(kwargs) - {p.name for p in self.params}
        if unknown:
            raise ValueError(f"{self.name} has no parameter(s) {', '.join(sorted(unknown))}")
        checked = {p.name: p.check(kwargs[p.name], self.name)
                   for p in self.params if p.name in kwargs}
        return self.func(**{**self.defaults(), **checked})


_LENGTH = Param("length", 20, 1, 500, "number of samples")
_SEED = Param("seed", 0, 0, 2**31 - 1, "random seed: the same seed gives the same signal")
_WHERE = Param("where", 0.5, 0.0, 1.0, "where it happens, as a fraction of the length")


def _at(length: int, where: float) -> int:
    """Sample index at fraction ``where`` (0 … 1) of the signal."""
    where = _finite(where, "where")
    if not 0.0 <= where <= 1.0:
        raise ValueError(f"where must be a fraction between 0 and 1, got {where}")
    return min(int(where * length), length - 1)

_AMPLITUDE = Param("amplitude", 1.0, -100.0, 100.0, "height")
_TAPS = Param("k", 3, 1, 31, "number of kernel taps")

_LINE_PARAMS = (
    Param("length", 8, 1, 500, "number of samples"),
    Param("noise", 0.5, 0.0, 10.0, "noise drawn from [-noise, noise)"),
    _SEED,
)

#: Signal generators by display name.
SIGNAL_GENERATORS: Mapping[str, Generator] = {
    g.name: g
    for g in (
        Generator(
            "rising line",
            lambda length, noise, seed: updown_line(length, True, noise, seed),
            _LINE_PARAMS,
            "a·t + b + noise with a in [1, 2), like the data set's rising samples",
        ),
        Generator(
            "falling line",
            lambda length, noise, seed: updown_line(length, False, noise, seed),
            _LINE_PARAMS,
            "a·t + b + noise with a in [-2, -1), like the data set's falling samples",
        ),
        Generator(
            "step",
            lambda length, where, low, high: step(length, _at(length, where), low, high),
            (_LENGTH, _WHERE, Param("low", 0.0, -100.0, 100.0, "value before the step"),
             Param("high", 1.0, -100.0, 100.0, "value from the step on")),
            "jumps from low to high at one sample",
        ),
        Generator(
            "ramp",
            lambda length, where, slope: ramp(length, _at(length, where), slope),
            (_LENGTH, Param("where", 0.25, 0.0, 1.0, "where it starts rising (fraction)"),
             Param("slope", 1.0, -100.0, 100.0, "rise per sample")),
            "zero, then rising in a straight line",
        ),
        Generator(
            "sine", sine,
            (Param("length", 32, 1, 500, "number of samples"),
             Param("period", 16.0, 0.5, 500.0, "samples per cycle"), _AMPLITUDE,
             Param("phase", 0.0, -6.3, 6.3, "phase shift in radians")),
            "a sampled sine wave",
        ),
        Generator(
            "square", square,
            (Param("length", 32, 1, 500, "number of samples"),
             Param("period", 16, 1, 500, "samples per cycle"), _AMPLITUDE,
             Param("duty", 0.5, 0.0, 1.0, "fraction of each cycle spent high")),
            "a square wave between +amplitude and -amplitude",
        ),
        Generator(
            "impulse",
            lambda length, where, amplitude: impulse(length, _at(length, where), amplitude),
            (_LENGTH, _WHERE, _AMPLITUDE),
            "a single non-zero sample: convolving it shows the kernel",
        ),
        Generator(
            "noise", noise,
            (Param("length", 32, 1, 500, "number of samples"),
             Param("std", 1.0, 0.0, 100.0, "standard deviation"), _SEED),
            "Gaussian white noise",
        ),
    )
}

#: Kernel presets by display name.
KERNEL_PRESETS: Mapping[str, Generator] = {
    g.name: g
    for g in (
        Generator("difference", lambda: DIFFERENCE.copy(), (),
                  "[1, -1]: responds to change, zero on constant stretches"),
        Generator("central difference", lambda: CENTRAL_DIFFERENCE.copy(), (),
                  "[-½, 0, ½]: the slope around each sample"),
        Generator("laplacian", lambda: LAPLACIAN.copy(), (),
                  "[1, -2, 1]: second difference, zero on straight lines"),
        Generator("moving average", moving_average, (_TAPS,), "k taps of 1/k: smooths"),
        Generator("gaussian", gaussian_kernel,
                  (Param("k", 5, 1, 31, "number of kernel taps"),
                   Param("sigma", 1.0, 0.1, 20.0, "width of the bell in samples")),
                  "a sampled Gaussian bell summing to 1: smooths gently"),
        Generator("identity", lambda: np.array([1.0]), (), "[1]: leaves the signal unchanged"),
    )
}
