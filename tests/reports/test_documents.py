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
    assert "目录" in pages[1] and "九、违规与豁免" in pages[1] and "附录二" in pages[1]
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


def test_notice_and_letters_are_separate_documents(demo_store, tmp_path: Path, pdf) -> None:
    plan = approved_plan(demo_store, 2026)
    notice, letters_pdf = tmp_path / "notice.pdf", tmp_path / "letters.pdf"
    built = documents.exchange_notice(demo_store, 2026, notice)
    pages = pdf.page_texts(notice)
    assert built.pages == len(pages)
    pdf.assert_all_embedded(notice)
    assert not any("教师交流轮岗通知书" in p for p in pages)  # the 公示 holds no letter
    listing = "".join(pages)
    for row in plan.rows:
        assert row.name in listing and row.from_school in listing
    assert sum(p.count("交流单位") for p in pages) >= 2  # header on every list page
    for needed in ("公示时间：", "个工作日", "监督电话", "来信地址", "（盖章）"):
        assert needed in listing, needed
    assert "《太平区义务教育发展基本均衡方案》" in listing and "《太平区2023方案" not in listing

    built = documents.exchange_letters(demo_store, 2026, letters_pdf)
    letters = pdf.page_texts(letters_pdf)
    assert built.pages == len(letters) == len(plan.rows)  # one page each
    first = plan.rows[0]
    assert f"{first.name}老师" in letters[0] and first.to_school in letters[0]
    assert all("页/共" not in p and "公示" not in p for p in letters)  # no list header, no list page numbers
    assert all("报到时间" in p and "报到地点" in p and "联系电话" in p for p in letters)
    by_form = {row.form: n for n, row in enumerate(plan.rows)}
    if "跟岗" in by_form:
        assert "跟岗学习" in letters[by_form["跟岗"]] and "任教" not in letters[by_form["跟岗"]]
    if "挂职" in by_form:
        assert "挂职锻炼" in letters[by_form["挂职"]]


def test_publicity_period_counts_working_days() -> None:
    import datetime as dt

    from reports.notice import add_working_days

    assert add_working_days(dt.date(2026, 7, 10), 5) == dt.date(2026, 7, 16)  # Fri → next Thu
    assert add_working_days(dt.date(2026, 7, 11), 1) == dt.date(2026, 7, 13)  # Sat → Mon


def test_every_exchange_form_has_letter_wording() -> None:
    from policy import vocab
    from reports.notice import form_wording, load_notice_template

    template = load_notice_template()
    for form in vocab.EXCHANGE_FORMS:
        assert form in template["forms"], form
    assert form_wording(template, "新形式", "数学") == ("交流", "按交流单位的安排开展工作")  # unknown: default


def test_notice_without_approved_plan(demo_store, tmp_path: Path) -> None:
    with pytest.raises(documents.ReportError, match="没有已批准的交流轮岗方案"):
        documents.exchange_notice(demo_store, 1999, tmp_path / "x.pdf")


def test_statistics_pdf(demo_store, tmp_path: Path, pdf) -> None:
    from reports.statistics_form import statistics_form

    out = tmp_path / "stat.pdf"
    documents.statistics(demo_store, out)
    pdf.assert_all_embedded(out)
    pdf.assert_inside_page(out)
    flat = pdf.flat(out)
    import datetime as dt

    form = statistics_form(demo_store, dt.date.today())
    for row in form.rows:
        assert row[form.column("集团(学区)名称")] in flat and row[form.column("牵头学校")] in flat
    for footer in ("填报单位（盖章）", "填表人", "审核人", "联系电话", "专任教师数", "班级数", "成立时间",
                   "是否签订帮扶协议"):
        assert footer in flat


def test_approval_and_register_forms_one_page_per_teacher(demo_store, tmp_path: Path, pdf) -> None:
    from reports.exchange_forms import build_forms

    plan = approved_plan(demo_store, 2026)
    approval, register = tmp_path / "a.pdf", tmp_path / "r.pdf"
    assert build_forms(demo_store, 2026, approval, kind="approval").pages == len(plan.rows)
    assert build_forms(demo_store, 2026, register, kind="register").pages == len(plan.rows)
    first = pdf.page_texts(approval)[0]
    for box in ("本人意见", "派出学校意见", "接收学校意见", "青禾县教育局意见", "签字（盖章）"):
        assert box in first, box
    assert plan.rows[0].name in first and plan.rows[0].to_school in first
    card = pdf.page_texts(register)[0]
    assert "身份证号" in card and "本人签名" in card and "页/共" not in card
    pdf.assert_inside_page(approval)


