"""SessionState: runs, current run and event, RQ attachment, activity; signals on real changes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from analysis_core.rawfile import RawFile
from analysis_core.reduction import ReductionConfig
from analysis_core.rqfile import RQTable
from workbench.state import RunInfo, SessionState


def _info(path="/d/a.h5", n=10):
    return RunInfo(
        path=path,
        run_id="a",
        run_type="kr83m",
        start_time_utc="2019-02-19T10:00:00+00:00",
        n_events=n,
        n_samples=1875,
        livetime_s=12.0,
        channel_names=("top", "bottom"),
        sample_period_ns=4.0,
        trigger_index=375,
        adc_bits=12,
        polarity=-1,
    )


def test_run_info_from_raw(kr_run):
    with RawFile(kr_run) as raw:
        info = RunInfo.from_raw(raw)
    assert info.path == str(kr_run.resolve())
    assert info.name == "kr_run.h5"
    assert info.run_type == "kr83m"
    assert info.n_events == 600
    assert info.channel_names == ("top", "bottom")
    assert not info.is_reduced
    assert info.default_rq_path.endswith("kr_run_rq.h5")


def test_first_run_becomes_current_and_event_resets(qtbot):
    s = SessionState()
    runs, events = [], []
    s.current_run_changed.connect(runs.append)
    s.current_event_changed.connect(events.append)
    with qtbot.waitSignal(s.runs_changed):
        s.add_run(_info())
    assert s.current_run == "/d/a.h5"
    assert runs == ["/d/a.h5"]
    assert events == [0]
    s.add_run(_info("/d/b.h5"))
    assert s.current_run == "/d/a.h5"  # a second run does not steal the selection
    s.set_current_event(4)
    s.set_current_run("/d/b.h5")
    assert events == [0, 4, 0]


def test_event_is_clamped_and_emitted_only_on_change(qtbot):
    s = SessionState()
    s.add_run(_info(n=10))
    with qtbot.waitSignal(s.current_event_changed) as blocker:
        s.set_current_event(25)
    assert blocker.args == [9]
    with qtbot.assertNotEmitted(s.current_event_changed):
        s.set_current_event(9)
    s.set_current_event(-3)
    assert s.current_event == 0


def test_unknown_run_cannot_become_current():
    s = SessionState()
    with pytest.raises(KeyError):
        s.set_current_run("/nowhere.h5")


def test_remove_run_moves_to_next(qtbot):
    s = SessionState()
    s.add_run(_info("/d/a.h5"))
    s.add_run(_info("/d/b.h5"))
    with qtbot.waitSignal(s.current_run_changed) as blocker:
        s.remove_run("/d/a.h5")
    assert blocker.args == ["/d/b.h5"]
    s.remove_run("/d/b.h5")
    assert s.current_run is None
    assert s.runs == {}


def test_set_rq_marks_run_reduced(qtbot):
    s = SessionState()
    s.add_run(_info())
    table = RQTable({"event": list(range(10))})
    with qtbot.waitSignal(s.rq_changed) as blocker:
        s.set_rq("/d/a.h5", table, "/d/a_rq.h5")
    assert blocker.args == ["/d/a.h5"]
    assert s.rq("/d/a.h5") is table
    assert s.run("/d/a.h5").rq_path == "/d/a_rq.h5"
    assert s.run("/d/a.h5").is_reduced


def test_re_adding_current_run_refreshes_it(qtbot):
    s = SessionState()
    s.add_run(_info())
    with qtbot.waitSignal(s.current_run_changed):
        s.add_run(replace(_info(), livetime_s=99.0))
    assert s.current_info.livetime_s == 99.0


def test_activity_text(qtbot):
    s = SessionState()
    s.add_run(_info())
    with qtbot.waitSignal(s.runs_changed):
        s.set_activity("/d/a.h5", "reducing 10 %")
    assert s.activity("/d/a.h5") == "reducing 10 %"
    with qtbot.assertNotEmitted(s.runs_changed):
        s.set_activity("/d/a.h5", "reducing 10 %")
    s.set_activity("/d/a.h5", "")
    assert s.activity("/d/a.h5") == ""


def test_reduction_config(qtbot):
    s = SessionState()
    assert s.reduction_config == ReductionConfig()
    with qtbot.waitSignal(s.reduction_config_changed):
        s.set_reduction_config(ReductionConfig(spe_gain_adc_ns=(50.0, 60.0)))
    with qtbot.assertNotEmitted(s.reduction_config_changed):
        s.set_reduction_config(ReductionConfig(spe_gain_adc_ns=(50.0, 60.0)))
