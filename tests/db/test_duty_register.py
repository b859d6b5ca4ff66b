"""The duty register (帮扶责任人) in the store, and the quota board it feeds (issue 11).

Held-out style: an activity log and a school list; every duty holder appears each semester
with the count the clause defines — visits at 镇区 schools not counted toward rural quotas,
seminars per 片区长学校.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import visit_world
import workbooks
from sqlalchemy import func, select

from db.duty_holders import end_duty, list_duties, register_duty
from db.importing import ImportFailed
from db.models import DutyHolder, Membership, Region, Visit, VisitParticipant
from db.store import Store
from db.visits import VisitDraft, VisitorDraft, quota_rows, save_visit
from desktop.cli import main
from policy.calendar import Semester
from policy.profile import load_profile

PROFILE = load_profile()
S1, S2 = Semester(2025, 1), Semester(2025, 2)


def add_visit(store: Store, day: dt.date, host: uuid.UUID, kind: str, people: list[tuple], lessons: int = 0) -> None:
    with store.write("测试") as s:
        visit = Visit(date=day, host_school_id=host, activity_type=kind, lessons=lessons)
        for name, role, home in people:
            visit.participants.append(VisitParticipant(name=name, role=role, home_school_id=home))
        s.add(visit)


@pytest.fixture
def world(store: Store) -> visit_world.World:
    return visit_world.build(store)


def rows_by(store: Store, when, rule: str, school_id: uuid.UUID | None = None) -> dict[str, tuple]:
    return {r.who: (r.period, r.done, r.required, r.outside) for r in quota_rows(store, PROFILE, when, school_id=school_id)
            if r.rule == rule}


def test_a_leader_logged_once_in_august_has_a_row_the_next_semester(store: Store, world) -> None:
    """GIVEN a city vice-principal not on the roster who logged a management exchange in
    August 2025 (the previous school year) and nothing since
    WHEN the board for 2025-1 is read THEN he has a row 0 / 1, status 未开展; after the clerk ends
    his duty on 31 January 2026 he has no row in 2025-2."""
    sc = world.schools
    add_visit(store, dt.date(2025, 8, 20), sc["RURAL01"], "管理经验交流", [("黄副校长", "校级干部", sc["CITY01"])])
    rows = [r for r in quota_rows(store, PROFILE, S1) if r.rule == "visit.leader_management"]
    huang = [r for r in rows if r.who == "黄副校长（市一中）"]
    assert [(r.done, r.required, r.status, r.source) for r in huang] == [(0, 1, "not_started", "活动记录")]
    [duty] = [d for d in list_duties(store) if d.name == "黄副校长"]
    assert (duty.start, duty.source, duty.school_code) == (dt.date(2025, 8, 20), "活动记录", "CITY01")
    end_duty(store, duty.id, dt.date(2026, 1, 31))
    assert "黄副校长（市一中）" in rows_by(store, S1, "visit.leader_management")
    assert "黄副校长（市一中）" not in rows_by(store, S2, "visit.leader_management")


def test_quick_entry_adds_the_visitor_to_the_register_in_the_same_write(store: Store, world) -> None:
    sc = world.schools
    quota_rows(store, PROFILE, S1)  # stored tallies current: the write keeps them (and the register)
    save_visit(store, VisitDraft(dt.date(2025, 10, 8), sc["RURAL02"], "教研指导",
                                 [VisitorDraft("钱研", "县级教研员")]))
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(DutyHolder).where(DutyHolder.name == "钱研")) == 1
    assert rows_by(store, S1, "visit.county_researcher_guidance")["钱研（县级教研员）"] == ("2025-1", 1, 4, 0)
    assert rows_by(store, S2, "visit.county_researcher_guidance")["钱研（县级教研员）"] == ("2025-2", 0, 4, 0)


def test_town_visits_do_not_count_toward_rural_quotas_and_say_why(store: Store, world) -> None:
    """A 公开课 at the 镇区 lead school is listed under not_counted, never in done (000 二(二)5)."""
    sc = world.schools
    zhou = ("周老师", "骨干教师", sc["CITY01"])
    add_visit(store, dt.date(2025, 9, 10), sc["TOWN01"], "公开课", [zhou])
    add_visit(store, dt.date(2025, 9, 11), sc["RURAL01"], "公开课", [zhou])
    [row] = [r for r in quota_rows(store, PROFILE, S1)
             if r.rule == "visit.backbone_teaching" and r.who == "周老师（市一中）"]
    assert (row.done, row.outside) == (1, 1)
    assert row.counted == ((sc["RURAL01"].hex, 1),)
    assert [(s, n) for s, n, _why in row.not_counted] == [(sc["TOWN01"].hex, 1)]
    assert "镇区学校不是农村学校" in row.not_counted[0][2]


def test_seminars_count_per_area_lead_school(store: Store, world) -> None:
    """GIVEN TOWN01 is the 片区长学校 of the cluster and three of its people held three seminars
    WHEN the year is read THEN one row for the school, 3 / 2, and none per person."""
    sc = world.schools
    with store.write("片区长学校") as s:
        s.add(Membership(cluster_id=world.cluster, school_id=sc["RURAL09"], role="片区长学校", joined=dt.date(2020, 9, 1)))
    for i, name in enumerate(("甲", "乙", "丙")):
        add_visit(store, dt.date(2025, 10, 1 + i), sc["RURAL01"], "专题研讨", [(name, "片区长学校", sc["RURAL09"])])
    rows = [r for r in quota_rows(store, PROFILE, S1) if r.rule == "visit.area_seminar"]
    assert [(r.who, r.done, r.required, r.status) for r in rows] == [("北村小学", 3, 2, "met")]


def test_register_and_principal_view(store: Store, world) -> None:
    sc = world.schools
    with store.read() as s:
        region = s.scalar(select(Region.id))
    register_duty(store, "孙研", "市级教研员", dt.date(2025, 9, 1), county_id=region)
    register_duty(store, "吴主持", "名师工作室主持人", dt.date(2025, 9, 1), home_school_id=sc["CITY01"])
    assert rows_by(store, S1, "visit.city_researcher_lessons")["孙研（市级教研员）"] == ("2025-1", 0, 15, 0)
    own = rows_by(store, S1, "visit.backbone_teaching", school_id=sc["CITY01"])
    assert "吴主持（市一中）" in own and all("市一中" in who for who in own)
    assert rows_by(store, S1, "visit.backbone_teaching", school_id=sc["RURAL01"]) == {}


def sheet(path, rows) -> str:
    return str(workbooks.sheet(path, rows, ["姓名", "角色", "所在学校代码", "包抓县区", "开始日期", "结束日期", "备注"]))


def test_import_export_round_trip_and_all_or_nothing(store: Store, world, db_path, tmp_path, capsys) -> None:
    db = str(db_path)
    good = sheet(tmp_path / "d.xlsx", [["孙研", "市级教研员", "", "银川市", "2025-09-01", None, None],
                                       ["吴主持", "名师工作室主持人", "CITY01", "", "2025/9/1", "2026-07-31", "名师工作室"]])
    assert main(["--db", db, "import", "duties", good]) == 0
    assert "新增帮扶责任人 2 人" in capsys.readouterr().out
    assert main(["--db", db, "import", "duties", good, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] == 2  # idempotent
    exported = tmp_path / "e.xlsx"
    assert main(["--db", db, "export", "duties", str(exported)]) == 0
    assert "已导出 2 位帮扶责任人" in capsys.readouterr().out
    assert main(["--db", db, "import", "duties", str(exported), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] == 2
    bad = sheet(tmp_path / "b.xlsx", [["新人", "骨干教师", "", "", "2025-09-01", None, None],
                                      ["赵研", "县级教研员", "NOPE", "", "2025-09-01", None, None],
                                      ["钱研", "县级教研员", "", "", "2025-09-01", "2025-01-01", None]])
    assert main(["--db", db, "import", "duties", bad]) == 2
    err = capsys.readouterr().err
    assert "b.xlsx 第2行“所在学校代码”列" in err and "第3行“所在学校代码”列" in err and "第4行“结束日期”列" in err
    assert "Traceback" not in err
    with pytest.raises(ImportFailed):
        from db.duty_import import import_duties
        import_duties(store, tmp_path / "b.xlsx")
    assert {d.name for d in list_duties(store)} == {"孙研", "吴主持"}
    template = tmp_path / "t.xlsx"
    assert main(["--db", db, "template", "duties", str(template)]) == 0
    capsys.readouterr()
    assert main(["--db", db, "import", "duties", str(template), "--json"]) == 0  # the example row is skipped
    assert json.loads(capsys.readouterr().out)["rows"] == 0


def test_quota_json_shows_counted_and_not_counted_by_school_code(store: Store, world, db_path, capsys) -> None:
    sc = world.schools
    add_visit(store, dt.date(2025, 9, 10), sc["TOWN01"], "公开课", [("周老师", "骨干教师", sc["CITY01"])])
    store.dispose()
    assert main(["--db", str(db_path), "quota", "--semester", "2025-1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    [zhou] = [r for r in rows if r["rule"] == "visit.backbone_teaching" and r["who"] == "周老师（市一中）"]
    assert zhou["done"] == 0 and zhou["not_counted"][0]["school"] == "TOWN01"
    assert "镇区" in zhou["not_counted"][0]["reason"]


def test_quota_for_one_school_and_an_unknown_code(store: Store, world, db_path, capsys) -> None:
    register_duty(store, "吴主持", "名师工作室主持人", dt.date(2025, 9, 1), home_school_id=world.schools["CITY01"])
    store.dispose()
    assert main(["--db", str(db_path), "quota", "--semester", "2025-1", "--school", "CITY01", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert rows and {r["home_school"] for r in rows} == {"CITY01"}
    assert any(r["who"] == "吴主持（市一中）" for r in rows)
    assert main(["--db", str(db_path), "quota", "--school", "NOPE"]) == 2
    assert "没有代码为 NOPE 的学校" in capsys.readouterr().err
