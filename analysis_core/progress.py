"""Progress reporting and cooperative cancellation, in plain Python (no Qt).

What to use when
----------------
Long operations (reduction, simulation, big fits) take two optional keyword arguments:
``progress``, a ``ProgressFn`` called as ``progress(done, total)`` after each chunk, and
``cancel``, any object with ``is_cancelled() -> bool`` (a ``threading.Event`` wrapped by
``EventCancelToken``, or the GUI's job token). Call ``check_cancel(cancel)`` between chunks,
never inside numba kernels; it raises ``Cancelled``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol, runtime_checkable

__all__ = ["CancelToken", "Cancelled", "EventCancelToken", "ProgressFn", "check_cancel"]

ProgressFn = Callable[[int, int], None]


@runtime_checkable
class CancelToken(Protocol):
    """Anything that can say whether the user asked to stop."""

    def is_cancelled(self) -> bool:
        """Return True once cancellation was requested."""
        ...


class Cancelled(Exception):
    """Raised between chunks when the cancel token is set; callers clean up and re-raise."""


class EventCancelToken:
    """A ``CancelToken`` backed by a ``threading.Event`` (thread safe)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Request cancellation."""
        self._event.set()

    def is_cancelled(self) -> bool:
        """Return True once ``cancel`` was called."""
        return self._event.is_set()


def check_cancel(cancel: CancelToken | None) -> None:
    """Raise ``Cancelled`` if ``cancel`` is set.

    Parameters
    ----------
    cancel : CancelToken or None
        The token to check; None means never cancelled.

    Raises
    ------
    Cancelled
        If cancellation was requested.
    """
    if cancel is not None and cancel.is_cancelled():
        raise Cancelled("cancelled by user")
