"""What the SPE pane shows of an ``SpeResult``: gain-table texts and the per-PMT plots.

What to use when
----------------
- ``gain_rows(result)``: the rows of the pane's gain table (``GAIN_COLUMNS``), "value ± error".
- ``show_result(pane, result, hints)``: draw both analyses' spectra, models, fit windows and
  gain markers, or the reason a plot is empty (``hints`` by analysis when there is no result).
- ``gaussian_counts(fit)``: Analysis B's fitted Gaussian as expected counts per bin.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special

from analysis_core.spe import LateFit, LedFit, SpeResult
from workbench.panes.spe import SpePane

__all__ = ["fmt_pm", "gain_rows", "gaussian_counts", "show_result"]

_CHANNELS = ("top", "bottom")


def fmt_pm(value: float, error: float, digits: int = 1) -> str:
    """Return ``"value ± error"`` ("—" when the value is not finite)."""
    if not math.isfinite(value):
        return "—"
    if not math.isfinite(error):
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f} ± {error:.{digits}f}"


def _fit(result: SpeResult | None, analysis: str, channel: str) -> Any:
    an = result.analyses.get(analysis) if result is not None else None
    return next((f for f in an.fits if f.channel == channel), None) if an else None


def gain_rows(result: SpeResult | None) -> list[list[str]]:
    """Return the gain-table rows (top, bottom) of ``result``."""
    rows = []
    for ch in _CHANNELS:
        a: LedFit | None = _fit(result, "A", ch)
        b: LateFit | None = _fit(result, "B", ch)
        row = ["—"] * 5
        if a is not None:
            row[0] = fmt_pm(a.gain_adc_ns, a.gain_err_adc_ns)
            row[1] = fmt_pm(a.mean_charge_adc_ns, a.mean_charge_err_adc_ns)
            row[2] = fmt_pm(a.occupancy, a.occupancy_err, 3)
        if b is not None:
            row[3] = fmt_pm(b.gain_adc_ns, b.gain_err_adc_ns)
        if a is not None and b is not None and a.gain_adc_ns > 0:
            ratio = b.gain_adc_ns / a.gain_adc_ns
            err = ratio * math.hypot(
                b.gain_err_adc_ns / b.gain_adc_ns, a.gain_err_adc_ns / a.gain_adc_ns
            )
            row[4] = fmt_pm(ratio, err, 3)
        rows.append(row)
    return rows


def gaussian_counts(fit: LateFit) -> NDArray[np.float64]:
    """Return the fitted Gaussian of ``fit`` as expected counts per histogram bin."""
    edges = np.asarray(fit.edges_adc_ns)
    p = fit.fit.params()
    if not all(math.isfinite(v) for v in p.values()) or edges.size < 2:
        return np.zeros(max(edges.size - 1, 0))
    cdf = special.ndtr((edges - p["mean"]) / abs(p["sigma"]))
    return p["area"] * np.diff(cdf)


def _title(analysis: str, channel: str, fit: Any) -> str:
    what = "LED charge" if analysis == "A" else "late single PE"
    text = f"{channel} PMT · {what}"
    if fit.fit.ndf > 0 and math.isfinite(fit.fit.chi2):
        text += f"  ·  χ²/ndf {fit.fit.chi2:.0f}/{fit.fit.ndf}"
    if not fit.valid:
        text += f"  ·  FIT FAILED: {fit.fit.message}"
    return text


def _show_a(plot: Any, fit: LedFit) -> None:
    plot.set_spectrum(fit.edges_adc_ns, fit.counts, title=_title("A", fit.channel, fit))
    plot.set_legend_corner("bottom-left")  # under the pedestal's rising edge
    comps = fit.components()
    if comps:
        plot.set_model(comps)  # fitted over the whole histogram: no window drawn
    plot.set_markers(
        [
            (fit.gain_adc_ns, f"μ = {fit.gain_adc_ns:.1f}"),
            (fit.mean_charge_adc_ns, f"model mean = {fit.mean_charge_adc_ns:.1f}"),
        ]
    )


def _show_b(plot: Any, fit: LateFit, gain_a: float) -> None:
    plot.set_spectrum(fit.edges_adc_ns, fit.counts, title=_title("B", fit.channel, fit))
    plot.set_legend_corner("top-right")  # above the single-PE tail
    if fit.valid:
        lo, hi = fit.fit.extra.get("fit_range", (-math.inf, math.inf))
        edges = np.asarray(fit.edges_adc_ns)
        centres = 0.5 * (edges[1:] + edges[:-1])
        inside = (centres >= lo - 0.5 * fit.fit["sigma"]) & (centres <= hi + 0.5 * fit.fit["sigma"])
        # the Gaussian only describes the window it was fitted in (and a little beyond)
        plot.set_model({"total": np.where(inside, gaussian_counts(fit), np.nan)})
        plot.set_fit_range(lo, hi)
    plot.set_markers(
        [(fit.gain_adc_ns, f"B = {fit.gain_adc_ns:.1f}"), (gain_a, f"A: μ = {gain_a:.1f}")]
    )


def show_result(pane: SpePane, result: SpeResult | None, hints: Mapping[str, str]) -> None:
    """Draw ``result`` in the four plots; empty plots show why (``hints`` or the message)."""
    for analysis in ("A", "B"):
        an = result.analyses.get(analysis) if result is not None else None
        for ch in _CHANNELS:
            plot = pane.plots[(analysis, ch)]
            fit = _fit(result, analysis, ch)
            if fit is None or not fit.counts:
                why = an.message if an is not None and an.message else hints.get(analysis, "")
                plot.clear(why or "Not fitted yet: press Fit gains.")
            elif analysis == "A":
                _show_a(plot, fit)
            else:
                a = _fit(result, "A", ch)
                _show_b(plot, fit, a.gain_adc_ns if a is not None else math.nan)
    pane.show_gain_rows(gain_rows(result))
