"""Half-life of a decaying source from the event rate versus time (the 83mKr injection run).

What to use when
----------------
- ``rate_histogram(event_times_s, t_start_s, t_stop_s, bin_s)``: counts per time bin (the last
  bin may be shorter; it ends at ``t_stop_s``), for fits and for drawing the rate.
- ``fit_halflife(event_times_s, t_start_s, t_stop_s, bin_s, exclude_before_s=None)``: binned
  Poisson likelihood of the expected counts per bin (``spec/physics.md`` 4)

      nu_k = (R0 / lambda) (exp(-lambda t_k) - exp(-lambda t_k+1)) + B (t_k+1 - t_k),

  with ``lambda = ln 2 / T``, times measured from the start of the fitted interval (so ``R0``
  is the source rate there, ``B`` the constant background rate). Parameters: ``half_life_s``,
  ``r0_hz``, ``background_hz``. Returns a ``FitResult``; data problems (too few events, no
  decay visible) give ``valid=False`` and a message, never an exception.
- ``decay_model_counts(fit, edges_s)``: expected counts of a fitted model per bin (to draw it).

Time and live time: RQ tables carry ``time_s``, the real time of each trigger since the start
of the run. Bins are therefore real-time bins. A dead-time fraction that is constant over the
run scales ``R0`` and ``B`` but not the half-life. If the dead time changes with the rate, pass
``live_fraction`` (one value per bin of the fitted interval, or a scalar): the expectation of
each bin is multiplied by it. The filling period of an injection run (the rate still rising)
is not modelled: exclude it with ``exclude_before_s`` (the fit starts at the first bin edge at
or after it, and bins are laid out from there).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from iminuit import cost as icost
from numpy.typing import ArrayLike, NDArray

from analysis_core.errors import FitError
from analysis_core.fitting.boundary import settle_at_zero
from analysis_core.fitting.costs import goodness_of_fit
from analysis_core.fitting.result import FitResult, minimize

__all__ = ["HALFLIFE_PARAMETERS", "decay_model_counts", "fit_halflife", "rate_histogram"]

#: Parameter names of ``fit_halflife``.
HALFLIFE_PARAMETERS = ("half_life_s", "r0_hz", "background_hz")
_LN2 = math.log(2.0)


def rate_histogram(
    event_times_s: ArrayLike, t_start_s: float, t_stop_s: float, bin_s: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return ``(edges_s, counts)`` of events in bins of ``bin_s`` from ``t_start_s``.

    The last bin ends at ``t_stop_s`` and may be shorter; NaN times are ignored.

    Raises
    ------
    FitError
        For a non-positive bin width or ``t_stop_s <= t_start_s``.
    """
    if not bin_s > 0:
        raise FitError(f"time bin width must be positive, got {bin_s!r} s")
    if not t_stop_s > t_start_s:
        raise FitError(f"time range is empty: stop {t_stop_s:g} s <= start {t_start_s:g} s")
    n_full = int(math.floor((t_stop_s - t_start_s) / bin_s * (1 + 1e-12)))
    edges = t_start_s + bin_s * np.arange(n_full + 1, dtype=float)
    if t_stop_s - edges[-1] > 1e-9 * bin_s:
        edges = np.append(edges, t_stop_s)
    t = np.asarray(event_times_s, dtype=float)
    counts, _ = np.histogram(t[np.isfinite(t)], bins=edges)
    return edges, counts.astype(float)


def _cumulative(
    x: NDArray[np.float64], t0: float, half_life_s: float, r0_hz: float, bkg_hz: float
) -> NDArray[np.float64]:
    lam = _LN2 / half_life_s
    u = x - t0
    return (r0_hz / lam) * -np.expm1(-lam * u) + bkg_hz * u


