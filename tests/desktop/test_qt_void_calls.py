"""Guard against PySide6 6.12.0's ``none_dealloc`` abort on Python 3.11.

PySide6 6.12.0 drops a reference to ``None`` on every call of a Qt method that returns
nothing; after a few thousand to a few hundred thousand such calls the interpreter aborts
with ``Fatal Python error: none_dealloc``. 6.11.3 does not leak. This test calls a void
method (``QLabel.setText``) 200,000 times in a fresh process and expects a clean exit.

RE-RUN THIS TEST BEFORE ANY Qt (PySide6) UPGRADE, and keep the pin in pyproject.toml until
it passes on the new version.
"""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import os, sys
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
before = sys.getrefcount(None)
for n in range(200_000):
    label.setText("教共体")
after = sys.getrefcount(None)
print(f"calls=200000 none_refs_before={before} none_refs_after={after}")
"""


def test_two_hundred_thousand_void_calls_exit_cleanly():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr[-2000:]}"
    assert "none_dealloc" not in result.stderr
    assert "calls=200000" in result.stdout
