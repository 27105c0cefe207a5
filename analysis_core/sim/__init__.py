"""Physics simulator of a CENNS-10-like liquid-argon detector: the test bench of the workbench.

What to use when
----------------
- ``simulate_run(kind, n_events, seed, out_path, config=..., **run_options)``: write a
  ``larcal-raw`` file with waveforms and ``/truth`` (kinds in ``KINDS``).
- ``SimConfig`` (``DetectorConfig`` + ``SourceConfig``): every physical parameter with its
  default and source; ``SimConfig().replace(light_yield_pe_per_kev=4.9)``.
- ``RunSettings``: run-level options (rates, ``kr-run`` timeline, start time).
- ``analysis_core.sim.demo``: the small demo campaign (LED, background, Kr injection, 57Co,
  241Am) built on first launch.
- ``simulate_block``: one block in memory (no file), for quick studies.

No public liquid-argon PMT waveforms exist, so this simulator is what every analysis is
validated against: it records the truth of each event (``TRUTH_COLUMNS``) and every parameter
(``/truth`` attributes). Analysis code must never read ``/truth`` except to validate.
"""

from __future__ import annotations

from analysis_core.sim.block import BlockResult, simulate_block
from analysis_core.sim.config import DetectorConfig, SimConfig, SourceConfig
from analysis_core.sim.runs import (
    KINDS,
    RUN_TYPE_OF_KIND,
    RunSettings,
    kr_run_expected_counts,
    kr_run_rate_scale,
)
from analysis_core.sim.simulate import BLOCK_EVENTS, TRUTH_COLUMNS, simulate_run
from analysis_core.sim.sources import SOURCE_CODES, SOURCE_NAMES

__all__ = [
    "BLOCK_EVENTS",
    "KINDS",
    "RUN_TYPE_OF_KIND",
    "SOURCE_CODES",
    "SOURCE_NAMES",
    "TRUTH_COLUMNS",
    "BlockResult",
    "DetectorConfig",
    "RunSettings",
    "SimConfig",
    "SourceConfig",
    "kr_run_expected_counts",
    "kr_run_rate_scale",
    "simulate_block",
    "simulate_run",
]
