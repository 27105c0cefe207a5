"""The Cuts pane on a simulated, reduced 83mKr run: drags, edits and clicks follow the core."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis_core.cuts import (
    CutSet,
    PolygonCut,
    RangeCut,
    RotatedCut,
    default_cutset,
    efficiency_vs,
    points_in_polygon,
    survival,
)
from analysis_core.cuts.defaults import ER_F90_BAND
from analysis_core.histograms import histogram1d
from analysis_core.rawfile import RawFile
from analysis_core.reduction import ReductionConfig, reduce_file
from workbench.app import create_main_window
from workbench.registry import default_panes
from workbench.state import RunInfo

#: SPE gains of the simulator's defaults (top, bottom) in ADC x ns: the RQs come out in PE.
GAINS_ADC_NS = (239.0, 212.0)


@pytest.fixture(scope="module")
def reduced_kr(_simulated, tmp_path_factory):
    """The session's 600-event simulated Kr run, reduced once with gains."""
    raw = _simulated["kr"]
    rq = tmp_path_factory.mktemp("cuts_rq") / "kr_rq.h5"
    table = reduce_file(raw, rq, ReductionConfig(spe_gain_adc_ns=GAINS_ADC_NS))
    return raw, rq, table


def _make_window(qtbot, inline: bool):
    w = create_main_window(
        inline_jobs=inline,
        panes=default_panes(),  # the Cuts pane is registered there
        show_dialogs=False,
        restore_layout=False,
    )
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.binding("cuts").widget.parent().raise_()
    return w


def _add_run(window, reduced_kr):
    raw_path, rq_path, table = reduced_kr
    with RawFile(raw_path) as raw:
        info = RunInfo.from_raw(raw, str(rq_path))
    window.ctx.state.add_run(info, rq=table)
    return info.path, table


@pytest.fixture
def setup(qtbot, reduced_kr):
    w = _make_window(qtbot, inline=True)
    ctrl = w.binding("cuts").controller
    path, table = _add_run(w, reduced_kr)
    _settle(qtbot, ctrl)
    yield w, ctrl, w.binding("cuts").widget, path, table
    w.close()


def _settle(qtbot, ctrl):
    """Wait until the pane shows the current cut set (drags are coalesced, the last wins)."""
    qtbot.waitUntil(
        lambda: ctrl.last_update is not None and ctrl.last_update.cutset == ctrl.cutset,
        timeout=5000,
    )


def _counts(rows):
    return [(r.name, r.n_pass, r.n_cumulative) for r in rows]


def test_empty_state_then_default_cuts(qtbot, reduced_kr):
    w = _make_window(qtbot, inline=True)
    pane = w.binding("cuts").widget
    assert "reduce them" in pane.message()
    assert w.ctx.calib.cuts is None  # nothing is imposed before the pane is used
    ctrl = w.binding("cuts").controller
    path, table = _add_run(w, reduced_kr)
    _settle(qtbot, ctrl)
    assert pane.message() == ""
    assert w.ctx.calib.cuts == default_cutset()
    assert pane.current_run() == path
    # Survival shown = the core's numbers on the same table.
    assert _counts(ctrl.last_update.rows) == _counts(survival(default_cutset(), table))
    mask = default_cutset().mask(table)
    edges = ctrl._run.binning
    expected = histogram1d(
        table["total_pe"][mask], edges.bins["total_pe"], edges.ranges["total_pe"]
    )
    np.testing.assert_array_equal(pane.hist1d["pe"].counts("selected"), expected.counts)
    # The 2D images hold every event in range (not a scatter of a subset).
    img = pane.hist2d["f90_pe"].counts()
    f90, pe = table["f90"], table["total_pe"]
    lo, hi = edges.ranges["total_pe"]
    with np.errstate(invalid="ignore"):
        in_range = (pe >= lo) & (pe < hi) & (f90 >= 0) & (f90 < 1)
    assert img.sum() == in_range.sum()
    assert w.ctx.calib.settings("cuts") == {}  # only the user's own choices are stored
    w.close()


