"""Turn HPGe core results into the arrays and rows the widgets show (no Qt, no physics).

What to use when
----------------
- The HPGe controller calls these to feed the pane: ``spectrum_arrays`` and ``line_markers``
  for the spectrum view, ``region_fit_curves`` / ``analysis_fit_curves`` for fitted models and
  residuals, ``peak_rows`` for the peak table, ``efficiency_view``, ``attenuation_view`` and
  ``activity_view`` for the other tabs. Every number shown comes from the core objects
  unchanged; only units and layout are decided here.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis_core.hpge.efficiency_points import NEVER_USE_FLAGS
from analysis_core.hpge.nuclides import SUMMING_FLAGS
from analysis_core.hpge.peakmodel import RegionFit, region_curves
from widgets.activity_attenuation_table import AttenuationRow
from widgets.activity_table import ActivityLineRow, BudgetRow
from widgets.gamma_overlays import FitCurves
from widgets.peak_table import PeakRow

__all__ = [
    "EfficiencyView",
    "activity_view",
    "analysis_fit_curves",
    "attenuation_view",
    "efficiency_view",
    "fwhm_guess",
    "line_markers",
    "peak_rows",
    "region_fit_curves",
    "spectrum_arrays",
]

_GRID_PER_CHANNEL = 10


def spectrum_arrays(spectrum: Any) -> tuple[NDArray[np.float64], NDArray[np.float64], str]:
    """Return bin edges (keV, or channels when uncalibrated), counts and a note."""
    counts = np.asarray(spectrum.counts, dtype=float)
    if spectrum.energy_cal is None:
        return np.arange(counts.size + 1) - 0.5, counts, "no energy calibration: channels"
    return spectrum.edges_kev(), counts, ""


def line_markers(analysis: Any) -> tuple[list[float], list[str], list[str], list[float]]:
    """Return energies, labels (``"Eu-152 344.3"``), kinds and priorities of identified lines."""
    e, labels, kinds, pri = [], [], [], []
    for p in analysis.peaks:
        ln = p.line
        e.append(ln.energy_kev)
        labels.append(f"{ln.nuclide} {ln.energy_kev:.1f}")
        kinds.append("excluded" if (p.excluded or not p.fit.valid) else "identified")
        pri.append(float(ln.intensity))
    return e, labels, kinds, pri


def region_fit_curves(fit: RegionFit, spectrum: Any, label: str = "") -> FitCurves:
    """Return the model of a fitted region, its components and its residuals per channel.

    Residuals are ``(n - m) / sqrt(m)`` with ``m`` the model integrated over each channel
    (trapezoid rule on ``_GRID_PER_CHANNEL`` sub-intervals; the model is smooth on that scale).
    """
    lo, hi = fit.region_ch
    n_ch = hi - lo + 1
    curves = region_curves(fit, np.linspace(lo - 0.5, hi + 0.5, _GRID_PER_CHANNEL * n_ch + 1))
    x = curves.energy_kev
    base = curves.background + curves.step
    comps: list[tuple[str, NDArray[np.float64]]] = [
        (f"peak {p.energy_kev:.1f} keV", g + base)
        for p, g in zip(fit.peaks, curves.peaks, strict=True)
    ]
    comps.append(("background + step", base))
    if not fit.valid:
        return FitCurves(x, curves.total, tuple(comps), label=label or "failed fit")
    seg = curves.total[:-1].reshape(n_ch, _GRID_PER_CHANNEL)
    nxt = curves.total[_GRID_PER_CHANNEL::_GRID_PER_CHANNEL]
    m = (seg.sum(axis=1) - 0.5 * seg[:, 0] + 0.5 * nxt) / _GRID_PER_CHANNEL
    n = np.asarray(spectrum.counts[lo : hi + 1], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        resid = np.where(m > 0, (n - m) / np.sqrt(m), np.nan)
    cal = fit.energy_cal or spectrum.energy_cal
    ch = np.arange(lo, hi + 1, dtype=float)
    rx = cal.energy(ch) if cal is not None else ch
    return FitCurves(x, curves.total, tuple(comps), rx, resid, label)


def analysis_fit_curves(analysis: Any) -> list[FitCurves]:
    """Return the curves of every fitted region of an analysis."""
    return [region_fit_curves(r, analysis.spectrum) for r in analysis.regions if r.valid]


def fwhm_guess(analysis: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return energies and FWHM (keV) for double-click fits: the FWHM(E) model, else the fits."""
    model = getattr(analysis, "fwhm_model", None)
    e_lo = float(analysis.spectrum.edges_kev()[0])
    e_hi = float(analysis.spectrum.edges_kev()[-1])
    if model is not None and model.valid:
        grid = np.linspace(max(e_lo, 1.0), e_hi, 64)
        return grid, np.asarray(model.fwhm_kev(grid), dtype=float)
    fits = [p.fit for p in analysis.peaks if p.fit.valid] + list(analysis.unidentified)
    fits = sorted((f for f in fits if f.valid and f.fwhm_kev > 0), key=lambda f: f.energy_kev)
    return (np.array([f.energy_kev for f in fits]), np.array([f.fwhm_kev for f in fits]))


