"""Values as clerks type them, and problems reported with file, row and column."""

import datetime as dt

import pytest
from openpyxl import Workbook

from db.importing import (
    CellError,
    ImportFailed,
    ImportProblem,
    RowReader,
    parse_bool,
    parse_choice,
    parse_date,
    parse_int,
    parse_text,
    read_sheet,
)


@pytest.mark.parametrize(
    "raw",
    ["2019-09-01", "2019/9/1", "2019.9.1", "2019年9月1日", " 2019-9-1 ", "２０１９-０９-０１", "20190901",
     "2019-09-01 00:00:00", "2019/9/1 8:30", "2019-09-01T08:30:00.000", "2019/9/1 10:30:00", "2019-9-1 23:00", "2019年9月1日 8:00",
     dt.datetime(2019, 9, 1), dt.date(2019, 9, 1)],
)
def test_dates_as_clerks_type_them(raw):
    assert parse_date(raw) == dt.date(2019, 9, 1)


@pytest.mark.parametrize("raw", ["2019年9月", "2019.9", "2019-09", "201909", "2019/9"])
def test_month_only_when_allowed(raw):
    assert parse_date(raw, allow_month=True) == dt.date(2019, 9, 1)
    with pytest.raises(CellError):
        parse_date(raw)


def test_a_month_typed_into_a_number_cell_as_2014_10_is_refused_not_read_as_january():
    with pytest.raises(CellError, match="分不清是1月还是10月"):
        parse_date(2014.1, allow_month=True)  # what Excel keeps of 2014.10
    assert parse_date("2014.1", allow_month=True) == dt.date(2014, 1, 1)  # typed as text: January
    assert parse_date(2014.11, allow_month=True) == dt.date(2014, 11, 1)
    assert parse_date(2014.9, allow_month=True) == dt.date(2014, 9, 1)


@pytest.mark.parametrize("raw", ["2019-02-30", "九月一日", "2019-13-01", "2019-09-01 25", "201913"])
def test_bad_dates(raw):
    with pytest.raises(CellError):
        parse_date(raw)


def test_blank_date_is_none():
    assert parse_date(None) is None and parse_date("  ") is None


@pytest.mark.parametrize(("raw", "value"), [("1,200", 1200), (" ８１２ ", 812), (812.0, 812), ("45", 45)])
def test_integers(raw, value):
    assert parse_int(raw) == value


@pytest.mark.parametrize("raw", ["12.5", "abc", -3, True])
def test_bad_integers(raw):
    with pytest.raises(CellError):
        parse_int(raw)


def test_choices_and_booleans_and_text():
    assert parse_choice(" 乡 村 ", ("城区", "镇区", "乡村")) == "乡村"
    with pytest.raises(CellError, match="可选"):
        parse_choice("农村", ("城区", "镇区", "乡村"))
    assert parse_bool("是") and not parse_bool("否") and not parse_bool(None)
    with pytest.raises(CellError):
        parse_bool("也许")
    assert parse_text(3601020001.0) == "3601020001"
    with pytest.raises(CellError, match="不能为空"):
        parse_text("  ")


def test_read_sheet_finds_header_below_a_title_and_skips_blank_rows(tmp_path):
    path = tmp_path / "学校.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["青禾县学校名册"])
    sheet.append([" 学校代码 ", "学校名称", "备注"])
    sheet.append(["001", "一小", "x"])
    sheet.append([None, None, None])
    sheet.append(["002", "二小", None])
    workbook.save(path)
    name, rows = read_sheet(path, ["学校代码", "学校名称"])
    assert name == "学校.xlsx"
    assert [(r.number, r.get("学校代码")) for r in rows] == [(3, "001"), (5, "002")]
    assert "备注" not in rows[0].cells


def test_read_sheet_finds_the_table_behind_a_notes_sheet(tmp_path):
    path = tmp_path / "名册.xlsx"
    workbook = Workbook()
    workbook.active.title = "填表说明"
    workbook.active.append(["请按学校代码填写"])
    data = workbook.create_sheet("名册")
    data.append(["学校代码", "学校名称"])
    data.append(["001", "一小"])
    workbook.save(path)
    _name, rows = read_sheet(path, ["学校代码", "学校名称"])
    assert [(r.number, r.get("学校名称")) for r in rows] == [(2, "一小")]


def test_a_header_row_missing_a_column_is_named(tmp_path):
    path = tmp_path / "名册.xlsx"
    workbook = Workbook()
    workbook.active.append(["2025年名册"])
    workbook.active.append(["学校代码", "学校名", "学段"])
    workbook.save(path)
    with pytest.raises(ImportFailed) as caught:
        read_sheet(path, ["学校代码", "学校名称", "学段"])
    (problem,) = caught.value.problems
    assert problem.row == 2 and problem.message == "这一行像是表头，但缺少这些列：学校名称"


def test_missing_headers_and_unreadable_files(tmp_path):
    path = tmp_path / "x.xlsx"
    workbook = Workbook()
    workbook.active.append(["名称"])
    workbook.save(path)
    with pytest.raises(ImportFailed, match="学校代码"):
        read_sheet(path, ["学校代码"])
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    with pytest.raises(ImportFailed, match="无法读取"):
        read_sheet(bad, ["学校代码"])
    with pytest.raises(ImportFailed, match="找不到文件"):
        read_sheet(tmp_path / "none.xlsx", ["学校代码"])


def test_row_reader_collects_every_problem(tmp_path):
    from db.importing import SheetRow

    problems = []
    reader = RowReader("t.xlsx", SheetRow(7, {"日期": "2019-02-30", "人数": "x"}), problems)
    assert reader.cell("日期", parse_date) is None
    assert reader.cell("人数", parse_int) is None
    assert not reader.ok
    assert [str(p) for p in problems] == [
        "t.xlsx 第7行“日期”列：“2019-02-30”不是有效日期",
        "t.xlsx 第7行“人数”列：“x”不是整数",
    ]


def test_a_long_problem_list_shows_the_first_ones_and_counts_the_rest_by_column():
    problems = [ImportProblem("f.xlsx", r, "调入本校时间", "早于参加工作时间") for r in range(2, 502)]
    problems.append(ImportProblem("f.xlsx", 600, "身份证号", "校验位错误"))
    failure = ImportFailed(problems)
    text = str(failure)
    assert "（501 处错误）" in text and len(failure.problems) == 501
    assert text.count("\n") == ImportFailed.SHOWN_PROBLEMS + 1
    assert "另有 301 处错误未列出（全部错误按列：“调入本校时间”列 500 处，“身份证号”列 1 处）" in text
