"""PMT response: single-photoelectron charge, pulse shape, afterpulses and dark counts.

What to use when
----------------
- ``SPEModel.from_detector(det, channel)``: the DEAP-3600 SPE charge model of one PMT, with
  ``sample``, ``pdf`` and the analytic ``mean_adc_ns``/``variance_adc_ns2`` (the mean of the
  whole model, which is below the fully amplified mean ``mu``).
- ``PulseShape``: the unit-area SPE current pulse and its exact per-sample integrals.
- ``afterpulses`` / ``dark_counts``: extra PE lists derived from a photon list.

The SPE model (Amaudruz et al., NIM A 922 (2019) 373, arXiv:1705.10183) is
``SPE(q) = C1 Gamma(q; mu, b) + C2 Gamma(q; f_mu mu, f_b b) + C3 Exp_trunc(q; lambda, 0 < q < mu)``
where ``Gamma(q; m, v)`` has mean ``m`` and relative variance ``v`` (shape ``1/v``), and the
exponential is normalised on ``(0, mu)``; ``C1 = 1 - C2 - C3``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from analysis_core.sim.config import DetectorConfig

__all__ = ["PEList", "PulseShape", "SPEModel", "afterpulses", "dark_counts"]


@dataclass(frozen=True, slots=True)
class SPEModel:
    """DEAP-3600 single-photoelectron charge model of one PMT (charges in ADC x ns).

    Attributes
    ----------
    mu_adc_ns : float
        Mean of the fully amplified Gamma component.
    gamma_relvar : float
        Its relative variance ``b``.
    ua_fraction, ua_mean_frac, ua_relvar_factor : float
        Weight ``C2``, mean factor ``f_mu`` and relative-variance factor ``f_b`` of the
        under-amplified Gamma component.
    exp_fraction, exp_slope_mu : float
        Weight ``C3`` and ``lambda mu`` of the truncated exponential.
    """

    mu_adc_ns: float
    gamma_relvar: float
    ua_fraction: float
    ua_mean_frac: float
    ua_relvar_factor: float
    exp_fraction: float
    exp_slope_mu: float

    @classmethod
    def from_detector(cls, det: DetectorConfig, channel: int) -> SPEModel:
        """Build the model of channel 0 (top) or 1 (bottom) from a ``DetectorConfig``."""
        return cls(
            mu_adc_ns=det.spe_mu_adc_ns(channel),
            gamma_relvar=det.spe_gamma_relvar,
            ua_fraction=det.spe_ua_fraction,
            ua_mean_frac=det.spe_ua_mean_frac,
            ua_relvar_factor=det.spe_ua_relvar_factor,
            exp_fraction=det.spe_exp_fraction,
            exp_slope_mu=det.spe_exp_slope_mu,
        )

    @property
    def main_fraction(self) -> float:
        """Weight ``C1`` of the fully amplified component."""
        return 1.0 - self.ua_fraction - self.exp_fraction

    def _exp_moments(self) -> tuple[float, float]:
        """First and second moment of the exponential truncated to (0, mu)."""
        lam = self.exp_slope_mu / self.mu_adc_ns
        c = self.exp_slope_mu
        norm = -math.expm1(-c)
        m1 = (1.0 - c * math.exp(-c) / norm) / lam
        m2 = 2.0 / lam**2 * (1.0 - math.exp(-c) * (1.0 + c + 0.5 * c * c)) / norm
        return m1, m2

    @property
    def mean_adc_ns(self) -> float:
        """Mean charge of the whole model (what a charge sum divided by n_PE measures)."""
        mu, f_mu = self.mu_adc_ns, self.ua_mean_frac
        e1, _ = self._exp_moments()
        return self.main_fraction * mu + self.ua_fraction * f_mu * mu + self.exp_fraction * e1

    @property
    def variance_adc_ns2(self) -> float:
        """Variance of the single-PE charge."""
        mu, b = self.mu_adc_ns, self.gamma_relvar
        m_ua, b_ua = self.ua_mean_frac * mu, self.ua_relvar_factor * b
        _, e2 = self._exp_moments()
        second = (
            self.main_fraction * mu * mu * (1.0 + b)
            + self.ua_fraction * m_ua * m_ua * (1.0 + b_ua)
            + self.exp_fraction * e2
        )
        return second - self.mean_adc_ns**2

    @property
    def relative_variance(self) -> float:
        """``variance / mean^2`` (the excess noise factor minus one)."""
        return self.variance_adc_ns2 / self.mean_adc_ns**2

    def pdf(self, q_adc_ns: ArrayLike) -> NDArray[np.float64]:
        """Probability density of the charge (per ADC x ns)."""
        q = np.asarray(q_adc_ns, dtype=np.float64)
        mu, b = self.mu_adc_ns, self.gamma_relvar
        b_ua = self.ua_relvar_factor * b
        g1 = stats.gamma.pdf(q, a=1.0 / b, scale=mu * b)
        g2 = stats.gamma.pdf(q, a=1.0 / b_ua, scale=self.ua_mean_frac * mu * b_ua)
        lam = self.exp_slope_mu / mu
        ex = np.where(
            (q > 0) & (q < mu), lam * np.exp(-lam * q) / -math.expm1(-self.exp_slope_mu), 0.0
        )
        return self.main_fraction * g1 + self.ua_fraction * g2 + self.exp_fraction * ex

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
        """Draw ``n`` single-PE charges."""
        mu, b = self.mu_adc_ns, self.gamma_relvar
        q = rng.standard_gamma(1.0 / b, n) * (mu * b)
        u = rng.random(n)
        ua = np.flatnonzero(u < self.ua_fraction)
        if ua.size:
            b_ua = self.ua_relvar_factor * b
            q[ua] = rng.standard_gamma(1.0 / b_ua, ua.size) * (self.ua_mean_frac * mu * b_ua)
        ex = np.flatnonzero((u >= self.ua_fraction) & (u < self.ua_fraction + self.exp_fraction))
        if ex.size:
            lam = self.exp_slope_mu / mu
            v = rng.random(ex.size)
            q[ex] = -np.log1p(v * math.expm1(-self.exp_slope_mu)) / lam
        return q


@dataclass(frozen=True, slots=True)
class PulseShape:
    """Unit-area SPE current pulse ``h(t) = (exp(-t/fall) - exp(-t/rise)) / (fall - rise)``.

    Attributes
    ----------
    rise_ns, fall_ns : float
        Rise and fall time constants.
    """

    rise_ns: float
    fall_ns: float

    def cdf(self, t_ns: ArrayLike) -> NDArray[np.float64]:
        """Fraction of the pulse area before ``t`` (0 for t <= 0)."""
        t = np.maximum(np.asarray(t_ns, dtype=np.float64), 0.0)
        r, f = self.rise_ns, self.fall_ns
        return 1.0 - (f * np.exp(-t / f) - r * np.exp(-t / r)) / (f - r)

    def sampled(self, phase_ns: float, dt_ns: float, n: int) -> NDArray[np.float64]:
        """Mean amplitude per unit area in samples ``[k dt, (k+1) dt)`` for a PE at ``phase``."""
        edges = np.arange(n + 1) * dt_ns - phase_ns
        return np.diff(self.cdf(edges)) / dt_ns

    def n_taps(self, dt_ns: float) -> int:
        """Return the samples a pulse spans until < 2e-5 of its area is left.

        The pulse is followed for at least 11.5 fall times after its start, leaving
        ``fall / (fall - rise) exp(-11.5) < 2e-5`` of the area.
        """
        return int(math.ceil(11.5 * self.fall_ns / dt_ns)) + 1


@dataclass(frozen=True, slots=True)
class PEList:
    """Photoelectrons of a block of events, sorted by event.

    Attributes
    ----------
    ev : ndarray of int64
        Event index within the block (non-decreasing).
    ch : ndarray of int8
        0 top, 1 bottom.
    t_ns : ndarray of float64
        Arrival time in window coordinates (0 = start of sample 0).
    q_adc_ns : ndarray of float64
        Charge.
    """

    ev: NDArray[np.int64]
    ch: NDArray[np.int8]
    t_ns: NDArray[np.float64]
    q_adc_ns: NDArray[np.float64]

    def offsets(self, n_events: int) -> NDArray[np.int64]:
        """``offsets[e]:offsets[e+1]`` is the slice of event ``e``."""
        return np.searchsorted(self.ev, np.arange(n_events + 1)).astype(np.int64)

    def __len__(self) -> int:
        return int(self.ev.shape[0])


def _sample_charges(
    rng: np.random.Generator, models: tuple[SPEModel, SPEModel], ch: NDArray[np.int8]
) -> NDArray[np.float64]:
    """One SPE charge per entry of ``ch`` with the channel's model."""
    q = np.empty(ch.shape[0])
    for c, model in enumerate(models):
        sel = np.flatnonzero(ch == c)
        q[sel] = model.sample(rng, sel.size)
    return q


