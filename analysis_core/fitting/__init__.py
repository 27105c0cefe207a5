"""Fitting infrastructure shared by every analysis.

What to use when
----------------
- ``FitResult``: what every fit returns: parameter values, errors, covariance, chi2/ndf,
  ``valid`` and a plain-words ``message`` when it failed. Never raises for non-convergence.
- ``minimize(cost, start, ...)``: run iminuit MIGRAD + HESSE (optionally MINOS) on an
  ``iminuit.cost`` object or any callable and turn the outcome into a ``FitResult``.
- ``fit_peak(...)`` (``peaks``): Gaussian-type peak fits of spectra (with linear, exponential
  or template background; two Gaussians; chi2 or binned Poisson likelihood);
  ``peak_model_density`` / ``peak_model_counts`` draw a fitted peak model.
"""

from __future__ import annotations

from analysis_core.fitting.peaks import (
    MODELS,
    fit_peak,
    model_parameters,
    peak_model_counts,
    peak_model_density,
)
from analysis_core.fitting.result import FitResult, minimize

__all__ = [
    "MODELS",
    "FitResult",
    "fit_peak",
    "minimize",
    "model_parameters",
    "peak_model_counts",
    "peak_model_density",
]
