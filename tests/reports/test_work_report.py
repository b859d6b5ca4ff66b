"""A community's 学年度工作报告 (issue 15; 余教〔2020〕155号 五(一)4) and the clerk's stored
report text: what a community lead signs and files, checked as text extracted from the PDF."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from db.agreements import find_cluster
from db.annual import annual_data
from db.report_texts import save_text
from db.settings import active_profile
from db.visits import load_visits
from desktop.cli import main
from reports import documents
from reports.work_report import build_work_report, work_report_parts

NAME = "青禾县第三初级中学共建型教共体"
DAY = dt.date(2026, 7, 10)


def test_work_report_reads_as_a_community_report_to_sign_and_file(demo_store, tmp_path: Path, pdf) -> None:
    out = tmp_path / "work.pdf"
    build_work_report(demo_store, NAME, 2025, out, today=DAY)
    pdf.assert_all_embedded(out)
    pdf.assert_inside_page(out)
    pages = pdf.page_texts(out)
    flat = "".join(pages)
    assert pages[0].startswith(NAME.replace(" ", "")) or NAME in pages[0]
    assert "2025—2026学年度工作报告" in pages[0] and "学年学年" not in flat
    for needed in ("一、基本情况", "二、主要工作", "三、帮扶活动对照指标", "四、教师交流轮岗", "五、受援校教育教学质量",
                   "六、主要成效", "七、存在问题", "八、下一学年工作计划", "（牵头学校", "盖章）",
                   "教共体负责人（签字）", "2026年7月10日"):
        assert needed in flat, needed
    data = annual_data(demo_store, active_profile(demo_store), 2025, NAME)
    community = data.clusters[0]
    for member in community.members:
        assert member.name in flat, member.name
    # The activity table counts what was recorded at the members in the school year.
    hosts = {m.school_id.hex for m in community.members}
    kinds = Counter(v.activity_type for v in load_visits(demo_store, data.first, data.last, hosts))
    assert kinds, "the demo community has activities"
    kind, count = kinds.most_common(1)[0]
    assert f"{kind}{count}" in flat
    assert f"合计{sum(kinds.values())}" in flat
    met = sum(1 for r in community.quotas if r.met)
    assert f"帮扶指标{len(community.quotas)}项" in flat and f"达标{met}项" in flat
    assert f"{community.exchange.moved}/{community.exchange.eligible}" in flat
    # Nothing of another community or of the whole county is claimed as this one's.
    assert "纳入集团(学区)" not in "".join(p for p in pages if "六、主要成效" in p or "七、存在问题" in p)
    # The 落款 closes the report; named people behind their quota come after it, in the 附表.
    seal = next(i for i, p in enumerate(pages) if "教共体负责人（签字）" in p)
    behind = [r for r in community.quotas if not r.met and r.scope == "person"]
    if behind:
        assert behind[0].who in "".join(pages[seal:])
        assert "附表帮扶活动未达标明细" in "".join(pages[seal:])


def test_text_the_clerk_stored_is_printed_in_place_of_the_draft(demo_store, tmp_path: Path, pdf) -> None:
    cluster_id, _ = find_cluster(demo_store, NAME)
    _data, _kinds, draft = work_report_parts(demo_store, NAME, 2025, DAY)
    save_text(demo_store, "work_report", 2025, cluster_id,
              {"下一学年工作计划": ["秋季学期开设同步课堂二十节。", "春季学期组织青年教师跟岗学习。"]})
    save_text(demo_store, "annual", 2025, None, {"存在问题": ["局里写的全县问题。"]})
    save_text(demo_store, "annual", 2025, cluster_id, {"存在问题": ["局里写的本教共体问题。"]})
    out = tmp_path / "work.pdf"
    build_work_report(demo_store, NAME, 2025, out, today=DAY)
    flat = pdf.flat(out)
    assert "1.秋季学期开设同步课堂二十节。2.春季学期组织青年教师跟岗学习。" in flat
    assert draft["主要工作"][0].replace(" ", "") in flat  # sections not written keep the draft
    assert draft["下一学年工作计划"][0].replace(" ", "") not in flat
    county, one = tmp_path / "annual.pdf", tmp_path / "annual-one.pdf"
    documents.annual_report(demo_store, 2025, county)
    documents.annual_report(demo_store, 2025, one, cluster=NAME)
    assert "局里写的全县问题。" in pdf.flat(county) and "本教共体问题" not in pdf.flat(county)
    assert "局里写的本教共体问题。" in pdf.flat(one) and "全县问题" not in pdf.flat(one)
    # One community's report speaks of its own rural schools, not the county's coverage.
    assert "已纳入集团(学区)" in pdf.flat(county) and "已纳入集团(学区)" not in pdf.flat(one)
    assert "乡村学校有城镇结对" in pdf.flat(one)


def test_cli_writes_the_work_report_and_refuses_an_unknown_community(demo_db_file: Path, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    db = tmp_path / "d.db"
    shutil.copyfile(demo_db_file, db)
    assert main(["--db", str(db), "report", "work", "--cluster", "无此教共体", "--year", "2025",
                 "-o", str(tmp_path / "x.pdf")]) == 2
    err = capsys.readouterr().err
    assert "无此教共体" in err and "Traceback" not in err and not (tmp_path / "x.pdf").exists()