def _status(peak: Any, exclude_summing: bool) -> str:
    if peak.excluded_reason:
        return peak.excluded_reason
    if not peak.fit.valid:
        return f"peak fit not valid: {peak.fit.message}".rstrip(": ")
    never = peak.line.flags & NEVER_USE_FLAGS
    if never:
        return f"not used: {', '.join(sorted(never))} line"
    if exclude_summing and peak.line.flags & SUMMING_FLAGS:
        return "excluded: summing-prone (setting)"
    return "ok"


def peak_rows(
    analysis: Any,
    excluded_kev: Sequence[float] = (),
    manual_fits: Sequence[RegionFit] = (),
    *,
    exclude_summing: bool = False,
    unidentified: bool = True,
) -> list[PeakRow]:
    """Return the peak-table rows: identified lines, unidentified peaks, manual fits."""
    rows = []
    excl = [float(e) for e in excluded_kev]
    lines = []
    if analysis is not None:
        for p, resid in zip(analysis.peaks, analysis.energy_cal_residuals_kev, strict=True):
            f, ln = p.fit, p.line
            lines.append(ln)
            residual = f.energy_kev - ln.energy_kev if f.valid else math.nan
            rows.append(
                PeakRow(
                    energy_kev=ln.energy_kev,
                    label=f"{ln.nuclide} {ln.energy_kev:.2f}",
                    area=f.area,
                    area_err=f.area_err,
                    fwhm_kev=f.fwhm_kev,
                    centroid_residual_kev=residual if math.isfinite(residual) else resid,
                    chi2_ndf=f.chi2_ndf,
                    cost=f.cost,
                    status=_status(p, exclude_summing),
                    excluded=any(abs(ln.energy_kev - e) < 1e-3 for e in excl),
                    flags=", ".join(sorted(ln.flags)),
                )
            )
        for f in analysis.unidentified if unidentified else ():
            rows.append(_free_row(f, "unidentified", "ok" if f.valid else f.message))
    for region in manual_fits:
        for f in region.peaks:
            near = [ln for ln in lines if abs(ln.energy_kev - f.energy_kev) <= max(0.5, f.fwhm_kev)]
            label = f"manual: {near[0].nuclide} {near[0].energy_kev:.2f}" if near else "manual fit"
            status = "manual fit (shown, not used)" if f.valid else f"fit failed: {f.message}"
            rows.append(_free_row(f, label, status))
    return rows


def _free_row(f: Any, label: str, status: str) -> PeakRow:
    return PeakRow(
        f.energy_kev, label, f.area, f.area_err, f.fwhm_kev, math.nan, f.chi2_ndf, f.cost,
        status or "not valid", excludable=False,
    )  # fmt: skip


