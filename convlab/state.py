"""The base of every lab's state model: a Qt-free, evented, validated dataclass.

A lab's model is a dataclass decorated with :func:`psygnal.evented` (as napari's
models are) and derived from :class:`LabState`::

    @evented
    @dataclass
    class MyState(LabState):
        lr: float = 0.01

        def validate_lr(self, value: Any) -> float:
            return check_range(value, "the learning rate", 0.0, 10.0)

Every field then has a change signal, ``state.events.<field>``, which emits
``(new, old)`` only when the value really changed (arrays compared by value);
widgets connect small ``_on_<field>_changed`` slots to it instead of re-syncing
whole forms. A method ``validate_<field>(value)`` checks (and may normalise) a
value before it is stored, so the model never holds a value the lab cannot
show, save and reopen; a failed check raises ``ValueError`` naming the field
and leaves the model unchanged.

:attr:`LabState.revision` counts changes: the shell's unsaved-changes check
compares two integers instead of two deep copies of the state.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

__all__ = ["LabState", "check_bool", "check_drawing", "check_int", "check_number"]

S = TypeVar("S", bound="LabState")


def check_bool(value: Any, name: str) -> bool:
    """``value`` if it is ``True`` or ``False``; ``ValueError`` naming ``name`` otherwise."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value


def check_int(value: Any, name: str, low: int, high: int) -> int:
    """``value`` as an ``int`` if it is a whole number in ``[low, high]``.

    >>> check_int(3.0, "stride", 1, 16)
    3
    """
    ok = not isinstance(value, bool) and isinstance(value, (int, float))
    if ok and isinstance(value, float):
        ok = math.isfinite(value) and value.is_integer()
    if not ok or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low:,} to {high:,}, got {value!r}")
    return int(value)


def check_number(value: Any, name: str, low: float = -math.inf, high: float = math.inf) -> float:
    """``value`` as a finite ``float`` in ``[low, high]``.

    >>> check_number(1, "the threshold", -10, 10)
    1.0
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        number = math.inf
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError(f"{name} must be a number from {low:g} to {high:g}, got {value!r}")
    return number


def check_drawing(value: Any, name: str = "drawing", side: int = 28) -> list[list[float]]:
    """``value`` as a ``side × side`` list of lists of numbers in [0, 1] (a drawn digit).

    >>> check_drawing([[0, 1], [0.5, 0]], side=2)
    [[0.0, 1.0], [0.5, 0.0]]
    """
    from convlab.core.validation import as_finite_array

    drawing = as_finite_array(value, name, ndims=(2,))
    if drawing.shape != (side, side) or drawing.min() < 0 or drawing.max() > 1:
        raise ValueError(f"{name} must be {side}×{side} values in [0, 1]")
    return drawing.tolist()


class LabState:
    """Mixed into a ``@evented @dataclass`` lab model: validation, dicts, a revision counter."""

    #: Name used in error messages ("the Gradient Descent state …").
    label: ClassVar[str] = "lab"

    def __setattr__(self, name: str, value: Any) -> None:
        validator = getattr(type(self), f"validate_{name}", None)
        if validator is not None:
            value = validator(self, value)
        if name not in _field_names(type(self)):
            super().__setattr__(name, value)
            return
        old = getattr(self, name, _UNSET)
        super().__setattr__(name, value)
        if not _same(old, value):
            object.__setattr__(self, "_revision", getattr(self, "_revision", 0) + 1)

    @property
    def revision(self) -> int:
        """A number that grows with every change of a field (cheap "did it change?")."""
        return getattr(self, "_revision", 0)

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-safe data (a deep copy: the model is never shared)."""
        return {f.name: copy.deepcopy(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls: type[S], data: Any) -> S:
        """A new state from :meth:`to_dict` output (missing fields take their defaults).

        Raises
        ------
        ValueError
            If ``data`` is not a mapping, names an unknown field, or a field fails its
            check; the message names the field.
        """
        state = cls()
        state.update(data)
        return state

    def update(self, changes: Any) -> None:
        """Set several fields at once: all are checked first, so a bad one changes nothing.

        Raises
        ------
        ValueError
            As :meth:`from_dict`.
        """
        if not isinstance(changes, Mapping):
            raise ValueError(f"the {self.label} state must be a mapping, "
                             f"got {type(changes).__name__}")
        unknown = sorted(str(k) for k in set(changes) - _field_names(type(self)))
        if unknown:
            raise ValueError(f"unknown {self.label} setting(s): {', '.join(unknown)}")
        trial = copy.copy(self)  # checked on a copy, set through object.__setattr__: no events
        checked: dict[str, Any] = {}
        for name, value in changes.items():
            validator = getattr(type(self), f"validate_{name}", None)
            checked[name] = validator(trial, value) if validator is not None else value
            object.__setattr__(trial, name, checked[name])
        trial.validate_all()
        for name, value in checked.items():
            setattr(self, name, value)

    def validate_all(self) -> None:
        """Checks that involve several fields (override; raise ``ValueError``)."""


_UNSET = object()


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except (ValueError, TypeError):  # arrays: elementwise ==
        import numpy as np

        return type(a) is type(b) and bool(np.array_equal(a, b))


def _field_names(cls: type) -> frozenset[str]:
    names = cls.__dict__.get("_lab_state_fields")
    if names is None:
        names = frozenset(f.name for f in dataclasses.fields(cls))
        type.__setattr__(cls, "_lab_state_fields", names)
    return names