def test_drag_band_cutset_and_survival_follow(setup, qtbot):
    w, ctrl, pane, _, table = setup
    band = pane.shape("f90_pe", "ER F90 band")
    band.drag_to(0.22, 0.3, finish=False)  # still dragging
    cut = w.ctx.calib.cuts.get("ER F90 band")
    assert (cut.lo, cut.hi) == pytest.approx((0.22, 0.3))  # the cut set follows at once
    _settle(qtbot, ctrl)
    f90 = table["f90"]
    with np.errstate(invalid="ignore"):
        expected = int(np.count_nonzero((f90 >= 0.22) & (f90 < 0.3)))
    row = next(r for r in ctrl.last_update.rows if r.name == "ER F90 band")
    assert row.n_pass == expected
    assert 0 < expected < len(table)
    assert pane.cut_list.cell_text("ER F90 band", "Definition") == "0.22 <= f90 < 0.3"
    # Dragging the ftop band on its histogram moves the same kind of cut.
    pane.shape("ftop", "ftop range").drag_to(0.35, 0.6)
    _settle(qtbot, ctrl)
    assert w.ctx.calib.cuts.get("ftop range").hi == pytest.approx(0.6)
    assert _counts(ctrl.last_update.rows) == _counts(survival(w.ctx.calib.cuts, table))


def test_polygon_vertex_edits(setup, qtbot):
    w, ctrl, pane, _, table = setup
    pane.poly_f90_button.click()
    _settle(qtbot, ctrl)
    cut = w.ctx.calib.cuts.get("polygon (F90:PE)")
    assert isinstance(cut, PolygonCut)
    assert (cut.x, cut.y) == ("total_pe", "f90")
    assert len(cut.vertices) == 4
    shape = pane.shape("f90_pe", "polygon (F90:PE)")
    shape.move_vertex(0, 150.0, 0.15)
    _settle(qtbot, ctrl)
    assert w.ctx.calib.cuts.get("polygon (F90:PE)").vertices[0] == pytest.approx((150.0, 0.15))
    shape.add_vertex(1, 200.0, 0.1)
    assert len(w.ctx.calib.cuts.get("polygon (F90:PE)").vertices) == 5
    shape.remove_vertex(2)
    verts = w.ctx.calib.cuts.get("polygon (F90:PE)").vertices
    assert len(verts) == 4
    qtbot.waitUntil(lambda: ctrl.last_update.cutset == w.ctx.calib.cuts, timeout=5000)
    row = next(r for r in ctrl.last_update.rows if r.name == "polygon (F90:PE)")
    assert row.n_pass == int(points_in_polygon(table["total_pe"], table["f90"], verts).sum())


def test_rotated_line(setup, qtbot):
    w, ctrl, pane, _, table = setup
    pane.rotated_button.click()
    cut = w.ctx.calib.cuts.get("I35:I55 rotated")
    assert isinstance(cut, RotatedCut)
    assert cut.angle_deg == pytest.approx(37.5)
    line = pane.shape("i35_i55", "I35:I55 rotated")
    p1, p2 = line.points()
    line.drag_handle(1, p2[0] + 5.0, p2[1])
    _settle(qtbot, ctrl)
    cut = w.ctx.calib.cuts.get("I35:I55 rotated")
    assert (cut.angle_deg, cut.c) == pytest.approx(line.line())
    assert cut.angle_deg != pytest.approx(37.5)
    a = math.radians(cut.angle_deg)
    u = table["i35_pe"].astype(float) * math.cos(a) - table["i55_pe"].astype(float) * math.sin(a)
    with np.errstate(invalid="ignore"):
        expected = int(np.count_nonzero(u < cut.c))
    row = next(r for r in ctrl.last_update.rows if r.name == "I35:I55 rotated")
    assert row.n_pass == expected


def test_enable_disable(setup, qtbot):
    w, ctrl, pane, _, table = setup
    pane.cut_list.set_enabled("ftop range", False)
    _settle(qtbot, ctrl)
    cs = w.ctx.calib.cuts
    assert cs.get("ftop range").enabled is False
    assert not pane.shape("ftop", "ftop range").active
    last = ctrl.last_update.rows[-1]
    assert last.n_cumulative == int(cs.mask(table).sum())
    assert ctrl.last_update.n_pass == last.n_cumulative


