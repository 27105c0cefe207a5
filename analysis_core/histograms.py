"""Fast 1D and 2D histograms with variances, and live-time scaled background subtraction.

What to use when
----------------
- ``histogram1d(values, bins, range_)``: a spectrum (``Hist1D``: edges, counts, variances).
  Built on boost-histogram: a refill of 10^6 events takes a few ms, fast enough to redraw while
  a cut is dragged. Pass ``weights`` for weighted fills (variances = sum of squared weights).
- ``histogram2d(x, y, bins, ranges)``: a 2D histogram (``Hist2D``, counts ``[nx, ny]``), e.g.
  F90 vs total PE; about 10x faster than ``np.histogram2d``.
- ``livetime_scale(signal_table, background_table)``: ``livetime_signal / livetime_background``
  from the runs' metadata; ``CalibrationError`` when either live time is unknown.
- ``subtract_background(signal, background, scale)``: ``signal - scale * background`` with
  variances ``var_s + scale^2 var_b``; both histograms must share their binning.

Rows with NaN in a filled coordinate are skipped (never counted in any bin) and counted in
``n_nan``. Values outside the range are not counted either (they are not NaN). A value lying
exactly on an inner edge of equal-width bins may land in the bin below (boost-histogram
computes ``(x - lo) / width`` in floating point; ``np.histogram`` corrects that): about 1 in
10^6 float32 values; pass explicit edges for exact edge comparisons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import boost_histogram as bh
import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis_core.errors import CalibrationError, LarcalError

__all__ = [
    "BinningError",
    "Hist1D",
    "Hist2D",
    "histogram1d",
    "histogram2d",
    "livetime_scale",
    "subtract_background",
]

Bins = int | ArrayLike


class BinningError(LarcalError, ValueError):
    """Histograms that must share a binning do not, or a binning is malformed."""


@dataclass(frozen=True, eq=False)
class Hist1D:
    """A 1D histogram.

    Attributes
    ----------
    edges : ndarray
        Bin edges, length ``n + 1``, increasing (units of the filled quantity).
    counts : ndarray of float
        Sum of weights per bin (counts for unweighted fills), length ``n``.
    variances : ndarray of float
        Variance of each bin (the counts for unweighted fills).
    n_nan : int
        Rows skipped because their value was NaN.
    """

    edges: NDArray[np.float64]
    counts: NDArray[np.float64]
    variances: NDArray[np.float64]
    n_nan: int = 0

    def __post_init__(self) -> None:
        n = len(self.edges) - 1
        if n < 1 or len(self.counts) != n or len(self.variances) != n:
            raise BinningError(
                f"Hist1D needs len(edges) = len(counts) + 1 = len(variances) + 1, got "
                f"{len(self.edges)}, {len(self.counts)}, {len(self.variances)}"
            )

    @property
    def centers(self) -> NDArray[np.float64]:
        """Bin centres."""
        return 0.5 * (self.edges[1:] + self.edges[:-1])

    @property
    def widths(self) -> NDArray[np.float64]:
        """Bin widths."""
        return np.diff(self.edges)

    @property
    def errors(self) -> NDArray[np.float64]:
        """Standard deviation of each bin, ``sqrt(variances)`` (negative variances give 0)."""
        return np.sqrt(np.clip(self.variances, 0.0, None))

    @property
    def total(self) -> float:
        """Sum of the counts of all bins."""
        return float(self.counts.sum())

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (lists of floats)."""
        return {
            "edges": self.edges.tolist(),
            "counts": self.counts.tolist(),
            "variances": self.variances.tolist(),
            "n_nan": int(self.n_nan),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Hist1D:
        """Rebuild a histogram written by :meth:`to_dict`."""
        return cls(
            np.asarray(data["edges"], dtype=float),
            np.asarray(data["counts"], dtype=float),
            np.asarray(data["variances"], dtype=float),
            int(data.get("n_nan", 0)),
        )


@dataclass(frozen=True, eq=False)
class Hist2D:
    """A 2D histogram.

    Attributes
    ----------
    x_edges, y_edges : ndarray
        Bin edges along x (first index) and y (second index).
    counts : ndarray of float, shape ``[nx, ny]``
        Sum of weights per bin.
    variances : ndarray of float, shape ``[nx, ny]``
        Variance of each bin.
    n_nan : int
        Rows skipped because x or y was NaN.
    """

    x_edges: NDArray[np.float64]
    y_edges: NDArray[np.float64]
    counts: NDArray[np.float64]
    variances: NDArray[np.float64]
    n_nan: int = 0

    def __post_init__(self) -> None:
        shape = (len(self.x_edges) - 1, len(self.y_edges) - 1)
        if self.counts.shape != shape or self.variances.shape != shape:
            raise BinningError(
                f"Hist2D counts {self.counts.shape} and variances {self.variances.shape} do not "
                f"match the edges (expected {shape})"
            )

    @property
    def x_centers(self) -> NDArray[np.float64]:
        """Bin centres along x."""
        return 0.5 * (self.x_edges[1:] + self.x_edges[:-1])

    @property
    def y_centers(self) -> NDArray[np.float64]:
        """Bin centres along y."""
        return 0.5 * (self.y_edges[1:] + self.y_edges[:-1])

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (nested lists of floats)."""
        return {
            "x_edges": self.x_edges.tolist(),
            "y_edges": self.y_edges.tolist(),
            "counts": self.counts.tolist(),
            "variances": self.variances.tolist(),
            "n_nan": int(self.n_nan),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Hist2D:
        """Rebuild a histogram written by :meth:`to_dict`."""
        return cls(
            np.asarray(data["x_edges"], dtype=float),
            np.asarray(data["y_edges"], dtype=float),
            np.asarray(data["counts"], dtype=float),
            np.asarray(data["variances"], dtype=float),
            int(data.get("n_nan", 0)),
        )


def _axis(bins: Bins, range_: tuple[float, float] | None, what: str) -> bh.axis.Axis:
    """Build a boost-histogram axis from a bin count and range, or from explicit edges."""
    if np.ndim(bins) == 0:
        n = int(bins)  # type: ignore[arg-type]
        if n < 1:
            raise BinningError(f"{what}: number of bins must be >= 1, got {n}")
        if range_ is None:
            raise BinningError(f"{what}: a range (lo, hi) is needed with a number of bins")
        lo, hi = float(range_[0]), float(range_[1])
        if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
            raise BinningError(f"{what}: range must be finite with hi > lo, got ({lo}, {hi})")
        return bh.axis.Regular(n, lo, hi)
    edges = np.asarray(bins, dtype=float)
    if edges.ndim != 1 or len(edges) < 2 or not np.all(np.diff(edges) > 0):
        raise BinningError(f"{what}: edges must be 1-D, >= 2 long and strictly increasing")
    if not np.all(np.isfinite(edges)):
        raise BinningError(f"{what}: edges must be finite")
    return bh.axis.Variable(edges)


def _as_values(values: ArrayLike) -> NDArray[Any]:
    arr = np.asarray(values)
    if arr.dtype.kind not in "fiub":
        raise BinningError(f"cannot histogram values of dtype {arr.dtype}")
    return arr.ravel()


def _nan_count(*arrays: NDArray[Any]) -> int:
    bad = None
    for arr in arrays:
        if arr.dtype.kind == "f":
            isnan = np.isnan(arr)
            bad = isnan if bad is None else bad | isnan
    return 0 if bad is None else int(np.count_nonzero(bad))


def _storage(weights: ArrayLike | None) -> bh.storage.Storage:
    return bh.storage.Double() if weights is None else bh.storage.Weight()


def _views(hist: bh.Histogram, weighted: bool) -> tuple[NDArray[Any], NDArray[Any]]:
    view = hist.view(flow=False)
    if weighted:
        return np.array(view.value, dtype=float), np.array(view.variance, dtype=float)
    counts = np.array(view, dtype=float)
    return counts, counts.copy()


def histogram1d(
    values: ArrayLike,
    bins: Bins,
    range_: tuple[float, float] | None = None,
    weights: ArrayLike | None = None,
    *,
    threads: int | None = None,
) -> Hist1D:
    """Histogram ``values`` into ``bins``.

    Parameters
    ----------
    values : array_like
        The values (any units); NaN values are skipped and counted in ``n_nan``.
    bins : int or array_like
        Number of equal bins over ``range_``, or the bin edges.
    range_ : (float, float), optional
        ``(lo, hi)``; required when ``bins`` is a number. ``lo <= v < hi`` is counted.
    weights : array_like, optional
        One weight per value; variances are then the sums of squared weights.
    threads : int, optional
        Fill threads (boost-histogram); None fills on the calling thread, fastest for 1D.

    Returns
    -------
    Hist1D

    Raises
    ------
    BinningError
        Malformed bins/range, or weights of another length.
    """
    x = _as_values(values)
    hist = bh.Histogram(_axis(bins, range_, "histogram1d"), storage=_storage(weights))
    w = None if weights is None else np.asarray(weights, dtype=float).ravel()
    if w is not None and len(w) != len(x):
        raise BinningError(f"histogram1d: {len(w)} weights for {len(x)} values")
    # NaN lands in boost-histogram's overflow bin, which the in-range view leaves out.
    hist.fill(x, weight=w, threads=threads)
    counts, variances = _views(hist, w is not None)
    return Hist1D(np.asarray(hist.axes[0].edges, dtype=float), counts, variances, _nan_count(x))


def _bins_per_axis(bins: Any) -> tuple[Any, Any]:
    """Split 2D ``bins`` into (x, y): a number, a pair (numbers or edges), or shared edges."""
    if isinstance(bins, (int, np.integer)):
        return bins, bins
    # A pair: numbers of bins and/or edge arrays (possibly of different lengths).
    if (
        isinstance(bins, (list, tuple))
        and len(bins) == 2
        and all(isinstance(b, (int, np.integer)) or np.ndim(b) == 1 for b in bins)
    ):
        return bins[0], bins[1]
    arr = np.asarray(bins)
    if arr.ndim == 1 and arr.dtype.kind in "fiu":
        return arr, arr  # the same edges on both axes
    raise BinningError(
        "histogram2d: bins must be a number, (nx, ny), (edges_x, edges_y) or one edge array"
    )


def histogram2d(
    x: ArrayLike,
    y: ArrayLike,
    bins: Bins | Sequence[Bins],
    ranges: Sequence[tuple[float, float]] | None = None,
    weights: ArrayLike | None = None,
    *,
    threads: int | None = None,
) -> Hist2D:
    """Histogram the pairs ``(x, y)``.

    Parameters
    ----------
    x, y : array_like
        Coordinates of equal length; rows with NaN in either are skipped (``n_nan``).
    bins : int, (int, int), or (edges_x, edges_y)
        Bins per axis: a number for both, a number per axis, or edges per axis.
    ranges : ((lo, hi), (lo, hi)), optional
        Ranges of x and y; required for axes given by a number of bins.
    weights : array_like, optional
        One weight per row.
    threads : int, optional
        Fill threads (boost-histogram); 2 helps on 10^6 rows when a second core is free.

    Returns
    -------
    Hist2D
        ``counts[i, j]`` counts ``x`` in x-bin ``i`` and ``y`` in y-bin ``j``.
    """
    xv, yv = _as_values(x), _as_values(y)
    if len(xv) != len(yv):
        raise BinningError(f"histogram2d: x has {len(xv)} values, y has {len(yv)}")
    bx, by = _bins_per_axis(bins)
    rx, ry = (None, None) if ranges is None else (ranges[0], ranges[1])
    hist = bh.Histogram(
        _axis(bx, rx, "histogram2d x"), _axis(by, ry, "histogram2d y"), storage=_storage(weights)
    )
    w = None if weights is None else np.asarray(weights, dtype=float).ravel()
    if w is not None and len(w) != len(xv):
        raise BinningError(f"histogram2d: {len(w)} weights for {len(xv)} rows")
    hist.fill(xv, yv, weight=w, threads=threads)
    counts, variances = _views(hist, w is not None)
    return Hist2D(
        np.asarray(hist.axes[0].edges, dtype=float),
        np.asarray(hist.axes[1].edges, dtype=float),
        counts,
        variances,
        _nan_count(xv, yv),
    )


def livetime_scale(signal_table: Any, background_table: Any) -> float:
    """Return ``livetime_signal / livetime_background`` of two RQ tables.

    Parameters
    ----------
    signal_table, background_table : RQTable
        Anything with a ``livetime_s`` attribute (and ``metadata`` naming its file).

    Raises
    ------
    CalibrationError
        A live time is unknown (NaN), zero or negative; the message names the run.
    """
    sig = float(signal_table.livetime_s)
    bkg = float(background_table.livetime_s)
    for label, table, value in (
        ("signal", signal_table, sig),
        ("background", background_table, bkg),
    ):
        if not (np.isfinite(value) and value > 0):
            name = _table_name(table)
            raise CalibrationError(
                f"{name}: {label} run has no usable live time ({value} s); cannot scale the "
                "background spectrum"
            )
    return sig / bkg


def _table_name(table: Any) -> str:
    meta = getattr(table, "metadata", {}) or {}
    for key in ("rq_path", "input_path", "input"):
        if isinstance(meta.get(key), str):
            return str(meta[key])
    return str(meta.get("run", {}).get("run_id", "run"))


def subtract_background(signal: Hist1D, background: Hist1D, scale: float) -> Hist1D:
    """Return ``signal - scale * background`` with variances ``var_s + scale^2 var_b``.

    Parameters
    ----------
    signal, background : Hist1D
        Spectra with identical edges.
    scale : float
        Background scale, usually :func:`livetime_scale` of the two runs (>= 0).

    Raises
    ------
    BinningError
        The edges differ (the message says how), or the scale is negative or not finite.
    """
    if len(signal.edges) != len(background.edges) or not np.allclose(
        signal.edges, background.edges, rtol=1e-12, atol=0.0
    ):
        raise BinningError(
            "subtract_background: signal and background binnings differ (signal "
            f"{len(signal.edges) - 1} bins over [{signal.edges[0]}, {signal.edges[-1]}], "
            f"background {len(background.edges) - 1} bins over "
            f"[{background.edges[0]}, {background.edges[-1]}]); histogram both with the same bins"
        )
    scale = float(scale)
    if not (np.isfinite(scale) and scale >= 0):
        raise BinningError(f"subtract_background: scale must be finite and >= 0, got {scale}")
    return Hist1D(
        signal.edges.copy(),
        signal.counts - scale * background.counts,
        signal.variances + scale**2 * background.variances,
        0,
    )
