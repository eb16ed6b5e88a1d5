"""The timeline scrubber: the steps it offers, what it emits, playback by the clock."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.gui.timeline import TimelineScrubber

STEPS = np.array([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512])


class FakeClock:
    """Stands in for QElapsedTimer: the test sets the elapsed milliseconds."""

    def __init__(self) -> None:
        self.ms = 0

    def start(self) -> None:
        self.ms = 0

    def elapsed(self) -> int:
        return self.ms


@pytest.fixture
def scrubber(qapp):
    widget = TimelineScrubber()
    chosen: list[int | None] = []
    widget.step_chosen.connect(chosen.append)
    widget.set_steps(STEPS)
    widget.chosen = chosen  # the emitted values, for the tests
    yield widget
    widget.go_live()
    widget.deleteLater()


def test_live_by_default_and_slider_at_the_end(scrubber):
    assert scrubber.shown_step() is None
    assert scrubber.slider.maximum() == STEPS.size - 1
    assert scrubber.slider.value() == STEPS.size - 1
    assert not scrubber.live_button.isEnabled()
    assert scrubber.step_label.text() == "step 512 (latest)"
    assert scrubber.note.isHidden()  # said only while an earlier step is shown
    assert scrubber.note.sizePolicy().retainSizeWhenHidden()  # its room kept: no jump
    assert scrubber.chosen == []  # set_steps never emits


@pytest.mark.parametrize(("asked", "shown"), [(0, 0), (5, 4), (16, 16), (100, 64), (511, 256)])
def test_show_step_picks_the_last_recorded_step_at_or_before(scrubber, asked, shown):
    scrubber.show_step(asked)
    assert scrubber.shown_step() == shown
    assert scrubber.chosen == [shown]
    assert scrubber.slider.value() == int(np.flatnonzero(STEPS == shown)[0])
    assert scrubber.step_label.text() == f"step {shown:,} of 512"
    assert "Training continues from the latest step (512), not from here." in scrubber.note.text()
    assert not scrubber.note.isHidden()
    assert scrubber.live_button.isEnabled()


def test_the_last_step_or_none_is_live(scrubber):
    scrubber.show_step(8)
    scrubber.show_step(512)
    assert scrubber.shown_step() is None
    scrubber.show_step(3)
    scrubber.show_step(None)
    assert scrubber.chosen == [8, None, 2, None]
    assert scrubber.note.isHidden()


def test_dragging_the_slider_shows_that_step_and_the_end_goes_live(scrubber):
    scrubber.slider.setValue(3)
    assert scrubber.chosen == [4]
    scrubber.slider.setValue(STEPS.size - 1)
    assert scrubber.chosen == [4, None]


def test_step_back_and_forward(scrubber):
    scrubber.step_back()  # from live: the step before the latest
    assert scrubber.shown_step() == 256
    scrubber.step_back()
    assert scrubber.shown_step() == 128
    scrubber.step_forward()
    scrubber.step_forward()
    assert scrubber.shown_step() is None
    assert scrubber.chosen == [256, 128, 256, None]
    scrubber.step_forward()  # already live: nothing
    assert scrubber.chosen == [256, 128, 256, None]


def test_more_history_keeps_the_step_shown(scrubber):
    scrubber.show_step(32)
    scrubber.set_steps(np.append(STEPS, [1024, 2048]))
    assert scrubber.shown_step() == 32
    assert scrubber.slider.value() == 6
    assert scrubber.slider.maximum() == STEPS.size + 1
    assert scrubber.step_label.text() == "step 32 of 2,048"


def test_thinned_history_keeps_the_step_and_moves_the_slider(scrubber):
    scrubber.show_step(32)
    scrubber.set_steps([0, 16, 32, 48, 64, 512])
    assert scrubber.shown_step() == 32
    assert scrubber.slider.value() == 2


def test_a_run_that_no_longer_reaches_the_step_goes_live(scrubber):
    scrubber.show_step(64)
    scrubber.set_steps([0, 1, 2])  # a reset, then two steps
    assert scrubber.shown_step() is None
    assert scrubber.chosen == [64, None]
    assert scrubber.slider.value() == 2


def test_no_history_disables_the_controls(qapp):
    widget = TimelineScrubber()
    widget.set_steps([0])
    assert not widget.slider.isEnabled()
    assert not widget.play_button.isEnabled()
    assert widget.step_label.text() == "no run yet"
    assert widget.note.isHidden()
    widget.toggle_play()
    assert not widget.playing
    widget.step_back()
    assert widget.shown_step() is None


def test_steps_must_increase(scrubber):
    with pytest.raises(ValueError, match="increase"):
        scrubber.set_steps([0, 2, 2, 3])


def test_playback_follows_the_clock_and_ends_live(scrubber):
    clock = FakeClock()
    scrubber._clock = clock
    scrubber.speed_combo.setCurrentIndex(1)  # the whole run (10 intervals) in 10 s: 1 a second
    scrubber.toggle_play()
    assert scrubber.playing
    assert scrubber.play_button.text() == "Pause"
    assert scrubber.chosen == [0]  # from live: from the start
    clock.ms = 3_500
    scrubber._on_tick()
    assert scrubber.shown_step() == STEPS[3]
    clock.ms = 9_999
    scrubber._on_tick()
    assert scrubber.shown_step() == STEPS[9]
    clock.ms = 10_000
    scrubber._on_tick()
    assert scrubber.shown_step() is None
    assert not scrubber.playing
    assert scrubber.play_button.text() == "Play"


def test_playback_from_a_scrubbed_step_and_a_drag_stops_it(scrubber):
    scrubber.show_step(64)
    clock = FakeClock()
    scrubber._clock = clock
    scrubber.speed_combo.setCurrentIndex(0)  # 10 intervals in 5 s: 2 a second
    scrubber.toggle_play()
    clock.ms = 1_000
    scrubber._on_tick()
    assert scrubber.shown_step() == STEPS[9]  # index 7 + 2
    scrubber.slider.setValue(1)  # the user drags
    assert not scrubber.playing
    assert scrubber.shown_step() == 1
