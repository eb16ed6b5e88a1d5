"""What a new user meets in the MNIST lab (issues 16, 18, 21): typed thresholds, one-line
failures, framed images, a readable hover read-out, a steady grid, export, 1-based
numbering, presentation mode and small screens, accessible names and focus."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication

import convlab.core as cc
from convlab.gui.digits import DigitData
from convlab.gui.theme import theme_manager
from convlab.labs.mnist.colors import contrast_ratio
from convlab.labs.mnist.data import DOWNLOAD_FAILED
from convlab.labs.mnist.detectors import THRESHOLD_SLIDER_RANGE, THRESHOLD_STEP
from convlab.labs.mnist.panel import MnistPanel

SAMPLE = cc.load_mnist()


@pytest.fixture
def panel(qtbot):
    p = MnistPanel(data=DigitData(SAMPLE))
    qtbot.addWidget(p)
    p.resize(1200, 800)
    p.show()
    qtbot.waitUntil(lambda: not p.tasks.busy, timeout=5000)
    yield p
    p.shutdown()


# -- issue 16 §3: the threshold box and slider ---------------------------------------
@pytest.mark.parametrize(("typed", "value", "shown"),
                         [("1.5", 1.5, "1.50"), ("2.5", 2.5, "2.50"), ("0.75", 0.75, "0.75"),
                          ("-3.25", -3.25, "-3.25"), ("12", 12.0, "12.00")])
def test_typed_decimals_reach_the_threshold(panel, qtbot, typed, value, shown):
    spin = panel.controls.threshold_spin
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(spin, typed)
    assert panel.model.threshold == value  # live, while typing
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert spin.text() == shown
    assert panel.model.threshold == value
    assert panel.figure.level == value


def test_the_slider_is_linear_over_a_useful_range_in_fine_steps(panel):
    slider = panel.controls.threshold_slider
    low, high = THRESHOLD_SLIDER_RANGE
    assert (slider.minimum() * THRESHOLD_STEP, slider.maximum() * THRESHOLD_STEP) == (low, high)
    assert (low, high) == (-2.0, 6.0) and THRESHOLD_STEP == 0.05
    slider.setValue(31)
    assert panel.model.threshold == pytest.approx(1.55)
    slider.setValue(slider.value() + slider.singleStep())
    assert panel.model.threshold == pytest.approx(1.60)
    # the box goes beyond the slider; the slider then rests at its end
    panel.controls.threshold_spin.setValue(40.0)
    assert panel.model.threshold == 40.0 and slider.value() == slider.maximum()


# -- issue 16 §5: one line when a download fails, percent while it runs -----------------
def test_a_failed_download_is_one_plain_line_with_details_behind_a_button(panel, qtbot,
                                                                           monkeypatch):
    reasons = "; ".join(f"https://mirror{i}.example/train-images-idx3-ubyte.gz: "
                        "[Errno -2] Name or service not known" for i in range(20))

    def failing_download(dest, *, progress, cancel, user_agent):
        raise cc.DownloadError(f"could not download train-images-idx3-ubyte from any mirror "
                               f"— {reasons}")

    monkeypatch.setattr(cc, "download_mnist", failing_download)
    box = panel.data_box
    digit_top = panel.browser.mapTo(panel, panel.browser.rect().topLeft()).y()
    box.download_button.click()
    qtbot.waitUntil(lambda: box.error_label.isVisible(), timeout=5000)
    assert box.error_text() == DOWNLOAD_FAILED
    assert "Errno" not in box.error_text() and "http" not in box.error_text()
    fm = box.error_label.fontMetrics()
    assert box.error_label.height() <= 3 * fm.lineSpacing() + 4  # one line, wrapped at most
    assert box.details_button.isVisible()
    assert "mirror19.example" in box.error_details()
    dialog = box.show_details()
    assert "Name or service not known" in dialog.detailedText()
    dialog.close()
    # the Digit box moved down by the line and the button only
    qtbot.wait(10)
    moved = panel.browser.mapTo(panel, panel.browser.rect().topLeft()).y() - digit_top
    assert moved < 4 * fm.lineSpacing() + box.details_button.sizeHint().height()
    # a later good load takes the message away
    box.load_source(None)
    qtbot.waitUntil(lambda: not panel.tasks.busy, timeout=5000)
    assert box.error_text() == "" and not box.details_button.isVisible()


def test_the_download_bar_shows_percent_and_megabytes(panel):
    box = panel.data_box
    box._set_busy(True, "Downloading MNIST…")
    box._on_progress(0.31, "downloading train-images-idx3-ubyte: 3.1 of 9.9 MB from example.org")
    assert box.progress.isTextVisible()
    assert box.progress.text() == "31 % · 3.1 of 9.9 MB"
    box._set_busy(False)


# -- issue 16 §10, issue 21 §6: frames and the mark's contrast ------------------------------
@pytest.mark.parametrize("look", ["light", "dark"])
def test_every_image_is_framed_and_the_marks_contrast(panel, qtbot, look):
    theme_manager().set_mode(look)
    try:
        background = theme_manager().theme.background
        view = panel.figure_view
        images = [view.digit_image] + [im for d in view.detectors
                                       for im in (d.kernel_image, d.response_image)]
        for image in images:
            assert image.border is not None
            assert contrast_ratio(image.border.color().name(), background) >= 3.0
        # an all-white mask (threshold far below every response) on a white figure
        panel.model.threshold = -8.6
        assert all(view.displayed(i).min() == 1.0 for i in range(4))
        grab = view.grab().toImage()
        d = view.detectors[0]
        rect = d.response_image.mapRectToScene(d.response_image.boundingRect())
        left = view.mapFromScene(rect.topLeft()).x()
        middle = view.mapFromScene(rect.center()).y()
        inside = grab.pixelColor(left + 6, middle).name()
        if look == "light":
            assert contrast_ratio(inside, background) < 1.1  # white mask on the white figure
        edge = max(contrast_ratio(grab.pixelColor(x, middle).name(), background)
                   for x in range(left - 2, left + 3))
        assert edge >= 3.0  # the frame is drawn where the image ends
        for box in [view.window_box] + [d.pixel_box for d in view.detectors]:
            color = box.pen().color().name()
            for under in ("#ffffff", "#000000", background):
                assert contrast_ratio(color, under) >= 3.0, (color, under)
    finally:
        theme_manager().set_mode("light")


# -- issue 16 §17: titles claim a fixed width ------------------------------------------------
def test_the_grid_stays_put_when_titles_change_width(panel, qtbot):
    view = panel.figure_view
    qtbot.wait(20)

    def geometry():
        return [(round(d.response_plot.sceneBoundingRect().x()),
                 round(d.kernel_plot.sceneBoundingRect().x()),
                 round(d.response_plot.getViewBox().sceneBoundingRect().width()))
                for d in view.detectors]

    before = geometry()
    titles = []
    for level in (-7.5, 0.05, 1.5, 123.25):
        panel.model.threshold = level
        view.ci.layout.activate()
        qtbot.wait(5)
        titles.append(view.detectors[0].response_plot.titleLabel.text)
        assert geometry() == before, level
    assert titles[0] != titles[-1] and "123.25" in titles[-1]


# -- issue 16 §2: the figure exports as SVG and PNG -----------------------------------------
def test_the_figure_exports_as_svg_and_png(panel, tmp_path):
    import xml.etree.ElementTree as ET

    from PyQt6.QtGui import QImage

    view = panel.figure_view
    view.export(tmp_path / "figure.svg")
    root = ET.parse(tmp_path / "figure.svg").getroot()
    assert root.tag.endswith("svg") and len(list(root.iter())) > 20
    view.export(tmp_path / "figure.png")
    image = QImage(str(tmp_path / "figure.png"))
    assert image.width() > 100 and image.height() > 100
    with pytest.raises(ValueError, match=r"svg or \.png"):
        view.export(tmp_path / "figure.bmp")
    menu = view.context_menu()
    assert [a.text() for a in menu.actions()] == ["Export figure as SVG…",
                                                  "Export figure as PNG…"]
    # the keyboard's Menu key opens the same menu on the focused figure
    from PyQt6.QtCore import QPoint
    from PyQt6.QtGui import QContextMenuEvent

    opened = []
    view.context_menu = lambda: type("M", (), {"exec": lambda self, p: opened.append(p)})()
    QApplication.sendEvent(view, QContextMenuEvent(QContextMenuEvent.Reason.Keyboard,
                                                   QPoint(5, 5), view.mapToGlobal(QPoint(5, 5))))
    assert opened == [view.mapToGlobal(QPoint(5, 5))]
    del view.context_menu


# -- issue 16 §12: positions counted from 1 -------------------------------------------------
def test_digits_are_numbered_from_one_for_people(panel):
    browser = panel.browser
    panel.selection.go_to_position(0)
    assert browser.position_spin.text() == "1 of 1,000"
    assert browser.index_label.text() == "train digit 1 of 1,000 (index 0)"
    browser.position_spin.setValue(1000)
    assert panel.model.index == 999 and browser.position_spin.text() == "1,000 of 1,000"
    browser.position_spin.setValue(0)  # below the range: the first
    assert browser.position_spin.value() == 1 and panel.model.index == 0


# -- issue 16 §16: a readable hover read-out ------------------------------------------------
@pytest.mark.parametrize("scale", [1.0, 1.6])
def test_the_hover_readout_is_readable_and_needs_no_sideways_scrolling(panel, qtbot, scale):
    theme_manager().set_scale(scale)
    try:
        panel.resize(1366 if scale == 1.0 else 1920, 800)
        qtbot.wait(20)
        inspector = panel.inspector
        panel.figure_view.show_pixel(10, 12)
        qtbot.wait(20)
        label = inspector.label()
        app_font = label.font().pointSizeF()
        assert app_font == pytest.approx(QApplication.font().pointSizeF())  # the app's, scaled
        assert not inspector.horizontalScrollBar().isVisible()
        assert label.width() <= inspector.viewport().width()
        assert "Output pixel (row 10, column 12)" in inspector.text()
        assert label.mapTo(inspector.viewport(), label.rect().topLeft()).y() >= 0
        assert inspector.columns() >= 1
    finally:
        theme_manager().set_scale(1.0)



# -- issue 18 §1: a folder with no digits is refused; what is reachable reopens -------------
def _write_idx_folder(folder, train, test):
    folder.mkdir(exist_ok=True)
    for name, arr in (("train-images-idx3-ubyte", train[0]), ("train-labels-idx1-ubyte", train[1]),
                      ("t10k-images-idx3-ubyte", test[0]), ("t10k-labels-idx1-ubyte", test[1])):
        cc.write_idx(folder / name, arr)


@pytest.mark.parametrize("empty", ["train", "test", "both"])
def test_a_folder_with_no_digits_is_refused_with_a_message(panel, qtbot, tmp_path, empty):
    none = (np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8))
    some = (SAMPLE.train_images[:3], SAMPLE.train_labels[:3])
    _write_idx_folder(tmp_path, none if empty in ("train", "both") else some,
                      none if empty in ("test", "both") else some)
    loaded = cc.load_mnist(tmp_path)  # the core reads it: the lab must refuse it
    assert min(len(loaded.train_labels), len(loaded.test_labels)) == 0
    panel.model.index = 7
    before = panel.get_state()
    panel.data_box.load_source(tmp_path)
    qtbot.waitUntil(lambda: not panel.tasks.busy, timeout=5000)
    assert panel.data_box.error_text().startswith("Could not load: no ")
    assert "0 images" in panel.data_box.error_text()
    assert panel.get_state() == before and panel.data.size("train") == 1000
    # the same folder named by a session: the settings apply, the digits stay
    panel.set_state({**before, "data_source": str(tmp_path), "threshold": 0.5})
    qtbot.waitUntil(lambda: not panel.tasks.busy, timeout=5000)
    state = panel.get_state()
    assert state["data_source"] is None and state["index"] == 7 and state["threshold"] == 0.5
    panel.set_state(state)  # what is shown can be saved and reopened


def test_every_state_the_browser_reaches_reopens(panel, qtbot, tmp_path):
    _write_idx_folder(tmp_path, (SAMPLE.train_images[:1], SAMPLE.train_labels[:1]),
                      (SAMPLE.test_images[:2], SAMPLE.test_labels[:2]))
    panel.data_box.load_source(tmp_path)
    qtbot.waitUntil(lambda: panel.model.data_source == str(tmp_path) and not panel.tasks.busy,
                    timeout=5000)
    missing = next(c for c in range(10) if c != SAMPLE.train_labels[0])
    for action in (panel.selection.next, panel.selection.previous, panel.selection.random_digit,
                   lambda: panel.selection.set_label_filter(missing),  # no digit matches
                   panel.selection.next, lambda: panel.selection.set_split("test"),
                   panel.selection.next, panel.selection.next):
        action()
        state = panel.get_state()
        assert 0 <= state["index"] < panel.data.size(state["split"])
        panel.set_state(state)
        assert panel.get_state() == state


# -- issue 18 §7: refusals name the field -----------------------------------------------------
@pytest.mark.parametrize(("field", "value", "words"), [
    ("label_filter", 3.0, "label filter"),
    ("label_filter", "3", "label filter"),
    ("index", 2.0, "digit index"),
    ("index", -1, "digit index"),
    ("threshold", "1.5", "threshold"),
    ("threshold", float("nan"), "threshold"),
    ("split", 1, "split"),
    ("mode", ["full"], "mode"),
    ("flip", "yes", "flip"),
    ("display", None, "display"),
    ("kernels", [[[1.0]]], "kernels"),
    ("drawing", [[0.5] * 28] * 27, "drawing"),
    ("digit_source", "camera", "digit source"),
])
def test_a_bad_session_value_is_refused_in_words_naming_the_field(panel, field, value, words):
    before = panel.get_state()
    with pytest.raises(ValueError) as info:
        panel.set_state({**before, field: value})
    message = str(info.value)
    assert words in message
    for python in ("(self", "argument 1", "unexpected type"):
        assert python not in message
    assert panel.get_state() == before


# -- issue 16 §4/§18: small screens and presentation mode -----------------------------------
@pytest.mark.parametrize("scale", [1.0, 1.6])
def test_the_lab_fits_a_1024_wide_screen_and_kernel_values_show_only_where_they_fit(
        panel, qtbot, scale):
    theme_manager().set_scale(scale)
    try:
        qtbot.wait(10)
        assert panel.minimumSizeHint().width() <= 1024
        assert panel.minimumSizeHint().height() <= 600 - 150  # menus, tabs, strip, status
        panel.resize(1024, 450)
        qtbot.wait(20)
        view = panel.figure_view
        # nothing of the figure is cut: its last column ends inside the view
        right = max(d.response_plot.sceneBoundingRect().right() for d in view.detectors)
        assert right <= view.width()
        # the side panels scroll rather than squeeze their content
        for side in (panel.left_scroll, panel.right_scroll):
            assert side.widget().width() >= side.widget().minimumSizeHint().width()
        for d in view.detectors:
            shown = [t for t in d.texts if t.isVisible()]
            cell = 1 / d.kernel_plot.getViewBox().viewPixelSize()[0]
            assert all(t.textItem.boundingRect().width() <= cell for t in shown)
        panel.resize(1920, 1000)
        qtbot.wait(20)
        assert all(len([t for t in d.texts if t.isVisible()]) == 9 for d in view.detectors)
        # the side panels are wide enough for their content at this text size
        for side in (panel.left_scroll, panel.right_scroll):
            assert side.width() >= side.widget().minimumSizeHint().width()
    finally:
        theme_manager().set_scale(1.0)


# -- issue 15 §4: the notebook's code beside ConvLab's ---------------------------------------
@pytest.mark.parametrize("changes", [{}, {"threshold": 0.75, "mode": "same", "flip": False,
                                          "split": "test", "index": 9}])
def test_the_notebook_code_computes_the_masks_the_lab_shows(panel, qtbot, changes):

    from convlab.labs.mnist.notebook_code import FIGURE_MARK

    panel.set_state({**panel.get_state(), **changes})
    dialog = panel.notebook_code.show_code()
    qtbot.addWidget(dialog)
    assert dialog.isVisible()
    notebook, ours = panel.notebook_code.texts()
    assert f"> {panel.model.threshold!r}" in notebook
    assert "cc.detector_figure(digit, kernels" in ours
    # run the notebook's computation (numpy and scipy only) and ConvLab's
    space = {"X_train": SAMPLE.train_images, "X_test": SAMPLE.test_images}
    exec(notebook.split(FIGURE_MARK)[0], space)
    np.testing.assert_array_equal(np.array(space["masks"]), panel.figure.masks)
    assert ("convolve2d" if panel.model.flip else "correlate2d") in notebook
    theirs = {}
    exec(ours.replace("cc.load_mnist()", "SAMPLE"), {"SAMPLE": SAMPLE}, theirs)
    np.testing.assert_array_equal(theirs["fig"].masks, panel.figure.masks)
    # the window follows the settings
    panel.model.threshold = 2.25
    assert "> 2.25" in panel.notebook_code.texts()[0]
    dialog.close()


# -- issue 21 §4/§5: every control named, every focus stop visible and useful ------------------
def _focus_stops(panel):
    from PyQt6.QtWidgets import QWidget

    return [w for w in panel.findChildren(QWidget)
            if w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.isVisibleTo(panel)
            and w.focusProxy() is None]


@pytest.mark.parametrize("tab", [0, 1])
def test_every_control_has_an_accessible_name(panel, qtbot, tab):
    from PyQt6.QtWidgets import QAbstractButton, QAbstractScrollArea, QTabBar

    panel.statistics_page()
    panel.tabs.setCurrentIndex(tab)
    qtbot.wait(10)
    stops = _focus_stops(panel)
    unnamed = [f"{type(w).__name__}: {w.toolTip()[:40]}" for w in stops
               if not (w.accessibleName()
                       or (isinstance(w, QAbstractButton) and w.text())
                       or (isinstance(w, QTabBar) and w.tabText(0)))]
    assert unnamed == []
    if tab == 0:
        weights = [w for w in stops if w.accessibleName().startswith("Kernel weight")]
        assert len(weights) == 9 and len({w.accessibleName() for w in weights}) == 9
        names = {w.accessibleName() for w in stops}
        assert {"Threshold slider", "Threshold", "Drawing canvas, 28 by 28 pixels"} <= names
    # all 49 weights are named, shown or not
    cells = [box for row in panel.kernel_editor.cells for box in row]
    assert len({box.accessibleName() for box in cells}) == 49
    # no focus stop is a bare scroll area or plot that does nothing with keys
    keyed = (panel.figure_view, panel.thumbnails, panel.drawing.canvas)
    for w in stops:
        if isinstance(w, QAbstractScrollArea):
            assert w in keyed, type(w).__name__


def _looks_focused(qtbot, widget):
    """The widget is drawn differently with the keyboard focus than without."""
    widget.clearFocus()
    qtbot.wait(5)
    plain = widget.grab().toImage()
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(widget.hasFocus)
    qtbot.wait(5)
    return widget.grab().toImage() != plain


def test_the_figure_shows_focus_and_arrow_keys_walk_the_explained_pixel(panel, qtbot):
    panel.window().activateWindow()
    view = panel.figure_view
    assert _looks_focused(qtbot, view)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    out_h, out_w = panel.figure.responses.shape[1:]
    assert view.pixel == (out_h // 2, out_w // 2)
    qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(view, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    r, c = out_h // 2 + 1, out_w // 2 - 5
    assert view.pixel == (r, c)
    want = panel.figure.responses[0, r, c]
    assert f"Output pixel (row {r}, column {c})" in panel.inspector.text()
    assert f"Σ = {want:.3f}" in panel.inspector.text()
    assert f"vertical {want:.3f}" in view.accessibleDescription()  # read out too
    for _ in range(40):
        qtbot.keyClick(view, Qt.Key.Key_Up)
    assert view.pixel == (0, c)  # stays inside
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert view.pixel is None and not view.window_box.isVisible()


def test_the_thumbnails_show_focus_and_arrow_keys_browse(panel, qtbot):
    strip = panel.thumbnails
    assert _looks_focused(qtbot, strip)
    assert panel.model.index == 2
    qtbot.keyClick(strip, Qt.Key.Key_Right)
    assert panel.model.index == 3
    qtbot.keyClick(strip, Qt.Key.Key_Left)
    qtbot.keyClick(strip, Qt.Key.Key_Left)
    assert panel.model.index == 1
    qtbot.keyClick(strip, Qt.Key.Key_End)
    assert panel.model.index == 999
    qtbot.keyClick(strip, Qt.Key.Key_Home)
    assert panel.model.index == 0


def test_the_canvas_is_reachable_and_draws_with_the_keyboard(panel, qtbot):
    canvas = panel.drawing.canvas
    assert canvas.focusPolicy() & Qt.FocusPolicy.TabFocus
    assert _looks_focused(qtbot, canvas)
    assert panel.drawing.keyboard.cursor == (14, 14)
    qtbot.keyClick(canvas, Qt.Key.Key_Space)
    ink = np.array(panel.model.drawing)
    assert panel.model.digit_source == "drawing"
    assert ink[14, 14] == 1.0 and ink[14, 20] == 0.0
    qtbot.keyClick(canvas, Qt.Key.Key_Up)  # moves without drawing
    assert np.array(panel.model.drawing)[12, 14] == pytest.approx(ink[12, 14])
    for _ in range(6):
        qtbot.keyClick(canvas, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    ink = np.array(panel.model.drawing)
    assert panel.drawing.keyboard.cursor == (13, 20)
    assert all(ink[13, c] == 1.0 for c in range(14, 21))  # a line along row 13
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert np.array(panel.model.drawing)[13, 20] == 0.0
    qtbot.waitUntil(lambda: np.array_equal(panel.figure.digit, np.array(panel.model.drawing)))


def test_statistics_images_are_framed_and_weight_boxes_fit_their_text(panel, qtbot):
    page = panel.statistics_page()
    assert all(img.border is not None for row in page.view.images for img in row)
    theme_manager().set_scale(1.6)
    try:
        qtbot.wait(20)
        box = panel.kernel_editor.cells[0][0]
        box.setValue(-99.0)
        assert box.maximumWidth() >= box.fontMetrics().horizontalAdvance("-99.00") + 12
    finally:
        theme_manager().set_scale(1.0)
