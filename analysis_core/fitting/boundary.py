"""A nuisance parameter on its physical boundary (a background rate that is zero).

What to use when
----------------
``settle_at_zero(fit, nuisance, limits, span, refit)`` after ``minimize`` when a fit has a
non-negative nuisance (e.g. a constant background) that may be consistent with zero. iminuit
flags any parameter within half a standard error of a limit as "at its limit" (a rule of
thumb), which ``minimize`` reports as an invalid fit. Here:

- the nuisance holds less than half an event over ``span``: it is on the boundary, HESSE is not
  reliable there, and the answer is ``refit()`` with the nuisance fixed to zero;
- it is small but not zero (within half a standard error of zero) and every other parameter
  is clear of its limits, with finite errors: the minimum is fine and the fit is valid.

Otherwise the fit is returned unchanged.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping

from analysis_core.fitting.result import FitResult

__all__ = ["settle_at_zero"]


def settle_at_zero(
    fit: FitResult,
    nuisance: str,
    limits: Mapping[str, tuple[float | None, float | None]],
    span: float,
    refit: Callable[[], FitResult],
) -> tuple[FitResult, bool]:
    """Return ``(fit, fixed_at_zero)`` as described in the module docstring."""
    if "limit" not in fit.message:
        return fit, False
    value, error = fit[nuisance], fit.error(nuisance)
    if not (math.isfinite(value) and math.isfinite(error)) or not value < 0.5 * error:
        return fit, False
    for name, (lo, hi) in limits.items():
        if name == nuisance:
            continue
        v, e = fit[name], fit.error(name)
        if (lo is not None and v - lo < 0.5 * e) or (hi is not None and hi - v < 0.5 * e):
            return fit, False
    if value * span < 0.5:
        return refit(), True
    if all(math.isfinite(e) and e > 0 for e in fit.errors):
        return dataclasses.replace(fit, message="", valid=True), False
    return fit, False
