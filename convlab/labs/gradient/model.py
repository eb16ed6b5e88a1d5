"""The Gradient Descent lab's settings model and its pure helpers (no widgets here).

:class:`GradientLabState` holds every setting the panel shows; it converts to
and from JSON-safe dicts (saved sessions) and validates what it is given.
:func:`write_history_csv` is the CSV export without a file dialog, and
:func:`landscape_window` picks the part of the weight plane to show.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, TextIO

import numpy as np
from numpy.typing import ArrayLike

import convlab.core as cc

__all__ = [
    "OPTIMIZER_LABELS",
    "Curvature",
    "GradientLabState",
    "RacerSpec",
    "default_racers",
    "landscape_window",
    "quadratic_contours",
    "resize_params",
    "sgd_curvature",
    "write_history_csv",
]

#: Optimizer names as the app shows them.
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adam": "Adam"}

# Ranges the lab offers (the controls use the same limits as the validation).
MAX_LENGTH = 20  # samples per signal (and so kernel taps)
MAX_SAMPLES = 500  # signals per class
MAX_NOISE = 5.0
MAX_BATCH = 5000
MAX_RATE = 100.0  # a contender's learning rate
MAX_REPLAY_STEPS = 5_000_000  # a saved run replays in a few seconds at most


@dataclass
class RacerSpec:
    """One contender of the race: an optimizer and a single learning rate for every weight."""

    enabled: bool = True
    optimizer: str = "sgd"
    learning_rate: float = 0.01

    def label(self) -> str:
        return f"{OPTIMIZER_LABELS[self.optimizer]} α={self.learning_rate:g}"


def default_racers() -> list[RacerSpec]:
    """SGD, momentum, Nesterov and Adam from the same start (Adam with a larger step)."""
    return [
        RacerSpec(True, "sgd", 0.01),
        RacerSpec(True, "momentum", 0.01),
        RacerSpec(True, "nesterov", 0.01),
        RacerSpec(True, "adam", 0.05),
    ]


@dataclass
class GradientLabState:
    """Every setting of the lab; the defaults reproduce the notebook's experiment.

    ``batch_size`` 0 means full batch; ``steps_per_frame`` 0 means "as many as
    fit in the frame's time budget".
    """

    n_samples: int = 50
    length: int = 5
    noise: float = 0.5
    data_seed: int = 0
    test_fraction: float = 0.2
    taps: int = 2
    bias: bool = False
    start: list[float] = field(default_factory=lambda: [0.5, 0.5])
    learning_rates: list[float] = field(default_factory=lambda: [0.01, 0.01])
    optimizer: str = "sgd"
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    batch_size: int = 0
    steps_per_frame: int = 10
    log_loss: bool = True
    log_steps: bool = False
    slice_axes: list[int] = field(default_factory=lambda: [0, 1])
    race: bool = False
    racers: list[RacerSpec] = field(default_factory=default_racers)
    #: Steps trained so far. A saved session replays them with these settings (training is
    #: deterministic), so it reopens at the same weights unless settings changed mid-run.
    step: int = 0

    @property
    def n_params(self) -> int:
        return self.taps + int(self.bias)

    @property
    def names(self) -> list[str]:
        return cc.param_names(self.taps, self.bias)

    def optimizer_options(self, name: str | None = None) -> dict[str, float]:
        """The hyper-parameters ``name`` (default: the chosen optimizer) takes."""
        name = name or self.optimizer
        if name in ("momentum", "nesterov"):
            return {"momentum": self.momentum}
        if name == "adam":
            return {"beta1": self.beta1, "beta2": self.beta2}
        return {}

    def dataset(self) -> cc.UpDownSplit:
        return cc.updown_dataset(
            self.n_samples, self.length, self.noise, self.data_seed, self.test_fraction
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe plain data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GradientLabState:
        """Build and :meth:`validate` a state; missing keys take their defaults.

        Raises
        ------
        ValueError
            For unknown keys, wrong types or values out of range.
        """
        if not isinstance(data, dict):
            raise ValueError(f"the gradient lab state must be a mapping, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)}")
        values = dict(data)
        if "racers" in values:
            racers = values["racers"]
            if not isinstance(racers, list) or not all(isinstance(r, dict) for r in racers):
                raise ValueError("racers must be a list of {enabled, optimizer, learning_rate}")
            try:
                values["racers"] = [RacerSpec(**r) for r in racers]
            except TypeError as exc:
                raise ValueError(f"bad racer: {exc}") from None
        state = cls(**values)
        state.validate()
        return state

    def validate(self) -> None:
        """Raise ValueError with a readable message if any setting is out of range."""
        _int(self.n_samples, "samples per class", 1, MAX_SAMPLES)
        _int(self.length, "signal length", 2, MAX_LENGTH)
        _int(self.taps, "kernel taps", 1, self.length)
        _int(self.data_seed, "data seed", 0, 2**31 - 1)
        _int(self.batch_size, "batch size", 0, MAX_BATCH)
        _int(self.steps_per_frame, "steps per frame", 0, 1_000_000)
        _int(self.step, "step", 0, MAX_REPLAY_STEPS)
        _number(self.noise, "noise", 0.0, MAX_NOISE)
        _number(self.test_fraction, "test fraction", 0.05, 0.95)
        total = 2 * self.n_samples
        if not 0 < round(self.test_fraction * total) < total:
            raise ValueError(
                f"a test fraction of {self.test_fraction:g} of {total} signals leaves the "
                "training or the test set empty: use more samples or another fraction")
        _number(self.momentum, "momentum", 0.0, 0.999)
        _number(self.beta1, "beta1", 0.0, 0.999)
        _number(self.beta2, "beta2", 0.0, 0.99999)
        for name in ("bias", "log_loss", "log_steps", "race"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false")
        if self.optimizer not in cc.OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}")
        n = self.n_params
        for name in ("start", "learning_rates"):
            values = getattr(self, name)
            if not isinstance(values, list) or len(values) != n:
                raise ValueError(f"{name} must list {n} numbers ({', '.join(self.names)})")
            for v in values:
                _number(v, name, -1e6 if name == "start" else 0.0, 1e6)
        axes = self.slice_axes
        if (not isinstance(axes, list) or len(axes) != 2 or axes[0] == axes[1]
                or not all(isinstance(a, int) and 0 <= a < max(n, 2) for a in axes)):
            raise ValueError(f"slice_axes must be two different parameter indices, got {axes}")
        if n < 2 and axes != [0, 1]:
            raise ValueError("with one parameter the landscape axes are [0, 1]")
        for racer in self.racers:
            if not isinstance(racer.enabled, bool) or racer.optimizer not in cc.OPTIMIZERS:
                raise ValueError(f"bad racer {racer}")
            _number(racer.learning_rate, "racer learning rate", 0.0, MAX_RATE)


def _int(value: Any, name: str, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{name} must be a whole number from {lo} to {hi}, got {value!r}")


def _number(value: Any, name: str, lo: float, hi: float) -> None:
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not np.isfinite(value) or not lo <= value <= hi):
        raise ValueError(f"{name} must be a number from {lo:g} to {hi:g}, got {value!r}")


def resize_params(
    values: Sequence[float], old_taps: int, old_bias: bool, taps: int, bias: bool,
    weight_fill: float, bias_fill: float,
) -> list[float]:
    """Carry per-parameter values over to a model with other taps / bias.

    Existing weights are kept (extra taps get ``weight_fill``, removed ones are
    dropped); the bias value is kept if both models have one, else ``bias_fill``.

    >>> resize_params([0.5, 0.5, 0.2], 2, True, 3, False, 0.5, 0.0)
    [0.5, 0.5, 0.5]
    >>> resize_params([1.0, 2.0], 2, False, 1, True, 0.5, 0.0)
    [1.0, 0.0]
    """
    weights = list(values[:old_taps])[:taps] + [weight_fill] * max(0, taps - old_taps)
    if bias:
        weights.append(float(values[old_taps]) if old_bias else bias_fill)
    return [float(v) for v in weights]


def landscape_window(
    points: ArrayLike, margin: float = 0.6, min_span: float = 0.6
) -> tuple[tuple[float, float], tuple[float, float]]:
    """A square-ish window around ``points`` (shape ``(M, 2)``): ``((u0, u1), (v0, v1))``.

    The box around the points is widened by ``margin`` times its size on each
    side, and each side is at least ``min_span`` long, so both the start and
    the optimum are well inside.
    """
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if pts.size == 0:
        pts = np.zeros((1, 2))
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum((hi - lo) * (1 + 2 * margin), min_span)
    span[:] = span.max()  # the plot keeps the aspect ratio: use a square
    centre = (lo + hi) / 2
    return ((centre[0] - span[0] / 2, centre[0] + span[0] / 2),
            (centre[1] - span[1] / 2, centre[1] + span[1] / 2))


def quadratic_contours(
    hessian: ArrayLike, gradient: ArrayLike, value: float, origin: ArrayLike,
    levels: Iterable[float], points: int = 256,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact level curves of a quadratic in the plane, as one polyline with breaks.

    ``L(o + d) = value + gradient·d + ½·dᵀ·hessian·d`` (a 2-D slice of the loss
    through the point ``o``) has ellipses as level curves, centred on the slice's
    minimum ``d* = −H⁻¹·gradient`` with semi-axes ``√(2·(c − L_min)/λ)`` along the
    eigenvectors of ``H``. No grid, no marching squares: exact and cheap even for
    the long, thin ellipses of an ill-conditioned valley.

    Parameters
    ----------
    hessian : array_like, shape (2, 2)
        Symmetric positive semi-definite (a flat direction is treated as very
        slightly curved, which draws its level curves as long straight lines).
    gradient : array_like, shape (2,)
    value : float
        ``L(o)``.
    origin : array_like, shape (2,)
        ``o``, the point the slice goes through.
    levels : iterable of float
        Loss values ``c``; levels at or below the slice's minimum have no curve.
    points : int
        Points per ellipse.

    Returns
    -------
    x, y : ndarray, shape (M,)
        The ellipses one after the other.
    connect : ndarray of bool, shape (M,)
        False at the last point of each ellipse (for a pyqtgraph curve's ``connect``).
    """
    h = np.asarray(hessian, dtype=float)
    g = np.asarray(gradient, dtype=float)
    o = np.asarray(origin, dtype=float)
    empty = np.zeros(0)
    if not (np.all(np.isfinite(h)) and np.all(np.isfinite(g)) and np.all(np.isfinite(o))
            and np.isfinite(value)):
        return empty, empty, np.zeros(0, dtype=bool)  # e.g. a point where the loss overflows
    lam, q = np.linalg.eigh(h)
    if not lam.max() > 0:
        return empty, empty, np.zeros(0, dtype=bool)
    lam = np.maximum(lam, lam.max() * 1e-12)
    centre = o - q @ ((q.T @ g) / lam)
    minimum = float(value) - 0.5 * float((q.T @ g) ** 2 @ (1 / lam))
    t = np.linspace(0.0, 2 * np.pi, points)
    circle = np.stack([np.cos(t), np.sin(t)])
    curves = [
        centre[:, None] + q @ (np.sqrt(2 * (c - minimum) / lam)[:, None] * circle)
        for c in levels if c > minimum
    ]
    if not curves:
        return empty, empty, np.zeros(0, dtype=bool)
    xy = np.concatenate(curves, axis=1)
    connect = np.ones(xy.shape[1], dtype=bool)
    connect[points - 1 :: points] = False
    return xy[0], xy[1], connect


