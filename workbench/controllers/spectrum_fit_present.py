"""Turn peak-fit results into what the Spectrum & fit pane draws: curves, pulls, table rows.

What to use when
----------------
- ``PEAKS``: the calibration peaks the pane offers (key, label, run role, energy, whether the
  background run is subtracted by default).
- ``peak_fit_curve(fit, hist)``: the fitted model on a fine grid over the fit range (counts per
  bin of ``hist``) and the pulls ``(n - model) / sigma`` of the fitted bins, as a
  ``widgets.spectrum_fit_plot.FitCurve``.
- ``peak_param_rows(fit, unit, energy_kev)``: parameter rows and derived rows (resolution
  sigma/mean, PE per keV at the peak's energy) for ``widgets.fit_params_table``.
- ``show_peak_result(pane, peak, result)``: draw one ``PeakFitResult`` in the pane;
  ``view_values(settings)`` and ``settings_from_view(values)``: a peak's settings as its
  form shows them, and back.
- ``pulls(counts, variances, model)``: the pull of each bin (used by the Kr-timing pane too).

Pure functions of ``analysis_core`` results and numpy arrays, run in the GUI thread (cheap).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis_core.fitting.peak_models import DOUBLET_KEV
from analysis_core.fitting.peaks import peak_model_counts, peak_model_density
from analysis_core.fitting.result import FitResult
from widgets.fit_params_table import ParamRow
from widgets.spectrum_fit_plot import FitCurve, SpectrumSeries

__all__ = [
    "PEAKS",
    "Peak",
    "peak_by_key",
    "peak_fit_curve",
    "peak_param_rows",
    "pulls",
    "settings_from_view",
    "show_peak_result",
    "view_values",
]


@dataclass(frozen=True)
class Peak:
    """A calibration peak of the pane.

    Attributes
    ----------
    key : str
        Identifier (settings and results are stored under it).
    label : str
        Chooser text.
    role : str
        Run role whose spectrum shows it (``"kr"``, ``"am241"``, ``"co57"``).
    energy_kev : float
        Deposited energy of the peak.
    subtract_default : bool
        Subtract the background run by default (the Kr peak sits on 39Ar).
    doublet_kev : (float, float) or None
        A weaker line beside the peak, ``(E1, E2)``: the peak is fitted with the
        ``gauss_doublet+linear`` model over both lines by default (57Co: 122.06 and 136.47 keV).
    """

    key: str
    label: str
    role: str
    energy_kev: float
    subtract_default: bool
    doublet_kev: tuple[float, float] | None = None

    @property
    def default_model(self) -> str:
        """The model suggested for the peak's first fit."""
        return "gauss+linear" if self.doublet_kev is None else "gauss_doublet+linear"


#: The peaks of the calibration (workflow steps 4 and 8).
PEAKS: tuple[Peak, ...] = (
    Peak("kr_41", "41.5 keV — 83mKr (Kr run)", "kr", 41.5, True),
    Peak("am241_59", "59.5 keV — 241Am (Am run)", "am241", 59.5, False),
    Peak("co57_122", "122 keV — 57Co (Co run)", "co57", 122.06, False, DOUBLET_KEV),
)

#: Role -> how the run is named in sentences.
ROLE_NAMES = {
    "kr": "Kr",
    "am241": "241Am",
    "co57": "57Co",
    "background": "background",
    "led": "LED",
}


def peak_by_key(key: str) -> Peak:
    """Return the peak ``key`` (the first peak for an unknown key)."""
    return next((p for p in PEAKS if p.key == key), PEAKS[0])


