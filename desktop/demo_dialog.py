"""Building the demo county behind a progress dialog (first start, the welcome page)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog

from db.store import Store
from desktop import messages


def demo_progress_adapter(report: Any) -> Any:
    """Turn ``db.demo.build_demo``'s progress calls into ``report(message, fraction)``."""

    def progress(*args: Any, **kwargs: Any) -> None:
        message = next((a for a in args if isinstance(a, str)), kwargs.get("message", ""))
        fraction = next((float(a) for a in args if isinstance(a, (int, float)) and not isinstance(a, bool)),
                        kwargs.get("fraction", 0.0))
        report(message, fraction)

    return progress


def fill_demo_with_dialog(store: Store, parent: Any = None) -> bool:
    """Build the demo county off the GUI thread behind a progress dialog.

    Returns True when the demo was built; False when it failed or was cancelled (the
    failure has been shown through ``desktop.messages``).
    """
    from db.demo import build_demo
    from desktop.worker import run_in_background

    dialog = QProgressDialog("正在生成演示县数据（虚构）…", "取消", 0, 1000, parent)
    dialog.setWindowTitle("载入演示数据")
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(0)
    dialog.setMinimumWidth(420)
    dialog.setValue(0)
    job = run_in_background(lambda report: build_demo(store, scale="county", progress=demo_progress_adapter(report)))

    def show(message: str, fraction: float) -> None:
        dialog.setLabelText(message or "正在生成演示县数据（虚构）…")
        dialog.setValue(int(fraction * 1000))

    job.progress.connect(show)
    dialog.canceled.connect(job.cancel)
    outcome: dict[str, Any] = {}
    job.finished.connect(lambda result: outcome.setdefault("ok", result))
    job.failed.connect(lambda message: outcome.setdefault("error", message))
    job.wait()
    dialog.reset()
    dialog.close()
    if "error" in outcome:
        messages.error(parent, "无法生成演示数据", outcome["error"])
        return False
    return "ok" in outcome
