"""The Signals & Kernels components one by one: each edit sets its model field, each
model change shows in its widget, and no GUI object carries too many attributes."""

from __future__ import annotations

import numpy as np
import pytest

import convlab.core as cc
from convlab.gui.base import LabPanel
from convlab.labs.signals.batch import BatchEditor, BatchPlots, stack_offsets
from convlab.labs.signals.editors import KernelEditor, SignalEditor
from convlab.labs.signals.live import LiveView
from convlab.labs.signals.model import SignalsState, compute_view
from convlab.labs.signals.operation import OperationForm
from convlab.labs.signals.panel import SignalsPanel
from convlab.labs.signals.plots import draw_stroke
from convlab.labs.signals.step import StepThrough
from convlab.labs.signals.widgets import GeneratorForm

MAX_ATTRIBUTES = 30


@pytest.fixture
def state():
    return SignalsState()


def _add(qtbot, widget):
    qtbot.addWidget(widget)
    return widget


# ---------------------------------------------------------------------------- operation
@pytest.mark.parametrize(
    ("widget", "edit", "field", "value"),
    [("flip_combo", lambda w: w.setCurrentIndex(1), "flip", True),
     ("mode_combo", lambda w: w.setCurrentText("full"), "mode", "full"),
     ("stride_spin", lambda w: w.setValue(4), "stride", 4),
     ("dilation_spin", lambda w: w.setValue(2), "dilation", 2),
     ("padding_combo", lambda w: w.setCurrentText("replicate"), "padding_mode", "replicate"),
     ("all_modes_check", lambda w: w.setChecked(True), "show_all_modes", True)],
)
def test_operation_widget_edits_set_their_field(qtbot, state, widget, edit, field, value):
    form = _add(qtbot, OperationForm(state))
    before = state.to_dict()
    edit(getattr(form, widget))
    assert getattr(state, field) == value
    assert {k: v for k, v in state.to_dict().items() if k != field} == {
        k: v for k, v in before.items() if k != field}  # nothing else changed


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [("flip", True, lambda f: f.flip_combo.currentIndex() == 1),
     ("mode", "same", lambda f: f.mode_combo.currentText() == "same"),
     ("stride", 5, lambda f: f.stride_spin.value() == 5),
     ("dilation", 16, lambda f: f.dilation_spin.value() == 16),
     ("padding_mode", "circular", lambda f: f.padding_combo.currentText() == "circular"),
     ("show_all_modes", True, lambda f: f.all_modes_check.isChecked())],
)
def test_operation_shows_a_model_change_without_echoing_it(qtbot, state, field, value, shown):
    form = _add(qtbot, OperationForm(state))
    changes = []
    state.events.connect(changes.append)  # every field's event
    setattr(state, field, value)
    assert shown(form)
    assert len(changes) == 1  # the widget's update did not write back


def test_flip_menu_index_is_int_of_flip(qtbot, state):
    form = _add(qtbot, OperationForm(state))
    assert form.flip_combo.currentIndex() == 0 and "cross-correlation" in (
        form.flip_combo.currentText())
    form.cycle_flip()
    assert state.flip is True and "convolution" in form.flip_combo.currentText()


def test_padding_menu_follows_the_mode(qtbot, state):
    form = _add(qtbot, OperationForm(state))
    assert not form.padding_combo.isEnabled()
    state.mode = "full"
    assert form.padding_combo.isEnabled()
    form.cycle_mode()  # full → valid
    assert state.mode == "valid" and not form.padding_combo.isEnabled()


# ---------------------------------------------------------------------------- editors
def test_signal_editor_text_to_model_and_back(qtbot, state):
    editor = _add(qtbot, SignalEditor(state))
    qtbot.keyClicks(editor.edit, ", 3.5")
    assert state.x == [*SignalsState().x, 3.5]
    state.x = [4.0, -1.0]
    assert editor.edit.text() == "4, -1" and not editor.edit.error


def test_typing_a_number_in_parts_keeps_the_text(qtbot, state):
    editor = _add(qtbot, SignalEditor(state))
    editor.edit.clear()
    qtbot.keyClicks(editor.edit, "1, 2.")  # "2." is already valid: the model gets 2.0
    assert state.x == [1.0, 2.0]
    assert editor.edit.text() == "1, 2."  # and the field is not rewritten under the cursor
    qtbot.keyClicks(editor.edit, "5")
    assert state.x == [1.0, 2.5]


