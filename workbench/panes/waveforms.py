"""Waveforms pane: the event stepper above the waveform plot of the current event.

What to use when
----------------
- ``WaveformPane`` is a passive view: ``show_run``, ``show_index`` and ``show_event`` push
  data in; ``event_requested(int)`` says which event the user wants. ``EventBrowserController``
  wires it.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from widgets.event_stepper import EventStepperWidget
from widgets.waveform_plot import WaveformPlotWidget
from workbench.event_view import EventView

__all__ = ["WaveformPane"]

_NO_RUN_MESSAGE = "No run selected: open runs (File ▸ Open runs…) or drop .h5 files here"


def event_title(view: EventView, run_name: str, n_events: int) -> str:
    """Return the one-line caption above the plot."""
    t_s = float(view.rq.get("time_s", math.nan))
    t0 = view.t0_ns
    parts = [run_name, f"event {view.event:,} / {n_events:,}"]
    if math.isfinite(t_s):
        parts.append(f"t = {t_s:.3f} s")
    parts.append(f"t0 = {t0:.0f} ns" if math.isfinite(t0) else "no pulse found")
    return " · ".join(parts)


class WaveformPane(QWidget):
    """Stepper and waveform plot.

    Signals
    -------
    event_requested(int)
        The user asked for this event index.
    """

    event_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stepper = EventStepperWidget(self)
        self.plot = WaveformPlotWidget(self)
        self.stepper.event_changed.connect(self.event_requested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.stepper)
        layout.addWidget(self.plot, 1)
        self._run_name = ""
        self._empty_message = _NO_RUN_MESSAGE
        self.plot.clear(_NO_RUN_MESSAGE)

    def show_run(self, name: str, n_events: int) -> None:
        """Prepare for a run of ``n_events`` (0 clears the pane)."""
        self._run_name = name
        with QSignalBlocker(self.stepper):
            self.stepper.set_count(n_events)
        self._empty_message = (
            "" if n_events else f"{name} has no events" if name else _NO_RUN_MESSAGE
        )
        if n_events == 0:
            self.plot.clear(self._empty_message)

    def show_index(self, index: int) -> None:
        """Put ``index`` in the stepper without emitting ``event_requested``."""
        with QSignalBlocker(self.stepper):
            self.stepper.set_index(index)

    def show_event(self, view: EventView | None) -> None:
        """Draw the traces of ``view`` (None clears the plot)."""
        if view is None:
            self.plot.clear(self._empty_message)
            return
        self.plot.set_windows(view.windows_ns, view.delayed_after_ns)
        self.plot.set_event(
            view.time_ns,
            view.traces_adc,
            raw_adc=view.raw_adc,
            baselines_adc=view.baselines_adc,
            t0_ns=view.t0_ns,
            markers=view.markers,
            title=event_title(view, self._run_name, self.stepper.count()),
        )
