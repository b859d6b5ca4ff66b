"""Checking an .xlsx file before any cell is read: format, visible sheets, size limits.

python-calamine allocates one dense grid from the top-left to the bottom-right value cell
of a sheet, and keeps every shared string in memory: a 2 KB file with one value at
XFD1048576 asks for billions of cells (the process aborts in Rust, exit 134), a 1 MB file
holding one highly compressed string of hundreds of MB takes gigabytes. So the parts a
reader would touch are checked here first, through :mod:`zipfile` and a streaming scan
(constant memory, C-speed regular expressions), and a file over any limit is refused with
one Chinese line before calamine sees it.

Only .xlsx/.xlsm is read: an old .xls (a binary OLE file) cannot be inspected this way,
and a password-protected workbook is an encrypted OLE file too; both get a line saying
what to do instead of the library's English.

The limits below are safety limits of this reader, not policy figures: each is far above
what a county's or a city's spreadsheet needs and far below what hurts a clerk's PC.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

# Excel's own limits: a file beyond them was not written by Excel or WPS.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
EXCEL_MAX_CELL_CHARS = 32_767
# calamine's grid costs ~32 bytes a cell plus 8 for Python's list slot: 3 million cells is
# ~120 MB, room for a 100,000-teacher roster of 15 columns (1.5 million) twice over.
MAX_GRID_CELLS = 3_000_000
# A cell's text in the XML: 32,767 characters of at most 3 UTF-8 bytes, each possibly
# escaped (&amp; is 5 bytes for 1): anything longer is not one Excel cell.
MAX_TEXT_BYTES = EXCEL_MAX_CELL_CHARS * 6
# One sheet's XML and the shared strings, uncompressed: a 100,000-row roster is ~60 MB of
# sheet XML; calamine holds the shared strings (as Rust and then Python strings) at once.
MAX_SHEET_BYTES = 400 * 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 100 * 1024 * 1024
# Small parts (workbook.xml, relationships, styles) parsed in full: a few KB in real files.
MAX_SMALL_PART_BYTES = 16 * 1024 * 1024
MAX_ZIP_ENTRIES = 10_000
_CHUNK = 4 * 1024 * 1024

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


class WorkbookRefused(Exception):
    """The file cannot or must not be read; str() is one Chinese line (without the file name)."""


@dataclasses.dataclass(frozen=True, slots=True)
class SheetInfo:
    name: str
    visible: bool
    part: str | None  # the worksheet's path inside the zip, e.g. "xl/worksheets/sheet1.xml"


@dataclasses.dataclass(frozen=True, slots=True)
class WorkbookInfo:
    sheets: tuple[SheetInfo, ...]

    @property
    def visible(self) -> list[SheetInfo]:
        return [s for s in self.sheets if s.visible]

    @property
    def hidden(self) -> list[SheetInfo]:
        return [s for s in self.sheets if not s.visible]


def inspect_workbook(path: Path) -> WorkbookInfo:
    """Check ``path`` is an .xlsx whose visible sheets and shared strings are within the limits.

    Hidden and very-hidden sheets are listed but not scanned: they are never read.

    Raises:
        WorkbookRefused: not an .xlsx, damaged, encrypted, or over a limit.
    """
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(_OLE_MAGIC):
        raise WorkbookRefused(_ole_message(path))
    if not head.startswith(_ZIP_MAGIC):
        raise WorkbookRefused("无法读取：不是 Excel 工作簿（.xlsx）文件，请在 Excel 或 WPS 中“另存为” .xlsx 后再导入")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise WorkbookRefused("文件已损坏，无法作为 .xlsx 工作簿打开（请在 Excel 或 WPS 中打开后重新保存）") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            raise WorkbookRefused(f"文件包含 {len(entries)} 个内部部件，不像是正常的 Excel 工作簿，已拒绝读取")
        members = {entry.filename: entry for entry in entries}
        if "xl/workbook.xml" not in members:
            if "xl/workbook.bin" in members:
                raise WorkbookRefused("这是 Excel 二进制工作簿（.xlsb），请“另存为” .xlsx 后再导入")
            if "content.xml" in members:
                raise WorkbookRefused("这是 OpenDocument 表格（.ods），请在 WPS 或 Excel 中“另存为” .xlsx 后再导入")
            raise WorkbookRefused("文件不是 .xlsx 工作簿（缺少 xl/workbook.xml），请“另存为” .xlsx 后再导入")
        for entry in entries:
            limit = _limit_of(entry.filename)
            if entry.file_size > limit:
                raise WorkbookRefused(
                    f"工作簿中的{_described(entry.filename)}解压后有 {entry.file_size / 1048576:.0f} MB，"
                    f"超过本程序可读取的上限 {limit / 1048576:.0f} MB，已拒绝读取")
        info = _sheets(archive, members)
        if "xl/sharedStrings.xml" in members:
            _scan(archive, members["xl/sharedStrings.xml"], "共享字符串表", grid=False)
        for sheet in info.visible:
            if sheet.part not in members:  # the reader would look elsewhere: nothing unchecked is read
                raise WorkbookRefused(f"文件已损坏（找不到工作表“{sheet.name}”的数据），请在 Excel 或 WPS 中打开后重新保存")
            _scan(archive, members[sheet.part], f"工作表“{sheet.name}”", grid=True)
    return info


def _described(name: str) -> str:
    if name == "xl/sharedStrings.xml":
        return "共享字符串表"
    if name.startswith("xl/worksheets/"):
        return f"工作表数据（{posixpath.basename(name)}）"
    return f"部件 {name} "


def _limit_of(name: str) -> int:
    if name.startswith("xl/worksheets/"):
        return MAX_SHEET_BYTES
    if name == "xl/sharedStrings.xml":
        return MAX_SHARED_STRINGS_BYTES
    if name.endswith((".xml", ".rels", ".vml")):
        return MAX_SMALL_PART_BYTES
    return MAX_SHEET_BYTES  # pictures and other media are never read


def _ole_message(path: Path) -> str:
    """An OLE compound file is either a password-protected workbook or an old .xls."""
    with open(path, "rb") as handle:
        head = handle.read(1024 * 1024)
    if "EncryptedPackage".encode("utf-16-le") in head or "EncryptionInfo".encode("utf-16-le") in head:
        return "工作簿设有打开密码（已加密），无法读取：请在 Excel 或 WPS 中取消密码后另存为 .xlsx 再导入"
    return "这是旧版 Excel 文件（.xls），请在 Excel 或 WPS 中“另存为” .xlsx 后再导入"


def _read_small(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bytes:
    try:
        return archive.read(entry)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        raise WorkbookRefused(f"文件已损坏（部件 {entry.filename} 无法解压），请在 Excel 或 WPS 中打开后重新保存") from None


def _parse_xml(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(_read_small(archive, entry))
    except ElementTree.ParseError:
        raise WorkbookRefused(f"文件已损坏（部件 {entry.filename} 不是有效的 XML），请在 Excel 或 WPS 中打开后重新保存") from None


def _sheets(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> WorkbookInfo:
    """The sheets in workbook order with their visibility and worksheet part."""
    root = _parse_xml(archive, members["xl/workbook.xml"])
    targets: dict[str, str] = {}
    rels = members.get("xl/_rels/workbook.xml.rels")
    if rels is not None:
        for rel in _parse_xml(archive, rels).iter(f"{{{_PKG_REL}}}Relationship"):
            target = rel.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            targets[rel.get("Id", "")] = part
    sheets = []
    for namespace in (_MAIN, _STRICT_MAIN):
        for element in root.iter(f"{{{namespace}}}sheet"):
            rid = next((v for k, v in element.attrib.items() if k.endswith("}id")), "")
            state = element.get("state", "visible")
            sheets.append(SheetInfo(element.get("name", ""), state == "visible", targets.get(rid)))
    return WorkbookInfo(tuple(sheets))


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + char - 64
    return number


def _scan(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, what: str, *, grid: bool) -> None:
    """Stream one part: no text run over :data:`MAX_TEXT_BYTES`; for a sheet, the grid from
    A1 to the farthest row and column within :data:`MAX_GRID_CELLS`.

    The grid is first bounded from the *shapes* of the references (how many letters and
    digits, C-speed byte searches, :class:`_ShapeBound`); only a sheet that bound cannot
    clear is read again reference by reference (:class:`_ExactBound`, ~1 s per million
    cells). Reading the part through :mod:`zipfile` also checks its CRC over its declared
    size, so a part whose header under-states its size is refused as damaged.
    """
    shape = _ShapeBound()
    for part in _parts(archive, entry, what, check_text=True):
        if grid and shape.ok:
            shape.add(part)
    if not grid or (shape.ok and shape.rows * shape.columns <= MAX_GRID_CELLS):
        return
    exact = _ExactBound()
    for part in _parts(archive, entry, what, check_text=False):
        exact.add(part)
    exact.check(what)


def _parts(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, what: str, *, check_text: bool) -> Iterator[bytes]:
    """The part's bytes in pieces of about :data:`_CHUNK` that end before a tag."""
    carry = b""
    try:
        with archive.open(entry) as stream:
            while True:
                chunk = stream.read(_CHUNK)
                data = carry + chunk
                cut = len(data) if not chunk else data.rfind(b"<")
                if cut < 0:  # no tag at all in this chunk: a text run that long is refused below
                    cut = 0
                if check_text and (len(data) - cut > MAX_TEXT_BYTES or _has_long_text(data, cut)):
                    raise WorkbookRefused(
                        f"{what}中有单元格的文字超过 Excel 单元格上限（{EXCEL_MAX_CELL_CHARS} 个字），"
                        "不像是正常的工作簿，已拒绝读取")
                yield data[:cut]
                carry = data[cut:]
                if not chunk:
                    break
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        raise WorkbookRefused(f"文件已损坏（{what}无法解压），请在 Excel 或 WPS 中打开后重新保存") from None