def _start_values(edges: NDArray[np.float64], counts: NDArray[np.float64]) -> dict[str, float]:
    widths = np.diff(edges)
    rate = counts / widths
    n = rate.size
    m = max(1, n // 5)
    bkg = max(float(np.sum(counts[-m:]) / np.sum(widths[-m:])), 0.0)
    head = max(float(np.sum(counts[:m]) / np.sum(widths[:m])) - bkg, 0.0)
    span = float(edges[-1] - edges[0])
    half = span / 3.0
    excess = rate - bkg
    centres = 0.5 * (edges[:-1] + edges[1:]) - edges[0]
    ok = excess > 3.0 * np.sqrt(np.maximum(counts, 1.0)) / widths
    if np.count_nonzero(ok) >= 3:
        w = counts[ok]
        slope, _ = np.polyfit(centres[ok], np.log(excess[ok]), 1, w=np.sqrt(w))
        if slope < 0:
            half = min(max(_LN2 / -slope, span / 50.0), 20.0 * span)
    return {"half_life_s": half, "r0_hz": max(head, 1e-6), "background_hz": bkg}


def fit_halflife(
    event_times_s: ArrayLike,
    t_start_s: float,
    t_stop_s: float,
    bin_s: float,
    exclude_before_s: float | None = None,
    *,
    live_fraction: ArrayLike | float | None = None,
    min_events: int = 20,
    minos: bool = False,
) -> FitResult:
    """Fit exponential decay plus a constant to the binned event times.

    Parameters
    ----------
    event_times_s : array_like
        Times of the selected events (e.g. in the 41.5 keV window), seconds since run start.
    t_start_s, t_stop_s : float
        Interval of the data (e.g. 0 and the run duration).
    bin_s : float
        Width of the time bins.
    exclude_before_s : float, optional
        Leave out everything before this time (the filling period).
    live_fraction : array_like or float, optional
        Live fraction of each fitted bin (default 1).
    min_events : int
        Fewer events in the fitted interval give an invalid result ("too few events").
    minos : bool
        Also compute MINOS asymmetric errors (``FitResult.minos``).

    Returns
    -------
    FitResult
        Parameters ``half_life_s``, ``r0_hz`` (rate at the start of the fitted interval),
        ``background_hz``; ``extra``: ``t_ref_s``, ``fit_range_s``, ``n_bins``, ``n_events``,
        ``bin_s``, ``half_life_h``, ``half_life_err_h``.

    Raises
    ------
    FitError
        For a non-positive bin width, an empty time range, or a ``live_fraction`` that does not
        match the bins.
    """
    names = HALFLIFE_PARAMETERS
    model = "exp_decay+const"
    lo = float(t_start_s)
    if exclude_before_s is not None and exclude_before_s > lo:
        lo = float(exclude_before_s)
    if not t_stop_s > lo:
        return FitResult.failed(
            names, f"empty time range: {lo:g} s to {t_stop_s:g} s", model=model, cost="poisson"
        )
    edges, counts = rate_histogram(event_times_s, lo, float(t_stop_s), float(bin_s))
    n_events = float(counts.sum())
    if counts.size < 4:
        return FitResult.failed(
            names,
            f"too few time bins: {counts.size} (need at least 4); use shorter bins",
            model=model,
            cost="poisson",
        )
    if n_events < min_events:
        return FitResult.failed(
            names,
            f"too few events in the fitted interval: {n_events:g} (need at least {min_events})",
            model=model,
            cost="poisson",
        )
    if live_fraction is None:
        live = np.ones(counts.size)
    else:
        live = np.broadcast_to(np.asarray(live_fraction, dtype=float), counts.shape).copy()
        if np.any(~np.isfinite(live)) or np.any(live <= 0) or np.any(live > 1):
            raise FitError("live_fraction must lie in (0, 1] for every bin")
    t_ref = float(edges[0])

    def per_bin(x: NDArray[np.float64], *p: float) -> NDArray[np.float64]:
        return live * np.diff(_cumulative(x, t_ref, *p))

    def scaled_cdf(x: NDArray[np.float64], *p: float) -> NDArray[np.float64]:
        return np.concatenate(([0.0], np.cumsum(per_bin(x, *p))))

    cost = icost.ExtendedBinnedNLL(counts, edges, scaled_cdf, name=names)
    span = float(edges[-1] - edges[0])
    start = _start_values(edges, counts / live)
    limits: dict[str, tuple[float | None, float | None]] = {
        "half_life_s": (1e-3 * span, 1e3 * span),
        "r0_hz": (0.0, None),
        "background_hz": (0.0, None),
    }

    def run(fixed: tuple[str, ...] = (), **values: float) -> FitResult:
        return minimize(
            cost,
            {**start, **values},
            limits=limits,
            fixed=fixed,
            n_data=counts.size,
            model=model,
            cost_name="poisson",
            run_minos=minos,
        )

    fit, bkg_at_zero = settle_at_zero(
        run(),
        "background_hz",
        limits,
        span,
        lambda: run(("background_hz",), background_hz=0.0),
    )
    t_half, t_err = fit["half_life_s"], fit.error("half_life_s")
    extra: dict[str, Any] = {
        "t_ref_s": t_ref,
        "fit_range_s": [t_ref, float(edges[-1])],
        "n_bins": int(counts.size),
        "n_events": n_events,
        "bin_s": float(bin_s),
        "background_at_zero": bkg_at_zero,
        **goodness_of_fit(fit.chi2, fit.ndf, "is the filling period excluded (exclude_before_s)?"),
        "half_life_h": _clean(t_half / 3600.0),
        "half_life_err_h": _clean(t_err / 3600.0),
    }
    message = fit.message
    if message.startswith("parameter at its limit") and "r0_hz" in message:
        message = "no decay visible: the fitted source rate is zero (flat rate?)"
    elif message.startswith("parameter at its limit") and "half_life_s" in message:
        message = "half-life not constrained by the fitted interval (no decay visible?)"
    elif message in ("minimum not valid", "a parameter is at its limit"):
        message = f"no decay visible (flat rate?): {message}"
    elif not message and not t_half > 2.0 * t_err:
        message = f"half-life not determined: {t_half:.4g} +- {t_err:.4g} s (flat rate?)"
    return dataclasses.replace(fit, extra=extra, message=message, valid=not message)


def _clean(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def decay_model_counts(fit: FitResult, edges_s: ArrayLike) -> NDArray[np.float64]:
    """Return the expected counts per bin of a fitted decay model on ``edges_s``.

    Bins before the fit's reference time extrapolate the exponential backwards.
    """
    e = np.asarray(edges_s, dtype=float)
    t_ref = float(fit.extra.get("t_ref_s", 0.0))
    return np.diff(_cumulative(e, t_ref, *fit.values))
