"""Controller of the Export pane, and the File menu's session actions.

What to use when
----------------
``build(ctx)`` docks the Export pane and contributes File > "Save calibration session…" /
"Open calibration session…" (``workbench.controllers.session``). The controller rebuilds the
constants preview in a job whenever the calibration changes (``constants_for``, the function
``larcal session run`` uses, with the window's session, RQ tables and step results), validates
it against the published schema, compares it with a chosen previous file, and saves it: when
the target exists, the changes are listed in a confirmation before it is replaced.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Slot

from analysis_core.constants import (
    ConstantsFormatError,
    diff_constants,
    format_change,
    read_constants,
    validate_constants,
    write_constants,
)
from analysis_core.session import constants_for
from workbench.context import AppContext
from workbench.controllers.session import SessionController
from workbench.panes.export import ExportPane
from workbench.registry import PaneBinding

__all__ = ["ExportController", "build", "build_document"]


def build_document(
    session: Any, tables: dict[str, Any], results: dict[str, Any], session_file: str | None
) -> tuple[dict[str, Any], str]:
    """Return the constants document and ``""`` or the validation fault (runs in a job)."""
    doc = constants_for(session, tables, results, session_file)
    try:
        validate_constants(doc, "constants preview")
    except ConstantsFormatError as exc:
        return doc, str(exc)
    return doc, ""


def _rows(changes: list[Any]) -> list[tuple[str, str, Any, Any, float | None]]:
    return [(c.path, c.kind, c.old, c.new, c.relative_change) for c in changes]


class ExportController(QObject):
    """Wires the calibration to the Export pane."""

    def __init__(self, ctx: AppContext, pane: ExportPane, sessions: SessionController) -> None:
        super().__init__(pane)
        self._ctx = ctx
        self._pane = pane
        self.sessions = sessions
        self.document: dict[str, Any] | None = None
        self.previous_path: str | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.refresh)
        calib = ctx.calib
        for signal in (calib.roles_changed, calib.gains_changed, calib.cuts_settled):
            signal.connect(self._schedule)
        calib.result_changed.connect(self._schedule)
        calib.settings_changed.connect(self._schedule)
        ctx.state.rq_changed.connect(self._schedule)
        for signal in (
            ctx.hpge.entries_changed,
            ctx.hpge.efficiency_changed,
            ctx.hpge.attenuation_changed,
            ctx.hpge.activity_changed,
        ):
            signal.connect(self._schedule)
        sessions.saved.connect(self._schedule)
        sessions.opened.connect(self._schedule)
        pane.refresh_requested.connect(self.refresh)
        pane.compare_requested.connect(self._on_compare_requested)
        pane.save_requested.connect(self._on_save_requested)
        self.refresh()

    @Slot()
    def _schedule(self, *_args: Any) -> None:
        self._timer.start()

    # ------------------------------------------------------------------ preview
    @Slot()
    def refresh(self) -> None:
        """Rebuild the preview in a job (the latest request wins)."""
        self._timer.stop()
        session = self.sessions.current_session()
        tables = {
            role: t
            for role, run in session.runs.items()
            if (t := self._ctx.state.rq(run.raw_path)) is not None
        }
        self._ctx.jobs.submit(
            build_document,
            session,
            tables,
            self._ctx.calib.results(),
            self.sessions.current_path,
            key="export-preview",
            on_done=self._on_built,
            on_error=self._on_build_failed,
        )

    def _on_built(self, built: tuple[dict[str, Any], str]) -> None:
        doc, fault = built
        self.document = doc
        self._pane.show_document(doc)
        if fault:
            self._pane.show_validation(False, f"Not valid: {fault}")
        else:
            steps = ", ".join(doc["fit_results"]) or "no step results yet"
            self._pane.show_validation(
                True, f"Valid {doc['format']} v{doc['format_version']} ({steps})"
            )
        if self.previous_path:
            self.compare(self.previous_path)

    def _on_build_failed(self, message: str) -> None:
        self.document = None
        self._pane.show_document(None)
        self._pane.show_validation(False, f"Cannot build the constants: {message}")

    # ------------------------------------------------------------------ compare
    @Slot()
    def _on_compare_requested(self) -> None:
        path = self._pane.ask_open_path(self.previous_path or "")
        if path:
            self.compare(path)

    def compare(self, path: str) -> None:
        """Show the changes from the constants file ``path`` to the preview."""
        self.previous_path = path
        self._ctx.jobs.submit(
            read_constants,
            path,
            key="export-compare",
            on_done=functools.partial(self._on_previous_read, path),
            on_error=self._on_previous_failed,
        )

    def _on_previous_read(self, path: str, old: dict[str, Any]) -> None:
        if self.document is not None:
            self._pane.show_changes(_rows(diff_constants(old, self.document)), Path(path).name)

    def _on_previous_failed(self, message: str) -> None:
        self.previous_path = None
        self._pane.show_changes([], "—")
        self._pane.changes_title.setText(f"Cannot compare: {message}")

    # ------------------------------------------------------------------ save
    @Slot()
    def _on_save_requested(self) -> None:
        suggested = self.previous_path or str(
            Path(self._ctx.settings.last_directory() or ".") / "calibration_constants.json"
        )
        path = self._pane.ask_save_path(suggested)
        if path:
            self.save(path)

    def save(self, path: str) -> bool:
        """Save the preview to ``path``; an existing file is compared and confirmed first.

        Returns False when there is nothing to save or the user declined the overwrite.
        """
        if self._timer.isActive():
            self.refresh()  # a change is waiting to reach the preview: rebuild it first
        busy = self._ctx.jobs.active_count()
        if busy:
            # a fit or the preview is still being computed: the preview may be stale
            self._ctx.notifier.warning(
                "Save constants",
                f"{busy} computation(s) still running; save again once the preview is up to date",
            )
            return False
        if self.document is None:
            self._ctx.notifier.warning("Save constants", "No constants to save yet")
            return False
        doc = self.document
        if Path(path).exists():
            try:
                changes = diff_constants(read_constants(path), doc)
                lines = [format_change(c) for c in changes]
            except ConstantsFormatError as exc:
                lines = [f"(the existing file is not valid constants: {exc})"]
                changes = []
            self._pane.show_changes(_rows(changes), Path(path).name)
            if not self._pane.confirm_overwrite(path, lines):
                return False
        self._ctx.jobs.submit(
            write_constants,
            path,
            doc,
            title=f"Saving {Path(path).name}",
            on_done=self._on_saved,
        )
        return True

    def _on_saved(self, path: Path) -> None:
        self.previous_path = str(path)
        self._ctx.notifier.info(f"Calibration constants saved to {path}")
        self.compare(str(path))

    def close(self) -> None:
        """Stop the refresh timer and the session controller."""
        self._timer.stop()
        self.sessions.close()


def build(ctx: AppContext) -> PaneBinding:
    """Create the Export pane, its controller and the File menu's session actions."""
    pane = ExportPane()
    sessions = SessionController(ctx, pane)
    controller = ExportController(ctx, pane, sessions)
    return PaneBinding(
        pane,
        controller,
        menu_items={"File": [sessions.open_action, sessions.save_action]},
    )