# What keeps a sheet's grid within 99,999 rows × 26 columns (A..Z) cannot be seen cheaply:
# a row or cell element without r="…" first (Excel, WPS and openpyxl always write it
# first), a reference of two or more or lower-case letters, or of six digits or more.
# Three searches, each starting with a literal (so the regex engine skips ahead at C speed;
# one alternation of the three is four times slower).
_UNUSUAL = (re.compile(rb'<c(?:[>/]| (?!r="))'), re.compile(rb'<row(?:[>/]| (?!r="))'),
            re.compile(rb' r="(?:[A-Z]{2}|[a-z]|[A-Z]?\d{6})'))
_USUAL_GRID = (99_999, 26)


class _ShapeBound:
    """An upper bound of a sheet's grid, from one regular-expression search per piece:
    :data:`_USUAL_GRID` unless an :data:`_UNUSUAL` reference is found (``ok`` False)."""

    def __init__(self) -> None:
        self.ok = True
        self.rows, self.columns = _USUAL_GRID

    def add(self, part: bytes) -> None:
        if any(pattern.search(part) for pattern in _UNUSUAL):
            self.ok = False


# Any reference r="…" in a tag: a row's (digits only) or a cell's (letters and digits).
_REFERENCE = re.compile(rb' r="([A-Za-z]{0,3})(\d{1,8})"')


