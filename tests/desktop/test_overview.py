"""概览: the key figures (db.overview) and the tiles that show them."""

from __future__ import annotations

import dataclasses
import datetime as dt

from db.overview import county_overview
from db.settings import active_profile, set_active_profile

TODAY = dt.date(2025, 11, 3)  # 2025—2026学年第一学期, as in conftest.add_small_county


def test_overview_counts_the_small_county(small_store):
    o = county_overview(small_store, active_profile(small_store), today=TODAY)
    assert o.schools_by_location == {"城区": 2, "镇区": 1, "乡村": 2}
    assert o.teaching_points == 2
    assert o.schools == 7
    assert o.students == 1800 + 1200 + 600 + 300 + 150 + 20 + 12
    assert (o.teachers, o.backbone_teachers) == (4, 1)  # 钱老师's posting ended
    assert o.backbone_share == 0.25
    assert o.clusters == 1  # the dissolved 学区 does not count
    assert o.semester.label == "2025—2026学年第一学期"
    assert o.visits_this_semester == 2
    assert (o.school_year, o.exchanges_this_year) == (2025, 1)  # the cancelled one does not count


def test_coverage_counts_rural_schools_and_teaching_points_with_an_open_membership(small_store):
    o = county_overview(small_store, active_profile(small_store), today=TODAY)
    # 乡村小学甲 and 教学点一 are in; 乡村小学乙 left in 2024; 教学点二 never joined.
    assert o.coverage_locations == ("乡村",)
    assert (o.rural_covered, o.rural_schools) == (2, 4)
    assert o.coverage == 0.5
    assert o.coverage_target == 1.0
    assert "银川2023方案" in o.coverage_clause


def test_coverage_includes_town_schools_when_the_profile_says_so(small_store):
    profile = set_active_profile(small_store, "default", {"coverage.include_town": True})
    o = county_overview(small_store, profile, today=TODAY)
    assert o.coverage_locations == ("乡村", "镇区")
    assert (o.rural_covered, o.rural_schools) == (3, 5)


def test_membership_is_open_until_the_day_before_it_left(small_store):
    profile = active_profile(small_store)
    # 乡村小学乙 left on 2024-08-31: still a member the day before, not on that day.
    before = county_overview(small_store, profile, today=dt.date(2024, 8, 30))
    on_day = county_overview(small_store, profile, today=dt.date(2024, 8, 31))
    assert before.rural_covered == on_day.rural_covered + 1


def test_empty_store_gives_zeros_not_errors(store):
    o = county_overview(store, active_profile(store), today=TODAY)
    assert o.schools == 0 and o.teachers == 0
    assert o.backbone_share is None and o.coverage is None


def test_overview_page_shows_the_figures(gui, qtbot, small_store):
    from desktop.context import AppContext
    from desktop.pages.overview import OverviewPage

    page = OverviewPage(AppContext.for_store(small_store))
    qtbot.addWidget(page)
    page.today = TODAY
    page.refresh()
    tiles = page.tiles
    assert tiles["urban"].value.text() == "2"
    assert tiles["points"].value.text() == "2"
    assert tiles["students"].value.text() == "4,082"
    assert tiles["backbone"].value.text() == "25.0%"
    assert tiles["coverage"].value.text() == "50.0%"
    assert "2 / 4" in tiles["coverage"].detail.text()
    assert "要求 100.0%" in tiles["coverage"].detail.text()
    assert tiles["visits"].value.text() == "2"
    assert "2025—2026学年第一学期" in page.subtitle.text()
    assert dataclasses.asdict(page.overview)["exchanges_this_year"] == 1
