"""集团(学区)基本情况统计表 as a report form (银川2023方案 三(一)): rows with rural schools
only unless asked, 县(市)区 and 小计 at city scale, 合计 = rows, breaches with their clause."""

from __future__ import annotations

import datetime as dt

from db.models import Cluster, Membership, Region, School
from db.store import Store
from reports.statistics_form import scope_word, statistics_form

ON = dt.date(2025, 10, 1)


def _seed(store: Store) -> None:
    with store.write("seed") as s:
        city = Region(code="640100", name="青岚市", level="市")
        s.add(city)
        s.flush()
        counties = [Region(code=f"64012{n}", name=name, level="县区", parent_id=city.id)
                    for n, name in enumerate(("丰原县", "云溪县"))]
        s.add_all(counties)
        s.flush()

        def cluster(name: str, region: Region, schools: list[tuple[str, str, int]]) -> None:
            made = [School(code=f"{name}{n}", name=f"{name}{label}", stage="小学", location=location,
                           region_id=region.id, students=students, classes=students // 40)
                    for n, (label, location, students) in enumerate(schools)]
            s.add_all(made)
            s.flush()
            c = Cluster(name=name, kind="学区", region_id=region.id, lead_school_id=made[0].id,
                        founded=dt.date(2020, 9, 1))
            s.add(c)
            s.flush()
            for n, school in enumerate(made):
                s.add(Membership(cluster_id=c.id, school_id=school.id, role="牵头校" if n == 0 else "成员校",
                                 joined=dt.date(2020, 9, 1)))

        cluster("东乡学区", counties[0], [("中心小学", "镇区", 800), ("甲村小学", "乡村", 90)])
        cluster("西乡学区", counties[0], [("中心小学", "镇区", 700), ("乙村小学", "乡村", 80), ("丙村小学", "乡村", 60)])
        cluster("南乡学区", counties[1], [("中心小学", "镇区", 600), ("丁村小学", "乡村", 50)])
        cluster("城区学区", counties[1], [("一小", "城区", 2000), ("二小", "城区", 1800)])
        big = [("中心小学", "镇区", 500)] + [(f"村小{n}", "乡村", 40) for n in range(7)]
        cluster("北乡学区", counties[1], big)


def test_only_clusters_with_rural_schools_unless_asked(store: Store) -> None:
    _seed(store)
    form = statistics_form(store, ON)
    names = [r[form.column("集团(学区)名称")] for r in form.cluster_rows]
    assert "城区学区" not in names and len(names) == 4
    assert any("另有1个不含乡村学校" in n for n in form.notes)
    everything = statistics_form(store, ON, include_all=True)
    assert "城区学区" in [r[everything.column("集团(学区)名称")] for r in everything.cluster_rows]


def test_city_scale_has_county_column_subtotals_and_a_total_of_its_rows(store: Store) -> None:
    _seed(store)
    form = statistics_form(store, ON)
    assert "县(市)区" in form.headers and form.scope == "全市"
    assert len(form.subtotal_rows) == 2
    county, schools = form.column("县(市)区"), form.column("学校数")
    for index in form.subtotal_rows:
        sub = form.rows[index]
        own = [r for r in form.cluster_rows if r[county] == sub[county]]
        assert sub[schools] == sum(r[schools] for r in own)
    for header in ("学校数", "其中乡村学校(含教学点)", "在校学生数", "班级数"):
        column = form.column(header)
        assert form.total[column] == sum(r[column] for r in form.cluster_rows)
    assert form.total[schools] == 2 + 3 + 2 + 8


def test_breaches_are_marked_with_their_clause(store: Store) -> None:
    _seed(store)
    form = statistics_form(store, ON)
    row = next(r for r in form.cluster_rows if r[form.column("集团(学区)名称")] == "北乡学区")
    assert "银川2023方案 二(一)1" in row[form.column("存在问题（依据）")]
    fine = next(r for r in form.cluster_rows if r[form.column("集团(学区)名称")] == "东乡学区")
    assert "超过上限" not in fine[form.column("存在问题（依据）")]


def test_scope_word_from_the_regions() -> None:
    assert scope_word(["县区"], ["青禾县"]) == "全县"
    assert scope_word(["县区"], ["太平区"]) == "全区"
    assert scope_word(["市", "县区", "县区"], ["青岚市", "丰原县", "云溪县"]) == "全市"
