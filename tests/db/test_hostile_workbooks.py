"""Workbooks no clerk makes on purpose: every importer refuses them in one Chinese line,
before the cell reader allocates anything, and never reads a hidden sheet."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import hostile_xlsx
import pytest
from openpyxl import Workbook

from db.importers import IMPORTERS as KINDS
from db.importing import ImportFailed, parse_date, read_sheet
from db.xlsx_guard import MAX_GRID_CELLS

HEADERS = ["学校代码", "学校名称"]
# Every importer's required headers, so a file reaches the guard the same way for each kind.
REQUIRED = {kind: importer.load().REQUIRED for kind, importer in KINDS.items()}


def one_line_refusal(exc: pytest.ExceptionInfo[ImportFailed], fragment: str) -> str:
    """The problem line of a refused file: Chinese, short, naming the file."""
    (problem,) = exc.value.problems
    line = str(problem)
    assert fragment in line, line
    words = set(re.findall(r"[A-Za-z]{4,}", line.split("：", 1)[1]))
    assert len(line) < 200 and words <= {"Excel", "xlsx", "xlsb", "OpenDocument", "Sheet"}, line
    return line


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_cell_at_xfd1048576_is_refused_by_every_importer_before_reading(kind, tmp_path, store):
    path = hostile_xlsx.far_cell(tmp_path / "far.xlsx", REQUIRED[kind])
    assert path.stat().st_size < 4096
    module = KINDS[kind].load()
    with pytest.raises(ImportFailed) as exc:
        module.import_file(store, path, True)
    one_line_refusal(exc, "数据区域过大（约 1048576 行 × 16384 列）")


def test_a_grid_too_large_for_memory_is_refused_with_its_size(tmp_path):
    rows = '<row r="400000"><c r="A400000"><v>1</v></c><c r="Z400000"><v>1</v></c></row>'
    path = hostile_xlsx.write_xlsx(tmp_path / "big.xlsx", [("表", "visible", hostile_xlsx.table_xml([HEADERS], rows))])
    with pytest.raises(ImportFailed) as exc:
        read_sheet(path, HEADERS)
    line = one_line_refusal(exc, "数据区域过大")
    assert "400000 行" in line and str(MAX_GRID_CELLS) in line


def test_a_huge_shared_string_is_refused(tmp_path):
    path = hostile_xlsx.huge_shared_string(tmp_path / "huge.xlsx", HEADERS)
    assert path.stat().st_size < 200_000
    with pytest.raises(ImportFailed) as exc:
        read_sheet(path, HEADERS)
    one_line_refusal(exc, "超过 Excel 单元格上限")


def test_a_100000_character_inline_cell_is_refused_without_echoing_it(tmp_path):
    path = hostile_xlsx.write_xlsx(tmp_path / "long.xlsx", [
        ("表", "visible", hostile_xlsx.table_xml([HEADERS, ["学" * 100_000, "x"]]))])
    with pytest.raises(ImportFailed) as exc:
        read_sheet(path, HEADERS)
    assert len(str(exc.value)) < 300
    one_line_refusal(exc, "超过 Excel 单元格上限")


def test_a_long_value_is_cut_in_the_message(tmp_path, store):
    from db import school_import

    code = "1" * 30_000
    path = hostile_xlsx.write_xlsx(tmp_path / "s.xlsx", [("学校", "visible", hostile_xlsx.table_xml([
        list(school_import.REQUIRED) + ["所属县区"], [code, "名" * 20_000, "小学", "城区", "示例县"]]))])
    with pytest.raises(ImportFailed) as exc:
        school_import.plan_import(store, path)
    message = str(exc.value)
    assert len(message) < 400, message[:500]
    assert "长度超过 32 个字" in message and "长度超过 128 个字" in message


def test_a_quoted_value_is_cut_to_forty_characters():
    from db.importing import ImportProblem

    problem = ImportProblem("f.xlsx", 3, "学段", f"“{'初' * 5000}”不是可选值，可选：小学、初中")
    line = str(problem)
    assert line == f"f.xlsx 第3行“学段”列：“{'初' * 40}…（共 5000 字）”不是可选值，可选：小学、初中"


def _hidden_first(path: Path, state: str, required: list[str]) -> Path:
    """A hidden sheet in front with the headers and a row, then the visible sheet: headers only."""
    wb = Workbook()
    hidden = wb.active
    hidden.title = "旧数据"
    hidden.append(required)
    hidden.append(["隐藏"] * len(required))
    hidden.sheet_state = state
    visible = wb.create_sheet("名单")
    visible.append(required)
    wb.active = 1
    wb.save(path)
    return path


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_hidden_sheet_in_front_is_never_imported(kind, state, tmp_path, store):
    path = _hidden_first(tmp_path / "h.xlsx", state, list(REQUIRED[kind]))
    module = KINDS[kind].load()
    try:
        result = module.import_file(store, path, True)
    except ImportFailed as exc:  # only complaints about the visible sheet (it has no rows)
        assert "隐藏" not in str(exc) or "未读取" in str(exc) or "不会读取" in str(exc), str(exc)
        assert "第2行" not in str(exc), str(exc)
    else:
        assert result.counts().get("added", 0) == 0 and not result.changes
        assert any("读取工作表“名单”" in note and "“旧数据”未读取" in note for note in result.notes)


def test_read_sheet_says_which_sheet_it_read_and_refuses_a_hidden_one_by_name(tmp_path):
    path = _hidden_first(tmp_path / "h.xlsx", "hidden", HEADERS)
    name, rows = read_sheet(path, HEADERS)
    assert rows.sheet == "名单" and len(rows) == 0
    assert rows.sheet_note == "读取工作表“名单”（隐藏的工作表“旧数据”未读取）"
    with pytest.raises(ImportFailed, match="工作表“旧数据”是隐藏的"):
        read_sheet(path, HEADERS, sheet="旧数据")
    only_hidden = tmp_path / "only.xlsx"
    hostile_xlsx.write_xlsx(only_hidden, [("数据", "hidden", hostile_xlsx.table_xml([HEADERS, ["1", "a"]])),
                                          ("空白", "visible", "")])
    with pytest.raises(ImportFailed, match="隐藏的工作表“数据”不会读取"):
        read_sheet(only_hidden, HEADERS)


@pytest.mark.parametrize(("make", "fragment"), [
    (lambda p: hostile_xlsx.fake_ole(p, encrypted=True), "设有打开密码"),
    (lambda p: hostile_xlsx.fake_ole(p, encrypted=False), "旧版 Excel 文件（.xls）"),
    (lambda p: p.write_bytes(b"PK\x03\x04" + b"\x00" * 100), "文件已损坏"),
    (lambda p: p.write_text("学校代码,学校名称\n1,a\n"), "不是 Excel 工作簿"),
    (lambda p: zipfile.ZipFile(p, "w").writestr("content.xml", "<x/>"), "OpenDocument"),
])
def test_foreign_damaged_and_encrypted_files_get_one_chinese_line(make, fragment, tmp_path):
    path = tmp_path / "f.xlsx"
    make(path)
    with pytest.raises(ImportFailed) as exc:
        read_sheet(path, HEADERS)
    one_line_refusal(exc, fragment)


def test_a_part_whose_zip_header_understates_its_size_is_refused_as_damaged(tmp_path):
    path = hostile_xlsx.write_xlsx(tmp_path / "ok.xlsx", [("表", "visible", hostile_xlsx.table_xml([HEADERS]))])
    data = bytearray(path.read_bytes())
    # The central directory's uncompressed size of the sheet: 4 bytes at offset 24 of its record.
    record = data.find(b"xl/worksheets/sheet1.xml", data.find(b"PK\x01\x02")) - 46
    data[record + 24:record + 28] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(ImportFailed) as exc:
        read_sheet(path, HEADERS)
    one_line_refusal(exc, "损坏")


@pytest.mark.parametrize("raw", [dt.datetime(1899, 12, 31), dt.date(1899, 12, 30), dt.time(0, 0), "1899-12-31", "9999-12-31",
                                 dt.datetime(9999, 12, 31), "1900-01-01"])
def test_excel_zero_dates_and_year_9999_are_refused(raw):
    with pytest.raises(Exception, match="零日期|不在合理范围内"):
        parse_date(raw)


def test_date_bounds_can_be_narrowed_per_column():
    assert parse_date("2001-09-01", earliest=dt.date(2000, 1, 1)) == dt.date(2001, 9, 1)
    with pytest.raises(Exception, match="应在 2000-01-01 至"):
        parse_date("1999-09-01", earliest=dt.date(2000, 1, 1))


def test_a_far_cell_file_through_the_command_line_is_one_line_and_small(tmp_path):
    """The case that aborted the process (Rust allocation failure, exit 134)."""
    path = hostile_xlsx.far_cell(tmp_path / "far.xlsx", list(REQUIRED["schools"]))
    huge = hostile_xlsx.huge_shared_string(tmp_path / "huge.xlsx", list(REQUIRED["schools"]))
    # Peak memory of this process alone: VmHWM starts afresh at exec (ru_maxrss would carry
    # the forking test runner's size over).
    script = (
        "import re, sys\n"
        "from desktop.cli import main\n"
        "codes = [main(['--db', sys.argv[1], 'import', 'schools', f]) for f in sys.argv[2:]]\n"
        "peak = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
        "print(codes, peak, file=sys.__stdout__)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "t.db"), str(path), str(huge)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    codes, rss_kb = done.stdout.strip().rsplit(" ", 1)
    assert json.loads(codes) == [2, 2]
    assert int(rss_kb) < 200 * 1024, f"peak {int(rss_kb) // 1024} MB"
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 4 and "Traceback" not in done.stderr, done.stderr  # a header line and the problem, twice
    assert "数据区域过大" in lines[1] and "超过 Excel 单元格上限" in lines[3]


@pytest.mark.parametrize("xml", [
    # a cell's reference, not its row's, places it (and lower-case letters are read too)
    '<row r="2"><c r="a1048576"><v>1</v></c><c r="zz2"><v>1</v></c></row>',
    # cells without a reference follow one another: 200,000 of them make one wide row
    "".join(f'<row r="{n}">' + "<c><v>1</v></c>" * (200_000 if n == 2 else 1) + "</row>" for n in range(2, 22)),
    # rows without a reference follow one another, each holding a far-right cell
    "<row>" + '<c r="ZZ1"><v>1</v></c>' + "</row>" + "<row><c><v>1</v></c></row>" * 5000,
])
def test_unusual_references_are_counted_exactly(xml, tmp_path):
    path = hostile_xlsx.write_xlsx(tmp_path / "odd.xlsx", [("表", "visible", hostile_xlsx.table_xml([HEADERS], xml))])
    with pytest.raises(ImportFailed) as exc:
        read_sheet(path, HEADERS)
    one_line_refusal(exc, "数据区域过大")


def test_a_wide_but_small_sheet_is_read(tmp_path):
    """40 columns (AA… references) × 2,000 rows: the exact count clears it."""
    headers = HEADERS + [f"备注{n}" for n in range(38)]
    rows = [headers] + [[f"S{n}", "学校"] + [n] * 38 for n in range(2000)]
    xml = "".join(f'<row r="{r}">' + "".join(hostile_xlsx.cell(f"{_letters(c)}{r}", v) for c, v in enumerate(values))
                  + "</row>" for r, values in enumerate(rows, start=1))
    path = hostile_xlsx.write_xlsx(tmp_path / "wide.xlsx", [("表", "visible", xml)])
    _name, read = read_sheet(path, HEADERS)
    assert len(read) == 2000 and read[-1].get("学校代码") == "S1999"


def _letters(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


@pytest.mark.parametrize(("cell", "fragment"), [
    (dt.datetime(1899, 12, 31), "1899-12-31 是 Excel 的“零日期”"),
    ("9999-12-31", "9999-12-31 不在合理范围内"),
    (dt.date(1999, 12, 31), "1999-12-31 不在合理范围内（应在 2000-01-01 至"),
])
def test_implausible_visit_dates_are_refused_with_row_and_column(cell, fragment, store, tmp_path):
    import visit_world

    from db.visit_import import HEADERS as VISIT_HEADERS
    from db.visit_import import import_visits

    visit_world.build(store)
    wb = Workbook()
    wb.active.append(list(VISIT_HEADERS))
    wb.active.append([dt.date(2025, 9, 10), "RURAL01", "周老师", "骨干教师", "CITY01", "听评课", 1, ""])
    wb.active.append([cell, "RURAL01", "李明", "教师", "CITY01", "听评课", 1, ""])
    wb.save(tmp_path / "v.xlsx")
    with pytest.raises(ImportFailed) as exc:
        import_visits(store, tmp_path / "v.xlsx")
    (problem,) = exc.value.problems
    assert str(problem).startswith("v.xlsx 第3行“日期”列：") and fragment in str(problem), str(problem)


def test_a_roster_start_date_in_1899_is_refused(store, tmp_path):
    import visit_world

    from db.teacher_import import HEADERS as ROSTER
    from db.teacher_import import import_teachers
    from policy.idcard import make_id_number

    visit_world.build(store)
    wb = Workbook()
    wb.active.append(list(ROSTER[:10]))
    wb.active.append([make_id_number("640104", dt.date(1980, 5, 5), 7), "王五", "男", "1980-05-05", "RURAL01", "语文",
                      "一级教师", "", dt.datetime(1899, 12, 31), "2010-09-01"])
    wb.save(tmp_path / "t.xlsx")
    with pytest.raises(ImportFailed, match="第2行“参加工作时间”列：1899-12-31 是 Excel 的“零日期”"):
        import_teachers(store, tmp_path / "t.xlsx")


def test_a_visible_sheet_without_its_part_is_refused_as_damaged(tmp_path):
    path = hostile_xlsx.write_xlsx(tmp_path / "ok.xlsx", [("表", "visible", hostile_xlsx.table_xml([HEADERS]))])
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as target:
        for entry in source.infolist():
            if entry.filename != "xl/_rels/workbook.xml.rels":
                target.writestr(entry, source.read(entry))
    with pytest.raises(ImportFailed) as exc:
        read_sheet(broken, HEADERS)
    one_line_refusal(exc, "找不到工作表“表”的数据")
