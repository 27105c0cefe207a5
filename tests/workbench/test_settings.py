"""Settings: INI file under $LARCAL_CONFIG_DIR, recent files, window layout round trip."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from workbench.settings import MAX_RECENT_FILES, Settings, settings_path


def test_default_file_is_in_the_config_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("LARCAL_CONFIG_DIR", str(tmp_path / "cfg"))
    s = Settings.open_default()
    assert Path(s.path) == tmp_path / "cfg" / "workbench.ini"
    assert settings_path() == tmp_path / "cfg" / "workbench.ini"
    s.set_last_directory("/data")
    s.sync()
    assert "last_directory" in (tmp_path / "cfg" / "workbench.ini").read_text()


def test_recent_files_most_recent_first_without_duplicates(tmp_path):
    s = Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    assert s.recent_files() == []
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    s.add_recent_file(a)
    s.add_recent_file(b)
    s.add_recent_file(a)
    assert s.recent_files() == [str(a), str(b)]
    for i in range(MAX_RECENT_FILES + 5):
        s.add_recent_file(tmp_path / f"r{i}.h5")
    assert len(s.recent_files()) == MAX_RECENT_FILES
    s.clear_recent_files()
    assert s.recent_files() == []


def test_single_recent_file_survives_reload(tmp_path):
    path = str(tmp_path / "s.ini")
    s = Settings(QSettings(path, QSettings.Format.IniFormat))
    s.add_recent_file(tmp_path / "only.h5")
    s.sync()
    again = Settings(QSettings(path, QSettings.Format.IniFormat))
    assert again.recent_files() == [str(tmp_path / "only.h5")]


def test_window_layout_round_trip(tmp_path):
    path = str(tmp_path / "s.ini")
    s = Settings(QSettings(path, QSettings.Format.IniFormat))
    assert s.window_geometry() is None
    assert s.window_state() is None
    s.set_window_geometry(QByteArray(b"geom"))
    s.set_window_state(QByteArray(b"state"))
    s.sync()
    again = Settings(QSettings(path, QSettings.Format.IniFormat))
    assert bytes(again.window_geometry()) == b"geom"
    assert bytes(again.window_state()) == b"state"
    again.clear_window_layout()
    assert again.window_state() is None
