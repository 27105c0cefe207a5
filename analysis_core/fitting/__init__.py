"""Fitting infrastructure shared by every analysis, and the LAr calibration fits.

What to use when
----------------
- ``FitResult``: what every fit returns: parameter values, errors, covariance, chi2/ndf,
  ``valid`` and a plain-words ``message`` when it failed. Never raises for non-convergence.
- ``minimize(cost, start, ...)``: run iminuit MIGRAD + HESSE (optionally MINOS) on an
  ``iminuit.cost`` object or any callable and turn the outcome into a ``FitResult``.
- ``fit_peak(...)`` (``peaks``): Gaussian-type peak fits of spectra (with linear, exponential
  or template background; two Gaussians; chi2 or binned Poisson likelihood);
  ``peak_model_density`` / ``peak_model_counts`` draw a fitted peak model.
- ``fit_halflife(...)`` (``decay``): exponential decay plus constant from event times.
- ``fit_delay(...)`` (``delay``): truncated exponential of the delayed 9.4 keV pulse times.
- Calibration steps (STEP CONTRACT of ``analysis_core.steps``): ``peak_step.compute_peak_fit``,
  ``timing_steps.compute_halflife``, ``timing_steps.compute_delay`` (import them from their
  modules; they also need ``analysis_core.histograms``).
"""

from __future__ import annotations

from analysis_core.fitting.decay import decay_model_counts, fit_halflife, rate_histogram
from analysis_core.fitting.delay import delay_model_counts, fit_delay, kept_fraction
from analysis_core.fitting.peak_models import (
    MODELS,
    model_parameters,
    peak_model_counts,
    peak_model_density,
)
from analysis_core.fitting.peaks import COSTS, fit_peak
from analysis_core.fitting.result import FitResult, minimize

__all__ = [
    "COSTS",
    "MODELS",
    "FitResult",
    "decay_model_counts",
    "delay_model_counts",
    "fit_delay",
    "fit_halflife",
    "fit_peak",
    "kept_fraction",
    "minimize",
    "model_parameters",
    "peak_model_counts",
    "peak_model_density",
    "rate_histogram",
]