class _ExactBound:
    """The grid from every reference (for the sheets :class:`_ShapeBound` cannot clear)."""

    def __init__(self) -> None:
        self.max_row = self.cells = self.unreferenced_cells = self.unreferenced_rows = 0
        self.letters: set[bytes] = set()

    def add(self, part: bytes) -> None:
        references = _REFERENCE.findall(part)
        with_letters = 0
        if references:
            letters, digits = zip(*references)
            self.max_row = max(self.max_row, max(map(int, set(digits))))
            self.letters.update(letters)
            with_letters = len(references) - letters.count(b"")
        count = part.count(b"<c ") + part.count(b"<c>") + part.count(b"<c/")
        self.cells += count
        self.unreferenced_cells += max(0, count - with_letters)
        self.unreferenced_rows += max(0, part.count(b"<row") - (len(references) - with_letters))

    def check(self, what: str) -> None:
        max_column = max((_column_number(c) for c in self.letters if c), default=0)
        if self.max_row > EXCEL_MAX_ROWS or max_column > EXCEL_MAX_COLUMNS:
            raise WorkbookRefused(f"{what}的单元格超出 Excel 的范围（{EXCEL_MAX_ROWS} 行、{EXCEL_MAX_COLUMNS} 列），"
                                  "不像是正常的工作簿，已拒绝读取")
        # A cell without a reference widens its row by one at most, a row without one
        # lengthens the sheet by one.
        width = max_column + self.unreferenced_cells if self.cells else 0
        height = self.max_row + self.unreferenced_rows
        if height * width > MAX_GRID_CELLS:
            raise WorkbookRefused(
                f"{what}的数据区域过大（约 {height} 行 × {width} 列），超过本程序一次可读取的 {MAX_GRID_CELLS} 个单元格："
                "请删除表格右侧或下方远处的多余内容，或把数据分成几个文件")


def _has_long_text(data: bytes, end: int) -> bool:
    """Whether ``data[:end]`` holds a run of more than :data:`MAX_TEXT_BYTES` bytes without a
    tag. Such a run covers a whole half-window at some multiple of half the limit, so one
    ``find`` per half-window (C speed) settles it."""
    step = MAX_TEXT_BYTES // 2
    for start in range(0, end, step):
        if data.find(b"<", start, min(end, start + step)) < 0 and min(end, start + step) - start == step:
            before = data.rfind(b"<", 0, start) + 1
            after = data.find(b"<", start, end)
            if (end if after < 0 else after) - before > MAX_TEXT_BYTES:
                return True
    return False
