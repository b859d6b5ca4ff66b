"""Writing workbooks clerks open in Excel or WPS: templates, exports, statistics tables.

One helper, :func:`write_table`, so every sheet we hand out looks the same: bold frozen
header row, drop-down lists for coded columns, and a 说明 (notes) sheet when there is
something to explain. Every sheet is laid out for printing by :func:`print_layout` (A4,
orientation from the width, fit to one page wide, header rows repeated, title and page
numbers in the header and footer, column widths from the content, ID and code columns as
text so Excel keeps all 18 digits); a workbook built another way calls it too.

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
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from policy.idcard import masked

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
MAX_ROWS_VALIDATED = 5000
EXAMPLE_FONT = Font(italic=True, color="808080")
EXAMPLE_COMMENT = "示例行：原样保留时导入会自动跳过；请直接改写为真实数据或删除此行。"
EXAMPLE_NOTE = (
    "表头下方灰色斜体的一行是示例行：原样保留时导入会自动跳过（导入结果中注明“已跳过模板示例行”），"
    "也可以直接删除；只要改动过其中任何一格，这一行就按真实数据导入或报错。"
)


#: Header words of columns Excel must keep as text (an 18-digit ID number typed into a General
#: cell becomes 6.40122E+17 and loses its last three digits; a code loses its leading zeros).
TEXT_HEADER_WORDS = ("身份证", "证件号", "代码", "标识码", "编号", "电话", "手机", "工号")
#: Widest column (characters) before text wraps; narrowest.
MAX_WIDTH, MIN_WIDTH = 50, 6
#: Rows measured for widths (enough for a representative width, fast for 5 000-row exports).
WIDTH_SAMPLE = 400
#: Sheets up to this many rows get cell borders like a printed form.
BORDER_ROWS = 3000


@dataclasses.dataclass(frozen=True, slots=True)
class Column:
    """A column of a sheet: its header, optional allowed values and width in characters."""

    header: str
    choices: Sequence[str] = ()
    width: int | None = None
    number_format: str | None = None  # e.g. "yyyy-mm-dd" for dates
    #: Stored and typed as text ("@"): ID numbers, school codes, phone numbers. None: from the header.
    text: bool | None = None

    @property
    def is_text(self) -> bool:
        return self.text if self.text is not None else any(word in self.header for word in TEXT_HEADER_WORDS)


@dataclasses.dataclass(slots=True)
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]] = ()
    caption: str | None = None  # a title row above the header (statistics tables)
    example: Sequence[Any] | None = None  # a template's example row, written first in grey italics
    #: Lines printed under the table (a form's footer: 填报单位（盖章）, 填表人 …).
    footer: Sequence[str] = ()
    #: None: landscape when the columns are too wide for portrait A4.
    landscape: bool | None = None
    #: Indexes into ``rows`` printed bold (小计 and 合计 rows).
    bold_rows: Sequence[int] = ()


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
        print_setup(notes_sheet, title="说明", header_row=0, landscape=False)
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
    print_layout(ws, sheet, header_row, count)


# ---- layout for printing (one place for every workbook) ---------------------------------


def display_width(value: object) -> int:
    """Width of a value in Excel's character unit: a Chinese character counts two."""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    longest = max(text.splitlines() or [""], key=len)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in longest)


def print_layout(ws: Worksheet, sheet: Sheet, header_row: int, count: int) -> None:
    """Widths from the content, text-format ID/code columns, borders, footer, page set-up.

    Called by :func:`write_table` for every sheet; layout only — no cell value changes.
    """
    first, last = header_row + 1, header_row + count
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    total = 0
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        cells = [c for (c,) in ws.iter_rows(min_row=first, max_row=min(last, header_row + WIDTH_SAMPLE),
                                            min_col=index, max_col=index)]
        content = max((display_width(c.value) for c in cells if c.value is not None), default=0)
        header = max(display_width(part) for part in column.header.split("\n"))
        width = min(MAX_WIDTH, max(MIN_WIDTH, column.width or 0, content + 2, min(header + 2, 24)))
        ws.column_dimensions[letter].width = width
        total += width
        if column.is_text:
            # The column's own style: what a clerk types into an empty row stays text as well.
            ws.column_dimensions[letter].number_format = "@"
            for (cell,) in ws.iter_rows(min_row=first, max_row=last, min_col=index, max_col=index):
                cell.number_format = "@"
        if content + 2 > MAX_WIDTH:
            for (cell,) in ws.iter_rows(min_row=first, max_row=last, min_col=index, max_col=index):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    if count and count <= BORDER_ROWS:
        for row in ws.iter_rows(min_row=header_row, max_row=last, max_col=len(sheet.columns)):
            for cell in row:
                cell.border = border
    bold = Font(bold=True)
    for index in sheet.bold_rows:
        for cell in ws[first + index]:
            cell.font = bold
    if sheet.footer:
        ws.append([])
        span = max(1, len(sheet.columns))
        for line in sheet.footer:
            ws.append([line])
            row = ws.max_row
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=span)
            ws.cell(row, 1).alignment = Alignment(wrap_text=True, vertical="top")
            ws.row_dimensions[row].height = 15 * (1 + display_width(line) // max(1, int(total)))
    landscape = sheet.landscape if sheet.landscape is not None else total > PORTRAIT_WIDTH
    print_setup(ws, title=sheet.caption or sheet.title, header_row=header_row, landscape=landscape)


#: Column widths (characters) that still print legibly on portrait A4 fitted to width.
PORTRAIT_WIDTH = 110


def print_setup(ws: Worksheet, *, title: str, header_row: int, landscape: bool) -> None:
    """A4, orientation, one page wide (as many pages long as needed), the header rows on every
    page, the title in the page header and 第 N 页，共 M 页 in the footer, centred."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if header_row:
        ws.print_title_rows = f"1:{header_row}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.oddHeader.center.text = title.replace("&", "&&")
    ws.oddHeader.center.size = 10
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.center.size = 9


def mask_id(value: object) -> object:
    """The ID number as a circulated list shows it (:func:`policy.idcard.masked`)."""
    return masked(value)
