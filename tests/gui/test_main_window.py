"""The application shell: labs built on demand, settings remembered, clean shutdown."""

from __future__ import annotations

import logging

import _fake_labs
import pytest
from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import QApplication, QLabel

import convlab
from convlab.gui.theme import DARK, LIGHT, theme_manager
from convlab.gui.worker import active_task_count
from convlab.shell import errors, main_window
from convlab.shell.labs import LabSpec

FAKE_LABS = (
    LabSpec("signals", "Signals && Kernels", "_fake_labs", "FakeA"),
    LabSpec("gradient", "Gradient Descent", "_fake_labs", "FakeB"),
    LabSpec("mnist", "MNIST Detectors", "_fake_labs", "FakeC"),
)


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(qtbot, monkeypatch, settings):
    _fake_labs.built.clear()
    windows = []

    def make():
        window = main_window.MainWindow(settings=settings, interactive=False, labs=FAKE_LABS)
        qtbot.addWidget(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
    theme_manager().set_mode("system")
    theme_manager().set_scale(1.0)


def test_tabs_are_the_three_labs_and_only_the_first_is_built(make_window):
    window = make_window()
    assert [window.tabs.tabText(i) for i in range(3)] == [
        "Signals && Kernels", "Gradient Descent", "MNIST Detectors"]
    assert _fake_labs.built == ["FakeA"]
    window.tabs.setCurrentIndex(2)
    assert _fake_labs.built == ["FakeA", "FakeC"]
    window.build_all()
    assert sorted(window.panels) == ["gradient", "mnist", "signals"]
    assert _fake_labs.built == ["FakeA", "FakeC", "FakeB"]


def test_remaining_labs_are_built_after_start(make_window, qtbot):
    window = make_window()
    window.schedule_remaining_labs()
    qtbot.waitUntil(lambda: len(window.panels) == 3, timeout=3000)


def test_settings_are_remembered(make_window, settings):
    window = make_window()
    window.resize(700, 500)
    window.show_lab("mnist")
    window.set_theme("dark")
    window.set_presentation_mode(True)
    window.close()
    assert settings.value("window/lab") == "mnist"

    again = make_window()
    assert again.current_lab_key() == "mnist"
    assert (again.width(), again.height()) == (700, 500)
    assert again.theme_actions["dark"].isChecked()
    assert theme_manager().theme is DARK
    assert again.presentation_action.isChecked()
    assert theme_manager().scale == main_window.PRESENTATION_SCALE


def test_theme_restyles_plots(make_window):
    window = make_window()
    plot = window.panels["signals"].plot
    window.set_theme("light")
    assert plot.backgroundBrush().color().name() == LIGHT.background.lower()
    window.set_theme("dark")
    assert plot.backgroundBrush().color().name() == DARK.background.lower()
    axis = plot.getPlotItem().getAxis("bottom")
    assert axis.textPen().color().name() == DARK.foreground.lower()
    assert QApplication.instance().palette().window().color().lightness() < 100


def test_presentation_mode_scales_text(make_window):
    window = make_window()
    base = QApplication.instance().font().pointSizeF()
    window.set_presentation_mode(True)
    assert QApplication.instance().font().pointSizeF() == pytest.approx(
        base * main_window.PRESENTATION_SCALE)
    window.set_presentation_mode(False)
    assert QApplication.instance().font().pointSizeF() == pytest.approx(base)


def test_presentation_mode_scales_plots_and_gives_the_window_back(make_window, qtbot):
    window = make_window()
    window.resize(1000, 640)
    window.show()
    qtbot.waitExposed(window)
    panel = window.build_lab("signals")
    item = panel.plot.getPlotItem()
    item.addLegend()
    item.plot([0, 1], [0, 1], name="curve")
    from convlab.gui.plots import style_plot

    style_plot(item, "A plot", "x", "y")
    axis = item.getAxis("bottom")

    def major_ticks() -> int:
        return len(axis.tickValues(0, 1000, 1500)[0][1])  # 1,500 px: 11 ticks, or 6

    normal = major_ticks()
    window.set_presentation_mode(True)
    assert axis.style["tickFont"].pointSizeF() > 10 and major_ticks() < normal
    assert item.legend.opts["labelTextSize"] == f"{10 * main_window.PRESENTATION_SCALE * 0.9:.1f}pt"
    window.resize(1400, 900)  # the larger text asked for more room
    window.set_presentation_mode(False)
    assert (window.width(), window.height()) == (1000, 640)
    assert major_ticks() == normal and item.legend.opts["labelTextSize"] == "9.0pt"


def test_close_stops_running_work(make_window):
    window = make_window()
    window.build_all()
    panel = window.panels["gradient"]
    task = panel.start_work()
    assert panel.started.wait(5)
    assert active_task_count() == 1
    window.close()
    assert not task.is_running()
    assert active_task_count() == 0
    assert all(p.shutdown_calls == 1 for p in window.panels.values())


def test_lab_image_export(make_window, tmp_path):
    window = make_window()
    target = tmp_path / "lab.png"
    window.save_lab_image("signals", target)
    assert target.stat().st_size > 1000
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_about_names_version_and_licences(make_window):
    text = make_window().about_text()
    assert f"ConvLab {convlab.__version__}" in text
    for needle in ("MIT", "GPL v3", "LGPL v3", "BSD-3", "LeCun"):
        assert needle in text


def test_uncaught_exception_is_logged_and_shown(qtbot, tmp_path, monkeypatch):
    path = errors.setup_logging(tmp_path / "logs")
    shown = []
    monkeypatch.setattr(errors.ErrorDialog, "exec", lambda self: shown.append(self) or 0)
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError as exc:
        errors._excepthook(type(exc), exc, exc.__traceback__)
    for handler in logging.getLogger("convlab").handlers:
        handler.flush()
    assert "boom in a slot" in path.read_text()
    assert len(shown) == 1
    dialog = shown[0]
    qtbot.addWidget(dialog)
    assert "RuntimeError: boom in a slot" in dialog.text()
    assert "Traceback" in dialog.detailedText()
    dialog.copy_details()
    assert "boom in a slot" in QApplication.clipboard().text()
    logging.getLogger("convlab").handlers.clear()


def test_session_save_open_round_trip_and_title(make_window, tmp_path):
    window = make_window()
    window.build_all()
    window.panels["gradient"].value = 7
    window.session.update_title()
    assert window.isWindowModified()
    path = tmp_path / "class"
    assert window.session.save_to(path)
    saved = tmp_path / "class.convlab"
    assert saved.exists() and not window.isWindowModified()
    assert window.windowTitle() == "class.convlab[*] — ConvLab"
    assert window.session.recent_files()[0] == str(saved)

    window.panels["gradient"].value = 99
    window.session.open_path(saved)
    assert window.panels["gradient"].value == 7
    assert not window.session.is_dirty()


def test_open_rejected_by_a_lab_leaves_every_lab_untouched(make_window, tmp_path):
    from convlab import session

    window = make_window()
    window.build_all()
    window.panels["signals"].value = 3
    window.panels["mnist"].value = 4
    path = tmp_path / "bad.convlab"
    session.save_session(path, {"signals": {"value": 11}, "mnist": {"value": -1}})
    with pytest.raises(session.SessionError, match="mnist lab: value must be a non-negative"):
        window.session.open_path(path)
    assert window.panels["signals"].value == 3
    assert window.panels["mnist"].value == 4


def test_autosave_and_recovery(make_window, monkeypatch):
    from convlab.shell import session_controller as sc

    window = make_window()
    window.build_all()
    window.panels["signals"].value = 5
    window.session.autosave()
    path = sc.autosave_path()
    assert path.exists()
    window.close()
    assert path.exists()  # a non-interactive window leaves the autosave alone

    again = make_window()
    assert again.session.offer_recovery(ask=False)
    assert again.panels["signals"].value == 5
    assert not path.exists()
    assert again.session.is_dirty()  # restored but not saved in a file


def test_closing_with_unsaved_changes_asks(make_window, monkeypatch):
    from PyQt6.QtWidgets import QMessageBox

    window = make_window()
    window.interactive = True
    window.panels["signals"].value = 1
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Discard]
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[1]) or answers.pop(0))
    window.show()
    window.close()
    assert window.isVisible() and asked == ["Unsaved changes"]
    window.close()
    assert not window.isVisible() and len(asked) == 2


