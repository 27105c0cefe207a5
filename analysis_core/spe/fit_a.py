"""Analysis A: the DEAP-3600 model fitted to an LED charge spectrum (one PMT).

What to use when
----------------
- ``fit_led_spectrum(charges_adc_ns)``: histogram the LED integrals of one PMT and fit the
  pedestal + Poisson x n-fold SPE model (``analysis_core.spe.deap``) by binned Poisson
  likelihood with iminuit (``analysis_core.fitting.minimize``). Returns an ``LedFit`` whose
  ``gain_adc_ns`` is ``mu`` (the Analysis A gain: the fully amplified component's mean),
  ``mean_charge_adc_ns`` the whole model's mean, ``occupancy`` the mean PE per flash.
- ``LedFit.components()``: expected counts per bin of the pedestal, the 1, 2 and >= 3 PE
  terms and the total (for plots).

Binning: bins of ``bin_width_adc_ns`` made of ``cells_per_bin`` model grid cells, from the
0.02 % to the 99.9 % quantile of the charges; events outside that range are left out (the
extended likelihood's ``n_events`` is the model's total, in and out of range).

Free by default: ``n_events``, ``occupancy``, the pedestal mean and width, ``mu`` and the
Gamma's relative variance ``b``. The low-charge components are fixed at a DEAP-3600-like shape
(``DEFAULT_FIXED``: under-amplified weight 0.15 at 0.35 mu with 2 b, exponential weight 0.05
with lambda mu = 5): with one LED intensity and a pedestal 0.15 mu wide they are degenerate
with ``b`` (freed, the under-amplified weight runs to 0 in a third of 6000-flash toys and
drags ``mu`` down by ~7 %). Free them (``fixed=()`` or a shorter tuple) with a low-noise,
high-statistics LED run, or vary them to quote the model systematic. A run without LED light
(occupancy < 0.02) or with too few events returns ``valid=False`` with the reason, never an
exception.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis_core.fitting.result import FitResult, minimize
from analysis_core.spe.deap import PARAM_NAMES, DeapGrid, led_terms, spe_mean

__all__ = ["DEFAULT_FIXED", "LedFit", "fit_led_spectrum"]

#: Shape parameters held constant unless the caller frees them.
DEFAULT_FIXED = ("ua_fraction", "ua_mean_frac", "ua_relvar_factor", "exp_fraction", "exp_slope_mu")
_DEFAULTS = {
    "ua_fraction": 0.15,
    "ua_mean_frac": 0.35,
    "ua_relvar_factor": 2.0,
    "exp_fraction": 0.05,
    "exp_slope_mu": 5.0,
}
_LIMITS: dict[str, tuple[float | None, float | None]] = {
    "n_events": (0.0, None),
    "occupancy": (1e-4, 50.0),
    "ped_sigma_adc_ns": (1e-3, None),
    "mu_adc_ns": (1e-3, None),
    "gamma_relvar": (0.01, 3.0),
    "ua_fraction": (0.0, 0.9),
    "ua_mean_frac": (0.05, 0.95),
    "ua_relvar_factor": (0.1, 20.0),
    "exp_fraction": (0.0, 0.9),
    "exp_slope_mu": (0.1, 50.0),
}
_MIN_EVENTS = 200


@dataclass(frozen=True)
class LedFit:
    """Analysis A fit of one PMT's LED spectrum.

    Attributes
    ----------
    channel : str
        PMT name.
    fit : FitResult
        Parameters ``PARAM_NAMES``; ``extra`` holds ``mean_charge_adc_ns`` and its error.
    edges_adc_ns, counts : tuple
        The fitted histogram.
    grid_dq_adc_ns, grid_n : float, int
        The model grid (to redraw the components).
    """

    channel: str
    fit: FitResult
    edges_adc_ns: tuple[float, ...] = ()
    counts: tuple[int, ...] = ()
    grid_dq_adc_ns: float = 1.0
    grid_n: int = 256
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        """True when the fit converged with an accurate covariance."""
        return self.fit.valid

    @property
    def gain_adc_ns(self) -> float:
        """Analysis A gain: ``mu`` of the fully amplified component."""
        return self.fit["mu_adc_ns"]

    @property
    def gain_err_adc_ns(self) -> float:
        """HESSE error of ``mu``."""
        return self.fit.error("mu_adc_ns")

    @property
    def mean_charge_adc_ns(self) -> float:
        """Mean of the whole SPE model."""
        return float(self.fit.extra.get("mean_charge_adc_ns", math.nan))

    @property
    def mean_charge_err_adc_ns(self) -> float:
        """Error of ``mean_charge_adc_ns`` (full covariance)."""
        return float(self.fit.extra.get("mean_charge_err_adc_ns", math.nan))

    @property
    def occupancy(self) -> float:
        """Mean PE per LED flash."""
        return self.fit["occupancy"]

    @property
    def occupancy_err(self) -> float:
        """Error of the occupancy."""
        return self.fit.error("occupancy")

    def components(self) -> dict[str, NDArray[np.float64]]:
        """Return expected counts per bin: pedestal, 1 PE, 2 PE, >=3 PE and total."""
        if not self.counts or not all(map(math.isfinite, self.fit.values)):
            return {}
        p = self.fit.params()
        grid = DeapGrid(self.grid_dq_adc_ns, self.grid_n)
        terms = led_terms(p, grid)
        edges = np.asarray(self.edges_adc_ns)
        rebin = _rebinner(edges, grid)
        n = p["n_events"]
        out = {
            "pedestal": n * rebin(terms[0]),
            "1 PE": n * rebin(terms[1]),
            "2 PE": n * rebin(terms[2]),
            ">=3 PE": n * rebin(sum(terms[3:])),
        }
        out["total"] = sum(out.values())
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "channel": self.channel,
            "fit": self.fit.to_dict(),
            "edges_adc_ns": list(self.edges_adc_ns),
            "counts": list(self.counts),
            "grid_dq_adc_ns": self.grid_dq_adc_ns,
            "grid_n": self.grid_n,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LedFit:
        """Inverse of ``to_dict``."""
        return cls(
            channel=str(d["channel"]),
            fit=FitResult.from_dict(d["fit"]),
            edges_adc_ns=tuple(float(x) for x in d.get("edges_adc_ns", ())),
            counts=tuple(int(x) for x in d.get("counts", ())),
            grid_dq_adc_ns=float(d.get("grid_dq_adc_ns", 1.0)),
            grid_n=int(d.get("grid_n", 256)),
        )


def _rebinner(edges: NDArray[np.float64], grid: DeapGrid):
    """Return a function summing grid-cell masses into the bins (edges on cell edges)."""
    i_lo = int(round(edges[0] / grid.dq + 0.5))
    k = int(round((edges[1] - edges[0]) / grid.dq))
    nb = edges.size - 1
    idx = np.mod(i_lo + np.arange(nb * k), grid.n)

    def rebin(masses: NDArray[np.float64]) -> NDArray[np.float64]:
        return masses[idx].reshape(nb, k).sum(axis=1)

    return rebin


def _start(q: NDArray[np.float64], n: int) -> dict[str, float]:
    neg = q[q < 0]
    sigma = math.sqrt(float(np.mean(neg**2))) if neg.size > 10 else float(np.std(q)) / 4 + 1e-3
    zero = min(1.0, 2.0 * neg.size / q.size)
    lam = -math.log(max(zero, 1e-3))
    mu = float(q.mean()) / max(lam, 1e-3) / 0.86
    return {
        "n_events": float(n),
        "occupancy": lam,
        "ped_mean_adc_ns": 0.0,
        "ped_sigma_adc_ns": max(sigma, 1e-2),
        "mu_adc_ns": max(mu, 4 * sigma, 1e-2),
        "gamma_relvar": 0.25,
        "ua_fraction": _DEFAULTS["ua_fraction"],
        "ua_mean_frac": _DEFAULTS["ua_mean_frac"],
        "ua_relvar_factor": _DEFAULTS["ua_relvar_factor"],
        "exp_fraction": _DEFAULTS["exp_fraction"],
        "exp_slope_mu": _DEFAULTS["exp_slope_mu"],
    }


def fit_led_spectrum(
    charges_adc_ns: ArrayLike,
    *,
    channel: str = "",
    bin_width_adc_ns: float | None = None,
    cells_per_bin: int = 4,
    fixed: Sequence[str] = DEFAULT_FIXED,
    start: Mapping[str, float] | None = None,
) -> LedFit:
    """Fit the DEAP-3600 LED model to one PMT's charges (binned Poisson likelihood).

    Parameters
    ----------
    charges_adc_ns : array_like
        LED integrals of one PMT (``led.extract_led_charges``).
    channel : str
        PMT name, kept in the result.
    bin_width_adc_ns : float, optional
        Histogram bin width; default: a quarter of the pedestal width, at least 2 ADC x ns.
    cells_per_bin : int
        Model grid cells per histogram bin.
    fixed : sequence of str
        Parameters held at their start values.
    start : mapping, optional
        Start values overriding the data-driven ones.

    Returns
    -------
    LedFit
        ``fit.valid`` False with a plain reason when the spectrum cannot be fitted.
    """
    q = np.asarray(charges_adc_ns, dtype=np.float64)
    q = q[np.isfinite(q)]
    names = list(PARAM_NAMES)
    model = "deap-led"
    if q.size < _MIN_EVENTS:
        msg = f"too few LED events: {q.size} (need {_MIN_EVENTS})"
        return LedFit(channel, FitResult.failed(names, msg, model=model, cost="poisson"))
    p0 = _start(q, q.size) | dict(start or {})
    if p0["occupancy"] < 0.02:
        msg = (
            f"no LED light above the pedestal: {100 * math.exp(-p0['occupancy']):.1f} % of "
            f"events are pedestal-like (occupancy {p0['occupancy']:.3g} PE)"
        )
        return LedFit(channel, FitResult.failed(names, msg, model=model, cost="poisson"))
    width = bin_width_adc_ns or max(2.0, p0["ped_sigma_adc_ns"] / 4.0)
    dq = width / cells_per_bin
    lo, hi = np.quantile(q, [2e-4, 0.999])
    grid = DeapGrid.for_data(lo, hi, dq)
    i_lo = int(math.floor(lo / dq))
    nb = max(1, int(math.ceil((hi / dq - i_lo) / cells_per_bin)))
    edges = (i_lo + cells_per_bin * np.arange(nb + 1) - 0.5) * dq
    counts = np.histogram(q, edges)[0].astype(np.float64)
    rebin = _rebinner(edges, grid)

    def expected(*vals: float) -> NDArray[np.float64]:
        p = dict(zip(names, vals, strict=True))
        return np.maximum(p["n_events"] * rebin(sum(led_terms(p, grid))), 1e-300)

    def deviance(*vals: float) -> float:
        nu = expected(*vals)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_term = np.where(counts > 0, counts * np.log(counts / nu), 0.0)
        return float(2.0 * np.sum(nu - counts + log_term))

    def derived(m: Any) -> dict[str, Any]:
        vals = dict(zip(names, (float(v) for v in m.values), strict=True))
        cov = np.array(m.covariance)
        grad = np.zeros(len(names))
        for i, n in enumerate(names):
            h = 1e-5 * max(abs(vals[n]), 1e-3)
            grad[i] = (spe_mean(vals | {n: vals[n] + h}) - spe_mean(vals | {n: vals[n] - h})) / (
                2 * h
            )
        return {
            "mean_charge_adc_ns": spe_mean(vals),
            "mean_charge_err_adc_ns": float(math.sqrt(max(grad @ cov @ grad, 0.0))),
        }

    values = {n: p0[n] for n in names}
    for _attempt in range(3):  # MIGRAD restarted from its last point until it converges
        res = minimize(
            deviance,
            values,
            limits=_LIMITS,
            fixed=[n for n in fixed if n in names],
            n_data=int(nb),
            model=model,
            cost_name="poisson",
            extra=derived,
        )
        if res.valid or not all(map(math.isfinite, res.values)):
            break
        values = res.params()
    return LedFit(channel, res, tuple(edges.tolist()), tuple(int(c) for c in counts), dq, grid.n)
