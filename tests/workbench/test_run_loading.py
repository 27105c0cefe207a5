"""load_run: raw summary, RQ file attached only when it matches, clear refusals."""

from __future__ import annotations

import shutil

import pytest

from analysis_core.errors import RawFormatError
from analysis_core.reduction import reduce_file
from workbench.run_loading import load_run, rq_path_for


def test_raw_only(kr_run):
    loaded = load_run(kr_run)
    assert loaded.rq is None
    assert loaded.warning == ""
    assert loaded.info.n_events == 600
    assert loaded.info.rq_path is None


def test_matching_rq_file_is_attached(kr_run):
    reduce_file(kr_run, rq_path_for(kr_run))
    loaded = load_run(kr_run)
    assert loaded.info.rq_path == str(rq_path_for(kr_run))
    assert len(loaded.rq) == 600
    assert loaded.warning == ""


def test_rq_file_of_another_run_is_not_used(kr_run, bkg_run):
    reduce_file(bkg_run, rq_path_for(bkg_run))
    shutil.copyfile(rq_path_for(bkg_run), rq_path_for(kr_run))
    loaded = load_run(kr_run)
    assert loaded.rq is None
    assert loaded.info.rq_path is None
    assert "reduce the run again" in loaded.warning
    assert "kr_run_rq.h5" in loaded.warning


def test_corrupt_rq_file_is_not_used(kr_run):
    rq_path_for(kr_run).write_text("garbage")
    loaded = load_run(kr_run)
    assert loaded.rq is None
    assert loaded.warning.startswith("RQ file not used: ")
    assert "kr_run_rq.h5" in loaded.warning


def test_opening_an_rq_file_says_what_to_do(kr_run):
    reduce_file(kr_run, rq_path_for(kr_run))
    with pytest.raises(RawFormatError, match="this is an RQ file") as info:
        load_run(rq_path_for(kr_run))
    assert info.value.path == str(rq_path_for(kr_run))


@pytest.mark.parametrize(
    ("which", "fault"),
    [("text", "not a readable HDF5 file"), ("no_waveforms", "missing dataset /waveforms")],
)
def test_bad_files_raise_with_path_and_fault(bad_files, which, fault):
    with pytest.raises(RawFormatError, match=fault) as info:
        load_run(bad_files[which])
    assert str(info.value).startswith(str(bad_files[which]))


def test_missing_file(tmp_path):
    with pytest.raises(RawFormatError, match="does not exist"):
        load_run(tmp_path / "nope.h5")
