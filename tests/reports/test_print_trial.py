"""What the new-user trial of the printed documents found (issue 6), each checked on paper:
rule names instead of ids, a cover title in deliberate lines, charts whose every name can be
read, a footnote that never stands alone, notices dated by the plan and its exchanges."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
import uuid
from pathlib import Path

import pytest
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph

from db.annual import annual_data
from db.exchange_notice import ApprovedPlan, NoticeRow, approved_plan
from db.settings import active_profile
from policy.clusters import RULE_LABELS
from reports import documents
from reports.fonts import SANS_BOLD
from reports.notice import letter, reporting_text
from reports.pdf import (
    FRAME_WIDTH,
    Col,
    DocInfo,
    build_pdf,
    cover,
    fit_lines,
    note,
    ranked_bars,
    table,
    with_footnote,
)


def _strings(drawing) -> list[str]:
    from reportlab.graphics.shapes import String

    found: list[str] = []

    def walk(node) -> None:
        for child in getattr(node, "contents", []):
            if isinstance(child, String):
                found.append(child.text)
            walk(child)

    walk(drawing)
    return found


def test_violations_show_the_rule_name_not_its_id(demo_store, tmp_path: Path, pdf) -> None:
    out = tmp_path / "annual.pdf"
    documents.annual_report(demo_store, 2025, out)
    pages = pdf.page_texts(out)
    start = next(i for i, p in enumerate(pages) if "九、违规与豁免" in p and "豁免的违规照常列出" in p)
    section = "".join(pages[start:])
    data = annual_data(demo_store, active_profile(demo_store), 2025)
    assert data.check.violations
    for v in data.check.violations:
        assert RULE_LABELS[v.rule] in section
    # No rule id reaches paper anywhere in the report (also not cut in two by a cell wrap).
    flat = "".join(pages)
    for rule in RULE_LABELS:
        assert rule not in flat and rule.split(".")[1][:8] not in flat, rule


def test_cover_sets_the_title_in_two_lines_without_an_orphan(demo_store, tmp_path: Path, pdf) -> None:
    out = tmp_path / "annual.pdf"
    documents.annual_report(demo_store, 2025, out)
    (_width, _height), words = pdf.words(out)
    cover_lines = _lines([w for w in words if w.page == 1])
    assert "2025—2026学年" in cover_lines and "城乡教共体年度评价报告" in cover_lines
    assert all(len(line) > 1 for line in cover_lines), cover_lines  # "全县" is the shortest


def test_single_community_cover_with_a_long_name(demo_store, tmp_path: Path, pdf) -> None:
    name = max((c.name for c in annual_data(demo_store, active_profile(demo_store), 2025).clusters), key=len)
    out = tmp_path / "one.pdf"
    documents.annual_report(demo_store, 2025, out, cluster=name)
    (_width, _height), words = pdf.words(out)
    lines = _lines([w for w in words if w.page == 1])
    assert name in lines and "城乡教共体年度评价报告" in lines
    assert all(len(line) > 1 for line in lines), lines
    pdf.assert_inside_page(out)


def _lines(words) -> list[str]:
    rows: dict[int, list] = {}
    for w in words:
        rows.setdefault(round(w.y_min), []).append(w)
    return ["".join(w.text for w in sorted(row, key=lambda w: w.x_min)) for _y, row in sorted(rows.items())]


@pytest.mark.parametrize("text", ["2025—2026学年城乡教共体年度评价报告" * 2,
                                  "青禾县洪广镇金山村九年一贯制学校附属幼儿园与教学点联合校区（东区）教共体"])
def test_fit_lines_never_leaves_an_orphan(text: str) -> None:
    _size, lines = fit_lines(text, SANS_BOLD, 26, 300)
    assert "".join(lines) == text and len(lines) >= 2
    assert all(len(line) >= 3 for line in lines)
    shortest, longest = min(len(x) for x in lines), max(len(x) for x in lines)
    assert longest - shortest <= 4  # balanced, not a full line and a stub
    assert not any(a[-1].isdigit() and b[0].isdigit() for a, b in itertools.pairwise(lines))


def test_fit_lines_shrinks_a_slightly_long_line() -> None:
    text = "2025—2026学年城乡教共体年度评价报告"
    size, lines = fit_lines(text, SANS_BOLD, 26, FRAME_WIDTH * 0.9)
    assert lines == [text] and 18 <= size < 26


def test_score_chart_names_every_community_in_full(demo_store) -> None:
    data = annual_data(demo_store, active_profile(demo_store), 2025)
    names = [c.name for c in data.clusters]
    drawing = ranked_bars(names, [c.evaluation.total for c in data.clusters], title="各集团(学区)评价总分",
                          value_format="{:.1f}")
    texts = _strings(drawing)
    for name in names:
        assert name in texts  # not cut to a common prefix
    assert drawing.width == FRAME_WIDTH
    # Highest first.
    order = [t for t in texts if t in names]
    totals = {c.name: c.evaluation.total for c in data.clusters}
    assert [totals[n] for n in order] == sorted(totals.values(), reverse=True)


def test_a_city_sized_chart_shows_top_and_bottom_not_a_crowd() -> None:
    names = [f"青岚市第{i}小学教育集团" for i in range(180)]
    values = [float(i % 97) for i in range(180)]
    drawing = ranked_bars(names, values, title="评价总分", limit=30)
    texts = _strings(drawing)
    shown = [t for t in texts if t in names]
    assert len(shown) == 30
    assert any("中间150个略" in t for t in texts) and any("前15名与后15名，共180个" in t for t in texts)
    assert drawing.height < 200 * mm  # fits a page


def test_statistics_footnote_stays_with_the_last_rows(demo_store, tmp_path: Path, pdf) -> None:
    out = tmp_path / "stat.pdf"
    documents.statistics(demo_store, out)
    pages = pdf.page_texts(out)
    last = pages[-1]
    assert "依据：" in last and "合计" in last
    # The last page carries table rows too, not only the total and the note.
    assert len(re.findall(r"学区|教共体|教育集团", last.split("合计")[0])) >= 3


@pytest.mark.parametrize("rows", [5, 12, 20, 31, 44, 120])
def test_footnote_never_alone_on_a_page(tmp_path: Path, pdf, rows: int) -> None:
    """Whatever the row count, the page with the footnote also holds table rows."""
    out = tmp_path / f"t{rows}.pdf"
    long = "很长的说明文字，" * 12

    def story() -> list:
        return [Paragraph("标题", note("x").style),
                with_footnote(table([Col("序号", 0.5, True), Col("名称", 3)], [(i, f"行{i}号{long}")
                                                                             for i in range(1, rows + 1)]),
                              note("注：这是表下的脚注。" * 3))]

    build_pdf(out, DocInfo(title="脚注测试"), story, cover_page=False)
    pages = pdf.page_texts(out)
    with_note = [p for p in pages if "注：这是表下的脚注" in p]
    assert len(with_note) == 1 and f"行{rows}号" in with_note[0]
    assert f"行{max(rows - 2, 1)}号" in with_note[0]  # at least three rows (or all) with it
    for i in range(1, rows + 1):  # no row lost or doubled
        assert sum(p.count(f"行{i}号") for p in pages) == 1


def _row(start: dt.date | None, end: dt.date | None = None) -> NoticeRow:
    return NoticeRow(uuid.uuid4(), "王芳", "女", "数学", "一级教师", "", "教师", "青禾县第一小学", "柳湾小学",
                     "乡村", "支教", start, end, False, "planned")


def test_reporting_text_asks_to_report_only_before_a_future_start() -> None:
    row = _row(dt.date(2026, 9, 1), dt.date(2027, 8, 31))
    assert reporting_text(row, 2026, dt.date(2026, 8, 1)) == "请于2026年9月1日前到柳湾小学报到。"
    assert reporting_text(row, 2026, dt.date(2026, 9, 1)) == "请于2026年9月1日前到柳湾小学报到。"
    past = reporting_text(row, 2026, dt.date(2026, 11, 23))
    assert "自2026年9月1日起" in past and "请于" not in past
    # No start on the exchange: the school year's first day.
    assert reporting_text(_row(None), 2026, dt.date(2026, 7, 1)) == "请于2026年9月1日前到柳湾小学报到。"


def test_letter_is_dated_with_the_approval_and_says_the_period_once() -> None:
    flow = letter(_row(dt.date(2026, 9, 1), dt.date(2027, 8, 31)), 2026, "青禾县教育局", "《方案》",
                  dt.date(2026, 7, 10), dt.date(2026, 11, 23))
    texts = [f.getPlainText() for f in flow if isinstance(f, Paragraph)]
    body = next(t for t in texts if "经研究决定" in t)
    assert "你自2026年9月1日至2027年8月31日以“支教”形式" in body and "自自" not in body
    letter_text = "".join(texts)
    assert "请于" not in letter_text and "自2026年9月1日起执行" in letter_text
    assert texts[-1] == "2026年7月10日"


def test_notice_pdf_is_dated_by_the_plan(demo_store, tmp_path: Path, pdf) -> None:
    plan = approved_plan(demo_store, 2026)
    assert plan.approved_at is not None
    out = tmp_path / "notice.pdf"
    documents.exchange_notice(demo_store, 2026, out)
    flat = pdf.flat(out)
    approved = f"{plan.approved_at.year}年{plan.approved_at.month}月{plan.approved_at.day}日"
    today = dt.date.today()
    assert approved in flat
    if (today.year, today.month, today.day) != (plan.approved_at.year, plan.approved_at.month,
                                                 plan.approved_at.day):
        assert f"{today.year}年{today.month}月{today.day}日" not in flat
    for row in plan.rows:
        if row.start and row.start < today:
            assert f"请于{row.start.year}年{row.start.month}月{row.start.day}日前" not in flat


def test_notice_without_approval_time_is_dated_today(tmp_path: Path) -> None:
    from reports.notice import letter_date

    plan = ApprovedPlan(2026, None, None, "default", {}, ())
    assert letter_date(plan, dt.date(2026, 11, 23)) == dt.date(2026, 11, 23)
    dated = dataclasses.replace(plan, approved_at=dt.datetime(2026, 7, 10, 9, 30))
    assert letter_date(dated, dt.date(2026, 11, 23)) == dt.date(2026, 7, 10)


def test_cover_flowables_fit_the_width() -> None:
    info = DocInfo(title="x" * 5, bureau="青禾县教育局", subtitle="青禾县洪广镇金山村九年一贯制学校附属幼儿园与教学点联合校区（东区）教共体" * 2,
                   cover_title=("2025—2026学年", "城乡教共体年度评价报告"))
    for f in cover(info):
        if isinstance(f, Paragraph):
            f.wrap(FRAME_WIDTH, 1000)
            assert len(f.blPara.lines) == 1, f.getPlainText()
