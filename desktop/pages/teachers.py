"""教师与交流: the roster (50,000 rows, lazily loaded) and the yearly plan wizard.

Roster: the id list comes from SQL (search and order there); the status filters
(符合条件 / 须交流 / 免交流) work on that id list with the eligibility computed off the
GUI thread; rows are fetched a page at a time and cached (Anki's browser does the same).

Plan: year → eligibility counts → the planner runs in the background (progress, cancel)
→ review (change a destination, remove, pin, re-run keeping pins; the quota figures follow
every edit) → approve (saved and frozen, audited). No rule lives here: ``policy.planner``
and ``db.exchange_plans`` decide.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Hashable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from db.exchange_plans import approve_plan, draft_for_year, load_draft, make_plan, save_plan
from db.teacher_queries import (
    RosterRow,
    SearchIndex,
    roster_ids,
    roster_rows,
    roster_search_index,
    search_index,
    teacher_detail,
)
from db.teachers import store_eligibility
from desktop import messages
from desktop.context import AppContext
from desktop.models.record_table import OBJECT_ROLE, Col, Index, RecordTableModel, TableModel
from desktop.pages.base import Page
from desktop.spreadsheets import ExcelMenu
from desktop.widgets import EmptyStack, SchoolYearSpinBox, fit_columns, setup_table
from desktop.worker import Job, run_in_background
from policy.calendar import school_year_label
from policy.directions import LABELS
from policy.eligibility import MANDATORY, STATUS_LABELS, EligibilityResult
from policy.idcard import masked
from policy.plan_outcomes import OUTCOME_LABELS, UNPLACED, Outcome, by_key
from policy.planner import Move, Plan, allowed, distance_km, required_moves, tally
from policy.progress import Progress

PAGE_SIZE = 200
DETAIL_HINT = "选择一名教师查看任职、交流与免交流记录"
EMPTY_ROSTER = ("尚无教师数据。请用右上角“Excel ▼ 导入教师名册…”导入（空白模板也在该菜单里；"
                "命令行：edubridge import teachers 教师.xlsx）。")
ROSTER_FILES = ("teachers", "exemptions", "needs", "training", "designations")  # keys of db.importers / reports.exporters
PLAN_FILES = ("needs", "plan", "exchanges", "national")
NOT_FOUND = "没有符合条件的教师。"
FILTERS = (("all", "全部教师"), ("eligible", "符合交流条件"), ("mandatory", "须交流"), ("exempt", "免交流"),
           ("backbone", "骨干教师"))


class RosterModel(TableModel):
    """Teacher ids in order; rows fetched ``PAGE_SIZE`` at a time on first display and cached.

    The ids are the rows (``ids[row]``, no fetch); the object role is the :class:`RosterRow`.
    """

    COL_ID, COL_NAME, COL_GENDER, COL_SUBJECT, COL_TITLE, COL_BACKBONE, COL_SCHOOL, COL_STATUS = range(8)
    HEADERS = ("身份证号", "姓名", "性别", "任教学科", "职称", "骨干等级", "学校（人事关系）", "交流状态")
    SORT_KEYS = ("id_number", "name", "gender", "subject", "title", "backbone_level", "school", None)

    def __init__(self, store: Any, parent: Any = None) -> None:
        super().__init__(parent)
        self.store = store
        self.ids: list[str] = []
        self.cache: dict[str, RosterRow] = {}
        self.status: dict[str, tuple[str, int]] = {}  # id → (status, years)
        self.fetches = 0

    def set_ids(self, ids: list[str]) -> None:
        """Show ``ids``; rows are fetched afresh, since a re-query follows a change."""
        self.beginResetModel()
        self.ids = ids
        self.cache.clear()
        self.endResetModel()

    def set_status(self, status: dict[str, tuple[str, int]]) -> None:
        self.status = status
        if self.ids:
            self.dataChanged.emit(self.index(0, self.COL_STATUS), self.index(len(self.ids) - 1, self.COL_STATUS))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.ids)

    def row(self, number: int) -> RosterRow | None:
        """The row at ``number``, fetching its page if it is not cached yet."""
        teacher_id = self.ids[number]
        found = self.cache.get(teacher_id)
        if found is None:
            start = (number // PAGE_SIZE) * PAGE_SIZE
            page = [i for i in self.ids[start:start + PAGE_SIZE] if i not in self.cache]
            self.cache.update(roster_rows(self.store, page))
            self.fetches += 1
            found = self.cache.get(teacher_id)
        return found

    def record(self, row: int) -> RosterRow | None:
        return self.row(row)

    def native(self, record: RosterRow, column: int) -> Any:
        if column == self.COL_STATUS:
            return self.status.get(record.id)
        return (record.id_number, record.name, record.gender, record.subject, record.title,
                record.backbone_level, record.school)[column]

    def display(self, record: RosterRow, column: int) -> str:
        if column == self.COL_STATUS:
            found = self.status.get(record.id)
            return f"{STATUS_LABELS[found[0]]}（{found[1]}年）" if found else ""
        # ID numbers masked in the list (principals' laptops are shown around); in full in the detail.
        value = masked(record.id_number) if column == self.COL_ID else self.native(record, column)
        return str(value) if value else ""


@dataclasses.dataclass(frozen=True, slots=True)
class PlanLine:
    """A move of the plan with its schools' names, as the review table shows it."""

    move: Move
    from_name: str
    to_name: str
    reason: str = ""  # why this teacher, why there (policy.plan_outcomes)


def _yes(flag: bool) -> str:
    return "是" if flag else ""


