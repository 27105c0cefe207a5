"""Overlay of a pulse's onset and integration windows on a pyqtgraph plot.

What to use when
----------------
- ``PulseWindowsOverlay(plot_item)``: draw the onset ``t0`` (solid line), integration windows
  ``[t0, t0 + w]`` (nested shaded regions with labelled end lines) and the start of a delayed
  pulse search (dashed line) on any ``pyqtgraph.PlotItem`` with a time axis. ``set_windows``
  sets the widths, ``place(t0)`` moves everything (NaN hides it). Used by
  ``WaveformPlotWidget``; plain numbers in, nothing out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import Qt

__all__ = ["PulseWindowsOverlay"]

_WINDOW_RGB = (46, 160, 67)  # green shading of the integration windows
_WINDOW_ALPHA = 28  # per window: nested windows add up, darkest near t0
_WINDOW_TEXT = (30, 110, 45)
_T0_COLOUR = "#2e7d32"
_DELAYED_COLOUR = "#7b1fa2"
#: Label heights along the window-end lines (fraction of the view), staggered so that the
#: labels of close windows (35 and 55 ns) and of t0 do not overlap in the full view.
_LABEL_POSITIONS = (0.90, 0.83, 0.76, 0.69, 0.62, 0.55)
_T0_LABEL_POSITION = 0.97
_DELAYED_LABEL_POSITION = 0.50


class PulseWindowsOverlay:
    """t0 line, shaded integration windows and delayed-search line on a plot.

    Parameters
    ----------
    plot : pyqtgraph.PlotItem
        The plot to draw on (items are added with ``ignoreBounds``: they never widen the view).

    Attributes
    ----------
    regions : list of pyqtgraph.LinearRegionItem
        One shaded region per window, ``[t0, t0 + w]``.
    window_lines : list of pyqtgraph.InfiniteLine
        The labelled end of each window.
    t0_line, delayed_line : pyqtgraph.InfiniteLine
        Onset and start of the delayed-pulse search.
    """

    def __init__(self, plot: pg.PlotItem) -> None:
        self._plot = plot
        self.windows_ns: tuple[float, ...] = ()
        self.delayed_after_ns: float | None = None
        self.t0_ns = math.nan
        self.regions: list[pg.LinearRegionItem] = []
        self.window_lines: list[pg.InfiniteLine] = []
        self.t0_line = pg.InfiniteLine(
            angle=90,
            movable=False,
            pen=pg.mkPen(_T0_COLOUR, width=1.5),
            label="t0",
            labelOpts={  # left of the line: the prompt peak is usually just right of it
                "position": _T0_LABEL_POSITION,
                "color": _T0_COLOUR,
                "anchors": [(1, 0.5), (1, 0.5)],
            },
        )
        self.delayed_line = pg.InfiniteLine(
            angle=90,
            movable=False,
            pen=pg.mkPen(_DELAYED_COLOUR, width=1, style=Qt.PenStyle.DashLine),
            label="",
            labelOpts={
                "position": _DELAYED_LABEL_POSITION,
                "color": _DELAYED_COLOUR,
                "anchors": [(0, 0.5), (1, 0.5)],
            },
        )
        for line in (self.t0_line, self.delayed_line):
            line.setZValue(5)
            plot.addItem(line, ignoreBounds=True)
        self.place(math.nan)

    def set_windows(
        self, windows_ns: Sequence[float], delayed_after_ns: float | None = None
    ) -> None:
        """Set the window widths and the delayed-search start, both in ns after t0."""
        windows = tuple(sorted(float(w) for w in windows_ns))
        delayed = None if delayed_after_ns is None else float(delayed_after_ns)
        if self.regions and (windows, delayed) == (self.windows_ns, self.delayed_after_ns):
            return
        self.windows_ns, self.delayed_after_ns = windows, delayed
        for item in (*self.regions, *self.window_lines):
            self._plot.removeItem(item)
        self.regions, self.window_lines = [], []
        brush = pg.mkBrush(*_WINDOW_RGB, _WINDOW_ALPHA)
        for i, w in enumerate(windows):
            region = pg.LinearRegionItem((0.0, w), movable=False, brush=brush, pen=pg.mkPen(None))
            region.setZValue(-10)
            line = pg.InfiniteLine(
                angle=90,
                movable=False,
                pen=pg.mkPen((*_WINDOW_RGB, 150), width=1, style=Qt.PenStyle.DotLine),
                label=f"{w:g} ns",
                labelOpts={
                    "position": _LABEL_POSITIONS[i % len(_LABEL_POSITIONS)],
                    "color": _WINDOW_TEXT,
                    "anchors": [(0, 0.5), (1, 0.5)],
                },
            )
            self._plot.addItem(region, ignoreBounds=True)
            self._plot.addItem(line, ignoreBounds=True)
            self.regions.append(region)
            self.window_lines.append(line)
        if delayed is not None:
            self.delayed_line.label.setFormat(f"delayed ≥ t0+{delayed:g} ns")
        self.place(self.t0_ns)

    def place(self, t0_ns: float) -> None:
        """Move everything to the onset ``t0_ns``; NaN hides the overlay."""
        self.t0_ns = float(t0_ns)
        shown = math.isfinite(self.t0_ns)
        t0 = self.t0_ns if shown else 0.0
        for region, line, w in zip(self.regions, self.window_lines, self.windows_ns, strict=True):
            region.setRegion((t0, t0 + w))
            line.setValue(t0 + w)
            region.setVisible(shown)
            line.setVisible(shown)
        self.t0_line.setValue(t0)
        self.t0_line.setVisible(shown)
        if self.delayed_after_ns is not None:
            self.delayed_line.setValue(t0 + self.delayed_after_ns)
        self.delayed_line.setVisible(shown and self.delayed_after_ns is not None)
