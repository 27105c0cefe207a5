"""Continuous energy spectra of the simulated sources, tabulated for inverse-CDF sampling.

What to use when
----------------
- ``BetaSpectrum.ar39(q_kev=565.0)``: the 39Ar beta spectrum (unique first forbidden); use
  ``pdf``, ``mean_kev`` and ``sample``. ``beta_density`` is the unnormalised shape itself
  (what the tests integrate to get the analytic mean).
- ``fermi_function``: the relativistic Fermi function with finite nuclear size.
- ``ComptonSpectrum(energy_kev)``: recoil-electron energy of a single Klein-Nishina scatter
  (0 to the Compton edge), for the continuum of the external gamma sources.

Units: kinetic energies in keV; internally ``W`` (total energy) and ``p`` (momentum) are in
units of the electron mass, as in beta-decay theory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import quad
from scipy.special import loggamma

__all__ = [
    "ELECTRON_MASS_KEV",
    "BetaSpectrum",
    "ComptonSpectrum",
    "beta_density",
    "fermi_function",
]

#: Electron rest energy (CODATA 2018), keV.
ELECTRON_MASS_KEV = 510.99895
_ALPHA = 1.0 / 137.035999084
#: Reduced Compton wavelength of the electron, fm (the natural length unit hbar / (m_e c)).
_LAMBDA_BAR_FM = 386.15926796


def fermi_function(z_daughter: int, w: ArrayLike, mass_number: int) -> NDArray[np.float64]:
    """Relativistic Fermi function for beta- decay with a finite nuclear radius.

    ``F = 2 (1 + g) (2 p R)^(2g - 2) exp(pi eta) |Gamma(g + i eta)|^2 / Gamma(2g + 1)^2`` with
    ``g = sqrt(1 - (alpha Z)^2)``, ``eta = alpha Z W / p`` and ``R = 1.2 A^(1/3) fm`` in units of
    ``hbar / (m_e c)`` (evaluated in logarithms, so it is stable down to p -> 0).

    Parameters
    ----------
    z_daughter : int
        Charge of the daughter nucleus (19 for 39Ar -> 39K).
    w : array_like
        Total electron energy in units of the electron mass (> 1).
    mass_number : int
        Mass number (sets the nuclear radius).

    Returns
    -------
    ndarray
        F(Z, W), dimensionless.
    """
    w = np.asarray(w, dtype=np.float64)
    p = np.sqrt(np.maximum(w * w - 1.0, 1e-300))
    az = _ALPHA * z_daughter
    g = math.sqrt(1.0 - az * az)
    eta = az * w / p
    radius = 1.2 * mass_number ** (1.0 / 3.0) / _LAMBDA_BAR_FM
    log_f = (
        math.log(2.0 * (1.0 + g))
        + (2.0 * g - 2.0) * np.log(2.0 * p * radius)
        + math.pi * eta
        + 2.0 * loggamma(g + 1j * eta).real
        - 2.0 * float(loggamma(2.0 * g + 1.0).real)
    )
    return np.exp(log_f)


def beta_density(
    t_kev: ArrayLike, q_kev: float, z_daughter: int, mass_number: int, *, unique_first: bool
) -> NDArray[np.float64]:
    """Unnormalised beta- spectrum ``dN/dT``.

    ``N(T) ~ p W (W0 - W)^2 F(Z, W) C(W)`` with the shape factor ``C = q^2 + p^2`` (``q`` the
    neutrino momentum ``W0 - W``) for a unique first-forbidden transition, else ``C = 1``.

    Parameters
    ----------
    t_kev : array_like
        Electron kinetic energy; the density is 0 outside ``(0, q_kev)``.
    q_kev : float
        Endpoint (Q value) in keV.
    z_daughter, mass_number : int
        Daughter charge and mass number for the Fermi function.
    unique_first : bool
        Apply the unique first-forbidden shape factor.
    """
    t = np.asarray(t_kev, dtype=np.float64)
    inside = (t > 0.0) & (t < q_kev)
    tt = np.where(inside, t, 0.5 * q_kev)
    w = 1.0 + tt / ELECTRON_MASS_KEV
    w0 = 1.0 + q_kev / ELECTRON_MASS_KEV
    p = np.sqrt(w * w - 1.0)
    q = w0 - w
    shape = q * q + p * p if unique_first else np.ones_like(w)
    dens = p * w * q * q * fermi_function(z_daughter, w, mass_number) * shape
    return np.where(inside, dens, 0.0)


@dataclass(frozen=True)
class _Table:
    """Inverse-CDF table: CDF values ``cdf`` at abscissae ``x`` (monotone, 0 to 1)."""

    x: NDArray[np.float64]
    cdf: NDArray[np.float64]

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
        u = rng.random(n)
        return np.interp(u, self.cdf, self.x)


def _table_from_density(x: NDArray[np.float64], dens: NDArray[np.float64]) -> _Table:
    cum = np.concatenate(([0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(x))))
    cum /= cum[-1]
    return _Table(x=x, cdf=cum)


@dataclass(frozen=True)
class BetaSpectrum:
    """A tabulated beta spectrum ready for sampling.

    The density is evaluated on ``n_grid`` equally spaced energies and sampled by linear
    interpolation of its cumulative integral (trapezoid rule): with the default 20001 points the
    sampled mean differs from the exact mean of ``beta_density`` by < 1e-5 relative.

    Attributes
    ----------
    q_kev : float
        Endpoint.
    z_daughter, mass_number : int
        Daughter charge and mass number.
    unique_first : bool
        Unique first-forbidden shape factor applied.
    n_grid : int
        Table size.
    """

    q_kev: float
    z_daughter: int
    mass_number: int
    unique_first: bool = True
    n_grid: int = 20001
    _table: _Table = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.q_kev > 0:
            raise ValueError("q_kev must be positive")
        x = np.linspace(0.0, self.q_kev, self.n_grid)
        d = self.density(x)
        object.__setattr__(self, "_table", _table_from_density(x, d))

    @classmethod
    def ar39(
        cls, q_kev: float = 565.0, z_daughter: int = 19, mass_number: int = 39
    ) -> BetaSpectrum:
        """Return the 39Ar spectrum (ENSDF: Q = 565 keV, unique first forbidden, 7/2- -> 3/2+)."""
        return _cached_beta(float(q_kev), int(z_daughter), int(mass_number), True)

    def density(self, t_kev: ArrayLike) -> NDArray[np.float64]:
        """Unnormalised density ``dN/dT`` (see ``beta_density``)."""
        return beta_density(
            t_kev, self.q_kev, self.z_daughter, self.mass_number, unique_first=self.unique_first
        )

    def pdf(self, t_kev: ArrayLike) -> NDArray[np.float64]:
        """Normalised probability density per keV."""
        norm = quad(lambda t: float(self.density(t)), 0.0, self.q_kev, limit=200)[0]
        return self.density(t_kev) / norm

    def mean_kev(self) -> float:
        """Mean kinetic energy of the density (adaptive quadrature, not the table)."""
        num = quad(lambda t: t * float(self.density(t)), 0.0, self.q_kev, limit=200)[0]
        den = quad(lambda t: float(self.density(t)), 0.0, self.q_kev, limit=200)[0]
        return num / den

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
        """Draw ``n`` kinetic energies in keV."""
        return self._table.sample(rng, n)


@lru_cache(maxsize=8)
def _cached_beta(q: float, z: int, a: int, unique: bool) -> BetaSpectrum:
    return BetaSpectrum(q_kev=q, z_daughter=z, mass_number=a, unique_first=unique)


@dataclass(frozen=True)
class ComptonSpectrum:
    """Recoil-electron kinetic energy after one Klein-Nishina scatter of a photon.

    ``T = E - E'``, ``E' = E / (1 + k (1 - cos theta))``, ``k = E / m_e c^2``, with ``cos theta``
    drawn from ``dsigma/dOmega ~ r^2 (r + 1/r - sin^2 theta)``, ``r = E'/E``. Ranges from 0 to
    the Compton edge ``2 k E / (1 + 2 k)``.

    Attributes
    ----------
    energy_kev : float
        Incident photon energy.
    """

    energy_kev: float
    _table: _Table = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.energy_kev > 0:
            raise ValueError("energy_kev must be positive")
        cos_t = np.linspace(-1.0, 1.0, 4001)
        k = self.energy_kev / ELECTRON_MASS_KEV
        r = 1.0 / (1.0 + k * (1.0 - cos_t))
        dens = r * r * (r + 1.0 / r - (1.0 - cos_t * cos_t))
        tab = _table_from_density(cos_t, dens)
        # map to electron energy (monotone decreasing in cos theta): store as T table
        t = self.energy_kev * (1.0 - r)
        object.__setattr__(self, "_table", _Table(x=t[::-1].copy(), cdf=1.0 - tab.cdf[::-1]))

    @classmethod
    def cached(cls, energy_kev: float) -> ComptonSpectrum:
        """Return a shared (cached) table for ``energy_kev``."""
        return _cached_compton(float(energy_kev))

    @property
    def edge_kev(self) -> float:
        """Compton edge (largest recoil energy)."""
        k = self.energy_kev / ELECTRON_MASS_KEV
        return self.energy_kev * 2.0 * k / (1.0 + 2.0 * k)

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
        """Draw ``n`` recoil energies in keV."""
        return self._table.sample(rng, n)


@lru_cache(maxsize=16)
def _cached_compton(energy_kev: float) -> ComptonSpectrum:
    return ComptonSpectrum(energy_kev)
