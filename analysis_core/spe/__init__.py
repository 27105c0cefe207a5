"""SPE gains of the two PMTs: Analysis A (DEAP model on LED data) and B (late single PE).

What to use when
----------------
- ``compute_spe(inputs, settings)``: the calibration step "spe" (GUI and session replay):
  both analyses from the raw LED and source runs, as an ``SpeResult``.
- ``extract_led_charges`` + ``fit_led_spectrum``: Analysis A by hand, one PMT at a time.
- ``find_late_pulses`` + ``fit_single_pe_gauss``: Analysis B by hand.
"""
