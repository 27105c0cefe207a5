"""Reader of ANSI N42.42 XML spectra (2006 and 2011/2012 editions), several detectors per file.

What to use when
----------------
``read_n42(path)`` returns one ``Spectrum`` per ``<Spectrum>`` element, in document order
(portal monitors write one per detector, time series one per sample). ``parse_n42(data, path)``
does the same for bytes in memory. The edition is recognised from the root element.

N42.42-2006 (root ``N42InstrumentData``)
    ``<Spectrum Detector="A1" CalibrationIDs="...">`` with ``<LiveTime>``/``<RealTime>`` (ISO
    8601 durations, ``PT629.17S``), ``<StartTime>`` (in the spectrum or the nearest enclosing
    ``DetectorData``/``Measurement``), ``<Calibration Type="Energy" EnergyUnits="keV">
    <Equation Model="Polynomial"><Coefficients>`` (in the spectrum or referenced by ID;
    ``FullRangeFraction`` is converted when its non-polynomial 5th term is zero), ``<Calibration
    Type="FWHM" FWHMUnits="Channels">`` -> ``shape_cal``, and ``<ChannelData Compression=
    "CountedZeroes">``.
N42.42-2011/2012 (root ``RadInstrumentData``)
    ``<RadMeasurement>`` (``StartDateTime``, ``RealTimeDuration``, ``MeasurementClassCode``)
    holding ``<Spectrum radDetectorInformationReference energyCalibrationReference
    FWHMCalibrationReference>`` with ``<LiveTimeDuration>`` and ``<ChannelData
    compressionCode="CountedZeroes">``. ``<EnergyCalibration>`` gives ``<CoefficientValues>``
    (keV) or ``<EnergyBoundaryValues>`` (n+1 edges; converted to a polynomial when exact, the
    centres kept in ``extra["energies_kev"]`` otherwise). ``<FWHMCalibration>`` energy/FWHM
    pairs go to ``extra["fwhm_kev_points"]``. Spectra in ``<DerivedData>`` are included with
    ``extra["derived"] = True``.

CountedZeroes: a 0 is followed by the number of zero channels it stands for. Start times with
a zone (``Z``, ``-07:00``) are returned as aware datetimes. ``extra["role"]`` is
``"foreground"``, ``"background"``, ``"calibration"``, ... from ``SourceType`` (2006) or
``MeasurementClassCode`` (2011). XML entity expansion is bounded by expat (Python >= 3.7.1).
"""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis_core.errors import SpectrumFormatError
from analysis_core.hpge.readers._common import (
    as_float_array,
    build_spectrum,
    calibration_from_energies,
    make_calibration,
    parse_iso_datetime,
    parse_iso_duration_s,
    read_bytes,
)
from analysis_core.hpge.spectrum import EnergyCalibration, Spectrum

__all__ = ["FORMAT", "expand_counted_zeroes", "parse_n42", "read_n42"]

FORMAT = "n42"
_ENERGY_UNITS = {"kev": 1.0, "mev": 1000.0, "ev": 1e-3}
_ROLES = {"item": "foreground", "foreground": "foreground", "background": "background"}


def read_n42(path: str | os.PathLike[str]) -> list[Spectrum]:
    """Read an N42.42 file; return one ``Spectrum`` per ``<Spectrum>`` element.

    Raises
    ------
    SpectrumFormatError
        For invalid XML, an unknown root, no spectra, or a malformed spectrum (the message
        names the spectrum by detector or index).
    """
    return parse_n42(read_bytes(path), path)