def test_log_viewer_shows_the_end_of_the_log_and_its_path(qapp, tmp_path):
    from convlab.shell.log_viewer import LogViewer, read_tail

    log = tmp_path / "convlab.log"
    log.write_text("".join(f"line {i}\n" for i in range(100_000)), encoding="utf-8")
    tail = read_tail(log, limit=1000)
    assert tail.endswith("line 99999\n") and tail.startswith("line ")
    assert len(tail) <= 1000
    viewer = LogViewer(log)
    assert viewer.text.toPlainText().endswith("line 99999\n")
    assert str(log) in viewer.findChildren(QLabel)[0].text()
    assert read_tail(tmp_path / "none.log").startswith("(the log file cannot be read")
    empty = tmp_path / "empty.log"
    empty.write_text("")
    assert read_tail(empty) == "(empty: nothing has been logged yet)"
    viewer.deleteLater()


@pytest.mark.parametrize(("screen", "size"), [((1920, 1040), (1280, 820)),
                                               ((1366, 728), (1280, 692)),
                                               ((1024, 560), (973, 532))])
def test_first_window_fits_the_screen(screen, size):
    from PyQt6.QtCore import QSize

    from convlab.shell.main_window import first_window_size

    got = first_window_size(QSize(*screen))
    assert (got.width(), got.height()) == size


