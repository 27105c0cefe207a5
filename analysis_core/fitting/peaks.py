"""Peak fits of PE and amplitude spectra (41.5 keV Kr, 59.5 keV 241Am, 122 keV 57Co, ...).

What to use when
----------------
- ``fit_peak(hist_or_edges, counts, variances, range_=(lo, hi), model=..., cost=...)``: fit one
  peak (or two) in a window of a histogram; returns a ``FitResult`` and never raises for data
  problems (empty range, too few counts, flat data, no convergence, peak at the range edge):
  ``valid=False`` and a plain ``message`` instead. A ``FitError`` is raised only for a wrong
  call (unknown model or cost, arrays that do not match, Poisson cost on non-integer data).
- Models (``MODELS``):

  ============================  =========================================================
  ``gauss``                     area, mean, sigma
  ``gauss+linear``              + ``bkg_c0`` (counts per unit x at the range centre), ``bkg_c1``
  ``gauss+exp``                 + ``bkg_c0`` (same), ``bkg_slope`` (1 / unit x)
  ``two_gauss``                 area, mean, sigma, area_2, mean_2, sigma_2
  ``two_gauss+linear``          + ``bkg_c0``, ``bkg_c1``
  ``gauss_exptail+template``    area, mean (the mode), sigma, tail (k: where the exponential
                                tail starts, in sigmas; side ``tail="high"`` or ``"low"``),
                                template_scale (x the template histogram, e.g. the 39Ar
                                delayed-peak amplitudes of Analysis A)
  ``gauss_doublet``             area, mean, sigma (the main line), area_ratio (second line's
                                area / area; held fixed unless ``doublet_ratio="free"``); the
                                second line sits at ``mean x E2/E1`` with width
                                ``sigma x sqrt(E2/E1)`` (``doublet_kev=(E1, E2)``; default the
                                57Co 122.06/136.47 keV pair; see ``peak_models``)
  ``gauss_doublet+linear``      + ``bkg_c0``, ``bkg_c1``
  ============================  =========================================================

  ``area`` is the peak's total count over all x (not only inside the range).
- Costs (``COSTS``): ``chi2`` (least squares with the given variances; required for
  background-subtracted spectra, whose contents are not Poisson), ``poisson`` (binned extended
  Poisson likelihood; raw integer counts only; its ``chi2`` is the Poisson deviance), ``auto``
  (``poisson`` when the counts are raw integers and some bin in the range holds fewer than
  ``LOW_COUNTS``, ``chi2`` otherwise; ``extra["cost_reason"]`` says which and why).
- Every model is integrated over each bin (differences of cumulative functions), so wide bins
  cause no bias. ``extra`` holds ``resolution`` (sigma / mean) and ``resolution_err`` (from the
  covariance), ``area``/``area_err``, the fit range actually used (whole bins whose centres lie
  in ``range_``), and what ``peak_model_density``/``peak_model_counts`` need to draw the fit.
- ``peak_model_density(fit, x, component=...)`` and ``peak_model_counts(fit, edges)`` evaluate a
  fitted model for plots (density in counts per unit x; counts per bin).

Histograms: pass an object with ``edges``, ``counts`` and ``variances`` attributes (e.g.
``analysis_core.histograms.Hist1D``) as the first argument, or the plain arrays.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from iminuit import cost as icost
from numpy.typing import ArrayLike, NDArray

from analysis_core.errors import FitError
from analysis_core.fitting.costs import BinnedPoissonDeviance, goodness_of_fit
from analysis_core.fitting.peak_models import (
    MODELS,
    PeakModel,
    doublet_lines,
    model_parameters,
    peak_model_counts,
    peak_model_density,
)
from analysis_core.fitting.peak_start import estimate_start
from analysis_core.fitting.result import FitResult, minimize

__all__ = [
    "COSTS",
    "LOW_COUNTS",
    "MODELS",
    "fit_peak",
    "model_parameters",
    "peak_model_counts",
    "peak_model_density",
]

#: Cost functions by name.
COSTS = ("auto", "chi2", "poisson")
#: ``cost="auto"`` picks the Poisson likelihood when a bin of raw counts holds fewer than this.
LOW_COUNTS = 20
#: A peak whose area is below this many standard errors is reported as not significant.
MIN_SIGNIFICANCE = 2.0
#: ``minimize`` messages after which the fit is restarted from where it stopped.
_RETRY = ("no convergence", "covariance matrix not accurate", "minimum not valid")


def _unpack(
    edges: Any, counts: ArrayLike | None, variances: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None]:
    if hasattr(edges, "edges") and hasattr(edges, "counts"):
        hist = edges
        edges, counts = hist.edges, hist.counts
        if variances is None:
            variances = getattr(hist, "variances", None)
    e = np.asarray(edges, dtype=float)
    if counts is None:
        raise FitError("fit_peak needs counts (or a histogram with edges and counts)")
    c = np.asarray(counts, dtype=float)
    if e.ndim != 1 or c.ndim != 1 or e.size != c.size + 1:
        raise FitError(
            f"histogram shapes do not match: {e.size} edges for {c.size} bins (need bins + 1)"
        )
    if e.size > 1 and not np.all(np.diff(e) > 0):
        raise FitError("histogram edges must increase strictly")
    v = None if variances is None else np.asarray(variances, dtype=float)
    if v is not None and v.shape != c.shape:
        raise FitError(f"variances have {v.size} bins, counts {c.size}")
    return e, c, v


def _is_raw(c: NDArray[np.float64], v: NDArray[np.float64] | None) -> bool:
    raw = bool(np.all(c >= 0) and np.all(np.abs(c - np.round(c)) < 1e-9))
    return raw and (v is None or bool(np.allclose(v, c, rtol=1e-9, atol=1e-9)))


def _template_counts(template: Any, edges: NDArray[np.float64]) -> NDArray[np.float64]:
    if template is None:
        raise FitError("model gauss_exptail+template needs a template histogram (template=...)")
    if hasattr(template, "counts"):
        t_edges = np.asarray(template.edges, dtype=float)
        if t_edges.shape != edges.shape or not np.allclose(t_edges, edges):
            raise FitError("the template histogram must have the same bin edges as the data")
        t = np.asarray(template.counts, dtype=float)
    else:
        t = np.asarray(template, dtype=float)
    if t.shape != (edges.size - 1,):
        raise FitError(f"template has {t.size} bins, the data {edges.size - 1}")
    return t


def fit_peak(
    edges: Any,
    counts: ArrayLike | None = None,
    variances: ArrayLike | None = None,
    range_: tuple[float, float] | Sequence[float] | None = None,
    model: str = "gauss+linear",
    cost: str = "auto",
    start: Mapping[str, float] | None = None,
    *,
    template: Any = None,
    tail: str = "high",
    fixed: Sequence[str] = (),
    min_counts: float = 10.0,
    minos: bool = False,
    doublet_kev: Sequence[float] | None = None,
    doublet_ratio: float | str | None = None,
) -> FitResult:
    """Fit a peak model to the bins of a histogram inside ``range_``.

    Parameters
    ----------
    edges : array_like or histogram
        Bin edges (n + 1), or an object with ``edges``, ``counts`` and ``variances``.
    counts : array_like, optional
        Bin contents (n); counts or background-subtracted counts.
    variances : array_like, optional
        Variance of each bin (required for meaningful chi2 on subtracted spectra); None means
        Poisson (``variances = counts``).
    range_ : (float, float), optional
        Fit window in x units; bins whose centres lie inside are used. None = all bins.
    model : str
        One of ``MODELS``.
    cost : str
        One of ``COSTS``.
    start : mapping, optional
        Starting values overriding the estimates from the data (any subset of parameters).
    template : array_like or histogram, optional
        Background template on the same bins (``gauss_exptail+template`` only).
    tail : {"high", "low"}
        Side of the exponential tail of ``gauss_exptail+template``.
    fixed : sequence of str
        Parameters held at their start values.
    min_counts : float
        Raw-count fits with fewer counts in the range fail with "too few counts".
    minos : bool
        Also compute MINOS asymmetric errors (``FitResult.minos``).
    doublet_kev : (float, float), optional
        Doublet models only: energies ``(E1, E2)`` of the main and second line (default
        ``DOUBLET_KEV``, the 57Co pair); only their ratio matters.
    doublet_ratio : float or "free", optional
        Doublet models only: area of the second line / area of the main line, held fixed
        (default ``DOUBLET_RATIO``, the 57Co intensity ratio), or ``"free"`` to fit it.

    Returns
    -------
    FitResult
        ``extra`` has ``resolution``, ``resolution_err``, ``area``, ``area_err``, ``fit_range``,
        ``n_bins``, ``counts_in_range``, ``x_ref``, ``tail_side``, ``cost_reason``; doublet
        models add ``doublet_kev``, ``doublet_energy_ratio``, ``doublet_ratio_free`` and
        ``second_line`` (``energy_kev``, ``area``, ``mean``, ``sigma`` of the second line).

    Raises
    ------
    FitError
        For an unknown model or cost, mismatched arrays, a missing template, a Poisson cost
        on data that are not raw counts, or bad doublet energies or ratio.
    """
    names = model_parameters(model)
    if cost not in COSTS:
        raise FitError(f"unknown cost {cost!r}; choose one of {', '.join(COSTS)}")
    if tail not in ("high", "low"):
        raise FitError(f"tail must be 'high' or 'low', got {tail!r}")
    e, c, v = _unpack(edges, counts, variances)
    t_all = _template_counts(template, e) if model.startswith("gauss_exptail") else None
    raw = _is_raw(c, v)
    if cost == "poisson" and not raw:
        raise FitError(
            "the Poisson likelihood needs raw integer counts; use cost 'chi2' for "
            "background-subtracted or weighted spectra"
        )

    def failed(message: str) -> FitResult:
        return FitResult.failed(names, message, model=model, cost=cost)

    unknown = [n for n in fixed if n not in names]
    if unknown:
        raise FitError(f"cannot fix {unknown}: not parameters of model {model} ({names})")
    doublet = doublet_lines(model, doublet_kev, doublet_ratio)
    if doublet is not None and doublet[2] is not None and "area_ratio" not in fixed:
        fixed = (*fixed, "area_ratio")
    if range_ is not None and len(range_) != 2:
        raise FitError(f"range_ must be (lo, hi), got {range_!r}")
    centres_all = 0.5 * (e[:-1] + e[1:])
    lo, hi = (float(e[0]), float(e[-1])) if range_ is None else map(float, range_)
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
        return failed(f"empty range: lower end {lo:g} is not below upper end {hi:g}")
    sel = np.flatnonzero((centres_all >= lo) & (centres_all <= hi))
    if sel.size == 0:
        return failed(f"empty range: no bin centre between {lo:g} and {hi:g}")
    i0, i1 = int(sel[0]), int(sel[-1]) + 1
    xe, cr = e[i0 : i1 + 1], c[i0:i1]
    vr = None if v is None else v[i0:i1]
    n_free = len(names) - len(fixed)
    if cr.size < n_free + 2:
        return failed(
            f"too few bins in range: {cr.size} bins for {n_free} free parameters "
            f"(need at least {n_free + 2}); widen the range or use finer bins"
        )
    total = float(np.sum(cr))
    if raw and total < min_counts:
        return failed(f"too few counts in range: {total:g} (need at least {min_counts:g})")
    if not total > 0:
        return failed(f"too few counts in range: the sum of the bins is {total:g}")

    if cost == "auto":
        if raw and float(np.min(cr)) < LOW_COUNTS:
            cost_used = "poisson"
            reason = f"auto: raw counts with bins below {LOW_COUNTS} -> Poisson likelihood"
        else:
            cost_used = "chi2"
            reason = (
                f"auto: raw counts, every bin >= {LOW_COUNTS} -> chi2"
                if raw
                else "auto: weighted/subtracted counts -> chi2 with the given variances"
            )
    else:
        cost_used, reason = cost, f"{cost} (requested)"

    x_lo, x_hi = float(xe[0]), float(xe[-1])
    x_ref = 0.5 * (x_lo + x_hi)
    widths = np.diff(xe)
    centres = 0.5 * (xe[:-1] + xe[1:])
    t_r = None if t_all is None else t_all[i0:i1]
    r_e = 1.0 if doublet is None else doublet[1] / doublet[0]
    ev = PeakModel(model, x_ref, x_lo, tail, xe, t_r, r_e)
    guess = estimate_start(model, centres, widths, cr, x_ref, t_r)
    for k, val in (start or {}).items():
        if k not in names:
            raise FitError(f"start value for unknown parameter {k!r} of model {model}")
        guess[k] = float(val)
    if doublet is not None and doublet[2] is not None:
        guess["area_ratio"] = doublet[2]
    guess = {n: guess[n] for n in names}

    span = x_hi - x_lo
    limits: dict[str, tuple[float | None, float | None]] = {}
    for n in names:
        if n.startswith("sigma"):
            limits[n] = (1e-3 * span, 2.0 * span)
            guess[n] = min(max(guess[n], 2e-3 * span), span)
        elif n.startswith("area") or n == "template_scale":
            limits[n] = (0.0, None)
        elif n == "tail":
            limits[n] = (0.05, 20.0)
        elif n == "bkg_slope":
            # at most 50 e-folds across the range: enough for any spectrum, no overflow
            limits[n] = (-50.0 / span, 50.0 / span)
            guess[n] = min(max(guess[n], -25.0 / span), 25.0 / span)

    if cost_used == "poisson":

        def expected(*p: float) -> NDArray[np.float64]:
            return np.diff(ev.cdf(xe, p))

        cost_fn: Any = BinnedPoissonDeviance(cr, expected)
    else:
        var = np.array(cr if vr is None else vr, dtype=float)
        good = np.isfinite(var) & (var > 0)
        if not good.any():
            return failed("no bin in range has a positive variance")
        # empty bins of raw counts get the variance of one count (Neyman chi2 convention);
        # of weighted spectra, the smallest variance seen in the range
        floor = 1.0 if raw else float(np.min(var[good]))
        var[~good] = floor
        x2 = np.vstack([xe[:-1], xe[1:]])

        def per_bin(x: NDArray[np.float64], *p: float) -> NDArray[np.float64]:
            return ev.cdf(x[1], p) - ev.cdf(x[0], p)

        cost_fn = icost.LeastSquares(x2, cr, np.sqrt(var), per_bin, name=names)

    def run(values: Mapping[str, float], held: Sequence[str]) -> FitResult:
        return minimize(
            cost_fn,
            values,
            limits=limits,
            fixed=held,
            n_data=cr.size,
            model=model,
            cost_name=cost_used,
            run_minos=minos,
        )

    fit = run(guess, fixed)
    for _ in range(2):
        # MIGRAD started far from the minimum (wide ranges, strong backgrounds) often stops
        # short; restarting from where it stopped usually converges
        if not fit.message.startswith(_RETRY) or not all(map(math.isfinite, fit.values)):
            break
        fit = run(fit.params(), fixed)
    slope_fixed = False
    if model == "gauss+exp" and not fit.valid and "bkg_slope" not in fixed:
        c0, c0_err = fit["bkg_c0"], fit.error("bkg_c0")
        if math.isfinite(c0) and not abs(c0) > 2.0 * c0_err:
            # no background: its slope is undetermined and MIGRAD wanders along it; the
            # background is then a constant (consistent with zero)
            slope_fixed = True
            fit = run({**guess, "bkg_slope": 0.0}, (*fixed, "bkg_slope"))
    extra = _derived(fit, names)
    if doublet is not None:
        extra.update(ev.doublet_extra(fit.values, doublet))
    extra.update(
        {
            "fit_range": [x_lo, x_hi],
            "requested_range": [lo, hi],
            "n_bins": int(cr.size),
            "counts_in_range": total,
            "x_ref": x_ref,
            "tail_side": tail,
            "cost_reason": reason,
            "bkg_slope_fixed": slope_fixed,
            **goodness_of_fit(fit.chi2, fit.ndf, "try another model or range"),
        }
    )
    message = _judge(fit, extra, x_lo, x_hi, float(widths.min()))
    # held parameters already report error 0 (minimize zeroes the errors of fixed parameters)
    return dataclasses.replace(fit, extra=extra, valid=not message, message=message)


def _derived(fit: FitResult, names: Sequence[str]) -> dict[str, Any]:
    """Resolution and area (with errors) of the peak(s) from the values and covariance."""
    out: dict[str, Any] = {}
    cov = fit.cov
    for suffix in ("", "_2"):
        if f"mean{suffix}" not in names:
            continue
        im, is_, ia = (names.index(f"{p}{suffix}") for p in ("mean", "sigma", "area"))
        m, s = fit.values[im], fit.values[is_]
        res = s / m if m != 0 else float("nan")
        jac = np.array([-s / (m * m), 1.0 / m]) if m != 0 else np.full(2, np.nan)
        sub = cov[np.ix_([im, is_], [im, is_])]
        var = float(jac @ sub @ jac)
        out[f"resolution{suffix}"] = _clean(res)
        out[f"resolution{suffix}_err"] = _clean(math.sqrt(var) if var >= 0 else float("nan"))
        out[f"area{suffix}"] = _clean(fit.values[ia])
        out[f"area{suffix}_err"] = _clean(fit.errors[ia])
    return out


def _clean(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def _judge(fit: FitResult, extra: Mapping[str, Any], x_lo: float, x_hi: float, bw: float) -> str:
    """Plain reason why the fit should not be trusted ('' when it is fine).

    The physical checks (width, area, position) come first, so that a fit which stopped at a
    parameter limit on flat data says "flat data" rather than only "parameter at its limit".
    """
    msg = fit.message
    mean, sigma, area = fit["mean"], fit["sigma"], fit["area"]
    span = x_hi - x_lo
    if math.isfinite(sigma) and 2.0 * math.sqrt(2.0 * math.log(2.0)) * sigma > span:
        fwhm = 2.0 * math.sqrt(2.0 * math.log(2.0)) * sigma
        return (
            f"peak wider than the fit range: FWHM {fwhm:.4g} > range {span:.4g} "
            "(flat data, or widen the range)"
        )
    if math.isfinite(area) and area <= 1e-6 * max(float(extra.get("counts_in_range", 1.0)), 1.0):
        return "no peak: the fitted peak area is zero (flat data?)"
    if msg.startswith("parameter at its limit") and "sigma" in msg.split(":", 1)[-1]:
        return "no peak: the fitted width hits its limit (flat data or wrong range?)"
    if not fit.valid:
        return msg or "fit failed"
    if not (x_lo + bw <= mean <= x_hi - bw):
        return (
            f"peak at range edge: mean {mean:.4g} is not inside the fit range "
            f"[{x_lo:.4g}, {x_hi:.4g}] by at least one bin; move or widen the range"
        )
    area_v, area_err = extra.get("area"), extra.get("area_err")
    if area_v is None or area_err is None or not area_v > MIN_SIGNIFICANCE * area_err:
        return (
            f"no significant peak: area {area_v:.4g} +- {area_err:.4g} (flat data, or a range "
            "too narrow to tell the peak from the background)"
        )
    return ""
