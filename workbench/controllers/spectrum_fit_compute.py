"""Work the Spectrum & fit pane runs in jobs: one peak's fit, and first settings for a peak.

What to use when
----------------
- ``fit_one_peak(inputs, key, peak_settings)``: the ``peak_fit`` step for one peak
  (``analysis_core.fitting.peak_step.compute_peak``, exactly what ``compute_peak_fit`` does for
  that peak), returned as a ``PeakOutcome`` whose ``error`` carries the plain reason when the
  inputs do not allow it (missing run, bad settings) instead of raising, so the pane can show it.
- ``suggest_peak_settings(inputs, peak, ...)``: settings for a peak never fitted before: the
  histogram range from the data, the fit range around the most prominent peak (of the
  background-subtracted spectrum for the Kr peak), a bin width giving ~30 bins across it. A
  peak with a known weaker line beside it (``Peak.doublet_kev``: 57Co 122 + 136 keV) gets the
  ``gauss_doublet+linear`` model, its line pair and area ratio, and a range covering both lines.

Both run off the GUI thread and touch no Qt object.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis_core.errors import CalibrationError, LarcalError
from analysis_core.fitting.peak_models import DOUBLET_MODELS, DOUBLET_RATIO
from analysis_core.fitting.peak_step import PeakFitResult, compute_peak
from analysis_core.fitting.step_common import column, selection
from analysis_core.histograms import histogram1d, livetime_scale
from analysis_core.steps import StepInputs
from workbench.controllers.spectrum_fit_present import Peak

__all__ = [
    "PeakOutcome",
    "fit_one_peak",
    "nice_width",
    "suggest_or_reason",
    "suggest_peak_settings",
]

#: Bins across a suggested fit range.
BINS_ACROSS_RANGE = 30
#: Half-width of a suggested fit range as a fraction of the peak position (~2.7 sigma at the
#: 9.3 % resolution of the 41.5 keV peak).
RANGE_HALF_FRACTION = 0.25
#: Upper end of a suggested histogram range as a multiple of the peak position.
HIST_RANGE_FRACTION = 2.5


@dataclass(frozen=True)
class PeakOutcome:
    """What a peak job produced.

    Attributes
    ----------
    key : str
        The peak.
    settings : dict
        The settings the job used (to drop results of settings changed meanwhile).
    result : PeakFitResult or None
        The step's result (its ``fit`` may be invalid, with a reason).
    error : str
        Why there is no result (a ``LarcalError`` message), else "".
    """

    key: str
    settings: dict[str, Any]
    result: PeakFitResult | None = None
    error: str = ""


def fit_one_peak(inputs: StepInputs, key: str, peak_settings: dict[str, Any]) -> PeakOutcome:
    """Compute peak ``key`` as the ``peak_fit`` step does (see the module docstring)."""
    try:
        result = compute_peak(inputs, peak_settings, key)
    except LarcalError as exc:
        return PeakOutcome(key, peak_settings, None, str(exc))
    return PeakOutcome(key, peak_settings, result)


def nice_width(width: float) -> float:
    """Round a bin width down to 1, 2 or 5 x 10^k (always a float: the step reads it as a width)."""
    if not (math.isfinite(width) and width > 0):
        return 1.0
    k = math.floor(math.log10(width))
    for m in (5.0, 2.0, 1.0):
        if m * 10.0**k <= width:
            return float(round(m * 10.0**k, 12))
    return float(10.0**k)


def suggest_peak_settings(
    inputs: StepInputs,
    peak: Peak,
    *,
    column_name: str = "total_pe",
    subtract: bool | None = None,
    apply_cuts: bool = True,
    model: str | None = None,
    cost: str = "auto",
) -> dict[str, Any]:
    """Return first ``peak_fit`` settings for ``peak`` from the data of its run.

    ``model`` None means ``peak.default_model``. A doublet model's range reaches from
    ``RANGE_HALF_FRACTION`` below the main line to as far above the second line.

    Raises
    ------
    CalibrationError
        When the peak's run (or the background run to subtract) is missing, or the column
        holds no finite positive value.
    """
    subtract = peak.subtract_default if subtract is None else subtract
    table, mask = selection(inputs, peak.role, apply_cuts)
    values = column(table, column_name)[mask]
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        raise CalibrationError(f"{peak.role} run: no event with {column_name} > 0 after the cuts")
    top = float(np.percentile(values, 99.0)) * 1.1
    edges = np.linspace(0.0, top, 121)
    counts = histogram1d(values, edges).counts
    if subtract and "background" in inputs.rq:
        btable, bmask = selection(inputs, "background", apply_cuts)
        scale = livetime_scale(table, btable)
        counts = counts - scale * histogram1d(column(btable, column_name)[bmask], edges).counts
    smooth = np.convolve(counts, np.ones(5) / 5.0, mode="same")
    smooth[:3] = -np.inf  # the first bins hold the threshold and noise, never the peak
    centres = 0.5 * (edges[:-1] + edges[1:])
    position = float(centres[int(np.argmax(smooth))])
    model = peak.default_model if model is None else model
    doublet = model in DOUBLET_MODELS and peak.doublet_kev is not None
    lo = position * (1 - RANGE_HALF_FRACTION)
    hi = position * (1 + RANGE_HALF_FRACTION)
    if doublet:
        # the second line sits at E2/E1 times the main line's position (response ~ energy)
        hi *= peak.doublet_kev[1] / peak.doublet_kev[0]
    width = nice_width((hi - lo) / BINS_ACROSS_RANGE)
    lo, hi = width * math.floor(lo / width), width * math.ceil(hi / width)
    out: dict[str, Any] = {
        "role": peak.role,
        "column": column_name,
        "range": [lo, hi],
        "bins": width,
        # Room for the low-energy side and the tail without squeezing the peak.
        "hist_range": [0.0, width * math.ceil(HIST_RANGE_FRACTION * position / width)],
        "model": model,
        "cost": cost,
        "background_role": "background" if subtract and "background" in inputs.rq else None,
        "apply_cuts": bool(apply_cuts),
    }
    if doublet:
        out["doublet_kev"] = [float(e) for e in peak.doublet_kev]
        out["doublet_ratio"] = DOUBLET_RATIO
    return out


def suggest_or_reason(inputs: StepInputs, peak: Peak) -> tuple[dict[str, Any] | None, str]:
    """Return ``(settings, "")`` from ``suggest_peak_settings``, or ``(None, reason)``."""
    try:
        return suggest_peak_settings(inputs, peak), ""
    except LarcalError as exc:
        return None, str(exc)
