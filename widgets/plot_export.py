"""Save pyqtgraph plots as PNG or SVG and their data as CSV, from a menu or a toolbar button.

What to use when
----------------
- ``export_png(item, path)``, ``export_svg(item, path)``: save a ``PlotItem`` or a whole
  ``GraphicsLayout`` (a plot with its residual panel) as an image, e.g. for a logbook or a talk.
  Both paint the scene with Qt directly: PNG into an image of twice the screen resolution
  (device pixel ratio 2, so lines, text and legend all scale; ``pyqtgraph``'s
  ``ImageExporter`` leaves the legend at screen size), SVG with ``QSvgGenerator``
  (``pyqtgraph``'s ``SVGExporter`` cannot parse the path syntax Qt >= 6.10 writes, pyqtgraph
  issue #3485).
- ``export_csv(plot_item, path)``: the plotted data of one ``PlotItem`` through
  ``pyqtgraph.exporters.CSVExporter`` (curves, scatter points, error bars, by item name).
- ``write_csv(path, header, columns)``: columns you choose (e.g. the true counts of a spectrum
  whose log view shows zero channels at a floor).
- ``PlotExporter``: the actions "Save as PNG…", "Save as SVG…", "Save data as CSV…" for one
  plot, as a ``QMenu``, a toolbar ``QToolButton`` and entries in the plots' right-click menus.
  Widgets create one and put its button in their toolbar; panes need no code of their own.
- ``plot_layout(owner, title, body, *controls, exporter=...)``: the layout every plot widget
  shares: a header row (the title stretching, the controls, the export button) above the plot.

Every file is written to a temporary name in the target folder and renamed into place, so a
failed export never leaves half a file.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters as pg_exporters
from PySide6.QtCore import QObject, QRect, QRectF, QSize, Signal, Slot
from PySide6.QtGui import QAction, QColor, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QFileDialog,
    QGraphicsItem,
    QHBoxLayout,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

__all__ = [
    "CsvProvider",
    "PlotExporter",
    "export_csv",
    "export_png",
    "export_svg",
    "plot_layout",
    "write_csv",
]

#: ``() -> (header, columns)``: the data a CSV export writes instead of the plotted items.
CsvProvider = Callable[[], tuple[Sequence[str], Sequence[Sequence[float]]]]

PNG_FILTER = "PNG image (*.png)"
SVG_FILTER = "SVG vector image (*.svg)"
CSV_FILTER = "CSV table (*.csv)"


@contextlib.contextmanager
def _atomic_target(path: str | os.PathLike[str]) -> Iterator[str]:
    """Yield a temporary file name beside ``path`` (same suffix); rename it on success."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=target.suffix or ".tmp", dir=target.parent or "."
    )
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)


def _scene_rect(item: QGraphicsItem) -> QRectF:
    if item.scene() is None:
        raise ValueError("the plot is not shown in a scene; nothing to export")
    return item.sceneBoundingRect()


def export_png(item: QGraphicsItem, path: str | os.PathLike[str], *, scale: float = 2.0) -> Path:
    """Save ``item`` (a ``PlotItem`` or ``GraphicsLayout``) as a PNG image.

    Parameters
    ----------
    item : QGraphicsItem
        What to render, with everything drawn inside its bounding rectangle.
    path : str or PathLike
        Output file.
    scale : float
        Image pixels per screen pixel (2 keeps lines and text crisp when projected).

    Returns
    -------
    Path
        The file written.
    """
    rect = _scene_rect(item)
    w, h = max(1, round(rect.width() * scale)), max(1, round(rect.height() * scale))
    # A high-DPI image: Qt scales everything, cosmetic pens and the legend included
    # (pyqtgraph's ImageExporter leaves the legend at screen size in a larger image).
    image = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(scale)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        item.scene().render(painter, QRectF(0, 0, w / scale, h / scale), rect)
    finally:
        painter.end()
    with _atomic_target(path) as tmp:
        if not image.save(tmp, "PNG"):
            raise OSError(f"cannot write a PNG image to {tmp}")
    return Path(path)


