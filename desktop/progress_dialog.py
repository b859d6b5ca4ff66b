"""The one progress dialog of a background job: label, bar and a 取消 button that cancels it.

Every long job the GUI starts (imports, exports, planning, documents, printing, backups,
packages) either shows its progress on its own page or through :func:`run_with_progress`;
取消 calls :meth:`desktop.worker.Job.cancel`, and the work stops at its next progress call
(policy.progress) with nothing half written. Under ``messages.headless`` (tests, scripts) no
dialog is shown; the job runs and can still be cancelled through the returned Job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from desktop import messages
from desktop.worker import Job, Progress, run_in_background

STEPS = 1000


def attach(job: Job, parent: QWidget | None, title: str, text: str, *,
           modal: bool = False, delay_ms: int = 300) -> QProgressDialog | None:
    """A dialog following ``job``'s progress whose 取消 cancels it; closed when the job ends.

    None under ``messages.headless``. ``delay_ms``: how long a job runs before the dialog
    appears (a quick job shows none).
    """
    if messages.headless:
        return None
    dialog = QProgressDialog(text, "取消", 0, STEPS, parent)
    dialog.setWindowTitle(title)
    dialog.setMinimumDuration(delay_ms)
    dialog.setMinimumWidth(420)
    if modal:
        dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setValue(0)
    dialog.canceled.connect(job.cancel)

    def follow(message: str, fraction: float) -> None:
        dialog.setLabelText(message or text)
        dialog.setValue(int(fraction * STEPS))

    job.progress.connect(follow)
    for signal in (job.finished, job.failed, job.cancelled):
        signal.connect(lambda *_args: dialog.reset())
    return dialog


def run_with_progress(parent: QWidget | None, title: str, text: str,
                      work: Callable[[Progress], Any]) -> Job:
    """Start ``work`` in the background behind a cancellable progress dialog; returns the Job."""
    job = run_in_background(work)
    attach(job, parent, title, text)  # kept alive by the job's connections until the job ends
    return job
