"""Energy deposits per event: what each source deposits, when, and at which height.

What to use when
----------------
- ``sample_deposits(codes, rng, sources)``: one ``Deposits`` row per event for a mix of source
  codes (``SOURCE_CODES``). The simulation driver calls it; tests call it to check spectra
  without rendering waveforms.
- ``SOURCE_CODES`` / ``SOURCE_NAMES``: the integer code of each source as written to
  ``/truth/source``.

Physics
-------
- ``kr83m``: 32.1516 keV, then 9.4057 keV after an exponential delay (half-life 155.1 ns).
  Each step deposits its full energy (conversion electrons and x-rays stop within 0.3 mm).
- ``ar39``: beta spectrum of ``spectra.BetaSpectrum.ar39``; uniform height.
- ``co57`` / ``am241``: an external side source at height ``*_source_z`` and standoff
  ``source_standoff_cm``. A line is chosen by emission probability; the deposit is the full
  energy, a single Klein-Nishina scatter with escape, or a flat degraded continuum, with the
  configured fractions. The first interaction point is found by tracing an isotropic photon
  into a half-space of argon (exponential depth with the line's attenuation length) and keeping
  it when it falls inside the active height: events crowd near the source height.
- ``led``: no deposit (energy 0, height NaN).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analysis_core.sim.config import SourceConfig
from analysis_core.sim.spectra import BetaSpectrum, ComptonSpectrum

__all__ = ["SOURCE_CODES", "SOURCE_NAMES", "Deposits", "sample_deposits", "sample_external_z"]

#: Integer code of each source in ``/truth/source``.
SOURCE_CODES: dict[str, int] = {"led": 0, "ar39": 1, "kr83m": 2, "co57": 3, "am241": 4}
#: Inverse of ``SOURCE_CODES``.
SOURCE_NAMES: dict[int, str] = {v: k for k, v in SOURCE_CODES.items()}

#: Gamma-deposit categories recorded in ``/truth/gamma_category``.
GAMMA_NONE, GAMMA_PHOTOPEAK, GAMMA_COMPTON, GAMMA_CONTINUUM = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class Deposits:
    """Energy deposits of a batch of events (one entry per event).

    Attributes
    ----------
    source : ndarray of int8
        ``SOURCE_CODES`` value.
    energy_1_kev, energy_2_kev : ndarray of float64
        First and (83mKr only, else 0) second deposit.
    delay_ns : ndarray of float64
        Delay of the second deposit (NaN when there is none).
    z : ndarray of float64
        Height fraction (0 bottom, 1 top); NaN for LED events.
    gamma_category : ndarray of int8
        For external gammas: 1 photopeak, 2 single Compton, 3 continuum; else 0.
    """

    source: NDArray[np.int8]
    energy_1_kev: NDArray[np.float64]
    energy_2_kev: NDArray[np.float64]
    delay_ns: NDArray[np.float64]
    z: NDArray[np.float64]
    gamma_category: NDArray[np.int8]

    @property
    def energy_kev(self) -> NDArray[np.float64]:
        """Total deposited energy."""
        return self.energy_1_kev + self.energy_2_kev

    def __len__(self) -> int:
        return int(self.source.shape[0])


def sample_external_z(
    rng: np.random.Generator,
    n: int,
    source_z: float,
    attenuation_cm: NDArray[np.float64] | float,
    standoff_cm: float,
    height_cm: float,
) -> NDArray[np.float64]:
    """Heights of the first interaction of photons from an external side source.

    The photon leaves the source isotropically towards the detector (``cos theta`` uniform on
    (0, 1] about the inward normal), crosses ``standoff_cm`` and travels an exponential depth
    ``s`` in argon. Its height is ``z_s + (standoff / cos theta + s) sin theta cos phi``; photons
    landing outside ``[0, height]`` miss the active volume and are re-drawn.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random source.
    n : int
        Number of events.
    source_z : float
        Source height as a fraction of the active height.
    attenuation_cm : float or ndarray
        Attenuation length (per event when an array of length ``n``).
    standoff_cm, height_cm : float
        Source distance to the active volume, active height.

    Returns
    -------
    ndarray
        Height fractions in [0, 1].
    """
    att = np.broadcast_to(np.asarray(attenuation_cm, dtype=np.float64), (n,))
    z = np.empty(n)
    todo = np.arange(n)
    for _ in range(1000):
        m = todo.size
        if m == 0:
            return z
        cos_t = 1.0 - rng.random(m)  # (0, 1]
        sin_t = np.sqrt(1.0 - cos_t * cos_t)
        cos_phi = np.cos(2.0 * np.pi * rng.random(m))
        depth = att[todo] * rng.standard_exponential(m)
        h_cm = source_z * height_cm + (standoff_cm / cos_t + depth) * sin_t * cos_phi
        ok = (h_cm >= 0.0) & (h_cm <= height_cm)
        z[todo[ok]] = h_cm[ok] / height_cm
        todo = todo[~ok]
    raise RuntimeError("external-source height sampling did not converge")  # pragma: no cover


def _gamma_deposits(
    rng: np.random.Generator,
    n: int,
    lines: tuple[float, ...],
    intensities: tuple[float, ...],
    attenuation: tuple[float, ...],
    photopeak: float,
    compton: float,
    source_z: float,
    sources: SourceConfig,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int8]]:
    p = np.asarray(intensities, dtype=np.float64)
    line_idx = rng.choice(len(lines), size=n, p=p / p.sum())
    e_line = np.asarray(lines)[line_idx]
    u = rng.random(n)
    cat = np.where(
        u < photopeak, GAMMA_PHOTOPEAK, np.where(u < photopeak + compton, GAMMA_COMPTON, 3)
    ).astype(np.int8)
    energy = e_line.copy()
    for i, e in enumerate(lines):
        sel = (cat == GAMMA_COMPTON) & (line_idx == i)
        energy[sel] = ComptonSpectrum.cached(e).sample(rng, int(sel.sum()))
    flat = cat == GAMMA_CONTINUUM
    energy[flat] = e_line[flat] * (1.0 - rng.random(int(flat.sum())))  # (0, E]
    z = sample_external_z(
        rng,
        n,
        source_z,
        np.asarray(attenuation)[line_idx],
        sources.source_standoff_cm,
        sources.detector_height_cm,
    )
    return energy, z, cat


def sample_deposits(
    codes: NDArray[np.integer],
    rng: np.random.Generator,
    sources: SourceConfig,
    *,
    z_beta_a: NDArray[np.float64] | None = None,
) -> Deposits:
    """Draw the energy deposits of a batch of events.

    Parameters
    ----------
    codes : ndarray of int
        ``SOURCE_CODES`` value of each event.
    rng : numpy.random.Generator
        Random source (the result is deterministic for its state).
    sources : SourceConfig
        Nuclear data and geometry.
    z_beta_a : ndarray, optional
        Per-event shape ``a`` of the ``Beta(a, 1)`` height of 83mKr events (``kr-run`` mixing;
        1 = uniform). Other sources ignore it.

    Returns
    -------
    Deposits
    """
    codes = np.asarray(codes, dtype=np.int8)
    n = codes.shape[0]
    e1 = np.zeros(n)
    e2 = np.zeros(n)
    delay = np.full(n, np.nan)
    z = np.full(n, np.nan)
    cat = np.zeros(n, dtype=np.int8)
    unknown = set(np.unique(codes).tolist()) - set(SOURCE_NAMES)
    if unknown:
        raise ValueError(f"unknown source codes {sorted(unknown)}")

    sel = np.flatnonzero(codes == SOURCE_CODES["ar39"])
    if sel.size:
        beta = BetaSpectrum.ar39(
            sources.ar39_q_kev, sources.ar39_daughter_z, sources.ar39_mass_number
        )
        e1[sel] = beta.sample(rng, sel.size)
        z[sel] = rng.random(sel.size)

    sel = np.flatnonzero(codes == SOURCE_CODES["kr83m"])
    if sel.size:
        e1[sel] = sources.kr83m_energy_1_kev
        e2[sel] = sources.kr83m_energy_2_kev
        delay[sel] = sources.kr83m_step_mean_life_ns * rng.standard_exponential(sel.size)
        u = rng.random(sel.size)
        if z_beta_a is None:
            z[sel] = u
        else:
            # Beta(a, 1) by inversion: F(z) = z^a
            z[sel] = u ** (1.0 / np.asarray(z_beta_a, dtype=np.float64)[sel])

    for name in ("co57", "am241"):
        sel = np.flatnonzero(codes == SOURCE_CODES[name])
        if sel.size:
            e, zz, cc = _gamma_deposits(
                rng,
                sel.size,
                getattr(sources, f"{name}_lines_kev"),
                getattr(sources, f"{name}_line_intensities"),
                getattr(sources, f"{name}_attenuation_cm"),
                getattr(sources, f"{name}_photopeak_fraction"),
                getattr(sources, f"{name}_compton_fraction"),
                getattr(sources, f"{name}_source_z"),
                sources,
            )
            e1[sel], z[sel], cat[sel] = e, zz, cc
    return Deposits(
        source=codes.copy(),
        energy_1_kev=e1,
        energy_2_kev=e2,
        delay_ns=delay,
        z=z,
        gamma_category=cat,
    )
