"""83mKr component energies and light yields per keV with their errors.

What to use when
----------------
- ``KR_ENERGIES_KEV``: the ENSDF energies of the two 83mKr steps and their sum.
- ``light_yield(pe, pe_err, energy_kev)``: ``Y = I / E`` in PE/keV with ``sigma_Y = sigma_I / E``
  (the energy is exact), as in the paper's Tables 2 and 4.
"""

from __future__ import annotations

import math

__all__ = ["E_DELAYED_KEV", "E_PROMPT_KEV", "E_TOTAL_KEV", "KR_ENERGIES_KEV", "light_yield"]

#: 83mKr first (prompt) step, ENSDF: 32.1516 keV.
E_PROMPT_KEV = 32.1516
#: 83mKr second (delayed, half-life 155 ns) step, ENSDF: 9.4057 keV.
E_DELAYED_KEV = 9.4057
#: The isomer energy, ENSDF: 41.5575 keV.
E_TOTAL_KEV = 41.5575

KR_ENERGIES_KEV = {"9.4": E_DELAYED_KEV, "32.1": E_PROMPT_KEV, "41.5": E_TOTAL_KEV}


def light_yield(pe: float, pe_err: float, energy_kev: float) -> tuple[float, float]:
    """Return ``(Y, sigma_Y)`` in PE/keV for a light ``pe`` +- ``pe_err`` at ``energy_kev``.

    Parameters
    ----------
    pe, pe_err : float
        Light of the deposit and its error, in PE.
    energy_kev : float
        Deposited energy (exact), keV; must be positive.
    """
    if not energy_kev > 0:
        raise ValueError(f"energy must be positive, got {energy_kev}")
    if not math.isfinite(pe):
        return float("nan"), float("nan")
    return pe / energy_kev, abs(pe_err) / energy_kev
