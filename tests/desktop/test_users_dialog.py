"""账户管理: an administrator adds accounts, resets a password, unlocks and deactivates,
typed into the real widgets (offscreen); refusals appear in the dialog; a clerk changes
their own password from the 账户 menu."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMainWindow
from sqlalchemy import select

from db.models import AuditEntry, Region, School


def press_ok(qtbot, dialog) -> None:  # noqa: ANN001
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)


def click(qtbot, button) -> None:  # noqa: ANN001
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


@pytest.fixture
def admin(store):  # noqa: ANN001, ANN201
    from db.users import add_user, sign_in

    with store.write("建校") as s:
        region = Region(code="640100", name="测试县", level="县区")
        s.add(region)
        s.flush()
        s.add(School(code="6401000001", name="东村小学", stage="小学", location="乡村", region_id=region.id))
        s.add(School(code="6401000002", name="西关中学", stage="初中", location="城区", region_id=region.id))
    add_user(store, "boss", "admin", "secret123", display_name="王局")
    sign_in(store, "boss", "secret123")
    return store


def test_add_a_principal_with_a_school_errors_in_the_dialog(gui, admin, qtbot):
    from db.users import list_users, school_choices
    from desktop.users_dialog import AddUserDialog

    dialog = AddUserDialog(admin, school_choices(admin))
    qtbot.addWidget(dialog)
    assert not dialog.school.isEnabled()  # only a principal has a school
    qtbot.keyClicks(dialog.username, "zhang")
    dialog.display_name.setText("张校长")  # QTest types ASCII only
    dialog.role.setCurrentIndex(dialog.role.findText("校长"))
    assert dialog.school.isEnabled()
    qtbot.keyClicks(dialog.password, "short1")
    qtbot.keyClicks(dialog.again, "short1")
    press_ok(qtbot, dialog)
    assert dialog.error.text() == "校长账户须选择所在学校"
    dialog.school.setCurrentIndex(dialog.school.findText("西关中学（6401000002）"))
    press_ok(qtbot, dialog)
    assert dialog.error.text() == "密码至少 8 个字符" and dialog.result() != dialog.DialogCode.Accepted
    dialog.password.setText("school2025")
    press_ok(qtbot, dialog)
    assert dialog.error.text() == "两次输入的密码不一致"
    dialog.again.setText("school2025")
    press_ok(qtbot, dialog)
    assert dialog.result() == dialog.DialogCode.Accepted
    zhang = next(u for u in list_users(admin) if u.username == "zhang")
    assert (zhang.role, zhang.school_code, zhang.display_name) == ("principal", "6401000002", "张校长")
    with admin.read() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.entity == "app_user", AuditEntry.action == "insert",
                                                  AuditEntry.note == "新增用户 zhang"))
    assert entry.actor == "boss" and entry.after["password_hash"] == "***"


def test_unlock_deactivate_and_reset_from_the_list(gui, admin, qtbot, qtmodeltester):
    from test_table_models import check_model

    from db.users import SignInError, add_user, sign_in
    from desktop.users_dialog import ResetPasswordDialog, UsersDialog

    add_user(admin, "li", "clerk", "clerk2025")
    clerk_store = type(admin)(admin.engine)
    for _ in range(20):  # up to the profile's lock-out figure
        with pytest.raises(SignInError) as failed:
            sign_in(clerk_store, "li", "wrong-pass1")
        if "已锁定" in str(failed.value):
            break
    dialog = UsersDialog(admin)
    qtbot.addWidget(dialog)
    rows = {u.username: i for i, u in enumerate(dialog.model.rows())}
    check_model(dialog.model, qtmodeltester)
    assert dialog.model.index(rows["li"], 4).data().startswith("已锁定")
    assert dialog.model.index(rows["boss"], 2).data() == "管理员"
    dialog.view.selectRow(rows["li"])
    assert dialog.unlock_button.isEnabled()
    click(qtbot, dialog.unlock_button)
    assert dialog.done_text.text() == "已解锁用户“li”" and dialog.model.index(rows["li"], 4).data() == "正常"
    sign_in(clerk_store, "li", "clerk2025")
    click(qtbot, dialog.active_button)  # 停用
    assert dialog.model.index(rows["li"], 4).data() == "已停用" and dialog.active_button.text() == "启用"
    with pytest.raises(SignInError, match="已停用"):
        sign_in(clerk_store, "li", "clerk2025")
    reset = ResetPasswordDialog(admin, "li")
    qtbot.addWidget(reset)
    qtbot.keyClicks(reset.new, "fresh2026a")
    qtbot.keyClicks(reset.again, "fresh2026a")
    press_ok(qtbot, reset)
    assert reset.result() == reset.DialogCode.Accepted
    click(qtbot, dialog.active_button)  # 启用
    assert sign_in(clerk_store, "li", "fresh2026a").role == "clerk"
    dialog.view.selectRow(rows["boss"])
    click(qtbot, dialog.active_button)
    assert not dialog.error.isHidden() and dialog.error.text() == "不能停用自己正在使用的账户"
    with admin.read() as s:
        notes = set(s.scalars(select(AuditEntry.note).where(AuditEntry.entity == "app_user")))
    assert {"管理员解锁 li", "管理员停用 li", "管理员启用 li", "管理员重设 li 的密码"} <= notes


def test_a_clerk_changes_their_own_password_from_the_menu_and_cannot_manage(gui, admin, qtbot):
    from db.users import add_user, sign_in
    from desktop import accounts
    from desktop.accounts import PasswordDialog
    from desktop.context import AppContext

    add_user(admin, "li", "clerk", "clerk2025")
    sign_in(admin, "li", "clerk2025")
    window = QMainWindow()
    qtbot.addWidget(window)
    window.context = AppContext.for_store(admin)  # type: ignore[attr-defined]
    window.menuBar().addMenu("帮助(&H)")
    accounts.install(window)
    actions = {a.text(): a for m in window.menuBar().actions() if m.menu() for a in m.menu().actions()}
    assert actions["修改密码(&P)…"].isEnabled() and not actions["账户管理(&U)…"].isVisible()
    dialog = PasswordDialog(admin)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.old, "clerk2025")
    qtbot.keyClicks(dialog.new, "newer2026b")
    qtbot.keyClicks(dialog.again, "newer2026b")
    press_ok(qtbot, dialog)
    assert dialog.result() == dialog.DialogCode.Accepted
    assert sign_in(admin, "li", "newer2026b").username == "li"
    sign_in(admin, "boss", "secret123")
    admin_window = QMainWindow()
    qtbot.addWidget(admin_window)
    admin_window.context = AppContext.for_store(admin)  # type: ignore[attr-defined]
    admin_window.menuBar().addMenu("帮助(&H)")
    accounts.install(admin_window)
    shown = {a.text(): a for m in admin_window.menuBar().actions() if m.menu() for a in m.menu().actions()}
    assert shown["账户管理(&U)…"].isVisible()


def test_only_an_admin_manages_accounts_and_one_stays_active(admin):
    from db.guard import PermissionDenied
    from db.users import add_user, set_active, sign_in, unlock

    add_user(admin, "li", "clerk", "clerk2025")
    add_user(admin, "boss2", "admin", "secret1234")
    other = type(admin)(admin.engine)  # a second administrator at another computer
    sign_in(other, "boss2", "secret1234")
    set_active(other, "boss", False)  # boss, still signed in here, is now deactivated
    with pytest.raises(Exception, match="不能停用最后一个启用的管理员账户"):
        set_active(admin, "boss2", False)
    sign_in(admin, "li", "clerk2025")
    with pytest.raises(PermissionDenied, match="只有管理员"):
        unlock(admin, "boss")
