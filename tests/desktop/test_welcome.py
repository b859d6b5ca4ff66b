"""The welcome page of a first start: demo county, blank county with its templates, bureau server."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import QSettings, Qt

from db.engine import StoreError
from db.settings import county_started
from desktop import messages, welcome
from desktop.app import store_is_empty


@pytest.fixture
def no_saved_server():
    QSettings().remove(welcome.SERVER_KEY)
    yield
    QSettings().remove(welcome.SERVER_KEY)


def test_the_demo_button_chooses_the_demo(gui, qtbot):
    dialog = welcome.WelcomeDialog()
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.demo_button, Qt.MouseButton.LeftButton)
    assert dialog.choice == welcome.Start("demo") and dialog.result() == dialog.DialogCode.Accepted


def test_a_blank_county_asks_for_a_folder_and_cancelling_chooses_nothing(gui, qtbot, monkeypatch, tmp_path):
    dialog = welcome.WelcomeDialog()
    qtbot.addWidget(dialog)
    monkeypatch.setattr(messages, "headless_path", None)  # the folder dialog cancelled
    qtbot.mouseClick(dialog.blank_button, Qt.MouseButton.LeftButton)
    assert dialog.choice is None
    monkeypatch.setattr(messages, "headless_path", tmp_path / "模板")
    qtbot.mouseClick(dialog.blank_button, Qt.MouseButton.LeftButton)
    assert dialog.choice == welcome.Start("blank", folder=tmp_path / "模板")


def test_first_run_of_a_blank_county_writes_the_numbered_templates_and_is_not_asked_again(
        gui, store, monkeypatch, tmp_path):
    folder = tmp_path / "我的县"
    monkeypatch.setattr(welcome, "headless_choice", welcome.Start("blank", folder=folder))
    assert welcome.first_run(store) is store
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["1 学校.xlsx", "2 集团与教共体.xlsx", "3 教师.xlsx", "4 免于交流.xlsx", "5 学科需求.xlsx",
                     "6 帮扶活动.xlsx"]
    for name in names:
        load_workbook(folder / name, read_only=True).close()
    assert store_is_empty(store) and county_started(store)  # empty, but the clerk's own county
    shown = [m for m in messages.log if m.kind == "info"]
    assert len(shown) == 1 and "1 学校.xlsx" in shown[0].text


def test_a_server_address_that_is_not_postgresql_is_refused_in_chinese(gui):
    with pytest.raises(StoreError, match="postgresql\\+psycopg://"):
        welcome.connect_server("mysql://x@y/z")


def test_a_server_that_does_not_answer_keeps_the_page_open_with_the_reason(gui, qtbot):
    dialog = welcome.WelcomeDialog()
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.server_button, Qt.MouseButton.LeftButton)
    assert dialog.server_box.isVisibleTo(dialog)
    qtbot.keyClicks(dialog.server_edit, "postgresql+psycopg://nobody@127.0.0.1:1/none")
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    assert dialog.choice is None
    errors = [m for m in messages.log if m.kind == "error"]
    assert [m.title for m in errors] == ["无法连接服务器"]


@pytest.mark.postgres
def test_connecting_to_the_bureau_server_saves_it_for_the_next_start(gui, store, pg_url, no_saved_server, monkeypatch):
    server = welcome.connect_server(pg_url)
    monkeypatch.setattr(welcome, "headless_choice", welcome.Start("server", store=server))
    try:
        opened = welcome.first_run(store)
        assert opened is server
        assert welcome.saved_server() == server.engine.url.render_as_string(hide_password=False)
    finally:
        server.dispose()


def test_without_a_saved_server_the_default_file_is_opened(gui, no_saved_server):
    assert welcome.saved_server() is None


def test_a_saved_server_that_no_longer_answers_can_be_forgotten(gui, no_saved_server, monkeypatch):
    QSettings().setValue(welcome.SERVER_KEY, "postgresql+psycopg://x@127.0.0.1:1/gone")
    monkeypatch.setattr(messages, "headless_answer", False)
    assert welcome.forget_server("连接被拒绝") is False
    assert welcome.saved_server() == "postgresql+psycopg://x@127.0.0.1:1/gone"
    monkeypatch.setattr(messages, "headless_answer", True)
    assert welcome.forget_server("连接被拒绝") is True
    assert welcome.saved_server() is None
    asked = [m for m in messages.log if m.kind == "ask"]
    assert len(asked) == 2 and "连接被拒绝" in asked[0].text
