"""ConvLab's entry point: ``python main.py``, ``python -m convlab`` and ``convlab``.

Options
-------
``--screenshot DIR``  render every lab at a fixed size to ``DIR/<lab>.png`` and exit.
``--self-test``       build the window offscreen, exercise each lab, print OK or the failure.
``FILE.convlab``      open a saved session.

Only PyQt6 is imported before the window exists; pyqtgraph, the labs and
scipy come later, so the window paints fast.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PyQt6.QtCore import QSettings

    from convlab.shell.main_window import MainWindow

__all__ = ["main"]

SCREENSHOT_SIZE = (1280, 820)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    from convlab import __version__

    parser = argparse.ArgumentParser(
        prog="convlab", description="ConvLab: touch the mathematics of convolutional networks."
    )
    parser.add_argument(
        "--screenshot",
        metavar="DIR",
        type=Path,
        help="render every lab to DIR/<lab>.png (offscreen) and exit",
    )
    parser.add_argument(
        "--size", metavar="WxH", type=_size, default=SCREENSHOT_SIZE,
        help="window size for --screenshot (default %(default)s: 1280x820)",
    )
    parser.add_argument(
        "--theme", choices=("light", "dark"), default="light",
        help="look for --screenshot (default light)",
    )
    parser.add_argument(
        "--presentation", action="store_true", help="--screenshot in presentation mode",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="build the window offscreen, exercise each lab briefly and report OK or the failure",
    )
    parser.add_argument(
        "session", nargs="?", type=Path, help="a .convlab session file to open"
    )
    parser.add_argument("--version", action="version", version=f"ConvLab {__version__}")
    return parser.parse_args(argv)


def _size(text: str) -> tuple[int, int]:
    """``"1024x600"`` → ``(1024, 600)``; argparse shows the message on anything else."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a size is WIDTHxHEIGHT, e.g. 1366x768, not {text!r}") from None
    if not (320 <= width <= 8000 and 240 <= height <= 8000):
        raise argparse.ArgumentTypeError(f"{text} is not a window size (320x240 to 8000x8000)")
    return width, height


def _make_app(argv: list[str]):
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(argv)
    app.setOrganizationName("ConvLab")
    app.setApplicationName("ConvLab")
    app.setApplicationDisplayName("ConvLab")
    app.setDesktopFileName("convlab")
    return app


@contextmanager
def _headless_settings() -> Iterator[QSettings]:
    """Settings that neither read nor change the user's (for screenshots and self-tests),
    in a temporary folder removed afterwards."""
    import tempfile

    from PyQt6.QtCore import QSettings

    with tempfile.TemporaryDirectory(prefix="convlab-") as folder:
        settings = QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)
        yield settings
        settings.sync()


def run_screenshots(folder: Path, size: tuple[int, int] = SCREENSHOT_SIZE,
                    theme: str = "light", presentation: bool = False) -> int:
    """Render each lab with its default content to ``folder/<lab>.png``."""
    from convlab.gui.theme import theme_manager
    from convlab.shell.main_window import MainWindow

    folder.mkdir(parents=True, exist_ok=True)
    theme_manager().apply()
    with _headless_settings() as settings:
        window = MainWindow(settings=settings, interactive=False)
        window.set_theme(theme)
        window.set_presentation_mode(presentation)
        try:
            return _save_screenshots(window, folder, size)
        finally:
            window.close()


def _save_screenshots(window: MainWindow, folder: Path, size: tuple[int, int]) -> int:
    from PyQt6.QtWidgets import QApplication

    from convlab.shell.labs import LABS

    window.resize(*size)
    window.build_all()
    window.show()
    for spec in LABS:
        window.show_lab(spec.key)
        if hasattr(panel := window.all_labs()[spec.key], "prepare_screenshot"):
            panel.prepare_screenshot()  # e.g. a short training: learned kernels to show
        for _ in range(5):
            QApplication.processEvents()
        path = folder / f"{spec.key}.png"
        if (window.width(), window.height()) != size:
            print(f"{spec.key}: the window needs {window.width()}x{window.height()}, "
                  f"more than {size[0]}x{size[1]}", file=sys.stderr)
        if not window.grab().save(str(path)):
            print(f"could not write {path}", file=sys.stderr)
            return 1
        print(path)
    return 0


def run_self_test() -> int:
    """Exercise every lab offscreen; print one line, return 0 on success."""
    from PyQt6.QtWidgets import QApplication

    from convlab.gui.theme import theme_manager
    from convlab.shell.labs import LABS
    from convlab.shell.main_window import MainWindow

    start = time.perf_counter()
    theme_manager().apply()
    current = "window"
    with _headless_settings() as settings:
        window = MainWindow(settings=settings, interactive=False)
        window.resize(*SCREENSHOT_SIZE)
        window.show()
        try:
            for spec in LABS:
                current = spec.key
                window.show_lab(spec.key)
                QApplication.processEvents()
                window.panels[spec.key].self_test()
                QApplication.processEvents()
        except Exception as exc:
            traceback.print_exc()
            print(f"ConvLab self-test FAILED in {current}: {type(exc).__name__}: {exc}")
            return 1
        finally:
            window.close()
    print(f"ConvLab self-test OK: {len(LABS)} labs in {time.perf_counter() - start:.2f} s")
    return 0


def _exit_after_first_paint(window) -> None:
    """Startup probe for the benchmarks: print ``first-paint`` when the window paints, quit."""
    from PyQt6.QtCore import QEvent, QObject, QTimer
    from PyQt6.QtWidgets import QApplication

    class _Probe(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                window.removeEventFilter(self)
                QTimer.singleShot(0, self.painted)  # once this paint pass has finished
            return False

        def painted(self) -> None:
            print("first-paint", flush=True)
            QApplication.quit()

    probe = _Probe(window)
    window.installEventFilter(probe)


def main(argv: Sequence[str] | None = None) -> int:
    """Start ConvLab (or run ``--screenshot`` / ``--self-test``); return the exit code."""
    args = _parse_args(argv)
    if args.screenshot is not None or args.self_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from convlab.qt_check import uses_xcb, xcb_problem

    problem = xcb_problem() if uses_xcb() else None
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    app = _make_app([sys.argv[0]])

    if args.screenshot is not None:
        return run_screenshots(args.screenshot, args.size, args.theme, args.presentation)
    if args.self_test:
        return run_self_test()

    from convlab.shell import errors

    errors.setup_logging()
    errors.install()
    import logging

    from PyQt6.QtCore import QT_VERSION_STR

    from convlab import __version__

    logging.getLogger("convlab").info(
        "ConvLab %s started (Python %s, Qt %s)", __version__, sys.version.split()[0],
        QT_VERSION_STR)
    from convlab.gui.theme import theme_manager
    from convlab.shell.main_window import MainWindow

    theme_manager().apply()
    probe = bool(os.environ.get("CONVLAB_EXIT_AFTER_PAINT"))
    window = MainWindow(interactive=not probe)
    if probe:
        _exit_after_first_paint(window)
    window.show()
    if args.session is not None:
        window.session.open_with_prompt(args.session)
    elif not probe:
        window.session.offer_recovery()
    window.schedule_remaining_labs()
    app.aboutToQuit.connect(window.shutdown)
    return app.exec()
