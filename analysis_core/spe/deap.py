"""The DEAP-3600 single-photoelectron charge model and the LED spectrum it predicts.

What to use when
----------------
- ``DeapGrid``: the charge grid (cells of width ``dq``) on which the LED spectrum is computed;
  built once per fit from the data range by ``DeapGrid.for_data``.
- ``led_terms(params, grid)``: the LED spectrum as a list of n-PE terms (n = 0 is the
  pedestal), each the probability mass per grid cell. The fit (``fit_a.fit_led_spectrum``)
  sums them; the plot draws them as components.
- ``spe_mean(params)``: the mean charge of the whole SPE model (what a charge sum divided by
  the number of PE measures); ``mu`` itself is the Analysis A gain.

The model (Amaudruz et al., NIM A 922 (2019) 373, arXiv:1705.10183; ``spec/physics.md`` 3):
``SPE(q) = C1 Gamma(q; mu, b) + C2 Gamma(q; f_mu mu, f_b b) + C3 lambda exp(-lambda q)`` for
``0 < q < mu`` (``C1 = 1 - C2 - C3``; ``Gamma(q; m, v)`` has mean ``m`` and relative variance
``v``; ``lambda mu`` = ``exp_slope_mu``). The LED spectrum is the Gaussian pedestal convolved
with ``sum_n Poisson(n; occupancy) SPE^{*n}``. The n-fold convolutions are powers of the SPE's
discrete Fourier transform on the grid (cell masses from exact CDF differences, so the grid
step does not bias ``mu``); the pedestal is applied analytically in Fourier space, so its mean
need not sit on the grid. The grid spans the data plus margins (no wrap-around aliasing).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special, stats

__all__ = ["PARAM_NAMES", "DeapGrid", "led_terms", "spe_cell_masses", "spe_mean"]

#: Parameters of the LED spectrum model, in fit order.
PARAM_NAMES = (
    "n_events",
    "occupancy",
    "ped_mean_adc_ns",
    "ped_sigma_adc_ns",
    "mu_adc_ns",
    "gamma_relvar",
    "ua_fraction",
    "ua_mean_frac",
    "ua_relvar_factor",
    "exp_fraction",
    "exp_slope_mu",
)


@dataclass(frozen=True)
class DeapGrid:
    """Charge grid ``x_i = i dq`` (cell ``[x_i - dq/2, x_i + dq/2)``), ``n`` cells, periodic.

    Negative charges (the pedestal's lower half) live at the top of the periodic grid:
    ``index(q) = round(q / dq) mod n``.
    """

    dq: float
    n: int

    @classmethod
    def for_data(cls, q_lo: float, q_hi: float, dq: float) -> DeapGrid:
        """Return a grid covering ``[q_lo, q_hi]`` with 30 % headroom per side, 2^k cells."""
        span = (max(q_hi, 0.0) - min(q_lo, 0.0)) * 1.6 + 20 * dq
        n = 1 << max(8, math.ceil(math.log2(span / dq)))
        return cls(dq=float(dq), n=int(n))

    def cell_index(self, q: NDArray[np.float64]) -> NDArray[np.int64]:
        """Cell of charge ``q`` (periodic)."""
        return np.mod(np.rint(np.asarray(q) / self.dq).astype(np.int64), self.n)


def _gamma_cdf(x: NDArray[np.float64], mean: float, relvar: float) -> NDArray[np.float64]:
    return special.gammainc(1.0 / relvar, np.maximum(x, 0.0) / (mean * relvar))


def spe_cell_masses(p: Mapping[str, float], grid: DeapGrid) -> NDArray[np.float64]:
    """Probability of the SPE charge in each grid cell (positive half of the grid only)."""
    half = grid.n // 2
    edges = (np.arange(half + 1) - 0.5) * grid.dq
    mu, b = p["mu_adc_ns"], p["gamma_relvar"]
    c2, c3 = p["ua_fraction"], p["exp_fraction"]
    main = np.diff(_gamma_cdf(edges, mu, b))
    ua = np.diff(_gamma_cdf(edges, p["ua_mean_frac"] * mu, p["ua_relvar_factor"] * b))
    lam = p["exp_slope_mu"] / mu
    e = np.clip(edges, 0.0, mu)
    ex = np.diff(-np.expm1(-lam * e)) / -math.expm1(-p["exp_slope_mu"])
    out = np.zeros(grid.n)
    out[:half] = (1.0 - c2 - c3) * main + c2 * ua + c3 * ex
    return out


def led_terms(
    p: Mapping[str, float], grid: DeapGrid, *, n_max: int | None = None
) -> list[NDArray[np.float64]]:
    """Return the n-PE terms ``[P(0) ped, P(1) ped*SPE, ...]`` as masses per grid cell.

    Each term is normalised to its Poisson weight (not to ``n_events``). ``n_max`` defaults to
    ``occupancy + 8 sqrt(occupancy) + 8``, beyond which the Poisson tail is < 1e-7.
    """
    lam = max(float(p["occupancy"]), 0.0)
    if n_max is None:
        n_max = int(lam + 8.0 * math.sqrt(lam) + 8.0)
    f = np.fft.rfftfreq(grid.n, grid.dq)
    w = 2.0 * math.pi * f
    ped = np.exp(-1j * w * p["ped_mean_adc_ns"] - 0.5 * (w * p["ped_sigma_adc_ns"]) ** 2)
    spe = np.fft.rfft(spe_cell_masses(p, grid))
    weights = stats.poisson.pmf(np.arange(n_max + 1), lam)
    terms = []
    power = ped
    for n in range(n_max + 1):
        if n:
            power = power * spe
        terms.append(weights[n] * np.fft.irfft(power, grid.n))
    return terms


def spe_mean(p: Mapping[str, float]) -> float:
    """Mean of the whole SPE model (below ``mu``: under-amplified and exponential parts)."""
    mu, c = p["mu_adc_ns"], p["exp_slope_mu"]
    exp_mean = (1.0 - c * math.exp(-c) / -math.expm1(-c)) * mu / c
    c2, c3 = p["ua_fraction"], p["exp_fraction"]
    return (1.0 - c2 - c3) * mu + c2 * p["ua_mean_frac"] * mu + c3 * exp_mean
