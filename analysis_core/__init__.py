"""Headless physics core of LArCal Workbench.

What to use when
----------------
- ``analysis_core.rawfile``: read or write ``larcal-raw`` v1 waveform files (lazy, chunked).
- ``analysis_core.sim``: the physics simulator that writes raw files with ``/truth``.
- ``analysis_core.reduction``: raw waveforms -> reduced quantities (RQs), streaming.
- ``analysis_core.rqfile``: read or write RQ files.
- ``analysis_core.hpge``: HPGe spectra, peak fits, efficiency curves, source activity.
- ``analysis_core.fitting``: shared fit result type and iminuit helpers.

This package never imports Qt or pyqtgraph (a test enforces it).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("larcal")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
