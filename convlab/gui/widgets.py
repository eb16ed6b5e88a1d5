"""Small reusable widgets."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
from PyQt6.QtCore import QObject, QSignalBlocker, QTimer, pyqtSignal
from PyQt6.QtWidgets import QLineEdit, QWidget

from .theme import ERROR_COLOR

__all__ = ["ArrayEdit", "Throttle", "ValidatedInput", "format_array", "parse_array"]

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


class Throttle(QObject):
    """Call ``fn`` at most once per ``interval_ms``, without lag.

    :meth:`request` calls ``fn`` at once when it has not run in the last
    interval; requests during the interval are merged into one call at its end,
    so the last change is always shown. A slider drag or a pen stroke thus
    redraws immediately, then at most once a frame — and never waits for the
    user to pause (which a restarting debounce timer would).
    """

    def __init__(self, fn: Callable[[], object], interval_ms: int, parent: QObject) -> None:
        super().__init__(parent)
        self._fn = fn
        self._pending = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timeout)

    @property
    def pending(self) -> bool:
        """True while a merged call is waiting for the end of the interval."""
        return self._pending

    def request(self) -> None:
        if self._timer.isActive():
            self._pending = True
            return
        self._pending = False
        self._timer.start()  # before fn: requests made by fn itself are merged
        self._fn()

    def cancel(self) -> None:
        """Drop a waiting call (the caller has just done the work itself)."""
        self._pending = False

    def _on_timeout(self) -> None:
        if self._pending:
            self._pending = False
            self._timer.start()
            self._fn()


class ValidatedInput:
    """What :class:`ArrayEdit` and the Signals lab's batch editor share.

    The text is parsed by ``_parse`` (raising ``ValueError`` with a message); bad
    text never raises: the widget gets a red border and a tooltip saying what is
    wrong, and :meth:`value` keeps the last valid array. ``valueChanged`` is
    emitted with the new array when the text becomes valid and different.
    Subclasses (Qt widgets) define ``valueChanged``, ``_parse`` and ``_STYLE_CLASS``.
    """

    _STYLE_CLASS = "QWidget"
    _value: np.ndarray
    _tooltip: str
    error: str = ""

    def value(self) -> np.ndarray:
        """The last valid array (a copy)."""
        return self._value.copy()

    def _parse(self, text: str) -> np.ndarray:
        raise NotImplementedError

    def _describe_value(self) -> str:
        return format_array(self._value)

    def _on_text_changed(self, text: str) -> None:
        try:
            arr = self._parse(text)
        except ValueError as exc:
            self._set_error(str(exc))
            return
        self._set_error("")
        if arr.shape != self._value.shape or not np.array_equal(arr, self._value):
            self._value = arr
            self.valueChanged.emit(arr.copy())

    def _set_error(self, message: str) -> None:
        self.error = message
        if message:
            self.setStyleSheet(f"{self._STYLE_CLASS} {{ border: 2px solid {ERROR_COLOR}; }}")
            self.setToolTip(f"{message} — still using {self._describe_value()}")
        else:
            self.setStyleSheet("")
            self.setToolTip(self._tooltip)


class ArrayEdit(ValidatedInput, QLineEdit):
    """A line edit for a list of numbers, e.g. ``"1, 2, 3"`` (see :class:`ValidatedInput`).

    ``validator`` may add checks (raise ``ValueError`` with a message) such as
    a length range.
    """

    valueChanged = pyqtSignal(object)
    _STYLE_CLASS = "QLineEdit"

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
        self.setToolTip(tooltip)
        self.setPlaceholderText("e.g. 1, 2, 3, 0, -1")
        self.setText(format_array(self._value))
        self.textEdited.connect(self._on_text_changed)

    def setValue(self, value: ArrayLike) -> None:
        """Set the array from the model (does not emit ``valueChanged``)."""
        self._value = np.asarray(value, dtype=float).copy()
        with QSignalBlocker(self):
            self.setText(format_array(self._value))
        self._set_error("")

    def _parse(self, text: str) -> np.ndarray:
        arr = parse_array(text)
        if self._validator is not None:
            self._validator(arr)
        return arr
