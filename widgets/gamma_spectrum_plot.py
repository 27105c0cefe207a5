"""Gamma spectrum view: counts vs energy, line markers, a fit region, fitted models, residuals.

What to use when
----------------
- ``GammaSpectrumPlot``: show one HPGe (or scintillator) spectrum as a step curve over its bin
  edges in keV, with a log/linear toggle (zero channels sit at a floor below one count in the
  log view), labelled markers for identified lines (``set_lines``), fitted models with their
  components (``set_fits``) and a residual panel ``(n - model) / sqrt(model)`` sharing the
  energy axis.
- Fitting is the caller's business: drag the shaded region and press "Fit region", or
  double-click a peak (as in InterSpec); both emit ``fit_requested(lo_kev, hi_kev)``. A
  double-click snaps to the highest channel within one FWHM (``set_fwhm_guess``) and asks for
  ``REGION_HALF_WIDTH_FWHM`` FWHM on each side.
- ``FitCurves``: the arrays of one fitted region (model on a fine grid, components, residuals).

The widget takes arrays and plain numbers only and computes no physics.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from numpy.typing import ArrayLike, NDArray
from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QLabel,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from widgets.gamma_overlays import FitCurves, FitOverlay, LineMarkers
from widgets.plot_export import PlotExporter, plot_layout

__all__ = ["LOG_FLOOR", "REGION_HALF_WIDTH_FWHM", "FitCurves", "GammaSpectrumPlot"]

#: Counts shown for empty channels in the log view (below the first decade).
LOG_FLOOR = 0.5
#: Room above the data for the line labels: factor on the counts (log view, linear view).
HEADROOM = (6.0, 1.3)
#: A double-click asks for a region of this many FWHM on each side of the peak.
REGION_HALF_WIDTH_FWHM = 3.0
_DATA_PEN = pg.mkPen("#1d3557", width=1)
_AXIS_COLOUR = "#303030"
_DRAG_THROTTLE_MS = 50


def _styled_plot(plot: pg.PlotItem) -> None:
    plot.showGrid(x=True, y=True, alpha=0.15)
    plot.setMenuEnabled(False, enableViewBoxMenu=True)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(_AXIS_COLOUR))
        axis.setTextPen(pg.mkPen(_AXIS_COLOUR))
        axis.enableAutoSIPrefix(False)


class GammaSpectrumPlot(QWidget):
    """Spectrum, markers, fit region and fitted models, with a residual panel below.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.

    Signals
    -------
    fit_requested(float, float)
        ``lo_kev, hi_kev`` of a region the user wants fitted.
    region_changed(float, float)
        The fit region was dragged (throttled to one emission per 50 ms).
    log_scale_changed(bool)
        The count axis switched to log (True) or linear.
    """

    fit_requested = Signal(float, float)
    region_changed = Signal(float, float)
    log_scale_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._edges = np.zeros(0)
        self._counts = np.zeros(0)
        self._fwhm_e = np.array([0.0])
        self._fwhm_v = np.array([float("nan")])
        self._log = True
        self._setting_region = False

        self._title = QLabel(self)
        self._title.setTextFormat(Qt.TextFormat.PlainText)
        self._title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._log_box = QCheckBox("Log counts", self)
        self._log_box.setChecked(True)
        self._log_box.setToolTip("Logarithmic count axis (empty channels drawn at 0.5)")
        self._log_box.toggled.connect(self.set_log_scale)
        self._fit_btn = QPushButton("Fit region", self)
        self._fit_btn.setToolTip(
            "Fit the peaks inside the shaded region (drag it or its edges first); "
            "or double-click a peak"
        )
        self._fit_btn.clicked.connect(self._on_fit_clicked)
        self._full_btn = QPushButton("Full range", self)
        self._full_btn.setToolTip("Show the whole spectrum")
        self._full_btn.clicked.connect(self.zoom_full)
        for b in (self._log_box, self._fit_btn, self._full_btn):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground("w")
        self.graphics.setAcceptDrops(False)
        self.plot = self.graphics.addPlot(row=0, col=0)
        self.residual_plot = self.graphics.addPlot(row=1, col=0)
        self.graphics.ci.layout.setRowStretchFactor(0, 4)
        self.graphics.ci.layout.setRowStretchFactor(1, 1)
        for p in (self.plot, self.residual_plot):
            _styled_plot(p)
            p.getAxis("left").setWidth(62)
        self.residual_plot.setXLink(self.plot)
        self.plot.setLabel("left", "Counts per channel")
        self.plot.getAxis("bottom").setStyle(showValues=False)
        self.residual_plot.setLabel("bottom", "Energy (keV)")
        self.residual_plot.setLabel("left", "(n−m)/√m")
        self.residual_plot.addItem(pg.InfiniteLine(0.0, angle=0, pen=pg.mkPen("#808080")))
        self.plot.setLogMode(y=True)

        self._data = pg.PlotDataItem(stepMode="center", pen=_DATA_PEN, name="data")
        self._data.setClipToView(True)
        self.plot.addItem(self._data)
        # Invisible copy of the data scaled up: the automatic range leaves room for labels.
        self._headroom = pg.PlotDataItem(stepMode="center", pen=pg.mkPen(0, 0, 0, 0))
        self.plot.addItem(self._headroom)
        self._markers = LineMarkers(self.plot)
        self._overlay = FitOverlay(self.plot, self.residual_plot, self._shown)
        self.region = pg.LinearRegionItem(
            (0.0, 1.0), brush=pg.mkBrush(66, 135, 245, 40), hoverBrush=pg.mkBrush(66, 135, 245, 70)
        )
        self.region.setZValue(-5)
        self.region.setVisible(False)
        self.plot.addItem(self.region, ignoreBounds=True)
        self._drag_timer = QTimer(self)
        self._drag_timer.setSingleShot(True)
        self._drag_timer.setInterval(_DRAG_THROTTLE_MS)
        self._drag_timer.timeout.connect(self._on_drag_timeout)
        self.region.sigRegionChanged.connect(self._on_region_moved)
        self.graphics.scene().sigMouseClicked.connect(self._on_scene_clicked)

        self.exporter = PlotExporter(
            self.graphics.ci,
            [("spectrum", self.plot), ("residuals", self.residual_plot)],
            self,
            name="spectrum",
            csv_provider=self.csv_columns,
        )
        self.exporter.add_to_view_menus()
        plot_layout(
            self,
            self._title,
            self.graphics,
            self._log_box,
            self._fit_btn,
            self._full_btn,
            exporter=self.exporter,
        )
        self._fit_btn.setEnabled(False)

    # ------------------------------------------------------------------ data
    def set_spectrum(self, edges_kev: ArrayLike, counts: ArrayLike, *, title: str = "") -> None:
        """Show ``counts`` (one per channel) over ``edges_kev`` (one more than the counts)."""
        edges = np.asarray(edges_kev, dtype=float)
        n = np.asarray(counts, dtype=float)
        if edges.shape != (n.size + 1,):
            raise ValueError(f"{n.size} channels need {n.size + 1} edges, got {edges.size}")
        self._edges, self._counts = edges, n
        self._title.setText(title)
        self._redraw_data()
        if not self.region.isVisible() and n.size:
            lo, hi = float(edges[0]), float(edges[-1])
            self.set_region(lo + 0.45 * (hi - lo), lo + 0.47 * (hi - lo))
            self.region.setVisible(True)
        self._fit_btn.setEnabled(n.size > 0)
        self.zoom_full()

    def clear(self) -> None:
        """Remove the spectrum, markers and fits."""
        self._edges, self._counts = np.zeros(0), np.zeros(0)
        self._data.setData([], [])
        self._headroom.setData([], [])
        self._title.setText("")
        self.set_lines([], [])
        self.set_fits([])
        self.region.setVisible(False)
        self._fit_btn.setEnabled(False)

    def counts(self) -> NDArray[np.float64]:
        """Return the counts shown (a copy)."""
        return self._counts.copy()

    def edges_kev(self) -> NDArray[np.float64]:
        """Return the bin edges shown (a copy)."""
        return self._edges.copy()

    def csv_columns(self) -> tuple[list[str], list[NDArray[np.float64]]]:
        """Return the spectrum as CSV columns: bin edges and the true counts."""
        e = self._edges
        return (
            ["energy_lo_kev", "energy_hi_kev", "counts"],
            [e[:-1], e[1:], self._counts] if e.size else [e, e, self._counts],
        )

    def _shown(self, y: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.maximum(y, LOG_FLOOR) if self._log else y

    def _redraw_data(self) -> None:
        if self._counts.size:
            self._data.setData(self._edges, self._shown(self._counts))
            factor = HEADROOM[0] if self._log else HEADROOM[1]
            self._headroom.setData(self._edges, self._shown(self._counts) * factor)
        self._overlay.redraw()

    # ------------------------------------------------------------------ scale
    @Slot(bool)
    def set_log_scale(self, on: bool) -> None:
        """Switch the count axis between log and linear."""
        on = bool(on)
        if on == self._log:
            return
        self._log = on
        with QSignalBlocker(self._log_box):
            self._log_box.setChecked(on)
        vb = self.plot.getViewBox()
        x_range = vb.viewRange()[0]
        auto_x = vb.autoRangeEnabled()[0]
        self.plot.setLogMode(y=on)  # pyqtgraph re-enables auto range on both axes here
        self._redraw_data()
        if not auto_x:
            vb.setXRange(*x_range, padding=0.0)  # keep the energy range the user looks at
        vb.setAutoVisible(y=True)
        vb.enableAutoRange(axis=pg.ViewBox.YAxis)
        self.log_scale_changed.emit(on)

    def is_log_scale(self) -> bool:
        """Return True when the count axis is logarithmic."""
        return self._log

    # ------------------------------------------------------------------ markers
    def set_lines(
        self,
        energies_kev: Sequence[float],
        labels: Sequence[str],
        kinds: Sequence[str] | None = None,
        priorities: Sequence[float] | None = None,
    ) -> None:
        """Mark lines with vertical lines and short labels (``"Eu-152 344.3"``).

        ``kinds`` per line: ``"identified"`` (default), ``"excluded"`` (grey, dashed) or
        ``"expected"`` (lighter; a line looked for but not found). Where labels would overlap
        at the current zoom, only the one with the larger ``priorities`` value (e.g. the
        emission probability) is drawn.
        """
        self._markers.set_lines(energies_kev, labels, kinds, priorities)

    def line_labels(self) -> list[str]:
        """Return the marker labels shown, in energy order."""
        return self._markers.labels()

    # ------------------------------------------------------------------ fits
    def set_fits(self, fits: Sequence[FitCurves], highlight: int | None = None) -> None:
        """Draw fitted models; the ``highlight``-ed one also shows its components."""
        self._overlay.set_fits(fits, highlight)

    def fit_count(self) -> int:
        """Return the number of fitted regions drawn."""
        return len(self._overlay.fits)

    def residual_points(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return the residuals drawn in the lower panel (x in keV, y)."""
        return self._overlay.residual_points()

    # ------------------------------------------------------------------ region and fits
    def set_fwhm_guess(self, energies_kev: ArrayLike, fwhm_kev: ArrayLike) -> None:
        """Set the FWHM used by double-click fits, interpolated between these points."""
        e = np.atleast_1d(np.asarray(energies_kev, dtype=float))
        f = np.atleast_1d(np.asarray(fwhm_kev, dtype=float))
        ok = np.isfinite(e) & np.isfinite(f) & (f > 0)
        order = np.argsort(e[ok])
        self._fwhm_e, self._fwhm_v = e[ok][order], f[ok][order]

    def fwhm_guess_at(self, energy_kev: float) -> float:
        """Return the FWHM guess at ``energy_kev`` (6 channels when none was set)."""
        if self._fwhm_v.size and np.all(np.isfinite(self._fwhm_v)):
            return float(np.interp(energy_kev, self._fwhm_e, self._fwhm_v))
        if self._edges.size > 1:
            return 6.0 * float(np.median(np.diff(self._edges)))
        return 1.0

    def set_region(self, lo_kev: float, hi_kev: float) -> None:
        """Move the fit region without emitting ``region_changed``."""
        self._setting_region = True
        try:
            self.region.setRegion((min(lo_kev, hi_kev), max(lo_kev, hi_kev)))
        finally:
            self._setting_region = False
        self.region.setVisible(True)

    def region_kev(self) -> tuple[float, float]:
        """Return the fit region ``(lo, hi)`` in keV."""
        lo, hi = self.region.getRegion()
        return float(lo), float(hi)

    def request_fit_at(self, energy_kev: float) -> tuple[float, float] | None:
        """Snap to the peak near ``energy_kev``, move the region there and emit ``fit_requested``.

        Returns
        -------
        (float, float) or None
            The region requested (None outside the spectrum).
        """
        e = self._edges
        if e.size < 2 or not (e[0] <= energy_kev <= e[-1]):
            return None
        centres = 0.5 * (e[:-1] + e[1:])
        near = np.flatnonzero(np.abs(centres - energy_kev) <= self.fwhm_guess_at(energy_kev))
        peak = float(centres[near[np.argmax(self._counts[near])]]) if near.size else energy_kev
        fwhm = self.fwhm_guess_at(peak)
        lo = peak - REGION_HALF_WIDTH_FWHM * fwhm
        hi = peak + REGION_HALF_WIDTH_FWHM * fwhm
        self.set_region(lo, hi)
        self.fit_requested.emit(lo, hi)
        return lo, hi

    # ------------------------------------------------------------------ zoom
    @Slot()
    def zoom_full(self) -> None:
        """Show the whole spectrum."""
        if self._edges.size:
            self.zoom_to(float(self._edges[0]), float(self._edges[-1]))

    def zoom_to(self, lo_kev: float, hi_kev: float) -> None:
        """Show ``lo_kev .. hi_kev`` with the count axis fitted to what is visible."""
        vb = self.plot.getViewBox()
        vb.setXRange(lo_kev, hi_kev, padding=0.0)
        vb.setAutoVisible(y=True)
        vb.enableAutoRange(axis=pg.ViewBox.YAxis)

    def x_range_kev(self) -> tuple[float, float]:
        """Return the visible energy range."""
        lo, hi = self.plot.getViewBox().viewRange()[0]
        return float(lo), float(hi)

    # ------------------------------------------------------------------ events
    @Slot()
    def _on_fit_clicked(self) -> None:
        lo, hi = self.region_kev()
        self.fit_requested.emit(lo, hi)

    @Slot()
    def _on_region_moved(self) -> None:
        if not self._setting_region:
            self._drag_timer.start()

    @Slot()
    def _on_drag_timeout(self) -> None:
        self.region_changed.emit(*self.region_kev())

    @Slot(object)
    def _on_scene_clicked(self, ev: object) -> None:
        if not (ev.double() and ev.button() == Qt.MouseButton.LeftButton):  # type: ignore[attr-defined]
            return
        vb = self.plot.getViewBox()
        pos = ev.scenePos()  # type: ignore[attr-defined]
        if vb.sceneBoundingRect().contains(pos):
            self.request_fit_at(float(vb.mapSceneToView(pos).x()))


def demo() -> GammaSpectrumPlot:
    """Return the widget showing a synthetic spectrum with two lines (``python -m ...``)."""
    rng = np.random.default_rng(5)
    edges = np.arange(2049) * 0.5
    c = 0.5 * (edges[:-1] + edges[1:])

    def gauss(mu: float, area: float, fwhm: float) -> NDArray[np.float64]:
        s = fwhm / 2.3548
        return area * 0.5 / (s * math.sqrt(2 * math.pi)) * np.exp(-0.5 * ((c - mu) / s) ** 2)

    model = 200 * np.exp(-c / 300) + 5 + gauss(344.3, 4e4, 1.4) + gauss(778.9, 1e4, 1.8)
    w = GammaSpectrumPlot()
    w.set_spectrum(edges, rng.poisson(model), title="demo spectrum")
    w.set_lines([344.2785, 778.9045], ["Eu-152 344.3", "Eu-152 778.9"])
    w.set_fwhm_guess([300, 800], [1.4, 1.8])
    w.resize(1000, 560)
    w.setWindowTitle("GammaSpectrumPlot demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.show()
    sys.exit(app.exec())
