"""HPGe (and scintillator) gamma spectroscopy: spectra, peaks, efficiency, source activity.

What to use when
----------------
- ``analysis_core.hpge.spectrum``: the ``Spectrum`` and ``EnergyCalibration`` value types.
- ``analysis_core.hpge.readers``: ``read_spectrum(path)`` / ``read_spectra(path)`` for ORTEC
  ``.Spe``/``.Chn``, Canberra ``.CNF``/``.TKA``, ANSI N42.42, RadiaCode XML and CSV/TXT.
- ``analysis_core.hpge.nuclides``: the shipped nuclear-data table (lines, half-lives, sources).
- ``analysis_core.hpge.peaks``/``peakfit``/``energycal``: peak search, peak fits, energy
  re-calibration and the FWHM(E) model.
- ``analysis_core.hpge.efficiency``/``activity``: efficiency curves, container attenuation,
  activities with their uncertainty budget.
"""