def afterpulses(
    rng: np.random.Generator,
    det: DetectorConfig,
    models: tuple[SPEModel, SPEModel],
    ev: NDArray[np.int64],
    ch: NDArray[np.int8],
    t_ns: NDArray[np.float64],
) -> tuple[PEList, NDArray[np.int64]]:
    """Afterpulses of a sorted primary PE list.

    Each primary PE makes at most one afterpulse: group 1 with ``afterpulse_prob_1``, group 2
    with ``afterpulse_prob_2``, at a Gaussian delay (kept positive). An afterpulse carries
    ``1 + Poisson(afterpulse_extra_pe_mean)`` SPE charges.

    Returns
    -------
    PEList
        The afterpulses (sorted by event, as the parents are).
    ndarray of int64
        Number of SPE charges summed in each afterpulse.
    """
    p1, p2 = det.afterpulse_prob_1, det.afterpulse_prob_2
    u = rng.random(ev.shape[0])
    parent = np.flatnonzero(u < p1 + p2)
    is_first = u[parent] < p1
    delay = np.where(
        is_first,
        det.afterpulse_delay_1_ns + det.afterpulse_sigma_1_ns * rng.standard_normal(parent.size),
        det.afterpulse_delay_2_ns + det.afterpulse_sigma_2_ns * rng.standard_normal(parent.size),
    )
    delay = np.abs(delay)
    n_spe = 1 + rng.poisson(det.afterpulse_extra_pe_mean, parent.size)
    owner = np.repeat(np.arange(parent.size), n_spe)
    q_single = _sample_charges(rng, models, ch[parent][owner])
    q = np.bincount(owner, weights=q_single, minlength=parent.size)
    return (
        PEList(ev=ev[parent], ch=ch[parent], t_ns=t_ns[parent] + delay, q_adc_ns=q),
        n_spe.astype(np.int64),
    )


def dark_counts(
    rng: np.random.Generator,
    det: DetectorConfig,
    models: tuple[SPEModel, SPEModel],
    n_events: int,
) -> PEList:
    """Dark counts: Poisson(rate x window) single PE per PMT, uniform in the window."""
    mean = det.dark_rate_hz * det.window_ns * 1e-9
    counts = rng.poisson(mean, (n_events, 2))
    flat = counts.ravel()
    group = np.repeat(np.arange(flat.size), flat)
    ev = (group // 2).astype(np.int64)
    ch = (group % 2).astype(np.int8)
    t = rng.random(group.size) * det.window_ns
    return PEList(ev=ev, ch=ch, t_ns=t, q_adc_ns=_sample_charges(rng, models, ch))
