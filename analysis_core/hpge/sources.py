"""Reference-source certificates and decay corrections.

What to use when
----------------
- ``SourceCertificate``: a calibration source's certified activity (standard uncertainty, k=1)
  on a reference date. ``activity_at(t)`` decays it to ``t``; ``activity_budget_at(t)`` splits the
  relative uncertainty into the certificate and half-life parts (both common to every line of
  the source, hence correlated between efficiency points of that source).
- ``CountingInterval``: start, live and real time of one acquisition; ``from_spectrum``.
- ``decay_factor(dt, T)``: ``exp(-ln2 dt / T)``, the activity ratio after ``dt``.
- ``counting_decay_factor(lambda, t_real)``: ``D = (1 - exp(-lambda t)) / (lambda t)``, the mean
  activity during a count relative to the activity at its start (spec/physics.md section 2).
- ``parse_datetime``: the date formats the CLI accepts.

Times are ``datetime`` objects; a plain ``date`` means midnight of that day. Naive datetimes are
compared as they are (all in the same local time); mixing naive and aware ones is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np

from analysis_core.errors import CalibrationError
from analysis_core.hpge.nuclides import Nuclide, canonical_name, get_nuclide

__all__ = [
    "CountingInterval",
    "SourceCertificate",
    "as_datetime",
    "counting_decay_factor",
    "decay_factor",
    "elapsed_s",
    "parse_datetime",
]

LN2 = math.log(2.0)


def as_datetime(t: date | datetime | str) -> datetime:
    """Return ``t`` as a datetime (a date means 00:00 of that day; strings are parsed)."""
    if isinstance(t, datetime):
        return t
    if isinstance(t, date):
        return datetime(t.year, t.month, t.day)
    if isinstance(t, str):
        return parse_datetime(t)
    raise CalibrationError(f"{t!r} is not a date or datetime")


def parse_datetime(text: str) -> datetime:
    """Parse ``YYYY-MM-DD``, ``YYYY-MM-DDTHH:MM[:SS]`` or ``YYYY-MM-DD HH:MM[:SS]`` (ISO 8601).

    Raises
    ------
    CalibrationError
        When ``text`` is not such a date.
    """
    try:
        return datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise CalibrationError(
            f"{text!r} is not a date; write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS"
        ) from None


def elapsed_s(t0: date | datetime, t1: date | datetime) -> float:
    """Return ``t1 - t0`` in seconds (negative when ``t1`` is earlier).

    Raises
    ------
    CalibrationError
        When one time is timezone-aware and the other is not.
    """
    a, b = as_datetime(t0), as_datetime(t1)
    if (a.tzinfo is None) != (b.tzinfo is None):
        raise CalibrationError(
            f"cannot compare a timezone-aware and a naive time ({a.isoformat()}, {b.isoformat()})"
        )
    return (b - a).total_seconds()


def decay_factor(elapsed: float, half_life_s: float) -> float:
    """Return ``exp(-ln2 elapsed / T_half)``, the activity after ``elapsed`` s per activity now."""
    if not half_life_s > 0:
        raise CalibrationError(f"half-life must be positive, got {half_life_s!r} s")
    return math.exp(-LN2 * elapsed / half_life_s)


def counting_decay_factor(decay_constant_per_s: float, real_time_s: float) -> float:
    """Return ``D = (1 - exp(-lambda t)) / (lambda t)`` (1 for ``lambda t -> 0``).

    ``A(t_start) * D`` is the mean activity over a count of real duration ``t``; the counts in a
    peak are ``A(t_start) Y eps t_live D`` (dead time enters through the live time).
    """
    if decay_constant_per_s < 0 or not real_time_s >= 0:
        raise CalibrationError(
            f"decay constant and real time must be >= 0 (got {decay_constant_per_s!r} 1/s, "
            f"{real_time_s!r} s)"
        )
    x = decay_constant_per_s * real_time_s
    if x < 1e-8:
        return 1.0 - x / 2.0
    return float(-np.expm1(-x) / x)


@dataclass(frozen=True, slots=True)
class CountingInterval:
    """One acquisition: when it started and how long it counted.

    Attributes
    ----------
    start : datetime
        Acquisition start.
    live_time_s, real_time_s : float
        Live time (dead time removed) and real (clock) time in seconds.
    """

    start: datetime
    live_time_s: float
    real_time_s: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", as_datetime(self.start))
        if not (self.live_time_s > 0 and self.real_time_s > 0):
            raise CalibrationError(
                f"live and real time must be positive (got {self.live_time_s!r} s, "
                f"{self.real_time_s!r} s)"
            )
        if self.live_time_s > self.real_time_s * (1 + 1e-9):
            raise CalibrationError(
                f"live time {self.live_time_s} s exceeds real time {self.real_time_s} s"
            )

    @property
    def dead_time_fraction(self) -> float:
        """``1 - live / real``."""
        return 1.0 - self.live_time_s / self.real_time_s

    def decay_factor(self, half_life_s: float) -> float:
        """Return ``D`` for a nuclide of half-life ``half_life_s`` over this count."""
        return counting_decay_factor(LN2 / half_life_s, self.real_time_s)

    @classmethod
    def from_spectrum(
        cls,
        spectrum: Any,
        *,
        start: date | datetime | None = None,
        live_time_s: float | None = None,
        real_time_s: float | None = None,
    ) -> CountingInterval:
        """Take start, live and real time from a ``Spectrum``, each overridable.

        Raises
        ------
        CalibrationError
            When the spectrum lacks a value that was not given.
        """
        name = getattr(spectrum, "path", "") or "spectrum"
        t0 = start if start is not None else spectrum.start_time
        live = live_time_s if live_time_s is not None else spectrum.live_time_s
        real = real_time_s if real_time_s is not None else spectrum.real_time_s
        if t0 is None:
            raise CalibrationError(f"{name}: no acquisition start time; give it explicitly")
        if live is None or not math.isfinite(live) or live <= 0:
            raise CalibrationError(f"{name}: no live time; give it explicitly")
        if real is None or not math.isfinite(real) or real <= 0:
            real = live  # no real time stored: no dead-time information, D from live time
        return cls(as_datetime(t0), float(live), float(real))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary."""
        return {
            "start": self.start.isoformat(),
            "live_time_s": self.live_time_s,
            "real_time_s": self.real_time_s,
            "dead_time_fraction": self.dead_time_fraction,
        }


