"""Value types for gamma spectra: counts per channel with times and calibrations.

Channel convention: ``counts[i]`` holds channel ``i``; the energy calibration maps a (possibly
fractional) channel number to keV, and channel ``i`` is centred on ``i`` (so its bin spans
``i - 0.5 .. i + 0.5``), as in ORTEC Maestro and Canberra Genie.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["EnergyCalibration", "Spectrum"]


@dataclass(frozen=True, slots=True)
class EnergyCalibration:
    """Polynomial energy calibration ``E(ch) = sum_i c_i ch^i`` in keV.

    Attributes
    ----------
    coefficients : tuple of float
        ``(c0, c1, c2, ...)`` in keV, keV/ch, keV/ch^2, ...
    source : str
        Where it came from (``"$MCA_CAL"``, ``"fit"``, ...).
    """

    coefficients: tuple[float, ...]
    source: str = ""

    def energy(self, channel: ArrayLike) -> NDArray[np.float64]:
        """Return the energy in keV at ``channel`` (fractional channels allowed)."""
        ch = np.asarray(channel, dtype=float)
        return np.polynomial.polynomial.polyval(ch, self.coefficients)

    def channel(self, energy_kev: ArrayLike) -> NDArray[np.float64]:
        """Invert the calibration (monotonic over the spectrum) by Newton iterations."""
        e = np.asarray(energy_kev, dtype=float)
        c = self.coefficients
        if len(c) < 2 or c[1] == 0:
            raise ValueError("energy calibration is not invertible (zero gain)")
        ch = (e - c[0]) / c[1]
        deriv = np.polynomial.polynomial.polyder(c)
        for _ in range(20):
            pv = np.polynomial.polynomial.polyval
            step = (pv(ch, c) - e) / pv(ch, deriv)
            ch = ch - step
            if np.all(np.abs(step) < 1e-9):
                break
        return ch

    def gain_kev_per_channel(self, channel: ArrayLike) -> NDArray[np.float64]:
        """Return dE/dch at ``channel``."""
        deriv = np.polynomial.polynomial.polyder(self.coefficients)
        return np.polynomial.polynomial.polyval(np.asarray(channel, dtype=float), deriv)


@dataclass(frozen=True)
class Spectrum:
    """A gamma spectrum as read from a file.

    Attributes
    ----------
    counts : ndarray of float
        Counts per channel.
    live_time_s, real_time_s : float
        Acquisition times (NaN when the file does not store them).
    start_time : datetime or None
        Acquisition start (naive datetimes are local time of the acquisition system).
    energy_cal : EnergyCalibration or None
        Stored energy calibration, None when the file has none.
    shape_cal : tuple of float or None
        Stored FWHM calibration ``FWHM(ch) = sum_i s_i ch^i`` (in channels), e.g. ORTEC
        ``$SHAPE_CAL``; None when absent.
    path : str
        File it was read from.
    format : str
        Reader name (``"ortec-spe"``, ``"n42"``, ...).
    detector : str
        Detector name or id when stored (N42 files may hold several detectors).
    title : str
        Free-text description from the file.
    extra : dict
        Further header fields kept verbatim.
    """

    counts: NDArray[np.float64]
    live_time_s: float
    real_time_s: float
    start_time: datetime | None = None
    energy_cal: EnergyCalibration | None = None
    shape_cal: tuple[float, ...] | None = None
    path: str = ""
    format: str = ""
    detector: str = ""
    title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_channels(self) -> int:
        """Number of channels."""
        return int(self.counts.size)

    @property
    def channels(self) -> NDArray[np.float64]:
        """Channel numbers ``0 .. n-1`` (bin centres)."""
        return np.arange(self.n_channels, dtype=float)

    @property
    def dead_time_fraction(self) -> float:
        """``1 - live/real`` (NaN when either is unknown)."""
        return 1.0 - self.live_time_s / self.real_time_s if self.real_time_s > 0 else float("nan")

    def energies_kev(self) -> NDArray[np.float64]:
        """Return bin-centre energies; raise ValueError when the spectrum is uncalibrated."""
        if self.energy_cal is None:
            raise ValueError(f"{self.path or 'spectrum'}: no energy calibration")
        return self.energy_cal.energy(self.channels)

    def edges_kev(self) -> NDArray[np.float64]:
        """Return the ``n + 1`` bin-edge energies (channel ``i`` spans ``i +- 0.5``)."""
        if self.energy_cal is None:
            raise ValueError(f"{self.path or 'spectrum'}: no energy calibration")
        return self.energy_cal.energy(np.arange(self.n_channels + 1, dtype=float) - 0.5)

    def with_calibration(self, cal: EnergyCalibration) -> Spectrum:
        """Return a copy with another energy calibration."""
        return Spectrum(
            counts=self.counts,
            live_time_s=self.live_time_s,
            real_time_s=self.real_time_s,
            start_time=self.start_time,
            energy_cal=cal,
            shape_cal=self.shape_cal,
            path=self.path,
            format=self.format,
            detector=self.detector,
            title=self.title,
            extra=dict(self.extra),
        )
