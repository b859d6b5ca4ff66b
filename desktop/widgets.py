"""Small widgets shared by several pages."""

from __future__ import annotations

import datetime as dt
import re

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QSpinBox, QWidget

from policy.calendar import school_year_label, school_year_of


class SchoolYearSpinBox(QSpinBox):
    """Picks a school year and shows it the way clerks write it: ``2026—2027学年``."""

    def __init__(self, parent: QWidget | None = None, *, offset: int = 0) -> None:
        super().__init__(parent)
        self.setRange(2000, 2100)
        self.setValue(school_year_of(dt.date.today()) + offset)

    def textFromValue(self, value: int) -> str:  # noqa: N802 (Qt override)
        return school_year_label(value)

    def valueFromText(self, text: str) -> int:  # noqa: N802
        match = re.search(r"\d{4}", text)
        return int(match.group()) if match else self.value()

    def validate(self, text: str, pos: int) -> object:
        return (QValidator.State.Acceptable if re.search(r"\d{4}", text) else QValidator.State.Intermediate,
                text, pos)