@dataclass(frozen=True, slots=True)
class SourceCertificate:
    """Certified activity of a calibration source.

    Attributes
    ----------
    nuclide : str
        Nuclide name; stored in canonical form (``"152Eu"`` becomes ``"Eu-152"``).
    activity_bq : float
        Certified activity on ``reference_date``.
    activity_err_bq : float
        Its standard uncertainty (k = 1). Certificates often quote k = 2: divide by 2 first.
    reference_date : datetime
        Reference time of the certificate (a ``date`` means 00:00 of that day).
    label : str
        Free text (serial number, supplier), shown with the points of this source.
    library : str or None
        Nuclear-data library for the half-life and lines; None selects the table's default and is
        replaced by its name.

    Raises
    ------
    CalibrationError
        Unknown nuclide, non-positive activity or negative uncertainty.
    """

    nuclide: str
    activity_bq: float
    activity_err_bq: float
    reference_date: datetime
    label: str = ""
    library: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "nuclide", canonical_name(self.nuclide))
        object.__setattr__(self, "reference_date", as_datetime(self.reference_date))
        # Fail early on an unknown nuclide or library, and record the library actually used.
        object.__setattr__(self, "library", get_nuclide(self.nuclide, self.library).library)
        if not (math.isfinite(self.activity_bq) and self.activity_bq > 0):
            raise CalibrationError(
                f"{self.display_name}: activity must be positive, got {self.activity_bq!r} Bq"
            )
        if not (math.isfinite(self.activity_err_bq) and self.activity_err_bq >= 0):
            raise CalibrationError(
                f"{self.display_name}: activity uncertainty must be >= 0, "
                f"got {self.activity_err_bq!r} Bq"
            )

    @property
    def display_name(self) -> str:
        """``label`` when set, else the nuclide name."""
        return self.label or self.nuclide

    @property
    def nuclide_data(self) -> Nuclide:
        """The ``Nuclide`` record used for this source."""
        return get_nuclide(self.nuclide, self.library)

    @property
    def half_life_s(self) -> float:
        """Half-life of the nuclide in seconds."""
        return self.nuclide_data.half_life_s

    def decay_factor(self, t: date | datetime) -> float:
        """Return ``A(t) / A(reference_date)``."""
        return decay_factor(elapsed_s(self.reference_date, t), self.half_life_s)

    def activity_at(self, t: date | datetime) -> float:
        """Return the activity in Bq at time ``t``."""
        return self.activity_bq * self.decay_factor(t)

    def activity_budget_at(self, t: date | datetime) -> dict[str, float]:
        """Return the relative standard uncertainties of ``activity_at(t)`` by source.

        Returns
        -------
        dict
            ``certificate`` (``activity_err_bq / activity_bq``) and ``half_life``
            (``ln2 |dt| sigma_T / T^2``, from decaying over ``dt`` with an uncertain half-life).
        """
        nuc = self.nuclide_data
        dt = elapsed_s(self.reference_date, t)
        return {
            "certificate": self.activity_err_bq / self.activity_bq,
            "half_life": LN2 * abs(dt) * nuc.half_life_err_s / nuc.half_life_s**2,
        }

    def activity_rel_err_at(self, t: date | datetime) -> float:
        """Return the total relative standard uncertainty of ``activity_at(t)``."""
        return math.hypot(*self.activity_budget_at(t).values())

    def activity_err_at(self, t: date | datetime) -> float:
        """Return the standard uncertainty in Bq of ``activity_at(t)``."""
        return self.activity_at(t) * self.activity_rel_err_at(t)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary (``from_dict`` inverts it)."""
        return {
            "nuclide": self.nuclide,
            "activity_bq": self.activity_bq,
            "activity_err_bq": self.activity_err_bq,
            "reference_date": self.reference_date.isoformat(),
            "label": self.label,
            "library": self.nuclide_data.library,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SourceCertificate:
        """Rebuild a certificate from ``to_dict`` output."""
        try:
            return cls(
                nuclide=d["nuclide"],
                activity_bq=float(d["activity_bq"]),
                activity_err_bq=float(d.get("activity_err_bq", 0.0)),
                reference_date=parse_datetime(d["reference_date"]),
                label=str(d.get("label", "")),
                library=d.get("library"),
            )
        except KeyError as exc:
            raise CalibrationError(f"source certificate lacks {exc.args[0]!r}") from None
