"""Files the HPGe pane writes: the efficiency curve and the activity results (JSON, CSV).

What to use when
----------------
- ``save_efficiency_curve(curve, path)``: the JSON file ``larcal hpge efficiency --out`` writes
  (``EfficiencyCurve.save``); ``larcal hpge activity --efficiency`` and the constants export
  read it back with ``load_efficiency_curve``.
- ``save_activity_json(report, path)``: the object ``larcal hpge activity --json`` prints (plus
  the per-line inputs), as a file.
- ``save_activity_csv(report, path)``: one row per line (the paper's Table 1 columns with the
  activity and the budget term by term) and a ``combined`` row.

All writes are atomic (temporary file renamed into place).
"""

from __future__ import annotations

import csv
import io
import json
import os
from typing import Any

from analysis_core.atomic import atomic_write_text
from analysis_core.cli.common import to_jsonable
from analysis_core.hpge.activity import TERMS
from analysis_core.hpge.efficiency import EfficiencyCurve
from workbench.controllers.hpge_compute import ActivityReport

__all__ = [
    "ACTIVITY_CSV_COLUMNS",
    "save_activity_csv",
    "save_activity_json",
    "save_efficiency_curve",
]

_INPUT_COLUMNS = (
    "counts", "counts_err", "efficiency", "efficiency_err", "attenuation", "attenuation_err",
    "intensity", "intensity_err", "live_time_s",
)  # fmt: skip
#: Columns of the activity CSV (``rel_err_<term>`` for each budget term, ``half_life`` last).
ACTIVITY_CSV_COLUMNS = (
    "row", "energy_kev", *_INPUT_COLUMNS, "activity_bq", "activity_err_bq", "rel_err", "weight",
    *(f"rel_err_{t}" for t in (*TERMS, "half_life")), "reference_time", "nuclide",
)  # fmt: skip


def save_efficiency_curve(curve: EfficiencyCurve, path: str | os.PathLike[str]) -> None:
    """Write ``curve`` as ``larcal hpge efficiency --out`` does."""
    curve.save(path)


def save_activity_json(report: ActivityReport, path: str | os.PathLike[str]) -> None:
    """Write the activity report as one JSON object (NaN becomes null)."""
    text = json.dumps(to_jsonable(report.to_dict()), indent=1, allow_nan=False)
    atomic_write_text(path, text + "\n")


def _fmt(v: Any) -> Any:
    return "" if v is None else v


def save_activity_csv(report: ActivityReport, path: str | os.PathLike[str]) -> None:
    """Write per-line rows and the combined row as CSV (empty cells where not applicable)."""
    d = to_jsonable(report.to_dict())
    inputs = {round(x["energy_kev"], 3): x for x in d["line_inputs"]}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(ACTIVITY_CSV_COLUMNS)
    ref, nuc = d["reference_time"] or "", d["nuclide"]
    for ln in d["lines"]:
        i = inputs.get(round(ln["energy_kev"], 3), {})
        terms = {t["term"]: t["rel_err"] for t in ln["budget"]}
        writer.writerow(
            [
                "line", ln["energy_kev"], *(_fmt(i.get(c)) for c in _INPUT_COLUMNS),
                ln["activity_bq"], ln["activity_err_bq"], ln["rel_err"], ln["weight"],
                *(_fmt(terms.get(t)) for t in (*TERMS, "half_life")), ref, nuc,
            ]
        )  # fmt: skip
    c = d["combined"]
    terms = {t["term"]: t["rel_err"] for t in c["budget"]}
    writer.writerow(
        [
            "combined", "", *([""] * len(_INPUT_COLUMNS)), c["activity_bq"], c["activity_err_bq"],
            c["rel_err"], 1.0, *(_fmt(terms.get(t)) for t in (*TERMS, "half_life")), ref, nuc,
        ]
    )  # fmt: skip
    atomic_write_text(path, buf.getvalue())