def parse_n42(data: bytes, path: str | os.PathLike[str] = "<bytes>") -> list[Spectrum]:
    """Parse N42.42 XML bytes (see the module docstring)."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise SpectrumFormatError(path, f"invalid XML ({exc})") from None
    ns, local = _split_tag(root.tag)
    q = _qualifier(ns)
    if local == "N42InstrumentData":
        spectra = _Reader2006(root, q, path).spectra()
    elif local == "RadInstrumentData":
        spectra = _Reader2011(root, q, path).spectra()
    else:
        raise SpectrumFormatError(path, f"root element <{local}> is not an N42.42 document")
    if not spectra:
        raise SpectrumFormatError(path, "no <Spectrum> element with channel data")
    return spectra


def expand_counted_zeroes(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Expand N42 ``CountedZeroes``: each 0 is followed by the number of zeros it stands for.

    Raises
    ------
    ValueError
        When a 0 is the last value or its count is not a positive integer.
    """
    zero_at = np.flatnonzero(values == 0)
    if zero_at.size == 0:
        return values
    out: list[NDArray[np.float64]] = []
    pos = 0
    i = 0
    while i < zero_at.size:
        z = int(zero_at[i])
        if z + 1 >= values.size:
            raise ValueError(f"value {z} is a 0 without a following zero count")
        count = values[z + 1]
        if count < 1 or count != math.floor(count):
            raise ValueError(f"zero count {count!r} after value {z} is not a positive integer")
        out.append(values[pos:z])
        out.append(np.zeros(int(count)))
        pos = z + 2
        # the count itself is never a zero marker, even when the next zero follows it
        i = int(np.searchsorted(zero_at, pos))
    out.append(values[pos:])
    return np.concatenate(out)