@dataclass(frozen=True)
class Curvature:
    """What the Hessian says about plain gradient descent; see :func:`sgd_curvature`."""

    eigenvalues: np.ndarray  # λ of H, ascending
    scaled: np.ndarray  # μ of α^½·H·α^½ (the step's curvature), ascending
    slowest_factor: float  # max |1 − μ|: the slowest direction shrinks by this per step
    steps_per_efold: float  # steps to shrink that direction by e (inf if it does not)

    @property
    def ratio(self) -> float:
        """λ_max / λ_min: how long and narrow the valley is (inf if flat)."""
        return float(self.eigenvalues[-1] / self.eigenvalues[0]) if self.eigenvalues[0] > 0 \
            else float("inf")

    @property
    def stable(self) -> bool:
        """Full-batch SGD converges iff every μ lies in (0, 2)."""
        return bool(self.scaled[-1] < 2)


def sgd_curvature(hessian: ArrayLike, learning_rates: ArrayLike) -> Curvature:
    """Curvature of the quadratic loss and its meaning for full-batch SGD.

    SGD with learning rates ``α`` (one per parameter) moves the error
    ``e = θ − θ*`` by ``e ← (I − diag(α)·H)·e``. That matrix is similar to
    ``I − M`` with ``M = α^½·H·α^½``, so each eigen-direction of ``M`` shrinks by
    ``|1 − μ|`` per step: SGD diverges once ``μ_max > 2`` and, while stable, crawls
    along the direction of ``μ_min`` (the flat valley) at ``1 − μ_min`` per step.

    Parameters
    ----------
    hessian : array_like, shape (P, P)
    learning_rates : array_like, shape (P,)

    Examples
    --------
    >>> c = sgd_curvature([[4.0, 0.0], [0.0, 0.01]], [0.1, 0.1])
    >>> c.ratio, c.stable, round(c.slowest_factor, 4)
    (400.0, True, 0.999)
    """
    h = np.asarray(hessian, dtype=float)
    root = np.sqrt(np.asarray(learning_rates, dtype=float))
    lam = np.linalg.eigvalsh(h)
    mu = np.linalg.eigvalsh(root[:, None] * h * root[None, :])
    factor = float(np.max(np.abs(1 - mu)))  # the spectral radius of I − M
    efold = float(-1 / np.log(factor)) if 0 < factor < 1 else float("inf")
    return Curvature(lam, mu, factor, efold)


def write_history_csv(
    stream: TextIO, runs: Iterable[tuple[str, Sequence[str], cc.History]]
) -> int:
    """Write training histories as CSV; returns the number of data rows.

    Columns: ``run, step, <parameter names…>, train_loss, test_loss,
    train_accuracy, test_accuracy``. ``runs`` holds ``(label, names, history)``
    for each run (one normally, one per contender in a race); the parameter
    columns are the union of the runs' names, a run lacking one leaves it empty.
    Numbers are written with full precision (``repr``).
    """
    runs = list(runs)
    names: list[str] = []
    for _, run_names, _ in runs:
        names += [n for n in run_names if n not in names]
    columns = cc.History.COLUMNS
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["run", "step", *names, *columns])
    rows = 0
    for label, run_names, history in runs:
        index = {n: i for i, n in enumerate(run_names)}
        values = [getattr(history, c) for c in columns]
        for r, step in enumerate(history.steps):
            params = history.params[r]
            cells = [repr(float(params[index[n]])) if n in index else "" for n in names]
            writer.writerow([label, int(step), *cells, *(repr(float(v[r])) for v in values)])
            rows += 1
    return rows