def test_bad_expression_is_shown_not_raised(setup, qtbot):
    w, ctrl, pane, _, _ = setup
    before = w.ctx.calib.cuts
    pane.cut_list.type_new_cut("bad", "f90 >> 2")
    assert "not allowed" in pane.cut_list.error_text()
    pane.cut_list.edit_definition("quality: not saturated", "__import__('os')")
    assert "unknown function '__import__'" in pane.cut_list.error_text()
    assert w.ctx.calib.cuts == before
    assert pane.cut_list.cell_text("quality: not saturated", "Definition") == "not saturated"
    pane.cut_list.type_new_cut("bright", "total_pe > 150")
    _settle(qtbot, ctrl)
    assert w.ctx.calib.cuts.names[-1] == "bright"
    assert pane.cut_list.error_text() == ""
    pane.cut_list.select("bright")
    pane.cut_list.remove_button.click()
    _settle(qtbot, ctrl)
    assert "bright" not in w.ctx.calib.cuts


def test_bin_click_opens_events_in_browser(setup, qtbot):
    w, ctrl, pane, path, table = setup
    image = pane.hist2d["f90_pe"]
    counts = image.counts()
    ix, iy = np.unravel_index(np.argmax(counts), counts.shape)
    image.click_bin(int(ix), int(iy))
    x_edges, y_edges = image.edges()
    with np.errstate(invalid="ignore"):
        inside = (
            (table["total_pe"] >= x_edges[ix]) & (table["total_pe"] < x_edges[ix + 1])
            & (table["f90"] >= y_edges[iy]) & (table["f90"] < y_edges[iy + 1])
        )  # fmt: skip
    expected = table["event"][inside].tolist()
    assert len(expected) == counts[ix, iy] >= 2
    assert pane.bin_events.events() == expected
    assert w.ctx.state.current_run == path
    assert w.ctx.state.current_event == expected[0]
    pane.bin_events.next()
    assert w.ctx.state.current_event == expected[1]
    pane.bin_events.previous()
    assert w.ctx.state.current_event == expected[0]


def test_session_cuts_and_settings_restore(setup, qtbot):
    w, ctrl, pane, path, _ = setup
    saved = CutSet((RangeCut("band", "f90", 0.1, 0.5),)).to_dict()
    w.ctx.calib.set_cuts(saved)  # a session file's dict is read as a cut set
    _settle(qtbot, ctrl)
    assert ctrl.cutset.names == ("band",)
    assert pane.shape("f90_pe", "band").region() == pytest.approx((0.1, 0.5))
    assert [r.name for r in pane.cut_list.rows()] == ["band"]
    pane.choose_run(path)
    assert w.ctx.calib.settings("cuts")["run"] == path
    w.ctx.calib.set_cuts(None)  # a session without cuts: none shown, none applied
    _settle(qtbot, ctrl)
    assert pane.cut_list.rows() == []
    assert pane.shapes == {}
    assert ctrl.last_update.n_pass == ctrl.last_update.n_events


def test_rapid_drags_last_request_wins(qtbot, reduced_kr):
    w = _make_window(qtbot, inline=False)
    ctrl, pane = w.binding("cuts").controller, w.binding("cuts").widget
    _, table = _add_run(w, reduced_kr)
    _settle(qtbot, ctrl)
    band = pane.shape("f90_pe", "ER F90 band")
    for k in range(20):
        band.drag_to(0.2 + 0.004 * k, 0.45, finish=False)
    band.drag_to(0.27, 0.4)
    final = w.ctx.calib.cuts
    qtbot.waitUntil(lambda: ctrl.last_update.cutset == final, timeout=10000)
    assert _counts(ctrl.last_update.rows) == _counts(survival(final, table))
    qtbot.waitUntil(lambda: w.ctx.jobs.active_count() == 0, timeout=5000)
    w.close()


