"""Kr timing pane on a short simulated injection run: half-life and delay vs truth, equality with
the headless steps, the window following the 41.5 keV fit, the dragged filling period, cuts,
edits, and errors shown in the pane (notified only after a user edit).

Run: a 4000-event ``kr-run`` (600 s of 39Ar, 300 s filling, 12 h of decay, thinned), reduced
with the true SPE gains, simulated once per module (~1 s).
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis_core.cuts import CutSet, RangeCut
from analysis_core.fitting.timing_steps import compute_delay, compute_halflife
from analysis_core.reduction import ReductionConfig, reduce_file
from analysis_core.sim import simulate_run
from analysis_core.sim.config import SimConfig
from workbench.app import create_main_window
from workbench.controllers import kr_timing, spectrum_fit
from workbench.controllers.spectrum_fit_inputs import step_inputs
from workbench.registry import PaneSpec

KR_EVENTS = 4000
SOURCES = SimConfig().sources


@pytest.fixture(scope="module")
def kr_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("kr_timing_runs")
    det = SimConfig().detector
    gains = (det.spe_mu_adc_ns_top, det.spe_mu_adc_ns_bottom)
    raw = simulate_run("kr-run", KR_EVENTS, 51, out / "kr_run.h5")
    reduce_file(raw, out / "kr_run_rq.h5", ReductionConfig(spe_gain_adc_ns=gains))
    return raw


def _window(qtbot, with_spectrum: bool):
    specs = [PaneSpec("kr_timing", "Kr timing", "centre", kr_timing.build)]
    if with_spectrum:
        specs.insert(0, PaneSpec("spectrum_fit", "Spectrum & fit", "centre", spectrum_fit.build))
    w = create_main_window(inline_jobs=True, panes=specs, show_dialogs=False, restore_layout=False)
    qtbot.addWidget(w)
    return w


@pytest.fixture
def gui(qtbot):
    """Both panes: the 41.5 keV fit gives the half-life window."""
    w = _window(qtbot, with_spectrum=True)
    yield w, w.binding("kr_timing").controller, w.binding("kr_timing").widget
    w.close()


@pytest.fixture
def alone(qtbot):
    """The Kr timing pane without the Spectrum & fit pane (no peak fit)."""
    w = _window(qtbot, with_spectrum=False)
    yield w, w.binding("kr_timing").controller, w.binding("kr_timing").widget
    w.close()


def _result(window, step):
    return window.ctx.calib.result(step)


def test_empty_state(alone):
    window, _, pane = alone
    for plot in (pane.rate, pane.time_map, pane.delay):
        assert "No Kr run is open" in plot.message()
    assert pane.halflife_params.status_text() == "No fit yet."


def test_half_life_recovers_truth_and_equals_the_step(gui, kr_run):
    window, _, pane = gui
    window.ctx.loader.open_files([str(kr_run)])
    r = _result(window, "halflife")
    s = window.ctx.calib.settings("halflife")
    assert r.fit.valid, r.fit.message
    truth_s = SOURCES.kr83m_half_life_s
    # Within 3 standard errors of the 83mKr half-life used by the simulator (fit error ~2 %).
    assert abs(r.fit["half_life_s"] - truth_s) < 3 * r.fit.error("half_life_s")
    # The filling (600 s of 39Ar + 300 s rise) is found in the run ("auto" is stored, so a
    # replay on another run finds that run's own): excluded up to the top-rate bin.
    assert s["exclude_before_s"] == "auto"
    assert 900.0 <= r.exclude_before_s <= 900.0 + 2 * s["bin_s"]
    assert np.all(r.edges_s[:-1][r.fitted] >= r.exclude_before_s)
    assert pane.exclude_auto.isChecked()
    assert not pane.exclude_h.isEnabled()
    assert pane.exclude_h.value() == pytest.approx(r.exclude_before_s / 3600.0, abs=0.005)
    peak = window.ctx.calib.result("peak_fit").peaks["kr_41"].fit
    assert r.window == pytest.approx(
        (peak["mean"] - 2 * peak["sigma"], peak["mean"] + 2 * peak["sigma"])
    )
    headless = compute_halflife(step_inputs(window.ctx), s)
    np.testing.assert_array_equal(headless.fit.values, r.fit.values)
    assert "T½ = " in pane.rate.annotation_text()
    assert pane.time_map.counts().sum() == r.n_selected
    assert pane.halflife_params.is_valid()


def test_delay_recovers_truth_and_equals_the_step(gui, kr_run):
    window, _, pane = gui
    window.ctx.loader.open_files([str(kr_run)])
    r = _result(window, "delay")
    assert r.fit.valid, r.fit.message
    # Within 3 standard errors of the 9.4 keV level's half-life in the simulator (error ~3 %).
    truth_ns = SOURCES.kr83m_step_half_life_ns
    assert abs(r.fit["half_life_ns"] - truth_ns) < 3 * r.fit.error("half_life_ns")
    headless = compute_delay(step_inputs(window.ctx), window.ctx.calib.settings("delay"))
    np.testing.assert_array_equal(headless.fit.values, r.fit.values)
    assert pane.delay.marker_labels()[0] == "resolving cut 152 ns"
    pane.min_ns.setValue(170.0)
    assert window.ctx.calib.settings("delay")["min_ns"] == 170.0
    assert _result(window, "delay").fit.extra["fit_range_ns"][0] == 170.0


def test_dragging_the_end_of_the_filling_period(gui, kr_run):
    window, _, pane = gui
    window.ctx.loader.open_files([str(kr_run)])
    pane.rate.exclusion.setRegion((0.0, 1.5))  # hours, as the mouse release does
    s = window.ctx.calib.settings("halflife")
    assert s["exclude_before_s"] == pytest.approx(5400.0)
    r = _result(window, "halflife")
    assert r.fit.extra["fit_range_s"][0] >= 5400.0
    assert pane.exclude_h.value() == pytest.approx(1.5)
    assert not pane.exclude_auto.isChecked()
    assert pane.exclude_h.isEnabled()
    np.testing.assert_array_equal(
        compute_halflife(step_inputs(window.ctx), s).fit.values, r.fit.values
    )
    pane.exclude_auto.setChecked(True)  # back to the filling period found in the run
    assert window.ctx.calib.settings("halflife")["exclude_before_s"] == "auto"
    assert _result(window, "halflife").exclude_before_s < 5400.0


def test_typing_the_exclusion_stores_the_number(gui, kr_run):
    window, _, pane = gui
    window.ctx.loader.open_files([str(kr_run)])
    found_s = _result(window, "halflife").exclude_before_s
    pane.exclude_auto.setChecked(False)  # keeps the time found, now as the user's number
    assert window.ctx.calib.settings("halflife")["exclude_before_s"] == pytest.approx(
        found_s,
        abs=0.005 * 3600.0,  # the spin box shows hours with 2 decimals
    )
    pane.exclude_h.setValue(2.0)
    assert window.ctx.calib.settings("halflife")["exclude_before_s"] == pytest.approx(7200.0)
    assert _result(window, "halflife").fit.extra["fit_range_s"][0] >= 7200.0


def test_a_cut_change_reruns_both_steps(gui, kr_run):
    window, _, pane = gui
    window.ctx.loader.open_files([str(kr_run)])
    n_half, n_delay = _result(window, "halflife").n_selected, _result(window, "delay").n_selected
    window.ctx.calib.set_cuts(CutSet().with_cut(RangeCut("ftop band", "ftop", 0.4, 0.6)))
    half, delay = _result(window, "halflife"), _result(window, "delay")
    assert 0 < half.n_selected < n_half
    assert 0 < delay.n_selected < n_delay
    assert "an ftop cut is applied" in pane.time_map.title()  # it hides the Kr mixing
    inputs = step_inputs(window.ctx)
    np.testing.assert_array_equal(
        compute_delay(inputs, window.ctx.calib.settings("delay")).fit.values, delay.fit.values
    )


def test_without_a_peak_fit_the_pane_says_so_then_a_typed_window_works(alone, kr_run):
    window, ctrl, pane = alone
    window.ctx.loader.open_files([str(kr_run)])
    assert _result(window, "halflife") is None
    assert "fit the peak in the Spectrum & fit pane" in pane.rate.message()
    assert pane.halflife_params.is_valid() is False
    assert window.ctx.notifier.errors == []  # a missing prerequisite, not a failure
    assert _result(window, "delay").fit.valid  # the delay step needs no peak fit
    pane.window_from_fit.setChecked(False)
    ctrl.edit_halflife(range=[140.0, 220.0])
    r = _result(window, "halflife")
    assert r.window == (140.0, 220.0)
    assert r.fit.valid, r.fit.message
    assert pane.window_lo.isEnabled()
    ctrl.edit_halflife(range=[220.0, 140.0])  # a user mistake: reported, nothing crashes
    err = window.ctx.notifier.last_error
    assert err.title == "Kr half-life"
    assert "lo < hi" in err.text
    assert "lo < hi" in pane.halflife_params.status_text()


def test_settings_loaded_from_a_session_are_run(gui, kr_run):
    window, _, pane = gui
    window.ctx.loader.open_files([str(kr_run)])
    window.ctx.calib.set_settings("delay", {"role": "kr", "min_ns": 180.0, "max_ns": 1000.0})
    r = _result(window, "delay")
    assert r.fit.extra["fit_range_ns"] == [180.0, 1000.0]
    assert (pane.min_ns.value(), pane.max_ns.value()) == (180.0, 1000.0)


def test_plots_export_their_data(gui, kr_run, tmp_path):
    window, _, pane = gui
    window.ctx.loader.open_files([str(kr_run)])
    r = _result(window, "halflife")
    rate_csv = pane.rate.exporter.save_csv(tmp_path / "rate.csv")[0]
    assert len(rate_csv.read_text().splitlines()) == 1 + r.counts.size  # header + one per bin
    map_csv = pane.time_map.exporter.save_csv(tmp_path / "ftop.csv")[0]
    assert len(map_csv.read_text().splitlines()) == 1 + r.ftop.counts.size
    assert pane.delay.exporter.save_svg(tmp_path / "delay.svg").stat().st_size > 1000


def test_thread_pool_run_reaches_the_same_results(qtbot, kr_run):
    specs = [
        PaneSpec("spectrum_fit", "Spectrum & fit", "centre", spectrum_fit.build),
        PaneSpec("kr_timing", "Kr timing", "centre", kr_timing.build),
    ]
    w = create_main_window(panes=specs, show_dialogs=False, restore_layout=False)
    qtbot.addWidget(w)
    try:
        w.ctx.loader.open_files([str(kr_run)])

        def done():
            calib = w.ctx.calib
            return (
                w.ctx.jobs.active_count() == 0
                and calib.result("halflife") is not None
                and calib.result("delay") is not None
            )

        qtbot.waitUntil(done, timeout=30000)
        calib, inputs = w.ctx.calib, step_inputs(w.ctx)
        assert calib.result("halflife").exclude_before_s > 0  # the filling period
        np.testing.assert_array_equal(
            compute_halflife(inputs, calib.settings("halflife")).fit.values,
            calib.result("halflife").fit.values,
        )
        assert w.ctx.notifier.errors == []
    finally:
        qtbot.waitUntil(lambda: w.ctx.jobs.active_count() == 0, timeout=10000)
        w.close()


def test_closing_the_kr_run_clears_the_results(gui, kr_run):
    window, _, pane = gui
    window.ctx.loader.open_files([str(kr_run)])
    assert _result(window, "halflife") is not None
    window.ctx.state.remove_run(str(kr_run.resolve()))
    assert _result(window, "halflife") is None
    assert _result(window, "delay") is None
    assert "No Kr run is open" in pane.rate.message()
    assert "No Kr run is open" in pane.delay.message()
    assert window.ctx.notifier.errors == []


def test_undo_of_a_delay_edit(gui, kr_run):
    window, ctrl, pane = gui
    window.ctx.loader.open_files([str(kr_run)])
    default_start = _result(window, "delay").fit.extra["fit_range_ns"][0]
    pane.min_ns.setValue(200.0)
    assert _result(window, "delay").fit.extra["fit_range_ns"][0] == 200.0
    assert "min ns" in ctrl.undo.undo_action.toolTip()
    ctrl.undo.undo_action.trigger()
    assert "min_ns" not in window.ctx.calib.settings("delay")
    assert _result(window, "delay").fit.extra["fit_range_ns"][0] == default_start
    assert pane.min_ns.value() == default_start


def test_the_filling_period_is_found_again_for_another_run(gui, kr_run, tmp_path):
    window, _, pane = gui
    window.ctx.loader.open_files([str(kr_run)])
    first = _result(window, "halflife").exclude_before_s
    assert first < 3600.0  # 600 s of 39Ar, 300 s of filling
    det = SimConfig().detector
    later = simulate_run("kr-run", 2000, 52, tmp_path / "kr_late.h5", pre_injection_s=7200.0)
    reduce_file(
        later,
        tmp_path / "kr_late_rq.h5",
        ReductionConfig(spe_gain_adc_ns=(det.spe_mu_adc_ns_top, det.spe_mu_adc_ns_bottom)),
    )
    window.ctx.state.remove_run(str(kr_run.resolve()))
    window.ctx.loader.open_files([str(later)])
    # Injection 2 h after the start here: the fit starts after it.
    assert window.ctx.calib.settings("halflife")["exclude_before_s"] == "auto"
    assert _result(window, "halflife").exclude_before_s >= 7200.0 + 300.0
    pane.rate.exclusion.setRegion((0.0, 3.0))  # the user's choice (hours) ...
    window.ctx.state.remove_run(str(later.resolve()))
    window.ctx.loader.open_files([str(kr_run)])
    assert window.ctx.calib.settings("halflife")["exclude_before_s"] == 10800.0  # ... is kept