def export_svg(item: QGraphicsItem, path: str | os.PathLike[str], *, title: str = "") -> Path:
    """Save ``item`` as an SVG vector image (painted by ``QSvgGenerator``).

    Returns
    -------
    Path
        The file written.
    """
    rect = _scene_rect(item)
    w, h = max(1, round(rect.width())), max(1, round(rect.height()))
    with _atomic_target(path) as tmp:
        generator = QSvgGenerator()
        generator.setFileName(tmp)
        generator.setSize(QSize(w, h))
        generator.setViewBox(QRect(0, 0, w, h))
        generator.setTitle(title or Path(path).stem)
        generator.setDescription("LArCal Workbench plot")
        painter = QPainter(generator)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            item.scene().render(painter, QRectF(0, 0, w, h), rect)
        finally:
            painter.end()
    return Path(path)


def export_csv(plot_item: pg.PlotItem, path: str | os.PathLike[str]) -> Path:
    """Save the data plotted in ``plot_item`` as CSV (``pyqtgraph``'s ``CSVExporter``).

    Returns
    -------
    Path
        The file written.
    """
    exporter = pg_exporters.CSVExporter(plot_item)
    with _atomic_target(path) as tmp:
        exporter.export(tmp)
    return Path(path)


def write_csv(
    path: str | os.PathLike[str], header: Sequence[str], columns: Sequence[Sequence[float]]
) -> Path:
    """Write ``columns`` (equal lengths) under ``header`` as CSV; NaN becomes an empty cell.

    Raises
    ------
    ValueError
        When the header and the columns do not match.
    """
    cols = [np.asarray(c) for c in columns]
    if len(cols) != len(header) or len({c.shape[0] for c in cols}) > 1:
        raise ValueError(
            f"{len(header)} header names for columns of lengths {[len(c) for c in cols]}"
        )

    def cell(v: object) -> object:
        if isinstance(v, (float, np.floating)):
            return "" if not np.isfinite(v) else repr(float(v))
        return v.item() if isinstance(v, np.generic) else v

    with _atomic_target(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(list(header))
        n = cols[0].shape[0] if cols else 0
        for i in range(n):
            writer.writerow([cell(c[i]) for c in cols])
    return Path(path)


def _with_suffix(path: str, suffix: str) -> str:
    return path if path.lower().endswith(suffix) else f"{path}{suffix}"


class PlotExporter(QObject):
    """PNG/SVG/CSV export actions for one plot.

    Parameters
    ----------
    target : QGraphicsItem
        What the images show: a ``PlotItem`` or the ``GraphicsLayout`` holding a plot and its
        residual panel.
    plots : sequence of (str, PlotItem)
        Plots whose data the CSV export writes: the first to the chosen file, the others beside
        it as ``<stem>_<name>.csv``.
    parent : QWidget
        Owner, and parent of the file dialogs.
    name : str
        Default file stem.
    csv_provider : callable, optional
        ``() -> (header, columns)`` written instead of the first plot's items.

    Signals
    -------
    exported(str)
        A file was written (its path).
    failed(str)
        An export failed (``"path: reason"``).

    Attributes
    ----------
    ask_path : callable
        ``(caption, filter, suggested_path) -> path`` ("" when cancelled); a file dialog by
        default, replaceable (tests, scripts).
    directory : str
        Folder proposed by the next dialog (the last one used).
    """

    exported = Signal(str)
    failed = Signal(str)

    def __init__(
        self,
        target: QGraphicsItem,
        plots: Sequence[tuple[str, pg.PlotItem]],
        parent: QWidget,
        *,
        name: str = "plot",
        csv_provider: CsvProvider | None = None,
    ) -> None:
        super().__init__(parent)
        self.target = target
        self.plots = list(plots)
        self.name = name
        self.csv_provider = csv_provider
        self.directory = ""
        self.ask_path: Callable[[str, str, str], str] = self._ask_path_dialog
        self._parent_widget = parent
        self.png_action = QAction("Save plot as &PNG…", self)
        self.png_action.setToolTip("Save the plot as a PNG image (twice the screen resolution)")
        self.png_action.triggered.connect(self._on_png_triggered)
        self.svg_action = QAction("Save plot as &SVG…", self)
        self.svg_action.setToolTip("Save the plot as an SVG vector image (logbooks, talks)")
        self.svg_action.triggered.connect(self._on_svg_triggered)
        self.csv_action = QAction("Save plot &data as CSV…", self)
        self.csv_action.setToolTip("Save the plotted numbers as a CSV table")
        self.csv_action.triggered.connect(self._on_csv_triggered)
        self.menu = QMenu("Export", parent)
        for action in (self.png_action, self.svg_action, self.csv_action):
            self.menu.addAction(action)

    # ------------------------------------------------------------------ attach
    def tool_button(self, parent: QWidget | None = None) -> QToolButton:
        """Return an "Export" toolbar button that pops up the menu."""
        button = QToolButton(parent or self._parent_widget)
        button.setText("Export")
        button.setToolTip("Save this plot as PNG or SVG, or its data as CSV")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setMenu(self.menu)
        return button

    def add_to_view_menus(self) -> None:
        """Add the export actions to the right-click menu of each plot."""
        for _, plot in self.plots:
            menu = plot.getViewBox().menu
            if menu is not None:
                menu.addSeparator()
                for action in (self.png_action, self.svg_action, self.csv_action):
                    menu.addAction(action)

    # ------------------------------------------------------------------ saving
    def save_png(self, path: str | os.PathLike[str]) -> Path:
        """Save the target as PNG."""
        return export_png(self.target, path)

    def save_svg(self, path: str | os.PathLike[str]) -> Path:
        """Save the target as SVG."""
        return export_svg(self.target, path, title=self.name)

    def save_csv(self, path: str | os.PathLike[str]) -> list[Path]:
        """Save the data; return the files written (one per plot, or one from the provider)."""
        p = Path(path)
        if self.csv_provider is not None:
            header, columns = self.csv_provider()
            out = [write_csv(p, header, columns)]
            rest = self.plots[1:]
        else:
            if not self.plots:
                raise ValueError("no plot data to save")
            out = [export_csv(self.plots[0][1], p)]
            rest = self.plots[1:]
        for name, plot in rest:
            out.append(export_csv(plot, p.with_name(f"{p.stem}_{name}{p.suffix or '.csv'}")))
        return out

    # ------------------------------------------------------------------ actions
    def _ask_path_dialog(self, caption: str, file_filter: str, suggested: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self._parent_widget, caption, suggested, file_filter)
        return path

    def _suggest(self, suffix: str) -> str:
        return str(Path(self.directory or os.getcwd()) / f"{self.name}{suffix}")

    def _run(self, caption: str, file_filter: str, suffix: str, save: Callable) -> None:
        path = self.ask_path(caption, file_filter, self._suggest(suffix))
        if not path:
            return
        path = _with_suffix(path, suffix)
        self.directory = str(Path(path).parent)
        try:
            written = save(path)
        except (OSError, ValueError, RuntimeError) as exc:
            self.failed.emit(f"{path}: {exc}")
            return
        for p in written if isinstance(written, list) else [written]:
            self.exported.emit(str(p))

    @Slot()
    def _on_png_triggered(self) -> None:
        self._run("Save plot as PNG", PNG_FILTER, ".png", self.save_png)

    @Slot()
    def _on_svg_triggered(self) -> None:
        self._run("Save plot as SVG", SVG_FILTER, ".svg", self.save_svg)

    @Slot()
    def _on_csv_triggered(self) -> None:
        self._run("Save plot data as CSV", CSV_FILTER, ".csv", self.save_csv)


def plot_layout(
    owner: QWidget, title: QWidget, body: QWidget, *controls: QWidget, exporter: PlotExporter
) -> QVBoxLayout:
    """Give ``owner`` the layout of a plot widget and return it (callers may append a caption).

    Parameters
    ----------
    owner : QWidget
        The plot widget being laid out.
    title : QWidget
        The header's title label (takes the free width).
    body : QWidget
        The plot (``GraphicsLayoutWidget`` or a stack holding it), given the free height.
    *controls : QWidget
        Header controls between the title and the export button (log scale, buttons, ...).
    exporter : PlotExporter
        Whose tool button ends the header.
    """
    bar = QHBoxLayout()
    bar.setContentsMargins(0, 0, 0, 0)
    bar.addWidget(title, 1)
    for control in controls:
        bar.addWidget(control)
    bar.addWidget(exporter.tool_button(owner))
    layout = QVBoxLayout(owner)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addLayout(bar)
    layout.addWidget(body, 1)
    return layout
