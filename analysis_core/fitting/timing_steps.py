"""The ``halflife`` and ``delay`` calibration steps (83mKr timing).

What to use when
----------------
- ``compute_halflife(inputs, settings) -> HalfLifeResult``: events of the Kr run inside the
  41.5 keV window (after cuts), their rate versus time, the decay fit after the filling period,
  and the ftop-vs-time 2D histogram of the same window (the Kr mixing plot).
- ``filling_end_s(edges_s, counts)``: the end of the filling period of an injection run found
  in its rate (what ``exclude_before_s: "auto"`` uses).
- ``compute_delay(inputs, settings) -> DelayResult``: ``delayed_time_ns`` (already relative to
  ``t0_ns``, ``spec/interfaces.md`` 2) of Kr events whose delayed pulse is above an amplitude
  threshold, fitted above the resolving cut.

``halflife`` settings (``HALFLIFE_SETTINGS``): ``role`` ("kr"), ``column`` ("total_pe"),
``range`` (the peak window ``[lo, hi]``; default: mean +- ``n_sigma`` sigma of the ``kr`` peak of
an earlier ``peak_fit`` result), ``n_sigma`` (2), ``bin_s`` (600), ``exclude_before_s``
("auto": the filling period is found in each run's own rate with ``filling_end_s``; a number
of seconds: fit from there; None: fit from ``t_start_s``), ``t_start_s`` (0), ``t_stop_s``
(default: the later of the run's live time and its last event),
``apply_cuts`` (true), ``ftop_bins`` (50 bins over [0, 1]), ``minos`` (false). Time bins are
real-time bins of ``time_s`` (see ``analysis_core.fitting.decay``). The exclusion actually used
is ``HalfLifeResult.exclude_before_s`` (a session replayed on a new Kr run with "auto" finds
that run's filling period, wherever its injection started).

``delay`` settings (``DELAY_SETTINGS``): ``role`` ("kr"), ``min_ns`` (160, see below),
``max_ns`` (1200), ``bin_ns`` (4), ``amp_threshold_adc`` (100: the 9.4 keV singlet peak is
~160 ADC, picks on the triplet tail of the first pulse ~60-80 ADC), ``flat_background``
(true), ``apply_cuts`` (true), ``column`` ("total_pe") and ``range`` (optional window on it,
e.g. the Kr peak), ``minos`` (false).

Why the delay fit starts at 160 ns by default, not at the 152 ns resolving cut: the reduction
searches the delayed pulse from ``t0 + 152 ns``, so a 9.4 keV pulse that peaked just before
that is picked on its falling edge in the first samples of the search (delays of 152-156 ns).
On simulated runs (3 x 8000 Kr events) a fit from 152 ns has chi2/ndf 2-3 and a half-life
1-3 sigma low; from 160 ns (two samples later) chi2/ndf is 1.05 and the pulls are ~N(0, 1).
``kept_fraction`` is reported for the ``min_ns`` actually used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis_core.errors import CalibrationError
from analysis_core.fitting.decay import decay_model_counts, fit_halflife, rate_histogram
from analysis_core.fitting.delay import fit_delay
from analysis_core.fitting.result import FitResult
from analysis_core.fitting.step_common import (
    check_range,
    check_settings,
    column,
    selection,
    table_name,
)
from analysis_core.histograms import Hist2D
from analysis_core.steps import StepInputs

__all__ = [
    "DELAY_SETTINGS",
    "HALFLIFE_SETTINGS",
    "DelayResult",
    "HalfLifeResult",
    "compute_delay",
    "compute_halflife",
    "delay_selection",
    "filling_end_s",
]

HALFLIFE_SETTINGS: dict[str, Any] = {
    "role": "kr",
    "column": "total_pe",
    "range": None,
    "n_sigma": 2.0,
    "bin_s": 600.0,
    "exclude_before_s": "auto",
    "t_start_s": 0.0,
    "t_stop_s": None,
    "apply_cuts": True,
    "ftop_bins": 50,
    "minos": False,
}

DELAY_SETTINGS: dict[str, Any] = {
    "role": "kr",
    "min_ns": 160.0,
    "max_ns": 1200.0,
    "bin_ns": 4.0,
    "amp_threshold_adc": 100.0,
    "flat_background": True,
    "apply_cuts": True,
    "column": "total_pe",
    "range": None,
    "minos": False,
}


def _arr(x: Any) -> NDArray[np.float64]:
    return np.asarray(x, dtype=float)


@dataclass(frozen=True, eq=False)
class HalfLifeResult:
    """Kr rate versus time and its decay fit.

    Attributes
    ----------
    fit : FitResult
        ``fit_halflife`` result (``half_life_s``, ``r0_hz``, ``background_hz``).
    edges_s, counts : ndarray
        Time bins from ``t_start_s`` (all of them, including the excluded filling period) and
        the window events per bin.
    fitted : ndarray of bool
        Bins used by the fit.
    window : (float, float)
        The peak window on ``column``.
    ftop : Hist2D
        ftop (y, 0..1) versus time (x, the same bins) of the window events.
    n_selected : int
        Events in the window after cuts.
    settings : dict
        The complete settings used.
    exclude_before_s : float or None
        The start of the fit actually used: ``settings["exclude_before_s"]``, or for "auto" the
        end of the filling period found in this run (None: nothing excluded).
    """

    fit: FitResult
    edges_s: NDArray[np.float64]
    counts: NDArray[np.float64]
    fitted: NDArray[np.bool_]
    window: tuple[float, float]
    ftop: Hist2D
    n_selected: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
    exclude_before_s: float | None = None

    @property
    def rate_hz(self) -> NDArray[np.float64]:
        """Counts per second in each time bin."""
        return self.counts / np.diff(self.edges_s)

    @property
    def rate_err_hz(self) -> NDArray[np.float64]:
        """Poisson error of the rate (``sqrt(max(n, 1)) / dt``)."""
        return np.sqrt(np.maximum(self.counts, 1.0)) / np.diff(self.edges_s)

    def model_rate_hz(self) -> NDArray[np.float64]:
        """Fitted model as a mean rate per bin (NaN when the fit has no values)."""
        return decay_model_counts(self.fit, self.edges_s) / np.diff(self.edges_s)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "fit": self.fit.to_dict(),
            "edges_s": self.edges_s.tolist(),
            "counts": self.counts.tolist(),
            "fitted": self.fitted.tolist(),
            "window": list(self.window),
            "ftop": self.ftop.to_dict(),
            "n_selected": self.n_selected,
            "settings": dict(self.settings),
            "exclude_before_s": self.exclude_before_s,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HalfLifeResult:
        """Rebuild a result written by :meth:`to_dict`."""
        lo, hi = d["window"]
        return cls(
            fit=FitResult.from_dict(d["fit"]),
            edges_s=_arr(d["edges_s"]),
            counts=_arr(d["counts"]),
            fitted=np.asarray(d["fitted"], dtype=bool),
            window=(float(lo), float(hi)),
            ftop=Hist2D.from_dict(d["ftop"]),
            n_selected=int(d.get("n_selected", 0)),
            settings=dict(d.get("settings", {})),
            exclude_before_s=_exclusion(d.get("exclude_before_s", d.get("settings", {}))),
        )


def _exclusion(value: Any) -> float | None:
    """Return the exclusion of an older result (a number, or the one its settings held)."""
    if isinstance(value, Mapping):
        value = value.get("exclude_before_s")
    return float(value) if isinstance(value, int | float) else None


def filling_end_s(edges_s: NDArray[np.float64], counts: NDArray[np.float64]) -> float | None:
    """Return the end of the filling period of an injection run, or None.

    The Kr rate rises while the source fills the detector, then only decays: the filling is
    over at the end of the time bin with the highest rate. None when there are fewer than 4
    bins or no events (nothing to exclude). A run that only decays loses its first bin.

    Parameters
    ----------
    edges_s, counts : ndarray
        Time-bin edges (s) and the peak-window events per bin (``rate_histogram``).
    """
    counts = np.asarray(counts, dtype=float)
    edges_s = np.asarray(edges_s, dtype=float)
    if counts.size < 4 or not np.any(counts > 0):
        return None
    rate = counts / np.diff(edges_s)
    return float(edges_s[int(np.argmax(rate)) + 1])


def _exclude_setting(value: Any) -> float | str | None:
    if value is None or value == "auto":
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value):
        return float(value)
    raise CalibrationError(
        f'halflife settings: exclude_before_s must be "auto", a number of seconds or None, '
        f"got {value!r}"
    )


def _kr_window(inputs: StepInputs, s: Mapping[str, Any]) -> tuple[float, float]:
    if s["range"] is not None:
        return check_range("halflife", "range", s["range"])
    peaks = getattr(inputs.results.get("peak_fit"), "peaks", {}) or {}
    peak = next(
        (p for k, p in sorted(peaks.items()) if p.role == s["role"] and p.column == s["column"]),
        None,
    )
    if peak is None or not peak.fit.valid:
        raise CalibrationError(
            "halflife settings: give the peak window 'range' [lo, hi], or fit the "
            f"{s['role']!r} peak of {s['column']!r} first (peak_fit step)"
        )
    mean, sigma, k = peak.fit["mean"], peak.fit["sigma"], float(s["n_sigma"])
    return mean - k * sigma, mean + k * sigma


def compute_halflife(inputs: StepInputs, settings: Mapping[str, Any]) -> HalfLifeResult:
    """Run the ``halflife`` step (see the module docstring for ``settings``).

    Raises
    ------
    CalibrationError
        Missing run, column or window, or bad settings.
    """
    check_settings("halflife", settings, HALFLIFE_SETTINGS)
    s = {**HALFLIFE_SETTINGS, **settings}
    table, mask = selection(inputs, str(s["role"]), bool(s["apply_cuts"]))
    lo, hi = _kr_window(inputs, s)
    values = column(table, str(s["column"]))
    times = column(table, "time_s")
    sel = mask & (values >= lo) & (values < hi) & np.isfinite(times)
    t_start = float(s["t_start_s"])
    t_stop = s["t_stop_s"]
    if t_stop is None:
        # the run's duration: its recorded live time, or its last event if that is later (a
        # live time net of dead time is shorter than the real time the bins span)
        live = table.livetime_s
        last = float(times[np.isfinite(times)].max(initial=0.0))
        t_stop = max(live, last) if np.isfinite(live) else last
    t_stop = float(t_stop)
    if not t_stop > t_start:
        raise CalibrationError(
            f"{table_name(table)}: halflife time range is empty ({t_start:g} to {t_stop:g} s)"
        )
    bin_s = float(s["bin_s"])
    if not bin_s > 0:
        raise CalibrationError(f"halflife settings: bin_s must be > 0, got {s['bin_s']!r}")
    edges, counts = rate_histogram(times[sel], t_start, t_stop, bin_s)
    setting = _exclude_setting(s["exclude_before_s"])
    exclude = filling_end_s(edges, counts) if setting == "auto" else setting
    fit = fit_halflife(times[sel], t_start, t_stop, bin_s, exclude, minos=bool(s["minos"]))
    fit_lo, fit_hi = fit.extra.get("fit_range_s", [t_start if exclude is None else exclude, t_stop])
    centres = 0.5 * (edges[:-1] + edges[1:])
    fitted = (centres >= float(fit_lo)) & (centres <= float(fit_hi))
    ftop = _ftop_vs_time(times[sel], column(table, "ftop")[sel], edges, int(s["ftop_bins"]))
    return HalfLifeResult(
        fit=fit,
        edges_s=edges,
        counts=counts,
        fitted=fitted,
        window=(float(lo), float(hi)),
        ftop=ftop,
        n_selected=int(np.count_nonzero(sel)),
        settings=s,
        exclude_before_s=exclude,
    )


def _ftop_vs_time(
    times: NDArray[np.float64], ftop: NDArray[np.float64], edges: NDArray[np.float64], n: int
) -> Hist2D:
    """Histogram ftop vs time of the window events (a few 10^4 rows: numpy is fast enough here).

    The time bins may end with a shorter bin, so they are given as edges.
    """
    y_edges = np.linspace(0.0, 1.0, max(n, 1) + 1)
    ok = np.isfinite(times) & np.isfinite(ftop)
    counts, _, _ = np.histogram2d(times[ok], ftop[ok], bins=(edges, y_edges))
    return Hist2D(edges, y_edges, counts, counts.copy(), int(np.count_nonzero(~ok)))


@dataclass(frozen=True, eq=False)
class DelayResult:
    """Delay distribution of the second 83mKr pulse and its fit.

    Attributes
    ----------
    fit : FitResult
        ``fit_delay`` result (``half_life_ns``, ``n_signal``, ``background_per_ns``).
    edges_ns, counts : ndarray
        Histogram of every selected delay from 0 to ``max_ns`` (below the cut too, to show it).
    n_selected : int
        Events passing the cuts, the window and the amplitude threshold.
    settings : dict
        The complete settings used.
    """

    fit: FitResult
    edges_ns: NDArray[np.float64]
    counts: NDArray[np.float64]
    n_selected: int = 0
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "fit": self.fit.to_dict(),
            "edges_ns": self.edges_ns.tolist(),
            "counts": self.counts.tolist(),
            "n_selected": self.n_selected,
            "settings": dict(self.settings),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DelayResult:
        """Rebuild a result written by :meth:`to_dict`."""
        return cls(
            fit=FitResult.from_dict(d["fit"]),
            edges_ns=_arr(d["edges_ns"]),
            counts=_arr(d["counts"]),
            n_selected=int(d.get("n_selected", 0)),
            settings=dict(d.get("settings", {})),
        )


def delay_selection(
    inputs: StepInputs, settings: Mapping[str, Any]
) -> tuple[NDArray[np.float64], dict[str, Any]]:
    """Return the delays (ns) selected by ``settings`` and the complete settings."""
    check_settings("delay", settings, DELAY_SETTINGS)
    s = {**DELAY_SETTINGS, **settings}
    table, mask = selection(inputs, str(s["role"]), bool(s["apply_cuts"]))
    amp = column(table, "delayed_amp_adc")
    delay = column(table, "delayed_time_ns")
    sel = mask & (amp > float(s["amp_threshold_adc"])) & np.isfinite(delay)
    if s["range"] is not None:
        lo, hi = check_range("delay", "range", s["range"])
        values = column(table, str(s["column"]))
        sel &= (values >= lo) & (values < hi)
    return delay[sel], s


def compute_delay(inputs: StepInputs, settings: Mapping[str, Any]) -> DelayResult:
    """Run the ``delay`` step (see the module docstring for ``settings``).

    Raises
    ------
    CalibrationError
        Missing run or column, or bad settings.
    """
    delays, s = delay_selection(inputs, settings)
    lo, hi, bin_ns = float(s["min_ns"]), float(s["max_ns"]), float(s["bin_ns"])
    if not (0 <= lo < hi) or not bin_ns > 0:
        raise CalibrationError(
            f"delay settings: need 0 <= min_ns < max_ns and bin_ns > 0, got {lo}, {hi}, {bin_ns}"
        )
    fit = fit_delay(delays, lo, hi, bin_ns=bin_ns, flat_background=bool(s["flat_background"]))
    run_type = inputs.table(str(s["role"])).run_type
    if run_type not in ("kr83m", "unknown"):
        # second pulses of a run without 83mKr are afterpulses and pile-up: a "half-life"
        # fitted to them means nothing, however good the fit
        note = f"a {run_type!r} run, not 83mKr: its delayed pulses are not 9.4 keV decays"
        old = fit.extra.get("warning")
        fit.extra["warning"] = f"{note}; {old}" if old else note
    edges = np.arange(0.0, hi + 0.5 * bin_ns, bin_ns)
    counts, _ = np.histogram(delays, bins=edges)
    return DelayResult(
        fit=fit,
        edges_ns=edges,
        counts=counts.astype(float),
        n_selected=int(delays.size),
        settings=s,
    )
