"""The first window driven like a user (inline jobs): open, step, jump, RQs match the core."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from analysis_core.rawfile import RawFile
from analysis_core.reduction import ReductionConfig, reduce_block
from analysis_core.rqfile import RQ_COLUMNS, read_rq
from workbench.event_view import SOURCE_COMPUTED, SOURCE_RQ_FILE


def _panes(window):
    return (
        window.binding("runs").widget,
        window.binding("waveforms").widget,
        window.binding("event_rqs").widget,
    )


def _core_row(path, i, config=None):
    with RawFile(path) as raw:
        m = raw.metadata
        cols = reduce_block(
            raw.read(i, i + 1),
            sample_period_ns=m.sample_period_ns,
            trigger_index=m.trigger_index,
            adc_bits=m.adc_bits,
            polarity=m.polarity,
            config=config or ReductionConfig(),
            first_event=i,
            event_time_s=raw.event_time_s()[i : i + 1],
            channel_names=raw.channel_names,
        )
    return {k: v[0].item() for k, v in cols.items()}


def _assert_panel_shows_core(window, path, i, config=None):
    """The RQ panel shows, number for number, what reduce_block computes for event i."""
    _, _, rq_pane = _panes(window)
    shown = rq_pane.values()
    expected = _core_row(path, i, config)
    assert list(shown) == list(RQ_COLUMNS)
    for k in RQ_COLUMNS:  # identical: same code on the same samples; NaN where the core has NaN
        a, b = shown[k], expected[k]
        assert a == b or (math.isnan(a) and math.isnan(b)), (k, a, b)


@pytest.fixture
def opened(window, kr_run):
    window.ctx.loader.open_files([kr_run])
    return window, kr_run


def test_open_shows_run_and_first_event(opened):
    window, path = opened
    runs, waves, rq_pane = _panes(window)
    state = window.ctx.state
    assert state.current_run == str(path.resolve())
    row = runs.run_list.rows()[0]
    assert (row.name, row.run_type, row.n_events, row.status) == (
        "kr_run.h5",
        "kr83m",
        600,
        "raw only",
    )
    assert runs.run_list.item(0, 3).text() != "–"  # live time shown
    assert waves.stepper.count() == 600
    assert waves.plot.curve_names()[:3] == ["top", "bottom", "sum"]
    assert "computed for this event" in rq_pane.caption.text()
    assert "ADC*ns" in rq_pane.caption.text()
    _assert_panel_shows_core(window, path, 0)
    assert window.ctx.settings.recent_files() == [str(path.resolve())]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (Qt.Key.Key_Right, 101),
        (Qt.Key.Key_Left, 99),
        (Qt.Key.Key_PageDown, 110),
        (Qt.Key.Key_PageUp, 90),
        (Qt.Key.Key_End, 599),
        (Qt.Key.Key_Home, 0),
    ],
)
def test_step_with_keys(qtbot, opened, key, expected):
    window, path = opened
    _, waves, _ = _panes(window)
    window.ctx.state.set_current_event(100)
    waves.plot.plot_widget.setFocus()
    qtbot.keyClick(waves.plot.plot_widget, key)
    assert window.ctx.state.current_event == expected
    assert waves.stepper.index() == expected
    assert window.ctx.state.event_view.event == expected
    _assert_panel_shows_core(window, path, expected)


def test_step_with_spin_box_and_jump_field(qtbot, opened):
    window, path = opened
    _, waves, _ = _panes(window)
    spin = waves.stepper._spin
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "257")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert window.ctx.state.current_event == 257
    _assert_panel_shows_core(window, path, 257)
    qtbot.keyClicks(waves.stepper._jump, "-1")
    qtbot.keyClick(waves.stepper._jump, Qt.Key.Key_Return)
    assert window.ctx.state.current_event == 599
    _assert_panel_shows_core(window, path, 599)
    qtbot.keyClicks(waves.stepper._jump, "42")
    qtbot.keyClick(waves.stepper._jump, Qt.Key.Key_Return)
    assert waves.stepper._spin.value() == 42
    _assert_panel_shows_core(window, path, 42)


def test_stepping_reads_at_most_one_chunk(opened, monkeypatch):
    window, _ = opened
    raw = window.binding("waveforms").controller.raw_file
    reads = []
    original = raw.read
    monkeypatch.setattr(raw, "read", lambda a, b: reads.append((a, b)) or original(a, b))
    state = window.ctx.state
    for i in [*range(1, 12), 100, 200, 254, 255]:  # chunk 0, read once to show event 0
        state.set_current_event(i)
    assert reads == []
    state.set_current_event(256)
    assert reads == [(256, 512)]
    state.set_current_event(255)  # previous chunk is still cached
    state.set_current_event(300)
    assert reads == [(256, 512)]
    state.set_current_event(599)
    assert reads == [(256, 512), (512, 600)]


def test_waveform_plot_shows_the_event_traces(opened):
    window, path = opened
    _, waves, _ = _panes(window)
    window.ctx.state.set_current_event(12)
    view = window.ctx.state.event_view
    x, y = waves.plot.curve_data("sum")
    np.testing.assert_array_equal(x, view.time_ns)
    np.testing.assert_array_equal(y, view.traces_adc["top"] + view.traces_adc["bottom"])
    assert "event 12 / 600" in waves.plot._title.text()
    t0 = view.rq["t0_ns"]
    if math.isfinite(t0):
        assert waves.plot.overlay.t0_line.value() == t0
        assert waves.plot.overlay.regions[2].getRegion() == (t0, t0 + 90.0)
    waves.plot.set_raw_view(True)
    x, y = waves.plot.curve_data("top")
    with RawFile(path) as raw:
        np.testing.assert_array_equal(y, raw.waveform(12)[0])


def test_reduction_attaches_rq_file(qtbot, opened):
    window, path = opened
    runs, _, rq_pane = _panes(window)
    window.ctx.state.set_current_event(77)
    runs.reduce_action.trigger()
    rq_file = path.with_name("kr_run_rq.h5")
    assert rq_file.exists()
    assert runs.run_list.rows()[0].status == "reduced"
    assert window.ctx.state.event_view.source == SOURCE_RQ_FILE
    assert "from kr_run_rq.h5" in rq_pane.caption.text()
    table = read_rq(rq_file)
    assert rq_pane.values() == {k: table[k][77].item() for k in RQ_COLUMNS}
    _assert_panel_shows_core(window, path, 77)
    # reopening the run finds its RQ file
    window.ctx.state.remove_run(str(path.resolve()))
    window.ctx.loader.open_files([path])
    assert window.ctx.state.current_info.rq_path == str(rq_file)


def test_gains_change_units_of_computed_rqs(opened):
    window, path = opened
    _, _, rq_pane = _panes(window)
    gains = ReductionConfig(spe_gain_adc_ns=(60.0, 55.0))
    window.ctx.state.set_reduction_config(gains)
    assert window.ctx.state.event_view.source == SOURCE_COMPUTED
    assert rq_pane.table.units()["total_pe"] == "PE"
    assert rq_pane.table.display_text("i90_pe").endswith(" PE")
    assert "no SPE gains" not in rq_pane.caption.text()
    _assert_panel_shows_core(window, path, 0, gains)


def test_bad_file_shows_error_naming_it_and_nothing_breaks(opened, bad_files):
    window, path = opened
    notifier = window.ctx.notifier
    window.ctx.loader.open_files([bad_files["no_waveforms"]])
    error = notifier.last_error
    assert error.title == "Opening empty.h5"
    assert error.text == f"{bad_files['no_waveforms']}: missing dataset /waveforms"
    assert "missing dataset /waveforms" in window.statusBar().currentMessage()
    assert list(window.ctx.state.runs) == [str(path.resolve())]
    window.ctx.loader.open_files([bad_files["text"]])
    assert "notes.h5: not a readable HDF5 file" in notifier.last_error.text
    window.ctx.state.set_current_event(3)  # the session still works
    _assert_panel_shows_core(window, path, 3)


def test_worker_exception_is_reported_and_app_keeps_running(opened, monkeypatch):
    window, path = opened

    def broken(*args, **kwargs):
        raise RuntimeError("simulated bug in the event view")

    monkeypatch.setattr("workbench.controllers.event_browser.compute_event_view", broken)
    window.ctx.state.set_current_event(5)
    error = window.ctx.notifier.last_error
    assert error.text == "RuntimeError: simulated bug in the event view"
    assert "simulated bug" in window.statusBar().currentMessage()
    monkeypatch.undo()
    window.ctx.state.set_current_event(6)
    _assert_panel_shows_core(window, path, 6)
    assert window.isVisible()


def _drop(target, paths):
    mime = QMimeData()  # must outlive the event: QDropEvent does not own it
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    target.dropEvent(event)
    return event.isAccepted()


def test_drop_on_window_and_on_run_list_opens_runs(window, kr_run, bkg_run, tmp_path):
    other = tmp_path / "readme.txt"
    other.write_text("x")
    assert _drop(window, [kr_run, other])
    assert list(window.ctx.state.runs) == [str(kr_run.resolve())]
    runs, _, _ = _panes(window)
    assert _drop(runs.run_list, [bkg_run])
    assert list(window.ctx.state.runs) == [str(kr_run.resolve()), str(bkg_run.resolve())]
    assert not _drop(window, [other])


def test_select_run_in_list(qtbot, window, kr_run, bkg_run):
    window.ctx.loader.open_files([kr_run, bkg_run])
    runs, waves, _ = _panes(window)
    window.ctx.state.set_current_event(50)
    runs.run_list.selectRow(1)
    assert window.ctx.state.current_run == str(bkg_run.resolve())
    assert window.ctx.state.current_event == 0
    assert waves.stepper.count() == 200
    assert "background" in runs.details.text()
    _assert_panel_shows_core(window, bkg_run, 0)


def test_open_dialog_recent_and_close(window, kr_run, monkeypatch):
    runs, waves, rq_pane = _panes(window)
    monkeypatch.setattr(runs, "ask_open_files", lambda start: [str(kr_run)])
    runs.open_action.trigger()
    assert list(window.ctx.state.runs) == [str(kr_run.resolve())]
    recent = [a for a in runs.recent_menu.actions() if a.data()]
    assert [a.data() for a in recent] == [str(kr_run.resolve())]
    runs.close_action.trigger()
    assert window.ctx.state.runs == {}
    assert waves.stepper.count() == 0
    assert rq_pane.values() == {}
    recent[0].trigger()
    assert list(window.ctx.state.runs) == [str(kr_run.resolve())]


def test_empty_window(window):
    runs, waves, rq_pane = _panes(window)
    assert not waves.stepper.isEnabled()
    assert waves.plot._title.text().startswith("No run selected")
    assert not waves.plot.legend.isVisible()
    assert rq_pane.caption.text() == "No event shown."
    assert "No runs open" in runs.details.text()
    assert not runs.reduce_action.isEnabled()


def test_demo_action_opens_the_campaign(window, kr_run, bkg_run, monkeypatch):
    monkeypatch.setattr(
        "analysis_core.sim.demo.ensure_demo_campaign",
        lambda out_dir=None, **hooks: [bkg_run, kr_run, kr_run.with_name("manifest.json")],
    )
    runs, _, _ = _panes(window)
    runs.demo_action.trigger()
    assert list(window.ctx.state.runs) == [str(bkg_run.resolve()), str(kr_run.resolve())]
    assert window.ctx.state.current_info.name == "kr_run.h5"
