"""Hist1DPlot: before/after step histograms, log switch, CSV columns."""

from __future__ import annotations

import numpy as np
import pytest

from widgets.hist1d_plot import FractionPlot, Hist1DPlot, demo


def test_histograms_and_log(qtbot):
    w = Hist1DPlot()
    qtbot.addWidget(w)
    edges = np.linspace(0, 1, 6)
    w.set_histograms(edges, {"all": [5, 4, 3, 2, 1], "selected": [0, 4, 3, 0, 0]})
    np.testing.assert_array_equal(w.counts("selected"), [0, 4, 3, 0, 0])
    x, y = w.curves["all"].getData()
    np.testing.assert_array_equal(y, [5, 4, 3, 2, 1])
    with qtbot.waitSignal(w.log_counts_changed):
        w.set_log_counts(True)
    _, y = w.curves["selected"].getData()
    # pyqtgraph plots log10 in log mode; empty bins sit at the 0.5 floor.
    np.testing.assert_allclose(y, np.log10([0.5, 4, 3, 0.5, 0.5]), rtol=1e-12)
    header, cols = w.csv_columns()
    assert header == ["lo", "hi", "all", "selected"]
    with pytest.raises(ValueError, match="3 counts for 5 bins"):
        w.set_histograms(edges, {"all": [1, 2, 3]})


def test_demo(qtbot):
    w = demo()
    qtbot.addWidget(w)
    assert w.windowTitle().endswith("demo")


def test_fraction_plot(qtbot):
    w = FractionPlot()
    qtbot.addWidget(w)
    edges = np.array([0.0, 1.0, 2.0, 3.0])
    w.set_fractions(edges, [0.5, np.nan, 1.0], [0.4, np.nan, 0.9], [0.6, np.nan, 1.0])
    x, y = w.points.getData()
    np.testing.assert_array_equal(x, [0.5, 2.5])  # the empty (NaN) bin is left out
    np.testing.assert_array_equal(y, [0.5, 1.0])
    np.testing.assert_allclose(w.bars.opts["top"], [0.1, 0.0], atol=1e-12)
    np.testing.assert_allclose(w.bars.opts["bottom"], [0.1, 0.1], atol=1e-12)
    header, cols = w.csv_columns()
    assert header == ["lo", "hi", "fraction", "fraction_lo", "fraction_hi"]
    assert len(cols[0]) == 3
    with pytest.raises(ValueError, match="2 fractions for 3 bins"):
        w.set_fractions(edges, [0.1, 0.2], [0, 0], [1, 1])
