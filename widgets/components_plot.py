"""A small titled plot of histograms, curves, points and marker lines with a caption and export.

What to use when
----------------
- ``ComponentPlot``: one step of the component-separation analyses (an amplitude spectrum and
  its fit, a profile with its curve, ...): ``add_steps`` for histograms, ``add_curve`` for
  fitted models, ``add_points`` for profiles with error bars, ``add_vline`` for cuts, and
  ``set_caption`` for the step's result line. PNG/SVG/CSV export from the tool button.
- ``clear(message)`` empties it and shows what to do instead.

The widget takes arrays and plain values only.
"""

from __future__ import annotations

import sys

import numpy as np
import pyqtgraph as pg
from numpy.typing import ArrayLike
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from widgets.plot_export import PlotExporter

__all__ = ["COLOURS", "ComponentPlot"]

#: Named colours of the series (data, fit, template/background, part, cut).
COLOURS = {
    "data": "#1d3557",
    "fit": "#d62728",
    "background": "#8d99ae",
    "part": "#2a9d8f",
    "cut": "#e76f51",
}


class ComponentPlot(QWidget):
    """Titled plot with a caption line (see the module docstring).

    Parameters
    ----------
    title : str
        Shown above the plot.
    name : str
        File stem of exports.
    parent : QWidget, optional
        Qt parent.
    """

    def __init__(self, title: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = QLabel(f"<b>{title}</b>", self)
        self._caption = QLabel("", self)
        self._caption.setWordWrap(True)
        self._caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.plot = self.graphics.addPlot(row=0, col=0)
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        for ax in ("left", "bottom"):
            self.plot.getAxis(ax).enableAutoSIPrefix(False)
            self.plot.getAxis(ax).setPen("#444")
            self.plot.getAxis(ax).setTextPen("#222")
        self.legend = self.plot.addLegend(offset=(-8, 8), labelTextSize="8pt")
        self._message = pg.TextItem("", color="#666", anchor=(0.5, 0.5))
        self.exporter = PlotExporter(self.graphics.ci, [(name, self.plot)], self, name=name)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self._title, 1)
        bar.addWidget(self.exporter.tool_button(self))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.setSpacing(1)
        lay.addLayout(bar)
        lay.addWidget(self.graphics, 1)
        lay.addWidget(self._caption)
        self._names: list[str] = []
        self._message_text = ""

    # ------------------------------------------------------------------ content
    def set_title(self, title: str) -> None:
        """Set the title above the plot."""
        self._title.setText(f"<b>{title}</b>")

    def title(self) -> str:
        """Return the title (plain text)."""
        return self._title.text().removeprefix("<b>").removesuffix("</b>")

    def set_legend_corner(self, corner: str) -> None:
        """Put the legend in the ``"left"`` or ``"right"`` top corner (clear of the data)."""
        if corner == "left":
            self.legend.anchor((0, 0), (0, 0), offset=(8, 8))
        else:
            self.legend.anchor((1, 0), (1, 0), offset=(-8, 8))

    def set_labels(self, x: str, y: str) -> None:
        """Axis titles."""
        self.plot.setLabel("bottom", x)
        self.plot.setLabel("left", y)

    def clear(self, message: str = "") -> None:
        """Remove every item; show ``message`` in the middle when given."""
        self.plot.clear()
        self.legend.clear()
        self._names = []
        self._caption.setText("")
        self._message_text = message
        if message:
            self._message.setText(message)
            self.plot.addItem(self._message)
            self.plot.setRange(xRange=(0, 1), yRange=(0, 1))
            self._message.setPos(0.5, 0.5)

    def add_steps(
        self, edges: ArrayLike, counts: ArrayLike, name: str, colour: str = "data"
    ) -> None:
        """Draw a histogram as steps."""
        pen = pg.mkPen(COLOURS.get(colour, colour), width=1.3)
        item = pg.PlotDataItem(np.asarray(edges), np.asarray(counts), stepMode="center", pen=pen)
        self._add(item, name)

    def add_curve(
        self,
        x: ArrayLike,
        y: ArrayLike,
        name: str,
        colour: str = "fit",
        dashed: bool = False,
        width: float = 2.0,
    ) -> None:
        """Draw a smooth curve (a fitted model)."""
        style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
        pen = pg.mkPen(COLOURS.get(colour, colour), width=width, style=style)
        self._add(pg.PlotDataItem(np.asarray(x), np.asarray(y), pen=pen), name)

    def add_points(
        self, x: ArrayLike, y: ArrayLike, err: ArrayLike | None, name: str, colour: str = "data"
    ) -> None:
        """Points with vertical error bars."""
        c = COLOURS.get(colour, colour)
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if err is not None:
            bars = pg.ErrorBarItem(x=x, y=y, height=2 * np.asarray(err, dtype=float), pen=c)
            self.plot.addItem(bars)
        item = pg.PlotDataItem(x, y, pen=None, symbol="o", symbolSize=5, symbolBrush=c)
        self._add(item, name)

    def add_vline(self, x: float, label: str, colour: str = "cut") -> None:
        """Draw a vertical marker line (a cut)."""
        pen = pg.mkPen(COLOURS.get(colour, colour), width=1.6, style=Qt.PenStyle.DashLine)
        line = pg.InfiniteLine(
            pos=float(x), angle=90, pen=pen, label=label,
            labelOpts={"position": 0.9, "color": COLOURS.get(colour, colour)},
        )  # fmt: skip
        self.plot.addItem(line)
        self._names.append(label)

    def set_caption(self, text: str) -> None:
        """Set the result line under the plot (rich text allowed)."""
        self._caption.setText(text)

    def caption(self) -> str:
        """Return the result line."""
        return self._caption.text()

    def message(self) -> str:
        """Return the empty-state message shown ("" when data are shown)."""
        return self._message_text

    def item_names(self) -> list[str]:
        """Names of the series and markers shown, in order."""
        return list(self._names)

    def _add(self, item: pg.PlotDataItem, name: str) -> None:
        if self._message.scene() is not None:
            self.plot.removeItem(self._message)
        self._message_text = ""
        self.plot.addItem(item)
        if name:
            self.legend.addItem(item, name)
        self._names.append(name)
        self.plot.enableAutoRange()


def _demo() -> None:  # pragma: no cover - manual look
    app = QApplication.instance() or QApplication(sys.argv)
    w = ComponentPlot("Delayed amplitude", "demo")
    rng = np.random.default_rng(1)
    c, e = np.histogram(rng.normal(160, 40, 5000), 80, (0, 400))
    w.add_steps(e, c, "data")
    x = np.linspace(0, 400, 200)
    w.add_curve(
        x, 5000 * 5 / (40 * np.sqrt(2 * np.pi)) * np.exp(-0.5 * ((x - 160) / 40) ** 2), "fit"
    )
    w.add_vline(110, "threshold")
    w.set_caption("mode 160 +- 1 ADC")
    w.resize(500, 350)
    w.show()
    app.exec()


if __name__ == "__main__":  # pragma: no cover
    _demo()