def test_semester_summary_of_a_community(demo_store, tmp_path: Path, pdf) -> None:
    from db.visits import save_summary
    from policy.calendar import Semester
    from reports.semester_summary import build_summary

    name = "青禾县城关学校协作型教共体"
    cluster_id, _ = __import__("db.agreements", fromlist=["find_cluster"]).find_cluster(demo_store, name)
    save_summary(demo_store, cluster_id, Semester(2025, 1), achievements="同步课堂开课32节。")
    out = tmp_path / "s.pdf"
    build_summary(demo_store, name, Semester(2025, 1), out)
    flat = pdf.flat(out)
    for needed in ("一、目标达成度", "主要成效", "同步课堂开课32节。", "下步计划", "牵头学校盖章"):
        assert needed in flat, needed
    later = tmp_path / "later.pdf"
    build_summary(demo_store, name, Semester(2026, 2), later)
    assert pdf.flat(later).count("尚未填写") == 4  # nothing recorded: blanks to write in, nothing invented
    with pytest.raises(documents.ReportError, match="没有名为"):
        build_summary(demo_store, "无此教共体", Semester(2025, 1), tmp_path / "x.pdf")


def test_notice_says_where_the_plan_sends_teachers() -> None:
    """The 公示 explains the plan's directions: lateral moves of mandatory teachers with the clause."""
    import datetime as dt

    from db.exchange_notice import ApprovedPlan
    from policy.profile import load_profile
    from reports.notice import Contact, notice_story

    summary = {"directions": {"rural": 3, "weak": 0, "town": 1, "staffing": 0, "lateral": 2, "any": 1}}
    plan = ApprovedPlan(2027, None, None, "default", summary, ())
    story = notice_story(plan, "青禾县教育局", "《方案》", dt.date(2027, 7, 1), load_profile(), Contact())
    text = "".join(p.getPlainText() for p in story if hasattr(p, "getPlainText"))
    assert "交流方向：向乡村学校 3 人、城区向镇区学校 1 人、同类学校之间 2 人、其他开设该学段的学校 1 人。" in text
    assert "其中 3 名任教满最长年限的教师" in text and "太平区2023方案 四(二)3" in text
    bare = notice_story(ApprovedPlan(2027, None, None, "default", {}, ()), "县", "《方案》", dt.date(2027, 7, 1),
                        load_profile(), Contact())
    assert "交流方向" not in "".join(p.getPlainText() for p in bare if hasattr(p, "getPlainText"))


def test_names_with_extension_b_characters_print_and_the_unprintable_are_named(demo_store, tmp_path: Path, pdf,
                                                                              capsys, monkeypatch) -> None:
    """GIVEN the approved plan's first teacher renamed 张𠮷明, the school she goes to 𠮷安县第一中学
    (𠮷 U+20BB7: in the bundled supplement) and the second teacher 王𠀁芳 (𠀁 U+20001: in no
    bundled font; the machine's fonts pointed at an empty folder)
    WHEN ``edubridge report approval`` prints the approval forms
    THEN 𠮷 is on the pages, the clerk is told on stderr which name holds which character
    cannot be printed, ``--json`` lists it, and the PDF is still written."""
    import json

    from db.models import Exchange, School, Teacher
    from reports import fallback_fonts

    plan = approved_plan(demo_store, 2026)
    first, second = plan.rows[0], next(r for r in plan.rows[1:] if r.to_school != plan.rows[0].to_school)
    with demo_store.write() as session:
        session.get(Teacher, session.get(Exchange, first.exchange_id).teacher_id).name = "张\U00020BB7明"
        session.get(Teacher, session.get(Exchange, second.exchange_id).teacher_id).name = "王\U00020001芳"
        school = session.query(School).filter_by(name=first.to_school).one()
        school.name = "\U00020BB7安县第一中学"
    monkeypatch.setattr(fallback_fonts, "system_font_dirs", lambda: [tmp_path / "no-fonts"])
    fallback_fonts.forget_machine_fonts()
    out = tmp_path / "approval.pdf"
    try:
        url = str(demo_store.engine.url.database)
        assert main(["--db", url, "report", "approval", "--year", "2026", "-o", str(out), "--json"]) == 0
    finally:
        fallback_fonts.forget_machine_fonts()
    captured = capsys.readouterr()
    assert captured.err.splitlines() == ["“王\U00020001芳”中的“\U00020001”（U+20001）没有可用的字体，PDF 中印为空框，"
                                         "请在打印件上手写补正"]
    result = json.loads(captured.out)
    assert result["unprintable"] == [{"text": "王\U00020001芳", "char": "\U00020001", "code": "U+20001"}]
    assert result["path"] == str(out) and result["bytes"] == out.stat().st_size
    flat = pdf.flat(out)
    assert "张\U00020BB7明" in flat and "\U00020BB7安县第一中学" in flat
    assert "NotoSansSCSupplement-Regular" in {name.split("+", 1)[-1] for name, *_rest in pdf.fonts(out)}
