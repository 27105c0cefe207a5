"""ComponentPlot: series, markers, caption, empty state and export."""

from __future__ import annotations

import numpy as np

from widgets.components_plot import ComponentPlot


def test_series_markers_caption_and_export(qtbot, tmp_path):
    w = ComponentPlot("Delayed amplitude", "demo")
    qtbot.addWidget(w)
    edges = np.linspace(0, 400, 41)
    counts = np.arange(40, dtype=float)
    w.add_steps(edges, counts, "data")
    w.add_curve(edges, edges / 10, "fit")
    w.add_points([1.0, 2.0], [3.0, 4.0], [0.1, 0.2], "profile")
    w.add_vline(110.0, "threshold")
    w.set_caption("mode 160 ± 1 ADC")
    assert w.item_names() == ["data", "fit", "profile", "threshold"]
    assert w.caption() == "mode 160 ± 1 ADC"
    png = w.exporter.save_png(tmp_path / "p.png")
    assert png.stat().st_size > 1000  # a real image, not an empty file
    [csv] = w.exporter.save_csv(tmp_path / "p.csv")
    lines = csv.read_text().splitlines()
    assert len(lines) > 40  # the 40 histogram bins at least, plus a header


def test_clear_shows_message_and_forgets_items(qtbot):
    w = ComponentPlot("S_Ap", "sap")
    qtbot.addWidget(w)
    w.add_steps([0, 1, 2], [1, 2], "data")
    w.set_caption("x")
    w.clear("Load a background run")
    assert w.item_names() == []
    assert w.caption() == ""
    assert w.message() == "Load a background run"
    w.add_curve([0, 1], [0, 1], "fit")  # the message goes when data arrive
    assert w.message() == ""
    assert w.item_names() == ["fit"]
