"""The county's documents from the demo data: annual report, notice, statistics —
fonts embedded, right names and figures on the pages, nothing off the page, repeated headers."""

from __future__ import annotations

from pathlib import Path

import pytest

from db.annual import annual_data
from db.exchange_notice import approved_plan
from db.settings import active_profile
from desktop.cli import main
from reports import documents


def test_annual_report(demo_store, tmp_path: Path, pdf) -> None:
    out = tmp_path / "annual.pdf"
    built = documents.annual_report(demo_store, 2025, out)
    assert built.pages == pdf.pages(out) > 10
    pdf.assert_all_embedded(out)
    pdf.assert_inside_page(out)
    pages = pdf.page_texts(out)
    assert "青禾县教育局" in pages[0] and "2025—2026学年城乡教共体年度评价报告" in pages[0]
    assert "目录" in pages[1] and "八、违规与豁免" in pages[1]
    assert "第2页/共" in pages[1] and f"共{built.pages}页" in pages[-1]
    data = annual_data(demo_store, active_profile(demo_store), 2025)
    flat = "".join(pages)
    for c in data.clusters:
        assert c.name in flat
        assert f"{c.evaluation.total:.1f}" in flat
    assert f"{data.county_exchange.moved}" in flat and "太平区2023方案四(二)3" in flat
    # Tables that run over a page repeat their header row.
    header = "集团(学区)学校角色城乡学生加入退出"
    with_header = [i for i, p in enumerate(pages) if header in p]
    assert len(with_header) >= 2 and with_header == list(range(with_header[0], with_header[-1] + 1))


def test_annual_report_for_one_cluster_and_unknown_cluster(demo_store, tmp_path: Path, pdf, capsys) -> None:
    name = annual_data(demo_store, active_profile(demo_store), 2025).clusters[0].name
    out = tmp_path / "one.pdf"
    documents.annual_report(demo_store, 2025, out, cluster=name)
    assert name in pdf.flat(out)
    url = str(demo_store.engine.url.database)
    assert main(["--db", url, "report", "annual", "--year", "2025", "--cluster", "无此集团", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "无此集团" in err


def test_notice_lists_the_approved_plan_and_one_letter_each(demo_store, tmp_path: Path, pdf) -> None:
    plan = approved_plan(demo_store, 2026)
    out = tmp_path / "notice.pdf"
    built = documents.exchange_notice(demo_store, 2026, out)
    pages = pdf.page_texts(out)
    assert built.pages == len(pages)
    pdf.assert_all_embedded(out)
    letters = [p for p in pages if "教师交流轮岗通知书" in p]
    assert len(letters) == len(plan.rows)
    first = plan.rows[0]
    assert f"{first.name}老师" in letters[0] and first.to_school in letters[0]
    listing = "".join(p for p in pages if "教师交流轮岗通知书" not in p)
    for row in plan.rows:
        assert row.name in listing and row.from_school in listing
    assert sum(p.count("交流单位") for p in pages[: len(pages) - len(letters)]) >= 2  # header on every list page


def test_notice_without_approved_plan(demo_store, tmp_path: Path) -> None:
    with pytest.raises(documents.ReportError, match="没有已批准的交流轮岗方案"):
        documents.exchange_notice(demo_store, 1999, tmp_path / "x.pdf")


def test_statistics_pdf(demo_store, tmp_path: Path, pdf) -> None:
    from reports.cluster_sheets import statistics_table

    out = tmp_path / "stat.pdf"
    documents.statistics(demo_store, out)
    pdf.assert_all_embedded(out)
    pdf.assert_inside_page(out)
    flat = pdf.flat(out)
    import datetime as dt

    rows, _total = statistics_table(demo_store, dt.date.today())
    for row in rows:
        assert row[1] in flat and row[4] in flat


def test_notice_says_where_the_plan_sends_teachers() -> None:
    """The 公示 explains the plan's directions: lateral moves of mandatory teachers with the clause."""
    import datetime as dt

    from db.exchange_notice import ApprovedPlan
    from policy.directions import clauses_of
    from policy.profile import load_profile
    from reports.notice import notice_story

    summary = {"directions": {"rural": 3, "weak": 0, "town": 1, "staffing": 0, "lateral": 2, "any": 1}}
    plan = ApprovedPlan(2027, None, None, "default", summary, ())
    story = notice_story(plan, "青禾县教育局", "《方案》", dt.date(2027, 7, 1), False, lambda *_a: None,
                         direction_clauses=clauses_of(load_profile()))
    text = "".join(p.getPlainText() for p in story if hasattr(p, "getPlainText"))
    assert "交流方向：向乡村学校 3 人、城区向镇区学校 1 人、同类学校之间 2 人、其他开设该学段的学校 1 人。" in text
    assert "其中 3 名任教满最长年限的教师" in text and "太平区2023方案 四(二)3" in text
    bare = notice_story(ApprovedPlan(2027, None, None, "default", {}, ()), "县", "《方案》", dt.date(2027, 7, 1),
                        False, lambda *_a: None)
    assert "交流方向" not in "".join(p.getPlainText() for p in bare if hasattr(p, "getPlainText"))