class PlanModel(RecordTableModel):
    """The moves of the plan under review."""

    COLUMNS = (
        Col("姓名", lambda r: r.move.entry.teacher.name),
        Col("身份证号", lambda r: masked(r.move.entry.teacher.id_number)),
        Col("任教学科", lambda r: r.move.entry.teacher.subject or ""),
        Col("骨干", lambda r: r.move.backbone, text=_yes),
        Col("原学校", lambda r: r.from_name),
        Col("交流学校", lambda r: r.to_name),
        Col("形式", lambda r: r.move.form),
        Col("调动人事关系", lambda r: r.move.moves_personnel, text=lambda v: "是" if v else "否"),
        Col("距离(km)", lambda r: r.move.distance_km, text=lambda v: "" if v is None else f"{v:.1f}", numeric=True),
        Col("指定", lambda r: r.move.pinned, text=_yes),
        Col("方向", lambda r: LABELS.get(r.move.direction, "")),
        Col("说明", lambda r: r.reason),
    )

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.names: dict[str, str] = {}

    @property
    def moves(self) -> list[Move]:
        return [line.move for line in self._rows]

    def set_moves(self, moves: list[Move], names: dict[str, str], reasons: dict[Any, str] | None = None) -> None:
        self.names = names
        reasons = reasons or {}
        self.set_rows([PlanLine(m, names.get(m.from_school, m.from_school), names.get(m.to_school, m.to_school),
                                reasons.get(m.entry.teacher.key, "")) for m in moves])

    def tooltip(self, record: PlanLine) -> str | None:
        return record.reason or None


class ApprovedModel(RecordTableModel):
    """An approved plan's exchanges, read-only, with what each is today (db.exchanges)."""

    COLUMNS = (
        Col("姓名", lambda r: r["name"]),
        Col("身份证号", lambda r: masked(r["id_number"])),
        Col("任教学科", lambda r: r.get("subject") or ""),
        Col("骨干", lambda r: bool(r.get("backbone_level")), text=_yes),
        Col("原学校", lambda r: r["from_name"]),
        Col("交流学校", lambda r: r["to_name"]),
        Col("形式", lambda r: r["form"]),
        Col("调动人事关系", lambda r: bool(r["moves_personnel"]), text=lambda v: "是" if v else "否"),
        Col("开始", lambda r: r["start"], text=lambda v: "" if v is None else f"{v:%Y-%m-%d}"),
        Col("结束", lambda r: r["end_on"], text=lambda v: "—" if v is None else f"{v:%Y-%m-%d}"),
        Col("今日状态", lambda r: r["state_label"]),
    )


