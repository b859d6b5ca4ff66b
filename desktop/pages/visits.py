"""帮扶活动: quick entry of one activity, the quota dashboard, pairings register, semester summaries.

Quick entry is one screen for a principal typing after a visit: tab order follows the
form top to bottom, Enter in a visitor field adds the visitor, Ctrl+S saves, and the last
host school, activity type and date are remembered per database (QSettings). People and schools
complete as you type. Attachments are read into memory and stored in the database.
No rule lives here: ``db.visits`` saves and loads, ``policy.quotas`` judges.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from db import visits as dv
from db.engine import StoreError
from db.versions import StaleRecord
from desktop import messages
from desktop.context import AppContext
from desktop.models.visit_models import (
    ClusterDashboardModel,
    ClusterTally,
    DutyModel,
    PairingModel,
    QuotaModel,
    RecentVisitsModel,
    SummaryModel,
    TodoModel,
)
from desktop.widgets import DateEdit, EmptyStack, HeaderSort, fit_columns, setup_table
from desktop.worker import run_in_background
from policy import vocab
from policy.calendar import Semester, semester_of
from policy.progress import Progress
from policy.quotas import by_cluster, days_left, tally, todo_list


def _table(model: Any) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(True)
    return setup_table(view)


#: Column limits of each table, applied once when it first has rows (see ``VisitsPage._fit``).
RECENT_FIT: dict[str, Any] = {"limits": {1: 170, 5: 260, 6: 320}}
CLUSTER_FIT: dict[str, Any] = {"limits": {0: 200}}
QUOTA_FIT: dict[str, Any] = {"limits": {1: 200, 3: 220, 4: 200, 8: 260, 9: 260}}
DUTY_FIT: dict[str, Any] = {"limits": {0: 120, 1: 140, 2: 200, 7: 240}}
TODO_FIT: dict[str, Any] = {"stretch": 3, "limits": {0: 220, 1: 240, 3: 420, 4: 260}}
#: The pairing list: 帮扶方 and 受援方 share what the kind, dates, figures and note leave, so
#: every column fits beside the form at 1366×768 (issue 16: 结束 needed horizontal scrolling).
PAIRING_FIT: dict[str, Any] = {"stretch": (1, 2), "limits": {0: 130, 7: 120}}
#: The entry form beside the pairing list is kept to this width; the list takes the rest.
PAIRING_FORM_WIDTH = 380
SUMMARY_FIT: dict[str, Any] = {"limits": {0: 220, 2: 160, 3: 260, 4: 220, 5: 220}}
EMPTY_RECENT = ("尚无帮扶活动记录。在左侧填写后按“保存 (Ctrl+S)”，"
                "或使用 edubridge import visits 活动.xlsx 批量导入。")


def _semester_codes(today: dt.date, dates: Any) -> list[Semester]:
    current = semester_of(today, dates)
    result = []
    year, number = current.year, current.number
    for _ in range(6):
        result.append(Semester(year, number))
        year, number = (year, 1) if number == 2 else (year - 1, 2)
    return result


class SchoolField(QLineEdit):
    """A school typed by name or code, completed from the store; ``school_id`` once matched."""

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self._by_text: dict[str, uuid.UUID] = {}
        self._by_key: dict[str, uuid.UUID] = {}
        self._completer = QCompleter([], self)
        self._completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.setCompleter(self._completer)

    def set_choices(self, choices: list[dv.SchoolChoice]) -> None:
        self._by_text = {c.text: c.id for c in choices}
        self._by_key = {}
        for c in choices:
            self._by_key.setdefault(c.code, c.id)
            self._by_key.setdefault(c.name, c.id)
        self._completer.model().setStringList(list(self._by_text))  # type: ignore[attr-defined]  # the QStringListModel given in __init__

    def school_id(self) -> uuid.UUID | None:
        text = self.text().strip()
        return self._by_text.get(text) or self._by_key.get(text)

    def text_for(self, school_id: uuid.UUID | None) -> str:
        for text, sid in self._by_text.items():
            if sid == school_id:
                return text
        return ""


class VisitsPage(QWidget):
    """The 帮扶活动 page (contract: desktop/pages/base.py)."""

    saved = Signal(object)  # visit id, after the list shows it
    dashboard_ready = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None, settings: QSettings | None = None,
                 today: dt.date | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.settings = settings or QSettings()
        self.today = today or dt.date.today()
        self._people: dict[str, dv.PersonChoice] = {}
        self._visitors: list[dv.VisitorDraft] = []
        self._attachments: list[dv.AttachmentDraft] = []
        #: The saved activity being corrected (保存 updates it), and which of its files stay.
        self.editing: dv.StoredVisit | None = None
        self._keep: set[uuid.UUID] = set()
        self._inputs: dv.QuotaInputs | None = None
        self._fitted: set[QTableView] = set()
        self.last_save_ms: float | None = None

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_entry(), "登记活动")
        self.tabs.addTab(self._build_dashboard(), "指标看板")
        self.tabs.addTab(self._build_pairings(), "结对登记")
        self.tabs.addTab(self._build_summaries(), "学期总结")
        self.tabs.addTab(self._build_duties(), "帮扶责任人")
        self.tabs.currentChanged.connect(self._tab_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.tabs)
        shortcut = QShortcut(QKeySequence("Ctrl+S"), self)
        shortcut.activated.connect(self.save)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._restore_last_values()

    # ------------------------------------------------------------------ quick entry
    def _build_entry(self) -> QWidget:
        page = QWidget()
        form_box = QGroupBox("活动")
        form = QFormLayout(form_box)
        self.date_edit = DateEdit(self.today)
        self.host_edit = SchoolField("承办学校名称或代码")
        self.type_combo = QComboBox()
        self.type_combo.addItems(vocab.ACTIVITY_TYPES)
        self.lessons_spin = QSpinBox()
        self.lessons_spin.setRange(0, 200)
        self.lessons_spin.setSuffix(" 节")
        self.summary_edit = QPlainTextEdit()
        self.summary_edit.setPlaceholderText("内容摘要（可选）")
        self.summary_edit.setTabChangesFocus(True)
        self.summary_edit.setFixedHeight(56)
        form.addRow("日期", self.date_edit)
        form.addRow("承办学校", self.host_edit)
        form.addRow("活动类型", self.type_combo)
        form.addRow("听课节数", self.lessons_spin)
        form.addRow("内容摘要", self.summary_edit)

        visitor_box = QGroupBox("来访人员（回车添加）")
        grid = QGridLayout(visitor_box)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("姓名")
        self._people_completer = QCompleter([], self)
        self._people_completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._people_completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self._people_completer.activated.connect(self._person_chosen)
        self.name_edit.setCompleter(self._people_completer)
        self.role_combo = QComboBox()
        self.role_combo.addItems(vocab.VISITOR_ROLES)
        self.home_edit = SchoolField("所在学校（教研员、局机关留空）")
        self.add_visitor_button = QPushButton("添加")
        self.add_visitor_button.clicked.connect(self.add_visitor)
        self.name_edit.returnPressed.connect(self.add_visitor)
        self.home_edit.returnPressed.connect(self.add_visitor)
        grid.addWidget(self.name_edit, 0, 0)
        grid.addWidget(self.role_combo, 0, 1)
        grid.addWidget(self.home_edit, 0, 2)
        grid.addWidget(self.add_visitor_button, 0, 3)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(2, 3)
        self.visitor_table = QTableWidget(0, 3)
        self.visitor_table.setHorizontalHeaderLabels(["姓名", "角色", "所在学校"])
        self.visitor_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.visitor_table.verticalHeader().setVisible(False)
        self.visitor_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.visitor_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.visitor_table.setMinimumHeight(80)
        self.remove_visitor_button = QPushButton("移除所选人员")
        self.remove_visitor_button.clicked.connect(self.remove_visitor)
        grid.addWidget(self.visitor_table, 1, 0, 1, 4)
        grid.addWidget(self.remove_visitor_button, 2, 3)

        files_box = QGroupBox("附件（照片、签到表等，保存在数据库中）")
        files_layout = QHBoxLayout(files_box)
        self.attachment_list = QListWidget()
        self.attachment_list.setMaximumHeight(56)
        self.add_file_button = QPushButton("添加附件…")
        self.add_file_button.clicked.connect(self.choose_attachment)
        self.remove_file_button = QPushButton("移除附件")
        self.remove_file_button.clicked.connect(self.remove_attachment)
        file_buttons = QVBoxLayout()
        file_buttons.addWidget(self.add_file_button)
        file_buttons.addWidget(self.remove_file_button)
        files_layout.addWidget(self.attachment_list, 1)
        files_layout.addLayout(file_buttons)

        buttons = QHBoxLayout()
        self.status_label = QLabel("")
        self.save_button = QPushButton("保存 (Ctrl+S)")
        self.save_button.setDefault(False)
        self.save_button.clicked.connect(self.save)
        self.clear_button = QPushButton("清空")
        self.clear_button.clicked.connect(self.clear_form)
        buttons.addWidget(self.status_label, 1)
        buttons.addWidget(self.clear_button)
        buttons.addWidget(self.save_button)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(form_box)
        left_layout.addWidget(visitor_box, 1)
        left_layout.addWidget(files_box)
        left_layout.addLayout(buttons)

        self.recent_model = RecentVisitsModel(self)
        self.recent_view = _table(self.recent_model)
        right = QGroupBox("最近登记的活动")
        right_layout = QVBoxLayout(right)
        self.recent_stack = EmptyStack(self.recent_view, EMPTY_RECENT)
        right_layout.addWidget(self.recent_stack)
        recent_buttons = QHBoxLayout()
        self.edit_visit_button = QPushButton("修改所选…")
        self.edit_visit_button.clicked.connect(self.edit_selected)
        self.delete_visit_button = QPushButton("删除所选…")
        self.delete_visit_button.clicked.connect(self.delete_selected)
        self.open_files_button = QPushButton("打开附件…")
        self.open_files_button.clicked.connect(self.open_selected_attachments)
        recent_buttons.addStretch(1)
        for button in (self.open_files_button, self.edit_visit_button, self.delete_visit_button):
            recent_buttons.addWidget(button)
        right_layout.addLayout(recent_buttons)
        self.recent_view.doubleClicked.connect(lambda _index: self.edit_selected())

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(page)
        layout.addWidget(splitter)
        for first, second in [
            (self.date_edit, self.host_edit), (self.host_edit, self.type_combo), (self.type_combo, self.lessons_spin),
            (self.lessons_spin, self.summary_edit), (self.summary_edit, self.name_edit), (self.name_edit, self.role_combo),
            (self.role_combo, self.home_edit), (self.home_edit, self.add_visitor_button),
            (self.add_visitor_button, self.add_file_button), (self.add_file_button, self.save_button),
        ]:
            QWidget.setTabOrder(first, second)
        return page

    def _person_chosen(self, text: str) -> None:
        person = self._people.get(text)
        if person is None:
            return
        self.name_edit.setText(person.name)
        self.role_combo.setCurrentText(person.role)
        self.home_edit.setText(self.home_edit.text_for(person.home_school_id))

    def add_visitor(self) -> None:
        """Add the typed visitor to the list (Enter in the name or school field)."""
        name = self.name_edit.text().strip()
        if not name:
            if self._visitors:  # Enter on an empty name moves on to saving
                self.save_button.setFocus()
            return
        person = self._people.get(name)
        if person is not None:  # the completion text itself was typed
            self._person_chosen(name)
            name = person.name
        role = self.role_combo.currentText()
        home_text = self.home_edit.text().strip()
        home = self.home_edit.school_id()
        if home_text and home is None:
            messages.warn(self, "找不到学校", f"没有名为或代码为“{home_text}”的学校，请从提示中选择")
            self.home_edit.setFocus()
            return
        teacher = person.teacher_id if person is not None and person.home_school_id == home else None
        self._show_visitor(dv.VisitorDraft(name, role, home, teacher))
        self.settings.setValue(f"{self.context.settings_group}/visits/last_role", role)
        self.settings.setValue(f"{self.context.settings_group}/visits/last_home", self.home_edit.text())
        self.name_edit.clear()
        self.name_edit.setFocus()

    def _show_visitor(self, visitor: dv.VisitorDraft) -> None:
        self._visitors.append(visitor)
        row = self.visitor_table.rowCount()
        self.visitor_table.insertRow(row)
        home = self.home_edit.text_for(visitor.home_school_id) if visitor.home_school_id else "—"
        for column, text in enumerate((visitor.name, visitor.role, home)):
            self.visitor_table.setItem(row, column, QTableWidgetItem(text))

    def remove_visitor(self) -> None:
        rows = sorted({i.row() for i in self.visitor_table.selectedIndexes()}, reverse=True)
        for row in rows:
            self.visitor_table.removeRow(row)
            del self._visitors[row]

    def choose_attachment(self) -> None:
        path = messages.open_file(self, "选择附件", "图片和文档 (*.jpg *.jpeg *.png *.pdf *.doc *.docx *.xls *.xlsx);;所有文件 (*)")
        if path is not None:
            self.add_attachment(path)

    def add_attachment(self, path: Path) -> None:
        try:
            item = dv.AttachmentDraft.from_path(Path(path))
        except (OSError, dv.VisitError) as exc:
            messages.error(self, "无法添加附件", str(exc))
            return
        self._attachments.append(item)
        self.attachment_list.addItem(f"{item.filename}（{max(1, len(item.data) // 1024)} KB）")

    def remove_attachment(self) -> None:
        """Drop the selected file: a new one from the list, a stored one from what is kept."""
        row = self.attachment_list.currentRow()
        if row < 0:
            return
        item = self.attachment_list.takeItem(row)
        stored = item.data(Qt.ItemDataRole.UserRole)
        if stored is not None:
            self._keep.discard(stored)
        else:
            stored_rows = sum(1 for r in range(row) if self.attachment_list.item(r).data(Qt.ItemDataRole.UserRole))
            del self._attachments[row - stored_rows]

    def draft(self) -> dv.VisitDraft:
        host = self.host_edit.school_id()
        if host is None:
            raise dv.VisitError("请从提示中选择承办学校")
        return dv.VisitDraft(
            date=self.date_edit.value(), host_school_id=host, activity_type=self.type_combo.currentText(),
            lessons=self.lessons_spin.value(), summary=self.summary_edit.toPlainText(),
            visitors=list(self._visitors), attachments=list(self._attachments),
        )

    def save(self) -> None:
        """Save the activity (Ctrl+S); the list shows it at once; the form keeps date/host/type."""
        if self.tabs.currentIndex() != 0:
            return
        if self.name_edit.text().strip():  # a visitor typed but not yet added
            self.add_visitor()
        started = time.perf_counter()
        try:
            draft = self.draft()
            if self.editing is not None:
                dv.update_visit(self.context.store, self.editing.id, draft, self._keep, self.editing.row_version)
                visit_id = self.editing.id
            else:
                visit_id = dv.save_visit(self.context.store, draft)
        except StaleRecord as exc:  # changed by someone else since it was loaded: nothing written
            assert self.editing is not None
            stale_id = self.editing.id
            if messages.ask(self, "无法保存", f"{exc}。\n\n现在重新载入该活动吗？（表单中的修改将被放弃）"):
                self.recent_model.set_rows(dv.recent_visits(self.context.store))
                self.edit_visit(stale_id)
            return
        except dv.VisitError as exc:
            messages.warn(self, "无法保存", str(exc))
            return
        except StoreError as exc:  # PermissionDenied, database errors
            messages.error(self, "保存失败", str(exc))
            return
        if self.editing is not None:
            self.recent_model.set_rows(dv.recent_visits(self.context.store))
            self.status_label.setText(f"已修改：{draft.date.isoformat()} {draft.activity_type}")
            self._stop_editing()
            self._clear_people()
            self._inputs = None
            self.saved.emit(visit_id)
            return
        self.recent_model.prepend(dv.VisitListRow(
            visit_id, draft.date, self.host_edit.text().split("（")[0], draft.activity_type,
            "、".join(f"{v.name}（{v.role}）" for v in draft.visitors), draft.lessons, len(draft.attachments),
            (draft.summary or "").strip(),
        ))
        self.recent_stack.set_empty(False)
        self._fit(self.recent_view, RECENT_FIT)
        self.last_save_ms = (time.perf_counter() - started) * 1000
        self._inputs = None
        self._remember()
        self.status_label.setText(f"已保存：{draft.date.isoformat()} {draft.activity_type}，{len(draft.visitors)} 人")
        self._clear_people()
        self.name_edit.setFocus()
        self.saved.emit(visit_id)

    def _clear_people(self) -> None:
        self._visitors.clear()
        self._attachments.clear()
        self.visitor_table.setRowCount(0)
        self.attachment_list.clear()
        self.summary_edit.clear()
        self.lessons_spin.setValue(0)

    def unsaved_input(self) -> str:
        """What leaving this database would drop: an activity typed (or being corrected) not saved."""
        if self.editing is not None:
            return "正在修改的帮扶活动尚未保存"
        if self._visitors or self.name_edit.text().strip() or self.summary_edit.toPlainText().strip():
            return "录入中的帮扶活动尚未保存"
        return ""

    def clear_form(self) -> None:
        self._stop_editing()
        self._clear_people()
        self.name_edit.clear()
        self.status_label.clear()

    # ---- correcting what was saved
    def selected_visit_id(self) -> uuid.UUID | None:
        rows = self.recent_view.selectionModel().selectedRows() if self.recent_view.selectionModel() else []
        return self.recent_model.row_at(rows[0].row()).id if rows else None

    def edit_selected(self) -> None:
        """Load the selected activity into the form; 保存 then corrects it instead of adding one."""
        visit_id = self.selected_visit_id()
        if visit_id is None:
            messages.info(self, "修改活动", "请先在右侧列表中选择一项活动")
            return
        self.edit_visit(visit_id)

    def edit_visit(self, visit_id: uuid.UUID) -> None:
        """Load a saved activity into the form as it is stored now (also after a refused save)."""
        try:
            stored = dv.load_visit(self.context.store, visit_id)
        except dv.VisitError as exc:
            self._stop_editing()
            messages.warn(self, "无法修改", str(exc))
            return
        self.tabs.setCurrentIndex(0)
        self._clear_people()
        draft = stored.draft
        self.editing, self._keep = stored, {a for a, _n, _s in stored.attachments}
        self.date_edit.set_value(draft.date)
        self.host_edit.setText(self.host_edit.text_for(draft.host_school_id) or stored.host_label)
        self.type_combo.setCurrentText(draft.activity_type)
        self.lessons_spin.setValue(draft.lessons)
        self.summary_edit.setPlainText(draft.summary or "")
        for visitor in draft.visitors:
            self._show_visitor(visitor)
        for attachment_id, filename, size in stored.attachments:
            item = QListWidgetItem(f"{filename}（{max(1, size // 1024)} KB，已保存）")
            item.setData(Qt.ItemDataRole.UserRole, attachment_id)
            self.attachment_list.addItem(item)
        self.save_button.setText("保存修改 (Ctrl+S)")
        self.clear_button.setText("取消修改")
        self.status_label.setText(f"正在修改 {draft.date.isoformat()} 在{stored.host_label}的{draft.activity_type}")

    def _stop_editing(self) -> None:
        self.editing, self._keep = None, set()
        self.save_button.setText("保存 (Ctrl+S)")
        self.clear_button.setText("清空")

    def delete_selected(self) -> None:
        visit_id = self.selected_visit_id()
        if visit_id is None:
            messages.info(self, "删除活动", "请先在右侧列表中选择一项活动")
            return
        row = next(r for r in self.recent_model.rows() if r.id == visit_id)
        if not messages.ask(self, "删除活动", f"删除 {row.date.isoformat()} 在{row.host}的{row.activity_type}"
                                              f"（{row.visitors}）？删除会记入审计日志。"):
            return
        try:
            dv.delete_visit(self.context.store, visit_id)
        except StoreError as exc:
            messages.warn(self, "无法删除", str(exc))
            return
        if self.editing is not None and self.editing.id == visit_id:
            self.clear_form()
        self._inputs = None
        self.recent_model.set_rows(dv.recent_visits(self.context.store))
        self.recent_stack.set_empty(not self.recent_model.rowCount())

    def open_selected_attachments(self) -> None:
        """Write the selected activity's files to a temporary folder and open them."""
        visit_id = self.selected_visit_id()
        files = dv.visit_attachments(self.context.store, visit_id) if visit_id is not None else []
        if not files:
            messages.info(self, "打开附件", "所选活动没有附件" if visit_id else "请先在右侧列表中选择一项活动")
            return
        folder = Path(tempfile.mkdtemp(prefix="edubridge-"))
        for attachment_id, *_rest in files:
            filename, _mime, data = dv.attachment_data(self.context.store, attachment_id)
            target = folder / Path(filename).name
            target.write_bytes(data)
            messages.open_path(target)

    def _remember(self) -> None:
        s = self.settings
        s.setValue(f"{self.context.settings_group}/visits/host", self.host_edit.text())
        s.setValue(f"{self.context.settings_group}/visits/activity_type", self.type_combo.currentText())
        s.setValue(f"{self.context.settings_group}/visits/date", self.date_edit.value().isoformat())

    def _restore_last_values(self) -> None:
        s = self.settings
        host = s.value(f"{self.context.settings_group}/visits/host", "")
        if host:
            self.host_edit.setText(str(host))
        kind = s.value(f"{self.context.settings_group}/visits/activity_type", "")
        if kind in vocab.ACTIVITY_TYPES:
            self.type_combo.setCurrentText(str(kind))
        role = s.value(f"{self.context.settings_group}/visits/last_role", "")
        if role in vocab.VISITOR_ROLES:
            self.role_combo.setCurrentText(str(role))
        home = s.value(f"{self.context.settings_group}/visits/last_home", "")
        if home:
            self.home_edit.setText(str(home))
        day = s.value(f"{self.context.settings_group}/visits/date", "")
        if day:
            with contextlib.suppress(ValueError):  # a damaged setting: keep today
                self.date_edit.set_value(dt.date.fromisoformat(str(day)))

    # ------------------------------------------------------------------ dashboard
    def _build_dashboard(self) -> QWidget:
        page = QWidget()
        top = QHBoxLayout()
        self.semester_combo = QComboBox()
        for semester in _semester_codes(self.today, self.context.profile.calendar):
            self.semester_combo.addItem(semester.label, semester.code)
        self.semester_combo.currentIndexChanged.connect(lambda _i: self.load_dashboard())
        self.dashboard_label = QLabel("")
        self.dashboard_label.setWordWrap(True)
        top.addWidget(QLabel("学期"))
        top.addWidget(self.semester_combo)
        top.addWidget(self.dashboard_label, 1)
        self.cluster_model = ClusterDashboardModel(self)
        self.quota_model = QuotaModel(self)
        self.todo_model = TodoModel(self)
        self.cluster_view = _table(self.cluster_model)
        self.quota_view = _table(self.quota_model)
        self.todo_view = _table(self.todo_model)
        self.cluster_view.clicked.connect(self._cluster_clicked)
        self.sorts = [HeaderSort(view) for view in (self.cluster_view, self.quota_view, self.todo_view)]
        self.cluster_filter: str | None = None  # the cluster clicked on the left, None: all
        self._cluster_names: dict[str, str] = {}
        self.filter_label = QLabel("")
        self.clear_filter_button = QPushButton("显示全部集团")
        self.clear_filter_button.setEnabled(False)
        self.clear_filter_button.clicked.connect(lambda: self.filter_cluster(None))
        self.export_behind_button = QPushButton("导出未达标名单…")
        self.export_behind_button.setToolTip("未达标和未开展的各项（按左侧所选集团筛选时只含该集团）存为 Excel，已设置好打印")
        self.export_behind_button.clicked.connect(self.export_behind)
        self.print_button = QPushButton("打印未达标名单…")
        self.print_button.setToolTip("未达标和未开展的各项排成 PDF 后打印（Ctrl+P）")
        self.print_button.clicked.connect(self.print_behind)
        for button in (self.export_behind_button, self.print_button):
            button.setEnabled(False)  # until the figures are in
        top.addWidget(self.filter_label)
        top.addWidget(self.clear_filter_button)
        top.addWidget(self.export_behind_button)
        top.addWidget(self.print_button)
        cluster_box = QGroupBox("按集团(学区)")
        QVBoxLayout(cluster_box).addWidget(self.cluster_view)
        quota_box = QGroupBox("按人员 / 结对 / 教共体（点击左侧集团筛选；点击表头排序）")
        QVBoxLayout(quota_box).addWidget(self.quota_view)
        todo_box = QGroupBox("学期结束前还需开展的帮扶")
        QVBoxLayout(todo_box).addWidget(self.todo_view)
        upper = QSplitter()
        upper.addWidget(cluster_box)
        upper.addWidget(quota_box)
        upper.setStretchFactor(1, 3)
        upper.setSizes([440, 1000])
        self.upper_split = upper
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(upper)
        split.addWidget(todo_box)
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self._rows: list[Any] = []
        self._cluster_ids: list[str] = []
        return page

    def selected_semester(self) -> Semester:
        return Semester.parse(self.semester_combo.currentData())

    def load_dashboard(self) -> Any:
        """Compute the quota table off the GUI thread; returns the job (tests wait on it)."""
        store, profile, semester = self.context.store, self.context.profile, self.selected_semester()
        cached = self._inputs if self._inputs and self._inputs.school_year == semester.year else None
        self.dashboard_label.setText("正在统计…")

        def work(progress: Progress) -> tuple[Any, Any]:
            inputs = cached or dv.load_quota_inputs(store, profile, semester.year)
            progress("统计指标", 0.5)
            return inputs, dv.quota_rows(store, profile, semester, inputs)

        job = run_in_background(work)
        job.finished.connect(lambda result: self._show_dashboard(semester, *result))
        job.failed.connect(lambda message: messages.error(self, "统计失败", message))
        return job

    def _show_dashboard(self, semester: Semester, inputs: dv.QuotaInputs, rows: list[Any]) -> None:
        self._inputs = inputs
        self._rows = rows
        names = {c.id: c.name for c in inputs.clusters}
        tallies = by_cluster(rows)
        ordered = sorted(tallies.items(), key=lambda kv: (kv[0] == "", names.get(kv[0], "")))
        self._cluster_ids = [cid for cid, _ in ordered]
        self.cluster_model.set_rows([
            ClusterTally(names.get(cid, "（未加入集团）"), t.met, t.behind, t.not_started) for cid, t in ordered])
        self._cluster_names = {cid: names.get(cid, "（未加入集团）") for cid, _ in ordered}
        if self.cluster_filter not in self._cluster_names:
            self.cluster_filter = None
        self.filter_cluster(self.cluster_filter)
        total = tally(rows)
        left = days_left(semester, self.today, self.context.profile.calendar)
        self.dashboard_label.setText(
            f"{semester.label}：已达标 {total.met}，未达标 {total.behind}，未开展 {total.not_started}；"
            f"本学期剩余 {left} 天")
        if not rows:
            self.dashboard_label.setText(
                f"{semester.label}：尚无可统计的指标（没有学校、集团或结对数据）；本学期剩余 {left} 天")
        if self.cluster_view not in self._fitted and self.cluster_model.rowCount():
            self._fit(self.cluster_view, CLUSTER_FIT)
            # the per-cluster box as wide as its columns, the quota table takes the rest
            needed = sum(self.cluster_view.columnWidth(c) for c in range(self.cluster_model.columnCount())) + 48
            room = sum(self.upper_split.sizes()) or self.upper_split.width()
            if room > needed:
                self.upper_split.setSizes([needed, room - needed])
        for view, options in ((self.quota_view, QUOTA_FIT), (self.todo_view, TODO_FIT)):
            self._fit(view, options)
        self.dashboard_ready.emit()

    def _fit(self, view: QTableView, options: dict[str, Any]) -> None:
        """Fit ``view``'s columns to its contents the first time it has rows (not on every refresh)."""
        if view not in self._fitted and view.model().rowCount():
            fit_columns(view, **options)
            self._fitted.add(view)

    def _cluster_clicked(self, index: Any) -> None:
        name = self.cluster_model.row_at(index.row()).cluster  # the table may be sorted
        self.filter_cluster(next(cid for cid, shown in self._cluster_names.items() if shown == name))

    def shown_rows(self) -> list[Any]:
        """The quota rows of the cluster chosen on the left (all when none is)."""
        cid = self.cluster_filter
        if cid is None:
            return list(self._rows)
        return [r for r in self._rows if cid in r.clusters or (cid == "" and not r.clusters)]

    def filter_cluster(self, cid: str | None) -> None:
        """Show one cluster's rows in both the quota table and 还需开展 (None: every cluster)."""
        self.cluster_filter = cid
        shown = self.shown_rows()
        self.quota_model.set_rows(sorted(shown, key=lambda r: ({"not_started": 0, "behind": 1, "met": 2}[r.status], r.who)))
        schools = self._inputs.school_names if self._inputs else {}
        todo = []
        for item in todo_list(shown):
            where = "、".join(schools.get(s, s) for s in item.where[:6]) + ("等" if len(item.where) > 6 else "")
            todo.append((item, where or "不限（未登记结对）"))
        self.todo_model.set_rows(todo)
        self.clear_filter_button.setEnabled(cid is not None)
        self.filter_label.setText(f"筛选：{self._cluster_names.get(cid, '')}" if cid is not None else "")
        if cid is None:
            self.cluster_view.clearSelection()
        else:
            names = [tally.cluster for tally in self.cluster_model.rows()]
            if self._cluster_names.get(cid) in names:
                self.cluster_view.selectRow(names.index(self._cluster_names[cid]))
        has_behind = any(r.status != "met" for r in shown)
        for button in (self.export_behind_button, self.print_button):
            button.setEnabled(has_behind)

    def _scope(self) -> str:
        name = self._cluster_names.get(self.cluster_filter or "", "") if self.cluster_filter is not None else ""
        return f"（{name}，未达标与未开展）" if name else "（未达标与未开展）"

    def export_behind(self, path: Path | None = None) -> Any:
        """The rows not met, as shown (one cluster or all), to a print-ready workbook; returns the job."""
        from reports.quota_report import behind, write_quota_xlsx

        semester, scope = self.selected_semester(), self._scope()
        path = path or messages.save_file(self, "导出未达标名单", "Excel 文件 (*.xlsx)",
                                          f"{semester.label}帮扶指标{scope}.xlsx")
        if path is None:
            return None
        rows, store = behind(self.shown_rows()), self.context.store
        job = run_in_background(lambda _progress: write_quota_xlsx(store, semester, path, rows, scope))
        job.finished.connect(lambda count: messages.exported(
            self, "导出未达标名单", f"已导出 {count} 项未达标或未开展的指标：{path}", path))
        job.failed.connect(lambda message: messages.error(self, "导出未达标名单", message))
        self._export_job = job
        return job

    def print_behind(self) -> Any:
        """Lay the rows not met out as a PDF (off the GUI thread), then the print dialog; returns the job."""
        import io

        from desktop.pdf_preview import PdfPreview
        from reports.quota_report import behind, build_quota_pdf

        semester, scope = self.selected_semester(), self._scope()
        rows, store = behind(self.shown_rows()), self.context.store

        def work(_progress: Any) -> bytes:
            buffer = io.BytesIO()
            build_quota_pdf(store, semester, buffer, rows, scope)
            return buffer.getvalue()

        if getattr(self, "quota_pdf", None) is None:
            self.quota_pdf = PdfPreview(self)  # never shown: the printing path of the report pages
            self.quota_pdf.hide()
        self.print_button.setEnabled(False)

        def built(data: bytes) -> None:
            self.print_button.setEnabled(True)
            self.quota_pdf.load(data)
            self.quota_pdf.print_with_dialog(self)

        def failed(message: str) -> None:
            self.print_button.setEnabled(True)
            messages.error(self, "打印未达标名单", message)

        job = run_in_background(work)
        job.finished.connect(built)
        job.failed.connect(failed)
        self._print_job = job
        return job

    # ------------------------------------------------------------------ pairings
    def _build_pairings(self) -> QWidget:
        page = QWidget()
        self.pairing_model = PairingModel(self)
        self.pairing_view = _table(self.pairing_model)
        profile = self.context.profile
        box = QGroupBox("登记结对")
        form = QFormLayout(box)
        # The clauses on a wrapped line of their own: in the title they were cut at the form's width.
        basis = QLabel(f"依据：{profile.clause('pairing.one_to_one')}；"
                       f"包片包抓 {profile.clause('pairing.supporter_city')}")
        basis.setWordWrap(True)
        form.addRow(basis)
        self.pairing_kind = QComboBox()
        self.pairing_kind.addItems(vocab.PAIRING_KINDS)
        self.pairing_supporter_school = SchoolField("帮扶学校（局领导、名师可留空）")
        self.pairing_supporter_name = QLineEdit()
        self.pairing_supporter_name.setPlaceholderText("帮扶人姓名（局领导、名师工作室主持人等）")
        self.pairing_cluster = QComboBox()
        self.pairing_target_school = SchoolField("受援学校")
        self.pairing_start = DateEdit(self.today)
        self.pairing_notes = QLineEdit()
        add = QPushButton("登记结对")
        add.clicked.connect(self.add_pairing)
        form.addRow("结对类型", self.pairing_kind)
        form.addRow("帮扶学校", self.pairing_supporter_school)
        form.addRow("帮扶人", self.pairing_supporter_name)
        form.addRow("受援集团(学区)", self.pairing_cluster)
        form.addRow("受援学校", self.pairing_target_school)
        form.addRow("开始日期", self.pairing_start)
        form.addRow("备注", self.pairing_notes)
        form.addRow("", add)
        from desktop.spreadsheets import ExcelMenu

        self.pairing_excel = ExcelMenu(self, lambda: self.context.store, ["pairings"],
                                       lambda: self.selected_semester().year, self._pairings_imported)
        form.addRow("", self.pairing_excel)
        self.pairing_end = DateEdit(self.today)
        end = self.pairing_end_button = QPushButton("结束所选结对")
        end.setToolTip("所选结对到这一天为止（历史保留；以后的活动不再计入该结对）")
        end.clicked.connect(self.end_selected_pairing)
        form.addRow("结束日期", self.pairing_end)
        form.addRow("", end)
        edit = self.pairing_edit_button = QPushButton("修改所选结对…")
        edit.setToolTip("改正结对类型、开始或结束日期、备注（也可双击列表中的结对）")
        edit.clicked.connect(self.edit_selected_pairing)
        self.pairing_view.doubleClicked.connect(lambda _index: self.edit_selected_pairing())
        form.addRow("", edit)
        box.setMaximumWidth(PAIRING_FORM_WIDTH)
        layout = QHBoxLayout(page)
        layout.addWidget(box)
        layout.addWidget(self.pairing_view, 1)
        return page

    def end_selected_pairing(self) -> None:
        """End the pairing selected in the list on the date given (a mistake can be corrected)."""
        rows = self.pairing_view.selectionModel().selectedRows()
        if not rows:
            messages.info(self, "结束结对", "请先在右侧列表中选择一个结对")
            return
        pairing = self.pairing_model.row_at(rows[0].row())
        try:
            dv.end_pairing(self.context.store, pairing.id, self.pairing_end.value())
        except StoreError as exc:
            messages.warn(self, "无法结束结对", str(exc))
            return
        self._inputs = None
        self.refresh_pairings()

    def edit_selected_pairing(self) -> Any:
        """The 修改结对 dialog over the selected pairing; returns it (tests drive it), or None."""
        from desktop.pages.pairing_dialog import PairingDialog

        rows = self.pairing_view.selectionModel().selectedRows()
        if not rows:
            messages.info(self, "修改结对", "请先在右侧列表中选择一个结对")
            return None
        dialog = PairingDialog(self.context.store, self.pairing_model.row_at(rows[0].row()), self)
        dialog.accepted.connect(self._pairing_edited)
        dialog.open()
        return dialog

    def _pairing_edited(self) -> None:
        self._inputs = None
        self.refresh_pairings()

    def add_pairing(self) -> None:
        cluster = self.pairing_cluster.currentData()
        try:
            dv.add_pairing(
                self.context.store, self.pairing_kind.currentText(), self.pairing_start.value(),
                supporter_school_id=self.pairing_supporter_school.school_id(),
                supporter_name=self.pairing_supporter_name.text(), cluster_id=cluster,
                target_school_id=self.pairing_target_school.school_id(), notes=self.pairing_notes.text().strip() or None,
            )
        except dv.VisitError as exc:
            messages.warn(self, "无法登记结对", str(exc))
            return
        self._inputs = None
        for field in (self.pairing_supporter_school, self.pairing_supporter_name, self.pairing_target_school, self.pairing_notes):
            field.clear()
        self.refresh_pairings()

    def _pairings_imported(self) -> None:
        self._inputs = None
        self.refresh_pairings()

    def refresh_pairings(self) -> None:
        year = self.selected_semester().year
        self.pairing_model.set_rows(dv.list_pairings(self.context.store, self.context.profile, year, self._inputs))
        self._fit(self.pairing_view, PAIRING_FIT)

    # ------------------------------------------------------------------ summaries
    def _build_summaries(self) -> QWidget:
        page = QWidget()
        self.summary_model = SummaryModel(self)
        self.summary_view = _table(self.summary_model)
        self.summary_view.clicked.connect(self._summary_clicked)
        box = QGroupBox(f"学期总结（{self.context.profile.quota('community.semester_summary').clause}）")
        form = QFormLayout(box)
        self.summary_semester = QComboBox()
        for semester in _semester_codes(self.today, self.context.profile.calendar):
            self.summary_semester.addItem(semester.label, semester.code)
        self.summary_semester.currentIndexChanged.connect(lambda _i: self.refresh_summaries())
        self.summary_cluster = QComboBox()
        self.summary_fields: dict[str, QPlainTextEdit] = {}
        form.addRow("学期", self.summary_semester)
        form.addRow("集团(学区)", self.summary_cluster)
        for key, label in dv.SUMMARY_FIELDS.items():
            edit = QPlainTextEdit()
            edit.setTabChangesFocus(True)
            edit.setFixedHeight(60)
            self.summary_fields[key] = edit
            form.addRow(label, edit)
        save = QPushButton("保存总结")
        save.clicked.connect(self.save_summary)
        form.addRow("", save)
        layout = QHBoxLayout(page)
        layout.addWidget(box, 2)
        layout.addWidget(self.summary_view, 3)
        return page

    def save_summary(self) -> None:
        cluster = self.summary_cluster.currentData()
        if cluster is None:
            messages.warn(self, "无法保存", "请先选择集团(学区)")
            return
        semester = Semester.parse(self.summary_semester.currentData())
        try:
            dv.save_summary(self.context.store, cluster, semester,
                            **{k: e.toPlainText() for k, e in self.summary_fields.items()})
        except dv.VisitError as exc:
            messages.warn(self, "无法保存", str(exc))
            return
        self._inputs = None
        self.refresh_summaries()

    def refresh_summaries(self) -> None:
        semester = Semester.parse(self.summary_semester.currentData())
        self.summary_model.set_rows(dv.list_summaries(self.context.store, semester))
        self._fit(self.summary_view, SUMMARY_FIT)

    def _summary_clicked(self, index: Any) -> None:
        view = self.summary_model.row_at(index.row())
        position = self.summary_cluster.findData(view.cluster_id)
        if position >= 0:
            self.summary_cluster.setCurrentIndex(position)
        for key, edit in self.summary_fields.items():
            edit.setPlainText(getattr(view, key))

    # ------------------------------------------------------------------ duty register
    def _build_duties(self) -> QWidget:
        """Who owes visits (帮扶责任人): the register with a form to add a person and an end
        date, and the Excel menu (template / import / export duties)."""
        from desktop.spreadsheets import ExcelMenu

        page = QWidget()
        self.duty_model = DutyModel(self)
        self.duty_view = _table(self.duty_model)
        box = QGroupBox("登记帮扶责任人（教研员、名师工作室主持人等；"
                        f"{self.context.profile.quota('visit.backbone_teaching').clause}）")
        form = QFormLayout(box)
        self.duty_name = QLineEdit()
        self.duty_role = QComboBox()
        self.duty_role.addItems(vocab.VISITOR_ROLES)
        self.duty_school = SchoolField("所在学校（教研员留空）")
        self.duty_county = QComboBox()
        self.duty_start = DateEdit(self.today)
        self.duty_end = DateEdit(self.today)
        add = self.duty_add = QPushButton("登记")
        add.clicked.connect(self.add_duty)
        end = QPushButton("结束所选人员的责任")
        end.clicked.connect(self.end_duty)
        self.duty_excel = ExcelMenu(self, lambda: self.context.store, ["duties"],
                                    lambda: self.selected_semester().year, self._duties_imported)
        form.addRow("姓名", self.duty_name)
        form.addRow("角色", self.duty_role)
        form.addRow("所在学校", self.duty_school)
        form.addRow("包抓县区", self.duty_county)
        form.addRow("开始日期", self.duty_start)
        form.addRow("", add)
        form.addRow("结束日期", self.duty_end)
        form.addRow("", end)
        form.addRow("", self.duty_excel)
        layout = QHBoxLayout(page)
        layout.addWidget(box, 2)
        layout.addWidget(self.duty_view, 5)
        return page

    def add_duty(self) -> None:
        from db.duty_holders import DutyError, register_duty

        try:
            register_duty(self.context.store, self.duty_name.text(), self.duty_role.currentText(),
                          self.duty_start.value(), home_school_id=self.duty_school.school_id(),
                          county_id=self.duty_county.currentData())
        except DutyError as exc:
            messages.warn(self, "无法登记帮扶责任人", str(exc))
            return
        self._inputs = None
        self.duty_name.clear()
        self.duty_school.clear()
        self.refresh_duties()

    def end_duty(self) -> None:
        from db.duty_holders import DutyError, end_duty

        rows = self.duty_view.selectionModel().selectedRows()
        if not rows:
            messages.warn(self, "未选择人员", "请先在右侧表格中选择要结束责任的人员。")
            return
        try:
            for index in rows:
                end_duty(self.context.store, self.duty_model.row_at(index.row()).id, self.duty_end.value())
        except DutyError as exc:
            messages.warn(self, "无法结束", str(exc))
        self._inputs = None
        self.refresh_duties()

    def _duties_imported(self) -> None:
        self._inputs = None
        self.refresh_duties()

    def refresh_duties(self) -> None:
        from db.duty_holders import list_duties, region_choices

        store = self.context.store
        current = self.duty_county.currentData()
        self.duty_county.clear()
        self.duty_county.addItem("（不限）", None)
        for rid, name in region_choices(store):
            self.duty_county.addItem(name, rid)
        position = self.duty_county.findData(current)
        if position >= 0:
            self.duty_county.setCurrentIndex(position)
        self.duty_model.set_rows(list_duties(store))
        if self.duty_model.rowCount():  # a small table whose end dates appear later: fit every time
            fit_columns(self.duty_view, **DUTY_FIT)

    # ------------------------------------------------------------------ page contract
    def refresh(self) -> None:
        """Re-read completion sources and the recent list; the other tabs load when opened."""
        store = self.context.store
        schools = dv.school_choices(store)
        for field in (self.host_edit, self.home_edit, self.pairing_supporter_school, self.pairing_target_school,
                      self.duty_school):
            field.set_choices(schools)
        people = dv.person_choices(store)
        self._people = {p.text: p for p in people}
        self._people_completer.model().setStringList(list(self._people))  # type: ignore[attr-defined]  # (as above)
        self.recent_model.set_rows(dv.recent_visits(store))
        self.recent_stack.set_empty(not self.recent_model.rowCount())
        self._fit(self.recent_view, RECENT_FIT)
        clusters = dv.cluster_choices(store)
        for combo in (self.pairing_cluster, self.summary_cluster):
            current = combo.currentData()
            combo.clear()
            if combo is self.pairing_cluster:
                combo.addItem("（无）", None)
            for cid, name in clusters:
                combo.addItem(name, cid)
            position = combo.findData(current)
            if position >= 0:
                combo.setCurrentIndex(position)
        self._tab_changed(self.tabs.currentIndex())

    def _tab_changed(self, index: int) -> None:
        if index == 1:
            self.load_dashboard()
        elif index == 2:
            self.refresh_pairings()
        elif index == 3:
            self.refresh_summaries()
        elif index == 4:
            self.refresh_duties()
        else:
            QTimer.singleShot(0, self.host_edit.setFocus if not self.host_edit.text() else self.name_edit.setFocus)
