"""The one progress protocol of long work: ``progress(message, fraction)``.

Every long job — planning (policy), imports (db), documents (reports), the GUI's background
jobs (desktop.worker) — reports through a callable of this shape. ``message`` is a short
Chinese phrase (may be empty), ``fraction`` runs from 0.0 to 1.0. The call is also the
cancellation point: a GUI's progress raises :class:`policy.errors.Cancelled` once the user
asked to stop, which unwinds the work — and with it any open transaction, so nothing is
half written. Work therefore calls progress only where stopping is safe.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """``progress(message, fraction)``; may raise :class:`policy.errors.Cancelled`."""

    def __call__(self, message: str, fraction: float, /) -> None: ...


def quiet(message: str, fraction: float, /) -> None:
    """The progress of work nobody watches (the command line)."""
    return None


def within(progress: Progress, start: float, end: float) -> Progress:
    """``progress`` for one stage of a longer job: the stage's 0..1 lands on ``start``..``end``."""

    def report(message: str, fraction: float, /) -> None:
        progress(message, start + (end - start) * max(0.0, min(1.0, fraction)))

    return report
