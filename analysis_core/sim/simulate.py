"""Write a simulated ``larcal-raw`` run with its per-event truth.

What to use when
----------------
``simulate_run(kind, n_events, seed, out_path, ...)`` is the one entry point: it plans the run
(``runs.plan_run``), simulates it block by block (``block.simulate_block``) and streams the
waveforms, event times and ``/truth`` to the file through ``RawWriter`` (atomic: a failed or
cancelled run leaves no file). ``TRUTH_COLUMNS`` documents every truth column.

Determinism: the output is a pure function of ``(kind, n_events, seed, config, run options)``.
The run plan uses the random stream ``SeedSequence(seed, spawn_key=(0,))`` and event block ``b``
(``BLOCK_EVENTS`` events each) uses ``SeedSequence(seed, spawn_key=(1, b))``; the HDF5 chunking
and compression do not affect the content. Changing ``BLOCK_EVENTS`` changes the random
streams (not the physics).
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from analysis_core import __version__
from analysis_core.progress import CancelToken, ProgressFn, check_cancel
from analysis_core.rawfile import RawMetadata
from analysis_core.rawwriter import RawWriter
from analysis_core.sim.block import simulate_block
from analysis_core.sim.config import SimConfig
from analysis_core.sim.pmt import SPEModel
from analysis_core.sim.runs import RunSettings, plan_run
from analysis_core.sim.sources import SOURCE_CODES, SOURCE_NAMES

__all__ = ["BLOCK_EVENTS", "TRUTH_COLUMNS", "simulate_run"]

log = logging.getLogger(__name__)

#: Events simulated (and appended) per step; also the unit of the random streams.
BLOCK_EVENTS = 1024

#: Truth column -> (unit, meaning).
TRUTH_COLUMNS: dict[str, tuple[str, str]] = {
    "source": (
        "-",
        "source code (truth attr source_codes): 0 led, 1 ar39, 2 kr83m, 3 co57, 4 am241",
    ),
    "energy_kev": ("keV", "total deposited energy"),
    "energy_1_kev": ("keV", "first deposit (83mKr: 32.1516 keV)"),
    "energy_2_kev": ("keV", "second deposit (83mKr: 9.4057 keV), else 0"),
    "delay_ns": ("ns", "delay of the second deposit, NaN if none"),
    "z": ("-", "height fraction, 0 bottom PMT, 1 top PMT; NaN for LED"),
    "p_top": ("-", "probability that a PE is seen by the top PMT"),
    "light_scale": ("-", "per-event light-collection factor (mean 1)"),
    "gamma_category": ("-", "external gamma: 1 photopeak, 2 single Compton, 3 continuum; else 0"),
    "n_pe": ("PE", "detected scintillation/LED photoelectrons, both PMTs (no afterpulses/dark)"),
    "n_pe_top": ("PE", "n_pe of the top PMT"),
    "n_pe_bottom": ("PE", "n_pe of the bottom PMT"),
    "n_pe_1": ("PE", "n_pe from the first deposit"),
    "n_pe_2": ("PE", "n_pe from the second deposit"),
    "n_pe_window": ("PE", "n_pe arriving inside the digitized window"),
    "n_pe_prompt90": ("PE", "n_pe arriving less than 90 ns after t0"),
    "n_singlet": ("PE", "n_pe emitted by the singlet state"),
    "singlet_fraction": ("-", "model singlet fraction, energy-weighted over the deposits"),
    "singlet_fraction_1": ("-", "model singlet fraction of the first deposit"),
    "singlet_fraction_2": ("-", "model singlet fraction of the second deposit (0 if none)"),
    "t0_ns": (
        "ns",
        "time of the (first) deposit or LED flash relative to the trigger sample start",
    ),
    "n_afterpulses": ("-", "afterpulses inside the window, both PMTs"),
    "afterpulse_pe": ("PE", "SPE charges carried by those afterpulses"),
    "n_dark": ("-", "dark counts in the window, both PMTs"),
    "baseline_adc_top": ("ADC", "true baseline (nominal + event offset), top"),
    "baseline_adc_bottom": ("ADC", "true baseline (nominal + event offset), bottom"),
    "charge_adc_ns_top": ("ADC*ns", "analog charge in the window before AC coupling, top"),
    "charge_adc_ns_bottom": ("ADC*ns", "analog charge in the window before AC coupling, bottom"),
    "saturated": ("bool", "a sample was clipped at 0 or the ADC maximum"),
}

_MODEL_NOTES = {
    "model_singlet_fraction": "fs(E) = singlet_fraction_inf + singlet_fraction_amp exp(-E/scale)",
    "model_light": "n ~ Poisson(LY E g), g = max(0,N(1,smear)) (1 + c((2z-1)^2 - 1/3))",
    "model_ftop": "p_top(z) = p_top_bottom + (p_top_top - p_top_bottom) z, binomial split",
    "model_spe": "DEAP-3600: C1 Gamma(mu,b) + C2 Gamma(f_mu mu, f_b b) + C3 Exp(lambda) on (0,mu)",
    "model_pulse": "(exp(-t/fall) - exp(-t/rise))/(fall - rise), averaged over each sample",
    "model_ar39": "unique first forbidden: p W (W0-W)^2 F(Z,W) ((W0-W)^2 + p^2), relativistic F",
    "model_ac_coupling": "y[n] = a (y[n-1] + x[n] - x[n-1]), a = tau/(tau+dt); tau 0 = off",
    "model_rates": "rates in the file = physical rates x rate_scale",
}


def _truth_attrs(
    config: SimConfig, kind: str, seed: int, n_events: int, plan: Any, settings: RunSettings
) -> dict[str, Any]:
    det = config.detector
    attrs: dict[str, Any] = dict(config.to_attrs())
    attrs.update(settings.to_attrs())
    for c, name in enumerate(("top", "bottom")):
        model = SPEModel.from_detector(det, c)
        attrs[f"spe_mean_adc_ns_{name}"] = model.mean_adc_ns
        attrs[f"spe_relvar_{name}"] = model.relative_variance
    attrs.update(_MODEL_NOTES)
    attrs.update(
        kind=kind,
        seed=seed,
        n_events=n_events,
        rate_scale=plan.rate_scale,
        livetime_s=plan.livetime_s,
        injection_time_s=plan.injection_time_s,
        physical_rates_hz_json=json.dumps(plan.physical_rates_hz),
        source_codes_json=json.dumps(SOURCE_CODES),
        columns_json=json.dumps(TRUTH_COLUMNS),
        block_events=BLOCK_EVENTS,
        software_version=__version__,
        kr83m_step_mean_life_ns=config.sources.kr83m_step_mean_life_ns,
    )
    return attrs


def simulate_run(
    kind: str,
    n_events: int,
    seed: int,
    out_path: str | os.PathLike[str],
    *,
    config: SimConfig | None = None,
    compression: str | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    **run_options: Any,
) -> Path:
    """Simulate a run and write it as a ``larcal-raw`` v1 file with ``/truth``.

    Parameters
    ----------
    kind : str
        ``kr83m``, ``ar39``, ``co57``, ``am241``, ``led``, ``background`` or ``kr-run``
        (``runs.KINDS``). ``run_type`` is ``kr83m`` for ``kr83m`` and ``kr-run``.
    n_events : int
        Number of triggered events to write.
    seed : int
        Non-negative seed; the file content is a pure function of the arguments.
    out_path : str or PathLike
        Output file; its directory must exist. Written atomically.
    config : SimConfig, optional
        Detector and source parameters (defaults: CENNS-10-like).
    compression : {None, "none", "gzip", "lz4", "blosc-lz4", "blosc-zstd"}
        HDF5 filter of ``/waveforms``.
    progress : callable, optional
        ``progress(done_events, n_events)`` after each block.
    cancel : CancelToken, optional
        Checked between blocks; raises ``Cancelled`` (and no file is left).
    **run_options
        Fields of ``runs.RunSettings``: ``rate_scale``, ``ar39_rate_hz``, ``co57_rate_hz``,
        ``kr_peak_bq``, ``pre_injection_s``, ``post_injection_s``, ``start_time_utc``, ...

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    ValueError
        Unknown kind or compression, bad ``n_events``/``seed``/settings.
    TypeError
        Unknown run option.
    FileNotFoundError
        The output directory does not exist.
    Cancelled
        When ``cancel`` is set.

    Notes
    -----
    Rates in the file are the physical rates times ``rate_scale`` (root attribute
    ``rate_scale``, an extension of the format; 1 unless thinned). ``kr-run`` thins its
    hours-long timeline to ``n_events``; ``event_time_s`` stay real times and ``livetime_s`` the
    real duration. See ``analysis_core.sim.runs``.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    config = config or SimConfig()
    settings = RunSettings(**run_options)
    out_path = Path(out_path)
    parent = out_path.parent if str(out_path.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"{out_path}: output directory {parent} does not exist")
    if out_path.is_dir():
        raise IsADirectoryError(f"{out_path}: is a directory")
    det = config.detector
    plan = plan_run(
        kind,
        n_events,
        np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(0,))),
        config.sources,
        settings,
    )
    n = int(n_events)
    metadata = RawMetadata(
        run_id=settings.run_id or f"sim-{kind}-seed{seed}",
        run_type=plan.run_type,
        start_time_utc=settings.start_time_utc,
        sample_period_ns=float(det.sample_period_ns),
        trigger_index=int(det.trigger_index),
        adc_bits=int(det.adc_bits),
        polarity=int(det.polarity),
        livetime_s=float(plan.livetime_s),
        extra={
            "rate_scale": float(plan.rate_scale),
            "simulated": True,
            "sim_kind": kind,
            "sim_seed": int(seed),
            "software_version": __version__,
            "injection_time_s": float(plan.injection_time_s),
        },
    )
    t_start = time.perf_counter()
    drawn: dict[int, int] = {}
    with RawWriter(
        out_path,
        metadata,
        det.n_samples,
        ("top", "bottom"),
        compression=None if compression == "none" else compression,
        chunk_events=256,
    ) as writer:
        for b, start in enumerate(range(0, n, BLOCK_EVENTS)):
            check_cancel(cancel)
            stop = min(start + BLOCK_EVENTS, n)
            rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(1, b)))
            res = simulate_block(plan.codes[start:stop], plan.z_beta_a[start:stop], config, rng)
            writer.append(res.waveforms, plan.event_time_s[start:stop])
            writer.write_truth(res.truth)
            for c, m in res.drawn.items():
                drawn[c] = drawn.get(c, 0) + m
            if progress is not None:
                progress(stop, n)
        check_cancel(cancel)
        attrs = _truth_attrs(config, kind, int(seed), n, plan, settings)
        for c, m in drawn.items():
            accepted = int(np.count_nonzero(plan.codes == c))
            attrs[f"trigger_efficiency_{SOURCE_NAMES[c]}"] = accepted / m if m else float("nan")
        writer.write_truth({}, attrs)
    log.info(
        "simulated %d %s events in %.1f s -> %s", n, kind, time.perf_counter() - t_start, out_path
    )
    return out_path
