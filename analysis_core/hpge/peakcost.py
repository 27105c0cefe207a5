"""Binned Poisson likelihood cost for peak fits (the Baker-Cousins deviance).

What to use when
----------------
- ``PoissonDeviance(n, ch, layout)``: the cost object ``peakfit`` minimises for
  ``cost="poisson"`` (``errordef = 1``; its minimum is the goodness-of-fit statistic).
- ``poisson_deviance(n, mu)``: the statistic itself, continued smoothly to ``mu <= 0``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from analysis_core.hpge.peakmodel import RegionLayout

__all__ = ["PoissonDeviance", "poisson_deviance"]


class PoissonDeviance:
    """Baker-Cousins Poisson deviance of a region model (``errordef = 1``).

    Parameters
    ----------
    n : ndarray
        Counts per channel.
    ch : ndarray
        The channels (contiguous).
    layout : RegionLayout
        The model.
    """

    errordef = 1.0

    def __init__(
        self, n: NDArray[np.float64], ch: NDArray[np.float64], layout: RegionLayout
    ) -> None:
        self.n = n
        self.ch = ch
        self.layout = layout
        self.ndata = n.size
        pos = n > 0
        self._nlogn = np.where(pos, n * np.log(np.where(pos, n, 1.0)), 0.0)

    def __call__(self, *p: float) -> float:
        """Return the deviance at parameters ``p`` (in ``layout.names`` order)."""
        return poisson_deviance(self.n, self.layout.per_channel(self.ch, p), self._nlogn)


#: Below this expectation (counts) the deviance is continued by a smooth quadratic.
_MU_EPS = 0.01
#: Extra curvature of that continuation: the cost of a channel with no counts is lowest at
#: ``_MU_EPS - 1 / (2 _NEG_CURVATURE)`` = 0.005 counts, so negative expectations never pay.
_NEG_CURVATURE = 100.0


def poisson_deviance(
    n: NDArray[np.float64], mu: NDArray[np.float64], nlogn: NDArray[np.float64] | None = None
) -> float:
    """Return ``2 sum(mu - n + n ln(n / mu))``, continued smoothly to ``mu <= 0``.

    Trial models of a minimiser can go negative (a falling background, a negative step). Below
    ``mu = 0.01`` the per-channel term is replaced by its second-order Taylor expansion plus
    ``100 (mu - 0.01)^2``: continuous with continuous slope, steeply rising for channels with
    counts and bounded below for empty channels, so negative predictions are never rewarded
    (iminuit's cost sets them to zero instead, which can reward them).
    """
    if nlogn is None:
        pos = n > 0
        nlogn = np.where(pos, n * np.log(np.where(pos, n, 1.0)), 0.0)
    low = mu < _MU_EPS
    mu_ok = np.where(low, _MU_EPS, mu)
    term = mu_ok - n + nlogn - n * np.log(mu_ok)
    if np.any(low):
        d = np.where(low, mu - _MU_EPS, 0.0)
        slope = 1.0 - n / _MU_EPS
        curv = n / _MU_EPS**2
        term = term + np.where(low, slope * d + (0.5 * curv + _NEG_CURVATURE) * d * d, 0.0)
    return float(2.0 * np.sum(term))
