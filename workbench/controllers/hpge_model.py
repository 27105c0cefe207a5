"""Observable state of the HPGe assay: the spectra with their roles, settings and results.

What to use when
----------------
- ``HpgeSession`` holds what the HPGe pane works on: the opened spectra (``SpectrumEntry``:
  file, role, nuclide, certificate, container pairing, lines the user excluded), the analysis
  settings (``HpgeSettings``), and the latest results (spectrum analyses, manual peak fits,
  efficiency curve, attenuation model, activity). Setters emit a signal only on a real change.
- ``to_dict()`` / ``from_dict()`` serialise the *inputs* (spectra, roles, certificates,
  exclusions, settings) for the session file; results are recomputed from them.

Roles: ``"calibration"`` (certified source: nuclide, activity, uncertainty, reference date),
``"outside"`` / ``"inside"`` (a source counted without / inside the replica container; an
inside spectrum names its outside partner, which may also be a calibration spectrum of the
same nuclide), ``"unknown"`` (the source to assay, 83Rb), or ``""`` (not assigned yet).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from PySide6.QtCore import QObject, Signal

__all__ = [
    "ROLES",
    "ROLE_TEXT",
    "SESSION_FORMAT",
    "HpgeSession",
    "HpgeSettings",
    "SpectrumEntry",
]

ROLES = ("", "calibration", "outside", "inside", "unknown")
ROLE_TEXT = {
    "": "role not set",
    "calibration": "calibration source",
    "outside": "outside container",
    "inside": "inside container",
    "unknown": "unknown source",
}
SESSION_FORMAT = "larcal-hpge-session"
_SESSION_VERSION = 1


@dataclass(frozen=True, slots=True)
class SpectrumEntry:
    """One opened spectrum and what the user said about it.

    Attributes
    ----------
    key : str
        Unique id: the path, with ``#index`` for the second and further spectra of a file.
    path : str
        File.
    index : int
        Spectrum number inside the file.
    name : str
        Display name.
    role : str
        One of ``ROLES``.
    nuclide : str
        Source nuclide (canonical name), ``""`` when unknown.
    activity_bq, activity_err_bq : float
        Certified activity and standard uncertainty (k = 1) on ``reference_date``.
    reference_date : str
        ISO date or date-time of the certificate.
    label : str
        Source label (serial number) shown with its efficiency points.
    partner : str
        For an ``"inside"`` spectrum: key of the same source counted outside.
    excluded_kev : tuple of float
        Lines the user excluded from this spectrum's use.
    """

    key: str
    path: str
    index: int = 0
    name: str = ""
    role: str = ""
    nuclide: str = ""
    activity_bq: float = math.nan
    activity_err_bq: float = 0.0
    reference_date: str = ""
    label: str = ""
    partner: str = ""
    excluded_kev: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"{self.name or self.path}: unknown role {self.role!r}")

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary (NaN becomes None)."""
        d = asdict(self)
        d["excluded_kev"] = list(self.excluded_kev)
        d["activity_bq"] = None if math.isnan(self.activity_bq) else self.activity_bq
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SpectrumEntry:
        """Rebuild an entry from ``to_dict`` output (unknown keys are ignored)."""
        names = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        kw["excluded_kev"] = tuple(float(e) for e in kw.get("excluded_kev", ()))
        a = kw.get("activity_bq")
        kw["activity_bq"] = math.nan if a is None else float(a)
        kw["activity_err_bq"] = float(kw.get("activity_err_bq") or 0.0)
        kw["index"] = int(kw.get("index", 0))
        return cls(**kw)


