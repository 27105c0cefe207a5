"""Spectrum & fit pane on small simulated runs: empty states, first settings, dragged ranges,
cuts, models, invalid fits and errors; the result in ``ctx.calib`` equals the headless step.

Runs: a 4000-event ``kr-run`` (83mKr injection over 39Ar) and a 39Ar background run at the same
``rate_scale``, reduced with the true SPE gains (mu), simulated once per module (~2 s).
"""

from __future__ import annotations

import shutil

import h5py
import numpy as np
import pytest

from analysis_core.cuts import CutSet, RangeCut
from analysis_core.fitting.peak_step import compute_peak_fit
from analysis_core.reduction import ReductionConfig, reduce_file
from analysis_core.sim import simulate_run
from analysis_core.sim.config import SimConfig
from analysis_core.sim.runs import RunSettings, kr_run_rate_scale
from workbench.app import create_main_window
from workbench.controllers import spectrum_fit
from workbench.controllers.spectrum_fit_inputs import step_inputs
from workbench.registry import PaneSpec

KR_EVENTS = 4000
BKG_EVENTS = 2000


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Raw runs with their RQ files beside them (``<stem>_rq.h5``, attached on opening)."""
    out = tmp_path_factory.mktemp("spectrum_fit_runs")
    det = SimConfig().detector
    gains = (det.spe_mu_adc_ns_top, det.spe_mu_adc_ns_bottom)
    scale = kr_run_rate_scale(KR_EVENTS, RunSettings(), SimConfig().sources)
    kr = simulate_run("kr-run", KR_EVENTS, 41, out / "kr_run.h5")
    bkg = simulate_run("background", BKG_EVENTS, 42, out / "background.h5", rate_scale=scale)
    for raw in (kr, bkg):
        reduce_file(raw, raw.with_name(f"{raw.stem}_rq.h5"), ReductionConfig(spe_gain_adc_ns=gains))
    return {"kr": kr, "bkg": bkg}


@pytest.fixture
def gui(qtbot):
    spec = PaneSpec("spectrum_fit", "Spectrum & fit", "centre", spectrum_fit.build)
    w = create_main_window(inline_jobs=True, panes=[spec], show_dialogs=False, restore_layout=False)
    qtbot.addWidget(w)
    binding = w.binding("spectrum_fit")
    yield w, binding.controller, binding.widget
    w.close()


def _open(window, *paths):
    window.ctx.loader.open_files([str(p) for p in paths])


def _kr(window):
    return window.ctx.calib.result("peak_fit").peaks["kr_41"]


def _headless(window):
    """The step called directly with the settings the pane stored."""
    return compute_peak_fit(step_inputs(window.ctx), window.ctx.calib.settings("peak_fit"))


def test_empty_states_say_what_to_do(gui, runs, tmp_path):
    window, ctrl, pane = gui
    assert "No Kr run is open" in pane.plot.message()
    assert pane.params.status_text() == "No fit yet."
    raw_only = tmp_path / "kr_copy.h5"
    shutil.copyfile(runs["kr"], raw_only)  # no RQ file beside it
    _open(window, raw_only)
    assert "kr_copy.h5 is not reduced yet" in pane.plot.message()
    ctrl.set_peak("co57_122")
    assert "No 57Co run is open" in pane.plot.message()
    assert window.ctx.notifier.errors == []  # empty states are not errors


def test_first_fit_of_the_kr_peak_matches_truth_and_the_headless_step(gui, runs):
    window, ctrl, pane = gui
    _open(window, runs["kr"], runs["bkg"])
    s = window.ctx.calib.settings("peak_fit")["peaks"]["kr_41"]
    assert (s["role"], s["column"], s["background_role"]) == ("kr", "total_pe", "background")
    r = _kr(window)
    assert r.fit.valid, r.fit.message
    assert r.subtracted is not None
    assert r.livetime_scale > 0
    # Truth: each Kr event's analog charge over the SPE mu of its PMT (what total_pe measures).
    with h5py.File(runs["kr"], "r") as f:
        t, a = f["truth"], f["truth"].attrs
        q = t["charge_adc_ns_top"][:] / a["spe_mu_adc_ns_top"]
        q = q + t["charge_adc_ns_bottom"][:] / a["spe_mu_adc_ns_bottom"]
        q = q[t["source"][:] == 2]
    # 1.5 %: the reduction integrates 6 us after t0 (the truth charge is the whole window) and
    # subtracts an estimated baseline; the fit's own error is ~0.3 % here.
    assert r.fit["mean"] == pytest.approx(np.mean(q), rel=0.015)
    # 15 % relative: electronics noise integrated over 6 us broadens the measured peak.
    assert r.fit.extra["resolution"] == pytest.approx(np.std(q) / np.mean(q), rel=0.15)
    again = _headless(window).peaks["kr_41"]
    np.testing.assert_array_equal(again.fit.values, r.fit.values)  # same function, same data
    assert pane.plot.series_keys() == ["signal", "background", "subtracted"]
    assert pane.params.is_valid()
    assert [row[0] for row in pane.params.rows()][:3] == ["area", "mean", "sigma"]


def test_dragging_the_range_refits_with_the_step(gui, runs):
    window, ctrl, pane = gui
    _open(window, runs["kr"], runs["bkg"])
    mean = _kr(window).fit["mean"]
    lo, hi = round(mean * 0.8, 1), round(mean * 1.2, 1)
    pane.plot.region.setRegion((lo, hi))  # what the mouse release does
    assert window.ctx.calib.settings("peak_fit")["peaks"]["kr_41"]["range"] == [lo, hi]
    r = _kr(window)
    assert r.settings["range"] == [lo, hi]
    assert r.fit.extra["fit_range"][0] >= lo - 1e-9
    expected = _headless(window).peaks["kr_41"]
    np.testing.assert_array_equal(r.fit.values, expected.fit.values)
    np.testing.assert_array_equal(r.fit.errors, expected.fit.errors)
    assert pane.fit_lo.value() == lo
    assert pane.fit_hi.value() == hi


def test_a_cut_change_refits(gui, runs):
    window, ctrl, pane = gui
    _open(window, runs["kr"], runs["bkg"])
    before = _kr(window)
    assert before.n_selected == before.n_events  # no cut set yet
    window.ctx.calib.set_cuts(CutSet().with_cut(RangeCut("ftop band", "ftop", 0.3, 0.7)))
    after = _kr(window)
    assert after is not before
    assert 0 < after.n_selected < after.n_events
    np.testing.assert_array_equal(after.fit.values, _headless(window).peaks["kr_41"].fit.values)
    assert "1 enabled" in pane.apply_cuts.text()
    pane.apply_cuts.setChecked(False)  # cuts off: every event again
    assert _kr(window).n_selected == after.n_events
    assert window.ctx.calib.settings("peak_fit")["peaks"]["kr_41"]["apply_cuts"] is False


def test_model_and_cost_choosers_write_the_settings(gui, runs):
    window, ctrl, pane = gui
    _open(window, runs["kr"], runs["bkg"])
    pane.model.setCurrentIndex(pane.model.findData("gauss"))
    pane.cost.setCurrentIndex(pane.cost.findData("chi2"))
    s = window.ctx.calib.settings("peak_fit")["peaks"]["kr_41"]
    assert (s["model"], s["cost"]) == ("gauss", "chi2")
    r = _kr(window)
    assert (r.fit.model, r.fit.cost, r.fit.names) == ("gauss", "chi2", ("area", "mean", "sigma"))
    pane.subtract.setChecked(False)
    r = _kr(window)
    assert r.subtracted is None
    assert r.settings["background_role"] is None
    assert pane.plot.series_keys() == ["signal"]


def test_an_invalid_fit_shows_its_reason(gui, runs):
    window, ctrl, pane = gui
    _open(window, runs["kr"], runs["bkg"])
    mean = _kr(window).fit["mean"]
    ctrl.set_fit_range(2.5 * mean, 2.9 * mean)  # nothing but a few 39Ar events up there
    r = _kr(window)
    assert not r.fit.valid
    assert r.fit.message
    assert pane.params.is_valid() is False
    assert pane.params.status_text() == f"Fit NOT valid: {r.fit.message}"


def test_a_missing_background_run_is_reported_in_the_pane_and_the_notifier(gui, runs):
    window, ctrl, pane = gui
    _open(window, runs["kr"])  # no background run
    assert window.ctx.calib.settings("peak_fit")["peaks"]["kr_41"]["background_role"] is None
    assert not pane.subtract.isEnabled()
    ctrl.edit(background_role="background")
    err = window.ctx.notifier.last_error
    assert err.title == "Peak fit 41.5 keV"
    assert "no reduced 'background' run" in err.text
    assert pane.params.status_text() == err.text
    assert "no reduced 'background' run" in pane.plot.message()
    assert window.ctx.calib.result("peak_fit") is None


def test_settings_loaded_from_a_session_are_shown_and_fitted(gui, runs):
    window, ctrl, pane = gui
    _open(window, runs["kr"], runs["bkg"])
    s = dict(window.ctx.calib.settings("peak_fit")["peaks"]["kr_41"])
    s.update(range=[150.0, 210.0], bins=3.0, model="gauss+exp")
    window.ctx.calib.set_settings("peak_fit", {"peaks": {"kr_41": s}})  # as a session load does
    r = _kr(window)
    assert r.settings["range"] == [150.0, 210.0]
    assert r.fit.model == "gauss+exp"
    assert (pane.fit_lo.value(), pane.fit_hi.value(), pane.bin_width.value()) == (150, 210, 3)
    assert pane.model.currentData() == "gauss+exp"


def test_run_choosers_set_the_roles(gui, runs):
    window, ctrl, pane = gui
    _open(window, runs["kr"], runs["bkg"])
    kr_path, bkg_path = (str(p.resolve()) for p in (runs["kr"], runs["bkg"]))
    assert pane.run.currentData() == kr_path
    assert pane.background.currentData() == bkg_path
    assert "live time" in pane.background_label.text()
    pane.background.activated.emit(pane.background.findData(""))  # the user picks "none"
    assert window.ctx.calib.role_path("background") is None
    # The suggested settings were never edited: they follow, without subtraction now.
    assert _kr(window).subtracted is None
    assert not pane.subtract.isEnabled()
    pane.background.activated.emit(pane.background.findData(bkg_path))
    assert _kr(window).subtracted is not None
    pane.run.activated.emit(pane.run.findData(""))
    assert window.ctx.calib.role_path("kr") is None
    assert "No Kr run is open" in pane.plot.message()
    assert window.ctx.calib.result("peak_fit") is None  # its run is gone: no stale result
    assert window.ctx.notifier.errors == []  # and no error: the pane says what to open


def test_a_bug_in_the_job_is_shown_not_fatal(gui, runs, monkeypatch):
    window, ctrl, pane = gui
    _open(window, runs["kr"], runs["bkg"])

    def broken(*args, **kwargs):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr("workbench.controllers.spectrum_fit_compute.compute_peak", broken)
    ctrl.set_fit_range(140.0, 215.0)
    errors = window.ctx.notifier.errors
    assert len(errors) == 1  # once, from the job runner
    assert errors[0].text == "ZeroDivisionError: float division by zero"
    assert pane.params.status_text() == "ZeroDivisionError: float division by zero"
    monkeypatch.undo()
    pane.fit_button.click()  # fit again: works
    assert _kr(window).fit.valid


@pytest.fixture
def pool_gui(qtbot):
    spec = PaneSpec("spectrum_fit", "Spectrum & fit", "centre", spectrum_fit.build)
    w = create_main_window(panes=[spec], show_dialogs=False, restore_layout=False)
    qtbot.addWidget(w)
    yield w, w.binding("spectrum_fit").controller, w.binding("spectrum_fit").widget
    qtbot.waitUntil(lambda: w.ctx.jobs.active_count() == 0, timeout=10000)
    w.close()


def test_thread_pool_drags_the_latest_range_wins(pool_gui, runs, qtbot):
    window, ctrl, pane = pool_gui
    _open(window, runs["kr"], runs["bkg"])
    qtbot.waitUntil(lambda: window.ctx.calib.result("peak_fit") is not None, timeout=20000)
    for lo, hi in ((140.0, 215.0), (145.0, 212.0), (150.0, 210.0)):
        pane.plot.region.setRegion((lo, hi))  # three quick drags: one refit survives
    qtbot.waitUntil(lambda: _kr(window).settings["range"] == [150.0, 210.0], timeout=20000)
    qtbot.waitUntil(lambda: window.ctx.jobs.active_count() == 0, timeout=10000)
    assert _kr(window).settings["range"] == [150.0, 210.0]
    np.testing.assert_array_equal(
        _kr(window).fit.values, _headless(window).peaks["kr_41"].fit.values
    )
    assert window.ctx.notifier.errors == []


def test_every_peak_with_a_run_is_fitted(gui, runs, tmp_path):
    window, ctrl, pane = gui
    am = simulate_run("am241", 1500, 43, tmp_path / "am241.h5")
    det = SimConfig().detector
    gains = (det.spe_mu_adc_ns_top, det.spe_mu_adc_ns_bottom)
    reduce_file(am, tmp_path / "am241_rq.h5", ReductionConfig(spe_gain_adc_ns=gains))
    _open(window, runs["kr"], runs["bkg"], am)
    peaks = window.ctx.calib.result("peak_fit").peaks
    assert sorted(peaks) == ["am241_59", "kr_41"]  # no 57Co run: no 122 keV peak
    am_fit = peaks["am241_59"].fit
    assert am_fit.valid, am_fit.message
    # Both peaks measure the same light yield: PE per keV within 5 % (the simulated response is
    # linear; the external 59.5 keV gammas stop near the wall, where the light collection
    # differs by a few %: 4.29 vs 4.25 PE/keV on the demo campaign).
    y_kr = peaks["kr_41"].fit["mean"] / peaks["kr_41"].energy_kev
    assert am_fit["mean"] / peaks["am241_59"].energy_kev == pytest.approx(y_kr, rel=0.05)
    assert pane.current_peak() == "kr_41"  # the view stayed on the shown peak


def test_cuts_that_keep_nothing_are_explained(gui, runs):
    window, ctrl, pane = gui
    window.ctx.calib.set_cuts(CutSet().with_cut(RangeCut("impossible", "ftop", 2.0, 3.0)))
    _open(window, runs["kr"], runs["bkg"])
    assert window.ctx.calib.result("peak_fit") is None
    assert "no event with total_pe > 0 after the cuts" in pane.params.status_text()
    assert window.ctx.notifier.last_error.title == "Peak fit 41.5 keV"
    window.ctx.calib.set_cuts(None)  # cuts removed: the peak is found and fitted
    assert _kr(window).fit.valid


def test_undo_and_redo_of_a_dragged_range(gui, runs):
    window, ctrl, pane = gui
    _open(window, runs["kr"], runs["bkg"])
    first = list(window.ctx.calib.settings("peak_fit")["peaks"]["kr_41"]["range"])
    assert not ctrl.undo.undo_action.isEnabled()  # suggested settings are not user edits
    pane.plot.region.setRegion((150.0, 210.0))
    assert ctrl.undo.undo_action.toolTip() == "Undo 41.5 keV fit range 150–210 (Ctrl+Z)"
    ctrl.undo.undo_action.trigger()
    assert window.ctx.calib.settings("peak_fit")["peaks"]["kr_41"]["range"] == first
    assert _kr(window).settings["range"] == first  # refitted, not just relabelled
    assert [pane.fit_lo.value(), pane.fit_hi.value()] == first
    ctrl.undo.redo_action.trigger()
    assert _kr(window).settings["range"] == [150.0, 210.0]
    np.testing.assert_array_equal(
        _kr(window).fit.values, _headless(window).peaks["kr_41"].fit.values
    )


def test_the_57co_peak_is_fitted_as_a_doublet(gui, runs, tmp_path):
    # A 57Co run: 122.06 keV (85.6 %) and 136.47 keV (10.7 %) lines, 1.7 sigma apart.
    window, ctrl, pane = gui
    co = simulate_run("co57", 3000, 44, tmp_path / "co57.h5")
    det = SimConfig().detector
    gains = (det.spe_mu_adc_ns_top, det.spe_mu_adc_ns_bottom)
    reduce_file(co, tmp_path / "co57_rq.h5", ReductionConfig(spe_gain_adc_ns=gains))
    _open(window, co)
    ctrl.set_peak("co57_122")
    s = window.ctx.calib.settings("peak_fit")["peaks"]["co57_122"]
    assert s["model"] == "gauss_doublet+linear"
    assert s["doublet_kev"] == [122.06065, 136.47356]
    assert s["doublet_ratio"] == pytest.approx(0.1068 / 0.8560)
    r = window.ctx.calib.result("peak_fit").peaks["co57_122"]
    fit = r.fit
    assert fit.valid, fit.message
    # the range covers both lines: the 136 keV line's mean plus 2 of its sigmas
    second = fit.extra["second_line"]
    assert s["range"][1] > second["mean"] + 2 * second["sigma"]
    assert s["range"][0] < fit["mean"] - 2 * fit["sigma"]
    assert pane.model.findData("gauss_doublet+linear") >= 0  # the chooser lists the models
    assert pane.model.currentData() == "gauss_doublet+linear"
    rows = [row[0] for row in pane.params.rows()]
    assert rows[:4] == ["area", "mean", "sigma", "area_ratio"]
    # the same numbers as the headless step with the stored settings
    again = _headless(window).peaks["co57_122"]
    np.testing.assert_array_equal(again.fit.values, fit.values)
    # switching to a single Gaussian keeps the doublet keys (ignored) and widens the peak
    pane.model.setCurrentIndex(pane.model.findData("gauss+linear"))
    single = window.ctx.calib.result("peak_fit").peaks["co57_122"].fit
    assert single.model == "gauss+linear"
    assert window.ctx.calib.settings("peak_fit")["peaks"]["co57_122"]["doublet_ratio"] is not None
    # wider by more than 3 standard errors of sigma (measured: 37.0 against 31.6 +- 1.2 PE)
    assert single["sigma"] - fit["sigma"] > 3 * fit.error("sigma")
