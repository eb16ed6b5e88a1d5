"""Shared by the lab tests: a shown panel of any lab (``show_panel``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest


@pytest.fixture
def show_panel(qtbot) -> Iterator[Callable[..., object]]:
    """``show_panel(PanelClass, size=(w, h))``: a panel built, shown, exposed; shut down after."""
    made = []

    def show(cls: type, size: tuple[int, int] = (1200, 800), **kwargs: object) -> object:
        panel = cls(**kwargs)
        qtbot.addWidget(panel)
        panel.resize(*size)
        panel.show()
        qtbot.waitExposed(panel)
        made.append(panel)
        return panel

    yield show
    for panel in made:
        panel.shutdown()
