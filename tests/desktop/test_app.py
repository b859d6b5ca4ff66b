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
messages.headless_answer = os.environ.get("ANSWER") == "yes"
seen = []

def check():
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, MainWindow) and widget.isVisible():
            timer.stop()
            seen.append((widget.current_key(), widget.location_label.text(), widget.demo_label.isVisibleTo(widget),
                         widget.isMaximized()))
            widget.close()
            QCoreApplication.quit()

timer = QTimer()
timer.setInterval(50)
timer.timeout.connect(check)
timer.start()
rc = run_gui(sys.argv[1] if len(sys.argv) > 1 else None)
print("rc", rc)
print("seen", seen)
print("errors", [m for m in messages.log if m.kind == "error"])
print("asked", [m.text for m in messages.log if m.kind == "ask"])
"""


def _run_first(tmp_path, *args: str, answer: str = "no"):  # noqa: ANN202
    import os
    import subprocess
    import sys

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"), ANSWER=answer)
    result = subprocess.run([sys.executable, "-c", FIRST_RUN, *args], capture_output=True, text=True,
                            env=env, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "rc 0" in result.stdout
    assert "errors []" in result.stdout
    return result.stdout


def test_first_run_fills_the_default_file_with_the_demo_opens_maximized_and_marks_it(_isolated_data_dir, tmp_path):
    """No --db: the default data file is filled on its first run, without asking.

    In a fresh process: QApplication.exec() cannot be re-entered cleanly inside pytest-qt.
    """
    from db.engine import default_database_path
    from db.settings import demo_info
    from db.store import Store

    out = _run_first(tmp_path)
    path = default_database_path()
    assert f"seen [('overview', '数据文件：{path}', True, True)]" in out
    assert "asked []" in out
    store = Store.open(str(path))
    try:
        assert not store_is_empty(store)
        assert demo_info(store) == {"scale": "county", "seed": 2026}
    finally:
        store.dispose()
    # Window geometry went to the isolated config folder.
    assert list((tmp_path / "config").rglob("EduBridge*"))


def test_an_explicit_empty_database_is_asked_about_and_stays_empty_on_no(db_path, tmp_path):
    from db.store import Store
    from desktop.app import ASK_DEMO_TEXT

    Store.open(str(db_path)).dispose()
    out = _run_first(tmp_path, str(db_path), answer="no")
    assert f"seen [('overview', '数据文件：{db_path}', False, True)]" in out
    assert f"asked [{ASK_DEMO_TEXT!r}]" in out
    store = Store.open(str(db_path))
    try:
        assert store_is_empty(store)
    finally:
        store.dispose()


def test_prepare_store_loads_the_demo_into_an_explicit_database_only_on_yes(gui, store, monkeypatch, qtbot):
    from db.settings import demo_info
    from desktop.app import ASK_DEMO_TEXT, prepare_store

    monkeypatch.setattr(messages, "headless_answer", False)
    assert prepare_store(store, explicit=True) is False
    assert [m.text for m in messages.log if m.kind == "ask"] == [ASK_DEMO_TEXT]
    assert store_is_empty(store) and demo_info(store) is None

    monkeypatch.setattr(messages, "headless_answer", True)
    assert prepare_store(store, explicit=True) is True
    assert not store_is_empty(store)
    assert demo_info(store) == {"scale": "county", "seed": 2026}
    # Not empty any more: nothing is asked or loaded again.
    messages.log.clear()
    assert prepare_store(store, explicit=True) is False
    assert messages.log == []


def test_a_store_without_the_demo_marker_is_not_called_demo(gui, small_store):
    from db.settings import demo_info

    assert demo_info(small_store) is None


def test_a_double_clicked_data_package_opens_the_gui_with_the_file(monkeypatch):
    """The installers associate .ebpkg with ``edubridge FILE``: the GUI gets the file, not argparse."""
    import desktop.app
    from desktop.cli import main

    seen = []
    monkeypatch.setattr(desktop.app, "run_gui", lambda db, package=None: seen.append((db, package)) or 0)
    assert main(["/home/clerk/下载/县局下发.ebpkg"]) == 0
    assert seen == [(None, "/home/clerk/下载/县局下发.ebpkg")]


def test_a_package_this_build_cannot_import_is_said_plainly(gui):
    from desktop.app import open_package

    open_package(object(), "x.ebpkg")
    assert [(m.kind, m.title) for m in messages.log] == [("warn", "无法打开数据包")]
