"""Plot of one digitised event: channel traces and their sum with integration windows.

What to use when
----------------
- ``WaveformPlotWidget``: show one event of a multi-channel digitiser. Give it the sample times
  (ns relative to the trigger), the baseline-subtracted positive-going traces by name (e.g.
  ``top``, ``bottom``, ``sum``) and optionally the raw ADC samples with their baselines, the
  pulse onset ``t0_ns`` and labelled markers (peak, delayed pulse). It draws the integration
  windows from t0 (shaded, labelled), the start of the delayed-pulse search, a legend, and has
  "Zoom t0…+500 ns", "Full window" and "Raw ADC" controls.
- Everything it takes is arrays and plain numbers; it computes nothing about the physics.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from numpy.typing import ArrayLike
from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from widgets.elided_label import ElidedLabel
from widgets.pulse_windows import PulseWindowsOverlay

__all__ = ["TRACE_COLOURS", "WaveformPlotWidget"]

#: Colour of a trace by name; other names cycle through ``_CYCLE``.
TRACE_COLOURS = {"top": "#1f77b4", "bottom": "#e6550d", "sum": "#202020"}
_CYCLE = ("#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")
_MARKER_SYMBOLS = ("o", "t", "s", "d", "star")
_MARKER_COLOURS = ("#ffd54f", "#ce93d8", "#80deea", "#a5d6a7", "#ffab91")
_AXIS_COLOUR = "#303030"


class WaveformPlotWidget(QWidget):
    """Traces of one event with t0, integration windows and zoom controls.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.
    prompt_span_ns : float
        Width of the "prompt" zoom after t0 (default 500 ns).

    Signals
    -------
    raw_view_changed(bool)
        The raw-ADC view was switched on (True) or off.
    """

    raw_view_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None, *, prompt_span_ns: float = 500.0) -> None:
        super().__init__(parent)
        self.prompt_span_ns = float(prompt_span_ns)
        self._time_ns = np.zeros(0)
        self._traces: dict[str, np.ndarray] = {}
        self._raw: dict[str, np.ndarray] = {}
        self._baselines: dict[str, float] = {}
        self._markers: dict[str, tuple[float, float]] = {}
        self._t0_ns = math.nan
        self._raw_view = False
        self._zoom_mode = "full"  # "full", "prompt" or "custom" (user panned/zoomed)

        self._title = ElidedLabel(self)
        self._zoom_btn = QPushButton(f"Zoom t0 … +{self.prompt_span_ns:g} ns", self)
        self._zoom_btn.setToolTip("Show the prompt light: t0 - 50 ns to t0 + 500 ns")
        self._zoom_btn.clicked.connect(self.zoom_prompt)
        self._full_btn = QPushButton("Full window", self)
        self._full_btn.setToolTip("Show the whole digitised window")
        self._full_btn.clicked.connect(self.zoom_full)
        self._raw_box = QCheckBox("Raw ADC", self)
        self._raw_box.setToolTip("Show the digitised samples with their baselines")
        self._raw_box.toggled.connect(self.set_raw_view)
        for b in (self._zoom_btn, self._full_btn, self._raw_box):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.plot_widget = pg.PlotWidget(self, background="w")
        self.plot_widget.setAcceptDrops(False)  # let file drops reach the window
        self.plot = self.plot_widget.getPlotItem()
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.plot.setMenuEnabled(False)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(pg.mkPen(_AXIS_COLOUR))
            axis.setTextPen(pg.mkPen(_AXIS_COLOUR))
            axis.enableAutoSIPrefix(False)  # "kns" would be nonsense
        self.plot.setLabel("bottom", "Time since trigger (ns)")
        self._set_y_label()
        self.legend = self.plot.addLegend(
            offset=(-10, 10),
            brush=pg.mkBrush(255, 255, 255, 220),
            pen=pg.mkPen("#c0c0c0"),
            labelTextColor=_AXIS_COLOUR,
        )
        self.legend.setVisible(False)  # until there is something to list
        vb = self.plot.getViewBox()
        vb.setMouseMode(pg.ViewBox.RectMode)  # drag a box to zoom, right-click to undo
        vb.sigRangeChangedManually.connect(self._on_range_changed_manually)

        self._curves: dict[str, pg.PlotDataItem] = {}
        self._baseline_lines: dict[str, pg.InfiniteLine] = {}
        self.overlay = PulseWindowsOverlay(self.plot)
        self._marker_items: dict[str, pg.ScatterPlotItem] = {}
        self._legend_entries: list[str] = []

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 0, 4, 0)
        bar.addWidget(self._title, 1)
        bar.addWidget(self._zoom_btn)
        bar.addWidget(self._full_btn)
        bar.addWidget(self._raw_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(bar)
        layout.addWidget(self.plot_widget, 1)
        self.set_windows((35.0, 55.0, 90.0, 240.0), 152.0)
        self._redraw()

    # ------------------------------------------------------------------ public API
    def set_windows(
        self, windows_ns: Sequence[float], delayed_after_ns: float | None = None
    ) -> None:
        """Set the integration windows (ns after t0) and the delayed-search start (ns after t0)."""
        self.overlay.set_windows(windows_ns, delayed_after_ns)
        self.overlay.place(self._t0_ns if self._time_ns.size else math.nan)

    def set_event(
        self,
        time_ns: ArrayLike,
        traces_adc: Mapping[str, ArrayLike],
        *,
        raw_adc: Mapping[str, ArrayLike] | None = None,
        baselines_adc: Mapping[str, float] | None = None,
        t0_ns: float = math.nan,
        markers: Mapping[str, tuple[float, float]] | None = None,
        title: str = "",
    ) -> None:
        """Show one event.

        Parameters
        ----------
        time_ns : array
            Sample times in ns (relative to the trigger), shared by every trace.
        traces_adc : mapping of str to array
            Baseline-subtracted, positive-going traces by name, in ADC counts.
        raw_adc : mapping of str to array, optional
            Raw samples by channel name, for the raw view.
        baselines_adc : mapping of str to float, optional
            Baseline of each raw channel (drawn as dashed lines in the raw view).
        t0_ns : float
            Pulse onset in ns on the same axis; NaN when no pulse was found (no windows drawn).
        markers : mapping of str to (float, float), optional
            Labelled points ``(time_ns, amplitude_adc)`` on the processed traces.
        title : str
            Text above the plot.
        """
        t = np.asarray(time_ns, dtype=float)
        self._time_ns = t
        self._traces = {k: np.asarray(v, dtype=float) for k, v in traces_adc.items()}
        self._raw = {k: np.asarray(v, dtype=float) for k, v in (raw_adc or {}).items()}
        self._baselines = {k: float(v) for k, v in (baselines_adc or {}).items()}
        self._markers = dict(markers or {})
        self._t0_ns = float(t0_ns)
        self._title.setText(title)
        for name, y in (*self._traces.items(), *self._raw.items()):
            if y.shape != t.shape:
                raise ValueError(f"trace {name!r} has shape {y.shape}, time axis {t.shape}")
        self._redraw()

    def clear(self, message: str = "") -> None:
        """Remove the event (keeps windows and view options); ``message`` replaces the title."""
        self.set_event(np.zeros(0), {}, title=message)

    def raw_view(self) -> bool:
        """Return True when the raw ADC samples are shown."""
        return self._raw_view

    @Slot(bool)
    def set_raw_view(self, on: bool) -> None:
        """Show raw ADC samples with baselines (True) or the processed traces (False)."""
        on = bool(on)
        with QSignalBlocker(self._raw_box):
            self._raw_box.setChecked(on)
        if on == self._raw_view:
            return
        self._raw_view = on
        self._redraw()
        self.raw_view_changed.emit(on)

    def zoom_mode(self) -> str:
        """``"full"``, ``"prompt"`` or ``"custom"`` (after a manual pan/zoom)."""
        return self._zoom_mode

    @Slot()
    def zoom_prompt(self) -> None:
        """Show t0 - 50 ns to t0 + ``prompt_span_ns`` (trigger time when t0 is unknown)."""
        self._zoom_mode = "prompt"
        self._apply_zoom()

    @Slot()
    def zoom_full(self) -> None:
        """Show the whole digitised window."""
        self._zoom_mode = "full"
        self._apply_zoom()

    def x_range(self) -> tuple[float, float]:
        """Visible time range in ns."""
        lo, hi = self.plot.getViewBox().viewRange()[0]
        return float(lo), float(hi)

    def curve_names(self) -> list[str]:
        """Names of the curves currently drawn (for tests and legends)."""
        return [k for k, c in self._curves.items() if c.isVisible()]

    def curve_data(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Return the ``(x, y)`` arrays of a drawn curve."""
        x, y = self._curves[name].getData()
        return np.asarray(x), np.asarray(y)

    # ------------------------------------------------------------------ drawing
    def _set_y_label(self) -> None:
        if self._raw_view:
            self.plot.setLabel("left", "Raw sample (ADC counts)")
        else:
            self.plot.setLabel("left", "Amplitude above baseline (ADC counts)")

    def _colour(self, name: str, index: int) -> str:
        return TRACE_COLOURS.get(name, _CYCLE[index % len(_CYCLE)])

    def _redraw(self) -> None:
        # Items are reused from event to event and the legend is rebuilt only when its entries
        # change: rebuilding legend labels costs more than everything else when stepping.
        shown = self._raw if self._raw_view else self._traces
        for name in list(self._curves):
            if name not in shown:
                self.plot.removeItem(self._curves.pop(name))
        for i, (name, y) in enumerate(shown.items()):
            curve = self._curves.get(name)
            if curve is None:
                width = 2.0 if name == "sum" else 1.2
                curve = self.plot.plot(pen=pg.mkPen(self._colour(name, i), width=width))
                curve.setZValue(2 if name == "sum" else 1)
                self._curves[name] = curve
            curve.setData(self._time_ns, y)
        self._draw_baselines()
        self._draw_markers()
        entries = [*shown, *(k for k, item in self._marker_items.items() if item.isVisible())]
        if entries != self._legend_entries:
            self.legend.clear()
            for name in shown:
                self.legend.addItem(self._curves[name], name)
            for label in entries[len(shown) :]:
                self.legend.addItem(self._marker_items[label], label)
            self._legend_entries = entries
            self.legend.setVisible(bool(entries))  # no empty frame in an empty plot
        self._place_legend(shown)
        self._set_y_label()
        self._place_overlays()
        self._apply_zoom()

    def _draw_baselines(self) -> None:
        levels = self._baselines if self._raw_view else {}
        for name in list(self._baseline_lines):
            if name not in levels:
                self.plot.removeItem(self._baseline_lines.pop(name))
        for i, (name, level) in enumerate(levels.items()):
            line = self._baseline_lines.get(name)
            if line is None:
                line = pg.InfiniteLine(
                    angle=0,
                    movable=False,
                    pen=pg.mkPen(self._colour(name, i), width=1, style=Qt.PenStyle.DashLine),
                    label="",
                    labelOpts={  # right end: t0 and the pulses are at the left
                        "position": 0.99,
                        "color": self._colour(name, i),
                        "anchors": [(1, 1), (1, 1)],
                    },
                )
                self.plot.addItem(line)
                self._baseline_lines[name] = line
            line.setValue(level)
            line.label.setFormat(f"baseline {name} {level:.1f}")

    def _place_legend(self, shown: Mapping[str, np.ndarray]) -> None:
        # Keep the legend away from the pulses: they rise to the top in the processed view but
        # fall from a high baseline in a raw negative-polarity view.
        goes_down = False
        if shown:
            y = np.concatenate([v for v in shown.values() if v.size] or [np.zeros(1)])
            lo, hi = float(np.min(y)), float(np.max(y))
            goes_down = float(np.median(y)) > 0.5 * (lo + hi)
        if goes_down:
            self.legend.anchor(itemPos=(1, 1), parentPos=(1, 1), offset=(-10, -10))
        else:
            self.legend.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-10, 10))

    def _draw_markers(self) -> None:
        markers = {} if self._raw_view else self._markers
        for label in list(self._marker_items):
            if label not in markers:
                self.plot.removeItem(self._marker_items.pop(label))
        for i, (label, (x, y)) in enumerate(markers.items()):
            dot = self._marker_items.get(label)
            if dot is None:
                # Labelled in the legend, not beside the point: text there collides with t0.
                dot = pg.ScatterPlotItem(
                    symbol=_MARKER_SYMBOLS[i % len(_MARKER_SYMBOLS)],
                    size=11,
                    brush=pg.mkBrush(_MARKER_COLOURS[i % len(_MARKER_COLOURS)]),
                    pen=pg.mkPen("#202020"),
                )
                dot.setZValue(6)
                self.plot.addItem(dot)
                self._marker_items[label] = dot
            finite = math.isfinite(x) and math.isfinite(y)
            dot.setData([x] if finite else [], [y] if finite else [])
            dot.setVisible(finite)

    def _place_overlays(self) -> None:
        self.overlay.place(self._t0_ns if self._time_ns.size else math.nan)

    def _apply_zoom(self) -> None:
        if self._time_ns.size == 0 or self._zoom_mode == "custom":
            return
        vb = self.plot.getViewBox()
        if self._zoom_mode == "prompt":
            ref = self._t0_ns if math.isfinite(self._t0_ns) else 0.0
            lo, hi = ref - 50.0, ref + self.prompt_span_ns
        else:
            lo, hi = float(self._time_ns[0]), float(self._time_ns[-1])
        vb.setXRange(lo, hi, padding=0.0)
        vb.setAutoVisible(y=True)  # fit the amplitude to what is visible
        vb.enableAutoRange(axis=pg.ViewBox.YAxis)

    @Slot()
    def _on_range_changed_manually(self) -> None:
        self._zoom_mode = "custom"