def test_generator_form_edits_set_the_generator_and_its_parameters(qtbot, state):
    editor = _add(qtbot, SignalEditor(state))
    editor.form.combo.setCurrentText("sine")
    assert state.generator == "sine"
    assert state.generator_params == cc.SIGNAL_GENERATORS["sine"].defaults()
    # picking a type applies it at once (no stale "sine" over another signal)
    np.testing.assert_array_equal(state.x, np.round(cc.sine(32), 2))
    editor.form.field("period").setValue(8.25)
    assert state.generator_params["period"] == 8.25
    np.testing.assert_array_equal(state.x, np.round(cc.sine(32, 8.25), 2))
    assert editor.edit.value().tolist() == state.x
    assert not editor.form.is_custom()


def test_a_loaded_generator_shows_in_the_form(qtbot, state):
    editor = _add(qtbot, SignalEditor(state))
    state.update({"generator": "noise", "generator_params": {"seed": 9}})
    assert editor.form.name() == "noise"
    assert editor.form.values() == {"length": 32, "std": 1.0, "seed": 9}


def test_generate_reports_a_failure_and_keeps_the_signal(qtbot, state, monkeypatch):
    editor = _add(qtbot, SignalEditor(state))
    messages = []
    editor.status.connect(messages.append)

    def refuse(self):
        raise ValueError("no can do")

    monkeypatch.setattr(SignalsState, "generated_signal", refuse)
    before = state.x
    editor.generate()
    assert state.x == before and messages == ["Cannot generate rising line: no can do"]


def test_drawing_switch_is_announced(qtbot, state):
    editor = _add(qtbot, SignalEditor(state))
    toggled, messages = [], []
    editor.drawing_toggled.connect(toggled.append)
    editor.status.connect(messages.append)
    editor.toggle_drawing()
    assert toggled == [True] and "draw samples" in messages[-1]


def test_kernel_editor_preset_and_text(qtbot, state):
    editor = _add(qtbot, KernelEditor(state))
    messages = []
    editor.status.connect(messages.append)
    editor.form.combo.setCurrentText("moving average")
    editor.form.field("k").setValue(4)
    assert state.w == [0.25] * 4 and editor.edit.text() == "0.25, 0.25, 0.25, 0.25"
    assert messages == ["Kernel: moving average = [0.3333, 0.3333, 0.3333]",
                        "Kernel: moving average = [0.25, 0.25, 0.25, 0.25]"]
    editor.apply_preset()
    assert state.w == [0.25] * 4
    editor.edit.setText("1, 2")
    editor.edit.textEdited.emit("1, 2")
    assert state.w == [1.0, 2.0]
    qtbot.keyClicks(editor.edit, ", 0" * 63)  # 65 taps: refused by the model's own check
    assert state.w == [1.0, 2.0] + [0.0] * 62
    assert "at most 64 taps" in editor.edit.error


def test_form_selection_from_the_model_does_not_emit(qtbot):
    form = _add(qtbot, GeneratorForm(cc.KERNEL_PRESETS))
    emitted = []
    form.changed.connect(lambda: emitted.append(1))
    form.set_selection("gaussian", {"sigma": 2.5})
    assert form.values() == {"k": 5, "sigma": 2.5} and emitted == []
    form.field("k").setValue(7)
    assert emitted == [1]


# ---------------------------------------------------------------------------- batch
def test_batch_editor_binds_the_switch_and_the_rows(qtbot, state):
    editor = _add(qtbot, BatchEditor(state))
    assert not editor.check.isChecked() and not editor.edit.isEnabled()
    editor.check.setChecked(True)
    assert state.batch is True and editor.edit.isEnabled()
    editor.edit.setPlainText("1, 2\n3, 4")
    assert state.batch_x == [[1.0, 2.0], [3.0, 4.0]]
    state.batch_x = [[0.5, 0.5, 0.5]]
    assert editor.edit.toPlainText() == "0.5, 0.5, 0.5"
    state.batch = False
    assert not editor.check.isChecked() and not editor.edit.isEnabled()


def test_batch_plots_draw_the_rows_stacked(qtbot, state):
    plots = _add(qtbot, BatchPlots())
    state.update({"batch": True, "batch_x": [[0, 1, 0], [2, 2, 2]], "w": [1, 1]})
    plots.show_view(compute_view(state))
    want = {"x": np.array([[0, 1, 0], [2, 2, 2]]), "z": np.array([[1, 1], [4, 4]])}
    for name, rows in want.items():
        np.testing.assert_allclose(plots.offsets[name], stack_offsets(rows))
        for curve, row, offset in zip(plots.curves[name], rows, plots.offsets[name],
                                      strict=True):
            np.testing.assert_allclose(curve.getData()[1], row + offset)