@dataclass(frozen=True)
class EfficiencyView:
    """Arrays for ``EfficiencyPlot.set_points`` / ``set_curve`` and a caption."""

    energy_kev: NDArray[np.float64]
    efficiency: NDArray[np.float64]
    efficiency_err: NDArray[np.float64]
    sources: list[str]
    flagged: NDArray[np.bool_]
    excluded: NDArray[np.bool_]
    residual_rel: NDArray[np.float64]
    residual_rel_err: NDArray[np.float64]
    pull: NDArray[np.float64]
    grid_kev: NDArray[np.float64]
    curve: NDArray[np.float64]
    band_lo: NDArray[np.float64]
    band_hi: NDArray[np.float64]
    fit_range_kev: tuple[float, float]
    title: str


def efficiency_view(curve: Any) -> EfficiencyView:
    """Return what the efficiency tab shows of an ``EfficiencyCurve``."""
    pts, res = curve.points, curve.residuals
    e = np.array([p.energy_kev for p in pts])
    rel = np.array([r.relative for r in res])
    u = np.array([p.independent_rel_err for p in pts])
    finite = e[np.isfinite([p.efficiency for p in pts])]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else curve.energy_range_kev
    grid = np.geomspace(0.85 * lo, 1.15 * hi, 300)
    eff = np.asarray(curve.efficiency(grid), dtype=float)
    band = np.asarray(curve.efficiency_rel_err(grid), dtype=float)
    n_used = sum(not p.excluded for p in pts)
    title = (
        f"ln ε = Σ aᵢ ln(E/{curve.e0_kev:g} keV)ⁱ, order {curve.order}: "
        f"χ²/ndf = {curve.chi2:.1f}/{curve.ndf}, {n_used} of {len(pts)} points used"
    )
    if curve.message:
        title += f"; {curve.message}"
    return EfficiencyView(
        energy_kev=e,
        efficiency=np.array([p.efficiency for p in pts]),
        efficiency_err=np.array([p.efficiency_err for p in pts]),
        sources=[p.source_label for p in pts],
        flagged=np.array([bool(p.flags & SUMMING_FLAGS) for p in pts], dtype=bool),
        excluded=np.array([p.excluded for p in pts], dtype=bool),
        residual_rel=rel,
        residual_rel_err=(1.0 + rel) * u,
        pull=np.array([r.pull for r in res]),
        grid_kev=grid,
        curve=eff,
        band_lo=eff * np.exp(-band),
        band_hi=eff * np.exp(band),
        fit_range_kev=tuple(curve.energy_range_kev),
        title=title,
    )


def attenuation_view(
    model: Any, points: Sequence[Any], assay_kev: Sequence[float] = (), message: str = ""
) -> tuple[list[AttenuationRow], tuple[NDArray, NDArray, NDArray], str]:
    """Return the rows, the model curve (E, mu, mu_err) and a summary of the transmission."""
    rows = [
        AttenuationRow(
            p.energy_kev,
            p.nuclide,
            p.mu,
            p.mu_err,
            float(model.mu(p.energy_kev)) if model is not None else math.nan,
        )  # fmt: skip
        for p in points
    ]
    if model is None:
        empty = np.zeros(0)
        why = message or "no container model"
        return rows, (empty, empty, empty), f"{why[:1].upper()}{why[1:]}; the assay uses μ = 1."
    energies = [p.energy_kev for p in points] + list(assay_kev)
    grid = np.linspace(0.9 * min(energies), 1.05 * max(energies), 200)
    mu = np.asarray(model.mu(grid), dtype=float)
    err = np.asarray(model.mu_err(grid), dtype=float)
    par = np.array(model.parameters)
    perr = np.sqrt(np.clip(np.diag(np.array(model.covariance, dtype=float)), 0.0, None))
    if model.kind == "power":
        k, k_err = math.exp(par[0]), math.exp(par[0]) * perr[0]
        text = (
            f"μ(E) = exp(−k (E/{model.e_ref_kev:g} keV)^−p): k = {k:.4f} ± {k_err:.4f}, "
            f"p = {par[1]:.3f} ± {perr[1]:.3f}; χ²/ndf = {model.chi2:.2f}/{model.ndf}"
        )
    elif model.kind == "constant":
        m = math.exp(par[0])
        text = f"μ = {m:.4f} ± {m * perr[0]:.4f} (weighted mean)"
        text += f"; χ²/ndf = {model.chi2:.2f}/{model.ndf}"
    else:
        text = f"μ(E) interpolated in ln E between {len(points)} measured lines"
    if assay_kev:
        at = ", ".join(
            f"{e:.1f} keV: {float(model.mu(e)):.4f} ± {float(model.mu_err(e)):.4f}"
            for e in assay_kev
        )
        text += f"\nAt the assayed lines: {at}"
    if model.message:
        text += f"\nNote: {model.message}"
    return rows, (grid, mu, err), text


