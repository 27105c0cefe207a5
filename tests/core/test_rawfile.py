"""larcal-raw v1: round trip, lazy access, compression and refusal of broken files."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from analysis_core.errors import RawFormatError
from analysis_core.rawfile import RawFile, RawMetadata
from analysis_core.rawwriter import RawWriter


def _write(path, n=10, compression=None, chunk=4):
    rng = np.random.default_rng(1)
    data = rng.integers(3000, 3100, size=(n, 2, 100), dtype=np.int16)
    meta = RawMetadata(
        run_id="r1",
        run_type="background",
        start_time_utc="2019-02-19T10:00:00Z",
        trigger_index=30,
        livetime_s=12.5,
    )
    with RawWriter(
        path, meta, 100, ("top", "bottom"), compression=compression, chunk_events=chunk
    ) as w:
        w.append(data[:6], np.arange(6) * 0.5)
        w.append(data[6:], np.arange(6, n) * 0.5)
    return data


@pytest.mark.parametrize("compression", [None, "gzip", "lz4", "blosc-lz4", "blosc-zstd"])
def test_round_trip_and_lazy_reads(tmp_path, compression):
    p = tmp_path / "run.h5"
    data = _write(p, compression=compression)
    with RawFile(p) as f:
        assert f.shape == (10, 2, 100)
        assert f.channel_names == ("top", "bottom")
        assert f.metadata.run_type == "background"
        assert f.metadata.trigger_index == 30
        assert f.livetime_s == 12.5
        assert f.chunk_events == 4
        np.testing.assert_array_equal(f.read(2, 7), data[2:7])
        np.testing.assert_array_equal(f.waveform(9), data[9])
        np.testing.assert_array_equal(f.waveform(-1), data[-1])
        starts = [s for s, _ in f.iter_chunks()]
        assert starts == [0, 4, 8]
        np.testing.assert_allclose(f.event_time_s(), np.arange(10) * 0.5)


def test_waveform_reads_one_chunk_per_step(tmp_path, monkeypatch):
    p = tmp_path / "run.h5"
    _write(p)
    with RawFile(p) as f:
        calls = []
        orig = f.read
        monkeypatch.setattr(f, "read", lambda a, b: calls.append((a, b)) or orig(a, b))
        for i in range(8):
            f.waveform(i)
        assert calls == [(0, 4), (4, 8)]


def test_livetime_derived_from_event_times(tmp_path):
    p = tmp_path / "run.h5"
    _write(p)
    with h5py.File(p, "a") as h:
        del h.attrs["livetime_s"]
    with RawFile(p) as f:
        assert f.livetime_s == pytest.approx(4.5 * 10 / 9)


def test_failed_writer_leaves_no_file(tmp_path):
    p = tmp_path / "run.h5"
    with pytest.raises(RuntimeError), RawWriter(p, RawMetadata(run_type="led"), 50) as w:
        w.append(np.zeros((3, 2, 50), np.int16), np.zeros(3))
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("mutate", "fault"),
    [
        (lambda h: h.attrs.__setitem__("format", "other"), "unknown format 'other'"),
        (lambda h: h.attrs.__setitem__("format_version", 2), "unsupported format_version 2"),
        (
            lambda h: h.attrs.__delitem__("sample_period_ns"),
            "missing root attribute 'sample_period_ns'",
        ),
        (lambda h: h.attrs.__setitem__("run_type", "muon"), "unknown run_type 'muon'"),
        (lambda h: h.__delitem__("event_time_s"), "missing dataset /event_time_s"),
        (lambda h: h.__delitem__("waveforms"), "missing dataset /waveforms"),
    ],
)
def test_contract_violations_are_named(tmp_path, mutate, fault):
    p = tmp_path / "bad.h5"
    _write(p)
    with h5py.File(p, "a") as h:
        mutate(h)
    with pytest.raises(RawFormatError) as err:
        RawFile(p)
    assert str(p) in str(err.value)
    assert fault in str(err.value)


def test_wrong_rank_and_dtype(tmp_path):
    p = tmp_path / "rank.h5"
    _write(p)
    with h5py.File(p, "a") as h:
        del h["waveforms"]
        h.create_dataset("waveforms", data=np.zeros((10, 100), np.int16))
    with pytest.raises(RawFormatError, match="rank 2, expected 3"):
        RawFile(p)
    with h5py.File(p, "a") as h:
        del h["waveforms"]
        ds = h.create_dataset("waveforms", data=np.zeros((10, 2, 100), np.float32))
        ds.attrs["channel_names"] = ["top", "bottom"]
    with pytest.raises(RawFormatError, match="dtype float32"):
        RawFile(p)


def test_truncated_and_missing_files(tmp_path):
    p = tmp_path / "run.h5"
    _write(p, n=64, compression="gzip")
    blob = p.read_bytes()
    t = tmp_path / "trunc.h5"
    t.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(RawFormatError, match="trunc.h5"), RawFile(t) as f:
        f.read(0, f.n_events)
    with pytest.raises(RawFormatError, match="does not exist"):
        RawFile(tmp_path / "nope.h5")
    (tmp_path / "text.h5").write_text("hello")
    with pytest.raises(RawFormatError, match="not a readable HDF5"):
        RawFile(tmp_path / "text.h5")