class TeachersPage(Page):
    """教师与交流."""

    _backbone: set[Hashable] | None = None  # ids of the backbone teachers, read on first use

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.eligibility: EligibilityResult | None = None
        self.plan: Plan | None = None
        self.pins: dict[Any, str | None] = {}
        self.job: Any = None
        self.schools: dict[str, Any] = {}
        self.outcomes: dict[Any, Outcome] = {}  # the plan under review: each teacher's outcome
        self.outcome_by_id: dict[str, Outcome] = {}
        #: Dialogs are shown through this hook (tests replace it to fill them in).
        self.exec_dialog: Callable[[QDialog], bool] = lambda d: d.exec() == QDialog.DialogCode.Accepted
        tabs = QTabWidget(self)
        tabs.addTab(self._build_roster(), "教师名册")
        tabs.addTab(self._build_plan(), "年度交流计划")
        from desktop.pages.scenarios import ScenariosPanel

        self.scenarios = ScenariosPanel(context, self)
        tabs.addTab(self.scenarios, "交流计划方案比较")
        tabs.currentChanged.connect(lambda i: self.scenarios.refresh() if tabs.widget(i) is self.scenarios else None)
        self.tabs = tabs
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(tabs)
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        # Short: a search is a scan of the in-memory index (~10 ms for 50,000 teachers), so the
        # result follows the last keystroke at once (issue 16: < 100 ms after typing stops).
        self.search_timer.setInterval(40)
        self.search_timer.timeout.connect(self.requery)

    # ---- roster --------------------------------------------------------------------------
    def _build_roster(self) -> QWidget:
        widget = QWidget()
        self.search = QLineEdit()
        self.search.setPlaceholderText("搜索姓名、身份证号、学校或学科")
        self.search.textChanged.connect(lambda _t: self.search_timer.start())
        self.filter = QComboBox()
        for key, label in FILTERS:
            self.filter.addItem(label, key)
        self.filter.currentIndexChanged.connect(self.requery)
        self.year = SchoolYearSpinBox()
        self.year.valueChanged.connect(self.load_status)
        self.count_label = QLabel()
        top = QHBoxLayout()
        top.addWidget(self.search, 3)
        top.addWidget(self.filter)
        top.addWidget(self.year)
        top.addWidget(self.count_label, 1)
        self.roster_excel = ExcelMenu(self, lambda: self.context.store, ROSTER_FILES, self.year.value,
                                      self._imported)
        self.record_button = QPushButton("登记交流…")
        self.record_button.setToolTip("手工登记一项交流（轮岗、柔性流动、走教、支教、挂职、跟岗、驻教）")
        self.record_button.clicked.connect(self.open_exchange_dialog)
        top.addWidget(self.record_button)
        self.development_button = QToolButton()
        self.development_button.setText("登记培养记录 ▼")
        self.development_button.setStyleSheet("QToolButton::menu-indicator { image: none; }")  # the ▼ is in the text
        self.development_button.setToolTip("为所选教师登记培训学时、种子教师或榜样教师称号、师徒结对（先在名册中选择教师）")
        self.development_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.development_button.setEnabled(False)
        from desktop.pages.development_dialog import DIALOGS

        for label, dialog_class in DIALOGS:
            action = QAction(label, self)
            action.triggered.connect(lambda _=False, c=dialog_class: self.open_development(c))
            self.development_button.addAction(action)
        top.addWidget(self.development_button)
        top.addWidget(self.roster_excel)
        self.roster = RosterModel(self.context.store, self)
        self.table = QTableView()
        self.table.setModel(self.roster)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setSortingEnabled(False)
        self.table.horizontalHeader().setSectionsClickable(True)
        self.table.horizontalHeader().sectionClicked.connect(self._sort)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        setup_table(self.table)
        self._roster_sized = False
        self.table.selectionModel().currentRowChanged.connect(self.show_detail)
        self.detail = QTextBrowser()
        self.detail.setObjectName("teacherDetail")
        self.detail.setMinimumWidth(260)
        self._detail_hint()
        self.roster_stack = EmptyStack(self.table, EMPTY_ROSTER)
        splitter = QSplitter()
        splitter.addWidget(self.roster_stack)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(0, False)
        layout = QVBoxLayout(widget)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self.order = ("id_number", False)
        self.search_entries: SearchIndex | None = None  # roster_search_index, once read
        self.index_generation = 0
        self.index_job: Any = None
        return widget

    def refresh(self) -> None:
        self.reindex()
        self.load_status()

    def reindex(self) -> None:
        """The roster afresh (page shown, after a write, a new order): the SQL search now, and
        the search index read in the background; once it is in, typing filters it in memory."""
        self.search_entries = None
        self.requery()
        store, order = self.context.store, self.order
        self.index_generation += 1
        generation = self.index_generation
        job = run_in_background(lambda _progress: roster_search_index(store, *order))
        job.finished.connect(lambda entries: self._index_ready(generation, entries))
        self.index_job = job

    def _index_ready(self, generation: int, entries: SearchIndex) -> None:
        if generation != self.index_generation:  # a newer write or order asked for another
            return
        self.search_entries = entries

    def _imported(self) -> None:
        """After an import: the roster, statuses and the counts on the plan tab are stale."""
        self._roster_sized = False
        self.refresh()

    def _sort(self, section: int) -> None:
        key = RosterModel.SORT_KEYS[section]
        if key is None:
            return
        self.order = (key, not self.order[1] if self.order[0] == key else False)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.horizontalHeader().setSortIndicator(
            section, Qt.SortOrder.DescendingOrder if self.order[1] else Qt.SortOrder.AscendingOrder)
        self.reindex()

    def requery(self, *_args: Any) -> None:
        """Ids from the search index (read in SQL, in order, by :meth:`reindex`) matching the
        search, then the status filter on the id list."""
        if self.search_entries is None:  # the index is still being read: the same search in SQL
            ids = roster_ids(self.context.store, self.search.text(), *self.order)
        else:
            ids = search_index(self.search_entries, self.search.text())
        wanted = self.filter.currentData()
        if wanted in ("eligible", "mandatory", "exempt"):
            ids = [i for i in ids if self.roster.status.get(i, ("",))[0] == wanted]
        elif wanted == "backbone":
            ids = [i for i in ids if i in self.backbone_ids()]
        self.roster.set_ids(ids)
        self.count_label.setText(f"共 {len(ids)} 名教师")
        filtered = bool(self.search.text().strip()) or wanted != "all"
        self.roster_stack.set_empty(not ids, NOT_FOUND if filtered else EMPTY_ROSTER)
        self._detail_hint()
        if ids and not self._roster_sized:
            self._roster_sized = True
            self._size_roster()

    def _size_roster(self) -> None:
        """Fit the roster's columns to the first page of rows once (later pages are fetched lazily)."""
        fit_columns(self.table, sample=PAGE_SIZE, limits={RosterModel.COL_SCHOOL: 240})
        widest = self.table.fontMetrics().horizontalAdvance("符合交流条件（12年）") + 24
        status = RosterModel.COL_STATUS
        self.table.setColumnWidth(status, max(self.table.columnWidth(status), widest))

    def _detail_hint(self) -> None:
        """The detail pane's text until a teacher is selected."""
        self.detail.setHtml(f"<p style='color:#666666; margin-top:24px' align='center'>{DETAIL_HINT}</p>")

    def backbone_ids(self) -> set[Hashable]:
        if self._backbone is None:
            from db.teachers import load_records

            self._backbone = {t.key for t in load_records(self.context.store)[0] if t.backbone}
        return self._backbone

    def load_status(self, *_args: Any) -> None:
        """Eligibility for the chosen year, off the GUI thread; the table's status column follows."""
        store, profile, year = self.context.store, self.context.profile, self.year.value()
        self._backbone = None

        def work(progress: Any) -> EligibilityResult:
            progress("计算交流条件", 0.1)
            return store_eligibility(store, profile, year)

        job = run_in_background(work)
        job.finished.connect(self._status_ready)
        job.failed.connect(lambda text: messages.error(self, "计算交流条件失败", text))
        self.status_job = job

    def _status_ready(self, result: EligibilityResult) -> None:
        self.eligibility = result
        self.roster.set_status({str(e.teacher.key): (e.status, e.years) for e in result.entries})
        if self.filter.currentData() in ("eligible", "mandatory", "exempt"):
            self.requery()
        self._show_counts()

    def open_development(self, dialog_class: Any) -> None:
        """One of desktop.pages.development_dialog's forms for the selected teacher; the detail
        pane shows what was saved."""
        current = self.table.selectionModel().currentIndex()
        row = self.roster.row(current.row()) if current.isValid() else None
        if row is None:
            messages.info(self, "登记培养记录", "请先在名册中选择一名教师")
            return
        dialog = dialog_class(self.context.store, uuid.UUID(row.id), f"{row.name}（{row.id_number}）", self)
        if self.exec_dialog(dialog):
            self.show_detail(current)

    def show_detail(self, current: QModelIndex, _previous: QModelIndex | None = None) -> None:
        self.development_button.setEnabled(current.isValid())
        if not current.isValid():
            self._detail_hint()
            return
        detail = teacher_detail(self.context.store, self.roster.ids[current.row()])
        if detail is None:
            self._detail_hint()
            return
        row = detail.row
        lines = [f"<h3>{row.name}</h3>",
                 f"<p>身份证号 {row.id_number}<br>性别 {row.gender}　出生 {detail.birth_date:%Y-%m-%d}<br>"
                 f"学科 {row.subject or '—'}　职称 {row.title or '—'}<br>骨干等级 {row.backbone_level or '—'}<br>"
                 f"参加工作 {detail.started_teaching or '—'}"
                 + (f"<br>职务 {detail.position}（任现职 {detail.position_since or '—'}）"
                    if detail.position != "教师" else "") + "</p>"]
        status = self.roster.status.get(row.id)
        if status and self.eligibility is not None:
            entry = next((e for e in self.eligibility.entries if str(e.teacher.key) == row.id), None)
            if entry is not None:
                lines.append(f"<p><b>{STATUS_LABELS[entry.status]}</b>：{entry.clause}</p>")
        outcome = self.outcome_by_id.get(row.id) if self.plan is not None else None
        if outcome is not None and self.plan is not None:
            lines.append(f"<p><b>{school_year_label(self.plan.school_year)}交流计划：{OUTCOME_LABELS[outcome.outcome]}</b>"
                         f"<br>{outcome.reason}</p>")
        lines.append("<h4>任职记录</h4><ul>")
        for school, kind, personnel, start, end in detail.postings:
            lines.append(f"<li>{start:%Y-%m-%d} 至 {end or '今'}　{school}　{kind}"
                         f"{'（人事关系）' if personnel else ''}</li>")
        lines.append("</ul><h4>交流轮岗</h4><ul>")
        for year, src, dst, form, personnel, label, began, ended in detail.exchanges:
            lines.append(f"<li>{school_year_label(year)}　{src} → {dst}　{form}"
                         f"{'（调动人事关系）' if personnel else ''}　{began or ''} 至 {ended or '—'}　<b>{label}</b></li>")
        if not detail.exchanges:
            lines.append("<li>无</li>")
        if detail.history:
            lines.append("</ul><h4>交流记录变动</h4><ul>")
            lines.extend(f"<li>{day:%Y-%m-%d}　{action}　{what}</li>" for day, action, what in detail.history)
        lines.append("</ul><h4>免交流登记</h4><ul>")
        for reason, evidence, start, end in detail.exemptions:
            lines.append(f"<li>{reason}　{start:%Y-%m-%d} 至 {end or '今'}　{evidence}</li>")
        if not detail.exemptions:
            lines.append("<li>无</li>")
        lines.append("</ul>")
        lines.extend(self._training_lines(detail))
        lines.extend(self._mentoring_lines(detail))
        self.detail.setHtml("".join(lines))

    def _training_lines(self, detail: Any) -> list[str]:
        """培训学时 of the current cycle against the profile's figure (with its clause), the records,
        and the teacher's 种子教师 / 榜样教师 designations."""
        from policy.teacher_development import cycle_on

        profile = self.context.profile
        cycle = cycle_on(profile, dt.date.today())
        lines = ["<h4>培训学时</h4>"]
        if cycle is not None and profile.value("training.hours_5y") is not None:
            hours = sum(h for day, _c, h, _s in detail.training if cycle.holds(day))
            lines.append(f"<p>本周期（{cycle.label}）已完成 {hours:g} 学时，应不少于 "
                         f"{profile.value('training.hours_5y')} 学时（{profile.clause('training.hours_5y')}）</p>")
        lines.append("<ul>")
        lines.extend(f"<li>{day:%Y-%m-%d}　{course}　{hours:g} 学时{'（乡村专项）' if special else ''}</li>"
                     for day, course, hours, special in detail.training)
        if not detail.training:
            lines.append("<li>无</li>")
        lines.append("</ul>")
        if detail.designations:
            lines.append("<h4>种子教师、榜样教师</h4><ul>")
            lines.extend(f"<li>{kind}　{start:%Y-%m-%d} 至 {end or '今'}</li>" for kind, start, end in detail.designations)
            lines.append("</ul>")
        return lines

    def _mentoring_lines(self, detail: Any) -> list[str]:
        """The teacher's 师徒结对, as 师傅 and as 徒弟: the partner and their school, the dates,
        and where the pairing stands against ``mentoring.years`` (with its clause)."""
        from policy.teacher_development import mentoring_due, mentoring_year

        profile = self.context.profile
        years = profile.value("mentoring.years") if "mentoring.years" in profile.figures else None
        lines = ["<h4>师徒结对</h4>"]
        if detail.mentoring and years is not None:
            lines.append(f"<p>跟踪培养应满 {years} 年（{profile.clause('mentoring.years')}）</p>")
        lines.append("<ul>")
        today = dt.date.today()
        for pair in detail.mentoring:
            partner = "徒弟" if pair.role == "师傅" else "师傅"  # who the other one is to this teacher
            school = f"（{pair.school}）" if pair.school else ""
            stands = ""
            if pair.start > today:
                stands = "　尚未开始"
            elif pair.end is None or pair.end >= today:
                stands = f"　第 {mentoring_year(pair, today)} 年"
            elif years is not None:
                due = mentoring_due(pair.start, int(years))
                stands = f"　已满 {years} 年" if pair.end >= due else f"　未满 {years} 年（应至 {due:%Y-%m-%d}）"
            lines.append(f"<li>{pair.start:%Y-%m-%d} 至 {pair.end or '今'}　{partner} {pair.partner}{school}{stands}</li>")
        if not detail.mentoring:
            lines.append("<li>无</li>")
        lines.append("</ul>")
        return lines

    def open_exchange_dialog(self) -> None:
        """登记交流 for the selected teacher (or anyone): kept open until it records or is cancelled."""
        dialog = self.exchange_dialog()
        while dialog.exec():
            if self.submit_exchange(dialog):
                return

    def exchange_dialog(self) -> Any:
        from db.clusters import load
        from desktop.pages.exchange_dialog import ExchangeDialog

        schools = sorted(load(self.context.store).schools, key=lambda s: s.code)
        teacher = None
        selected = self.table.selectionModel().selectedRows()
        if selected:
            row = self.roster.row(selected[0].row())
            if row is not None:
                school_id = next((s.id for s in schools if s.code == row.school_code), None)
                teacher = (row.id_number, row.name, school_id)
        return ExchangeDialog(schools, self.context.profile, teacher, self)

    def submit_exchange(self, dialog: Any) -> bool:
        """Record the dialog's exchange; a refusal is shown by field. True when recorded."""
        from db.exchange_import import record_exchange
        from db.importing import ImportFailed

        try:
            what = record_exchange(self.context.store, self.context.profile, dialog.values())
        except ImportFailed as exc:
            messages.error(self, "不能登记", "\n".join(f"“{p.column}”：{p.message}" if p.column else p.message
                                                    for p in exc.problems))
            return False
        except Exception as exc:  # noqa: BLE001 — StoreError / PermissionDenied: a clear sentence
            messages.error(self, "不能登记", str(exc))
            return False
        messages.info(self, "已登记", f"已登记交流：{what}")
        rows = self.table.selectionModel().selectedRows()
        selected = self.roster.ids[rows[0].row()] if rows else None
        self.refresh()
        if selected in self.roster.ids:
            self.table.selectRow(self.roster.ids.index(selected))
        return True

    # ---- plan wizard -----------------------------------------------------------------------
    def _build_plan(self) -> QWidget:
        widget = QWidget()
        self.plan_year = SchoolYearSpinBox(offset=1)
        self.plan_year.valueChanged.connect(self._year_changed)
        self.counts_label = QLabel("选择学年后点击“计算交流条件”")
        self.counts_label.setWordWrap(True)
        self.count_button = QPushButton("1. 计算交流条件")
        self.count_button.clicked.connect(self.compute_counts)
        self.run_button = QPushButton("2. 生成计划")
        self.run_button.clicked.connect(self.run_planner)
        self.load_button = QPushButton("载入草案")
        self.load_button.setToolTip("把本学年已保存的计划草案载入下方审核表，可继续修改或批准")
        self.load_button.clicked.connect(self.load_saved_draft)
        self.cancel_button = QPushButton("取消")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_planner)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        steps = QHBoxLayout()
        for item in (self.plan_year, self.count_button, self.run_button, self.load_button, self.cancel_button):
            steps.addWidget(item)
        steps.addWidget(self.progress, 1)
        self.plan_excel = ExcelMenu(self, lambda: self.context.store, PLAN_FILES, self.plan_year.value,
                                    self._imported)
        steps.addWidget(self.plan_excel)
        self.quota_label = QLabel()
        self.quota_label.setWordWrap(True)
        self.quota_label.setTextFormat(Qt.TextFormat.RichText)
        self.plan_model = PlanModel(self)
        self.plan_table = QTableView()
        self.plan_table.setModel(self.plan_model)
        self.plan_table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.plan_table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.plan_table.verticalHeader().setVisible(False)
        self.plan_table.verticalHeader().setDefaultSectionSize(24)
        setup_table(self.plan_table)
        self._plan_sized = False
        for column, width in enumerate((80, 170, 80, 50, 170, 170, 80, 100, 80, 50, 130, 420)):
            self.plan_table.setColumnWidth(column, width)
        self.plan_table.selectionModel().currentRowChanged.connect(self._fill_destinations)
        self.plan_search = QLineEdit()
        self.plan_search.setObjectName("planSearch")
        self.plan_search.setPlaceholderText("在审核表中查找：姓名、身份证号后几位、原学校或交流学校、学科")
        self.plan_search.setClearButtonEnabled(True)
        self.plan_search.textChanged.connect(lambda _text: self.filter_plan())
        self.plan_found = QLabel()
        search_row = QHBoxLayout()
        search_row.addWidget(self.plan_search, 1)
        search_row.addWidget(self.plan_found)
        self.destination = QComboBox()
        self.destination.setMinimumContentsLength(22)
        self.destination.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.destination.setMinimumWidth(340)
        self.change_button = QPushButton("改派到所选学校")
        self.change_button.clicked.connect(self.change_destination)
        self.remove_button = QPushButton("移出计划（留任）")
        self.remove_button.clicked.connect(self.remove_selected)
        self.pin_button = QPushButton("固定此安排")
        self.pin_button.clicked.connect(self.pin_selected)
        self.rerun_button = QPushButton("按固定安排重新求解")
        self.rerun_button.clicked.connect(self.run_planner)
        self.save_button = QPushButton("保存草案")
        self.save_button.setToolTip("保存为本学年的计划草案（替换之前的草案），可导出、以后再批准")
        self.save_button.clicked.connect(self.save_draft)
        self.approve_button = QPushButton("3. 批准计划")
        self.approve_button.clicked.connect(self.approve)
        edits = QHBoxLayout()
        for control in (self.destination, self.change_button, self.remove_button, self.pin_button, self.rerun_button):
            edits.addWidget(control)  # not "widget": that is the tab being built
        edits.addStretch(1)
        edits.addWidget(self.save_button)
        edits.addWidget(self.approve_button)
        layout = QVBoxLayout(widget)
        layout.addLayout(steps)
        layout.addWidget(self.counts_label)
        layout.addWidget(self.quota_label)
        layout.addLayout(search_row)
        layout.addWidget(self.plan_table, 1)
        layout.addLayout(edits)
        layout.addWidget(self._build_lifecycle())
        self._year_changed()
        return widget

    def _build_lifecycle(self) -> QWidget:
        """An approved plan's row of changes to one exchange (shown only for an approved year)."""
        self.lifecycle = QWidget()
        row = QHBoxLayout(self.lifecycle)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("所选交流："))
        for text, change in (("取消…", "cancel"), ("提前结束…", "end"), ("延期…", "extend")):
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, c=change: self.change_exchange(c))
            row.addWidget(button)
        row.addStretch(1)
        self.lifecycle.hide()
        return self.lifecycle

    def change_exchange(self, change: str, day: dt.date | None = None, reason: str = "") -> bool:
        """Cancel, end early or extend the selected exchange of the approved plan (a dated,
        audited write); asks for the day unless given. True when done."""
        from db.exchanges import cancel_exchange, end_exchange, extend_exchange

        index = self.plan_table.currentIndex()
        if self.plan_table.model() is not getattr(self, "approved_model", None) or not index.isValid():
            messages.info(self, "交流记录", "请先在表中选择一项交流。")
            return False
        record = self.approved_model.row_at(index.row())
        labels = {"cancel": ("取消交流", "自哪天起取消"), "end": ("提前结束", "最后一天"), "extend": ("延期", "新的结束日期")}
        if day is None:
            from desktop.pages.clusters import DateDialog

            dialog = DateDialog(labels[change][0], labels[change][1], dt.date.today(), parent=self)
            if not dialog.exec():
                return False
            day = dialog.date.value()
        try:
            note = None
            if change == "cancel":
                cancel_exchange(self.context.store, record["id"], day, reason or None)
            elif change == "end":
                end_exchange(self.context.store, record["id"], day, reason or None)
            else:
                note = extend_exchange(self.context.store, record["id"], day, self.context.profile, reason or None)
        except Exception as exc:  # noqa: BLE001 — ExchangeError / StoreError: a clear sentence
            messages.error(self, labels[change][0], str(exc))
            return False
        self._show_approved()
        messages.info(self, labels[change][0], f"{record['name']}：{labels[change][0]}（{day:%Y-%m-%d}）已记录"
                      + (f"。注意：{note}" if note else ""))
        return True

    def _set_review_enabled(self, enabled: bool) -> None:
        for item in (self.destination, self.change_button, self.remove_button, self.pin_button, self.rerun_button,
                     self.save_button, self.approve_button):
            item.setEnabled(enabled)

    def _year_changed(self, *_args: Any) -> None:
        self.plan = None
        self.pins = {}
        self.plan_model.set_moves([], {})
        self.outcomes, self.outcome_by_id = {}, {}
        self.quota_label.clear()
        self._set_review_enabled(False)
        self.counts_label.setText("选择学年后点击“计算交流条件”" + self._saved_note())
        self._show_approved()

    def _show_approved(self) -> None:
        """An approved year shows its exchanges read-only; planning, saving and approving are off."""
        saved = draft_for_year(self.context.store, self.plan_year.value())
        approved = saved is not None and saved.status == "approved"
        self.run_button.setEnabled(not approved and self.job is None)
        self.count_button.setEnabled(not approved)
        self.lifecycle.setVisible(approved)
        if not approved:
            if self.plan_table.model() is not self.plan_model:
                self.plan_table.setModel(self.plan_model)
                self.plan_table.selectionModel().currentRowChanged.connect(self._fill_destinations)
            return
        from db.exchange_plans import plan_rows
        from db.exchanges import exchange_list

        assert saved is not None
        extra = {r["id"]: r for r in plan_rows(self.context.store, saved.id)}
        rows = [{**r, "subject": extra[r["id"]]["subject"], "backbone_level": extra[r["id"]]["backbone_level"]}
                for r in exchange_list(self.context.store, dt.date.today(), year=saved.school_year)
                if r["id"] in extra]
        rows.sort(key=lambda r: (r["from_name"], r["id_number"]))
        self.counts_label.setText(f"{school_year_label(saved.school_year)}交流计划已于 {saved.approved_at:%Y-%m-%d} 批准"
                                  f"（{len(rows)} 人），计划冻结，只能查看；各项交流按日期执行。")
        if getattr(self, "approved_model", None) is None:
            self.approved_model = ApprovedModel(self)
        self.approved_model.set_rows(rows)
        self.plan_table.setModel(self.approved_model)
        self.filter_plan()
        fit_columns(self.plan_table, limits={4: 220, 5: 220})
        states: dict[str, int] = {}
        for r in rows:
            states[r["state_label"]] = states.get(r["state_label"], 0) + 1
        by_state = "，".join(f"{label} {n} 人" for label, n in states.items())
        self.quota_label.setText(f"已批准的计划（只读）：{len(rows)} 项交流；今日{by_state or '无'}。"
                                 "选中一项后可在下方取消、提前结束或延期（命令行：edubridge exchange cancel|end|extend）。")

    def _saved_note(self) -> str:
        """What is already stored for the chosen year: a draft or an approved plan."""
        saved = draft_for_year(self.context.store, self.plan_year.value())
        self.load_button.setEnabled(saved is not None and saved.status == "draft")
        if saved is None:
            return ""
        moves = (saved.summary or {}).get("moves", "?")
        if saved.status == "approved":
            return f"。本学年计划已于 {saved.approved_at:%Y-%m-%d} 批准（{moves} 人），不能再修改"
        return f"。已保存的草案：{moves} 人（{saved.created_at:%Y-%m-%d %H:%M}），可“载入草案”继续审核或在 Excel 菜单导出"

    def compute_counts(self) -> Job:
        """The year's eligibility counts, computed off the GUI thread (a county's roster takes
        seconds); the label says so meanwhile. Returns the job (tests wait on it)."""
        store, profile, year = self.context.store, self.context.profile, self.plan_year.value()
        self.counts_label.setText(f"正在计算{school_year_label(year)}的交流条件…")

        def work(progress: Progress) -> EligibilityResult:
            progress("计算交流条件", 0.1)
            return store_eligibility(store, profile, year)

        job = run_in_background(work)
        job.finished.connect(self._counts_ready)
        job.failed.connect(self._counts_failed)
        self._counts_job = job
        return job

    def _counts_failed(self, message: str) -> None:
        self.counts_label.setText("无法计算交流条件。")
        messages.error(self, "计算交流条件", message)

    def _counts_ready(self, result: EligibilityResult) -> None:
        if result.school_year != self.plan_year.value():
            return  # the clerk chose another year meanwhile; its own job follows
        self.plan_eligibility = result
        self._show_counts()

    def _show_counts(self) -> None:
        result = getattr(self, "plan_eligibility", None)
        if result is None:
            return
        summary = result.summary
        share = self.context.profile.value("exchange.min_share") or 0
        self.counts_label.setText(
            f"{school_year_label(result.school_year)}（基准日 {result.reference_date:%Y-%m-%d}）："
            f"符合交流条件 {summary['eligible']} 人，须交流 {summary['mandatory']} 人，免交流 {summary['exempt']} 人；"
            f"应交流不少于 {required_moves(self.context.profile, result.base)} 人（{share:.0%} × {result.base}）。")

    def run_planner(self) -> None:
        if self.job is not None:
            return
        store, profile, year, pins = self.context.store, self.context.profile, self.plan_year.value(), dict(self.pins)
        if getattr(self, "plan_eligibility", None) is None or self.plan_eligibility.school_year != year:
            self.compute_counts()

        def work(progress: Progress) -> Plan:
            # progress() is the cancellation point: after cancel it raises and the job ends "cancelled"
            return make_plan(store, profile, year, pins, progress=progress)

        self.progress.setValue(0)
        self.run_button.setEnabled(False)
        self.rerun_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        job = run_in_background(work)
        job.progress.connect(lambda _text, fraction: self.progress.setValue(int(fraction * 100)))
        job.finished.connect(self._plan_ready)
        job.failed.connect(self._plan_failed)
        job.cancelled.connect(self._plan_cancelled)
        self.job = job

    def cancel_planner(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _job_ended(self) -> None:
        self.job = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if self.plan_table.model() is not self.plan_model:  # the year shown is approved
            self.run_button.setEnabled(False)

    def _plan_ready(self, plan: Any) -> None:
        self._job_ended()
        self.plan = plan
        self.pins = dict(plan.pins)
        if not self.schools:
            from db.exchange_plans import load_schools

            self.schools = load_schools(self.context.store, dt.date.today())
        self._show_moves()
        if plan.moves and not self._plan_sized:
            self._plan_sized = True
            fit_columns(self.plan_table, limits={4: 240, 5: 240, 11: 420})
        self.progress.setValue(100)
        self._set_review_enabled(True)
        self._show_quota()

    def _plan_failed(self, text: str) -> None:
        self._job_ended()
        messages.error(self, "生成计划失败", text)

    def _plan_cancelled(self) -> None:
        self._job_ended()
        self.progress.setValue(0)
        self.quota_label.setText("已取消求解。")

    def _show_quota(self) -> None:
        plan = self.plan
        if plan is None:
            return
        counted = tally(plan, self.context.profile)
        plan.required_backbone = counted.required_backbone
        moves = plan.moves
        ok, ok_bb, ok_m = ("✔" if met else "✘" for met in (counted.moves_met, counted.backbone_met,
                                                          counted.mandatory_met))
        state = "最优解" if plan.optimal else "未证明最优"
        timing = f"用时 {plan.seconds:.2f} 秒" if plan.seconds else "已保存的草案"
        edited = "（已手工调整，重新求解可恢复最优）" if any(m.pinned for m in moves) or self.pins else ""
        lines = [f"交流 <b>{counted.moves}</b> 人 / 应不少于 {counted.required_moves} 人 {ok}　"
                 f"骨干 <b>{counted.backbone}</b> 人 / 应不少于 {counted.required_backbone} 人 {ok_bb}　"
                 f"须交流未安排 <b>{counted.mandatory_left}</b> 人 {ok_m}　{state}（{timing}）{edited}"]
        for text in plan.unmet:
            lines.append(f"<span style='color:#b00'>未满足：{text}</span>")
        unplaced = [o for o in self.outcomes.values() if o.outcome == UNPLACED]
        for outcome in unplaced[:5]:
            entry = outcome.entry
            lines.append(f"<span style='color:#b00'>须交流未安排：{entry.teacher.name}"
                         f"（{self.plan_model.names.get(entry.school, entry.school)}，{entry.teacher.subject or ''}）"
                         f"——{outcome.reason}</span>")
        if len(unplaced) > 5:
            lines.append(f"<span style='color:#b00'>……另有 {len(unplaced) - 5} 人，见教师名册中各人的说明或导出的计划</span>")
        self.quota_label.setText("<br>".join(lines))
        self.quota_label.setToolTip(f"求解器：{plan.solver}" if plan.solver else "")  # for the curious, not the page

    def _selected(self) -> int | None:
        index = self.plan_table.currentIndex()
        return index.row() if index.isValid() else None

    def _fill_destinations(self, current: QModelIndex, _previous: QModelIndex | None = None) -> None:
        self.destination.clear()
        if not current.isValid() or self.plan is None:
            return
        move = self.plan_model.moves[current.row()]
        source = self.schools.get(move.from_school)
        rules = self.plan.rules
        if source is None:
            return
        if rules is None or move.entry.due != MANDATORY:
            for code, school in sorted(self.schools.items(), key=lambda kv: kv[1].name):
                if allowed(source, school):
                    self.destination.addItem(f"{school.name}（{code}）", code)
        else:  # a mandatory teacher may go anywhere in the county teaching his section, best direction first
            for school, kind in rules.destinations(source, self.schools.values()):
                self.destination.addItem(f"{school.name}（{school.code}）· {LABELS[kind]}", school.code)
        position = self.destination.findData(move.to_school)
        if position >= 0:
            self.destination.setCurrentIndex(position)

    def _show_moves(self) -> None:
        """The review table from the plan, each row with its reason (policy.plan_outcomes);
        the teacher selected before stays selected and the search still applies."""
        assert self.plan is not None
        row = self._selected()
        selected = self.plan_model.moves[row].entry.teacher.key if row is not None else None
        self.plan.pins = dict(self.pins)  # the review's edits are the plan's pins (saved with it)
        self.outcomes = by_key(self.plan)
        self.outcome_by_id = {str(key): outcome for key, outcome in self.outcomes.items()}
        names = {code: school.name for code, school in self.schools.items()}
        self.plan_model.set_moves(self.plan.moves, names, {k: o.reason for k, o in self.outcomes.items()})
        keep = next((n for n, m in enumerate(self.plan_model.moves) if m.entry.teacher.key == selected), None)
        self.filter_plan(keep)
        if keep is not None:
            self.plan_table.selectRow(keep)
            self.plan_table.scrollTo(self.plan_model.index(keep, 0))

    def filter_plan(self, keep: int | None = None) -> int:
        """Hide the review rows the search does not match (rows stay in plan order, so edits
        address the plan's own moves); returns how many are shown. Row ``keep`` (the one just
        edited, which a 改派 may have moved out of the search) stays shown and selected."""
        words = self.plan_search.text().split()
        shown = 0
        model = self.plan_table.model()
        for number in range(model.rowCount()):
            record = model.index(number, 0).data(OBJECT_ROLE)
            if isinstance(record, PlanLine):  # the review of a draft
                teacher = record.move.entry.teacher
                fields = (teacher.name, record.from_name, record.to_name, teacher.subject or "")
                id_number = teacher.id_number
            else:  # an approved plan's exchanges (ApprovedModel)
                fields = (record["name"], record["from_name"], record["to_name"], record.get("subject") or "")
                id_number = str(record["id_number"])
            haystack = " ".join(fields)
            match = number == keep or all(
                word in haystack or (len(word) >= 3 and id_number.upper().endswith(word.upper())) for word in words)
            self.plan_table.setRowHidden(number, not match)
            shown += match
        self.plan_found.setText(f"找到 {shown} 人" if words else "")
        return shown

    def _replace(self, row: int, move: Move | None) -> None:
        assert self.plan is not None
        old = self.plan.moves[row]
        if move is None:
            del self.plan.moves[row]
            self.plan.stays.append(old.entry)
        else:
            self.plan.moves[row] = move
        self._show_moves()
        self._show_quota()

    def change_destination(self) -> None:
        row = self._selected()
        code = self.destination.currentData()
        if row is None or code is None or self.plan is None:
            return
        from dataclasses import replace

        old = self.plan_model.moves[row]
        self.pins[old.entry.teacher.key] = code
        source, target, rules = self.schools.get(old.from_school), self.schools.get(code), self.plan.rules
        direction = rules.kind(source, target) if rules and source and target else ""
        km = distance_km(source, target) if source and target else None
        self._replace(row, replace(old, to_school=code, pinned=True, distance_km=km, direction=direction))

    def remove_selected(self) -> None:
        row = self._selected()
        if row is None or self.plan is None:
            return
        self.pins[self.plan_model.moves[row].entry.teacher.key] = None
        self._replace(row, None)

    def pin_selected(self) -> None:
        row = self._selected()
        if row is None or self.plan is None:
            return
        from dataclasses import replace

        old = self.plan_model.moves[row]
        self.pins[old.entry.teacher.key] = old.to_school
        self._replace(row, replace(old, pinned=True))

    def load_saved_draft(self) -> None:
        """The saved draft into the review table, with its pins, as if just planned."""
        year = self.plan_year.value()
        plan = load_draft(self.context.store, self.context.profile, year)
        if plan is None:
            messages.info(self, "载入草案", f"{school_year_label(year)}没有可载入的计划草案。")
            return
        self.compute_counts()
        self._plan_ready(plan)

    def save_draft(self) -> None:
        if self.plan is None:
            return
        try:
            save_plan(self.context.store, self.plan, self.context.profile)
        except Exception as exc:  # noqa: BLE001 — StoreError / PlanError: a clear sentence
            messages.error(self, "保存失败", str(exc))
            return
        messages.info(self, "已保存草案",
                      f"{school_year_label(self.plan.school_year)}交流计划草案已保存（{len(self.plan.moves)} 人），"
                      "可在 Excel 菜单中导出。")

    def approve(self) -> None:
        if self.plan is None:
            return
        year = self.plan.school_year
        if not messages.ask(self, "批准交流计划",
                            f"批准{school_year_label(year)}交流计划（{len(self.plan.moves)} 人）？批准后计划冻结，不能再修改。"):
            return
        store, profile, plan = self.context.store, self.context.profile, self.plan

        def work(progress: Any) -> int:  # a city plan writes ~9,000 exchanges' postings: off the GUI thread
            progress("保存并批准计划", 0.3)
            return approve_plan(store, save_plan(store, plan, profile))

        self._set_review_enabled(False)
        self.run_button.setEnabled(False)
        job = run_in_background(work)
        job.finished.connect(lambda count: self._approved(year, count))
        job.failed.connect(self._approve_failed)
        self.job = job

    def _approved(self, year: int, count: int) -> None:
        self.job = None
        self._year_changed()
        messages.info(self, "已批准", f"{school_year_label(year)}交流计划已批准并冻结（{count} 人），任职记录已按交流日期更新。")

    def _approve_failed(self, text: str) -> None:
        self.job = None
        self._set_review_enabled(True)
        self.run_button.setEnabled(True)
        messages.error(self, "批准失败", text)