@dataclass(frozen=True, slots=True)
class HpgeSettings:
    """Analysis settings of the assay (the CLI's options of the same names).

    Attributes
    ----------
    order : int
        Efficiency polynomial order (2-5).
    e0_kev : float
        Reference energy of the efficiency curve.
    exclude_summing : bool
        Leave summing-prone lines out of the efficiency fit and the activity.
    attenuation_kind : str
        ``"power"``, ``"interp"``, ``"constant"`` or ``"none"`` (no container correction).
    activity_date : str
        ``YYYY-MM-DD`` to decay the activity to; ``""`` for the count.
    tolerance_kev : float
        Line matching tolerance of the analysis.
    min_intensity : float
        Weakest line looked for.
    area : str
        ``"fit"`` or ``"roi"`` net areas.
    """

    order: int = 3
    e0_kev: float = 300.0
    exclude_summing: bool = False
    attenuation_kind: str = "power"
    activity_date: str = ""
    tolerance_kev: float = 2.0
    min_intensity: float = 0.005
    area: str = "fit"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> HpgeSettings:
        """Rebuild settings from ``to_dict`` output (missing keys keep their defaults)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass
class _Results:
    """Results of one spectrum (not serialised)."""

    spectrum: Any = None
    analysis: Any = None
    status: str = ""
    manual_fits: list[Any] = field(default_factory=list)


class HpgeSession(QObject):
    """The HPGe assay's inputs and latest results.

    Signals
    -------
    entries_changed()
        A spectrum was added or removed, or an entry's fields changed.
    current_changed(str)
        Key of the spectrum shown ("" for none).
    spectrum_changed(str)
        The analysis, status or manual fits of this key changed.
    settings_changed()
        ``settings`` changed.
    efficiency_changed(), attenuation_changed(), activity_changed()
        The corresponding result (or its message) changed.
    restore_requested(object)
        A saved session's inputs (``to_dict``) should be reopened (``request_restore``); the
        HPGe pane's controller reopens the spectra and recomputes.
    """

    entries_changed = Signal()
    current_changed = Signal(str)
    spectrum_changed = Signal(str)
    settings_changed = Signal()
    efficiency_changed = Signal()
    attenuation_changed = Signal()
    activity_changed = Signal()
    restore_requested = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: dict[str, SpectrumEntry] = {}
        self._results: dict[str, _Results] = {}
        self._current = ""
        self.settings = HpgeSettings()
        self.efficiency: Any = None
        self.efficiency_message = ""
        self.attenuation: Any = None
        self.attenuation_points: tuple[Any, ...] = ()
        self.attenuation_message = ""
        self.activity: Any = None
        self.activity_message = ""

    def request_restore(self, d: dict[str, Any]) -> None:
        """Ask for the inputs of a saved session (``to_dict``) to be reopened."""
        self.restore_requested.emit(d)

    # ------------------------------------------------------------------ entries
    @property
    def entries(self) -> list[SpectrumEntry]:
        """The entries in the order they were added."""
        return list(self._entries.values())

    def entry(self, key: str) -> SpectrumEntry | None:
        """Return the entry of ``key``."""
        return self._entries.get(key)

    def add_entry(self, entry: SpectrumEntry, spectrum: Any = None) -> None:
        """Add (or replace) an entry with its loaded ``Spectrum``."""
        self._entries[entry.key] = entry
        self._results[entry.key] = _Results(spectrum=spectrum)
        self.entries_changed.emit()
        self.spectrum_changed.emit(entry.key)

    def remove_entry(self, key: str) -> None:
        """Forget a spectrum (and clear pairings that named it)."""
        if key not in self._entries:
            return
        del self._entries[key]
        del self._results[key]
        for k, e in list(self._entries.items()):
            if e.partner == key:
                self._entries[k] = replace(e, partner="")
        self.entries_changed.emit()
        if self._current == key:
            self.set_current(next(iter(self._entries), ""))

    def update_entry(self, key: str, **changes: Any) -> set[str]:
        """Change fields of an entry; return the names that really changed."""
        old = self._entries[key]
        new = replace(old, **changes)
        changed = {
            f.name for f in fields(SpectrumEntry) if getattr(old, f.name) != getattr(new, f.name)
        }
        # NaN != NaN: an unchanged missing activity is not a change.
        if "activity_bq" in changed and math.isnan(old.activity_bq) and math.isnan(new.activity_bq):
            changed.discard("activity_bq")
        if changed:
            self._entries[key] = new
            self.entries_changed.emit()
        return changed

    def set_excluded(self, key: str, energy_kev: float, excluded: bool) -> bool:
        """Exclude or include one line of ``key``; return True on a real change."""
        e = self._entries[key]
        rest = tuple(x for x in e.excluded_kev if abs(x - energy_kev) > 1e-6)
        new = tuple(sorted((*rest, float(energy_kev)))) if excluded else rest
        return bool(self.update_entry(key, excluded_kev=new))

    # ------------------------------------------------------------------ current
    @property
    def current(self) -> str:
        """Key of the spectrum shown ("" for none)."""
        return self._current

    def set_current(self, key: str) -> None:
        """Show the spectrum ``key``."""
        if key != self._current and (key == "" or key in self._entries):
            self._current = key
            self.current_changed.emit(key)

    # ------------------------------------------------------------------ per-spectrum results
    def spectrum(self, key: str) -> Any:
        """Return the loaded ``Spectrum`` of ``key``."""
        r = self._results.get(key)
        return None if r is None else r.spectrum

    def analysis(self, key: str) -> Any:
        """Return the ``SpectrumAnalysis`` of ``key`` (None before analysis)."""
        r = self._results.get(key)
        return None if r is None else r.analysis

    def status(self, key: str) -> str:
        """Return the status text of ``key``."""
        r = self._results.get(key)
        return "" if r is None else r.status

    def manual_fits(self, key: str) -> list[Any]:
        """Return the region fits the user asked for on ``key`` (oldest first)."""
        r = self._results.get(key)
        return [] if r is None else list(r.manual_fits)

    def set_analysis(self, key: str, analysis: Any, status: str = "") -> None:
        """Store (or clear, with None) the analysis of ``key``."""
        r = self._results.get(key)
        if r is None:
            return
        r.analysis = analysis
        r.status = status
        self.spectrum_changed.emit(key)
        self.entries_changed.emit()

    def set_status(self, key: str, status: str) -> None:
        """Set the status text (``"analysing…"``, ``"failed: ..."``)."""
        r = self._results.get(key)
        if r is not None and r.status != status:
            r.status = status
            self.entries_changed.emit()

    def add_manual_fit(self, key: str, fit: Any) -> None:
        """Append a region fit the user asked for."""
        r = self._results.get(key)
        if r is not None:
            r.manual_fits.append(fit)
            self.spectrum_changed.emit(key)

    def clear_manual_fits(self, key: str) -> None:
        """Remove the user's region fits of ``key``."""
        r = self._results.get(key)
        if r is not None and r.manual_fits:
            r.manual_fits.clear()
            self.spectrum_changed.emit(key)

    # ------------------------------------------------------------------ settings and results
    def set_settings(self, **changes: Any) -> bool:
        """Change settings; emit ``settings_changed`` and return True on a real change."""
        new = replace(self.settings, **changes)
        if new == self.settings:
            return False
        self.settings = new
        self.settings_changed.emit()
        return True

    def set_efficiency(self, curve: Any, message: str = "") -> None:
        """Store the efficiency curve (None with a message when there is none)."""
        self.efficiency, self.efficiency_message = curve, message
        self.efficiency_changed.emit()

    def set_attenuation(self, model: Any, points: tuple[Any, ...] = (), message: str = "") -> None:
        """Store the attenuation model and its measured points."""
        self.attenuation, self.attenuation_points = model, tuple(points)
        self.attenuation_message = message
        self.attenuation_changed.emit()

    def set_activity(self, report: Any, message: str = "") -> None:
        """Store the activity report (None with a message when it cannot be computed)."""
        self.activity, self.activity_message = report, message
        self.activity_changed.emit()

    # ------------------------------------------------------------------ queries
    def keys_with_role(self, *roles: str) -> list[str]:
        """Return the keys whose role is one of ``roles``, in order."""
        return [k for k, e in self._entries.items() if e.role in roles]

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """Return the inputs as a JSON-serialisable dictionary."""
        return {
            "format": SESSION_FORMAT,
            "format_version": _SESSION_VERSION,
            "settings": self.settings.to_dict(),
            "spectra": [e.to_dict() for e in self._entries.values()],
            "current": self._current,
        }

    @staticmethod
    def inputs_from_dict(d: dict[str, Any]) -> tuple[list[SpectrumEntry], HpgeSettings, str]:
        """Parse ``to_dict`` output into entries, settings and the current key.

        Raises
        ------
        ValueError
            When ``d`` is not an HPGe session of a known version.
        """
        if not isinstance(d, dict) or d.get("format") != SESSION_FORMAT:
            raise ValueError(f"not a {SESSION_FORMAT} dictionary")
        if int(d.get("format_version", 0)) > _SESSION_VERSION:
            raise ValueError(f"{SESSION_FORMAT} version {d['format_version']} is too new")
        entries = [SpectrumEntry.from_dict(e) for e in d.get("spectra", [])]
        return entries, HpgeSettings.from_dict(d.get("settings", {})), str(d.get("current", ""))

    @classmethod
    def from_dict(cls, d: dict[str, Any], parent: QObject | None = None) -> HpgeSession:
        """Return a session holding the inputs of ``d`` (no spectrum loaded, no results).

        ``HpgeController.restore`` re-reads the files and recomputes the results.
        """
        entries, settings, current = cls.inputs_from_dict(d)
        session = cls(parent)
        session.settings = settings
        for e in entries:
            session._entries[e.key] = e
            session._results[e.key] = _Results()
        session._current = current if current in session._entries else ""
        return session