def pulls(
    counts: NDArray[np.float64], variances: NDArray[np.float64] | None, model: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Return ``(n - model) / sigma`` per bin, sigma from the variances (else the model)."""
    n = np.asarray(counts, dtype=float)
    m = np.asarray(model, dtype=float)
    var = m.copy() if variances is None else np.asarray(variances, dtype=float).copy()
    empty = ~(var > 0)
    var[empty] = m[empty]  # an empty raw bin has no variance of its own: use the expectation
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(var > 0, (n - m) / np.sqrt(var), np.nan)


def peak_fit_curve(fit: FitResult, hist: Any, *, n_points: int = 400) -> FitCurve | None:
    """Return the drawn model and pulls of a ``fit_peak`` result on histogram ``hist``.

    ``hist`` has ``edges``, ``counts`` and ``variances`` (the spectrum that was fitted).
    Returns None for a failed fit (nothing to draw).
    """
    lo_hi = fit.extra.get("fit_range")
    if not fit.values or not np.all(np.isfinite(fit.values)) or not lo_hi:
        return None
    lo, hi = float(lo_hi[0]), float(lo_hi[1])
    edges = np.asarray(hist.edges, dtype=float)
    width = float(np.median(np.diff(edges)))
    x = np.linspace(lo, hi, n_points)
    y = peak_model_density(fit, x) * width
    centres = 0.5 * (edges[:-1] + edges[1:])
    inside = (centres >= lo) & (centres <= hi)
    model = peak_model_counts(fit, edges)
    p = pulls(np.asarray(hist.counts)[inside], np.asarray(hist.variances)[inside], model[inside])
    label = f"fit: {fit.model}" + ("" if fit.valid else " (not valid)")
    return FitCurve(x, y, centres[inside], p, label)


def _row(fit: FitResult, name: str, shown: str, unit: str, scale: float = 1.0) -> ParamRow:
    return ParamRow(shown, fit[name] * scale, fit.error(name) * scale, unit)


def peak_param_rows(
    fit: FitResult, unit: str, energy_kev: float
) -> tuple[list[ParamRow], list[ParamRow]]:
    """Return (parameter rows, derived rows) of a peak fit in the spectrum's ``unit``."""
    units = {
        "area": "events", "mean": unit, "sigma": unit, "area_2": "events", "mean_2": unit,
        "sigma_2": unit, "bkg_c0": f"events/{unit}", "bkg_c1": f"events/{unit}²",
        "bkg_slope": f"1/{unit}", "tail": "σ", "template_scale": "× template",
        "area_ratio": "× area",
    }  # fmt: skip
    params = [_row(fit, n, n, units.get(n, "")) for n in fit.names]
    derived: list[ParamRow] = []
    ex = fit.extra
    res, res_err = ex.get("resolution"), ex.get("resolution_err")
    if res is not None:
        derived.append(
            ParamRow(
                "σ/mean", 100.0 * res, 100.0 * (res_err if res_err is not None else math.nan), "%"
            )
        )
    if "mean" in fit.names and energy_kev > 0:
        # a statistical number (this peak only): the Linearity pane gives Y with the SPE-gain
        # and chi2-scaled errors
        shown = f"mean / {energy_kev:.4g} keV (stat. only)"
        derived.append(_row(fit, "mean", shown, f"{unit}/keV", 1 / energy_kev))
    second = ex.get("second_line")
    if second and ex.get("doublet_energy_ratio"):
        # the doublet's second line follows the main line: mean x E2/E1 (so does its error);
        # its width, sigma x sqrt(E2/E1), is in fit.extra["second_line"]
        e2 = f"{float(second['energy_kev']):.4g} keV"
        derived.append(
            _row(fit, "mean", f"{e2} line mean", unit, float(ex["doublet_energy_ratio"]))
        )
    return params, derived


def show_peak_result(pane: Any, peak: Peak, r: Any) -> None:
    """Draw a ``PeakFitResult`` in the pane: spectra (overlay as chosen), fit, pulls, table."""
    unit = r.pe_units
    plot, params = pane.plot, pane.params
    series = []
    role = ROLE_NAMES.get(peak.role, peak.role)
    if r.subtracted is not None:
        if pane.show_background.isChecked():
            s, b, k = r.signal, r.background, float(r.livetime_scale)
            series.append(SpectrumSeries("signal", f"{role} run", s.counts, s.errors))
            series.append(
                SpectrumSeries("background", f"background × {k:.3g}", k * b.counts, k * b.errors)
            )
        sub = r.subtracted
        series.append(SpectrumSeries("subtracted", f"{role} − background", sub.counts, sub.errors))
    else:
        series.append(SpectrumSeries("signal", f"{role} run", r.signal.counts, r.signal.errors))
    plot.set_axis_labels(f"{r.column} ({unit})")
    plot.set_spectra(
        r.signal.edges,
        series,
        title=f"{peak.label}: {r.n_selected} of {r.n_events} events pass the cuts",
    )
    lo, hi = r.settings["range"]
    plot.set_range(float(lo), float(hi))
    fit = r.fit
    plot.set_fit(peak_fit_curve(fit, r.spectrum))
    rows, derived = peak_param_rows(fit, unit, float(r.energy_kev or peak.energy_kev))
    note = str(fit.extra.get("cost_reason", "")) if fit.valid else fit.message
    params.set_fit(
        rows,
        derived=derived,
        chi2=fit.chi2,
        ndf=fit.ndf,
        valid=fit.valid,
        message=note,
        cost=fit.cost,
        title=f"{fit.model}, {fit.cost}, {float(lo):g}–{float(hi):g} {unit}",
    )


def view_values(s: dict[str, Any]) -> dict[str, Any]:
    """Return what the pane's form shows for peak settings ``s`` (``bins`` as a width)."""
    lo, hi = (float(v) for v in s["range"])
    bins = s.get("bins", 40)
    width = float(bins) if isinstance(bins, float) else (hi - lo) / max(int(bins), 1)
    hist = s.get("hist_range") or [max(lo - (hi - lo), 0.0) if lo >= 0 else 2 * lo - hi,
                                   hi + (hi - lo)]  # fmt: skip
    return {
        "column": s.get("column", "total_pe"),
        "bins": width,
        "hist_range": [float(hist[0]), float(hist[1])],
        "range": [lo, hi],
        "model": s.get("model", "gauss+linear"),
        "cost": s.get("cost", "auto"),
        "subtract": s.get("background_role") is not None,
        "apply_cuts": bool(s.get("apply_cuts", True)),
    }


def settings_from_view(v: dict[str, Any]) -> dict[str, Any]:
    """Return the peak settings the form's values (``SpectrumFitPane.values``) stand for."""
    return {
        "column": v["column"],
        "range": v["range"],
        "bins": v["bins"],
        "hist_range": v["hist_range"],
        "model": v["model"],
        "cost": v["cost"],
        "background_role": "background" if v["subtract"] else None,
        "apply_cuts": v["apply_cuts"],
    }
