"""Small reusable widgets."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
from PyQt6.QtCore import QObject, QSignalBlocker, Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import QLineEdit, QProgressBar, QProgressDialog, QWidget

from .theme import set_invalid

__all__ = [
    "ArrayEdit",
    "InputCheck",
    "QuietProgressDialog",
    "Throttle",
    "format_array",
    "parse_array",
]

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


class InputCheck:
    """The checking a text input does, owned by the input widget (ArrayEdit, the batch editor).

    :meth:`text_changed` parses the text with ``parse`` (which raises ``ValueError``
    with a message). Bad text never raises: the widget gets a red border and a
    tooltip saying what is wrong (ending with ``describe(last valid value)``), and
    :attr:`value` keeps the last valid array. Good, different text calls
    ``on_value`` with the new array.
    """

    def __init__(self, widget: QWidget, parse: Callable[[str], np.ndarray],
                 on_value: Callable[[np.ndarray], None], value: ArrayLike, tooltip: str = "",
                 describe: Callable[[np.ndarray], str] = format_array) -> None:
        self.widget = widget
        self.parse = parse
        self.on_value = on_value
        self.describe = describe
        self.tooltip = tooltip
        self.error = ""
        self._value = np.asarray(value, dtype=float).copy()
        widget.setToolTip(tooltip)

    @property
    def value(self) -> np.ndarray:
        """The last valid array (a copy)."""
        return self._value.copy()

    def set_value(self, value: ArrayLike) -> np.ndarray:
        """Take ``value`` as the valid one (from the model) and clear any error mark."""
        self._value = np.asarray(value, dtype=float).copy()
        self.set_error("")
        return self.value

    def text_changed(self, text: str) -> None:
        try:
            arr = self.parse(text)
        except ValueError as exc:
            self.set_error(str(exc))
            return
        self.set_error("")
        if arr.shape != self._value.shape or not np.array_equal(arr, self._value):
            self._value = arr
            self.on_value(arr.copy())

    def set_error(self, message: str) -> None:
        """Mark the widget with ``message`` (or clear the mark when it is empty)."""
        self.error = message
        set_invalid(self.widget, bool(message))
        if message:
            self.widget.setToolTip(f"{message} — still using {self.describe(self._value)}")
        else:
            self.widget.setToolTip(self.tooltip)


class ArrayEdit(QLineEdit):
    """A line edit for a list of numbers, e.g. ``"1, 2, 3"`` (checked by an :class:`InputCheck`).

    ``validator`` may add checks (raise ``ValueError`` with a message) such as
    a length range. ``valueChanged`` is emitted with the new array when the text
    becomes valid and different; :meth:`value` is the last valid array.
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
        self.check = InputCheck(self, self._parse, self.valueChanged.emit, value, tooltip)
        self.setPlaceholderText("e.g. 1, 2, 3, 0, -1")
        self.setText(format_array(self.check.value))
        self.textEdited.connect(self.check.text_changed)

    @property
    def error(self) -> str:
        """What is wrong with the text ("" when it is valid)."""
        return self.check.error

    def value(self) -> np.ndarray:
        """The last valid array (a copy)."""
        return self.check.value

    def setValue(self, value: ArrayLike) -> None:
        """Set the array from the model (does not emit ``valueChanged``)."""
        with QSignalBlocker(self):
            self.setText(format_array(self.check.set_value(value)))

    def _parse(self, text: str) -> np.ndarray:
        arr = parse_array(text)
        if self._validator is not None:
            self._validator(arr)
        return arr


class QuietProgressDialog(QProgressDialog):
    """A window-modal progress dialog whose updates never run the event loop.

    ``QProgressDialog.setValue`` processes events when the dialog is modal, so
    the work it reports on can finish — and close or reset the dialog — inside
    the update. :meth:`set_progress` moves the dialog's own bar instead. It
    neither closes nor resets itself: its owner hides it when the work ends.
    """

    def __init__(self, label: str, title: str, maximum: int = 1000,
                 parent: QWidget | None = None) -> None:
        super().__init__(label, "Cancel", 0, maximum, parent)
        self._bar = QProgressBar(self)
        self._bar.setRange(0, maximum)
        self.setBar(self._bar)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumDuration(0)
        self.setAutoClose(False)
        self.setAutoReset(False)

    def set_progress(self, value: int) -> None:
        """Show ``value`` (0…maximum) without processing events."""
        self._bar.setValue(value)
