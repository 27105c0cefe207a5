"""User-interface preferences (window layout, recent files) over an injected ``QSettings``.

What to use when
----------------
- ``Settings.open_default()`` in ``app.py``: an INI file in ``$LARCAL_CONFIG_DIR`` when that is
  set (tests set it), else in the platform's user configuration directory.
- ``Settings(QSettings(path, QSettings.IniFormat))`` anywhere a specific file is wanted.
- Pass the ``Settings`` object to whoever needs it; there is no global instance.

Only UI preferences live here. Analysis parameters (gains, cuts, calibrations) belong to the
session file, so that a session replays the same way on another machine.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_dir
from PySide6.QtCore import QByteArray, QSettings

__all__ = ["MAX_RECENT_FILES", "Settings", "settings_path"]

MAX_RECENT_FILES = 10
_ORG = "LArCal"
_APP = "LArCal Workbench"
_FILE = "workbench.ini"


def settings_path() -> Path:
    """Return the INI file used by ``Settings.open_default()``."""
    base = os.environ.get("LARCAL_CONFIG_DIR")
    directory = Path(base) if base else Path(user_config_dir(_APP, _ORG))
    return directory / _FILE


class Settings:
    """Typed access to the workbench's UI preferences.

    Parameters
    ----------
    qsettings : QSettings
        The backing store (owned by the caller or by this object).
    """

    def __init__(self, qsettings: QSettings) -> None:
        self.qsettings = qsettings

    @classmethod
    def open_default(cls) -> Settings:
        """Open the INI file of ``settings_path()``, creating its directory."""
        path = settings_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    @property
    def path(self) -> str:
        """File name of the backing store."""
        return str(self.qsettings.fileName())

    def sync(self) -> None:
        """Write pending changes to disk."""
        self.qsettings.sync()

    # ------------------------------------------------------------------ recent files
    def recent_files(self) -> list[str]:
        """Return recently opened files, most recent first (missing ones included)."""
        value = self.qsettings.value("files/recent", [])
        if isinstance(value, str):  # QSettings returns a bare string for one-element lists
            value = [value]
        return [str(v) for v in (value or []) if v]

    def add_recent_file(self, path: str | os.PathLike[str]) -> list[str]:
        """Put ``path`` first in the recent-files list and return the new list."""
        p = str(Path(path).resolve())
        files = [p] + [f for f in self.recent_files() if f != p]
        files = files[:MAX_RECENT_FILES]
        self.qsettings.setValue("files/recent", files)
        return files

    def clear_recent_files(self) -> None:
        """Empty the recent-files list."""
        self.qsettings.setValue("files/recent", [])

    def last_directory(self) -> str:
        """Return the directory of the last file dialog (home when unset)."""
        return str(self.qsettings.value("files/last_directory", str(Path.home())))

    def set_last_directory(self, directory: str | os.PathLike[str]) -> None:
        """Remember the directory of the last file dialog."""
        self.qsettings.setValue("files/last_directory", str(directory))

    # ------------------------------------------------------------------ window layout
    def window_geometry(self) -> QByteArray | None:
        """Return the saved main-window geometry, if any."""
        value = self.qsettings.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window_geometry(self, geometry: QByteArray) -> None:
        """Save the main-window geometry (``QMainWindow.saveGeometry()``)."""
        self.qsettings.setValue("window/geometry", geometry)

    def window_state(self) -> QByteArray | None:
        """Return the saved dock layout, if any."""
        value = self.qsettings.value("window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window_state(self, state: QByteArray) -> None:
        """Save the dock layout (``QMainWindow.saveState()``)."""
        self.qsettings.setValue("window/state", state)

    def clear_window_layout(self) -> None:
        """Forget the saved geometry and dock layout."""
        self.qsettings.remove("window")
