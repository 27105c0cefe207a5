"""Gamma-spectrum file readers (HPGe and scintillator) returning ``Spectrum`` objects.

What to use when
----------------
- ``read_spectrum(path)``: the one spectrum of a file (or the ``index``-th of several).
- ``read_spectra(path)``: every spectrum of a file: one per detector for N42 portal files,
  measured + background for RadiaCode XML, one for the other formats.
- ``detect_format(path)``: the reader name a file would be read with; ``FORMATS`` lists the
  names with their usual extensions and a description (for file dialogs and ``--format``).

Formats: ORTEC ``.Spe`` (``spe.py``) and ``.Chn`` (``chn.py``), Canberra Genie ``.CNF``
(``cnf.py``) and ``.TKA`` (``tka.py``), ANSI N42.42-2006/2011 (``n42.py``), RadiaCode XML
(``radiacode.py``) and plain CSV/TXT columns (``csv.py``). Every reader returns counts per
channel, live and real time (NaN when not stored), start time and the stored energy (and shape)
calibration, and raises ``SpectrumFormatError`` naming the file and the fault for anything
malformed.

Detection looks at the content first (binary tags, ``$`` sections, the XML root element) and
falls back on the extension only for formats without a signature (``.tka``, CSV/TXT).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from analysis_core.errors import SpectrumFormatError
from analysis_core.hpge.readers import chn, cnf, csv, n42, radiacode, spe, tka
from analysis_core.hpge.readers._common import decode_text, read_bytes
from analysis_core.hpge.spectrum import Spectrum

__all__ = ["FORMATS", "detect_format", "read_spectra", "read_spectrum"]

#: Reader name -> (usual extensions, description).
FORMATS: dict[str, tuple[tuple[str, ...], str]] = {
    spe.FORMAT: ((".spe",), "ORTEC Maestro / IAEA ASCII spectrum ($SPEC_ID, $DATA, $MCA_CAL)"),
    chn.FORMAT: ((".chn",), "ORTEC binary spectrum (32-byte header, uint32 counts, trailer)"),
    cnf.FORMAT: ((".cnf",), "Canberra Genie-2000 CAM binary spectrum"),
    n42.FORMAT: ((".n42", ".xml"), "ANSI N42.42-2006 or -2011 XML, one or more detectors"),
    tka.FORMAT: ((".tka",), "Canberra TKA ASCII: live time, real time, one count per line"),
    radiacode.FORMAT: ((".xml",), "RadiaCode app XML with measured and background spectra"),
    csv.FORMAT: ((".csv", ".txt", ".tsv", ".dat"), "Plain columns: counts, channel/energy"),
}

_READERS: dict[str, Callable[[Path, bytes], list[Spectrum]]] = {
    spe.FORMAT: lambda p, d: [spe.parse_spe(decode_text(d), p)],
    chn.FORMAT: lambda p, d: [chn.parse_chn(d, p)],
    cnf.FORMAT: lambda p, d: [cnf.parse_cnf(d, p)],
    n42.FORMAT: lambda p, d: n42.parse_n42(d, p),
    tka.FORMAT: lambda p, d: [tka.parse_tka(decode_text(d), p)],
    radiacode.FORMAT: lambda p, d: radiacode.parse_radiacode(d, p),
    csv.FORMAT: lambda p, d: [csv.parse_csv(decode_text(d), p)],
}

_SNIFF_BYTES = 4096


def detect_format(path: str | os.PathLike[str]) -> str:
    """Return the reader name for ``path`` (a key of ``FORMATS``).

    Raises
    ------
    SpectrumFormatError
        When the file cannot be read or matches no known format.
    """
    p = Path(path)
    try:
        with p.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as exc:
        raise SpectrumFormatError(p, f"cannot read the file ({exc.strerror or exc})") from exc
    return _detect(p, head)


def read_spectra(path: str | os.PathLike[str], *, format: str | None = None) -> list[Spectrum]:  # noqa: A002
    """Read every spectrum stored in ``path``.

    Parameters
    ----------
    path : str or PathLike
        The spectrum file.
    format : str, optional
        A key of ``FORMATS`` to bypass detection (e.g. a TKA file saved as ``.txt``).

    Returns
    -------
    list of Spectrum
        In file order; never empty.

    Raises
    ------
    SpectrumFormatError
        For an unknown ``format``, an unreadable or unrecognised file, or malformed content.
    """
    p = Path(path)
    if format is not None and format not in _READERS:
        raise SpectrumFormatError(
            p, f"unknown format {format!r}; known: {', '.join(sorted(_READERS))}"
        )
    data = read_bytes(p)
    name = format or _detect(p, data[:_SNIFF_BYTES])
    return _READERS[name](p, data)


def read_spectrum(
    path: str | os.PathLike[str],
    *,
    index: int = 0,
    format: str | None = None,  # noqa: A002
) -> Spectrum:
    """Read one spectrum of ``path`` (the ``index``-th when the file holds several).

    Raises
    ------
    SpectrumFormatError
        As ``read_spectra``, or when the file holds no spectrum number ``index``.
    """
    spectra = read_spectra(path, format=format)
    if not -len(spectra) <= index < len(spectra):
        raise SpectrumFormatError(
            path, f"holds {len(spectra)} spectra; there is no spectrum index {index}"
        )
    return spectra[index]


def _detect(path: Path, head: bytes) -> str:
    if len(head) >= 2 and head[:2] == b"\xff\xff":
        return chn.FORMAT
    if cnf.looks_like_cnf(head):
        return cnf.FORMAT
    text = decode_text(head).lstrip()
    if text.startswith("$"):
        return spe.FORMAT
    if text.startswith("<"):
        root = _xml_root_name(text)
        if root in ("N42InstrumentData", "RadInstrumentData"):
            return n42.FORMAT
        if root == "ResultDataFile":
            return radiacode.FORMAT
        raise SpectrumFormatError(path, f"XML root <{root}> is not a known spectrum format")
    # No signature: the extension decides (TKA and CSV have none; for the others the reader
    # then reports precisely what is wrong with the content).
    ext = path.suffix.lower()
    for name, (extensions, _) in FORMATS.items():
        if ext in extensions:
            return name
    known = sorted({e for extensions, _ in FORMATS.values() for e in extensions})
    raise SpectrumFormatError(
        path,
        f"unknown spectrum format (no signature, extension {ext or 'none'!r} not one of "
        f"{', '.join(known)}); pass format=...",
    )


def _xml_root_name(text: str) -> str:
    """Return the local name of the first element (skipping the prolog and comments)."""
    pos = 0
    while True:
        start = text.find("<", pos)
        if start < 0 or start + 1 >= len(text):
            return "?"
        nxt = text[start + 1]
        if nxt in "?!":
            end = text.find(">", start)
            if end < 0:
                return "?"
            pos = end + 1
            continue
        name = text[start + 1 :].split(None, 1)[0].split(">", 1)[0].split("/", 1)[0]
        return name.rpartition(":")[2]
