"""A binned Poisson cost that stays honest when a trial model goes negative.

What to use when
----------------
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

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["BinnedPoissonDeviance"]

_TINY = 1e-300


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
