"""Light and dark looks, and the presentation (large text) mode.

One :class:`ThemeManager` per application (:func:`theme_manager`). It follows
the system's colour scheme unless the user picked one, applies a matching Qt
palette (Fusion style, so both looks render the same on every platform), and
emits :attr:`ThemeManager.changed` so plots restyle themselves
(:mod:`convlab.gui.plots` registers every plot it makes).

Series colours are the Okabe–Ito palette, readable by colour-blind people and
on both backgrounds (in the light look its orange and sky blue are darkened to
reach 3:1 on white, as plot marks need).

Error text and the red border of a rejected input follow the look too: mark a
label with :func:`mark_error_text` and an input with :func:`set_invalid`; they
are drawn in the current theme's ``error`` colour and recoloured on a change.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from PyQt6 import sip
from PyQt6.QtCore import QObject, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PyQt6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleOption, QWidget

__all__ = [
    "Theme",
    "ThemeManager",
    "error_color",
    "mark_error_text",
    "series_color",
    "set_invalid",
    "theme_manager",
]

# Okabe & Ito (2008), "Color Universal Design"; light: orange E69F00 → B07800 and sky
# 56B4E9 → 3690C8 (2.3:1 → 3.8:1 and 3.5:1 on white).
_SERIES_LIGHT = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#B07800", "#3690C8", "#000000")
_SERIES_DARK = ("#56B4E9", "#E69F00", "#2EC4A0", "#E08FC0", "#F0E442", "#D55E00", "#FFFFFF")

MODES = ("system", "light", "dark")



@dataclass(frozen=True)
class Theme:
    """Colours of one look. ``series`` are for curves, in order of use."""

    dark: bool
    background: str
    foreground: str
    grid_alpha: float
    highlight: str
    muted: str  # secondary text and marks (≥ 4.5:1 on the background)
    series: tuple[str, ...]
    error: str  # error text and borders (≥ 4.5:1 on the window and the background)
    disabled: str  # disabled text (≥ 3:1; WCAG exempts inactive controls, legibility does not)

    def color(self, index: int) -> str:
        return self.series[index % len(self.series)]


#: Outlines of check boxes and radio buttons, light and dark look. Fusion derives its own
#: from the window colour: 1.7:1 on the light window and nearly invisible on the dark one;
#: these reach WCAG's 3:1 for controls (about 4:1 and 5:1).
INDICATOR_OUTLINE = {False: "#767676", True: "#9A9A9A"}

LIGHT = Theme(False, "#FFFFFF", "#202020", 0.25, "#FFD54F", "#6B6B6B", _SERIES_LIGHT,
              "#C62828", "#808080")
DARK = Theme(True, "#1E1E1E", "#E6E6E6", 0.3, "#8D6E00", "#999999", _SERIES_DARK,
             "#FF7B72", "#8A8A8A")

def error_color() -> str:
    """The current look's error colour."""
    return theme_manager().theme.error


# Widgets drawn in the error colour, recoloured when the look changes. (A style sheet on each
# such widget, not on the application: an application style sheet re-polishes every widget
# and delays font changes, which presentation mode relies on.)
_error_widgets: weakref.WeakSet[QWidget] = weakref.WeakSet()


def mark_error_text(label: QWidget) -> None:
    """Draw ``label``'s text in the look's error colour, now and after every theme change."""
    label.setProperty("convlab_error", True)
    _error_widgets.add(label)
    _error_style(label)


def set_invalid(widget: QWidget, invalid: bool) -> None:
    """Give an input the look's red border (or take it away)."""
    if bool(widget.property("convlab_invalid")) == bool(invalid):
        return  # unchanged: no re-polish on every keystroke
    widget.setProperty("convlab_invalid", bool(invalid))
    _error_widgets.add(widget)
    _error_style(widget)


def _error_style(widget: QWidget) -> None:
    error = theme_manager().theme.error
    if widget.property("convlab_error"):
        widget.setStyleSheet(f"color: {error};")
    elif widget.property("convlab_invalid"):
        # the Qt class (QLineEdit …) as the selector: the border is the widget's own,
        # not its scroll bars' or viewport's
        qt_class = next(c.__name__ for c in type(widget).__mro__
                        if c.__module__.startswith("PyQt6"))
        widget.setStyleSheet(f"{qt_class} {{ border: 2px solid {error}; }}")
    else:
        widget.setStyleSheet("")


def _restyle_error_widgets() -> None:
    for widget in list(_error_widgets):
        if sip.isdeleted(widget):
            _error_widgets.discard(widget)
        else:
            _error_style(widget)


