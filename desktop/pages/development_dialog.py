"""登记培训学时 / 种子教师、榜样教师 / 师徒结对 for one teacher (教师与交流 → 登记培养记录).

The forms of :mod:`desktop.form_dialog`: 确定 saves through :mod:`db.development_entry` (one
audited write); a refusal keeps the dialog open with everything typed and the reason below.
"""

from __future__ import annotations

import datetime as dt
import uuid

from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QWidget

from db import development_entry as entry
from db.store import Store
from desktop.form_dialog import FormDialog
from desktop.widgets import DateEdit
from policy import vocab


class _TeacherForm(FormDialog):
    """A form about one teacher, named at its top."""

    def __init__(self, title: str, intro: str, store: Store, teacher_id: uuid.UUID, teacher: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, intro, parent)
        self.store, self.teacher_id = store, teacher_id
        self.form.addRow("教师", QLabel(teacher))

    def dates(self) -> None:
        """开始日期 and an optional 结束日期 (ticked: the last day)."""
        self.start = DateEdit(dt.date.today())
        self.form.addRow("开始日期", self.start)
        self.ended = QCheckBox("结束于")
        self.end = DateEdit(dt.date.today())
        self.end.setEnabled(False)
        self.ended.toggled.connect(self.end.setEnabled)
        row = QHBoxLayout()
        row.addWidget(self.ended)
        row.addWidget(self.end, 1)
        self.form.addRow("结束日期", row)

    def end_day(self) -> dt.date | None:
        return self.end.value() if self.ended.isChecked() else None


class TrainingDialog(_TeacherForm):
    def __init__(self, store: Store, teacher_id: uuid.UUID, teacher: str, parent: QWidget | None = None) -> None:
        super().__init__("登记培训学时", "一次培训一条：培训项目、完成日期和学时（与“导入培训记录”相同）。",
                         store, teacher_id, teacher, parent)
        self.course = self.line("培训项目", "course")
        self.day = DateEdit(dt.date.today())
        self.form.addRow("完成日期", self.day)
        self.hours = self.line("学时", "hours")
        self.special = QCheckBox("乡村教师专项培训")
        self.form.addRow("", self.special)

    def attempt(self) -> None:
        entry.add_training(self.store, self.teacher_id, self.course.text(), self.day.value(), self.hours.text(),
                           self.special.isChecked())


class DesignationDialog(_TeacherForm):
    def __init__(self, store: Store, teacher_id: uuid.UUID, teacher: str, parent: QWidget | None = None) -> None:
        super().__init__("登记种子教师、榜样教师", "称号自开始日期起计入教师人事关系所在的乡村学校；"
                         "称号结束时填写结束日期。", store, teacher_id, teacher, parent)
        self.kind = QComboBox()
        self.kind.addItems(vocab.DESIGNATIONS)
        self.form.addRow("称号", self.kind)
        self.dates()

    def attempt(self) -> None:
        entry.add_designation(self.store, self.teacher_id, self.kind.currentText(), self.start.value(), self.end_day())


class MentoringDialog(_TeacherForm):
    def __init__(self, store: Store, teacher_id: uuid.UUID, teacher: str, parent: QWidget | None = None) -> None:
        super().__init__("登记师徒结对", "所选教师为徒弟；师傅填写姓名（可注明学校）。", store, teacher_id, teacher,
                         parent)
        self.mentor = self.line("师傅", "mentor")
        self.dates()

    def attempt(self) -> None:
        entry.add_mentoring(self.store, self.teacher_id, self.mentor.text(), self.start.value(), self.end_day())


DIALOGS = (("登记培训学时…", TrainingDialog), ("登记种子教师、榜样教师…", DesignationDialog),
           ("登记师徒结对…", MentoringDialog))
