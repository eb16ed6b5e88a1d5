"""Every real lab panel: theme changes after shutdown are harmless, state round-trips."""

from __future__ import annotations

import json

import pytest

from convlab.gui.theme import theme_manager
from convlab.gui.worker import active_task_count
from convlab.shell.labs import LABS


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


def test_data_exports_write_readable_files(panel, tmp_path):
    import csv

    import numpy as np

    exports = panel.data_exports()
    assert exports, "every lab offers at least one data export"
    for export in exports:
        path = tmp_path / export.default_name
        export.write(path)
        if path.suffix == ".csv":
            rows = list(csv.reader(path.open(encoding="utf-8")))
            assert len(rows) > 1 and all(len(r) == len(rows[0]) for r in rows)
        elif path.suffix == ".png":
            from PyQt6.QtGui import QImage

            assert not QImage(str(path)).isNull()
        elif path.name.startswith("convlab-cnn"):  # a network: architecture and weights
            import convlab.core as cc

            assert cc.load_network(path).n_params > 0
        else:
            with np.load(path, allow_pickle=False) as saved:
                assert saved["masks"].shape == saved["responses"].shape


def test_window_exports_script_and_reports_a_failed_export(qtbot, tmp_path, monkeypatch):
    import subprocess
    import sys

    from PyQt6.QtCore import QSettings
    from PyQt6.QtWidgets import QMessageBox

    from convlab.shell.main_window import MainWindow

    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                        interactive=False)
    qtbot.addWidget(window)
    script = tmp_path / "signals.py"
    assert window.save_script("signals", script)
    out = subprocess.run([sys.executable, str(script), "--no-plot"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and "z =" in out.stdout

    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    export = window.build_lab("signals").data_exports()[0]
    assert not window.export_data(export, tmp_path / "no-such-folder" / "x.csv")
    assert "Could not write" in warnings[0]
    window.close()
