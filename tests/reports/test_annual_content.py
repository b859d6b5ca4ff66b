"""The annual report an evaluator accepts (issue 15): scope words from the data, only the
communities of the year, 增值 in 百分点 against the own baseline and the county, the scoring
method from the profile, an agreements section, drafted conclusions the clerk can edit, a
落款, and person lists in the appendix."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sqlalchemy import select

from db.annual import annual_data
from db.models import Cluster
from db.settings import active_profile
from desktop.cli import main
from reports import documents
from reports.annual_conclusions import draft_conclusions, read_conclusions, write_conclusions
from tests.reports.test_statistics_form import _seed as seed_city


def test_county_report_reads_as_an_official_document(demo_store, tmp_path: Path, pdf) -> None:
    out = tmp_path / "annual.pdf"
    documents.annual_report(demo_store, 2025, out)
    pages = pdf.page_texts(out)
    flat = "".join(pages)
    assert "全县" in flat and "全市" not in flat
    for needed in ("百分点", "县均变化", "相对县均", "评分方法", "优秀90分", "主要成效", "存在问题", "整改建议",
                   "八、教共体建设协议签订情况", "青禾县教育局（盖章）"):
        assert needed in flat, needed
    # The 落款 closes the body; the person lists come after it, in the appendix.
    seal = next(i for i, p in enumerate(pages) if "青禾县教育局（盖章）" in p)
    appendix = next(i for i, p in enumerate(pages) if "附录二帮扶活动未达标明细" in p and "目录" not in p)
    assert appendix > seal
    data = annual_data(demo_store, active_profile(demo_store), 2025)
    someone = next(r.who for r in data.quota_rows if not r.met and r.scope == "person")
    assert someone not in "".join(pages[:seal])  # named individuals only in the appendix
    # 增值 of a rate is never a percentage: the appendix lists changes as signed numbers with a unit.
    appendix_text = "".join(pages[appendix:])
    assert re.search(r"[+-]\d+\.\d百分点", appendix_text)
    # 九、违规与豁免 lists the teacher-development findings (issue 11) with their clauses.
    found = {v.rule: v for v in data.check.part_violations()}
    assert {"training.hours", "training.rural_hours", "teachers.seed", "mentoring.years"} <= set(found)
    body = "".join(pages[:seal + 1])
    for label in ("乡村学校种子教师", "海门2019计划三(五)3", "师徒结对跟踪培养", "银川2023方案二(三)9", "教师五年周期培训"):
        assert label in body, label

    # The county map in section 三 (issue 18): every school with coordinates, the year's flows.
    from db.county_map import load_map

    drawn = load_map(demo_store, data.checked_on, pairs=data.exchange_pairs)
    assert "（三）县域学校、结对与交流流向图" in flat
    assert f"学校{len(drawn.schools)}所，集团{len(drawn.clusters)}个" in flat.replace(" ", "")
    assert drawn.flows and f"交流流向{len(drawn.flows)}条" in flat.replace(" ", "")
    # The arrows add up to the report's own 交流轮岗教师 (seen on a held-out county: the map drew
    # 挂职 and 跟岗 too, 157 teachers against the 137 of section 一 on the same report).
    moved = data.county_exchange.moved
    people = sum(f.count for f in drawn.flows)
    assert people + drawn.hidden_flows == moved
    assert f"交流轮岗教师{moved}人" in flat.replace(" ", "")
    assert f"（{people}人）" in flat.replace(" ", "")


def test_only_communities_that_existed_in_the_year_are_evaluated(demo_store) -> None:
    profile = active_profile(demo_store)
    before = {c.name for c in annual_data(demo_store, profile, 2025).clusters}
    name = sorted(before)[0]
    with demo_store.write("founded later") as s:
        cluster = s.scalars(select(Cluster).where(Cluster.name == name)).one()
        cluster.founded = dt.date(2026, 10, 1)
    after = {c.name for c in annual_data(demo_store, profile, 2025).clusters}
    assert after == before - {name}


def test_city_scope_says_quanshi(store, tmp_path: Path, pdf) -> None:
    seed_city(store)
    data = annual_data(store, active_profile(store), 2025)
    assert data.scope == "全市"
    out = tmp_path / "city.pdf"
    documents.annual_report(store, 2025, out)
    flat = pdf.flat(out)
    assert "全市" in flat and "全县" not in flat


def test_conclusions_are_drafted_from_figures_and_editable(demo_store, db_path: Path, tmp_path: Path, pdf) -> None:
    data = annual_data(demo_store, active_profile(demo_store), 2025)
    draft = draft_conclusions(data)
    assert any(f"{data.county_exchange.moved}人" in p for p in draft["主要成效"] + draft["存在问题"])
    path = tmp_path / "c.toml"
    write_conclusions(draft, path)
    assert read_conclusions(path) == draft
    path.write_text('"存在问题" = ["局里改写的问题一。"]\n', encoding="utf-8")
    out = tmp_path / "edited.pdf"
    documents.annual_report(demo_store, 2025, out, conclusions=read_conclusions(path))
    flat = pdf.flat(out)
    assert "局里改写的问题一。" in flat and draft["整改建议"][0].replace(" ", "") in flat
    bad = tmp_path / "bad.toml"
    bad.write_text('"别的" = ["x"]\n', encoding="utf-8")
    assert main(["--db", str(db_path), "report", "annual", "--year", "2025", "--conclusions", str(bad),
                 "-o", str(tmp_path / "x.pdf")]) == 2
