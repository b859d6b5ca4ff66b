"""Reading clerks' spreadsheets: cells as they are really typed, errors with row and column.

Every importer reads with :func:`read_sheet` (python-calamine: ~20× faster than
openpyxl on big files), turns cells into values with the ``parse_*`` functions, and
collects an :class:`ImportProblem` per bad cell instead of stopping at the first. If any
problem was found it raises :class:`ImportFailed` before writing anything, so an import
is all or nothing.

Template example rows
    Every import template (``edubridge template KIND``) carries one example row right under
    the header, written from the importer's own ``EXAMPLE`` constant and shown grey and
    italic. Importers pass that row to :func:`read_sheet` as ``example``: a data row equal
    to it cell by cell (after :func:`example_key` normalisation) is left out and its row
    number kept in :attr:`SheetRows.skipped_example`, which the import summary reports
    (:func:`skipped_example_note`). A row that differs in any cell — a clerk overwrote
    part of the example — is an ordinary row: imported or rejected like any other, never
    silently dropped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import operator
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from db.engine import StoreError
from db.xlsx_guard import WorkbookRefused, inspect_workbook
from policy.idcard import IdNumber, IdNumberError, parse_id_number

# A value echoed in a message is cut after this many characters: a 30,000-character cell
# must not make a 100 KB error line (safety limit of the messages, not a policy figure).
SHOWN_CHARS = 40
# Any one problem's line is cut after this many characters whatever it holds.
MAX_PROBLEM_CHARS = 300
UNREADABLE = "无法读取：文件已损坏或不是有效的 .xlsx 工作簿（请在 Excel 或 WPS 中打开后重新保存为 .xlsx）"


def cut(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` as a message shows it: the first ``limit`` characters and “…（共 N 字）” when longer."""
    return text if len(text) <= limit else f"{text[:limit]}…（共 {len(text)} 字）"


_QUOTED = re.compile(rf"“([^”]{{{SHOWN_CHARS + 1},}})”")


def cut_quoted(message: str) -> str:
    """Every “quoted value” in ``message`` cut (see :func:`cut`), and the line itself capped."""
    message = _QUOTED.sub(lambda m: f"“{cut(m.group(1))}”", message)
    return cut(message, MAX_PROBLEM_CHARS)


@dataclasses.dataclass(frozen=True, slots=True)
class ImportProblem:
    """One thing wrong with one cell (or row) of a file."""

    file: str
    row: int  # 1-based, as Excel shows it
    column: str  # the header text, e.g. "学校代码"
    message: str

    def __str__(self) -> str:
        message = cut_quoted(self.message)
        if not self.row:
            return f"{self.file}：{message}"
        where = f"第{self.row}行" + (f"“{self.column}”列" if self.column else "")
        return f"{self.file} {where}：{message}"


class ImportFailed(StoreError):
    """The file has problems; nothing was written.

    The message lists the first :data:`SHOWN_PROBLEMS` problems and, beyond them, how many
    there are per column — thousands of lines help nobody, the pattern does. Every problem
    stays in :attr:`problems`.
    """

    SHOWN_PROBLEMS = 200

    def __init__(self, problems: Sequence[ImportProblem]) -> None:
        self.problems = list(problems)
        lines = [str(p) for p in self.problems[: self.SHOWN_PROBLEMS]]
        rest = len(self.problems) - len(lines)
        if rest > 0:
            by_column: dict[str, int] = {}
            for problem in self.problems:
                by_column[problem.column or "整行"] = by_column.get(problem.column or "整行", 0) + 1
            counts = "，".join(f"“{c}”列 {n} 处" for c, n in sorted(by_column.items(), key=lambda x: -x[1]))
            lines.append(f"……另有 {rest} 处错误未列出（全部错误按列：{counts}）")
        super().__init__(f"导入失败，未写入任何数据（{len(self.problems)} 处错误）：\n" + "\n".join(lines))


@dataclasses.dataclass(slots=True)
class SheetRow:
    """A data row: its Excel row number and the cells keyed by header."""

    number: int
    cells: dict[str, Any]

    def get(self, header: str) -> object:
        return self.cells.get(header)


