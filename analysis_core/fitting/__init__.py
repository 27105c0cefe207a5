"""Fitting infrastructure shared by every analysis.

What to use when
----------------
- ``FitResult``: what every fit returns: parameter values, errors, covariance, chi2/ndf,
  ``valid`` and a plain-words ``message`` when it failed. Never raises for non-convergence.
- ``minimize(cost, start, ...)``: run iminuit MIGRAD + HESSE (optionally MINOS) on an
  ``iminuit.cost`` object or any callable and turn the outcome into a ``FitResult``.
"""

from __future__ import annotations

from analysis_core.fitting.result import FitResult, minimize

__all__ = ["FitResult", "minimize"]
