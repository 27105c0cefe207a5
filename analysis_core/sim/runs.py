"""Run timelines: which source each event comes from and when it triggers.

What to use when
----------------
- ``plan_run(kind, n_events, rng, sources, settings)``: the event list of a run (source codes,
  trigger times, live time, rate scale). ``simulate_run`` calls it; tests use it to check the
  timelines without waveforms.
- ``RunSettings``: every run-level option (rates, ``kr-run`` timeline, start time, run id);
  ``simulate_run(..., **run_options)`` builds one from its keyword arguments.
- ``kr_run_expected_counts`` / ``kr_run_rate_scale``: the physical number of events of a
  ``kr-run`` timeline and the thinning factor that fits it into ``n_events`` (use the latter
  as ``rate_scale`` of a background run that must be subtracted from the Kr run).

Rates are rates of triggered events. Constant-rate runs (``ar39``, ``background``, ``kr83m``,
``co57``, ``am241``, ``led``) are Poisson processes at ``rate x rate_scale`` (default scale 1):
the live time is the arrival time of the (n+1)-th event. ``co57`` and ``am241`` runs contain
39Ar events at ``ar39_rate_hz`` too (a real source run does), unless ``include_ar39=False``.

``kr-run`` is an injection run at physical rates: ``pre_injection_s`` of 39Ar only, then the
83mKr activity rises while the gas flows in (constant inflow over ``rise_s``, decaying as it
arrives) to ``kr_peak_bq`` and decays with the 83mKr half-life, over steady 39Ar, for
``post_injection_s``. Hours at kBq do not fit in ``n_events``, so the whole timeline is thinned
uniformly: every rate is multiplied by ``rate_scale = n_events / expected_events`` and exactly
``n_events`` trigger times are drawn from the rate density. ``event_time_s`` are real times
since the start, ``livetime_s`` the real duration; the rates seen in the file are the physical
rates times ``rate_scale`` (root and truth attribute ``rate_scale``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis_core.sim.config import SourceConfig
from analysis_core.sim.sources import SOURCE_CODES

__all__ = [
    "KINDS",
    "RUN_TYPE_OF_KIND",
    "RunPlan",
    "RunSettings",
    "kr_run_expected_counts",
    "kr_run_rate_scale",
    "plan_run",
]

#: Simulation kinds (``larcal simulate KIND``).
KINDS = ("kr83m", "ar39", "co57", "am241", "led", "background", "kr-run")
#: ``run_type`` root attribute written for each kind.
RUN_TYPE_OF_KIND = {
    "kr83m": "kr83m",
    "kr-run": "kr83m",
    "ar39": "ar39",
    "background": "background",
    "co57": "co57",
    "am241": "am241",
    "led": "led",
}


@dataclass(frozen=True, slots=True)
class RunSettings:
    """Run-level options of ``simulate_run`` (all keyword arguments, all optional).

    Attributes
    ----------
    rate_scale : float or None
        Multiplies every rate of a constant-rate run (default 1). For ``kr-run`` it is derived
        from ``n_events`` and must not be given.
    ar39_rate_hz : float
        Triggered 39Ar rate in the active volume (~1 Bq/kg x 24 kg).
    kr83m_rate_hz, co57_rate_hz, am241_rate_hz, led_rate_hz : float
        Rates of the pure 83mKr run, the external sources and the LED pulser.
    include_ar39 : bool or None
        Add 39Ar events to ``kr83m``/``co57``/``am241`` runs. Default: yes for the external
        sources and ``kr-run``, no for the pure ``kr83m`` run.
    kr_peak_bq : float
        ``kr-run``: 83mKr activity in the active volume at the end of the injection (paper:
        2.6 kBq observed).
    pre_injection_s, rise_s, post_injection_s : float
        ``kr-run`` timeline: background before injection, injection duration, time after the
        start of the injection until the end of the run.
    start_time_utc : str
        ISO 8601 start of the run.
    run_id : str or None
        Free text; default ``"sim-<kind>-seed<seed>"``.
    """

    rate_scale: float | None = None
    ar39_rate_hz: float = 24.0
    kr83m_rate_hz: float = 2600.0
    co57_rate_hz: float = 250.0
    am241_rate_hz: float = 150.0
    led_rate_hz: float = 100.0
    include_ar39: bool | None = None
    kr_peak_bq: float = 2600.0
    pre_injection_s: float = 600.0
    rise_s: float = 300.0
    post_injection_s: float = 12.0 * 3600.0
    start_time_utc: str = "2019-03-12T14:00:00+00:00"
    run_id: str | None = None

    def __post_init__(self) -> None:
        for name in (
            "ar39_rate_hz",
            "kr83m_rate_hz",
            "co57_rate_hz",
            "am241_rate_hz",
            "led_rate_hz",
            "kr_peak_bq",
            "pre_injection_s",
            "rise_s",
        ):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.rate_scale is not None and not self.rate_scale > 0:
            raise ValueError(f"rate_scale must be positive, got {self.rate_scale!r}")
        if not self.post_injection_s > self.rise_s:
            raise ValueError("post_injection_s must exceed rise_s")

    def to_attrs(self) -> dict[str, Any]:
        """Flat, HDF5-safe dict (None -> "" for strings, NaN for numbers, -1 for booleans)."""
        out: dict[str, Any] = {}
        for k, v in asdict(self).items():
            if v is None:
                v = "" if k == "run_id" else (-1 if k == "include_ar39" else float("nan"))
            out[f"run_{k}"] = v
        return out


@dataclass(frozen=True, slots=True)
class RunPlan:
    """Events of one run, before any detector simulation.

    Attributes
    ----------
    kind, run_type : str
        Simulation kind and the ``run_type`` root attribute.
    codes : ndarray of int8
        ``SOURCE_CODES`` value per event.
    event_time_s : ndarray of float64
        Trigger times since the start (non-decreasing).
    z_beta_a : ndarray of float64
        Per-event ``a`` of the 83mKr ``Beta(a, 1)`` height (1 = uniform).
    livetime_s : float
        Real duration of the run.
    rate_scale : float
        Factor applied to every physical rate.
    injection_time_s : float
        ``kr-run``: start of the injection (NaN otherwise).
    physical_rates_hz : dict
        Physical (unscaled) constant rates per source name.
    """

    kind: str
    run_type: str
    codes: NDArray[np.int8]
    event_time_s: NDArray[np.float64]
    z_beta_a: NDArray[np.float64]
    livetime_s: float
    rate_scale: float
    injection_time_s: float
    physical_rates_hz: dict[str, float]


def _kr_activity(
    t: NDArray[np.float64], settings: RunSettings, half_life_s: float
) -> NDArray[np.float64]:
    """83mKr activity (Bq) at run times ``t`` for the injection timeline."""
    lam = math.log(2.0) / half_life_s
    t_inj, rise = settings.pre_injection_s, settings.rise_s
    dt = t - t_inj
    if rise > 0:
        inflow = settings.kr_peak_bq / -math.expm1(-lam * rise)
        during = inflow * -np.expm1(-lam * np.clip(dt, 0.0, rise))
    else:
        during = np.zeros_like(dt)
    after = settings.kr_peak_bq * np.exp(-lam * np.maximum(dt - rise, 0.0))
    return np.where(dt < 0, 0.0, np.where(dt < rise, during, after))


def kr_run_expected_counts(settings: RunSettings, sources: SourceConfig) -> dict[str, float]:
    """Physical (unthinned) expected numbers of 83mKr and 39Ar events of a ``kr-run``."""
    lam = math.log(2.0) / sources.kr83m_half_life_s
    rise = settings.rise_s
    if rise > 0:
        inflow = settings.kr_peak_bq / -math.expm1(-lam * rise)
        n_rise = inflow * (rise + math.expm1(-lam * rise) / lam)
    else:
        n_rise = 0.0
    n_decay = settings.kr_peak_bq * -math.expm1(-lam * (settings.post_injection_s - rise)) / lam
    duration = settings.pre_injection_s + settings.post_injection_s
    include = settings.include_ar39 is not False
    return {
        "kr83m": n_rise + n_decay,
        "ar39": settings.ar39_rate_hz * duration if include else 0.0,
    }


def kr_run_rate_scale(
    n_events: int, settings: RunSettings | None = None, sources: SourceConfig | None = None
) -> float:
    """Thinning factor of a ``kr-run`` of ``n_events`` events (``n / expected events``)."""
    exp = kr_run_expected_counts(settings or RunSettings(), sources or SourceConfig())
    return n_events / (exp["kr83m"] + exp["ar39"])


def _plan_kr_run(
    n: int, rng: np.random.Generator, sources: SourceConfig, settings: RunSettings
) -> RunPlan:
    if settings.rate_scale is not None:
        raise ValueError(
            "kr-run derives rate_scale from n_events and its timeline; "
            "set kr_peak_bq / pre_injection_s / post_injection_s instead"
        )
    exp = kr_run_expected_counts(settings, sources)
    total = exp["kr83m"] + exp["ar39"]
    scale = n / total
    duration = settings.pre_injection_s + settings.post_injection_s
    n_kr = int(rng.binomial(n, exp["kr83m"] / total))
    # 83mKr trigger times by inversion of the tabulated cumulative activity
    grid = np.linspace(settings.pre_injection_s, duration, 200_001)
    act = _kr_activity(grid, settings, sources.kr83m_half_life_s)
    cum = np.concatenate(([0.0], np.cumsum(0.5 * (act[1:] + act[:-1]) * np.diff(grid))))
    t_kr = np.interp(rng.random(n_kr) * cum[-1], cum, grid)
    t_ar = rng.random(n - n_kr) * duration
    times = np.concatenate([t_kr, t_ar])
    codes = np.concatenate(
        [np.full(n_kr, SOURCE_CODES["kr83m"]), np.full(n - n_kr, SOURCE_CODES["ar39"])]
    ).astype(np.int8)
    order = np.argsort(times, kind="stable")
    times, codes = times[order], codes[order]
    a0 = sources.kr_run_top_concentration
    since = np.maximum(times - settings.pre_injection_s, 0.0)
    z_a = np.where(
        codes == SOURCE_CODES["kr83m"],
        1.0 + (a0 - 1.0) * np.exp(-since / sources.kr_run_mixing_time_s),
        1.0,
    )
    return RunPlan(
        kind="kr-run",
        run_type=RUN_TYPE_OF_KIND["kr-run"],
        codes=codes,
        event_time_s=times,
        z_beta_a=z_a,
        livetime_s=duration,
        rate_scale=scale,
        injection_time_s=settings.pre_injection_s,
        physical_rates_hz={
            "kr83m_peak": settings.kr_peak_bq,
            "ar39": settings.ar39_rate_hz if settings.include_ar39 is not False else 0.0,
        },
    )


def plan_run(
    kind: str,
    n_events: int,
    rng: np.random.Generator,
    sources: SourceConfig | None = None,
    settings: RunSettings | None = None,
) -> RunPlan:
    """Draw the source and trigger time of every event of a run.

    Parameters
    ----------
    kind : str
        One of ``KINDS``.
    n_events : int
        Number of triggered events (> 0).
    rng : numpy.random.Generator
        Random source.
    sources : SourceConfig, optional
        83mKr half-life and mixing parameters (defaults).
    settings : RunSettings, optional
        Rates and timeline (defaults).

    Returns
    -------
    RunPlan

    Raises
    ------
    ValueError
        For an unknown kind, a non-positive ``n_events`` or inconsistent settings.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown simulation kind {kind!r}; expected one of {KINDS}")
    if not isinstance(n_events, (int, np.integer)) or n_events <= 0:
        raise ValueError(f"n_events must be a positive integer, got {n_events!r}")
    sources = sources or SourceConfig()
    settings = settings or RunSettings()
    n = int(n_events)
    if kind == "kr-run":
        return _plan_kr_run(n, rng, sources, settings)

    main = {"background": "ar39"}.get(kind, kind)
    rates = {main: getattr(settings, f"{main}_rate_hz")}
    include = settings.include_ar39
    if include is None:
        include = kind in ("co57", "am241")
    if include and main in ("kr83m", "co57", "am241"):
        rates["ar39"] = settings.ar39_rate_hz
    scale = 1.0 if settings.rate_scale is None else float(settings.rate_scale)
    names = list(rates)
    r = np.array([rates[k] for k in names]) * scale
    if not r.sum() > 0:
        raise ValueError(f"the total rate of a {kind} run must be positive")
    gaps = rng.standard_exponential(n + 1) / r.sum()
    arrivals = np.cumsum(gaps)
    which = rng.choice(len(names), size=n, p=r / r.sum())
    codes = np.array([SOURCE_CODES[k] for k in names], dtype=np.int8)[which]
    return RunPlan(
        kind=kind,
        run_type=RUN_TYPE_OF_KIND[kind],
        codes=codes,
        event_time_s=arrivals[:n],
        z_beta_a=np.ones(n),
        livetime_s=float(arrivals[n]),
        rate_scale=scale,
        injection_time_s=float("nan"),
        physical_rates_hz=dict(rates),
    )