def activity_view(report: Any) -> tuple[list[ActivityLineRow], list[BudgetRow], str]:
    """Return the per-line rows, the combined budget and a rich-text summary of an assay."""
    result, measured = report.result, report.measured
    inputs = {round(ln.energy_kev, 3): ln for ln in report.inputs.lines}
    rows = []
    for ln in result.lines:
        i = inputs[round(ln.energy_kev, 3)]
        rows.append(
            ActivityLineRow(
                ln.energy_kev, i.counts, i.counts_err, i.efficiency, i.efficiency_err,
                i.attenuation, i.attenuation_err, i.intensity, i.intensity_err,
                ln.activity_bq, ln.activity_err_bq, ln.weight,
                tuple((t.name, t.rel_err, t.abs_err_bq) for t in ln.budget),
            )
        )  # fmt: skip
    budget = [BudgetRow(t.name, t.rel_err, t.abs_err_bq, t.correlation) for t in result.budget]
    when = result.reference_time.strftime("%Y-%m-%d %H:%M") if result.reference_time else "?"
    parts = [
        f"<b>{html.escape(result.nuclide)} combined (GLS): {result.activity_bq:,.1f} &plusmn; "
        f"{result.activity_err_bq:,.1f} Bq</b> ({100 * result.rel_err:.2f} %) on {when}; "
        f"χ²/ndf = {result.chi2:.2f}/{result.ndf}"
    ]
    if measured is not result and measured.reference_time is not None:
        parts.append(
            f"At the start of the count ({measured.reference_time:%Y-%m-%d %H:%M}): "
            f"{measured.activity_bq:,.1f} &plusmn; {measured.activity_err_bq:,.1f} Bq"
        )
    parts.append(
        f"Independent weighted mean (ignores correlations, for comparison): "
        f"{result.naive_mean_bq:,.1f} &plusmn; {result.naive_mean_err_bq:,.1f} Bq"
    )
    for d in report.daughters:
        parts.append(
            f"Expected <b>{html.escape(d.name)}</b> in equilibrium: {d.activity_bq:,.1f} &plusmn; "
            f"{d.activity_err_bq:,.1f} Bq (branching {d.branching:g} × {d.equilibrium_factor:.5f})"
        )
    extra = result.extra
    if extra.get("extrapolated_lines_kev"):
        kev = ", ".join(f"{e:.1f}" for e in extra["extrapolated_lines_kev"])
        parts.append(f"<i>Efficiency extrapolated beyond the fitted range at {kev} keV.</i>")
    if extra.get("attenuation") == "none":
        parts.append("<i>No container correction (μ = 1).</i>")
    for s in extra.get("skipped_lines", []):
        parts.append(f"Skipped {s['energy_kev']:.1f} keV: {html.escape(s['reason'])}")
    return rows, budget, "<br>".join(parts)
