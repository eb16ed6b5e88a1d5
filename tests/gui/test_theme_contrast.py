"""Contrast in both looks: check box and radio outlines drawn on screen ≥ 3:1 with the window
(issue 16 §15), text colours ≥ 4.5:1, plot series ≥ 3:1 (issue 21 §6)."""

from __future__ import annotations

import pytest
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QCheckBox, QLabel, QRadioButton, QStyle, QStyleOptionButton

from convlab.gui.theme import DARK, LIGHT, mark_error_text, theme_manager


def _luminance(color: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    return (0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF())
            + 0.0722 * channel(color.blueF()))


def contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.fixture(params=["light", "dark"])
def look(request, qapp):
    theme_manager().set_mode(request.param)
    yield request.param
    theme_manager().set_mode("light")


@pytest.mark.parametrize("cls", [QCheckBox, QRadioButton])
def test_unchecked_indicator_outline_is_visible(look, qapp, cls):
    box = cls("option")
    box.resize(120, 30)
    box.show()
    qapp.processEvents()
    image = box.grab().toImage()
    option = QStyleOptionButton()
    box.initStyleOption(option)
    element = (QStyle.SubElement.SE_CheckBoxIndicator if cls is QCheckBox
               else QStyle.SubElement.SE_RadioButtonIndicator)
    rect = box.style().subElementRect(element, option, box)
    ratio = box.devicePixelRatioF()
    window = box.palette().window().color()
    # the most contrasting pixel along the indicator's middle row = its outline
    y = round(rect.center().y() * ratio)
    row = [image.pixelColor(x, y) for x in range(round(rect.left() * ratio),
                                                 round(rect.right() * ratio) + 1)]
    best = max(contrast(c, window) for c in row)
    box.close()
    assert best >= 3.0, f"{look}: indicator outline contrast {best:.2f}:1"


# -- the looks' colours (issue 21 §6): text ≥ 4.5:1, plot marks ≥ 3:1 -------------------------
def _hex(name: str) -> QColor:
    return QColor(name)


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_text_colours_reach_4_5_to_1_on_window_and_background(qapp, mode):
    theme_manager().set_mode(mode)
    try:
        theme = theme_manager().theme
        palette = qapp.palette()
        backgrounds = [palette.window().color(), palette.base().color(), _hex(theme.background)]
        for name, colour in (("text", palette.windowText().color()),
                             ("error", _hex(theme.error)), ("muted", _hex(theme.muted)),
                             ("foreground", _hex(theme.foreground))):
            worst = min(contrast(colour, bg) for bg in backgrounds)
            assert worst >= 4.5, f"{mode} {name} {colour.name()}: {worst:.2f}:1"
        disabled = palette.color(palette.ColorGroup.Disabled, palette.ColorRole.WindowText)
        assert min(contrast(disabled, bg) for bg in backgrounds[:2]) >= 3.0
    finally:
        theme_manager().set_mode("light")


@pytest.mark.parametrize("theme", [LIGHT, DARK], ids=["light", "dark"])
def test_every_series_colour_reaches_3_to_1_on_the_plot_background(theme):
    for colour in theme.series:
        assert contrast(_hex(colour), _hex(theme.background)) >= 3.0, colour


def test_error_text_follows_the_look(qapp):
    label = QLabel("wrong")
    mark_error_text(label)
    try:
        for mode in ("dark", "light"):
            theme_manager().set_mode(mode)
            label.ensurePolished()
            shown = label.palette().windowText().color()
            assert shown.name().upper() == theme_manager().theme.error.upper(), mode
    finally:
        theme_manager().set_mode("light")
