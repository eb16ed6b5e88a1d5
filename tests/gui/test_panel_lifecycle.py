"""Every real lab panel: theme changes after shutdown are harmless, state round-trips."""

from __future__ import annotations

import json

import pytest

from convlab.gui.main_window import LABS
from convlab.gui.theme import theme_manager
from convlab.gui.worker import active_task_count


@pytest.fixture(params=[spec.key for spec in LABS])
def panel(request, qtbot):
    spec = next(s for s in LABS if s.key == request.param)
    panel = spec.load()()
    qtbot.addWidget(panel)
    yield panel
    panel.shutdown()
    theme_manager().set_mode("system")


def test_theme_change_after_shutdown_is_harmless(panel):
    theme_manager().set_mode("dark")
    panel.shutdown()
    theme_manager().set_mode("light")  # would raise in a slot if a panel still listened
    theme_manager().set_scale(1.3)
    theme_manager().set_scale(1.0)
    assert active_task_count() == 0


def test_state_is_json_and_round_trips(panel):
    state = panel.get_state()
    text = json.dumps(state, allow_nan=False)
    panel.set_state(json.loads(text))
    assert panel.get_state() == state


def test_self_test_passes_and_restores_state(panel):
    before = panel.get_state()
    panel.self_test()
    assert panel.get_state() == before


@pytest.mark.parametrize("bad", [None, [], "x", {"no such setting": 1}])
def test_bad_state_is_rejected_and_leaves_the_panel_untouched(panel, bad):
    before = panel.get_state()
    with pytest.raises(ValueError):
        panel.set_state(bad)
    assert panel.get_state() == before
