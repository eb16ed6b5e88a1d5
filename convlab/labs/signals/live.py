"""The lab's derived view, kept up to date with its model at most once a frame.

:class:`LiveView` listens to the fields of a
:class:`~convlab.labs.signals.model.SignalsState` that change what is drawn,
recomputes :func:`~convlab.labs.signals.model.compute_view` through a
:class:`~convlab.gui.widgets.Throttle` (an edit redraws at once, a burst at
most once a frame) and emits the new :class:`~convlab.labs.signals.model.SignalsView`
in ``changed``; the plot and label components draw it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PyQt6.QtCore import QObject, pyqtSignal

from convlab.gui.widgets import Throttle

from .model import SignalsState, SignalsView, compute_view

__all__ = ["LiveView"]

_REDRAW_MS = 16  # an edit redraws at once, bursts then at most once a frame (~60 Hz)

#: Fields the view depends on (the generator and preset forms only matter on Generate).
_VIEW_FIELDS = ("x", "w", "mode", "flip", "stride", "dilation", "padding_mode", "step",
                "show_all_modes", "batch", "batch_x")


class LiveView(QObject):
    """The :class:`SignalsView` of ``state``, recomputed when a field it shows changes."""

    #: The new view (a :class:`SignalsView`), after every recomputation.
    changed = pyqtSignal(object)

    def __init__(self, state: SignalsState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._view = compute_view(state)
        self._held = 0
        self._throttle = Throttle(self._recompute, _REDRAW_MS, self)
        for name in _VIEW_FIELDS:
            getattr(state.events, name).connect(self._on_field_changed)

    @property
    def view(self) -> SignalsView:
        """The view last emitted (or computed at construction)."""
        return self._view

    @property
    def pending(self) -> bool:
        """True while a merged recomputation waits for the end of the frame."""
        return self._throttle.pending

    def refresh(self) -> None:
        """Recompute and emit now (a waiting merged recomputation is dropped)."""
        self._throttle.cancel()
        self._recompute()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Changes made inside recompute once, at the end (e.g. a whole new state)."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            if not self._held:
                self.refresh()

    def _on_field_changed(self) -> None:
        if not self._held:
            self._throttle.request()

    def _recompute(self) -> None:
        self._view = compute_view(self._state)
        self.changed.emit(self._view)
