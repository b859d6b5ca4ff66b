"""登记交流: one exchange of any form typed by hand (layout here; the rules in db.exchange_import).

The dialog collects the same fields as a row of the 交流记录 sheet and hands them to
:func:`db.exchange_import.record_exchange`, so a typed exchange is checked exactly as an
imported one (teacher, schools, form, dates, direction, overlap) and carried out at once.
A refusal names the field and keeps the dialog open with what was typed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QWidget

from db.exchange_import import END, FORM, ID, NAME, NOTES, PERSONNEL, SOURCE, START, TARGET
from desktop.pages.clusters import _FormDialog, school_combo
from desktop.widgets import DateEdit
from policy import vocab


class ExchangeDialog(_FormDialog):
    """登记交流: teacher, 原单位 (his school, editable), 交流单位, form, dates, personnel, 备注."""

    def __init__(self, schools: list[Any], profile: Any, teacher: tuple[str, str, Any] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__("登记交流", parent)
        self.profile = profile
        today = dt.date.today()
        self.id_number = QLineEdit(teacher[0] if teacher else "")
        self.name = QLineEdit(teacher[1] if teacher else "")
        self.source = school_combo(schools, teacher[2] if teacher else None)
        self.target = school_combo(schools)
        self.form_choice = QComboBox()
        self.form_choice.addItems(vocab.EXCHANGE_FORMS)
        self.start = DateEdit(today)
        self.end = DateEdit(today.replace(year=today.year + 1))
        self.open_end = QCheckBox("不填结束日期（调动人事关系的轮岗）")
        self.personnel = QCheckBox("调动人事关系（在交流单位重新计算任教年限）")
        self.notes = QLineEdit()
        self.notes.setPlaceholderText("如：每周2天（走教）、人事关系随迁")
        self.rule = QLabel()
        self.rule.setWordWrap(True)
        self.rule.setMinimumWidth(460)
        for label, widget in (("身份证号", self.id_number), ("姓名", self.name), ("原单位", self.source),
                              ("交流单位", self.target), ("交流形式", self.form_choice), ("开始日期", self.start),
                              ("结束日期", self.end), ("", self.open_end), ("", self.personnel), ("备注", self.notes),
                              ("政策规定", self.rule)):
            self.form.addRow(label, widget)
        self.form_choice.currentTextChanged.connect(self._form_changed)
        self.open_end.toggled.connect(lambda on: self.end.setEnabled(not on))
        self._form_changed(self.form_choice.currentText())

    def _form_changed(self, form: str) -> None:
        """Say the form's rules; personnel can be moved only where the profile allows it."""
        rule = self.profile.exchange_forms.get(form)
        may_move = bool(rule and rule.personnel_may_move)
        self.personnel.setEnabled(may_move)
        if not may_move:
            self.personnel.setChecked(False)
        if rule is not None:
            self.rule.setText(f"{rule.label}；最长 {rule.term_months} 个月；"
                              f"{'计入' if rule.counts else '不计入'}交流比例。依据：{rule.clause}")

    def values(self) -> dict[str, Any]:
        """The fields as a 交流记录 row (header → value)."""
        def school(combo: QComboBox) -> str:
            return combo.currentText().split(" ", 1)[0] if combo.currentData() is not None else combo.currentText()

        return {ID: self.id_number.text(), NAME: self.name.text(), SOURCE: school(self.source),
                TARGET: school(self.target), FORM: self.form_choice.currentText(), START: self.start.value(),
                END: None if self.open_end.isChecked() else self.end.value(),
                PERSONNEL: "是" if self.personnel.isChecked() else "否", NOTES: self.notes.text()}
