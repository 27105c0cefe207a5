"""Streaming reduction of raw files: equality with the in-memory kernel, atomic output,
progress, cancellation, metadata (SHA-256, units, run) and RQ round trip."""

from __future__ import annotations

import hashlib
import json

import h5py
import numpy as np
import pytest

from analysis_core import __version__
from analysis_core.errors import CalibrationError, RawFormatError, RQFormatError
from analysis_core.progress import Cancelled, EventCancelToken
from analysis_core.rawfile import RawFile, RawMetadata
from analysis_core.rawwriter import RawWriter
from analysis_core.reduction import ReductionConfig, reduce_block, reduce_file, reduce_raw
from analysis_core.rqfile import RQ_COLUMNS, read_rq
from tests.core.test_reduction_support import DIGI, N_SAMPLES, TRIGGER, random_events

N_EVENTS = 200


def write_raw(path, wf, *, compression=None, chunk=16, names=("top", "bottom"), **extra):
    meta = RawMetadata(
        run_id="kr-042", run_type="kr83m", start_time_utc="2019-02-19T10:00:00Z",
        sample_period_ns=4.0, trigger_index=TRIGGER, adc_bits=12, polarity=-1,
        extra=extra,
    )  # fmt: skip
    times = np.arange(len(wf)) * 0.04
    with RawWriter(path, meta, wf.shape[2], names, compression=compression,
                   chunk_events=chunk) as w:  # fmt: skip
        w.append(wf, times)
    return times


@pytest.fixture(scope="module")
def events():
    return random_events(N_EVENTS, seed=21)


@pytest.fixture
def raw_path(tmp_path, events):
    p = tmp_path / "run.h5"
    write_raw(p, events, rate_scale=0.5)
    return p


def leftovers(directory):
    return sorted(x.name for x in directory.iterdir() if x.name.endswith(".part"))


@pytest.mark.parametrize(
    ("compression", "chunk_events"), [(None, 1), (None, None), ("blosc-lz4", 50)]
)
def test_streaming_equals_in_memory_reduction(tmp_path, events, compression, chunk_events):
    p = tmp_path / "run.h5"
    times = write_raw(p, events, compression=compression)
    config = ReductionConfig(spe_gain_adc_ns=(210.0, 190.0))
    table = reduce_raw(p, config, chunk_events=chunk_events)
    want = reduce_block(events, **DIGI, polarity=-1, config=config, event_time_s=times)
    assert list(table.columns) == list(RQ_COLUMNS)
    for name in RQ_COLUMNS:
        np.testing.assert_array_equal(table[name], want[name], err_msg=name)


def test_progress_is_reported_per_chunk(raw_path):
    calls = []
    reduce_raw(raw_path, chunk_events=64, progress=lambda d, t: calls.append((d, t)))
    # 64 events per chunk, i.e. 4 HDF5 chunks of 16: 64, 128, 192, 200
    assert calls == [(0, N_EVENTS), (64, N_EVENTS), (128, N_EVENTS), (192, N_EVENTS),
                     (200, N_EVENTS)]  # fmt: skip


def test_cancel_mid_run_leaves_no_file(tmp_path, raw_path):
    out = tmp_path / "run_rq.h5"
    token = EventCancelToken()

    def progress(done, total):
        if done >= 32:
            token.cancel()

    with pytest.raises(Cancelled):
        reduce_file(raw_path, out, progress=progress, cancel=token, chunk_events=16)
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_read_error_mid_run_leaves_no_file(tmp_path, raw_path, monkeypatch):
    out = tmp_path / "run_rq.h5"
    original = RawFile.read

    def failing_read(self, start, stop):
        if start >= 32:
            raise RawFormatError(self.path, f"cannot read events {start}:{stop} (test)")
        return original(self, start, stop)

    monkeypatch.setattr(RawFile, "read", failing_read)
    with pytest.raises(RawFormatError, match="cannot read events 32:48"):
        reduce_file(raw_path, out, chunk_events=16)
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_existing_output_survives_a_failed_run(tmp_path, raw_path):
    out = tmp_path / "run_rq.h5"
    reduce_file(raw_path, out)
    before = out.read_bytes()
    with pytest.raises(CalibrationError):
        reduce_file(raw_path, out, ReductionConfig(spe_gain_adc_ns=(1.0, 2.0, 3.0)))
    assert out.read_bytes() == before


