"""The Gradient Descent lab's loss landscape: the exact loss around the runs, and their paths.

:class:`Landscape` owns the landscape view (:attr:`Landscape.view`, laid out by
the panel) and its items. It draws the exact training loss over the two chosen
parameters (log colour scale, exact contours), each run's path and current
point, the start, the least-squares optimum and the direction of steepest
descent, and turns a click into a restart there. It draws the runs at the step
the controller shows (:meth:`RunController.shown_step`): the latest, or an
earlier step chosen on the timeline — each path up to that step, each current
point and the arrow there.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QObject, QRectF, Qt, QTimer

from convlab.gui.plots import register_view, style_plot
from convlab.gui.theme import series_color, theme_manager

from .axes import SERIES_SYMBOLS, PlainAxis, series_dash
from .maths import landscape_window, quadratic_contours
from .model import GradientLabState
from .runs import FRAME_MS, MAX_RUNS, RunController

__all__ = ["Landscape"]

GRID = 161  # landscape resolution (GRID × GRID exact loss values)
LOG_FLOOR = 1e-6  # the landscape colours log10(L − L_min + LOG_FLOOR)
#: Contours at L_min + 10^k for k = -5, -4.5, … 3: the colour bar's whole units and halves.
CONTOUR_STEPS = 10.0 ** np.arange(-5.0, 3.25, 0.5)
PATH_POINTS = 800  # the landscape path is drawn thick, from at most this many points
ACCENT = "#FF4081"  # the optimum and the descent arrow


class Landscape(QObject):
    """The loss-landscape view: surface, contours, paths, markers and the −∇L arrow."""

    def __init__(self, model: GradientLabState, controller: RunController,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._controller = controller
        self._surface_stale = True
        self._clicking = False
        #: The view (a layout widget: the colour bar gets a column).
        self.view = register_view(pg.GraphicsLayoutWidget())
        self.plot = self.view.addPlot(
            axisItems={"left": PlainAxis("left"), "bottom": PlainAxis("bottom")})
        style_plot(self.plot, "Loss landscape", "w1", "w2", grid=False)
        self.view.setToolTip(
            "The exact training loss over two parameters (colour: log₁₀ of the loss above its "
            "minimum; white lines: contours a factor √10 apart). Star: least-squares optimum; "
            "ring: start; dot: current point; pink arrow: where the chosen gradient formula "
            "steps (−∇L, steepest descent, with the chain rule). Click to restart from a "
            "point; drag to pan, wheel to zoom.")
        self.viewbox = self.plot.getViewBox()
        self.viewbox.setAspectLocked(True)
        self.viewbox.disableAutoRange()
        self.image = pg.ImageItem()
        self.image.setZValue(-10)
        self.plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(
            values=(-3, 1), colorMap=pg.colormap.get("viridis"), interactive=False, width=14,
            label="log₁₀(L − L_min)",
        )
        self.colorbar.setImageItem(self.image)
        self.view.addItem(self.colorbar)
        self.contours = pg.PlotCurveItem()
        self.plot.addItem(self.contours)
        self.path_curves = [self.plot.plot([], []) for _ in range(MAX_RUNS)]
        self.current_points = pg.ScatterPlotItem(size=11, pen=pg.mkPen("w", width=1.5))
        self.start_marker = pg.ScatterPlotItem(size=12, symbol="o", brush=None)
        self.optimum_marker = pg.ScatterPlotItem(size=20, symbol="star")
        self.grad_line = pg.PlotCurveItem()
        self.grad_arrow = pg.ArrowItem(headLen=14, tailLen=0, pxMode=True)
        for item in (self.start_marker, self.optimum_marker, self.grad_line, self.grad_arrow,
                     self.current_points):
            self.plot.addItem(item)
        self.message = pg.TextItem(anchor=(0.5, 0.5))
        self.plot.addItem(self.message)
        #: (u, v, z): the grid and the exact loss last drawn, z of shape (len(u), len(v)).
        self.surface: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._redraw_timer = QTimer(self)  # the view moved: redraw at the end of the frame
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(FRAME_MS)
        self._redraw_timer.timeout.connect(self.redraw)

        self.view.scene().sigMouseClicked.connect(self._on_click)
        self.viewbox.sigRangeChanged.connect(self._on_view_changed)
        controller.stepped.connect(self.redraw)
        controller.runs_rebuilt.connect(self._on_runs_rebuilt)
        model.events.slice_axes.connect(self.fit_view)
        model.events.start.connect(self._on_start_changed)

    # ================================================================== actions
    def fit_view(self) -> None:
        """Frame the start, the optimum and the current point."""
        s = self._model
        if s.n_params < 2:
            style_plot(self.plot, "Loss landscape", "w1", "", grid=False)
            return
        a, b = s.slice_axes
        names = s.names
        # short: a title sets the plot's minimum width, and the colour bar must stay in view
        title = "Loss landscape" if s.n_params == 2 else "Loss slice at the point"
        style_plot(self.plot, title, names[a], names[b], grid=False)
        c = self._controller
        points = [c.trainer.initial_params, c.optimum, c.shown_params()]
        (u0, u1), (v0, v1) = landscape_window([[p[a], p[b]] for p in points])
        self.viewbox.setRange(xRange=(u0, u1), yRange=(v0, v1), padding=0)
        self._on_view_changed()

    def restart_at(self, u: float, v: float) -> None:
        """Restart every run from the point shown with the two shown axes set to (u, v).

        The view stays where it is (the start is where the user clicked).
        """
        if self._model.n_params < 2:
            return
        a, b = self._model.slice_axes
        point = self._controller.shown_params()  # the slice drawn goes through it
        point[a], point[b] = u, v
        self._clicking = True
        try:
            self._controller.restart_or_explain(point)
        finally:
            self._clicking = False

    def restyle(self) -> None:
        """Colours and fonts that follow the theme (light outlines read on both ends of viridis)."""
        self.message.setColor(theme_manager().theme.foreground)
        self.message.setFont(theme_manager().plot_font(0.9))  # follows presentation mode
        mgr = theme_manager()
        for name in ("left", "right"):  # pyqtgraph's default grey (2.96:1) fails on white
            axis = self.colorbar.getAxis(name)
            axis.setTextPen(pg.mkPen(mgr.theme.foreground))
            axis.setPen(pg.mkPen(mgr.theme.foreground))
            axis.setTickFont(mgr.plot_font(0.9))
            if axis.labelText:
                axis.setLabel(axis.labelText, **{"color": mgr.theme.foreground,
                                                 "font-size": f"{10 * mgr.scale:.0f}pt"})
        self.contours.setPen(pg.mkPen(255, 255, 255, 120, width=1))
        self.start_marker.setPen(pg.mkPen("#FFFFFF", width=2.5))
        self.optimum_marker.setPen(pg.mkPen("#000000", width=1))
        self.optimum_marker.setBrush(pg.mkBrush(ACCENT))
        self.grad_line.setPen(pg.mkPen(ACCENT, width=2.5))
        self.grad_arrow.setStyle(pen=pg.mkPen(ACCENT), brush=pg.mkBrush(ACCENT))
        self._color_paths()
        self._controller.request_redraw()  # the current points' colours

    # ================================================================== drawing
    def redraw(self) -> None:
        """Bring the landscape up to the runs (the surface only when the view or slice moved)."""
        s = self._model
        two_d = s.n_params >= 2
        for item in (self.image, self.contours, self.current_points, self.start_marker,
                     self.optimum_marker, self.grad_line, self.grad_arrow, *self.path_curves):
            item.setVisible(two_d)
        self.colorbar.setVisible(two_d)
        if not two_d:
            self._explain_one_parameter()
            return
        self.message.hide()
        theta = self._controller.shown_params()
        if self._surface_stale or s.n_params > 2:
            self._draw_surface(theta)
        self._draw_paths()
        a, b = s.slice_axes
        start = self._controller.trainer.initial_params
        optimum = self._controller.optimum
        self.start_marker.setData([start[a]], [start[b]])
        self.optimum_marker.setData([optimum[a]], [optimum[b]])
        self._draw_descent(theta)

    def _explain_one_parameter(self) -> None:
        self.message.setText("One parameter only:\nadd a tap or the bias\nto see a landscape")
        (u0, u1), (v0, v1) = self.viewbox.viewRange()
        self.message.setPos((u0 + u1) / 2, (v0 + v1) / 2)
        self.message.show()

    def _draw_paths(self) -> None:
        """Each run's path up to the step shown (thinned to PATH_POINTS) and its point there."""
        a, b = self._model.slice_axes
        c = self._controller
        runs = c.runs
        for i, curve in enumerate(self.path_curves):
            if i < len(runs):
                ph = c.shown_history(runs[i]).params
                if len(ph) > PATH_POINTS:  # thin out evenly, keeping the current point
                    ph = ph[np.linspace(0, len(ph) - 1, PATH_POINTS).round().astype(int)]
                curve.setData(ph[:, a], ph[:, b])
                curve.show()
            else:
                curve.setData([], [])
                curve.hide()
        currents = [c.shown_params(r) for r in runs]
        self.current_points.setData(
            [p[a] for p in currents], [p[b] for p in currents],
            brush=[pg.mkBrush(series_color(r.color_index)) for r in runs],
            symbol=[SERIES_SYMBOLS[r.color_index % len(SERIES_SYMBOLS)] for r in runs])

    def _draw_descent(self, theta: np.ndarray) -> None:
        """−g at ``theta``: where the gradient formula followed there steps (steepest descent
        with the chain rule); the gradient, not the optimizer's step (see
        :meth:`RunController.shown_direction`)."""
        a, b = self._model.slice_axes
        grad = self._controller.shown_direction()
        direction = -np.array([grad[a], grad[b]])
        norm = float(np.hypot(*direction))
        (u0, u1), _ = self.viewbox.viewRange()
        if norm > 0 and np.isfinite(norm):
            tip = np.array([theta[a], theta[b]]) + direction / norm * 0.15 * (u1 - u0)
            self.grad_line.setData([theta[a], tip[0]], [theta[b], tip[1]])
            self.grad_arrow.setPos(*tip)
            self.grad_arrow.setStyle(angle=180 - math.degrees(math.atan2(direction[1],
                                                                         direction[0])))
            self.grad_arrow.show()
            self.grad_line.show()
        else:
            self.grad_line.hide()
            self.grad_arrow.hide()

    def _draw_surface(self, theta: np.ndarray) -> None:
        """The exact loss over the visible part of the plane, coloured in log scale."""
        a, b = self._model.slice_axes
        (u0, u1), (v0, v1) = self.viewbox.viewRange()
        u = np.linspace(u0, u1, GRID)
        v = np.linspace(v0, v1, GRID)
        q = self._controller.trainer.quadratic
        min_loss = self._controller.min_loss
        z = q.surface(theta, u, v, (a, b))
        with np.errstate(all="ignore"):  # far from the optimum (a diverged run) z may overflow
            image = np.log10(np.maximum(z - min_loss, 0.0) + LOG_FLOOR).T  # rows = v
        image = np.nan_to_num(image, nan=308.0, posinf=308.0)
        lo, hi = float(image.min()), float(image.max())
        if not hi > lo:
            hi = lo + 1.0
        self.image.setImage(image, autoLevels=False)
        self.image.setRect(QRectF(u0, v0, u1 - u0, v1 - v0))
        self.colorbar.setLevels((lo, hi))
        x, y, connect = quadratic_contours(
            q.hessian[np.ix_((a, b), (a, b))], q.gradient(theta)[[a, b]], q(theta),
            theta[[a, b]], min_loss + CONTOUR_STEPS)
        self.contours.setData(x, y, connect=connect)
        self._surface_stale = False
        self.surface = (u, v, z)

    def _color_paths(self) -> None:
        runs = self._controller.runs
        for i, curve in enumerate(self.path_curves):
            index = runs[i].color_index if i < len(runs) else 0
            curve.setPen(pg.mkPen(series_color(index), width=2.5, style=series_dash(index)))

    # ================================================================== slots
    def _on_runs_rebuilt(self) -> None:
        self._color_paths()
        self.fit_view()

    def _on_start_changed(self, _new: tuple, _old: tuple) -> None:
        if not self._clicking:  # a start typed in the form: show it
            self.fit_view()

    def _on_view_changed(self) -> None:
        self._surface_stale = True
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def _on_click(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        pos = event.scenePos()
        if not self.viewbox.sceneBoundingRect().contains(pos):
            return
        point = self.viewbox.mapSceneToView(pos)
        self.restart_at(point.x(), point.y())
        event.accept()