class SheetRows(list[SheetRow]):
    """The data rows of a sheet, plus the row numbers of template example rows left out."""

    skipped_example: tuple[int, ...] = ()
    skipped_footer: tuple[int, ...] = ()  # 填表人：… 审核人：… lines under the table
    sheet: str = ""  # the sheet the rows come from
    sheet_note: str | None = None  # which sheet was read, when that was not plain to see


def example_key(value: object) -> str:
    """A cell as compared with the template's example: dates as ISO dates, whole numbers
    without “.0”, text folded (NFKC) and without any spaces; blank is ""."""
    if type(value) is str:  # the common case first: one call per data row of every import
        return "".join(unicodedata.normalize("NFKC", value).split())
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    return "".join(normal_text(value).split())


def is_example_row(cells: Mapping[str, Any], example: Mapping[str, Any]) -> bool:
    """Whether ``cells`` hold exactly the template's example row (see :func:`example_key`)."""
    return _matches(cells, example_keys(example))


def example_keys(example: Mapping[str, Any]) -> dict[str, str]:
    """The example row's cells as :func:`example_key` renders them (computed once per file)."""
    return {header: example_key(value) for header, value in example.items()}


def _matches(cells: Mapping[str, Any], keys: Mapping[str, str]) -> bool:
    return all(example_key(cells.get(header)) == key for header, key in keys.items())


def skipped_example_note(rows: Sequence[Any]) -> str | None:
    """“已跳过模板示例行（第2行）” (and the signature lines under the table) when
    :func:`read_sheet` left such rows out, else None."""
    note: str | None = getattr(rows, "sheet_note", None)
    parts = [note] if note else []
    for attribute, what in (("skipped_example", "模板示例行"), ("skipped_footer", "表尾签字行")):
        numbers = getattr(rows, attribute, ())
        if numbers:
            parts.append(f"已跳过{what}（" + "、".join(f"第{n}行" for n in numbers) + "）")
    return "；".join(parts) or None


# A line under the table such as “填表人：张三　审核人：李四　填表日期：…”.
_FOOTER = re.compile(r"^(填表|填报|制表|审核|负责人|单位负责人|经办人|联系人|联系电话|签字|盖章)[^:：]{0,6}[:：]")


def _is_footer(row: Sequence[Any]) -> bool:
    first = next((v for v in row if not is_blank(v)), None)
    return isinstance(first, str) and bool(_FOOTER.match(first.strip()))


