"""HpgeSession: entries, real-change signals, exclusions, pairing, serialisation; helpers."""

from __future__ import annotations

import json
import math

import pytest

from workbench.controllers.hpge import guess_nuclide, spectrum_file_filter
from workbench.controllers.hpge_model import HpgeSession, HpgeSettings, SpectrumEntry


@pytest.fixture
def session(qtbot):
    s = HpgeSession()
    s.add_entry(SpectrumEntry("/d/eu.Spe", "/d/eu.Spe", name="eu.Spe"), spectrum=object())
    s.add_entry(SpectrumEntry("/d/in.Spe", "/d/in.Spe", name="in.Spe", role="inside",
                              partner="/d/eu.Spe"))  # fmt: skip
    return s


def test_update_entry_reports_and_signals_only_real_changes(session, qtbot):
    with qtbot.waitSignal(session.entries_changed):
        assert session.update_entry("/d/eu.Spe", role="calibration", nuclide="Eu-152") == {
            "role",
            "nuclide",
        }
    with qtbot.assertNotEmitted(session.entries_changed):
        assert session.update_entry("/d/eu.Spe", role="calibration") == set()
        assert session.update_entry("/d/eu.Spe", activity_bq=math.nan) == set()  # NaN == NaN
    with pytest.raises(ValueError, match="unknown role"):
        session.update_entry("/d/eu.Spe", role="sample")


def test_exclusions_are_sorted_and_toggle(session):
    assert session.set_excluded("/d/eu.Spe", 778.9, True)
    assert session.set_excluded("/d/eu.Spe", 344.3, True)
    assert not session.set_excluded("/d/eu.Spe", 344.3, True)
    assert session.entry("/d/eu.Spe").excluded_kev == (344.3, 778.9)
    assert session.set_excluded("/d/eu.Spe", 778.9, False)
    assert session.entry("/d/eu.Spe").excluded_kev == (344.3,)


def test_removing_a_spectrum_clears_pairings_and_current(session, qtbot):
    session.set_current("/d/eu.Spe")
    with qtbot.waitSignal(session.current_changed) as blocker:
        session.remove_entry("/d/eu.Spe")
    assert blocker.args == ["/d/in.Spe"]
    assert session.entry("/d/in.Spe").partner == ""
    assert [e.key for e in session.entries] == ["/d/in.Spe"]


def test_settings_change_signals_once(session, qtbot):
    with qtbot.waitSignal(session.settings_changed):
        assert session.set_settings(order=4)
    with qtbot.assertNotEmitted(session.settings_changed):
        assert not session.set_settings(order=4)


def test_results_per_spectrum(session, qtbot):
    with qtbot.waitSignal(session.spectrum_changed) as blocker:
        session.set_analysis("/d/eu.Spe", "analysis", "17 lines")
    assert blocker.args == ["/d/eu.Spe"]
    assert session.analysis("/d/eu.Spe") == "analysis"
    assert session.status("/d/eu.Spe") == "17 lines"
    session.add_manual_fit("/d/eu.Spe", "fit")
    assert session.manual_fits("/d/eu.Spe") == ["fit"]
    session.clear_manual_fits("/d/eu.Spe")
    assert session.manual_fits("/d/eu.Spe") == []
    assert session.keys_with_role("inside") == ["/d/in.Spe"]


def test_to_dict_round_trips_the_inputs_through_json(session):
    session.update_entry(
        "/d/eu.Spe", role="calibration", nuclide="Eu-152", activity_bq=37e3,
        activity_err_bq=555.0, reference_date="2009-01-01T12:00:00", excluded_kev=(344.2785,),
    )  # fmt: skip
    session.set_settings(order=4, exclude_summing=True, activity_date="2019-02-19")
    session.set_current("/d/in.Spe")
    d = json.loads(json.dumps(session.to_dict()))
    assert d["format"] == "larcal-hpge-session"
    restored = HpgeSession.from_dict(d)
    assert restored.entries == session.entries
    assert restored.settings == session.settings
    assert restored.current == "/d/in.Spe"
    assert restored.spectrum("/d/eu.Spe") is None  # inputs only: files are read again
    assert math.isnan(SpectrumEntry.from_dict(SpectrumEntry("k", "p").to_dict()).activity_bq)
    with pytest.raises(ValueError, match="not a larcal-hpge-session"):
        HpgeSession.from_dict({"format": "other"})
    assert HpgeSettings.from_dict({"order": 5, "unknown": 1}).order == 5


@pytest.mark.parametrize(
    ("name", "nuclide"),
    [
        ("iac_2021-08-17_Co-57-0.Spe", "Co-57"),
        ("iac_2021-08-17_Cs-137-0.Spe", "Cs-137"),
        ("rb83_container.Spe", "Rb-83"),
        ("83Rb_assay.chn", "Rb-83"),
        ("interspec_ba133_source_640s_20100317.n42", "Ba-133"),
        ("curie_eu_calib_7cm.Spe", ""),
        ("iac_2021-08-17_BG.Spe", ""),
    ],
)
def test_guess_nuclide_from_file_names(name, nuclide):
    assert guess_nuclide(name) == nuclide


def test_file_filter_lists_every_format_extension():
    text = spectrum_file_filter()
    for ext in ("*.spe", "*.chn", "*.cnf", "*.tka", "*.n42", "*.xml", "*.csv", "*.SPE"):
        assert ext in text