# ---------------------------------------------------------------------------- step-through
def test_step_slider_sets_the_step_and_follows_the_view(qtbot, state):
    step = _add(qtbot, StepThrough(state))
    step.show_view(compute_view(state))  # 8 samples, 2 taps, valid: 7 outputs
    assert (step.slider.minimum(), step.slider.maximum()) == (0, 6)
    step.step_by(4)
    assert state.step == 4
    step.step_by(10)  # clamped to the last output
    assert state.step == 6
    state.x = [1.0, 2.0, 3.0]  # 2 outputs: the view shows the last one, the model keeps 6
    step.show_view(compute_view(state))
    assert step.slider.maximum() == 1 and step.slider.value() == 1 and state.step == 6
    assert step.step_label.text() == "i = 1 of 0…1"


def test_play_stops_when_there_is_one_output(qtbot, state):
    step = _add(qtbot, StepThrough(state))
    step.toggle_play()
    assert step.play_timer.isActive()
    state.update({"x": [1.0, 2.0], "w": [1.0, 1.0]})  # valid: a single output
    step.show_view(compute_view(state))
    assert not step.play_timer.isActive() and not step.play_button.isEnabled()


# ---------------------------------------------------------------------------- live view
def test_live_view_redraws_an_edit_at_once_then_once_per_burst(qtbot, state):
    live = LiveView(state)
    views = []
    live.changed.connect(views.append)
    state.w = [1.0, 1.0]
    assert len(views) == 1 and views[0].w.tolist() == [1.0, 1.0]  # at once
    state.w = [2.0, 2.0]
    state.w = [3.0, 3.0]
    assert len(views) == 1 and live.pending
    qtbot.waitUntil(lambda: not live.pending)
    assert len(views) == 2 and views[1].w.tolist() == [3.0, 3.0]  # the burst, once
    state.generator_params = {"seed": 3}  # not drawn: no recomputation
    assert not live.pending and len(views) == 2


def test_live_view_held_recomputes_once(qtbot, state):
    live = LiveView(state)
    views = []
    live.changed.connect(views.append)
    with live.held():
        state.update({"x": [1.0, 2.0, 4.0], "mode": "full", "flip": True})
        assert views == []
    assert len(views) == 1 and not live.pending
    np.testing.assert_array_equal(live.view.z, cc.conv1d([1, 2, 4], [1, -1], "full", True))


# ---------------------------------------------------------------------------- pure helpers
def test_draw_stroke_sets_the_sample_under_the_pointer_and_fills_skipped_ones():
    x = np.zeros(6)
    x1, t = draw_stroke(x, 1.2, 1.004, None)
    assert t == 1 and x1.tolist() == [0, 1.0, 0, 0, 0, 0]
    assert x.tolist() == [0] * 6  # the input is not changed
    x2, t = draw_stroke(x1, 4.0, -2.0, 1)  # a fast drag from sample 1 to 4
    assert t == 4 and x2.tolist() == [0, 1.0, 0.0, -1.0, -2.0, 0]
    _, t = draw_stroke(x, 9.7, 0.0, None)  # beyond the last sample: the last one
    assert t == 5


def test_stack_offsets_hand_case():
    rows = np.array([[0.0, 1.0], [0.0, 1.0], [5.0, 5.0]])
    # spread 1 → gap 0.25: each row's top sits 0.25 under the bottom of the one above
    np.testing.assert_allclose(stack_offsets(rows), [0.0, -1.25, -6.5])
    np.testing.assert_array_equal(stack_offsets(np.zeros((0, 4))), [])


# ---------------------------------------------------------------------------- structure
def test_panel_and_components_hold_few_attributes(qtbot):
    panel = _add(qtbot, SignalsPanel())
    try:
        objects = {"panel": panel, "live": panel.live}
        objects.update({name: obj for name, obj in vars(panel).items()
                        if type(obj).__module__.startswith("convlab.labs.signals")})
        assert len(objects) == 16  # the panel, its model, the live view and 13 components
        counts = {name: len(vars(obj)) for name, obj in objects.items()}
        assert max(counts.values()) <= MAX_ATTRIBUTES, counts
    finally:
        panel.shutdown()


def test_the_panel_has_no_mixins():
    assert SignalsPanel.__bases__ == (LabPanel,)
