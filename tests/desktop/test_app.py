"""Starting the GUI (desktop.app.run_gui): bad stores, first run with the demo county."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSettings

from desktop import messages
from desktop.app import run_gui, store_is_empty


def test_missing_folder_is_one_clear_message_and_exit_2(gui, tmp_path):
    assert run_gui(str(tmp_path / "no" / "such" / "x.db")) == 2
    errors = [m for m in messages.log if m.kind == "error"]
    assert len(errors) == 1
    assert errors[0].title == "EduBridge 无法打开数据"
    assert "不存在" in errors[0].text


def test_application_names_make_qsettings_work(gui):
    assert QCoreApplication.organizationName() == "EduBridge"
    assert QCoreApplication.applicationName() == "EduBridge"
    assert QSettings().applicationName() == "EduBridge"


FIRST_RUN = """
import os, sys
from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication
from desktop import messages
from desktop.app import make_app, run_gui
from desktop.main_window import MainWindow

app = make_app()  # keep a reference: the timer below needs the application
messages.set_headless(True)
seen = []

def check():
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, MainWindow) and widget.isVisible():
            timer.stop()
            seen.append((widget.current_key(), widget.location_label.text()))
            widget.close()
            QCoreApplication.quit()

timer = QTimer()
timer.setInterval(50)
timer.timeout.connect(check)
timer.start()
rc = run_gui(sys.argv[1])
print("rc", rc)
print("seen", seen)
print("errors", [m for m in messages.log if m.kind == "error"])
"""


def test_first_run_fills_an_empty_store_with_the_demo_and_opens_the_window(db_path, tmp_path):
    """In a fresh process: QApplication.exec() cannot be re-entered cleanly inside pytest-qt."""
    import os
    import subprocess
    import sys

    from db.store import Store

    Store.open(str(db_path)).dispose()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"))
    result = subprocess.run([sys.executable, "-c", FIRST_RUN, str(db_path)], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "rc 0" in result.stdout
    assert f"seen [('overview', '数据文件：{db_path}')]" in result.stdout
    assert "errors []" in result.stdout
    store = Store.open(str(db_path))
    try:
        assert not store_is_empty(store)
    finally:
        store.dispose()
    # Window geometry went to the isolated config folder.
    assert list((tmp_path / "config").rglob("EduBridge*"))