def _split_tag(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _qualifier(ns: str) -> Callable[[str], str]:
    return (lambda name: f"{{{ns}}}{name}") if ns else (lambda name: name)


class _Common:
    def __init__(self, root: ET.Element, q: Callable[[str], str], path: str | os.PathLike[str]):
        self.root = root
        self.q = q
        self.path = path
        self.parent = {child: parent for parent in root.iter() for child in parent}

    def text(self, elem: ET.Element | None, name: str) -> str | None:
        if elem is None:
            return None
        found = elem.find(self.q(name))
        return None if found is None or found.text is None else found.text.strip()

    def fail(self, where: str, fault: str) -> SpectrumFormatError:
        return SpectrumFormatError(self.path, f"{where}: {fault}")

    def channel_data(self, spec: ET.Element, where: str) -> NDArray[np.float64]:
        cd = spec.find(self.q("ChannelData"))
        if cd is None:
            raise self.fail(where, "no <ChannelData>")
        attrs = {k.lower(): v for k, v in cd.attrib.items()}
        compression = (attrs.get("compressioncode") or attrs.get("compression") or "").strip()
        try:
            values = as_float_array((cd.text or "").replace(",", " ").split())
            if compression.lower() == "countedzeroes":
                values = expand_counted_zeroes(values)
            elif compression and compression.lower() != "none":
                raise ValueError(f"unsupported compression {compression!r}")
        except ValueError as exc:
            raise self.fail(where, f"<ChannelData>: {exc}") from None
        return values

    def duration(self, elem: ET.Element | None, name: str, where: str) -> float:
        return self.parse_duration(self.text(elem, name), name, where)

    def parse_duration(self, raw: str | None, name: str, where: str) -> float:
        if raw is None:
            return math.nan
        try:
            return parse_iso_duration_s(raw)
        except ValueError as exc:
            raise self.fail(where, f"<{name}> {exc}") from None

    def datetime(self, raw: str | None, name: str, where: str) -> datetime | None:
        if not raw:
            return None
        try:
            return parse_iso_datetime(raw)
        except ValueError as exc:
            raise self.fail(where, f"<{name}> {exc}") from None

    def numbers(self, raw: str | None, name: str, where: str) -> list[float]:
        try:
            return [float(v) for v in as_float_array((raw or "").replace(",", " ").split())]
        except ValueError as exc:
            raise self.fail(where, f"<{name}> {exc}") from None


class _Reader2006(_Common):
    def spectra(self) -> list[Spectrum]:
        calibrations = {
            c.get("ID"): c for c in self.root.iter(self.q("Calibration")) if c.get("ID")
        }
        out = []
        for k, spec in enumerate(self.root.iter(self.q("Spectrum"))):
            out.append(self.spectrum(spec, k, calibrations))
        return out

    def inherited(self, spec: ET.Element, name: str) -> str | None:
        node: ET.Element | None = spec
        while node is not None:
            value = self.text(node, name)
            if value is not None:
                return value
            node = self.parent.get(node)
        return None

    def spectrum(
        self, spec: ET.Element, k: int, calibrations: dict[str | None, ET.Element]
    ) -> Spectrum:
        detector = spec.get("Detector", "") or spec.get("DetectorName", "")
        where = f"spectrum {k}" + (f" (detector {detector!r})" if detector else "")
        counts = self.channel_data(spec, where)
        live = self.duration(spec, "LiveTime", where)
        real = self.duration(spec, "RealTime", where)
        if math.isnan(real):
            raw_real = self.inherited(spec, "SampleRealTime")
            real = self.parse_duration(raw_real, "SampleRealTime", where)
        start = self.datetime(self.inherited(spec, "StartTime"), "StartTime", where)

        cal_elems = list(spec.findall(self.q("Calibration")))
        for ref in spec.get("CalibrationIDs", "").split():
            if ref not in calibrations:
                raise self.fail(where, f"CalibrationIDs names unknown calibration {ref!r}")
            cal_elems.append(calibrations[ref])
        warnings: list[str] = []
        extra: dict[str, Any] = {"n42_edition": "2006"}
        cal: EnergyCalibration | None = None
        shape: list[float] | None = None
        for c in cal_elems:
            kind = c.get("Type", "").lower()
            eq = c.find(self.q("Equation"))
            if eq is None:
                warnings.append(f"{c.get('Type', '?')} calibration without <Equation> ignored")
                continue
            model = eq.get("Model", "Polynomial")
            coeffs = self.numbers(self.text(eq, "Coefficients"), "Coefficients", where)
            if kind == "energy" and cal is None:
                cal = self.energy_cal(c, model, coeffs, counts.size, warnings)
            elif kind == "fwhm" and shape is None:
                if model.lower() == "polynomial" and c.get("FWHMUnits", "").lower() == "channels":
                    shape = coeffs
                else:
                    extra["fwhm_calibration"] = {"model": model, "coefficients": tuple(coeffs)}
        source_type = self.text(spec, "SourceType") or ""
        if source_type:
            extra["role"] = _ROLES.get(source_type.lower(), source_type.lower())
        detector_type = self.text(spec, "DetectorType")
        if detector_type:
            extra["detector_type"] = detector_type
        uuid = self.inherited_attr(spec, "UUID")
        if uuid:
            extra["uuid"] = uuid
        remarks = [r.text.strip() for r in spec.findall(self.q("Remark")) if r.text]
        if warnings:
            extra["warnings"] = warnings
        return build_spectrum(
            self.path,
            FORMAT,
            counts,
            live_time_s=live,
            real_time_s=real,
            start_time=start,
            energy_cal=cal,
            shape_cal=shape,
            detector=detector,
            title="; ".join(remarks),
            extra=extra,
            where=where,
        )

    def inherited_attr(self, spec: ET.Element, name: str) -> str | None:
        node: ET.Element | None = spec
        while node is not None:
            if node.get(name):
                return node.get(name)
            node = self.parent.get(node)
        return None

    def energy_cal(
        self, c: ET.Element, model: str, coeffs: list[float], n: int, warnings: list[str]
    ) -> EnergyCalibration | None:
        scale = _ENERGY_UNITS.get(c.get("EnergyUnits", "keV").lower())
        if scale is None:
            warnings.append(f"energy calibration units {c.get('EnergyUnits')!r} not understood")
            return None
        coeffs = [x * scale for x in coeffs]
        m = model.lower()
        if m == "polynomial":
            return make_calibration(coeffs, "N42 Polynomial", warnings)
        if m == "fullrangefraction" and (len(coeffs) < 5 or coeffs[4] == 0.0):
            # E = sum_k c_k x^k with x = ch / n, so the channel coefficients are c_k / n^k
            return make_calibration(
                [ck / n**k for k, ck in enumerate(coeffs[:4])], "N42 FullRangeFraction", warnings
            )
        warnings.append(f"energy calibration model {model!r} not converted")
        return None


class _Reader2011(_Common):
    def spectra(self) -> list[Spectrum]:
        by_id = {e.get("id"): e for e in self.root.iter() if e.get("id")}
        out = []
        k = 0
        for container_name, derived in (("RadMeasurement", False), ("DerivedData", True)):
            for meas in self.root.iter(self.q(container_name)):
                for spec in meas.findall(self.q("Spectrum")):
                    out.append(self.spectrum(spec, meas, k, by_id, derived))
                    k += 1
        return out

    def spectrum(
        self,
        spec: ET.Element,
        meas: ET.Element,
        k: int,
        by_id: dict[str | None, ET.Element],
        derived: bool,
    ) -> Spectrum:
        det_ref = spec.get("radDetectorInformationReference", "")
        det_info = by_id.get(det_ref)
        detector = self.text(det_info, "RadDetectorName") or det_ref
        where = f"spectrum {k} (id {spec.get('id', '?')!r})"
        counts = self.channel_data(spec, where)
        live = self.duration(spec, "LiveTimeDuration", where)
        real = self.duration(spec, "RealTimeDuration", where)
        if math.isnan(real):
            real = self.duration(meas, "RealTimeDuration", where)
        start = self.datetime(self.text(meas, "StartDateTime"), "StartDateTime", where)

        warnings: list[str] = []
        extra: dict[str, Any] = {"n42_edition": "2011", "spectrum_id": spec.get("id", "")}
        if derived:
            extra["derived"] = True
        role = self.text(meas, "MeasurementClassCode")
        if role:
            extra["role"] = _ROLES.get(role.lower(), role.lower())
        cal = None
        cal_elem = by_id.get(spec.get("energyCalibrationReference", ""))
        if cal_elem is not None:
            cal = self.energy_cal(cal_elem, counts.size, where, warnings, extra)
        fwhm = by_id.get(spec.get("FWHMCalibrationReference", ""))
        if fwhm is not None:
            e = self.numbers(self.text(fwhm, "EnergyValues"), "EnergyValues", where)
            w = self.numbers(self.text(fwhm, "FWHMValues"), "FWHMValues", where)
            if len(e) != len(w):
                raise self.fail(where, "<FWHMCalibration> energy and FWHM lists differ in length")
            extra["fwhm_kev_points"] = tuple(zip(e, w, strict=True))
        remarks = [r.text.strip() for r in spec.findall(self.q("Remark")) if r.text]
        if warnings:
            extra["warnings"] = warnings
        return build_spectrum(
            self.path,
            FORMAT,
            counts,
            live_time_s=live,
            real_time_s=real,
            start_time=start,
            energy_cal=cal,
            detector=detector,
            title="; ".join(remarks),
            extra=extra,
            where=where,
        )

    def energy_cal(
        self, c: ET.Element, n: int, where: str, warnings: list[str], extra: dict[str, Any]
    ) -> EnergyCalibration | None:
        coeffs = self.text(c, "CoefficientValues")
        if coeffs:
            return make_calibration(
                self.numbers(coeffs, "CoefficientValues", where), "N42 CoefficientValues", warnings
            )
        raw_edges = self.text(c, "EnergyBoundaryValues")
        if raw_edges:
            edges = np.array(self.numbers(raw_edges, "EnergyBoundaryValues", where))
            if edges.size != n + 1:
                raise self.fail(
                    where, f"<EnergyBoundaryValues> has {edges.size} values for {n} channels"
                )
            centres = 0.5 * (edges[:-1] + edges[1:])
            tol_kev = 1e-6 * float(np.ptp(edges))
            cal = calibration_from_energies(centres, tol_kev, "N42 EnergyBoundaryValues")
            if cal is None:
                extra["energies_kev"] = centres
                warnings.append("EnergyBoundaryValues are not a polynomial of degree <= 3")
            return cal
        warnings.append("energy calibration without CoefficientValues/EnergyBoundaryValues")
        return None
