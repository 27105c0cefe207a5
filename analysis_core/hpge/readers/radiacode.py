"""Reader of RadiaCode (and BecqMoni) app XML spectra ``<ResultDataFile>``.

What to use when
----------------
``read_radiacode(path)`` returns the measured ``<EnergySpectrum>`` and, when present, the
``<BackgroundEnergySpectrum>`` stored with it (``extra["role"] = "background"``, and the title
says so); ``parse_radiacode(data, path)`` does the same for bytes in memory.

Layout (no published specification; as written by the RadiaCode app, FormatVersion 120920,
and as read by SpecUtils ``SpecFile_radiacode.cpp``)::

    <ResultDataFile><FormatVersion/><ResultDataList><ResultData>
      <DeviceConfigReference><Name>RadiaCode-101</Name></DeviceConfigReference>
      <BackgroundSpectrumFile>name</BackgroundSpectrumFile>
      <StartTime>2022-05-13T08:05:32</StartTime> <EndTime>...</EndTime>   (optional)
      <EnergySpectrum>
        <NumberOfChannels>256</NumberOfChannels> <SpectrumName/> <SerialNumber/>
        <EnergyCalibration><PolynomialOrder>2</PolynomialOrder>
          <Coefficients><Coefficient>c0</Coefficient>...</Coefficients></EnergyCalibration>
        <MeasurementTime>3682</MeasurementTime>
        <Spectrum><DataPoint>counts</DataPoint>...</Spectrum>
      </EnergySpectrum>
      [<StartTime/> <EndTime/>] <BackgroundEnergySpectrum> same content </...>

A ``<StartTime>`` belongs to the spectrum element that follows it (the app writes the times as
siblings before the spectrum). ``<MeasurementTime>`` is clock time: the file stores no live
time, so ``live_time_s = real_time_s = MeasurementTime`` and ``extra["live_time_note"]`` says
so (no dead-time model is applied; the CsI/SiPM dead time is a few microseconds per pulse).
"""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from analysis_core.errors import SpectrumFormatError
from analysis_core.hpge.readers._common import (
    build_spectrum,
    make_calibration,
    parse_iso_datetime,
    read_bytes,
)
from analysis_core.hpge.spectrum import Spectrum

__all__ = ["FORMAT", "parse_radiacode", "read_radiacode"]

FORMAT = "radiacode"
_SPECTRA = {"EnergySpectrum": "foreground", "BackgroundEnergySpectrum": "background"}
_LIVE_NOTE = "file stores clock time only; live time set equal to MeasurementTime"


def read_radiacode(path: str | os.PathLike[str]) -> list[Spectrum]:
    """Read a RadiaCode XML file; return its spectra (measured first, then background).

    Raises
    ------
    SpectrumFormatError
        For invalid XML, a missing element, a non-numeric value, or a channel count that
        disagrees with ``<NumberOfChannels>``.
    """
    return parse_radiacode(read_bytes(path), path)


def parse_radiacode(data: bytes, path: str | os.PathLike[str] = "<bytes>") -> list[Spectrum]:
    """Parse RadiaCode XML bytes (see the module docstring)."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise SpectrumFormatError(path, f"invalid XML ({exc})") from None
    if root.tag != "ResultDataFile":
        raise SpectrumFormatError(path, f"root element <{root.tag}> is not <ResultDataFile>")
    version = _text(root, "FormatVersion")
    out: list[Spectrum] = []
    for k, result in enumerate(root.iter("ResultData")):
        device = _text(result, "DeviceConfigReference/Name") or ""
        background_file = _text(result, "BackgroundSpectrumFile")
        start: datetime | None = None
        end: str | None = None
        for child in result:
            if child.tag == "StartTime" and child.text and child.text.strip():
                start = _datetime(child.text, path, f"ResultData {k} <StartTime>")
            elif child.tag == "EndTime" and child.text:
                end = child.text.strip()
            elif child.tag in _SPECTRA:
                role = _SPECTRA[child.tag]
                extra: dict[str, Any] = {
                    "role": role,
                    "device": device,
                    "format_version": version,
                    "live_time_note": _LIVE_NOTE,
                }
                if end:
                    extra["end_time"] = end
                if background_file and role == "foreground":
                    extra["background_file"] = background_file
                out.append(_spectrum(child, path, f"ResultData {k} <{child.tag}>", start, extra))
                start, end = None, None  # times written before a spectrum belong to it only
    if not out:
        raise SpectrumFormatError(path, "no <EnergySpectrum> element")
    return out


def _spectrum(
    elem: ET.Element,
    path: str | os.PathLike[str],
    where: str,
    start: datetime | None,
    extra: dict[str, Any],
) -> Spectrum:
    def number(label: str, raw: str | None) -> float:
        try:
            return float(raw) if raw is not None else math.nan
        except ValueError:
            raise SpectrumFormatError(path, f"{where}: {label} {raw!r} is not a number") from None

    points = elem.find("Spectrum")
    if points is None:
        raise SpectrumFormatError(path, f"{where}: no <Spectrum> data points")
    counts = [number(f"<DataPoint> {i}", p.text) for i, p in enumerate(points.iter("DataPoint"))]
    declared = _text(elem, "NumberOfChannels")
    if declared is not None and number("<NumberOfChannels>", declared) != len(counts):
        raise SpectrumFormatError(
            path, f"{where}: NumberOfChannels is {declared} but {len(counts)} DataPoint values"
        )
    time_s = number("<MeasurementTime>", _text(elem, "MeasurementTime"))
    warnings: list[str] = []
    cal = None
    coeff_elems = elem.findall("EnergyCalibration/Coefficients/Coefficient")
    if coeff_elems:
        coeffs = [number("<Coefficient>", c.text) for c in coeff_elems]
        order = _text(elem, "EnergyCalibration/PolynomialOrder")
        if order is not None and number("<PolynomialOrder>", order) != len(coeffs) - 1:
            raise SpectrumFormatError(
                path, f"{where}: PolynomialOrder {order} but {len(coeffs)} coefficients"
            )
        cal = make_calibration(coeffs, "RadiaCode EnergyCalibration", warnings)
    name = _text(elem, "SpectrumName") or ""
    serial = _text(elem, "SerialNumber") or ""
    if serial:
        extra["serial_number"] = serial
    title = name
    if extra["role"] == "background" and "background" not in name.lower():
        title = f"{name} (background)".strip()
    if warnings:
        extra["warnings"] = warnings
    return build_spectrum(
        path,
        FORMAT,
        counts,
        live_time_s=time_s,
        real_time_s=time_s,
        start_time=start,
        energy_cal=cal,
        detector=" ".join(s for s in (extra["device"], serial) if s),
        title=title,
        extra=extra,
        where=where,
    )


def _text(elem: ET.Element, path: str) -> str | None:
    found = elem.find(path)
    return None if found is None or found.text is None else found.text.strip()


def _datetime(raw: str, path: str | os.PathLike[str], where: str) -> datetime:
    try:
        return parse_iso_datetime(raw)
    except ValueError as exc:
        raise SpectrumFormatError(path, f"{where}: {exc}") from None
