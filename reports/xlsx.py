"""Writing workbooks clerks open in Excel or WPS: templates, exports, statistics tables.

One helper, :func:`write_table`, so every sheet we hand out looks the same: bold frozen
header row, sensible column widths, drop-down lists for coded columns, and a 说明
(notes) sheet when there is something to explain.

A template's example row (:attr:`Sheet.example`, the importer's own ``EXAMPLE`` constant)
goes right under the header in grey italics with a comment, and the 说明 sheet says that
an unchanged example row is skipped on import (see ``db.importing.read_sheet``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
MAX_ROWS_VALIDATED = 5000
EXAMPLE_FONT = Font(italic=True, color="808080")
EXAMPLE_COMMENT = "示例行：原样保留时导入会自动跳过；请直接改写为真实数据或删除此行。"
EXAMPLE_NOTE = (
    "表头下方灰色斜体的一行是示例行：原样保留时导入会自动跳过（导入结果中注明“已跳过模板示例行”），"
    "也可以直接删除；只要改动过其中任何一格，这一行就按真实数据导入或报错。"
)


@dataclasses.dataclass(frozen=True, slots=True)
class Column:
    """A column of a sheet: its header, optional allowed values and width in characters."""

    header: str
    choices: Sequence[str] = ()
    width: int | None = None
    number_format: str | None = None  # e.g. "yyyy-mm-dd" for dates


@dataclasses.dataclass(slots=True)
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]] = ()
    caption: str | None = None  # a title row above the header (statistics tables)
    example: Sequence[Any] | None = None  # a template's example row, written first in grey italics


def _width(column: Column) -> int:
    if column.width:
        return column.width
    # CJK characters are about twice as wide as Latin ones in Excel's unit.
    return max(10, 2 * len(column.header) + 4)


def write_table(path: Path, sheets: Sequence[Sheet], notes: Sequence[str] = ()) -> Path:
    """Write ``sheets`` (and a 说明 sheet when ``notes``) to ``path``; returns the path."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in sheets:
        _write_sheet(workbook, sheet)
    if notes and any(sheet.example for sheet in sheets):
        notes = [notes[0], EXAMPLE_NOTE, *notes[1:]]
    if notes:
        notes_sheet = workbook.create_sheet("说明")
        notes_sheet.column_dimensions["A"].width = 100
        for line in notes:
            _append(notes_sheet, [line])
            notes_sheet.cell(notes_sheet.max_row, 1).alignment = Alignment(wrap_text=True, vertical="top")
    workbook.save(path)
    return path


# A text starting with one of these is a formula (or DDE payload) to Excel, WPS and
# LibreOffice when typed or imported from CSV: OWASP "CSV injection".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _append(ws: Worksheet, values: Iterable[Any]) -> None:
    """``ws.append`` with every text cell written as text, never as a formula.

    openpyxl stores a string beginning with “=” as a formula, so a school named
    ``=HYPERLINK(…)`` would become a live link in the clerk's Excel. Such cells (and those
    beginning with + - @ tab or CR) are typed as strings and get Excel's quote prefix (the
    hidden ' that keeps them text when the cell is edited), while the value itself is
    unchanged: an export imports back exactly, “-张三” included.
    """
    row = list(values)
    ws.append(row)
    for index, value in enumerate(row, start=1):
        if type(value) is str and value.startswith(FORMULA_STARTS):
            cell = ws.cell(ws.max_row, index)
            cell.data_type = "s"
            cell.quotePrefix = True


def _write_sheet(workbook: Workbook, sheet: Sheet) -> None:
    ws = workbook.create_sheet(sheet.title)
    header_row = 1
    if sheet.caption:
        _append(ws, [sheet.caption])
        ws.cell(1, 1).font = Font(bold=True, size=14)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(1, len(sheet.columns)))
        ws.cell(1, 1).alignment = Alignment(horizontal="center")
        header_row = 2
    _append(ws, [c.header for c in sheet.columns])
    for index, column in enumerate(sheet.columns, start=1):
        cell = ws.cell(header_row, index)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(index)].width = _width(column)
    ws.freeze_panes = f"A{header_row + 1}"  # a coordinate, not ws.cell(): that would create row 2 before append
    count = 0
    if sheet.example:
        _append(ws, list(sheet.example))
        count += 1
        for cell in ws[header_row + 1]:
            cell.font = EXAMPLE_FONT
        ws.cell(header_row + 1, 1).comment = Comment(EXAMPLE_COMMENT, "EduBridge", width=260, height=80)
    for row in sheet.rows:
        _append(ws, row)
        count += 1
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        last = header_row + max(count, MAX_ROWS_VALIDATED)
        if column.choices:
            validation = DataValidation(
                type="list", formula1='"' + ",".join(column.choices) + '"', allow_blank=True,
                showErrorMessage=True, errorTitle="无效的值", error=f"请从下拉列表中选择{column.header}",
            )
            ws.add_data_validation(validation)
            validation.add(f"{letter}{header_row + 1}:{letter}{last}")
        if column.number_format:
            for (cell,) in ws.iter_rows(min_row=header_row + 1, max_row=header_row + count, min_col=index, max_col=index):
                cell.number_format = column.number_format