def clean_header(value: object) -> str:
    """Header text without spaces, full-width forms folded (“ 学校代码 ” → “学校代码”)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value or "")))


def read_sheet(
    path: Path,
    required: Sequence[str],
    optional: Sequence[str] = (),
    sheet: str | None = None,
    example: Mapping[str, Any] | None = None,
) -> tuple[str, SheetRows]:
    """Read the sheet holding the table (or ``sheet``) of an .xlsx file.

    The file is checked first (:func:`db.xlsx_guard.inspect_workbook`: an .xlsx, not
    damaged or encrypted, its visible sheets within the size limits) so that no hostile
    file reaches the cell reader. Only visible sheets are read: a hidden or very-hidden
    sheet is never imported, wherever it stands. The table is on the first visible sheet
    whose header row — the first row that holds every required header, as clerks often put
    a title above it or a notes sheet in front — is found; ``rows.sheet`` names it. Blank
    rows are skipped, and so are rows equal to ``example`` (header → value: the template's
    example row); their numbers are in ``rows.skipped_example``.

    Raises:
        ImportFailed: unreadable or refused file, or missing headers (naming the ones
            missing from the row that came closest).
    """
    name = Path(path).name
    if not Path(path).is_file():
        raise ImportFailed([ImportProblem(name, 0, "", f"找不到文件 {path}")])
    try:
        info = inspect_workbook(Path(path))
    except WorkbookRefused as exc:
        raise ImportFailed([ImportProblem(name, 0, "", str(exc))]) from None
    except OSError as exc:
        raise ImportFailed([ImportProblem(name, 0, "", f"无法读取该文件：{exc.strerror or exc}")]) from None
    hidden = [s.name for s in info.hidden]
    visible = [s.name for s in info.visible]
    if sheet is not None:
        if sheet in hidden:
            raise ImportFailed([ImportProblem(name, 0, "", f"工作表“{cut(sheet)}”是隐藏的，隐藏工作表不会导入")])
        visible = [sheet]
    if not visible:
        raise ImportFailed([ImportProblem(name, 0, "", "工作簿中没有可见的工作表（隐藏工作表不会导入）")])
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception:  # noqa: BLE001 — calamine raises its own (English) types for a damaged file
        raise ImportFailed([ImportProblem(name, 0, "", UNREADABLE)]) from None
    closest: tuple[int, str, int, list[str]] | None = None  # (headers found, sheet, row number, missing)
    for sheet_name in visible:
        try:
            rows = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
        except Exception:  # noqa: BLE001 — as above
            raise ImportFailed([ImportProblem(name, 0, "", f"工作表“{cut(sheet_name)}”{UNREADABLE}")]) from None
        for index, row in enumerate(rows[:20]):
            headers = [clean_header(cell) for cell in row]
            missing = [h for h in required if h not in headers]
            if not missing:
                break
            if closest is None or len(required) - len(missing) > closest[0]:
                closest = (len(required) - len(missing), sheet_name, index + 1, missing)
        else:
            continue
        break
    else:
        unread = f"（隐藏的工作表“{'”“'.join(cut(h) for h in hidden)}”不会读取）" if hidden else ""
        if closest is not None and closest[0] > 0:
            _found, sheet_name, number, missing = closest
            where = f"工作表“{cut(sheet_name)}”的这一行" if len(visible) > 1 else "这一行"
            raise ImportFailed([ImportProblem(name, number, "", f"{where}像是表头，但缺少这些列：{'、'.join(missing)}{unread}")])
        raise ImportFailed([ImportProblem(name, 1, "", f"找不到表头行，应包含这些列：{'、'.join(required)}{unread}")])
    known = set(required) | set(optional)
    positions = {h: i for i, h in enumerate(headers) if h in known}
    names, width = list(positions), max(positions.values()) + 1
    pick = operator.itemgetter(*positions.values())
    single = len(names) == 1  # itemgetter of one index gives no tuple
    result = SheetRows()
    skipped, footer = [], []
    expected = example_keys(example) if example else None
    for offset, row in enumerate(rows[index + 1 :], start=index + 2):
        padded: Sequence[object] = row if len(row) >= width else [*row, *([None] * (width - len(row)))]
        values = (pick(padded),) if single else pick(padded)
        if all(is_blank(v) for v in values):
            continue
        cells = dict(zip(names, values))
        if expected and _matches(cells, expected):
            skipped.append(offset)
            continue
        if _is_footer(padded):
            footer.append(offset)
            continue
        result.append(SheetRow(offset, cells))
    result.skipped_example, result.skipped_footer = tuple(skipped), tuple(footer)
    result.sheet = sheet_name
    if hidden or sheet_name != visible[0]:
        result.sheet_note = f"读取工作表“{cut(sheet_name)}”" + (
            f"（隐藏的工作表“{'”“'.join(cut(h) for h in hidden)}”未读取）" if hidden else "")
    return name, result


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def normal_text(value: object) -> str:
    """Text with full-width digits/letters folded and surrounding spaces removed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed as a number: 3601020001.0 → "3601020001"
    return unicodedata.normalize("NFKC", str(value)).strip()


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_MONTH_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月?$"),
    re.compile(r"^(\d{4})(\d{2})$"),  # 201909
)


_TIME_SUFFIX = re.compile(r"(?<=[\d日])(?:T|\s+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")


class CellError(ValueError):
    """A cell that cannot be read as what its column needs."""