def test_broken_inputs_are_refused_with_the_file_name(tmp_path, events):
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all")
    out = tmp_path / "out.h5"
    with pytest.raises(RawFormatError, match="junk.h5: not a readable HDF5 file"):
        reduce_file(junk, out)
    early = tmp_path / "early.h5"
    write_raw(early, events[:4, :, :400])
    with h5py.File(early, "r+") as f:
        f.attrs["trigger_index"] = 10
    with pytest.raises(RawFormatError, match="early.h5: baseline window"):
        reduce_file(early, out)
    unnamed = tmp_path / "unnamed.h5"
    write_raw(unnamed, events[:4], names=("ch1", "ch3"))
    with pytest.raises(RawFormatError, match="unnamed.h5: 2-channel data must name"):
        reduce_file(unnamed, out)
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_output_paths_are_checked(tmp_path, raw_path):
    with pytest.raises(RQFormatError, match="overwrite the input"):
        reduce_file(raw_path, raw_path)
    with pytest.raises(RQFormatError, match="does not exist"):
        reduce_file(raw_path, tmp_path / "no" / "such" / "dir.h5")


def test_metadata_records_input_gains_parameters_and_run(tmp_path, raw_path):
    config = ReductionConfig(spe_gain_adc_ns=(210.0, 190.0), capacitive_tau_ns=5e4)
    table = reduce_file(raw_path, tmp_path / "rq.h5", config)
    meta = table.metadata
    assert meta["input_sha256"] == hashlib.sha256(raw_path.read_bytes()).hexdigest()
    assert meta["input_path"] == str(raw_path.resolve())
    assert meta["input_size_bytes"] == raw_path.stat().st_size
    assert meta["software_version"] == __version__
    assert meta["pe_units"] == "PE"
    assert meta["spe_gain_adc_ns"] == {"top": 210.0, "bottom": 190.0}
    assert ReductionConfig.from_dict(meta["reduction"]) == config
    assert meta["windows_samples"]["window_samples"] == [9, 14, 23, 60]
    assert meta["windows_samples"]["baseline_stop"] == TRIGGER - 25
    run = meta["run"]
    assert run["run_id"] == "kr-042"
    assert run["run_type"] == "kr83m"
    assert run["n_events"] == N_EVENTS
    assert run["channel_names"] == ["top", "bottom"]
    assert run["rate_scale"] == 0.5  # root extras are kept
    assert run["livetime_s"] == pytest.approx(0.04 * (N_EVENTS - 1) * N_EVENTS / (N_EVENTS - 1))
    assert table.livetime_s == run["livetime_s"]
    assert meta["reduced_utc"].endswith("+00:00")
    json.dumps(meta)  # plain JSON values only


def test_units_without_gains_are_adc_ns_everywhere(tmp_path, raw_path):
    out = tmp_path / "rq.h5"
    adc = reduce_file(raw_path, out)
    assert adc.pe_units == "ADC*ns"
    assert adc.metadata["spe_gain_adc_ns"] is None
    with h5py.File(out) as f:
        assert f.attrs["pe_units"] == "ADC*ns"
        assert f["rq/total_pe"].attrs["unit"] == "ADC*ns"
        assert f["rq/peak_amp_adc"].attrs["unit"] == "ADC"
    pe = reduce_raw(raw_path, ReductionConfig(spe_gain_adc_ns=(200.0, 100.0)))
    np.testing.assert_allclose(pe["total_pe_top"], adc["total_pe_top"] / 200.0, rtol=1e-6)
    np.testing.assert_allclose(pe["total_pe_bottom"], adc["total_pe_bottom"] / 100.0, rtol=1e-6)


def test_rq_file_reads_back_equal(tmp_path, raw_path):
    out = tmp_path / "rq.h5"
    table = reduce_file(raw_path, out, ReductionConfig(spe_gain_adc_ns=(210.0, 190.0)))
    back = read_rq(out)
    assert sorted(back.columns) == sorted(table.columns)  # HDF5 lists groups by name
    for name in table.columns:
        np.testing.assert_array_equal(back[name], table[name], err_msg=name)
        assert back[name].dtype == table[name].dtype
    assert back.metadata == table.metadata


def test_raw_file_object_is_read_and_left_open(raw_path, events):
    with RawFile(raw_path) as rf:
        table = reduce_raw(rf, hash_input=False)
        assert table.metadata["input_sha256"] is None
        np.testing.assert_array_equal(rf.waveform(3), events[3])  # still usable


def test_empty_run(tmp_path):
    p = tmp_path / "empty.h5"
    write_raw(p, np.zeros((0, 2, N_SAMPLES), np.int16))
    table = reduce_raw(p)
    assert len(table) == 0
    assert list(table.columns) == list(RQ_COLUMNS)
