"""Cold-start measurement: ``EDUBRIDGE_STARTUP_PROBE=1 edubridge --db X`` quits at the first paint.

The figure a clerk feels is process start to a painted main window. With the variable set,
the GUI takes its ordinary start path (fonts, store, sign-in, main window) and, once the
window's first paint has been flushed, prints one line ``PAINTED <seconds>`` — seconds
since this module was imported, which ``desktop.cli`` does first, i.e. once the interpreter
(and a frozen build's bootloader) is up — and quits. The process-level figure (spawn to
that line) is taken from outside by ``benchmarks/bench_frozen_start.py``.
"""

from __future__ import annotations

import os
import time
from typing import Any

#: perf_counter() when the program's own code began (desktop.cli imports this module first).
STARTED = time.perf_counter()
VARIABLE = "EDUBRIDGE_STARTUP_PROBE"


def wanted() -> bool:
    return bool(os.environ.get(VARIABLE))


def quit_after_first_paint(window: Any) -> None:
    """Print the seconds to ``window``'s first paint and quit the event loop."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    class FirstPaint(QObject):
        seen = False

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if (not self.seen and event.type() == QEvent.Type.Paint and isinstance(watched, QWidget)
                    and watched.window() is window):
                self.seen = True
                QTimer.singleShot(0, report)  # after this paint cycle has been flushed
            return False

    def report() -> None:
        print(f"PAINTED {time.perf_counter() - STARTED:.3f}", flush=True)
        QApplication.quit()

    app = QApplication.instance()
    assert app is not None
    app.installEventFilter(FirstPaint(window))
