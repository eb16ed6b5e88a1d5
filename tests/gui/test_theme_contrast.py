"""Check boxes and radio buttons show their outline in both looks (issue 16 §15):
the outline drawn on screen has ≥ 3:1 contrast with the window (WCAG non-text contrast)."""

from __future__ import annotations

import pytest
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QCheckBox, QRadioButton, QStyle, QStyleOptionButton

from convlab.gui.theme import theme_manager


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
