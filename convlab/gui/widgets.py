"""Small reusable widgets."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
from PyQt6.QtCore import QSignalBlocker, pyqtSignal
from PyQt6.QtWidgets import QLineEdit, QWidget

from .theme import ERROR_COLOR

__all__ = ["ArrayEdit", "format_array", "parse_array"]

_SEPARATORS = re.compile(r"[,\s;]+")


def parse_array(text: str) -> np.ndarray:
    """Parse ``"1, 2.5 -3; 4"`` into a float array (commas, spaces or semicolons).

    Raises
    ------
    ValueError
        With a short message saying which item is not a number, or that the
        text is empty / holds NaN or infinity.
    """
    stripped = text.strip().strip("[]()").strip()
    if not stripped:
        raise ValueError("type at least one number")
    values = []
    for item in _SEPARATORS.split(stripped):
        if not item:
            continue
        try:
            value = float(item)
        except ValueError:
            raise ValueError(f"{item!r} is not a number") from None
        if not np.isfinite(value):
            raise ValueError(f"{item!r} is not a finite number")
        values.append(value)
    if not values:
        raise ValueError("type at least one number")
    return np.asarray(values, dtype=float)


def format_array(values: ArrayLike, precision: int = 4) -> str:
    """``[1.0, 2.5]`` → ``"1, 2.5"`` (the inverse of :func:`parse_array`)."""
    return ", ".join(f"{float(v):.{precision}g}" for v in np.asarray(values, dtype=float).ravel())


class ArrayEdit(QLineEdit):
    """A line edit for a list of numbers.

    Bad text never raises: the field gets a red border and a tooltip saying
    what is wrong, and :meth:`value` keeps the last valid array. ``validator``
    may add checks (raise ``ValueError`` with a message) such as a length range.
    ``valueChanged`` is emitted with the new array when the text becomes valid
    and different.
    """

    valueChanged = pyqtSignal(object)

    def __init__(
        self,
        value: ArrayLike = (0.0,),
        validator: Callable[[np.ndarray], None] | None = None,
        tooltip: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._validator = validator
        self._value = np.asarray(value, dtype=float)
        self._tooltip = tooltip
        self._error = ""
        self.setToolTip(tooltip)
        self.setPlaceholderText("e.g. 1, 2, 3, 0, -1")
        self.setText(format_array(self._value))
        self.textEdited.connect(self._on_text)

    def value(self) -> np.ndarray:
        """The last valid array (a copy)."""
        return self._value.copy()

    @property
    def error(self) -> str:
        """The current problem with the text, or ``""`` if it is valid."""
        return self._error

    def setValue(self, value: ArrayLike) -> None:
        """Set the array from the model (does not emit ``valueChanged``)."""
        self._value = np.asarray(value, dtype=float).copy()
        with QSignalBlocker(self):
            self.setText(format_array(self._value))
        self._set_error("")

    def _on_text(self, text: str) -> None:
        try:
            arr = parse_array(text)
            if self._validator is not None:
                self._validator(arr)
        except ValueError as exc:
            self._set_error(str(exc))
            return
        self._set_error("")
        if arr.shape != self._value.shape or not np.array_equal(arr, self._value):
            self._value = arr
            self.valueChanged.emit(arr.copy())

    def _set_error(self, message: str) -> None:
        self._error = message
        if message:
            self.setStyleSheet(f"QLineEdit {{ border: 2px solid {ERROR_COLOR}; }}")
            self.setToolTip(f"{message} — still using {format_array(self._value)}")
        else:
            self.setStyleSheet("")
            self.setToolTip(self._tooltip)
