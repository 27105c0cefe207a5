"""Histograms: equality with numpy's reference fills, NaN skipping, variances, subtraction."""

from __future__ import annotations

import numpy as np
import pytest

from analysis_core.errors import CalibrationError
from analysis_core.histograms import (
    BinningError,
    Hist1D,
    Hist2D,
    histogram1d,
    histogram2d,
    livetime_scale,
    subtract_background,
)
from analysis_core.rqfile import RQTable


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(7)


def test_1d_counts_equal_numpy(rng):
    x = rng.normal(100.0, 20.0, 50_000)
    h = histogram1d(x, 64, (40.0, 160.0))
    ref, edges = np.histogram(x, 64, (40.0, 160.0))
    # Exact: both count integers into identical edges (values on an edge are measure zero).
    np.testing.assert_array_equal(h.counts, ref)
    np.testing.assert_allclose(h.edges, edges, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(h.variances, ref)  # Poisson: variance = counts
    np.testing.assert_allclose(h.centers, 0.5 * (edges[1:] + edges[:-1]), atol=1e-12)
    np.testing.assert_allclose(h.widths, 120.0 / 64, rtol=1e-12)
    assert h.n_nan == 0


def test_1d_float32_and_variable_edges(rng):
    x = rng.exponential(50.0, 20_000).astype(np.float32)
    edges = np.array([0.0, 5.0, 10.0, 30.0, 100.0, 300.0])
    h = histogram1d(x, edges)
    ref, _ = np.histogram(x.astype(np.float64), edges)
    np.testing.assert_array_equal(h.counts, ref)


def test_1d_nan_skipped_and_counted(rng):
    x = rng.uniform(0, 1, 1000)
    x[::10] = np.nan
    h = histogram1d(x, 10, (0.0, 1.0))
    assert h.n_nan == 100
    assert h.total == 900  # every finite value is in range
    assert np.all(np.isfinite(h.counts))


def test_1d_weighted_variances(rng):
    x = rng.uniform(0, 10, 5000)
    w = rng.uniform(0.5, 2.0, 5000)
    h = histogram1d(x, 5, (0.0, 10.0), weights=w)
    idx = np.floor(x / 2).astype(int)
    np.testing.assert_allclose(h.counts, np.bincount(idx, w, 5), rtol=1e-12)
    np.testing.assert_allclose(h.variances, np.bincount(idx, w**2, 5), rtol=1e-12)


def test_2d_counts_equal_numpy(rng):
    x = rng.normal(0, 1, 40_000)
    y = 0.5 * x + rng.normal(0, 1, 40_000)
    x[:7] = np.nan
    y[7:12] = np.nan
    h = histogram2d(x, y, (30, 20), [(-3, 3), (-4, 4)], threads=2)
    ok = np.isfinite(x) & np.isfinite(y)
    ref, ex, ey = np.histogram2d(x[ok], y[ok], (30, 20), [(-3, 3), (-4, 4)])
    np.testing.assert_array_equal(h.counts, ref)  # exact, as in 1D
    np.testing.assert_allclose(h.x_edges, ex, atol=1e-12)
    np.testing.assert_allclose(h.y_edges, ey, atol=1e-12)
    assert h.counts.shape == (30, 20)
    assert h.n_nan == 12


def test_2d_bins_forms(rng):
    x, y = rng.uniform(0, 1, 5000), rng.uniform(0, 2, 5000)
    ex, ey = np.linspace(0, 1, 11), np.linspace(0, 2, 5)  # different lengths (a ragged pair)
    ref, _, _ = np.histogram2d(x, y, (ex, ey))
    np.testing.assert_array_equal(histogram2d(x, y, (ex, ey)).counts, ref)
    np.testing.assert_array_equal(histogram2d(x, y, [10, ey], [(0, 1), None]).counts, ref)
    shared = np.linspace(0, 2, 9)
    ref2, _, _ = np.histogram2d(x, y, shared)
    np.testing.assert_array_equal(histogram2d(x, y, shared).counts, ref2)
    with pytest.raises(BinningError, match="bins must be"):
        histogram2d(x, y, "auto")


def test_round_trip_dicts(rng):
    h1 = histogram1d(rng.normal(size=100), 7, (-2.0, 2.0))
    back = Hist1D.from_dict(h1.to_dict())
    np.testing.assert_array_equal(back.counts, h1.counts)
    np.testing.assert_array_equal(back.edges, h1.edges)
    h2 = histogram2d(rng.normal(size=100), rng.normal(size=100), 4, [(-2, 2), (-2, 2)])
    back2 = Hist2D.from_dict(h2.to_dict())
    np.testing.assert_array_equal(back2.counts, h2.counts)


def test_bad_binning_refused():
    with pytest.raises(BinningError, match="range"):
        histogram1d([1.0], 10)
    with pytest.raises(BinningError, match="hi > lo"):
        histogram1d([1.0], 10, (2.0, 1.0))
    with pytest.raises(BinningError, match="increasing"):
        histogram1d([1.0], [0.0, 2.0, 1.0])
    with pytest.raises(BinningError, match="y has 2"):
        histogram2d([1.0], [1.0, 2.0], 3, [(0, 1), (0, 1)])


def test_subtract_background_values_and_variances():
    edges = np.linspace(0, 10, 6)
    sig = Hist1D(edges, np.array([10.0, 20, 30, 40, 50]), np.array([10.0, 20, 30, 40, 50]))
    bkg = Hist1D(edges, np.array([4.0, 4, 4, 4, 4]), np.array([4.0, 4, 4, 4, 4]))
    out = subtract_background(sig, bkg, 0.5)
    np.testing.assert_allclose(out.counts, [8, 18, 28, 38, 48], rtol=1e-12)
    # var_s + scale^2 var_b = counts + 0.25 * 4
    np.testing.assert_allclose(out.variances, [11, 21, 31, 41, 51], rtol=1e-12)


def test_subtraction_is_unbiased_with_correct_pulls():
    """Toy ensemble: subtracted counts scatter around truth with the stated variance."""
    rng = np.random.default_rng(3)
    edges = np.linspace(0, 1, 11)
    sig_rate, bkg_rate, scale = 400.0, 300.0, 0.4
    pulls = []
    for _ in range(400):
        s = rng.poisson(sig_rate + scale * bkg_rate, 10).astype(float)
        b = rng.poisson(bkg_rate, 10).astype(float)
        out = subtract_background(Hist1D(edges, s, s), Hist1D(edges, b, b), scale)
        pulls.append((out.counts - sig_rate) / out.errors)
    pulls = np.concatenate(pulls)
    # 4000 pulls: mean error 1/sqrt(4000) ~ 0.016, width error ~ 0.011; 4-5 sigma bounds.
    assert abs(pulls.mean()) < 0.07
    assert abs(pulls.std() - 1.0) < 0.05


def test_subtract_needs_same_binning():
    a = Hist1D(np.linspace(0, 10, 6), np.ones(5), np.ones(5))
    b = Hist1D(np.linspace(0, 12, 6), np.ones(5), np.ones(5))
    with pytest.raises(BinningError, match="binnings differ"):
        subtract_background(a, b, 1.0)
    with pytest.raises(BinningError, match="scale"):
        subtract_background(a, a, -1.0)


def _table(livetime):
    meta = {"rq_path": "/data/run.h5", "run": {"livetime_s": livetime}}
    return RQTable({"total_pe": np.zeros(3)}, meta)


def test_livetime_scale():
    assert livetime_scale(_table(600.0), _table(200.0)) == pytest.approx(3.0, rel=1e-12)
    with pytest.raises(CalibrationError, match=r"/data/run.h5: background run"):
        livetime_scale(_table(600.0), _table(float("nan")))
    with pytest.raises(CalibrationError, match="signal run"):
        livetime_scale(_table(0.0), _table(200.0))
