"""Sign-in, the first administrator, password change and the audit viewer, typed into the
real widgets (offscreen)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from db.models import Setting
from desktop import messages


def press_ok(qtbot, dialog) -> None:  # noqa: ANN001
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)


def test_sign_in_dialog_signs_in_and_says_why_not(gui, store, qtbot):
    from db.users import add_user
    from desktop.accounts import SignInDialog, status_text

    add_user(store, "boss", "admin", "secret123")
    dialog = SignInDialog(store, "boss")
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.password, "wrong-pass1")
    press_ok(qtbot, dialog)
    assert dialog.error.text() == "用户名或密码错误" and store.actor.setup
    assert dialog.password.text() == ""  # never kept in the widget
    qtbot.keyClicks(dialog.password, "secret123")
    press_ok(qtbot, dialog)
    assert dialog.result() == dialog.DialogCode.Accepted
    assert store.actor.username == "boss" and not store.actor.setup
    assert status_text(store) == "用户：boss（管理员）"


def test_first_admin_then_password_change(gui, store, qtbot):
    from desktop.accounts import SETUP_TEXT, CreateAdminDialog, PasswordDialog, status_text

    assert status_text(store) == SETUP_TEXT
    create = CreateAdminDialog(store)
    qtbot.addWidget(create)
    qtbot.keyClicks(create.username, "admin1")
    qtbot.keyClicks(create.password, "secret123")
    qtbot.keyClicks(create.again, "secret124")
    press_ok(qtbot, create)
    assert "不一致" in create.error.text() and not store.has_users()
    create.again.clear()
    qtbot.keyClicks(create.again, "secret123")
    press_ok(qtbot, create)
    assert store.has_users() and store.actor.username == "admin1"
    change = PasswordDialog(store)
    qtbot.addWidget(change)
    qtbot.keyClicks(change.old, "secret123")
    qtbot.keyClicks(change.new, "newsecret1")
    qtbot.keyClicks(change.again, "newsecret1")
    press_ok(qtbot, change)
    assert change.result() == change.DialogCode.Accepted
    from db.users import sign_in

    sign_in(store, "admin1", "newsecret1")


def test_audit_page_filters_and_exports(gui, store, qtbot, tmp_path, monkeypatch):
    from openpyxl import load_workbook

    from desktop.context import AppContext
    from desktop.pages.audit import AuditPage

    for i in range(3):
        with store.write(f"设置 {i}") as s:
            s.add(Setting(key=f"k{i}", value={"i": i}))
    page = AuditPage(AppContext.for_store(store))
    qtbot.addWidget(page)
    page.refresh()
    assert page.model.rowCount() == 3
    page.record.setText("k1")
    qtbot.mouseClick(page.findChild(type(page.verify_button), "auditSearch"), Qt.MouseButton.LeftButton)
    assert page.model.rowCount() == 1 and page.model.row_at(0).after == {"key": "k1", "value": {"i": 1}}
    page.use_dates.setChecked(True)
    page.since.setDate(page.since.date().addDays(-1))
    page.refresh_rows()
    assert page.model.rowCount() == 1
    monkeypatch.setattr(messages, "headless_path", tmp_path / "审计.xlsx")
    page.export()
    sheet = load_workbook(tmp_path / "审计.xlsx")["审计日志"]
    assert [c.value for c in sheet[1]][:4] == ["序号", "时间（UTC）", "人员", "操作"]
    assert sheet.cell(2, 6).value == "k1" and sheet.cell(2, 4).value == "新增"


def test_audit_page_verify_names_the_broken_entry(gui, store, db_path, qtbot):
    import sqlite3

    from desktop.context import AppContext
    from desktop.pages.audit import AuditPage

    for i in range(3):
        with store.write() as s:
            s.add(Setting(key=f"k{i}", value={"i": i}))
    with sqlite3.connect(db_path) as c:
        c.execute("UPDATE audit_entry SET note = '改过' WHERE id = 2")
    page = AuditPage(AppContext.for_store(store))
    qtbot.addWidget(page)
    page.verify()
    qtbot.waitUntil(lambda: page.verify_button.isEnabled(), timeout=10_000)
    assert messages.log[-1].kind == "warn" and "第 2 条" in messages.log[-1].text
