"""ArrayEdit: typed numbers become arrays; bad text never throws and keeps the last value."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from convlab.gui.widgets import ArrayEdit, format_array, parse_array


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1, 2, 3, 0, -1", [1, 2, 3, 0, -1]),
        ("1 2.5  -3", [1, 2.5, -3]),
        ("[0.5; 0.5]", [0.5, 0.5]),
        ("1e-3,2E2", [0.001, 200]),
    ],
)
def test_parse_array(text, expected):
    np.testing.assert_array_equal(parse_array(text), expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "at least one"), ("1, x, 3", "'x' is not a number"), ("1, nan", "finite"),
     ("inf", "finite"), ("[]", "at least one")],
)
def test_parse_array_errors(text, message):
    with pytest.raises(ValueError, match=message):
        parse_array(text)


def test_format_round_trip():
    values = np.array([1.0, -0.25, 3.5])
    np.testing.assert_array_equal(parse_array(format_array(values)), values)


def test_typing_updates_value_and_bad_text_keeps_last_valid(qtbot):
    edit = ArrayEdit([1.0, -1.0])
    qtbot.addWidget(edit)
    seen = []
    edit.valueChanged.connect(seen.append)
    edit.clear()
    qtbot.keyClicks(edit, "1, 2, 3")
    np.testing.assert_array_equal(edit.value(), [1, 2, 3])
    np.testing.assert_array_equal(seen[-1], [1, 2, 3])
    count = len(seen)
    qtbot.keyClicks(edit, ", abc")
    assert edit.error == "'abc' is not a number"
    assert _border_is_red(edit)
    assert "still using 1, 2, 3" in edit.toolTip()
    np.testing.assert_array_equal(edit.value(), [1, 2, 3])
    assert len(seen) == count
    for _ in range(5):
        qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    assert edit.error == ""
    assert not _border_is_red(edit)


def _border_is_red(widget) -> bool:
    """Whether the widget is drawn with the look's error colour along its left edge."""
    from PyQt6.QtGui import QColor

    from convlab.gui.theme import error_color

    widget.resize(160, 30)
    image = widget.grab().toImage()
    red = QColor(error_color())
    ratio = widget.devicePixelRatioF()
    column = [image.pixelColor(x, round(15 * ratio)) for x in range(round(3 * ratio))]
    return any(abs(c.red() - red.red()) + abs(c.green() - red.green())
               + abs(c.blue() - red.blue()) < 30 for c in column)


def test_the_error_border_follows_the_look(qtbot):
    from convlab.gui.theme import DARK, LIGHT, theme_manager

    edit = ArrayEdit([1.0])
    qtbot.addWidget(edit)
    edit.show()
    qtbot.keyClicks(edit, "x")
    try:
        for mode, theme in (("dark", DARK), ("light", LIGHT)):
            theme_manager().set_mode(mode)
            assert theme_manager().theme.error == theme.error
            assert _border_is_red(edit), mode
    finally:
        theme_manager().set_mode("light")


def test_validator_rejects_and_set_value_is_silent(qtbot):
    def at_most_three(arr):
        if arr.size > 3:
            raise ValueError("at most 3 taps")

    edit = ArrayEdit([1.0], validator=at_most_three, tooltip="kernel taps")
    qtbot.addWidget(edit)
    seen = []
    edit.valueChanged.connect(seen.append)
    edit.clear()
    qtbot.keyClicks(edit, "1 2 3 4")
    assert edit.error == "at most 3 taps"
    # every prefix typed was valid up to "1 2 3": that is the value in effect
    np.testing.assert_array_equal(edit.value(), [1, 2, 3])
    assert [list(a) for a in seen] == [[1, 2], [1, 2, 3]]
    edit.setValue([4.0, 5.0])
    assert edit.text() == "4, 5"
    assert edit.error == "" and edit.toolTip() == "kernel taps"
    assert len(seen) == 2


def test_throttle_calls_at_once_then_merges_until_the_interval_ends(qtbot):
    from PyQt6.QtCore import QObject

    from convlab.gui.widgets import Throttle

    owner = QObject()
    calls = []
    throttle = Throttle(lambda: calls.append(len(calls)), 50, owner)
    throttle.request()
    assert calls == [0]  # no lag for the first change
    throttle.request()
    throttle.request()
    assert calls == [0] and throttle.pending  # merged
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=1000)
    assert not throttle.pending
    qtbot.wait(120)
    assert len(calls) == 2  # nothing more was asked
    throttle.request()
    assert len(calls) == 3
    throttle.request()
    throttle.cancel()
    qtbot.wait(120)
    assert len(calls) == 3  # the merged call was dropped
