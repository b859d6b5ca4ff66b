"""The one helper for long work off the GUI thread (imports, demo data, planning, PDFs).

Usage::

    from desktop.worker import run_in_background

    def work(progress):                      # runs in a pool thread
        for i, row in enumerate(rows):
            progress(f"第 {i + 1} 行", i / len(rows))   # also the cancellation point
            ...
        return summary                        # becomes finished(summary)

    job = run_in_background(work)
    job.progress.connect(dialog.on_progress)   # (message: str, fraction: float 0..1)
    job.finished.connect(self.on_done)         # (result: object)
    job.failed.connect(self.on_failed)         # (message: str) — already a clear Chinese sentence
    job.cancelled.connect(self.on_cancelled)   # ()
    dialog.canceled.connect(job.cancel)

Contract:

* ``work`` receives one argument, a :class:`Progress` callable. Calling it reports
  progress *and* is where cancellation happens: after :meth:`Job.cancel`, the next call
  raises :class:`Cancelled`, which unwinds ``work`` (so a ``store.write()`` /
  ``store.bulk()`` transaction in progress rolls back) and emits ``cancelled``.
* ``work`` must never touch a widget, a QPixmap or any other GUI object, and must not
  call ``desktop.messages``: it returns data, and the slots (which run in the GUI thread)
  show it. Open its own database sessions (``store.read()`` / ``store.write()``); never
  hand it an ORM object loaded elsewhere.
* Every signal is delivered in the GUI thread (the thread that called
  :func:`run_in_background`), whatever the receiver is — a bound method, a function or a
  lambda. Exactly one of ``finished``, ``failed`` or ``cancelled`` is emitted, once.
* Expected errors (any :class:`policy.errors.UserError`, the root of every layer's errors,
  or a class listed in :data:`EXPECTED_ERRORS` or with ``expected = True``) arrive in
  ``failed`` as their message; machine faults (database locked, disk full, read-only
  file, corrupt file, out of memory) as the one line :func:`db.faults.describe` gives; any
  other exception is logged with its traceback and arrives as "内部错误：…".
* The :class:`Job` keeps itself alive until it has finished; callers need not hold it.
* :meth:`Job.wait` blocks (spinning the event loop) until the job ends; for tests and for
  start-up code that has nothing else to show.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from db.faults import describe as describe_fault
from db.gc_pause import gc_paused
from policy.errors import Cancelled, UserError

_log = logging.getLogger(__name__)


#: What a job may raise for the user to read: one root for every layer, and the file errors
#: a person can fix. Anything else is a bug and is shown with its traceback.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (UserError, FileNotFoundError, PermissionError)


class Progress:
    """What the work function calls to report progress; raises Cancelled after cancel()."""

    def __init__(self, job: Job) -> None:
        self._job = job

    def __call__(self, message: str = "", fraction: float = 0.0) -> None:
        if self._job.is_cancelled:
            raise Cancelled()
        self._job._relay.progress.emit(message, float(max(0.0, min(1.0, fraction))))

    @property
    def cancelled(self) -> bool:
        """For work that wants to stop without raising."""
        return self._job.is_cancelled


class _Relay(QObject):
    """Lives in the GUI thread; the pool thread emits these, Qt queues them across."""

    progress = Signal(str, float)
    done = Signal(object)
    error = Signal(str)
    stopped = Signal()


class _Runnable(QRunnable):
    def __init__(self, job: Job, work: Callable[[Progress], Any]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._job = job
        self._work = work

    def run(self) -> None:
        """In the pool thread, with the cyclic collector held off throughout: a collection
        here could free Qt objects that belong to the GUI thread (see db.gc_pause)."""
        with gc_paused():
            self._run()

    def _run(self) -> None:
        relay = self._job._relay
        try:
            result = self._work(Progress(self._job))
        except Cancelled:
            relay.stopped.emit()
        except EXPECTED_ERRORS as exc:
            fault = describe_fault(exc) if isinstance(exc, OSError) else None
            relay.error.emit(fault or str(exc))
        except Exception as exc:  # noqa: BLE001 — reported, never swallowed silently
            fault = describe_fault(exc)  # locked, disk full, read-only, corrupt, out of memory
            if getattr(exc, "expected", False):
                relay.error.emit(str(exc))
            elif fault is not None:
                relay.error.emit(fault)
            else:
                _log.error("background job failed:\n%s", traceback.format_exc())
                relay.error.emit(f"内部错误：{type(exc).__name__}: {exc}")
        else:
            if self._job.is_cancelled:
                relay.stopped.emit()
            else:
                relay.done.emit(result)


_running: set[Job] = set()


class Job(QObject):
    """A unit of work running in the global thread pool. See the module docstring."""

    progress = Signal(str, float)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancel = threading.Event()
        self._done = False
        self._relay = _Relay()
        self._relay.progress.connect(self._on_progress)
        self._relay.done.connect(self._on_done)
        self._relay.error.connect(self._on_error)
        self._relay.stopped.connect(self._on_stopped)

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def is_done(self) -> bool:
        return self._done

    @Slot()
    def cancel(self) -> None:
        """Ask the work to stop at its next progress call. Safe from the GUI thread any time."""
        self._cancel.set()

    def wait(self, timeout_ms: int = 0) -> bool:
        """Spin an event loop until the job ended (True) or ``timeout_ms`` passed (False; 0 = no limit)."""
        if self._done:
            return True
        loop = QEventLoop()
        self.finished.connect(loop.quit)
        self.failed.connect(loop.quit)
        self.cancelled.connect(loop.quit)
        if timeout_ms:
            QTimer.singleShot(timeout_ms, loop.quit)
        if not self._done:
            loop.exec()
        return self._done

    @Slot(str, float)
    def _on_progress(self, message: str, fraction: float) -> None:
        if not self._done:
            self.progress.emit(message, fraction)

    def _end(self) -> None:
        self._done = True
        _running.discard(self)

    @Slot(object)
    def _on_done(self, result: object) -> None:
        self._end()
        self.finished.emit(result)

    @Slot(str)
    def _on_error(self, message: str) -> None:
        self._end()
        self.failed.emit(message)

    @Slot()
    def _on_stopped(self) -> None:
        self._end()
        self.cancelled.emit()


def run_in_background(work: Callable[[Progress], Any], pool: QThreadPool | None = None) -> Job:
    """Start ``work(progress)`` in a pool thread and return its :class:`Job` (already running).

    Connect to the job's signals right after this call: the signals are queued to the GUI
    thread, so nothing is delivered before control returns to the event loop.
    """
    job = Job()
    _running.add(job)
    (pool or QThreadPool.globalInstance()).start(_Runnable(job, work))
    return job
