"""No stale or silent controls in the Signals lab (issue 16 §9, §12)."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import Qt

import convlab.core as cc
from convlab.labs.signals.panel import SignalsPanel


@pytest.fixture
def panel(show_panel):
    p = show_panel(SignalsPanel)
    return p


def fields(form):
    return [form.field(p.name) for p in cc.SIGNAL_GENERATORS[form.name()].params] if (
        form.name() in cc.SIGNAL_GENERATORS) else [form.field(p.name) for p in
                                                   cc.KERNEL_PRESETS[form.name()].params]


def test_the_start_signal_is_the_generators_with_two_decimals(panel):
    form, x = panel.signal_editor.form, np.asarray(panel.state.x)
    assert form.combo.currentText() == "rising line" and not form.is_custom()
    np.testing.assert_array_equal(x, np.round(cc.updown_line(8, True, 0.5, 0), 2))
    assert all(round(v, 2) == v for v in x)
    panel.signal_editor.generate()  # Generate gives exactly the same numbers
    np.testing.assert_array_equal(panel.state.x, x)
    assert all(len(t.split(".")[-1]) <= 2 for t in panel.signal_editor.edit.text().split(", "))


def test_a_typed_or_drawn_signal_shows_custom_until_a_type_is_picked(panel, qtbot):
    editor = panel.signal_editor
    form = editor.form
    editor.edit.selectAll()
    qtbot.keyClicks(editor.edit, "1, 2, 4")
    assert form.combo.currentText() == "custom" and form.is_custom()
    assert not any(f.isEnabled() for f in fields(form))  # "length 8" no longer claims x
    assert form.name() == "rising line"  # Generate would still make a rising line
    qtbot.mouseClick(editor.generate_button, Qt.MouseButton.LeftButton)
    assert form.combo.currentText() == "rising line" and all(f.isEnabled() for f in fields(form))
    assert len(panel.state.x) == 8
    # drawing makes it custom too
    panel.signal_plot.set_drawing(True)
    panel.signal_plot.box.editor(3.0, 9.0, "click")
    assert panel.state.x[3] == 9.0 and form.combo.currentText() == "custom"
    # picking a type applies it at once: no "sine" over another signal
    form.combo.setCurrentText("sine")
    np.testing.assert_array_equal(panel.state.x, np.round(cc.sine(32), 2))
    assert form.combo.currentText() == "sine" and form.combo.findText("custom") == -1
    form.field("period").setValue(8.0)
    np.testing.assert_array_equal(panel.state.x, np.round(cc.sine(32, 8.0), 2))


def test_a_custom_kernel_shows_custom(panel, qtbot):
    editor = panel.kernel_editor
    form = editor.form
    assert form.combo.currentText() == "difference"
    editor.edit.selectAll()
    qtbot.keyClicks(editor.edit, "1, 0, -1, 2, 0.5")
    assert form.combo.currentText() == "custom"
    form.combo.setCurrentText("laplacian")
    assert panel.state.w == [1.0, -2.0, 1.0] and form.combo.currentText() == "laplacian"
    editor.edit.selectAll()
    qtbot.keyClicks(editor.edit, "1, -2, 1")  # typed, but the preset's numbers: not custom
    assert form.combo.currentText() == "laplacian"


def test_a_session_with_a_custom_signal_opens_as_custom(panel):
    state = panel.get_state()
    state["x"] = [3.0, 1.0, 2.0]
    panel.set_state(state)
    assert panel.signal_editor.form.combo.currentText() == "custom"
    state["x"] = np.round(cc.sine(32), 2).tolist()
    state["generator"], state["generator_params"] = "sine", {}
    panel.set_state(state)
    assert panel.signal_editor.form.combo.currentText() == "sine"


def test_a_stride_beyond_its_range_is_said_not_silently_dropped(panel, qtbot):
    spin = panel.operation.stride_spin
    note = panel.operation.range_note
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "99999")
    assert panel.state.stride == 9
    assert note.isVisibleTo(panel)
    assert note.text() == "Stride s takes 1 to 16: 99 is out of range"
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "4")
    assert panel.state.stride == 4 and not note.isVisibleTo(panel)