class ThemeManager(QObject):
    """Owns the current look and the text scale; emits ``changed`` when either changes."""

    changed = pyqtSignal()

    def __init__(self) -> None:
        super().__init__()
        self._mode = "system"
        self._scale = 1.0
        self._base_point_size: float | None = None
        self._applied: Theme | None = None  # the look last given to the application
        self.theme = LIGHT
        hints = QGuiApplication.styleHints()
        if hints is not None and hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(lambda _scheme: self._refresh())

    @property
    def mode(self) -> str:
        """``"system"``, ``"light"`` or ``"dark"``."""
        return self._mode

    @property
    def scale(self) -> float:
        """Text scale: 1.0 normally, larger in presentation mode."""
        return self._scale

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"theme must be one of {MODES}, got {mode!r}")
        self._mode = mode
        self._refresh()

    def set_scale(self, scale: float) -> None:
        self._scale = float(scale)
        self._refresh()

    def _system_is_dark(self) -> bool:
        hints = QGuiApplication.styleHints()
        if hints is not None and hasattr(hints, "colorScheme"):
            return hints.colorScheme() == Qt.ColorScheme.Dark
        return False

    def _refresh(self) -> None:
        dark = self._mode == "dark" or (self._mode == "system" and self._system_is_dark())
        self.theme = DARK if dark else LIGHT
        app = QApplication.instance()
        if isinstance(app, QApplication):
            if self._applied is not self.theme:  # a new look
                app.setStyle(_Style(dark))
                app.setPalette(_palette(self.theme))
                self._applied = self.theme
                _restyle_error_widgets()
            font = app.font()
            if self._base_point_size is None:
                self._base_point_size = font.pointSizeF() if font.pointSizeF() > 0 else 10.0
            font.setPointSizeF(self._base_point_size * self._scale)
            app.setFont(font)
        self.changed.emit()

    def apply(self) -> None:
        """Apply the current look to the application (call once at start-up)."""
        self._refresh()

    def plot_font(self, relative: float = 1.0) -> QFont:
        """Font for plot text (axis labels, ticks) at the current scale."""
        font = QFont()
        base = self._base_point_size or 10.0
        font.setPointSizeF(base * self._scale * relative)
        return font


class _Style(QProxyStyle):
    """Fusion, with check box and radio button outlines that stand out from the window."""

    _INDICATORS = (QStyle.PrimitiveElement.PE_IndicatorCheckBox,
                   QStyle.PrimitiveElement.PE_IndicatorRadioButton,
                   QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck)

    def __init__(self, dark: bool) -> None:
        super().__init__("Fusion")
        self.dark = dark

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption | None,
                      painter, widget: QWidget | None = None) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if element not in self._INDICATORS or option is None:
            return
        painter.save()
        painter.setRenderHint(painter.RenderHint.Antialiasing, True)
        painter.setPen(QColor(INDICATOR_OUTLINE[self.dark]))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        rect = QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5)  # on pixel centres: crisp
        if element == QStyle.PrimitiveElement.PE_IndicatorRadioButton:
            painter.drawEllipse(rect)
        else:
            painter.drawRoundedRect(rect, 1.5, 1.5)
        painter.restore()


def _palette(theme: Theme) -> QPalette:
    role = QPalette.ColorRole
    if not theme.dark:
        app = QApplication.instance()
        style = app.style() if isinstance(app, QApplication) else None
        pal = style.standardPalette() if style is not None else QPalette()
        for r in (role.WindowText, role.Text, role.ButtonText):
            pal.setColor(QPalette.ColorGroup.Disabled, r, QColor(theme.disabled))
        return pal
    pal = QPalette()
    window, base, text = QColor("#2B2B2B"), QColor("#1E1E1E"), QColor("#E6E6E6")
    disabled = QColor(theme.disabled)
    pal.setColor(role.Window, window)
    pal.setColor(role.WindowText, text)
    pal.setColor(role.Base, base)
    pal.setColor(role.AlternateBase, QColor("#262626"))
    pal.setColor(role.ToolTipBase, QColor("#3A3A3A"))
    pal.setColor(role.ToolTipText, text)
    pal.setColor(role.PlaceholderText, disabled)
    pal.setColor(role.Text, text)
    pal.setColor(role.Button, QColor("#353535"))
    pal.setColor(role.ButtonText, text)
    pal.setColor(role.BrightText, QColor("#FF6E6E"))
    pal.setColor(role.Link, QColor("#56B4E9"))
    pal.setColor(role.Highlight, QColor("#2F65CA"))
    pal.setColor(role.HighlightedText, QColor("#FFFFFF"))
    pal.setColor(role.Mid, QColor("#444444"))
    pal.setColor(role.Dark, QColor("#191919"))
    pal.setColor(role.Light, QColor("#505050"))
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, r, disabled)
    return pal


_manager: ThemeManager | None = None


def theme_manager() -> ThemeManager:
    """The application's theme manager (created, and its look applied, on first use;
    needs a QApplication)."""
    global _manager
    if _manager is None:
        _manager = ThemeManager()
        _manager.apply()  # widgets made before the window (tests, benchmarks) get the look too
    return _manager


def series_color(index: int) -> str:
    """The ``index``-th series colour of the current look."""
    return theme_manager().theme.color(index)
