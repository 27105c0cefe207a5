"""Plot export: PNG and SVG images, CSV data, the export actions, atomic writes."""

from __future__ import annotations

import csv
import struct
import xml.dom.minidom

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage

from widgets.plot_export import PlotExporter, export_csv, export_png, export_svg, write_csv


@pytest.fixture
def layout(qtbot):
    w = pg.GraphicsLayoutWidget()
    qtbot.addWidget(w)
    w.resize(600, 400)
    top = w.addPlot(row=0, col=0)
    bottom = w.addPlot(row=1, col=0)
    top.plot([1.0, 2.0, 3.0], [10.0, 20.0, 15.0], name="counts")
    bottom.addItem(pg.ErrorBarItem(x=np.array([1.0, 2.0]), y=np.zeros(2), height=np.ones(2)))
    w.show()
    qtbot.waitExposed(w)
    return w, top, bottom


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_png_is_twice_the_screen_size(layout, tmp_path):
    w, _, _ = layout
    rect = w.ci.sceneBoundingRect()
    out = export_png(w.ci, tmp_path / "plot.png")
    width, height = _png_size(out)
    assert width == round(2 * rect.width())
    assert abs(height - 2 * rect.height()) <= 2  # aspect kept to a pixel
    assert [p.name for p in tmp_path.iterdir()] == ["plot.png"]  # no temporary left
    image = QImage(str(out))
    assert image.pixelColor(0, 0).name() == "#ffffff"  # white background
    colours = {
        image.pixelColor(x, y).name() for x in range(0, width, 3) for y in range(0, height, 3)
    }
    assert len(colours) > 10  # something was drawn (axes, text, the curve)


def test_svg_is_valid_xml_with_paths(layout, tmp_path):
    w, top, _ = layout
    out = export_svg(top, tmp_path / "plot.svg", title="my plot")
    with out.open(encoding="utf-8") as fh:
        doc = xml.dom.minidom.parse(fh)
    assert doc.documentElement.tagName == "svg"
    assert doc.getElementsByTagName("path") or doc.getElementsByTagName("polyline")
    assert doc.getElementsByTagName("title")[0].firstChild.data == "my plot"


def test_csv_of_a_plot_holds_its_curves(layout, tmp_path):
    _, top, bottom = layout
    with export_csv(top, tmp_path / "a.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["counts_x", "counts_y"]
    assert [float(v) for v in rows[2]] == [2.0, 20.0]
    with export_csv(bottom, tmp_path / "b.csv").open(newline="") as fh:
        header = next(csv.reader(fh))
    assert header[:2] == ["x0000_error", "y0000_error"]


def test_write_csv_leaves_nan_cells_empty_and_checks_shapes(tmp_path):
    out = write_csv(tmp_path / "d.csv", ["e", "n"], [np.array([1.5, 2.5]), np.array([3.0, np.nan])])
    assert out.read_text().splitlines() == ["e,n", "1.5,3.0", "2.5,"]
    with pytest.raises(ValueError, match="header names"):
        write_csv(tmp_path / "bad.csv", ["e"], [[1.0], [2.0]])
    assert not (tmp_path / "bad.csv").exists()


def test_exporter_actions_ask_for_a_path_and_report(layout, tmp_path, qtbot):
    w, top, bottom = layout
    exporter = PlotExporter(w.ci, [("main", top), ("residuals", bottom)], w, name="spec")
    asked = []

    def ask(caption, file_filter, suggested):
        asked.append((caption, suggested))
        return str(tmp_path / "out")  # no suffix: the exporter adds it

    exporter.ask_path = ask
    with qtbot.waitSignal(exporter.exported) as blocker:
        exporter.png_action.trigger()
    assert blocker.args == [str(tmp_path / "out.png")]
    exporter.svg_action.trigger()
    written = []
    exporter.exported.connect(written.append)
    exporter.csv_action.trigger()
    assert written == [str(tmp_path / "out.csv"), str(tmp_path / "out_residuals.csv")]
    assert exporter.directory == str(tmp_path)
    assert asked[0][1].endswith("spec.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "out.csv", "out.png", "out.svg", "out_residuals.csv",
    ]  # fmt: skip


def test_exporter_uses_the_csv_provider_and_reports_failures(layout, tmp_path, qtbot):
    w, top, _ = layout
    exporter = PlotExporter(
        w.ci, [("main", top)], w, csv_provider=lambda: (["a", "b"], [[1.0, 2.0], [3.0, 4.0]])
    )
    exporter.ask_path = lambda *a: str(tmp_path / "data.csv")
    exporter.csv_action.trigger()
    assert (tmp_path / "data.csv").read_text().splitlines() == ["a,b", "1.0,3.0", "2.0,4.0"]
    exporter.ask_path = lambda *a: str(tmp_path / "missing" / "x.png")
    with qtbot.waitSignal(exporter.failed) as blocker:
        exporter.png_action.trigger()
    assert blocker.args[0].startswith(str(tmp_path / "missing" / "x.png") + ": ")
    exporter.ask_path = lambda *a: ""  # cancelled
    with qtbot.assertNotEmitted(exporter.exported), qtbot.assertNotEmitted(exporter.failed):
        exporter.svg_action.trigger()


def test_actions_join_the_right_click_menus(layout):
    w, top, bottom = layout
    exporter = PlotExporter(w.ci, [("main", top), ("residuals", bottom)], w)
    exporter.add_to_view_menus()
    for plot in (top, bottom):
        assert exporter.png_action in plot.getViewBox().menu.actions()
    assert exporter.tool_button().menu() is exporter.menu
