"""Issue 12: how long building each lab's panel takes (the tab a user opens).

For every lab the shell knows (``convlab.shell.main_window.LABS``): the panel
class is imported once (untimed), then each repetition builds a fresh panel at
1280×820, shows it and processes events until it has painted, and closes it.
The first build in a fresh process (with the imports) is reported in the note.
"""

from __future__ import annotations

import time

from .bench_gui import SIZE, _close, qt_app
from .harness import Context, Row, Target, describe_error, measure, median, not_available

__all__ = ["bench_panel_build"]

BUILD_TARGET_S = 0.3


def _build_and_show(cls) -> None:
    from PyQt6.QtWidgets import QApplication

    panel = cls()
    panel.resize(*SIZE)
    panel.show()
    QApplication.processEvents()
    _close(panel)


def bench_panel_build(ctx: Context) -> list[Row]:
    """Seconds from ``Panel()`` to its first processed show, per lab."""
    bench = "panel build"
    repeat = ctx.pick(1, 3, ctx.repeat)
    rows = []
    try:
        qt_app()
        from convlab.shell.labs import LABS
    except Exception as exc:
        return [not_available(bench, "every lab", "panels", "s", describe_error(exc))]
    for spec in LABS:
        case = spec.plain_title
        try:
            t0 = time.perf_counter()
            cls = spec.load()
            _build_and_show(cls)
            first = time.perf_counter() - t0
            times = measure(lambda cls=cls: _build_and_show(cls), repeat, warmup=0)
        except Exception as exc:
            rows.append(not_available(bench, case, spec.cls, "s", describe_error(exc)))
            continue
        row = Row(bench, case, f"{spec.cls}(): built, shown, first events processed",
                  median(times), "s", times,
                  note=f"first build in this process, imports included: {first:.2f} s")
        rows.append(row.judge(Target("<", BUILD_TARGET_S)))
    return rows
