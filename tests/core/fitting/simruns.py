"""Small simulated LAr runs shared by the fit tests (session-scoped, reduced once).

- ``kr``: a 83mKr run with 39Ar at 24 Hz beside 60 Hz of 83mKr (~29 % background events), the
  run whose 41.5 keV peak is fitted after subtracting ``background``;
- ``background``: a 39Ar-only run (its own live time, so the subtraction scale is ~0.3);
- ``kr_run``: a ``kr-run`` injection timeline (600 s of 39Ar, injection, 12 h of decay),
  thinned to 12000 events, for the 83mKr half-life;
- ``am241``: a 241Am source run (with its 39Ar), for the 59.5 keV peak.

Every run is reduced with the SPE gains equal to the simulated SPE model's mean charge (truth
attributes ``spe_mean_adc_ns_*``), so the charge-definition factor is 1: one PE of the RQ
table is one mean SPE charge. Truth is read from ``/truth`` (only to validate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.special import ndtr

from analysis_core.rawfile import RawFile
from analysis_core.reduction import ReductionConfig, reduce_file
from analysis_core.rqfile import RQTable, read_rq
from analysis_core.sim import simulate_run

N_KR = 6000
N_BACKGROUND = 6000
N_KR_RUN = 12000
N_AM241 = 6000


@dataclass(frozen=True)
class Run:
    """One simulated and reduced run."""

    raw: Path
    rq_path: Path
    table: RQTable
    truth: dict[str, Any]
    attrs: dict[str, Any]


@dataclass(frozen=True)
class LarRuns:
    """The runs of the fit tests (their parameters: ``Run.attrs``, from ``SimConfig``)."""

    kr: Run
    background: Run
    kr_run: Run
    am241: Run


def _make(tmp: Path, name: str, kind: str, n: int, seed: int, **options: Any) -> Run:
    raw = simulate_run(kind, n, seed, tmp / f"{name}.h5", **options)
    with RawFile(raw) as rf:
        truth, attrs = rf.truth(), rf.truth_attrs()
    gains = (attrs["spe_mean_adc_ns_top"], attrs["spe_mean_adc_ns_bottom"])
    rq_path = tmp / f"{name}_rq.h5"
    reduce_file(raw, rq_path, ReductionConfig(spe_gain_adc_ns=gains))
    return Run(raw, rq_path, read_rq(rq_path), truth, attrs)


_CACHE: dict[Path, LarRuns] = {}


@pytest.fixture(scope="session")
def lar_runs(tmp_path_factory: pytest.TempPathFactory) -> LarRuns:
    """Simulate and reduce the three runs once per test session (~5 s).

    Test modules import this fixture; each import is its own fixture definition, so the runs
    are cached here by directory to be made only once per session.
    """
    tmp = tmp_path_factory.getbasetemp() / "lar_fit_runs"
    if tmp not in _CACHE:
        tmp.mkdir(exist_ok=True)
        kr = _make(tmp, "kr", "kr83m", N_KR, 4101, include_ar39=True, kr83m_rate_hz=60.0)
        bkg = _make(tmp, "background", "background", N_BACKGROUND, 4102)
        kr_run = _make(tmp, "kr_run", "kr-run", N_KR_RUN, 4103)
        am241 = _make(tmp, "am241", "am241", N_AM241, 4104)
        _CACHE[tmp] = LarRuns(kr, bkg, kr_run, am241)
    return _CACHE[tmp]


def _singlet_fraction(attrs: dict[str, Any], energy_kev: float) -> float:
    return attrs["singlet_fraction_inf"] + attrs["singlet_fraction_amp"] * math.exp(
        -energy_kev / attrs["singlet_fraction_scale_kev"]
    )


def expected_peak(
    attrs: dict[str, Any], deposits_kev: tuple[float, ...], window_ns: float = 6000.0
) -> tuple[float, float]:
    """Return the expected mean ``total_pe`` of events depositing ``deposits_kev``, and the
    afterpulse fraction.

    From the simulator's parameters (``/truth`` attributes = ``SimConfig.to_attrs()``):
    ``LY x E`` of each deposit less its triplet light arriving after the 6 us integral (a second
    deposit, the 83mKr 9.4 keV one, is delayed by the 223.8 ns mean life), plus the afterpulse
    charge inside the integral (two Gaussian delay groups, ``1 + m`` SPE each), plus dark
    counts. The charge-definition factor is 1 (gains = SPE model mean charge, see above).
    """
    tau_t = attrs["triplet_tau_ns"]
    tau_d = attrs["kr83m_step_half_life_ns"] / math.log(2.0)
    late = math.exp(-window_ns / tau_t)
    fs = [_singlet_fraction(attrs, e) for e in deposits_kev]
    pe = 0.0
    for i, (e, f) in enumerate(zip(deposits_kev, fs, strict=True)):
        lost = (1 - f) * late / (1 - tau_d / tau_t if i > 0 else 1.0)  # E[exp(d / tau_t)]
        pe += attrs["light_yield_pe_per_kev"] * e * (1 - lost)
    t = np.linspace(0.0, window_ns, 6001)
    w = np.exp(-t / tau_t)
    w /= w.sum()
    f_mean = sum(f * e for f, e in zip(fs, deposits_kev, strict=True)) / sum(deposits_kev)
    ap = 0.0
    for k in (1, 2):
        mu, sd = attrs[f"afterpulse_delay_{k}_ns"], attrs[f"afterpulse_sigma_{k}_ns"]

        def inside(t0: Any, mu: float = mu, sd: float = sd) -> Any:
            return ndtr((window_ns - t0 - mu) / sd) - ndtr((-t0 - mu) / sd)

        ap += attrs[f"afterpulse_prob_{k}"] * (
            f_mean * inside(0.0) + (1 - f_mean) * np.sum(w * inside(t))
        )
    ap *= 1 + attrs["afterpulse_extra_pe_mean"]
    dark = 2 * attrs["dark_rate_hz"] * window_ns * 1e-9
    return pe * (1 + ap) + dark, ap


def expected_kr_peak(attrs: dict[str, Any]) -> tuple[float, float]:
    """``expected_peak`` of the 83mKr cascade (32.15 keV, then 9.41 keV)."""
    return expected_peak(attrs, (attrs["kr83m_energy_1_kev"], attrs["kr83m_energy_2_kev"]))


def expected_kr_resolution(attrs: dict[str, Any], config: ReductionConfig) -> float:
    """Return the expected sigma/mean of the 41.5 keV ``total_pe`` peak from the parameters.

    Photon counting with the SPE charge spread ``N (1 + r)``, afterpulses (compound Poisson of
    ``1 + Poisson(m)`` SPE), the per-event light factors (smear, z non-uniformity over uniform
    z: var((2z - 1)^2) = 4/45), the electronics noise summed over the 6 us integral and the
    error of the baseline mean (window of ``config``) times the integral's length.
    """
    mean, ap = expected_kr_peak(attrs)
    pe = mean / (1 + ap)
    r = 0.5 * (attrs["spe_relvar_top"] + attrs["spe_relvar_bottom"])
    m = attrs["afterpulse_extra_pe_mean"]
    var = pe * (1 + r) + pe * ap / (1 + m) * ((1 + m) ** 2 + m) * (1 + r)
    var += (attrs["light_smear_rel"] ** 2 + attrs["light_z_nonuniformity"] ** 2 * 4 / 45) * mean**2
    dt = attrs["sample_period_ns"]
    n_int = 6000.0 / dt
    n_base = attrs["trigger_index"] + round(config.baseline_stop_ns / dt)
    n_base -= round(config.baseline_start_ns / dt)
    for ch in ("top", "bottom"):
        per_sample = attrs["noise_rms_adc"] * dt / attrs[f"spe_mean_adc_ns_{ch}"]
        var += per_sample**2 * (n_int + n_int**2 / n_base)
    return math.sqrt(var) / mean
