"""质量数据: one school's figures for one school year, typed by hand (the rules in db.quality_import).

The fields are checked by :func:`db.quality_import.parse_entry`, the same parsers as the
import's cells; a refusal names the field and keeps the dialog open with what was typed.
Each figure shows its verdict against the active profile (达标 / 未达标, with the clause) as it
is typed. Saving is one audited write (:func:`db.quality_import.save_figures`); a cleared field
removes the stored figure.
"""

from __future__ import annotations

import datetime as dt
import uuid

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QSpinBox, QWidget

from db.engine import StoreError
from db.quality_import import YEAR, parse_entry, parse_figure, save_figures, school_figures
from db.store import Store
from desktop.pages.clusters import _FormDialog, school_combo
from policy.calendar import school_year_label, school_year_of
from policy.clusters import SchoolRec
from policy.profile import Profile
from policy.quality import NOT_MET, judge
from policy.vocab import QUALITY_INDICATORS


class QualityDialog(_FormDialog):
    """School, school year and one field per indicator; loads the stored figures on each choice."""

    def __init__(self, store: Store, profile: Profile, schools: list[SchoolRec],
                 current: uuid.UUID | None = None, parent: QWidget | None = None) -> None:
        super().__init__("质量数据", parent)
        self.store, self.profile = store, profile
        self.changes: list[str] = []
        self.school = school_combo(schools, current)
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.year.setValue(school_year_of(dt.date.today(), profile.calendar) - 1)
        self.year_label = QLabel()
        year_row = QHBoxLayout()
        year_row.addWidget(self.year)
        year_row.addWidget(self.year_label, 1)
        self.form.addRow("学校", self.school)
        self.form.addRow(YEAR, year_row)
        self.fields: dict[str, QLineEdit] = {}
        self.verdicts: dict[str, QLabel] = {}
        for indicator in QUALITY_INDICATORS:
            field, verdict = QLineEdit(), QLabel()
            field.setPlaceholderText("0—100")
            verdict.setWordWrap(True)
            row = QHBoxLayout()
            row.addWidget(field)
            row.addWidget(verdict, 1)
            self.form.addRow(indicator + ("（分）" if indicator == "学业质量监测均分" else "（%）"), row)
            self.fields[indicator], self.verdicts[indicator] = field, verdict
            field.textChanged.connect(lambda _text, name=indicator: self._show_verdict(name))
        self.school.currentIndexChanged.connect(self.load)
        self.year.valueChanged.connect(self.load)
        self.submit = self.save
        self.setMinimumWidth(640)
        self.load()

    def school_id(self) -> uuid.UUID | None:
        value = self.school.currentData()
        return value if isinstance(value, uuid.UUID) else None

    def load(self) -> None:
        """Show the stored figures of the chosen school and year."""
        self.year_label.setText(school_year_label(self.year.value()))
        school_id = self.school_id()
        stored = school_figures(self.store, school_id, self.year.value()) if school_id else {}
        for indicator, field in self.fields.items():
            value = stored.get(indicator)
            field.setText("" if value is None else f"{value:g}")
            self._show_verdict(indicator)

    def _show_verdict(self, indicator: str) -> None:
        label = self.verdicts[indicator]
        try:
            value = parse_figure(self.fields[indicator].text())
        except ValueError as exc:
            label.setText(str(exc))
            label.setStyleSheet("color: #b3261e;")
            return
        if value is None:
            label.setText("")
            return
        verdict = judge(indicator, value, self.profile)
        if not verdict.status:
            label.setText("（无达标线）")
            label.setStyleSheet("")
            return
        limit = f"{'≥' if verdict.floor else '≤'}{verdict.limit:g}"
        label.setText(f"{verdict.status}（{limit}，{verdict.clause}）")
        label.setStyleSheet("color: #b3261e;" if verdict.status == NOT_MET else "color: #1b5e20;")

    def save(self) -> None:
        """Check every field with the import's rules, then write; StoreError keeps the dialog open."""
        school_id = self.school_id()
        if school_id is None:
            raise StoreError("请选择学校")
        year, values, problems = parse_entry(self.year.value(), {k: f.text() for k, f in self.fields.items()})
        if problems:
            raise StoreError("；".join(f"{field}：{message}" for field, message in problems.items()))
        self.changes = save_figures(self.store, school_id, year, values)
