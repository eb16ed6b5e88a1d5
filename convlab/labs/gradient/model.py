"""The Gradient Descent lab's settings: an evented, validated model (no Qt here).

:class:`GradientLabState` holds every setting the lab shows. It is a
:class:`convlab.state.LabState`: each field has a change signal
(``state.events.<field>`` emits ``(new, old)``) and a ``validate_<field>``
method that checks a value before it is stored; :meth:`GradientLabState.validate_all`
checks what involves several fields (the start lists one number per parameter,
the kernel fits the signal, the test set is not empty). The model never holds
a value the lab cannot show, train, save and reopen:

* setting one field checks it together with the others, so ``state.taps = 3``
  with two start values is refused (``ValueError``, nothing changes);
* :meth:`~GradientLabState.update` sets several fields at once (all or nothing),
  and its events are emitted once every field is set, so a slot never sees a
  half-changed model;
* :meth:`~GradientLabState.set_structure` changes the data or the model's shape
  and carries the start, the learning rates and the landscape axes over.

Sequences are stored as tuples (a list could be changed behind the model's
back); :meth:`~GradientLabState.to_dict` gives lists, as saved sessions hold them.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from psygnal import evented

import convlab.core as cc
from convlab.core.validation import check_choice
from convlab.state import LabState, check_bool, check_int, check_number

__all__ = [
    "GRADIENT_LABELS",
    "MAX_BATCH",
    "MAX_LENGTH",
    "MAX_NOISE",
    "MAX_PARAM",
    "MAX_RATE",
    "MAX_REPLAY_STEPS",
    "MAX_SAMPLES",
    "MAX_SLOPE",
    "MAX_STEPS",
    "MAX_TIMELINE",
    "N_RACERS",
    "OPTIMIZER_LABELS",
    "RUN_FIELDS",
    "STRUCTURE_FIELDS",
    "GradientLabState",
    "RacerSpec",
    "default_racers",
    "resize_params",
    "timeline_data",
]

#: Optimizer names as the app shows them.
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adam": "Adam"}

#: The gradient formulas (:data:`convlab.core.GRADIENTS`) as the app shows them.
GRADIENT_LABELS = {"chain_rule": "chain rule (correct)",
                   "notebook": "the notebook's, as written",
                   "no_chain_rule": "no chain rule, columns fixed"}

# Ranges the lab offers (the controls use the same limits as the validation).
MAX_LENGTH = 20  # samples per signal (and so kernel taps)
MAX_SAMPLES = 500  # signals per class
MAX_NOISE = 5.0
MAX_BATCH = 5000
MAX_RATE = 100.0  # a contender's learning rate
MAX_PARAM = 1e6  # a start value or a per-parameter learning rate, in magnitude
MAX_STEPS_PER_FRAME = 1_000_000
#: The furthest a run goes: training pauses there, so every step count the lab reaches can be
#: saved and replayed (in the background, with progress and cancel, when it is long).
MAX_STEPS = 20_000_000
MAX_REPLAY_STEPS = MAX_STEPS  # the old name
MAX_TIMELINE = 10_000  # changes of the run settings a timeline records
N_RACERS = 4  # contenders the race offers (one row each)

#: Fields that define the data set or the model's shape: changing one restarts training.
STRUCTURE_FIELDS = ("n_samples", "length", "noise", "data_seed", "test_fraction",
                    "slope_range", "intercept_range", "taps", "bias")
MAX_SLOPE = 100.0  # the slopes' and intercepts' ranges, in magnitude
#: Fields that may change while a run trains (from its next step): a run's timeline records them.
RUN_FIELDS = ("learning_rates", "optimizer", "momentum", "beta1", "beta2", "batch_size",
              "gradient", "racers")


@dataclass(frozen=True)
class RacerSpec:
    """One contender of the race: an optimizer and a single learning rate for every weight."""

    enabled: bool = True
    optimizer: str = "sgd"
    learning_rate: float = 0.01

    def __post_init__(self) -> None:
        object.__setattr__(self, "enabled", check_bool(self.enabled, "a racer's enabled"))
        check_choice(self.optimizer, "a racer's optimizer", cc.OPTIMIZERS)
        object.__setattr__(self, "learning_rate", check_number(
            self.learning_rate, "a racer's learning rate", 0.0, MAX_RATE))

    def label(self) -> str:
        """``"Adam α=0.05"``: the contender's name in legends and messages."""
        return f"{OPTIMIZER_LABELS[self.optimizer]} α={self.learning_rate:g}"