# Sanity limits of a date cell (not policy figures). Excel's day 0 shows as 1899-12-30 or
# 1899-12-31 (an empty cell in a date column or a formula giving 0), and 9999-12-31 is a
# system's "for ever": neither is a real date of anything this program keeps. The oldest
# plausible date is a retired teacher's birth; the latest a few years ahead (agreements
# and exemptions are entered before they run).
DATE_EARLIEST = dt.date(1940, 1, 1)
DATE_LATEST_YEARS = 20
_EXCEL_ZERO = "{day} 是 Excel 的“零日期”（单元格为 0 或公式结果为 0），请填写实际日期"


def years_from_today(years: int, today: dt.date | None = None) -> dt.date:
    """The last day of the year ``years`` after today's (a bound for :func:`parse_date`)."""
    return dt.date((today or dt.date.today()).year + years, 12, 31)


def parse_date(value: object, *, allow_month: bool = False, earliest: dt.date | None = None,
               latest: dt.date | None = None) -> dt.date | None:
    """A date typed any way clerks type it; None for a blank cell.

    Accepts Excel dates, 2019-09-01, 2019/9/1, 2019.9.1, 2019年9月1日, 20190901,
    2019-09-01 08:00:00 and, when ``allow_month``, 2019-09, 2019年9月 or 201909 (taken as
    the 1st). A date before ``earliest`` (default :data:`DATE_EARLIEST`) or after ``latest``
    (default :data:`DATE_LATEST_YEARS` years ahead) is refused: 1899-12-31 is Excel's zero,
    9999 a typo or a placeholder.
    """
    day = _parse_date(value, allow_month)
    if day is None:
        return None
    low = earliest or DATE_EARLIEST
    high = latest or years_from_today(DATE_LATEST_YEARS)
    if day.year == 1899 and day.month == 12 and day.day >= 30:
        raise CellError(_EXCEL_ZERO.format(day=day.isoformat()))
    if not low <= day <= high:
        raise CellError(f"{day.isoformat()} 不在合理范围内（应在 {low.isoformat()} 至 {high.isoformat()} 之间），年份有误？")
    return day


def _parse_date(value: object, allow_month: bool) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, dt.time):  # a date cell holding a number below 1: the reader gives a time
        if value == dt.time(0, 0):
            raise CellError(_EXCEL_ZERO.format(day="1899-12-31"))
        raise CellError(f"“{value.isoformat()}”只有时间，没有日期，请写作 2019-09-01 或 2019年9月1日")
    # A time after the date, as other systems' exports write it, is dropped before the
    # spaces are (else "2019/9/1 10:30" would read as the 11th).
    text = _TIME_SUFFIX.sub("", normal_text(value)).replace(" ", "")
    if not text:
        return None
    if allow_month and isinstance(value, float) and re.fullmatch(r"\d{4}\.1", text):
        # A number cell: Excel keeps 2014.10 as 2014.1, so October and January look alike.
        raise CellError(f"“{text}”是数字格式，分不清是1月还是10月：请写作 {text[:4]}-01 或 {text[:4]}-10"
                        "（或把该列设为文本格式）")
    patterns = _DATE_PATTERNS + (_MONTH_PATTERNS if allow_month else ())
    for pattern in patterns:
        match = pattern.match(text)
        if match:
            parts = [int(p) for p in match.groups()] + [1]
            try:
                return dt.date(parts[0], parts[1], parts[2])
            except ValueError:
                raise CellError(f"“{text}”不是有效日期") from None
    raise CellError(f"“{text}”不是日期，请写作 2019-09-01 或 2019年9月1日")


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ASCII_ZEROS = ord("0") * sum(_WEIGHTS)  # the weighted sum of 17 ASCII "0" bytes
_CHECKS = "10X98765432"


