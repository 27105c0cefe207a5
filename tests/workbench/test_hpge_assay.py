"""The HPGe assay end to end in the pane: container transmission and 83Rb activity, vs truth and CLI.

Inputs (see ``test_hpge_synthetic``): the real 152Eu spectrum (calibration source and
"outside" count), the same spectrum thinned by a known wall transmission ("inside"), and a
synthetic 1-hour 83Rb spectrum in the container whose peaks hold ``A Y eps mu t D`` counts
with ``A = 5120 Bq`` and ``eps`` the efficiency curve the pane fitted. Because the data were
made with that same curve, the efficiency and emission-probability uncertainties do not
scatter the result: the truth must be recovered within the counting and transmission terms of
the budget (3 sigma). The CLI given the same curve and transmission files must give the same
numbers to rounding.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
from datetime import datetime
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QDate, QDateTime, QEvent, QSettings, Qt

from analysis_core.cli.common import to_jsonable
from analysis_core.cli.main import main as larcal
from analysis_core.hpge.nuclides import get_nuclide
from tests.conftest import REAL_DATA
from tests.workbench.test_hpge_synthetic import (
    K_WALL,
    P_WALL,
    write_inside_copy,
    write_rb83,
)
from workbench.app import create_main_window
from workbench.controllers import hpge
from workbench.controllers.hpge_export import ACTIVITY_CSV_COLUMNS
from workbench.registry import PaneSpec
from workbench.settings import Settings

pytestmark = pytest.mark.realdata

EU = REAL_DATA / "hpge" / "curie_eu_calib_7cm.Spe"
A_TRUE_BQ = 5120.0  # at the start of the 83Rb count, 2019-02-19 10:00
RTOL = 1e-12


def _dispose(window):
    """Close and delete the window now (not at interpreter exit, half torn down)."""
    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _select(combo, data):
    combo.setCurrentIndex(combo.findData(data))


@pytest.fixture(scope="module")
def assay(qapp, tmp_path_factory):
    if not EU.is_file():
        pytest.skip(f"real data not found at {EU}")
    tmp = tmp_path_factory.mktemp("hpge_assay")
    settings = Settings(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
    spec = PaneSpec("hpge", "HPGe assay", "centre", hpge.build)
    window = create_main_window(
        settings=settings, inline_jobs=True, panes=[spec], show_dialogs=False, restore_layout=False
    )
    ctrl, pane = window.binding("hpge").controller, window.binding("hpge").widget
    ctrl.open_files([EU])
    src = pane.sources
    _select(src.role, "calibration")
    _select(src.nuclide, "Eu-152")
    src.activity.setValue(37.0)
    src.activity_err.setValue(1.11)
    src.reference.setDateTime(QDateTime.fromString("2009-01-01T00:00:00", Qt.DateFormat.ISODate))
    src.apply_button.click()
    curve = ctrl.session.efficiency
    inside = write_inside_copy(EU, tmp / "eu_inside.Spe")
    rb = write_rb83(tmp / "rb83_source.Spe", A_TRUE_BQ, lambda e: float(curve.efficiency(e)))
    ctrl.open_files([inside, rb])  # the 83Rb file name makes it the unknown source
    in_key = str(inside.resolve())
    ctrl.session.set_current(in_key)
    _select(src.role, "inside")  # pairs with the 152Eu spectrum, the same nuclide
    _select(src.nuclide, "Eu-152")
    curve_file, att_file = tmp / "curve.json", tmp / "att.json"
    curve.save(curve_file)
    ctrl.session.attenuation.save(att_file)
    yield SimpleNamespace(
        window=window, ctrl=ctrl, pane=pane, tmp=tmp, rb=rb, in_key=in_key,
        curve_file=curve_file, att_file=att_file,
    )  # fmt: skip
    _dispose(window)


def _cli(*args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert larcal(["hpge", *map(str, args), "--json"]) == 0
    return json.loads(out.getvalue())


def _rel(result, *names):
    return math.sqrt(sum(t.rel_err**2 for t in result.budget if t.name in names))


def test_pairing_and_roles(assay):
    s = assay.ctrl.session
    roles = {e.name: (e.role, e.nuclide) for e in s.entries}
    assert roles == {
        "curie_eu_calib_7cm.Spe": ("calibration", "Eu-152"),
        "eu_inside.Spe": ("inside", "Eu-152"),
        "rb83_source.Spe": ("unknown", "Rb-83"),
    }
    assert s.entry(assay.in_key).partner == str(EU.resolve())
    assert assay.window.ctx.notifier.errors == []


def test_transmission_recovers_the_wall(assay):
    s = assay.ctrl.session
    model = s.attenuation
    assert model.kind == "power"
    k, p = math.exp(model.parameters[0]), model.parameters[1]
    k_err = k * math.sqrt(model.covariance[0][0])
    p_err = math.sqrt(model.covariance[1][1])
    assert abs(k - K_WALL) < 3 * k_err
    assert abs(p - P_WALL) < 3 * p_err
    table = assay.pane.attenuation
    assert [r.energy_kev for r in table.rows()] == [pt.energy_kev for pt in s.attenuation_points]
    assert "520.4 keV: " in table.summary.text()


def test_activity_recovers_the_truth(assay):
    report = assay.ctrl.session.activity
    result = report.result
    assert result.nuclide == "Rb-83"
    assert result.reference_time == datetime(2019, 2, 19, 10, 0, 0)
    stat = _rel(result, "counting", "attenuation")
    assert abs(result.activity_bq / A_TRUE_BQ - 1) < 3 * stat
    for ln in result.lines:
        line_stat = math.sqrt(
            sum(t.rel_err**2 for t in ln.budget if t.name in ("counting", "attenuation"))
        )
        assert abs(ln.activity_bq / A_TRUE_BQ - 1) < 3 * line_stat
    shown = assay.pane.activity.line_rows()
    assert [r.activity_bq for r in shown] == [ln.activity_bq for ln in result.lines]
    assert "Rb-83 combined (GLS)" in assay.pane.activity.summary_text()


def test_activity_matches_the_cli_given_the_same_curve_and_transmission(assay):
    gui = to_jsonable(assay.ctrl.session.activity.to_dict())
    cli = _cli("activity", "--spectrum", assay.rb, "--efficiency", assay.curve_file,
               "--attenuation", assay.att_file)  # fmt: skip
    for ours, theirs in zip(gui["lines"], cli["lines"], strict=True):
        np.testing.assert_allclose(
            [ours["activity_bq"], ours["activity_err_bq"], ours["weight"]],
            [theirs["activity_bq"], theirs["activity_err_bq"], theirs["weight"]],
            rtol=RTOL,
        )
    for k in ("activity_bq", "activity_err_bq", "chi2"):
        assert gui["combined"][k] == pytest.approx(cli["combined"][k], rel=RTOL)
    assert [t["term"] for t in gui["combined"]["budget"]] == [
        t["term"] for t in cli["combined"]["budget"]
    ]
    assert gui["kr83m"]["activity_bq"] == pytest.approx(cli["kr83m"]["activity_bq"], rel=RTOL)
    assert gui["reference_time"] == cli["reference_time"]


def test_decay_to_a_date_in_the_gui_and_the_cli(assay, qtbot):
    s, widget = assay.ctrl.session, assay.pane.activity
    measured = s.activity.measured
    widget._decay_box.setChecked(True)
    widget._date.setDate(QDate(2019, 5, 16))
    result = s.activity.result
    assert result.reference_time == datetime(2019, 5, 16)
    rb = get_nuclide("Rb-83")
    dt = (datetime(2019, 5, 16) - datetime(2019, 2, 19, 10)).total_seconds()
    factor = math.exp(-math.log(2) * dt / rb.half_life_s)
    assert result.activity_bq == pytest.approx(measured.activity_bq * factor, rel=RTOL)
    half_life = next(t for t in result.budget if t.name == "half_life")
    assert half_life.rel_err == pytest.approx(
        math.log(2) * dt * rb.half_life_err_s / rb.half_life_s**2, rel=RTOL
    )
    cli = _cli("activity", "--spectrum", assay.rb, "--efficiency", assay.curve_file,
               "--attenuation", assay.att_file, "--date", "2019-05-16")  # fmt: skip
    assert result.activity_bq == pytest.approx(cli["combined"]["activity_bq"], rel=RTOL)
    assert result.activity_err_bq == pytest.approx(cli["combined"]["activity_err_bq"], rel=RTOL)
    assert "2019-05-16" in widget.summary_text()
    widget._decay_box.setChecked(False)
    assert s.activity.result.reference_time == measured.reference_time


def test_expected_kr83m_in_equilibrium(assay):
    report = assay.ctrl.session.activity
    kr = next(d for d in report.daughters if d.name == "Kr-83m")
    t_p, t_d = get_nuclide("Rb-83").half_life_s, get_nuclide("Kr-83m").half_life_s
    expected = 0.743 * t_p / (t_p - t_d) * report.result.activity_bq
    assert kr.activity_bq == pytest.approx(expected, rel=1e-9)
    assert "Kr-83m" in assay.pane.activity.summary_text()


def test_activity_exports_parse_and_agree(assay, monkeypatch):
    report = assay.ctrl.session.activity
    jpath, cpath = assay.tmp / "act.json", assay.tmp / "act.csv"
    monkeypatch.setattr(assay.pane, "ask_save_path", lambda *a: str(jpath))
    assay.pane.export_json_button.click()
    monkeypatch.setattr(assay.pane, "ask_save_path", lambda *a: str(cpath))
    assay.pane.export_csv_button.click()
    assert json.loads(jpath.read_text()) == json.loads(json.dumps(to_jsonable(report.to_dict())))
    with cpath.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(ACTIVITY_CSV_COLUMNS)
    assert [r["row"] for r in rows] == ["line", "line", "line", "combined"]
    for r, ln in zip(rows[:3], report.result.lines, strict=True):
        assert float(r["activity_bq"]) == ln.activity_bq
        assert float(r["rel_err_counting"]) == ln.budget[0].rel_err
    assert float(rows[3]["activity_bq"]) == report.result.activity_bq


def test_no_container_correction(assay):
    s = assay.ctrl.session
    with_mu = s.activity.result.activity_bq
    _select(assay.pane.attenuation._kind, "none")
    result = s.activity.result
    assert result.extra["attenuation"] == "none"
    mu = [ln.attenuation for ln in s.activity.inputs.lines]
    assert mu == [1.0, 1.0, 1.0]
    assert result.activity_bq < with_mu  # no correction for the photons the wall absorbed
    assert "No container correction" in assay.pane.activity.summary_text()
    _select(assay.pane.attenuation._kind, "power")
    assert s.activity.result.activity_bq == with_mu