def default_racers() -> tuple[RacerSpec, ...]:
    """SGD, momentum, Nesterov and Adam from the same start (Adam with a larger step)."""
    return (
        RacerSpec(True, "sgd", 0.01),
        RacerSpec(True, "momentum", 0.01),
        RacerSpec(True, "nesterov", 0.01),
        RacerSpec(True, "adam", 0.05),
    )


def _sequence(value: Any, name: str) -> list[Any]:
    """``value`` as a list if it is a list, tuple or 1-D array; ``ValueError`` otherwise."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        return value.tolist()
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{name} must be a list, got {value!r}")
    return list(value)


def _numbers(value: Any, name: str, low: float, high: float) -> tuple[float, ...]:
    values = _sequence(value, name)
    if not 1 <= len(values) <= MAX_LENGTH + 1:
        raise ValueError(f"{name} must list 1 to {MAX_LENGTH + 1} numbers, got {len(values)}")
    return tuple(check_number(v, name, low, high) for v in values)


def _pair(value: Any, name: str, low: float, high: float) -> tuple[float, float]:
    values = _sequence(value, name)
    if len(values) != 2:
        raise ValueError(f"{name} must be two numbers [lo, hi], got {value!r}")
    lo, hi = (check_number(v, name, low, high) for v in values)
    return lo, hi


@evented
@dataclass
class GradientLabState(LabState):
    """Every setting of the lab; the defaults reproduce the notebook's experiment.

    ``batch_size`` 0 means full batch; ``steps_per_frame`` 0 means "as many as
    fit in the frame's time budget"; ``gradient`` is the formula each step
    follows (:data:`GRADIENT_LABELS`). ``step`` is the step a saved session
    replays to (training is deterministic, so it reopens at the same weights)
    and ``timeline`` the run settings at step 0 and every change made while it
    trained, ``((0, ((field, value), …)), (step, ((field, value),)), …)``
    (empty in an older session: the replay then uses the fields as they are).
    The live step count and timeline belong to the run controller, which the
    panel's ``get_state`` reads.
    """

    label: ClassVar[str] = "Gradient Descent"

    n_samples: int = 50
    length: int = 5
    noise: float = 0.5
    data_seed: int = 0
    test_fraction: float = 0.2
    slope_range: tuple[float, float] = (1.0, 2.0)
    intercept_range: tuple[float, float] = (-0.5, 0.5)
    taps: int = 2
    bias: bool = False
    start: tuple[float, ...] = (0.5, 0.5)
    learning_rates: tuple[float, ...] = (0.01, 0.01)
    optimizer: str = "sgd"
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    batch_size: int = 0
    gradient: str = "chain_rule"
    steps_per_frame: int = 10
    log_loss: bool = True
    log_steps: bool = False
    slice_axes: tuple[int, int] = (0, 1)
    race: bool = False
    racers: tuple[RacerSpec, ...] = field(default_factory=default_racers)
    step: int = 0
    timeline: tuple[tuple[int, tuple[tuple[str, Any], ...]], ...] = ()

    def __post_init__(self) -> None:
        self.validate_all()
        object.__setattr__(self, "_ready", True)

    # -- derived ------------------------------------------------------------------------
    @property
    def n_params(self) -> int:
        return self.taps + int(self.bias)

    @property
    def names(self) -> list[str]:
        """``["w1", "w2", …]`` (then ``"b"``): the parameters' names."""
        return cc.param_names(self.taps, self.bias)

    def optimizer_options(self, name: str | None = None) -> dict[str, float]:
        """The hyper-parameters ``name`` (default: the chosen optimizer) takes."""
        return cc.optimizer_options(name or self.optimizer, vars(self))

    def dataset(self) -> cc.UpDownSplit:
        """The rising/falling data set these settings describe."""
        return cc.updown_dataset(
            self.n_samples, self.length, self.noise, self.data_seed, self.test_fraction,
            self.slope_range, self.intercept_range,
        )

    # -- changes --------------------------------------------------------------------------
    def check(self, name: str, value: Any) -> Any:
        """``value`` as field ``name`` would store it, checked together with the other fields.

        Raises ``ValueError`` (naming the field) where setting it would; changes nothing.
        """
        checked = getattr(type(self), f"validate_{name}")(self, value)
        trial = copy.copy(self)
        object.__setattr__(trial, name, checked)
        trial.validate_all()
        return checked

    def __setattr__(self, name: str, value: Any) -> None:
        """Set one field, checked alone and together with the others (``ValueError``)."""
        if name in _FIELDS and self.__dict__.get("_ready") and not self.__dict__.get("_updating"):
            value = self.check(name, value)
        super().__setattr__(name, value)

    def update(self, changes: Any) -> None:
        """Set several fields at once, all or nothing (``ValueError``); then emit their events.

        The events are held until every field is set, so each slot sees the whole change.
        """
        signals = [getattr(self.events, name) for name in _FIELDS]
        for signal in signals:
            signal.pause()
        object.__setattr__(self, "_updating", True)
        try:
            super().update(changes)
        finally:
            object.__setattr__(self, "_updating", False)
            for signal in signals:
                signal.resume()

    def set_structure(self, name: str, value: Any) -> None:
        """Change a field of :data:`STRUCTURE_FIELDS` and keep the rest consistent.

        A shorter signal shortens the kernel; a new number of parameters keeps
        the start and learning rate of every parameter both models have (new
        taps start at 0.5 with rate 0.01, a new bias at 0 with 0.01) and keeps
        the landscape's axes if they still exist. All or nothing: ``ValueError``
        (e.g. a test set left empty) changes nothing.
        """
        if name not in STRUCTURE_FIELDS:
            raise ValueError(f"{name} is not a data or model field")
        changes = {name: getattr(type(self), f"validate_{name}")(self, value)}
        length = changes.get("length", self.length)
        taps = min(changes.get("taps", self.taps), length)
        bias = changes.get("bias", self.bias)
        if taps != self.taps:
            changes["taps"] = taps
        if (taps, bias) != (self.taps, self.bias):
            old = (self.taps, self.bias)
            changes["start"] = resize_params(self.start, *old, taps, bias, 0.5, 0.0)
            changes["learning_rates"] = resize_params(self.learning_rates, *old, taps, bias,
                                                      0.01, 0.01)
            n = taps + int(bias)
            if n <= 2 or max(self.slice_axes) >= n:
                changes["slice_axes"] = (0, 1)
        self.update(changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe plain data: lists for the sequences, a dict per contender."""
        data = super().to_dict()
        for name in ("start", "learning_rates", "slice_axes", "slope_range", "intercept_range"):
            data[name] = list(data[name])
        data["racers"] = [dataclasses.asdict(r) for r in self.racers]
        data["timeline"] = timeline_data(self.timeline)
        return data

    # -- checks -----------------------------------------------------------------------------
    def validate_n_samples(self, value: Any) -> int:
        return check_int(value, "n_samples (signals per class)", 1, MAX_SAMPLES)

    def validate_length(self, value: Any) -> int:
        return check_int(value, "length (samples per signal)", 2, MAX_LENGTH)

    def validate_noise(self, value: Any) -> float:
        return check_number(value, "noise", 0.0, MAX_NOISE)

    def validate_data_seed(self, value: Any) -> int:
        return check_int(value, "data_seed", 0, 2**31 - 1)

    def validate_test_fraction(self, value: Any) -> float:
        return check_number(value, "test_fraction", 0.05, 0.95)

    def validate_slope_range(self, value: Any) -> tuple[float, float]:
        """``(lo, hi)``: rising slopes a ∈ [lo, hi), falling ones a ∈ [−hi, −lo)."""
        pair = _pair(value, "slope_range", 0.0, MAX_SLOPE)
        if not 0 < pair[0] < pair[1]:
            raise ValueError(f"slope_range must be [lo, hi] with 0 < lo < hi, got {list(pair)}")
        return pair

    def validate_intercept_range(self, value: Any) -> tuple[float, float]:
        """``(lo, hi)``: intercepts b ∈ [lo, hi)."""
        pair = _pair(value, "intercept_range", -MAX_SLOPE, MAX_SLOPE)
        if not pair[0] <= pair[1]:
            raise ValueError(f"intercept_range must be [lo, hi] with lo <= hi, got {list(pair)}")
        return pair

    def validate_taps(self, value: Any) -> int:
        return check_int(value, "taps (kernel size)", 1, MAX_LENGTH)

    def validate_bias(self, value: Any) -> bool:
        return check_bool(value, "bias")

    def validate_start(self, value: Any) -> tuple[float, ...]:
        return _numbers(value, "start", -MAX_PARAM, MAX_PARAM)

    def validate_learning_rates(self, value: Any) -> tuple[float, ...]:
        return _numbers(value, "learning_rates", 0.0, MAX_PARAM)

    def validate_optimizer(self, value: Any) -> str:
        return check_choice(value, "optimizer", tuple(cc.OPTIMIZERS))

    def validate_momentum(self, value: Any) -> float:
        return check_number(value, "momentum", 0.0, 0.999)

    def validate_beta1(self, value: Any) -> float:
        return check_number(value, "beta1", 0.0, 0.999)

    def validate_beta2(self, value: Any) -> float:
        return check_number(value, "beta2", 0.0, 0.99999)

    def validate_batch_size(self, value: Any) -> int:
        return check_int(value, "batch_size", 0, MAX_BATCH)

    def validate_steps_per_frame(self, value: Any) -> int:
        return check_int(value, "steps_per_frame", 0, MAX_STEPS_PER_FRAME)

    def validate_log_loss(self, value: Any) -> bool:
        return check_bool(value, "log_loss")

    def validate_log_steps(self, value: Any) -> bool:
        return check_bool(value, "log_steps")

    def validate_slice_axes(self, value: Any) -> tuple[int, int]:
        axes = _sequence(value, "slice_axes")
        if (len(axes) != 2 or not all(isinstance(a, int) and not isinstance(a, bool)
                                      and 0 <= a <= MAX_LENGTH for a in axes)
                or axes[0] == axes[1]):
            raise ValueError(f"slice_axes must be two different parameter indices, got {value!r}")
        return axes[0], axes[1]

    def validate_race(self, value: Any) -> bool:
        return check_bool(value, "race")

    def validate_racers(self, value: Any) -> tuple[RacerSpec, ...]:
        racers = _sequence(value, "racers")
        if len(racers) != N_RACERS:
            raise ValueError(f"racers must list {N_RACERS} contenders, got {len(racers)}")
        specs = []
        for racer in racers:
            if isinstance(racer, RacerSpec):
                specs.append(racer)
                continue
            if not isinstance(racer, Mapping):
                raise ValueError(f"a racer must be {{enabled, optimizer, learning_rate}}, "
                                 f"got {racer!r}")
            try:
                specs.append(RacerSpec(**racer))
            except TypeError as exc:  # an unknown key
                raise ValueError(f"bad racer {racer!r}: {exc}") from None
        return tuple(specs)

    def validate_gradient(self, value: Any) -> str:
        return check_choice(value, "gradient", tuple(GRADIENT_LABELS))

    def validate_step(self, value: Any) -> int:
        return check_int(value, "step", 0, MAX_STEPS)

    def validate_timeline(self, value: Any) -> tuple[tuple[int, tuple[tuple[str, Any], ...]], ...]:
        """``[{"step": 0, "set": {every run field}}, {"step": s, "set": {field: value}}, …]``."""
        entries = _sequence(value, "timeline")
        if len(entries) > MAX_TIMELINE + 1:
            raise ValueError(f"timeline must hold at most {MAX_TIMELINE + 1:,} entries, "
                             f"got {len(entries):,}")
        checked = []
        last = 0
        for i, entry in enumerate(entries):
            if isinstance(entry, (list, tuple)) and len(entry) == 2:
                entry = {"step": entry[0], "set": dict(entry[1])}
            if not isinstance(entry, Mapping) or set(entry) != {"step", "set"} \
                    or not isinstance(entry["set"], Mapping):
                raise ValueError(f"timeline entry {i} must be {{step, set}}, got {entry!r}")
            step = check_int(entry["step"], f"timeline entry {i}'s step", last, MAX_STEPS)
            if i == 0 and step != 0:
                raise ValueError("the timeline must start at step 0")
            names = set(entry["set"])
            unknown = sorted(str(n) for n in names - set(RUN_FIELDS))
            if unknown:
                raise ValueError(f"timeline entry {i} sets {', '.join(unknown)}: only "
                                 f"{', '.join(RUN_FIELDS)} change during a run")
            if i == 0 and names != set(RUN_FIELDS):
                raise ValueError(f"the timeline's first entry must set {', '.join(RUN_FIELDS)}")
            if i and not names:
                raise ValueError(f"timeline entry {i} sets nothing")
            items = tuple((name, getattr(type(self), f"validate_{name}")(self, entry["set"][name]))
                          for name in RUN_FIELDS if name in names)
            checked.append((step, items))
            last = step
        return tuple(checked)

    def validate_all(self) -> None:
        """The checks that involve several fields (``ValueError`` naming them)."""
        if self.taps > self.length:
            raise ValueError(f"taps ({self.taps}) must not exceed the signal length "
                             f"({self.length})")
        total = 2 * self.n_samples
        if not 0 < round(self.test_fraction * total) < total:
            raise ValueError(
                f"a test fraction of {self.test_fraction:g} of {total} signals leaves the "
                "training or the test set empty: use more samples or another fraction")
        n, names = self.n_params, ", ".join(self.names)
        for name in ("start", "learning_rates"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} must list {n} numbers ({names})")
        if max(self.slice_axes) >= max(n, 2):
            raise ValueError(f"slice_axes must be two different parameter indices below "
                             f"{max(n, 2)}, got {list(self.slice_axes)}")
        if n < 2 and tuple(self.slice_axes) != (0, 1):
            raise ValueError("with one parameter the landscape axes (slice_axes) are [0, 1]")
        if self.timeline:
            self._check_timeline(n, names)

    def _check_timeline(self, n: int, names: str) -> None:
        """The timeline ends by the saved step, fits the model, and ends at the saved settings."""
        if self.timeline[-1][0] > self.step:
            raise ValueError(f"the timeline goes to step {self.timeline[-1][0]:,}, past the "
                             f"saved step {self.step:,}")
        settings: dict[str, Any] = {}
        for _step, items in self.timeline:
            settings.update(items)
            if len(settings["learning_rates"]) != n:
                raise ValueError(f"the timeline's learning_rates must list {n} numbers ({names})")
        differ = [name for name in RUN_FIELDS if settings[name] != getattr(self, name)]
        if differ:
            raise ValueError(f"the timeline does not end at the saved {', '.join(differ)}")


def timeline_data(entries: Sequence[tuple[int, Sequence[tuple[str, Any]]]]) -> list[dict]:
    """A timeline as a session holds it: ``[{"step": s, "set": {field: value}}, …]``."""
    def plain(name: str, value: Any) -> Any:
        if name == "racers":
            return [dataclasses.asdict(r) for r in value]
        return list(value) if isinstance(value, tuple) else value
    return [{"step": int(step), "set": {name: plain(name, value) for name, value in items}}
            for step, items in entries]


#: The fields in their declared order (events of an update are emitted in this order).
_FIELDS = tuple(f.name for f in dataclasses.fields(GradientLabState))


def resize_params(
    values: Sequence[float], old_taps: int, old_bias: bool, taps: int, bias: bool,
    weight_fill: float, bias_fill: float,
) -> tuple[float, ...]:
    """Carry per-parameter values over to a model with other taps / bias.

    Existing weights are kept (extra taps get ``weight_fill``, removed ones are
    dropped); the bias value is kept if both models have one, else ``bias_fill``.

    >>> resize_params([0.5, 0.5, 0.2], 2, True, 3, False, 0.5, 0.0)
    (0.5, 0.5, 0.5)
    >>> resize_params([1.0, 2.0], 2, False, 1, True, 0.5, 0.0)
    (1.0, 0.0)
    """
    weights = list(values[:old_taps])[:taps] + [weight_fill] * max(0, taps - old_taps)
    if bias:
        weights.append(float(values[old_taps]) if old_bias else bias_fill)
    return tuple(float(v) for v in weights)