def parse_id_cell(raw: object, today: dt.date | None = None) -> IdNumber:
    """An ID number cell: :func:`policy.idcard.parse_id_number`, with a fast path for a clean
    18-character number (a 50,000-row roster) and a clear refusal of a number cell.

    Raises:
        IdNumberError: which part is wrong.
    """
    today = today or dt.date.today()
    if type(raw) is str and len(raw) == 18 and raw[:17].isdigit() and raw[:17].isascii():
        check = _CHECKS[(sum(map(operator.mul, raw.encode(), _WEIGHTS)) - _ASCII_ZEROS) % 11]
        if raw[17] == check or (check == "X" and raw[17] == "x"):
            try:
                birth = dt.date(int(raw[6:10]), int(raw[10:12]), int(raw[12:14]))
            except ValueError:
                birth = None
            if birth is not None and dt.date(1900, 1, 1) <= birth <= today:
                number = raw.upper()
                return IdNumber(number, number[:6], birth, "男" if int(raw[16]) % 2 else "女")
    if isinstance(raw, float) or (isinstance(raw, int) and not isinstance(raw, bool)):
        # Excel keeps 15 significant digits of a number: the last digits are already gone.
        raise IdNumberError(f"身份证号被 Excel 存成了数字（{normal_text(raw)}），后几位已丢失："
                            "请把该列设为“文本”格式后重新填写")
    return parse_id_number(normal_text(raw), today=today)


def parse_int(value: object, *, minimum: int | None = 0) -> int | None:
    """A whole number; None for a blank cell. Accepts 1,200 and full-width digits."""
    if isinstance(value, bool):
        raise CellError(f"“{value}”不是整数")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise CellError(f"“{value}”应为整数")
        number = int(value)
    else:
        text = normal_text(value).replace(",", "").replace("，", "")
        if not text:
            return None
        try:
            number = int(float(text)) if re.fullmatch(r"-?\d+(\.0+)?", text) else int(text)
        except ValueError:
            raise CellError(f"“{text}”不是整数") from None
    if minimum is not None and number < minimum:
        raise CellError(f"{number} 不能小于 {minimum}")
    return number


def parse_float(value: object, *, minimum: float | None = 0.0) -> float | None:
    """A decimal number; None for a blank cell."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        text = normal_text(value).replace(",", "")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise CellError(f"“{text}”不是数字") from None
    if minimum is not None and number < minimum:
        raise CellError(f"{number} 不能小于 {minimum}")
    return number


_YES = {"是", "y", "yes", "true", "1", "√", "✓"}
_NO = {"否", "n", "no", "false", "0", ""}


def parse_bool(value: object) -> bool:
    """是/否 (also Y/N, 1/0, √); blank is 否."""
    text = normal_text(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise CellError(f"“{text}”应填“是”或“否”")


def parse_choice(value: object, choices: Sequence[str], *, required: bool = True) -> str | None:
    """One of the coded values, after folding spaces and full-width forms."""
    text = normal_text(value).replace(" ", "")
    if not text:
        if required:
            raise CellError("不能为空")
        return None
    if text not in choices:
        raise CellError(f"“{text}”不是可选值，可选：{'、'.join(choices)}")
    return text


def parse_text(value: object, *, required: bool = True, max_length: int | None = None) -> str | None:
    text = normal_text(value)
    if not text:
        if required:
            raise CellError("不能为空")
        return None
    if max_length is not None and len(text) > max_length:
        raise CellError(f"长度超过 {max_length} 个字")
    return text


class RowReader:
    """Reads typed cells of one row, collecting problems rather than raising.

    >>> reader = RowReader(file_name, row, problems)
    >>> code = reader.cell("学校代码", parse_text)
    """

    def __init__(self, file: str, row: SheetRow, problems: list[ImportProblem]) -> None:
        self.file = file
        self.row = row
        self.problems = problems
        self.ok = True

    # Any: the parser's value, or None after a failure, which callers never read (they build a row only when ok)
    def cell(self, header: str, parser: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return parser(self.row.get(header), *args, **kwargs)
        except CellError as exc:
            self.fail(header, str(exc))
            return None

    def fail(self, header: str, message: str) -> None:
        self.ok = False
        self.problems.append(ImportProblem(self.file, self.row.number, header, message))


def iter_rows(file: str, rows: Sequence[SheetRow], problems: list[ImportProblem]) -> Iterator[RowReader]:
    for row in rows:
        yield RowReader(file, row, problems)
