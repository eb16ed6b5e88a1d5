"""SVG export works (issue 16 §2): every plot of every lab through the right-click exporter
that pyqtgraph's dialog offers, and a whole lab through File → Export Lab as Image."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pyqtgraph as pg
import pytest
from PyQt6.QtCore import QSettings
from pyqtgraph.exporters import Exporter, SVGExporter

from convlab.gui.svg_export import QtSvgExporter
from convlab.shell.labs import LABS
from convlab.shell.main_window import MainWindow

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def window(qapp, tmp_path_factory):
    path = tmp_path_factory.mktemp("svg") / "s.ini"
    win = MainWindow(QSettings(str(path), QSettings.Format.IniFormat), interactive=False)
    win.resize(1280, 820)
    win.build_all()
    win.show()
    yield win
    win.close()


def _parse(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag == f"{SVG}svg"
    return root


def test_the_dialog_offers_qt_svg_not_the_broken_exporter(window):
    assert QtSvgExporter in Exporter.Exporters and SVGExporter not in Exporter.Exporters


@pytest.mark.parametrize("key", [spec.key for spec in LABS])
def test_every_plot_exports_a_parseable_svg(window, qapp, key):
    window.show_lab(key)
    qapp.processEvents()
    plots = [item for view in window.panels[key].findChildren(pg.GraphicsView)
             for item in view.scene().items() if isinstance(item, pg.PlotItem)]
    assert plots, f"no plots found in {key}"
    for plot in plots:
        root = _parse(QtSvgExporter(plot).export(toBytes=True))
        width = float(root.get("width").removesuffix("mm").removesuffix("px"))
        assert width > 0
        # something was drawn: paths or text, not an empty document
        assert root.find(f".//{SVG}path") is not None or root.find(f".//{SVG}text") is not None


def test_whole_lab_exports_as_svg_and_png(window, tmp_path):
    for key, suffix in (("gradient", ".svg"), ("signals", ".png")):
        target = tmp_path / f"lab{suffix}"
        assert window.save_lab_image(key, target)
        if suffix == ".svg":
            root = _parse(target.read_bytes())
            assert "ConvLab" in (root.findtext(f"{SVG}title") or "")
            assert len(root.findall(f".//{SVG}text")) > 10  # titles, tick labels, controls
        else:
            assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_failed_export_says_so_and_returns_false(window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr("convlab.shell.main_window.QMessageBox.warning",
                        lambda *args: shown.append(args[2]))
    assert not window.save_lab_image("signals", tmp_path / "missing" / "lab.svg")
    assert shown and "lab.svg" in shown[0]
