"""ConvLab's main window: the labs as tabs, menus, status bar, settings.

The window knows a lab only through its :class:`~convlab.shell.labs.LabSpec` (where
its panel class lives, imported when first built) and the
:class:`convlab.gui.base.Lab` protocol.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from pathlib import Path

from PyQt6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer
from PyQt6.QtGui import QAction, QActionGroup, QCloseEvent, QIcon, QKeySequence
from PyQt6.QtWidgets import (
    QFileDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import convlab
from convlab.gui.base import DataExport, LabPanel
from convlab.gui.theme import MODES, theme_manager

from . import errors
from .actions import add_action
from .guide import GuideDialog, TryFirstStrip
from .labs import LABS, LabSpec
from .session_controller import SessionController

__all__ = ["MainWindow", "first_window_size"]

PRESENTATION_SCALE = 1.6
#: The window's size at first start on a screen that has room for it.
DEFAULT_SIZE = (1280, 820)


def app_icon() -> QIcon:
    from convlab.paths import resources_dir

    path = resources_dir() / "icons" / "convlab.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def first_window_size(available: QSize) -> QSize:
    """The window's size at first start: 1280×820, or 95 % of a smaller screen's free area.

    >>> first_window_size(QSize(1366, 728))  # a 1366×768 laptop less its panel
    PyQt6.QtCore.QSize(1280, 692)
    """
    width = min(DEFAULT_SIZE[0], round(0.95 * available.width()))
    height = min(DEFAULT_SIZE[1], round(0.95 * available.height()))
    return QSize(max(width, 640), max(height, 400))


class MainWindow(QMainWindow):
    """The application window.

    Labs are built on demand: the one shown first is built before the window
    appears, the others right after the first paint (:meth:`build_all` builds
    them at once, as the screenshot and self-test modes do).
    """

    def __init__(self, settings: QSettings | None = None, interactive: bool = True,
                 labs: Sequence[LabSpec] = LABS) -> None:
        """``interactive=False`` (screenshots, self-test, tests) never asks questions on
        closing and writes no autosave file; ``labs`` are the tabs (default: every lab)."""
        super().__init__()
        self.lab_specs = tuple(labs)
        self.settings = settings if settings is not None else QSettings()
        self.interactive = interactive
        self.setWindowTitle("ConvLab")
        self.setWindowIcon(app_icon())
        self.panels: dict[str, LabPanel] = {}
        self._pages: dict[str, QWidget] = {}
        self.tips: dict[str, TryFirstStrip] = {}
        self._size_before_presentation: QSize | None = None
        self._closed = False

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for spec in self.lab_specs:
            page = QWidget()
            layout = QVBoxLayout(page)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.setSpacing(0)
            strip = TryFirstStrip(spec, self.settings, page)
            layout.addWidget(strip)
            self.tips[spec.key] = strip
            self._pages[spec.key] = page
            self.tabs.addTab(page, spec.title)
        self.setCentralWidget(self.tabs)
        self.statusBar().showMessage("Ready", 3000)

        self.session = SessionController(self, self.settings, self, interactive)
        self.session.title_changed.connect(self._on_session_title_changed)
        self.session.status_message.connect(self.show_status)
        self._build_menus()
        self._restore_settings()
        self.build_lab(self.current_lab_key())
        self.update_animation_action()
        self.tabs.currentChanged.connect(self._on_tab_changed)

    # -- labs ----------------------------------------------------------------
    def current_lab_key(self) -> str:
        return self.lab_specs[self.tabs.currentIndex()].key

    def build_lab(self, key: str) -> LabPanel:
        """The panel of lab ``key``, built now if it was not yet."""
        if key in self.panels:
            return self.panels[key]
        spec = next(s for s in self.lab_specs if s.key == key)
        panel = spec.load()(self._pages[key])
        self._pages[key].layout().addWidget(panel, 1)  # the lab takes the height, not the strip
        panel.status_message.connect(lambda msg: self.statusBar().showMessage(msg, 8000))
        self.panels[key] = panel
        self.session.mark_clean(key)
        return panel

    def build_all(self) -> None:
        for spec in self.lab_specs:
            self.build_lab(spec.key)

    # LabHost, for the session controller
    def built_labs(self) -> Mapping[str, LabPanel]:
        return dict(self.panels)

    def all_labs(self) -> Mapping[str, LabPanel]:
        self.build_all()
        return dict(self.panels)

    def show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, 5000)

    def _on_session_title_changed(self, title: str, modified: bool) -> None:
        self.setWindowTitle(title)
        self.setWindowModified(modified)

    def schedule_remaining_labs(self) -> None:
        """Build the labs not yet built, 50 ms apart, after the first paint."""
        missing = [s.key for s in self.lab_specs if s.key not in self.panels]
        for i, key in enumerate(missing):
            QTimer.singleShot(50 * (i + 1), lambda k=key: self._closed or self.build_lab(k))

    def show_lab(self, key: str) -> None:
        self.tabs.setCurrentIndex([s.key for s in self.lab_specs].index(key))

    def _on_tab_changed(self, index: int) -> None:
        key = self.lab_specs[index].key
        self.build_lab(key)
        self.update_animation_action()
        self.settings.setValue("window/lab", key)
        if not self.run_hidden_action.isChecked():
            for other, panel in self.panels.items():
                if other != key:
                    panel.pause()

    def pause_all(self) -> None:
        """Stop everything that moves in every lab (training runs, animations)."""
        for panel in self.panels.values():
            panel.pause()
        self.show_status("Paused every lab")

    # -- menus ------------------------------------------------------------------
    def _action(self, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        return add_action(menu, text, slot, shortcut, tip, parent=self)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self._build_file_menu(bar.addMenu("&File"))
        self._build_view_menu(bar.addMenu("&View"))
        self._build_help_menu(bar.addMenu("&Help"))

    def _build_file_menu(self, file_menu: QMenu) -> None:
        self.session.add_actions(file_menu)
        file_menu.addSeparator()
        self._action(
            file_menu,
            "&Export Lab as Image…",
            self.export_current_lab,
            "Ctrl+E",
            "Save the current lab as a PNG picture or an SVG drawing "
            "(each plot: right-click → Export)",
        )
        self.animation_action = self._action(
            file_menu,
            "Export A&nimation…",
            self.export_animation,
            "Ctrl+Shift+G",
            "Save the current lab's run, frame by frame, as an animated GIF, an MP4 video "
            "or a web page (labs with a recorded run: Gradient Descent, CNN Training)",
        )
        file_menu.aboutToShow.connect(lambda: self.update_animation_action(menu_open=True))
        file_menu.aboutToHide.connect(self.update_animation_action)
        self.data_menu = file_menu.addMenu("Export &Data")
        self.data_menu.aboutToShow.connect(self._fill_data_menu)
        self._action(
            file_menu,
            "Export as &Python Script…",
            self.export_script_dialog,
            "Ctrl+Shift+E",
            "Save a Python script that redoes the current lab's computation with convlab.core",
        )
        file_menu.addSeparator()
        self._action(
            file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit, "Close ConvLab"
        )

    def _build_view_menu(self, view: QMenu) -> None:
        for i, spec in enumerate(self.lab_specs):
            self._action(
                view,
                spec.title,  # with its mnemonic, as in the tab
                lambda _=False, k=spec.key: self.show_lab(k),
                f"Ctrl+{i + 1}",
                f"Show the {spec.plain_title} lab",
            )
        view.addSeparator()
        theme_menu = view.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for mode in MODES:
            label = {"system": "Follow &System", "light": "&Light", "dark": "&Dark"}[mode]
            act = self._action(theme_menu, label, lambda _=False, m=mode: self.set_theme(m))
            act.setCheckable(True)
            group.addAction(act)
            self.theme_actions[mode] = act
        self.presentation_action = self._action(
            view,
            "&Presentation Mode",
            self.set_presentation_mode,
            "Ctrl+Shift+P",
            "Larger text in the window and the plots, for a classroom projector",
        )
        self.presentation_action.setCheckable(True)
        self.fullscreen_action = self._action(
            view, "&Full Screen", self._toggle_fullscreen, QKeySequence.StandardKey.FullScreen
        )
        self.fullscreen_action.setCheckable(True)
        view.addSeparator()
        self._action(view, "P&ause All Labs", self.pause_all, "Ctrl+.",
                     "Stop every training run and animation")
        self.run_hidden_action = self._action(
            view, "&Keep Hidden Labs Running", self._remember_run_hidden,
            tip="Let a lab go on training while another tab is shown")
        self.run_hidden_action.setCheckable(True)
        self.run_hidden_action.setChecked(
            self.settings.value("view/run_hidden", False, type=bool))

    def _build_help_menu(self, help_menu: QMenu) -> None:
        self._action(help_menu, "&Guide", self.show_guide, QKeySequence.StandardKey.HelpContents,
                     "A one-page guide to the labs")
        self._action(help_menu, "Show &Try-This-First Tips", self.show_tips,
                     tip="Show the first steps above every lab again")
        help_menu.addSeparator()
        self._action(help_menu, "Show &Log File", self.show_log_file,
                     tip="Show the log file and where it is")
        self._action(help_menu, "&About ConvLab", self.show_about, tip="Version and licences")
        self._action(help_menu, "About &Qt", lambda: QMessageBox.aboutQt(self))

    # -- view -------------------------------------------------------------------
    def set_theme(self, mode: str) -> None:
        theme_manager().set_mode(mode)
        self.theme_actions[mode].setChecked(True)
        self.settings.setValue("view/theme", mode)

    def set_presentation_mode(self, on: bool) -> None:
        """Larger text everywhere; turning it off gives back the window's size from before."""
        on = bool(on)
        if on and self._size_before_presentation is None:
            self._size_before_presentation = self.size()
        theme_manager().set_scale(PRESENTATION_SCALE if on else 1.0)
        if not on and self._size_before_presentation is not None:
            if not self.isMaximized() and not self.isFullScreen():
                self.resize(self._size_before_presentation)
            self._size_before_presentation = None
        self.presentation_action.setChecked(on)
        self.settings.setValue("view/presentation", on)

    def _remember_run_hidden(self, on: bool) -> None:
        self.settings.setValue("view/run_hidden", bool(on))

    def _toggle_fullscreen(self, on: bool) -> None:
        self.showFullScreen() if on else self.showNormal()

    # -- file -------------------------------------------------------------------
    def export_current_lab(self) -> None:
        key = self.current_lab_key()
        start = str(Path.home() / f"convlab-{key}.png")
        path, chosen = QFileDialog.getSaveFileName(
            self, "Export Lab as Image", start, "PNG image (*.png);;SVG drawing (*.svg)"
        )
        if path:
            path = Path(path)
            if path.suffix.lower() not in (".png", ".svg"):
                path = path.with_name(path.name + (".svg" if "svg" in chosen else ".png"))
            self.save_lab_image(key, path)

    def save_lab_image(self, key: str, path: Path) -> bool:
        """Render lab ``key`` to a PNG picture (an SVG drawing if ``path`` ends in .svg).

        A failure is shown, not raised.
        """
        from convlab.gui.svg_export import save_widget_svg

        panel = self.build_lab(key)
        try:
            if path.suffix.lower() == ".svg":
                save_widget_svg(panel, path, f"ConvLab — {key}")
            elif not panel.grab().save(str(path)):
                raise OSError("the image could not be written")
        except OSError as exc:
            QMessageBox.warning(self, "Export failed", f"Could not write {path}:\n{exc}")
            return False
        self.show_status(f"Saved {path}")
        return True

    def update_animation_action(self, menu_open: bool = False) -> None:
        """Enable Export Animation… for a lab with an animation source.

        While the File menu is open it also needs two recorded steps (what the
        menu shows is exact); otherwise only the source counts, so the shortcut
        still reaches the lab, which says when there is nothing to animate yet.
        """
        panel = self.panels.get(self.current_lab_key())
        source = panel.animation_source() if panel is not None else None
        enabled = source is not None
        if enabled and menu_open:
            enabled = len(source.animation_steps()) >= 2
        self.animation_action.setEnabled(enabled)

    def export_animation(self) -> None:
        """File → Export Animation… for the current lab."""
        self.build_lab(self.current_lab_key()).export_animation()

    def _fill_data_menu(self) -> None:
        self.data_menu.clear()
        exports = self.build_lab(self.current_lab_key()).data_exports()
        for export in exports:
            action = self.data_menu.addAction(export.label)
            action.triggered.connect(lambda _=False, e=export: self._export_data_dialog(e))
        if not exports:
            self.data_menu.addAction("(nothing to export in this lab)").setEnabled(False)

    def _export_data_dialog(self, export: DataExport) -> None:
        start = str(Path.home() / export.default_name)
        path, _ = QFileDialog.getSaveFileName(self, export.label.rstrip("…"), start,
                                              export.file_filter)
        if path:
            self.export_data(export, Path(path))

    def export_data(self, export: DataExport, path: Path) -> bool:
        """Run one data export; a failure is shown, not raised."""
        try:
            export.write(path)
        except OSError as exc:
            QMessageBox.warning(self, "Export failed", f"Could not write {path}:\n{exc}")
            return False
        self.show_status(f"Saved {path}")
        return True

    def export_script_dialog(self) -> None:
        key = self.current_lab_key()
        start = str(Path.home() / f"convlab_{key}.py")
        path, _ = QFileDialog.getSaveFileName(
            self, "Export as Python Script", start, "Python script (*.py)"
        )
        if path:
            self.save_script(key, Path(path))

    def save_script(self, key: str, path: Path) -> bool:
        """Write the script that reproduces lab ``key``; a failure is shown, not raised."""
        from convlab.core import atomic_write_text
        from convlab.export_script import SCRIPT_EXPORTERS

        text = SCRIPT_EXPORTERS[key](self.build_lab(key).get_state())
        try:
            atomic_write_text(path, text)
        except OSError as exc:
            QMessageBox.warning(self, "Export failed", f"Could not write {path}:\n{exc}")
            return False
        self.show_status(f"Saved {path}")
        return True

    # -- help ---------------------------------------------------------------------
    def show_guide(self) -> None:
        GuideDialog(self).open()

    def show_tips(self) -> None:
        for strip in self.tips.values():
            strip.restore()

    def show_log_file(self) -> None:
        from .log_viewer import LogViewer

        LogViewer(errors.log_file(), self).open()

    def about_text(self) -> str:
        import numpy
        import pyqtgraph
        from PyQt6.QtCore import PYQT_VERSION_STR, QT_VERSION_STR

        try:
            from importlib.metadata import version

            scipy_version = version("scipy")
        except Exception:
            scipy_version = "?"
        return (
            f"<h3>ConvLab {convlab.__version__}</h3>"
            "<p>A visual lab for the mathematics of convolutional neural networks: "
            "1-D convolution, gradient descent on a convolution kernel, and line "
            "detectors on MNIST digits.</p>"
            "<p><b>Licences</b><br>"
            "ConvLab: MIT licence.<br>"
            f"Qt {QT_VERSION_STR}: LGPL v3 · PyQt6 {PYQT_VERSION_STR}: GPL v3 "
            "(so a packaged ConvLab is distributed under the GPL v3)<br>"
            f"pyqtgraph {pyqtgraph.__version__}: MIT · NumPy {numpy.__version__}: BSD-3 · "
            f"SciPy {scipy_version}: BSD-3<br>"
            "MNIST digits: Yann LeCun, Corinna Cortes and Christopher J. C. Burges, "
            "derived from NIST Special Databases 1 and 3; a sample of 2,000 digits is "
            "bundled.</p>"
            f"<p>Python {platform.python_version()} on {platform.system()}</p>"
        )

    def show_about(self) -> None:
        QMessageBox.about(self, "About ConvLab", self.about_text())

    # -- settings and closing ---------------------------------------------------
    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if not (isinstance(geometry, QByteArray) and not geometry.isEmpty()
                and self.restoreGeometry(geometry)):
            self.resize(first_window_size(self.screen().availableGeometry().size()))
        keys = [s.key for s in self.lab_specs]
        lab = self.settings.value("window/lab", keys[0])
        self.tabs.setCurrentIndex(keys.index(lab) if lab in keys else 0)
        mode = self.settings.value("view/theme", "system")
        self.set_theme(mode if mode in MODES else "system")
        presentation = self.settings.value("view/presentation", False, type=bool)
        self.set_presentation_mode(bool(presentation))

    def shutdown(self) -> None:
        """Save the window's settings and stop every lab's work (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/lab", self.current_lab_key())
        self.settings.sync()
        for panel in self.panels.values():
            panel.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.interactive and not self._closed and not self.session.maybe_save():
            event.ignore()
            return
        self.shutdown()
        self.session.discard_autosave()
        event.accept()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape and self.isFullScreen():
            self.fullscreen_action.setChecked(False)
            self.showNormal()
            return
        super().keyPressEvent(event)

