"""Progress and cancellation conventions shared by long-running core functions.

A long computation takes two optional callables:

``progress(fraction, message)``
    called now and then with ``0 <= fraction <= 1`` and a short text.
``cancel()``
    returns ``True`` when the caller wants the work abandoned; the function
    then raises :class:`Cancelled` as soon as it can, leaving nothing half-done.

The GUI's worker idiom passes exactly these.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["CancelCallback", "Cancelled", "ProgressCallback", "check_cancel", "report"]

ProgressCallback = Callable[[float, str], None]
CancelCallback = Callable[[], bool]


class Cancelled(Exception):
    """Raised by a core function when its ``cancel`` callback returned True."""


def report(progress: ProgressCallback | None, fraction: float, message: str = "") -> None:
    """Call ``progress(fraction, message)`` if a callback was given."""
    if progress is not None:
        progress(min(max(float(fraction), 0.0), 1.0), message)


def check_cancel(cancel: CancelCallback | None) -> None:
    """Raise :class:`Cancelled` if ``cancel`` is given and returns True."""
    if cancel is not None and cancel():
        raise Cancelled("cancelled")
