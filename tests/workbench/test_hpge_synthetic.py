"""Synthetic HPGe spectra for the HPGe pane tests (and their own checks).

No real 83Rb spectrum or container measurement is public, so the assay path is tested on
spectra derived from known truth:

- ``write_spe``: an ORTEC ``.Spe`` text file (the layout Maestro writes).
- ``write_inside_copy``: the real 152Eu spectrum "counted inside a container" by binomial
  thinning of every channel with the transmission ``mu(E) = exp(-K (E/500 keV)^-P)`` of a thin
  steel wall (``K = 0.2``, ``P = 0.5``: ``mu = 0.82`` at 520 keV, like the paper's 0.83). Each
  photon survives independently, so a full-energy peak at ``E`` keeps ``mu(E)`` of its counts
  exactly in expectation; same start and times as the original.
- ``write_rb83``: a 1-hour 83Rb spectrum: Gaussian peaks with ``N = A Y eps(E) mu(E) t_live D``
  on a falling continuum, ``eps`` from a given efficiency function, Poisson counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from scipy.special import erf

from analysis_core.hpge.readers import read_spectrum

K_WALL, P_WALL = 0.2, 0.5
RB83_LINES = ((520.3991, 0.447), (529.5945, 0.293), (552.5512, 0.1596))
RB83_HALF_LIFE_S = 7.44768e6
CAL = (0.33973, 0.18297, 5.5683e-09)  # the curie spectrum's $MCA_CAL


def mu_wall(energy_kev):
    """Transmission of the synthetic container wall."""
    return np.exp(-K_WALL * (np.asarray(energy_kev, dtype=float) / 500.0) ** -P_WALL)


def write_spe(
    path: Path,
    counts,
    *,
    start: datetime,
    live_s: float,
    real_s: float,
    cal=CAL,
    title: str = "synthetic",
) -> Path:
    """Write ``counts`` as an ORTEC .Spe file with a quadratic $MCA_CAL."""
    n = len(counts)
    body = "\n".join(f"{int(c):8d}" for c in counts)
    text = (
        f"$SPEC_ID:\n{title}\n$SPEC_REM:\nDET# 1\n$DATE_MEA:\n{start:%m/%d/%Y %H:%M:%S}\n"
        f"$MEAS_TIM:\n{live_s:g} {real_s:g}\n$DATA:\n0 {n - 1}\n{body}\n"
        f"$MCA_CAL:\n3\n{cal[0]:E} {cal[1]:E} {cal[2]:E} keV\n"
    )
    path.write_text(text, encoding="ascii")
    return path


def write_inside_copy(source: Path, out: Path, seed: int = 11) -> Path:
    """Write ``source`` thinned by ``mu_wall`` channel by channel (same times and start)."""
    s = read_spectrum(source)
    rng = np.random.default_rng(seed)
    energies = s.energies_kev()
    p = np.clip(mu_wall(np.maximum(energies, 1.0)), 0.0, 1.0)
    thinned = rng.binomial(s.counts.astype(np.int64), p)
    return write_spe(
        out,
        thinned,
        start=s.start_time,
        live_s=s.live_time_s,
        real_s=s.real_time_s,
        cal=s.energy_cal.coefficients,
        title="152Eu inside the synthetic container",
    )


def rb83_expected_counts(
    activity_bq: float, efficiency: Callable[[float], float], live_s: float, real_s: float
) -> list[float]:
    """Return ``A Y eps mu t_live D`` per 83Rb line (``A`` at the start of the count)."""
    lam = math.log(2.0) / RB83_HALF_LIFE_S
    d = -math.expm1(-lam * real_s) / (lam * real_s)
    return [activity_bq * y * efficiency(e) * float(mu_wall(e)) * live_s * d for e, y in RB83_LINES]


def write_rb83(
    out: Path,
    activity_bq: float,
    efficiency: Callable[[float], float],
    *,
    start: datetime = datetime(2019, 2, 19, 10, 0, 0),
    live_s: float = 3600.0,
    seed: int = 0,
) -> Path:
    """Write a 1-hour synthetic 83Rb spectrum in the container (see the module docstring)."""
    rng = np.random.default_rng(seed)
    n = 16384
    ch = np.arange(n + 1, dtype=float) - 0.5
    edges = CAL[0] + CAL[1] * ch + CAL[2] * ch**2
    centres = 0.5 * (edges[:-1] + edges[1:])
    model = 40.0 * np.exp(-centres / 400.0) + 2.0  # continuum, counts per channel
    model[centres < 20.0] = 0.0
    real_s = live_s * 1.02
    for (e, _), n_exp in zip(
        RB83_LINES, rb83_expected_counts(activity_bq, efficiency, live_s, real_s), strict=True
    ):
        sigma = math.sqrt(1.0 + 0.0015 * e) / 2.3548
        z = (edges - e) / (sigma * math.sqrt(2.0))
        model += n_exp * 0.5 * np.diff(erf(z))
    counts = rng.poisson(model)
    return write_spe(out, counts, start=start, live_s=live_s, real_s=real_s, title="synthetic 83Rb")


# ---------------------------------------------------------------------- checks of the generators
def test_write_spe_round_trips(tmp_path):
    counts = np.arange(40) % 7
    path = write_spe(
        tmp_path / "x.Spe", counts, start=datetime(2020, 1, 2, 3, 4, 5), live_s=10, real_s=12
    )
    s = read_spectrum(path)
    np.testing.assert_array_equal(s.counts, counts)
    assert (s.live_time_s, s.real_time_s) == (10.0, 12.0)
    assert s.start_time == datetime(2020, 1, 2, 3, 4, 5)
    np.testing.assert_allclose(s.energy_cal.coefficients, CAL, rtol=1e-6)


def test_rb83_peaks_hold_the_expected_counts(tmp_path):
    # Sum +- 4 sigma around each line minus the continuum: within 4 Poisson sigma of truth.
    path = write_rb83(tmp_path / "rb.Spe", 5000.0, lambda e: 4.3e-3)
    s = read_spectrum(path)
    e = s.energies_kev()
    expected = rb83_expected_counts(5000.0, lambda _e: 4.3e-3, 3600.0, 3672.0)
    for (line, _), n_exp in zip(RB83_LINES, expected, strict=True):
        sel = np.abs(e - line) < 3.0
        cont = 40.0 * np.exp(-e[sel] / 400.0) + 2.0
        net = s.counts[sel].sum() - cont.sum()
        assert net == pytest.approx(n_exp, abs=4 * math.sqrt(s.counts[sel].sum()))