def test_try_first_strip_until_dismissed_and_back_from_help(qtbot, settings):
    labs = (LabSpec("signals", "Signals && Kernels", "_fake_labs", "FakeA",
                    ("Drag a <b>stem</b>.", "Press Play.")),
            LabSpec("gradient", "Gradient Descent", "_fake_labs", "FakeB"))
    window = main_window.MainWindow(settings=settings, interactive=False, labs=labs)
    qtbot.addWidget(window)
    window.show()
    strip = window.tips["signals"]
    assert strip.isVisible() and "2." in strip.label.text() and "Press Play." in strip.label.text()
    assert not window.tips["gradient"].isVisible()  # no steps given: no strip
    strip.close_button.click()
    assert not strip.isVisible()
    window.close()
    again = main_window.MainWindow(settings=settings, interactive=False, labs=labs)
    qtbot.addWidget(again)
    again.show()
    assert not again.tips["signals"].isVisible()  # remembered
    again.show_tips()
    assert again.tips["signals"].isVisible()
    again.close()


def test_every_real_lab_has_first_steps_and_the_guide_covers_them(make_window):
    from convlab.shell.guide import GuideDialog
    from convlab.shell.labs import LABS

    assert all(len(spec.try_first) in (2, 3) for spec in LABS)
    window = make_window()
    guide = GuideDialog(window)
    text = guide.browser.toPlainText()
    for spec in LABS:
        assert spec.plain_title in text
    assert "cross-correlation" in text
    guide.deleteLater()


def _mnemonic(text: str) -> str | None:
    import re

    found = re.findall(r"&([^&])", text.replace("&&", ""))
    return found[0].lower() if len(found) == 1 else None


def test_every_menu_entry_has_its_own_mnemonic(qtbot, settings):
    from convlab.shell.labs import LABS

    window = main_window.MainWindow(settings=settings, interactive=False, labs=LABS[:1])
    qtbot.addWidget(window)
    menus = [a.menu() for a in window.menuBar().actions()]
    menus += [a.menu() for m in menus for a in m.actions() if a.menu() is not None]
    for menu in menus:
        letters = [_mnemonic(a.text()) for a in menu.actions() if not a.isSeparator()]
        assert None not in letters, (menu.title(), [a.text() for a in menu.actions()])
        assert len(set(letters)) == len(letters), (menu.title(), letters)
    view = next(m for m in menus if m.title() == "&View")
    assert view.actions()[0].text() == "&Signals && Kernels"
    window.close()


def test_hidden_labs_pause_unless_asked_and_pause_all(make_window):
    window = make_window()
    window.build_all()
    signals, gradient = window.panels["signals"], window.panels["gradient"]
    window.show_lab("signals")
    before = (signals.pauses, gradient.pauses)
    window.show_lab("gradient")
    assert (signals.pauses, gradient.pauses) == (before[0] + 1, before[1])
    window.run_hidden_action.trigger()  # keep hidden labs running
    window.show_lab("signals")
    assert gradient.pauses == before[1]
    assert window.settings.value("view/run_hidden", type=bool)
    window.pause_all()
    assert all(p.pauses >= 1 for p in window.panels.values())
    assert gradient.pauses == before[1] + 1


def test_export_animation_reaches_the_real_gradient_lab_from_step_0(qtbot, settings):
    """The action is enabled when the tab is chosen at step 0, so its shortcut still works
    once the run has steps (the File menu is never opened in between)."""
    from convlab.shell.labs import LABS

    window = main_window.MainWindow(settings=settings, interactive=False,
                                    labs=tuple(s for s in LABS if s.key == "gradient"))
    qtbot.addWidget(window)
    try:
        lab = window.build_lab("gradient")
        window.update_animation_action()
        assert window.animation_action.isEnabled()
        for _ in range(5):
            lab.controller.step_once()
        asked = []
        lab.export_animation = lambda: asked.append(len(lab.animation_steps()))
        window.animation_action.trigger()
        assert asked == [6]
    finally:
        window.close()