def demo() -> WaveformPlotWidget:
    """Return the widget showing a synthetic 83mKr-like event (``python -m ...``)."""
    rng = np.random.default_rng(3)
    t = (np.arange(1875) - 375) * 4.0
    t0, delay = 0.0, 180.0

    def pulse(at: float, amp: float) -> np.ndarray:
        dt = np.clip(t - at, 0.0, None)
        shape = 0.7 * np.exp(-dt / 6.0) + 0.3 * (4.0 / 1500.0) * np.exp(-dt / 1500.0)
        return np.where(t >= at, amp * shape, 0.0)

    top = pulse(t0, 90) + pulse(t0 + delay, 30) + rng.normal(0, 1.5, t.size)
    bottom = pulse(t0, 110) + pulse(t0 + delay, 35) + rng.normal(0, 1.5, t.size)
    w = WaveformPlotWidget()
    w.set_event(
        t,
        {"top": top, "bottom": bottom, "sum": top + bottom},
        raw_adc={"top": 3500 - top, "bottom": 3480 - bottom},
        baselines_adc={"top": 3500.0, "bottom": 3480.0},
        t0_ns=t0,
        markers={"delayed pulse": (t0 + delay, float((top + bottom)[420]))},
        title="demo event 0",
    )
    w.resize(900, 450)
    w.setWindowTitle("WaveformPlotWidget demo")
    return w


if __name__ == "__main__":  # pragma: no cover
    app = QApplication(sys.argv)
    widget = demo()
    widget.show()
    sys.exit(app.exec())
