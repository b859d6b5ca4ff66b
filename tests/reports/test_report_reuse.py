"""The two shortcuts that keep report building fast stay correct:

- the table of contents is laid out in one pass and its page numbers stamped at save time —
  every entry must name the page its heading is really on (also over a two-page contents,
  and when the prediction is wrong and the usual multi-pass build takes over);
- ``db.annual.annual_data`` computes every community's figures once and reuses them until
  the next audited write.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from sqlalchemy import select

import reports.pdf as pdf_module
from db.annual import annual_data
from db.models import QualityIndicator
from db.settings import active_profile
from reports.pdf import Col, DocInfo, body, build_pdf, contents, cover, heading, table


def _story(info: DocInfo, sections: int, rows: int) -> list:
    story = [*cover(info), *contents()]
    for i in range(1, sections + 1):
        story.append(heading(f"第{i}节 A&B<{i}>"))
        if i % 3 == 0:
            story.append(heading(f"小节〔{i}〕", 2))
        story.append(body(f"正文{i}"))
        story.append(table([Col("序号", 1, True), Col("学校", 4)], [(n, f"学校{i}-{n}") for n in range(rows * (i % 4))]))
    return story


def _check_contents(path: Path, pdf, expected: int, last_toc_page: int = 2) -> None:
    pages = pdf.page_texts(path)
    # Layout order (reportlab writes an entry's page number before its text in the stream).
    toc = subprocess.run(["pdftotext", "-layout", "-f", "2", "-l", str(last_toc_page), str(path), "-"], capture_output=True,
                         text=True, check=True).stdout
    entries = [(title.replace(" ", ""), page) for title, page in
               re.findall(r"^\s*((?:第\d+节 A&B<\d+>)|(?:小节〔\d+〕))[ .]*?(\d+)\s*$", toc, re.MULTILINE)]
    assert len(entries) == expected, entries
    for title, page in entries:
        number = int(page)
        assert number > last_toc_page and title in pages[number - 1], (title, number)
        # …and on no earlier page (a heading is listed where it first appears).
        assert all(title not in p for p in pages[last_toc_page:number - 1]), (title, number)


def test_contents_page_numbers_match_the_headings(tmp_path: Path, pdf) -> None:
    info = DocInfo(title="目录测试", bureau="测试局")
    out = tmp_path / "toc.pdf"
    pages = build_pdf(out, info, lambda: _story(info, 12, 40))
    assert pages == pdf.pages(out) > 8
    pdf.assert_all_embedded(out)
    _check_contents(out, pdf, 12 + 4)


def test_contents_over_two_pages(tmp_path: Path, pdf) -> None:
    info = DocInfo(title="目录测试", bureau="测试局")
    out = tmp_path / "toc2.pdf"
    build_pdf(out, info, lambda: _story(info, 40, 6))
    assert "第1节" in pdf.flat(out, 2, 2) and "第40节" in pdf.flat(out, 3, 3)  # the contents run on to page 3
    _check_contents(out, pdf, 40 + 13, last_toc_page=3)


def test_wrong_prediction_falls_back_to_passes(tmp_path: Path, pdf, monkeypatch) -> None:
    real = pdf_module._headings
    monkeypatch.setattr(pdf_module, "_headings", lambda story: real(story)[:-1])  # one heading missed
    builds = []
    original_build = pdf_module.ReportDocument.build

    def counting_build(self, *args, **kwargs):
        builds.append(1)
        return original_build(self, *args, **kwargs)

    monkeypatch.setattr(pdf_module.ReportDocument, "build", counting_build)
    info = DocInfo(title="目录测试", bureau="测试局")
    out = tmp_path / "toc3.pdf"
    build_pdf(out, info, lambda: _story(info, 12, 40))
    assert len(builds) >= 3  # the failed single pass, then multiBuild's passes
    _check_contents(out, pdf, 16)


def test_single_pass_when_predicted(tmp_path: Path, monkeypatch) -> None:
    builds = []
    original_build = pdf_module.ReportDocument.build

    def counting_build(self, *args, **kwargs):
        builds.append(1)
        return original_build(self, *args, **kwargs)

    monkeypatch.setattr(pdf_module.ReportDocument, "build", counting_build)
    info = DocInfo(title="目录测试", bureau="测试局")
    build_pdf(tmp_path / "one.pdf", info, lambda: _story(info, 6, 20))
    assert builds == [1]


def test_annual_data_is_shared_until_a_write(demo_store) -> None:
    profile = active_profile(demo_store)
    first = annual_data(demo_store, profile, 2025)
    again = annual_data(demo_store, profile, 2025)
    assert again.clusters is first.clusters  # computed once
    # One community's report is that community's slice of the county's figures.
    chosen = next(c for c in first.clusters if any(not m.is_lead for m in c.members) and c.assisted)
    one = annual_data(demo_store, profile, 2025, chosen.name)
    assert one.clusters == (chosen,) and one.county_exchange == chosen.exchange
    assert one.county_exchange_check == chosen.exchange_check
    assert {r for r in one.quota_rows} == set(chosen.quotas)

    school = next(m for m in chosen.members if not m.is_lead)
    with demo_store.read() as session:
        old = session.scalars(select(QualityIndicator).where(QualityIndicator.school_id == school.school_id,
                                                             QualityIndicator.school_year == 2025)).first()
    assert old is not None
    with demo_store.write("test") as session:
        row = session.get(QualityIndicator, old.id)
        row.value = old.value + 7.5
    changed = annual_data(demo_store, profile, 2025, chosen.name)
    _before, after = changed.clusters[0].quality[school.name][old.indicator]
    assert after == old.value + 7.5
    assert changed.clusters[0].quality != chosen.quality
    assert annual_data(demo_store, profile, 2025).clusters is not first.clusters


def test_fonts_are_read_on_first_use() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from reportlab.pdfbase.ttfonts import TTFont

    from reports.fonts import _LazyTTFont, fonts_dir

    path = str(fonts_dir() / "NotoSansSC-Regular.ttf")
    lazy = _LazyTTFont("LazyProbe", path)
    assert "_lazy_file" in lazy.__dict__ and "face" not in lazy.__dict__  # nothing read yet
    text = "张三丰 Ⅻ № 教共体 A&B"
    with ThreadPoolExecutor(8) as pool:  # first use from several threads at once
        widths = set(pool.map(lambda _i: lazy.stringWidth(text, 10), range(8)))
    assert widths == {TTFont("EagerProbe", path).stringWidth(text, 10)}
    assert "_lazy_file" not in lazy.__dict__ and lazy.face.name == b"NotoSansSC-Regular"


def test_long_tables_lay_out_like_one_table(tmp_path: Path, pdf, monkeypatch) -> None:
    rows = [(i, f"青岚市某某县第{i}中心小学附属九年一贯制学校东校区" * (1 + i % 3), "乡村", f"{i % 7}.5%")
            for i in range(1, 301)]
    cols = [Col("序号", 0.5, True), Col("学校", 3), Col("城乡", 0.7), Col("比例", 0.7, True)]
    info = DocInfo(title="长表测试", bureau="测试局")

    def story() -> list:
        return [*cover(info), heading("名单"),
                table(cols, rows, highlight=lambda i, _row: pdf_module.colors.pink if i % 17 == 0 else None)]

    paged = tmp_path / "paged.pdf"
    build_pdf(paged, info, story)
    monkeypatch.setattr(pdf_module, "_LONG_TABLE_ROWS", 10**9)  # one reportlab Table
    whole = tmp_path / "whole.pdf"
    build_pdf(whole, info, story)
    assert pdf.pages(paged) == pdf.pages(whole) > 8
    assert pdf.page_texts(paged) == pdf.page_texts(whole)
    pages = pdf.page_texts(paged)[1:]
    assert all("序号学校城乡比例" in p for p in pages)  # the header row on every page
    flat = "".join(pages)
    positions = [flat.index(f"{i}青岚市某某县第{i}中心") for i in range(1, 301)]
    assert positions == sorted(positions)
