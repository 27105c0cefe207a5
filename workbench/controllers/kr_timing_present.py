"""Turn half-life and delay results into what the Kr-timing pane draws.

What to use when
----------------
- ``show_halflife(pane, result, ftop_cut=...)``: rate points (hours), fitted decay with pulls,
  excluded filling period, half-life text, ftop vs time with its mean, and the parameter table.
- ``show_delay(pane, result, resolving_cut_ns)``: the delay histogram, the fitted exponential
  with pulls, the resolving cut and the fit start marked, and the parameter table.

Run in the GUI thread on finished results (cheap numpy on a few hundred bins).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from analysis_core.fitting.decay import decay_model_counts
from analysis_core.fitting.delay import delay_model_counts
from widgets.fit_params_table import ParamRow
from widgets.spectrum_fit_plot import FitCurve, SpectrumSeries
from workbench.controllers.spectrum_fit_present import pulls

__all__ = [
    "LITERATURE_HALF_LIFE_H",
    "show_delay",
    "show_halflife",
]

#: 83mKr half-life (ENSDF), quoted beside the fitted one.
LITERATURE_HALF_LIFE_H = 1.83
_H = 3600.0


def _finite(fit: Any) -> bool:
    return bool(fit.values) and bool(np.all(np.isfinite(fit.values)))


def show_halflife(pane: Any, r: Any, *, ftop_cut: bool = False) -> None:
    """Draw a ``HalfLifeResult`` in the rate plot, the ftop map and the half-life table.

    ``ftop_cut``: the events passed an enabled cut on ftop, which hides the early top-heavy
    Kr (the map's title says so).
    """
    fit = r.fit
    edges_h = np.asarray(r.edges_s, dtype=float) / _H
    centres = 0.5 * (edges_h[:-1] + edges_h[1:])
    lo, hi = r.window
    unit = "PE" if str(r.settings.get("column", "")).endswith("_pe") else ""
    pane.rate.set_points(
        centres,
        r.rate_hz,
        r.rate_err_hz,
        used=r.fitted,
        title=f"{r.n_selected} events in the window {lo:.4g}–{hi:.4g} {unit}",
    )
    t0 = float(r.edges_s[0])
    excl = getattr(r, "exclude_before_s", None)  # the one used ("auto" resolved)
    pane.rate.set_exclusion(t0 / _H, (float(excl) if excl else t0) / _H)
    if _finite(fit):
        a, b = fit.extra.get("fit_range_s", [t0, float(r.edges_s[-1])])
        fine = np.linspace(float(a), float(b), 301)
        y = decay_model_counts(fit, fine) / np.diff(fine)
        sel = np.asarray(r.fitted, dtype=bool)
        model = decay_model_counts(fit, r.edges_s)
        p = pulls(np.asarray(r.counts)[sel], None, model[sel])
        x = 0.5 * (fine[:-1] + fine[1:]) / _H
        pane.rate.set_fit(FitCurve(x, y, centres[sel], p, "decay + constant"))
        t, dt = fit["half_life_s"] / _H, fit.error("half_life_s") / _H
        pane.rate.set_annotation(
            f"T½ = {t:.3f} ± {dt:.3f} h  (83mKr: {LITERATURE_HALF_LIFE_H} h)\n"
            f"background {fit['background_hz']:.3g} ± {fit.error('background_hz'):.2g} Hz"
            + ("" if fit.valid else "\nfit NOT valid")
        )
    else:
        pane.rate.set_fit(None)
        pane.rate.set_annotation(f"no fit: {fit.message}")
    h = r.ftop
    xe = np.asarray(h.x_edges, dtype=float) / _H
    title = "ftop of the window events vs time"
    if ftop_cut:
        title += " — an ftop cut is applied: untick 'Apply cuts' to see the mixing"
    pane.time_map.set_map(xe, h.y_edges, h.counts, title=title)
    counts = np.asarray(h.counts, dtype=float)
    yc = 0.5 * (np.asarray(h.y_edges)[1:] + np.asarray(h.y_edges)[:-1])
    n = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (counts @ yc) / n
    ok = n >= 5  # a mean of fewer events is noise
    pane.time_map.set_curve(0.5 * (xe[1:] + xe[:-1])[ok], mean[ok])
    rows = [
        ParamRow("half-life", fit["half_life_s"] / _H, fit.error("half_life_s") / _H, "h"),
        ParamRow("R0 (rate at fit start)", fit["r0_hz"], fit.error("r0_hz"), "Hz"),
        ParamRow("background", fit["background_hz"], fit.error("background_hz"), "Hz"),
    ]
    derived = [ParamRow("half-life", fit["half_life_s"], fit.error("half_life_s"), "s")]
    a, b = fit.extra.get("fit_range_s", [math.nan, math.nan])
    pane.halflife_params.set_fit(
        rows,
        derived=derived,
        chi2=fit.chi2,
        ndf=fit.ndf,
        valid=fit.valid,
        message=fit.message,
        cost=fit.cost,
        title=f"Half-life: {float(a) / _H:.2f}–{float(b) / _H:.2f} h fitted",
    )


def show_delay(pane: Any, r: Any, resolving_cut_ns: float) -> None:
    """Draw a ``DelayResult`` in the delay plot and the delay table."""
    fit = r.fit
    edges = np.asarray(r.edges_ns, dtype=float)
    counts = np.asarray(r.counts, dtype=float)
    # The reduction looks for the delayed pulse only after the resolving cut: the bins before
    # it are empty by construction; show just a few of them.
    first = max(0, int(np.searchsorted(edges, resolving_cut_ns, side="right")) - 6)
    edges, counts = edges[first:], counts[first:]
    plot = pane.delay
    plot.set_spectra(
        edges,
        [SpectrumSeries("signal", "delays", counts, np.sqrt(counts))],
        title=f"{r.n_selected} events with a delayed pulse",
    )
    lo, hi = float(r.settings.get("min_ns", edges[0])), float(r.settings.get("max_ns", edges[-1]))
    marks = [(resolving_cut_ns, f"resolving cut {resolving_cut_ns:g} ns")]
    if abs(lo - resolving_cut_ns) > 1e-6:
        marks.append((lo, f"fit from {lo:g} ns"))
    plot.set_markers(marks)
    if _finite(fit):
        width = float(np.median(np.diff(edges)))
        fine = np.linspace(lo, hi, 401)
        y = delay_model_counts(fit, fine) / np.diff(fine) * width
        centres = 0.5 * (edges[:-1] + edges[1:])
        sel = (centres >= lo) & (centres <= hi)
        p = pulls(counts[sel], None, delay_model_counts(fit, edges)[sel])
        label = f"T½ = {fit['half_life_ns']:.1f} ± {fit.error('half_life_ns'):.1f} ns"
        plot.set_fit(FitCurve(0.5 * (fine[1:] + fine[:-1]), y, centres[sel], p, label))
    else:
        plot.set_fit(None)
    ex = fit.extra
    nan = math.nan
    rows = [
        ParamRow("half-life", fit["half_life_ns"], fit.error("half_life_ns"), "ns"),
        ParamRow("decays in the interval", fit["n_signal"], fit.error("n_signal"), "events"),
        ParamRow("flat part", fit["background_per_ns"], fit.error("background_per_ns"), "1/ns"),
    ]
    derived = [
        ParamRow("mean life τ", ex.get("tau_ns") or nan, ex.get("tau_err_ns") or nan, "ns"),
        ParamRow(
            f"kept above {lo:g} ns",
            100 * (ex.get("kept_fraction") or nan),
            100 * (ex.get("kept_fraction_err") or nan),
            "%",
        ),
    ]
    pane.delay_params.set_fit(
        rows,
        derived=derived,
        chi2=fit.chi2,
        ndf=fit.ndf,
        valid=fit.valid,
        message=fit.message,
        cost=fit.cost,
        title=f"Delay: {lo:g}–{hi:g} ns fitted (9.4 keV level, 155.1 ns)",
    )
