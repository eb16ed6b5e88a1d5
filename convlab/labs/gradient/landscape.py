"""The Gradient Descent lab's loss landscape: the exact loss around the runs, and their paths.

:class:`GradientLandscape` is a mixin of :class:`~convlab.labs.gradient.panel.GradientPanel`.
It builds the landscape view (its items are attributes of the panel), draws the
exact training loss over the two chosen parameters (log colour scale, contours),
each run's path and current point, the start, the least-squares optimum and the
direction of steepest descent, and turns a click into a restart there. It reads
the panel's ``state``, ``runs``, ``trainer``, ``optimum`` and ``min_loss``.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, Qt

from convlab.gui.plots import register_view, style_plot
from convlab.gui.theme import series_color, theme_manager

from .axes import PlainAxis
from .model import landscape_window, quadratic_contours
from .runs import MAX_RUNS

__all__ = ["GradientLandscape"]

GRID = 161  # landscape resolution (GRID × GRID exact loss values)
LOG_FLOOR = 1e-6  # the landscape colours log10(L − L_min + LOG_FLOOR)
#: Contours at L_min + 10^k for k = -5, -4.5, … 3: the colour bar's whole units and halves.
CONTOUR_STEPS = 10.0 ** np.arange(-5.0, 3.25, 0.5)
PATH_POINTS = 800  # the landscape path is drawn thick, from at most this many points


class GradientLandscape:
    """Mixin: the loss-landscape view of the panel."""

    def _build_landscape(self) -> pg.GraphicsLayoutWidget:
        """Create the landscape's view and items (a layout widget: the colour bar gets a column)."""
        self._landscape_dirty = True
        self.land_plot = register_view(pg.GraphicsLayoutWidget())
        land = self.land_item = self.land_plot.addPlot(
            axisItems={"left": PlainAxis("left"), "bottom": PlainAxis("bottom")})
        style_plot(land, "Loss landscape", "w1", "w2", grid=False)
        self.land_plot.setToolTip(
            "The exact training loss over two parameters (colour: log₁₀ of the loss above its "
            "minimum; white lines: contours a factor √10 apart). Star: least-squares optimum; "
            "ring: start; dot: current point; pink arrow: −∇L, the direction of steepest "
            "descent. Click to restart from a point; drag to pan, wheel to zoom.")
        self.land_vb = land.getViewBox()
        self.land_vb.setAspectLocked(True)
        self.land_vb.disableAutoRange()
        self.land_image = pg.ImageItem()
        self.land_image.setZValue(-10)
        land.addItem(self.land_image)
        self.colormap = pg.colormap.get("viridis")
        self.colorbar = pg.ColorBarItem(
            values=(-3, 1), colorMap=self.colormap, interactive=False, width=14,
            label="log₁₀(L − L_min)",
        )
        self.colorbar.setImageItem(self.land_image)
        self.land_plot.addItem(self.colorbar)
        self.contours = pg.PlotCurveItem()
        land.addItem(self.contours)
        self.path_curves = [land.plot([], []) for _ in range(MAX_RUNS)]
        self.current_points = pg.ScatterPlotItem(size=11, pen=pg.mkPen("w", width=1.5))
        self.start_marker = pg.ScatterPlotItem(size=12, symbol="o", brush=None)
        self.optimum_marker = pg.ScatterPlotItem(size=20, symbol="star")
        self.grad_line = pg.PlotCurveItem()
        self.grad_arrow = pg.ArrowItem(headLen=14, tailLen=0, pxMode=True)
        for item in (self.start_marker, self.optimum_marker, self.grad_line, self.grad_arrow,
                     self.current_points):
            land.addItem(item)
        self.land_message = pg.TextItem(anchor=(0.5, 0.5))
        land.addItem(self.land_message)
        self.land_plot.scene().sigMouseClicked.connect(self._on_landscape_click)
        self.land_vb.sigRangeChanged.connect(self._on_view_changed)
        return self.land_plot

    def _style_landscape(self) -> None:
        """Colours and fonts that follow the theme (light outlines read on both ends of viridis)."""
        self.land_message.setColor(theme_manager().theme.foreground)
        self.land_message.setFont(theme_manager().plot_font(0.9))  # follows presentation mode
        self.contours.setPen(pg.mkPen(255, 255, 255, 120, width=1))
        self.start_marker.setPen(pg.mkPen("#FFFFFF", width=2.5))
        self.optimum_marker.setPen(pg.mkPen("#000000", width=1))
        self.optimum_marker.setBrush(pg.mkBrush("#FF4081"))
        self.grad_line.setPen(pg.mkPen("#FF4081", width=2.5))
        self.grad_arrow.setStyle(pen=pg.mkPen("#FF4081"), brush=pg.mkBrush("#FF4081"))

    def fit_view(self) -> None:
        """Frame the start, the optimum and the current point on the landscape."""
        if self.state.n_params < 2:
            style_plot(self.land_item, "Loss landscape", "w1", "", grid=False)
            return
        a, b = self.state.slice_axes
        names = self.state.names
        title = "Loss landscape — click to restart" if self.state.n_params == 2 else (
            "Slice through the current point")
        style_plot(self.land_item, title, names[a], names[b], grid=False)
        points = [self.trainer.initial_params, self.optimum, self.trainer.params]
        (u0, u1), (v0, v1) = landscape_window([[p[a], p[b]] for p in points])
        self.land_vb.setRange(xRange=(u0, u1), yRange=(v0, v1), padding=0)
        self._landscape_dirty = True
        self._schedule_redraw()

    def _on_view_changed(self) -> None:
        self._landscape_dirty = True
        self._schedule_redraw()

    def _on_landscape_click(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        pos = event.scenePos()
        if not self.land_vb.sceneBoundingRect().contains(pos):
            return
        point = self.land_vb.mapSceneToView(pos)
        self.restart_at(point.x(), point.y())
        event.accept()

    def _draw_landscape(self, theta: np.ndarray) -> None:
        s = self.state
        two_d = s.n_params >= 2
        for item in (self.land_image, self.contours, self.current_points, self.start_marker,
                     self.optimum_marker, self.grad_line, self.grad_arrow, *self.path_curves):
            item.setVisible(two_d)
        self.colorbar.setVisible(two_d)
        if not two_d:
            self.land_message.setText("One parameter only:\nadd a tap or the bias\n"
                                      "to see a landscape")
            (u0, u1), (v0, v1) = self.land_vb.viewRange()
            self.land_message.setPos((u0 + u1) / 2, (v0 + v1) / 2)
            self.land_message.show()
            return
        self.land_message.hide()
        a, b = s.slice_axes
        if self._landscape_dirty or s.n_params > 2:
            self._draw_surface(theta)
        for i, curve in enumerate(self.path_curves):
            if i < len(self.runs):
                ph = self.runs[i].trainer.history.params
                if len(ph) > PATH_POINTS:  # thin out evenly, keeping the current point
                    ph = ph[np.linspace(0, len(ph) - 1, PATH_POINTS).round().astype(int)]
                curve.setData(ph[:, a], ph[:, b])
                curve.show()
            else:
                curve.setData([], [])
                curve.hide()
        currents = [r.trainer.params for r in self.runs]
        self.current_points.setData(
            [p[a] for p in currents], [p[b] for p in currents],
            brush=[pg.mkBrush(series_color(r.color_index)) for r in self.runs])
        start = self.trainer.initial_params
        self.start_marker.setData([start[a]], [start[b]])
        self.optimum_marker.setData([self.optimum[a]], [self.optimum[b]])
        # −∇L: the direction of steepest descent, drawn with a fixed on-screen length
        grad = self.trainer.gradient()
        direction = -np.array([grad[a], grad[b]])
        norm = float(np.hypot(*direction))
        (u0, u1), _ = self.land_vb.viewRange()
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
        a, b = self.state.slice_axes
        (u0, u1), (v0, v1) = self.land_vb.viewRange()
        u = np.linspace(u0, u1, GRID)
        v = np.linspace(v0, v1, GRID)
        z = self.trainer.quadratic.surface(theta, u, v, (a, b))
        with np.errstate(all="ignore"):  # far from the optimum (a diverged run) z may overflow
            image = np.log10(np.maximum(z - self.min_loss, 0.0) + LOG_FLOOR).T  # rows = v
        image = np.nan_to_num(image, nan=308.0, posinf=308.0)
        lo, hi = float(image.min()), float(image.max())
        if not hi > lo:
            hi = lo + 1.0
        self.land_image.setImage(image, autoLevels=False)
        self.land_image.setRect(QRectF(u0, v0, u1 - u0, v1 - v0))
        self.colorbar.setLevels((lo, hi))
        q = self.trainer.quadratic
        grad = q.gradient(theta)
        x, y, connect = quadratic_contours(
            q.hessian[np.ix_((a, b), (a, b))], grad[[a, b]], q(theta), theta[[a, b]],
            self.min_loss + CONTOUR_STEPS)
        self.contours.setData(x, y, connect=connect)
        self._landscape_dirty = False
        self.surface = (u, v, z)
