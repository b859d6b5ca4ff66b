"""组建建议: the cluster-forming optimiser on the clusters page (issue 18).

The clerk sets the weights (keep today's memberships, balance) and a time limit; the solver
runs in the background (progress, cancel); the proposal shows its status and gap, the rule
check of the proposed grouping, the proposed clusters and every change; the clerk accepts it
whole or the selected schools, as dated memberships (``db.cluster_forming.accept``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.cluster_forming import accept, check_proposal, follow_ups, forming_schools
from desktop import messages
from desktop.context import AppContext
from desktop.models.record_table import Col, RecordTableModel
from desktop.widgets import DateEdit, fit_columns, setup_table
from desktop.worker import run_in_background
from policy.cluster_forming import Proposal, propose
from policy.progress import Progress


class ProposedModel(RecordTableModel):
    """The proposed clusters."""

    COLUMNS = (
        Col("牵头校", lambda r: r["lead_name"]),
        Col("类型", lambda r: r["kind"]),
        Col("学校数", lambda r: len(r["members"]), numeric=True),
        Col("学生数", lambda r: r["students"], numeric=True),
        Col("到牵头校距离合计(km)", lambda r: r["travel_km"], text=lambda v: f"{v:.1f}", numeric=True),
        Col("延续", lambda r: r["today"] or "新组建"),
        Col("成员校", lambda r: "、".join(r["member_names"])),
    )


class ChangeModel(RecordTableModel):
    """Schools whose cluster the proposal changes."""

    COLUMNS = (
        Col("学校代码", lambda r: r["school"]),
        Col("学校", lambda r: r["name"]),
        Col("现在所在集团", lambda r: r["from"] or "（未纳入）"),
        Col("建议调入（牵头校）", lambda r: r["to_name"] or "（不纳入）"),
        Col("角色", lambda r: r["role"]),
    )


class ProposalDialog(QDialog):
    """Propose, review, accept."""

    def __init__(self, context: AppContext, on: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("集团组建建议")
        self.context = context
        self.job: Any = None
        self.proposal: Proposal | None = None
        self.names: dict[str, str] = {}
        self.applied_edits: list[str] = []
        self.follow_ups: list[Any] = []  # what accepting leaves to do (db.cluster_forming.follow_ups)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.keep = QDoubleSpinBox(self)
        self.keep.setRange(0, 1000)
        self.keep.setValue(20)
        self.keep.setSuffix(" 公里/所")
        self.keep.setToolTip("保留现有隶属关系的权重：每改动一所学校相当于多少公里的路程")
        self.balance = QDoubleSpinBox(self)
        self.balance.setRange(0, 1000)
        self.balance.setValue(1)
        self.balance.setSuffix(" 公里/百人")
        self.balance.setToolTip("规模均衡的权重：最大集团每多 100 名学生相当于多少公里")
        self.limit = QSpinBox(self)
        self.limit.setRange(5, 3600)
        self.limit.setValue(60)
        self.limit.setSuffix(" 秒")
        self.on = DateEdit(on)
        self.run_button = QPushButton("求解", self)
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("取消", self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(lambda: self.job.cancel() if self.job is not None else None)
        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(140)
        for label, widget in (("保留现状", self.keep), ("均衡", self.balance), ("时限", self.limit),
                              ("生效日期", self.on)):
            bar.addWidget(QLabel(label, self))
            bar.addWidget(widget)
        bar.addWidget(self.run_button)
        bar.addWidget(self.cancel_button)
        bar.addWidget(self.progress)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.status = QLabel("设置权重后点击“求解”。规则取自当前政策方案：每个集团学校数、学生数上限，乡村学校和教学点全部纳入，"
                             "牵头校为城区或市属学校。", self)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        split = QSplitter(Qt.Orientation.Vertical, self)
        self.clusters_model = ProposedModel(self)
        self.clusters_view = setup_table(QTableView(split))
        self.clusters_view.setModel(self.clusters_model)
        self.changes_model = ChangeModel(self)
        self.changes_view = setup_table(QTableView(split))
        self.changes_view.setModel(self.changes_model)
        self.changes_view.setSelectionMode(QTableView.SelectionMode.ExtendedSelection)
        split.addWidget(self.clusters_view)
        split.addWidget(self.changes_view)
        layout.addWidget(split, 1)
        buttons = QHBoxLayout()
        self.accept_selected = QPushButton("采纳所选学校的调整", self)
        self.accept_selected.clicked.connect(lambda: self.apply(selected=True))
        self.accept_all = QPushButton("全部采纳", self)
        self.accept_all.clicked.connect(lambda: self.apply(selected=False))
        close = QPushButton("关闭", self)
        close.clicked.connect(self.reject)
        buttons.addStretch(1)
        for button in (self.accept_selected, self.accept_all, close):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self._set_accept_enabled(False)
        self.resize(1280, 700)

    def _set_accept_enabled(self, enabled: bool) -> None:
        self.accept_selected.setEnabled(enabled)
        self.accept_all.setEnabled(enabled)

    def day(self) -> dt.date:
        return self.on.value()

    def run(self) -> None:
        if self.job is not None:
            return
        store, profile, on = self.context.store, self.context.profile, self.day()
        keep, balance, limit = self.keep.value(), self.balance.value(), float(self.limit.value())

        def work(progress: Progress) -> tuple[Proposal, list[Any], dict[str, str], list[Any]]:
            progress("读取学校与集团", 0.02)
            schools = forming_schools(store, on)
            proposal = propose(schools, profile, keep=keep, balance=balance, time_limit=limit, progress=progress)
            violations = check_proposal(store, profile, proposal, on) if proposal.clusters else []
            to_do = follow_ups(store, profile, proposal, on) if proposal.clusters else []
            return proposal, violations, {s.code: s.name for s in schools}, to_do

        self.progress.setValue(0)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._set_accept_enabled(False)
        job = run_in_background(work)
        job.progress.connect(lambda _text, fraction: self.progress.setValue(int(fraction * 100)))
        job.finished.connect(self._ready)
        job.failed.connect(lambda text: self._ended("求解失败", text))
        job.cancelled.connect(lambda: self._ended("", "已取消求解。"))
        self.job = job

    def _ended(self, title: str, text: str) -> None:
        self.job = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setValue(0)
        if title:
            messages.error(self, title, text)
        else:
            self.status.setText(text)

    def _ready(self, found: tuple[Proposal, list[Any], dict[str, str], list[Any]]) -> None:
        proposal, violations, names, self.follow_ups = found
        self.job, self.proposal, self.names = None, proposal, names
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setValue(100)
        self.show_proposal(violations)

    def show_proposal(self, violations: list[Any]) -> None:
        proposal = self.proposal
        assert proposal is not None
        names = self.names
        gap = proposal.gap
        lines = [f"<b>{proposal.status_label}</b>（求解器 OR-Tools CP-SAT"
                 + (f"，与下界的差距 {gap:.2%}" if gap is not None else "") + f"，{proposal.seconds:.1f} 秒）："
                 f"{len(proposal.clusters)} 个集团，调整 {len(proposal.changes)} 所学校，未纳入 {len(proposal.outside)} 所。"]
        if proposal.clusters:
            lines.append("按现行政策方案检查：" + ("符合全部集团组建规则" if not violations else
                         "；".join(f"{v.subject}：{v.detail}（{v.clause}）" for v in violations[:3])))
        if self.follow_ups:
            by_rule: dict[str, list[Any]] = {}
            for v in self.follow_ups:
                by_rule.setdefault(v.clause, []).append(v)
            lines += [f"采纳后尚需办理：{len(items)} 个集团 — {items[0].detail}"
                      + ("等" if len(items) > 1 else "") + f"（{clause}）" for clause, items in by_rule.items()]
        lines += [f"说明：{note}" for note in proposal.notes]
        self.status.setText("<br>".join(lines))
        self.clusters_model.set_rows([{**dataclasses.asdict(c), "lead_name": names.get(c.lead, c.lead),
                                       "member_names": [names.get(m, m) for m in c.members[1:]]}
                                      for c in proposal.clusters])
        self.changes_model.set_rows([{**c, "to_name": names.get(c["to_lead"], "") if c["to_lead"] else ""}
                                     for c in proposal.changes])
        fit_columns(self.clusters_view)
        fit_columns(self.changes_view)
        self._set_accept_enabled(bool(proposal.changes))

    def apply(self, selected: bool) -> None:
        """Accept the selected schools' changes, or all of them, in the background."""
        if self.proposal is None or self.job is not None:
            return
        only = None
        if selected:
            rows = sorted({index.row() for index in self.changes_view.selectionModel().selectedRows()})
            if not rows:
                messages.info(self, "采纳建议", "请先在下表中选择学校（可按住 Ctrl 多选）。")
                return
            only = [self.changes_model.row_at(r)["school"] for r in rows]
        count = len(only) if only is not None else len(self.proposal.changes)
        on = self.day()
        if not messages.ask(self, "采纳建议", f"按建议调整 {count} 所学校的集团隶属关系（{on:%Y-%m-%d} 起）？"
                            "每项调整按日期记录并写入审计日志。"):
            return
        store, data = self.context.store, self.proposal.to_json()

        def work(progress: Any) -> list[str]:
            progress("调整隶属关系", 0.1)
            return accept(store, data, on, only)

        self._set_accept_enabled(False)
        self.run_button.setEnabled(False)
        job = run_in_background(work)
        job.finished.connect(self._applied)
        job.failed.connect(lambda text: self._ended("采纳建议失败", text))
        self.job = job

    def _applied(self, done: list[str]) -> None:
        self.job = None
        self.run_button.setEnabled(True)
        self.applied_edits += done
        self._set_accept_enabled(True)  # the rest can still be accepted; done ones are skipped
        self.status.setText(f"已完成 {len(done)} 项调整。可重新求解查看剩余建议。")
        messages.info(self, "采纳建议", f"已完成 {len(done)} 项调整：\n" + "\n".join(done[:15])
                      + ("\n……" if len(done) > 15 else ""))
