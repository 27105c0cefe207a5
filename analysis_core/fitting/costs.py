"""A binned Poisson cost that stays honest when a trial model goes negative; goodness of fit.

What to use when
----------------
``goodness_of_fit(chi2, ndf, hint)`` for the ``extra`` of a fit: the chi2 p-value and, below
``POOR_FIT_PVALUE``, a plain ``warning`` (the fit stays valid: its numbers are what the model
says, but the model does not describe the data; ``hint`` says what to try).

``BinnedPoissonDeviance(counts, expected_fn)`` for binned likelihood fits whose model can dip
below zero for some parameters (a Gaussian on a free linear background). iminuit's
``ExtendedBinnedNLL`` computes ``2 sum(mu - n + n log(n / mu))``; in an empty bin a negative
``mu`` then *lowers* the cost, and fits of sparse spectra run into negative backgrounds and a
singular covariance. Here a bin with ``mu <= 0`` costs ``|mu|`` plus, when it holds counts, the
log term at ``mu = 1e-300`` (a huge but finite penalty), so the minimum has ``mu >= 0``
wherever the data are. For ``mu > 0`` the value equals the Poisson deviance (so it is the
goodness-of-fit ``chi2`` of the result, asymptotically chi2-distributed).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import chi2 as chi2_dist

__all__ = ["POOR_FIT_PVALUE", "BinnedPoissonDeviance", "goodness_of_fit"]

_TINY = 1e-300
#: Below this chi2 p-value a fit carries a "poor fit" warning.
POOR_FIT_PVALUE = 1e-3


def goodness_of_fit(chi2: float, ndf: int, hint: str = "") -> dict[str, Any]:
    """Return ``{"chi2_pvalue": p}`` plus ``{"warning": ...}`` when ``p < POOR_FIT_PVALUE``."""
    if not (ndf > 0 and math.isfinite(chi2)):
        return {"chi2_pvalue": None}
    p = float(chi2_dist.sf(chi2, ndf))
    out: dict[str, Any] = {"chi2_pvalue": p}
    if p < POOR_FIT_PVALUE:
        out["warning"] = f"poor fit: chi2/ndf = {chi2:.1f}/{ndf} (p = {p:.1e})" + (
            f"; {hint}" if hint else ""
        )
    return out


class BinnedPoissonDeviance:
    """Poisson deviance of binned counts against ``expected_fn(*params)`` (errordef 1).

    Parameters
    ----------
    counts : array_like
        Observed counts per bin (non-negative).
    expected_fn : callable
        ``expected_fn(*params) -> ndarray`` of expected counts per bin.
    """

    errordef = 1.0

    def __init__(self, counts: ArrayLike, expected_fn: Callable[..., NDArray[np.float64]]) -> None:
        self.counts = np.asarray(counts, dtype=float)
        self.expected_fn = expected_fn
        self.ndata = int(self.counts.size)
        positive = np.where(self.counts > 0, self.counts, 1.0)
        self._n_log_n = self.counts * np.log(positive)

    def __call__(self, *params: float) -> float:
        """Return the deviance at ``params``."""
        mu = np.asarray(self.expected_fn(*params), dtype=float)
        if not np.all(np.isfinite(mu)):
            return float("inf")
        n = self.counts
        log_mu = np.log(np.maximum(mu, _TINY))
        dev = np.abs(mu) - n + self._n_log_n - n * log_mu
        return float(2.0 * np.sum(dev))
