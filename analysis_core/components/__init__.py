"""83mKr component separation: the 9.4 and 32.1 keV light by Analysis A and Analysis B.

What to use when
----------------
- ``compute_components_a(inputs, settings)`` (step ``"components_a"``): peak-amplitude method.
  Events with the 9.4 keV pulse delayed beyond 152 ns; the prompt (32.1 keV) amplitude and the
  delayed (9.4 keV) amplitude converted to PE with the peak-to-integral function S_Ap(PE)
  from 39Ar events; the delay half-life.
- ``compute_components_b(inputs, settings)`` (step ``"components_b"``): I35:I55 method. The
  rotated-axis cut, I90 of the 32.1-only and the 41.5 keV populations, the F90(I) curve from
  57Co, and the full light from system (4.4).
- ``solve_system44``, ``F90Curve``, ``measure_f90_curve``, ``SapCurve``/``measure_sap``,
  ``light_yield``: the building blocks, usable alone (e.g. on the paper's tables).
"""

from __future__ import annotations

from analysis_core.components.f90curve import F90Curve, F90Profile, measure_f90_curve
from analysis_core.components.lightyield import KR_ENERGIES_KEV, light_yield
from analysis_core.components.system44 import System44Result, solve_system44

__all__ = [
    "KR_ENERGIES_KEV",
    "F90Curve",
    "F90Profile",
    "System44Result",
    "light_yield",
    "measure_f90_curve",
    "solve_system44",
]
