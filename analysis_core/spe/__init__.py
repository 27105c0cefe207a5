"""SPE gains of the two PMTs: Analysis A (DEAP model on LED data) and B (late single PE).

What to use when
----------------
- ``compute_spe(inputs, settings)``: the calibration step "spe" (GUI and session replay):
  both analyses from the raw LED and source runs, as an ``SpeResult``.
- ``extract_led_charges`` + ``fit_led_spectrum``: Analysis A by hand, one PMT at a time.
- ``find_late_pulses`` + ``fit_single_pe_gauss``: Analysis B by hand.
"""

from analysis_core.spe.fit_a import DEFAULT_FIXED, LedFit, fit_led_spectrum
from analysis_core.spe.fit_b import LateFit, fit_single_pe_gauss
from analysis_core.spe.late_pe import LatePulses, find_late_pulses
from analysis_core.spe.led import LedCharges, extract_led_charges, find_led_time
from analysis_core.spe.step import DEFAULT_SETTINGS, SpeAnalysis, SpeResult, compute_spe

__all__ = [
    "DEFAULT_FIXED",
    "DEFAULT_SETTINGS",
    "LateFit",
    "LatePulses",
    "LedCharges",
    "LedFit",
    "SpeAnalysis",
    "SpeResult",
    "compute_spe",
    "extract_led_charges",
    "find_late_pulses",
    "find_led_time",
    "fit_led_spectrum",
    "fit_single_pe_gauss",
]