def test_undo_redo_cut_edits(setup, qtbot):
    w, ctrl, pane, _, table = setup
    start = w.ctx.calib.cuts
    band = pane.shape("f90_pe", "ER F90 band")
    for lo in (0.21, 0.22, 0.23):  # one drag of three steps, then released
        band.drag_to(lo, 0.4, finish=False)
    band.drag_to(0.24, 0.4)
    band.drag_to(0.26, 0.4)  # a second drag
    undo, redo = ctrl.undo.undo_action, ctrl.undo.redo_action
    assert undo.toolTip() == "Undo move ER F90 band (Ctrl+Z)"
    undo.trigger()
    assert w.ctx.calib.cuts.get("ER F90 band").lo == pytest.approx(0.24)  # end of drag 1
    undo.trigger()
    assert w.ctx.calib.cuts == start  # the whole first drag is one step
    assert band.region() == pytest.approx(ER_F90_BAND)  # the shape follows
    _settle(qtbot, ctrl)
    assert _counts(ctrl.last_update.rows) == _counts(survival(start, table))
    redo.trigger()
    assert w.ctx.calib.cuts.get("ER F90 band").lo == pytest.approx(0.24)
    pane.cut_list.set_enabled("ftop range", False)
    undo.trigger()
    assert w.ctx.calib.cuts.get("ftop range").enabled is True
    assert pane.cut_list.rows()[-1].enabled is True
    # A cut set from elsewhere (a session) clears the history.
    w.ctx.calib.set_cuts(default_cutset())
    assert not undo.isEnabled()
    assert undo.shortcut().toString() == "Ctrl+Z"


def test_pe_axis_range(setup, qtbot):
    w, ctrl, pane, _, table = setup
    pane.pe_max_spin.setValue(400.0)  # as typed (keyboard tracking off: one signal)
    _settle(qtbot, ctrl)
    assert ctrl._run.binning.ranges["total_pe"] == (0.0, 400.0)
    x_edges, _ = pane.hist2d["f90_pe"].edges()
    assert (x_edges[0], x_edges[-1]) == (0.0, 400.0)
    assert w.ctx.calib.settings("cuts")["pe_max"] == 400.0
    pe = table["total_pe"]
    assert pane.hist1d["pe"].counts("all").sum() == int(np.count_nonzero((pe >= 0) & (pe < 400)))
    pane.pe_max_spin.setValue(0.0)  # back to automatic
    _settle(qtbot, ctrl)
    assert w.ctx.calib.settings("cuts")["pe_max"] is None
    auto = ctrl._run.binning.ranges["total_pe"][1]
    finite = pe[np.isfinite(pe)]
    # Automatic end: min(1.1 x 99.5th percentile, 3 x median) of the data.
    expected = min(1.1 * np.percentile(finite, 99.5), 3 * np.median(finite))
    assert auto == pytest.approx(expected, rel=1e-9)


def test_efficiency_vs_pe_equals_core(setup, qtbot):
    w, ctrl, pane, _, table = setup
    cs = w.ctx.calib.cuts
    b = ctrl._run.binning
    ref = efficiency_vs("total_pe", b.bins["total_pe"], table, cs, b.ranges["total_pe"])
    shown = pane.efficiency.fractions()
    np.testing.assert_array_equal(np.isnan(shown), np.isnan(ref.efficiency))
    ok = ~np.isnan(ref.efficiency)
    # Same counts, same division: equal to rounding.
    np.testing.assert_allclose(shown[ok], ref.efficiency[ok], rtol=1e-12)
    np.testing.assert_array_equal(ctrl.last_update.efficiency.passed, ref.passed)


@pytest.fixture(scope="module")
def reduced_bkg(_simulated, tmp_path_factory):
    """The session's 200-event simulated background run, reduced once with gains."""
    raw = _simulated["bkg"]
    rq = tmp_path_factory.mktemp("cuts_bkg_rq") / "bkg_rq.h5"
    return raw, rq, reduce_file(raw, rq, ReductionConfig(spe_gain_adc_ns=GAINS_ADC_NS))


def test_kr_run_is_shown_once_reduced_unless_the_user_chose(qtbot, reduced_kr, reduced_bkg):
    # a background run reduced first is shown, then the Kr run takes over when it arrives
    w = _make_window(qtbot, inline=True)
    ctrl = w.binding("cuts").controller
    bkg_path, _ = _add_run(w, reduced_bkg)
    assert ctrl.run_path == bkg_path
    kr_path, _ = _add_run(w, reduced_kr)
    assert ctrl.run_path == kr_path
    # a run picked by the user stays, whatever arrives later
    w.binding("cuts").widget.run_selected.emit(bkg_path)
    w.ctx.state.remove_run(kr_path)
    _add_run(w, reduced_kr)
    assert ctrl.run_path == bkg_path
    w.close()
