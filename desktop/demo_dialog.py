"""Building the demo county behind a progress dialog (first start, the welcome page)."""

from __future__ import annotations

from typing import Any

from db.store import Store
from desktop import messages


def fill_demo_with_dialog(store: Store, parent: Any = None) -> bool:
    """Build the demo county off the GUI thread behind a modal, cancellable progress dialog.

    Returns True when the demo was built; False when it failed or was cancelled (the
    failure has been shown through ``desktop.messages``).
    """
    from db.demo import build_demo
    from desktop.progress_dialog import attach
    from desktop.worker import run_in_background

    job = run_in_background(lambda progress: build_demo(store, scale="county", progress=progress))
    attach(job, parent, "载入演示数据", "正在生成演示县数据（虚构）…", modal=True, delay_ms=0)
    outcome: dict[str, Any] = {}
    job.finished.connect(lambda result: outcome.setdefault("ok", result))
    job.failed.connect(lambda message: outcome.setdefault("error", message))
    job.wait()
    if "error" in outcome:
        messages.error(parent, "无法生成演示数据", outcome["error"])
        return False
    return "ok" in outcome
