"""Print-ready spreadsheets (issue 15): every workbook EduBridge writes has a page set-up
(orientation, one page wide, header rows on every page, title and page numbers), widths
from its content and ID / code columns as text; the statistics form's xlsx is laid out
like its PDF (footer, 小计 / 合计 bold)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from desktop.cli import main
from reports.xlsx import Column, Sheet, display_width, mask_id, write_table

TEMPLATES = ("schools", "clusters", "visits", "teachers", "exemptions", "needs")
EXPORTS = ("schools", "clusters", "statistics", "visits", "teachers", "exemptions", "needs", "exchanges", "pairings")


@pytest.fixture
def demo_path(demo_db_file: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "demo.db"
    shutil.copyfile(demo_db_file, copy)
    return copy


def _assert_print_ready(path: Path) -> None:
    workbook = load_workbook(path)
    for ws in workbook.worksheets:
        where = f"{path.name}:{ws.title}"
        assert ws.sheet_properties.pageSetUpPr.fitToPage, where
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), where
        assert ws.page_setup.orientation in ("portrait", "landscape"), where
        assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4, where
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text, where
        assert ws.oddHeader.center.text, where
        if ws.title != "说明":
            assert ws.print_title_rows, where  # the header row on every printed page


@pytest.mark.parametrize("kind", TEMPLATES)
def test_every_template_is_print_ready_with_text_id_columns(kind: str, tmp_path: Path) -> None:
    out = tmp_path / f"{kind}.xlsx"
    assert main(["template", kind, str(out)]) == 0
    _assert_print_ready(out)
    ws = load_workbook(out).worksheets[0]
    headers = [c.value for c in ws[1]]
    for index, header in enumerate(headers, start=1):
        if header and any(word in header for word in ("身份证", "学校代码", "标识码")):
            letter = ws.cell(1, index).column_letter
            # The column's own style (what a clerk types into an empty row) and the example row.
            assert ws.column_dimensions[letter].number_format == "@", header
            assert ws.cell(2, index).number_format == "@", header


@pytest.mark.parametrize("kind", EXPORTS)
def test_every_export_is_print_ready(kind: str, demo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / f"{kind}.xlsx"
    args = ["--db", str(demo_path), "export", kind, str(out)]
    if kind in ("needs", "exchanges"):
        args += ["--year", "2025"]
    assert main(args) == 0
    _assert_print_ready(out)


def test_widths_come_from_the_content(tmp_path: Path) -> None:
    long_name = "青禾县洪广镇金山村九年一贯制学校（东区）"
    out = write_table(tmp_path / "w.xlsx", [Sheet("表", [Column("学校名称"), Column("序号")],
                                                  [[long_name, 1], ["短名", 2]])])
    ws = load_workbook(out)["表"]
    assert ws.column_dimensions["A"].width >= display_width(long_name)
    assert ws.column_dimensions["B"].width < 12
    assert ws.page_setup.orientation == "portrait"


def test_masked_id_keeps_region_and_last_four() -> None:
    assert mask_id("64012219800101123X") == "640122********123X"
    assert mask_id("") == ""


def test_exemption_export_can_mask_id_numbers(demo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "ex.xlsx"
    assert main(["--db", str(demo_path), "export", "exemptions", str(out), "--mask-id"]) == 0
    ws = load_workbook(out)["免交流登记"]
    ids = [row[0] for row in ws.iter_rows(min_row=2, values_only=True) if row[0]]
    assert ids and all(value[6:14] == "*" * 8 for value in ids)


def test_statistics_xlsx_is_laid_out_like_the_form(demo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "stat.xlsx"
    assert main(["--db", str(demo_path), "export", "statistics", str(out)]) == 0
    ws = load_workbook(out)["统计表"]
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$2"
    values = [row for row in ws.iter_rows(values_only=True)]
    headers = list(values[1])
    for needed in ("专任教师数", "班级数", "成立时间", "是否签订帮扶协议", "存在问题（依据）"):
        assert needed in headers
    total_row = next(n for n, row in enumerate(values) if row[0] == "合计")
    body = values[2:total_row]
    schools = headers.index("学校数")
    assert values[total_row][schools] == sum(row[schools] for row in body)
    assert ws.cell(total_row + 1, schools + 1).font.b
    text = "\n".join(str(row[0]) for row in values[total_row + 1:] if row[0])
    for footer in ("填报单位（盖章）", "填表人", "审核人", "联系电话"):
        assert footer in text
    assert ws.cell(3, 1).border.left.style == "thin"


def test_plan_notes_never_print_a_blank_figure() -> None:
    from reports.exchange_tables import _figures_line

    line = _figures_line({}, 5)
    assert "（未免交流）" not in line and "不少于人" not in line and "交流5人" in line and "未记录符合条件人数" in line
    full = _figures_line({"base": 100, "moves": 10, "required_moves": 10, "backbone": 2, "required_backbone": 2}, 10)
    assert full == "符合交流条件（未免交流）100人；交流10人，应不少于10人；骨干教师2人，应不少于2人。"


def test_quota_results_as_xlsx_and_pdf_put_who_is_behind_first(demo_path: Path, tmp_path: Path, pdf) -> None:
    xlsx, out = tmp_path / "quota.xlsx", tmp_path / "quota.pdf"
    assert main(["--db", str(demo_path), "quota", "--semester", "2025-1", "-o", str(xlsx)]) == 0
    assert main(["--db", str(demo_path), "quota", "--semester", "2025-1", "-o", str(out)]) == 0
    _assert_print_ready(xlsx)
    rows = [r for r in load_workbook(xlsx)["指标完成情况"].iter_rows(min_row=3, values_only=True) if isinstance(r[0], int)]
    states = [r[1] for r in rows]
    assert states == sorted(states, key=["未达标", "未开展", "已达标"].index)  # behind first
    behind = [r for r in rows if r[1] == "未达标"]
    assert [r[8] for r in behind] == sorted((r[8] for r in behind), reverse=True)  # biggest gap first
    flat = pdf.flat(out)
    assert f"未达标{len(behind)}项" in flat and "（盖章）" in flat
    assert main(["--db", str(demo_path), "quota", "--semester", "2025-1", "-o", str(tmp_path / "q.txt")]) == 2


def test_pairing_list_pdf(demo_path: Path, tmp_path: Path, pdf) -> None:
    out = tmp_path / "pairings.pdf"
    assert main(["--db", str(demo_path), "report", "pairings", "-o", str(out)]) == 0
    flat = pdf.flat(out)
    assert "结对帮扶及包片包抓名单" in flat and "包片包抓" in flat
    pdf.assert_inside_page(out)
