"""Plans on the county demo: every rule checked independently, saving, approval, status, exports."""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from db.exchange_plans import (
    PlanError,
    approve_plan,
    load_schools,
    make_plan,
    plan_rows,
    save_plan,
)
from db.exchanges import (
    ExchangeError,
    cancel_exchange,
    end_exchange,
    exchange_list,
    extend_exchange,
)
from db.models import AuditEntry, Exchange, ExchangePlan, Posting, School
from db.settings import active_profile
from db.store import local_actor
from db.teachers import load_records, store_eligibility
from desktop.cli import main
from policy.eligibility import eligibility
from policy.planner import allowed, sections
from reports.exchange_tables import NATIONAL_HEADERS, write_national, write_plan

YEAR = 2027  # the demo already has an approved plan for 2026


def test_demo_plan_keeps_every_rule(demo_store):
    profile = active_profile(demo_store)
    plan = make_plan(demo_store, profile, YEAR)
    eligibility = store_eligibility(demo_store, profile, YEAR)
    schools = load_schools(demo_store, eligibility.reference_date)
    candidates = {e.teacher.key: e for e in eligibility.candidates()}
    exempt = {e.teacher.key for e in eligibility.entries if e.status == "exempt"}
    assert plan.optimal and plan.base == len(candidates)
    assert plan.required_moves == math.ceil(0.10 * plan.base)
    assert len(plan.moves) >= plan.required_moves
    assert plan.backbone_moves >= math.ceil(0.20 * len(plan.moves)) - 0  # rule 3 (denominator: moves)
    assert plan.required_backbone == math.ceil(0.20 * len(plan.moves))
    keys = [m.entry.teacher.key for m in plan.moves]
    assert len(keys) == len(set(keys)) and not set(keys) & exempt
    rules = plan.rules
    for move in plan.moves:
        assert move.entry.teacher.key in candidates
        source, target = schools[move.from_school], schools[move.to_school]
        assert move.direction == rules.kind(source, target) and source.region == target.region
        assert sections(source) & sections(target)
        # against the aim (lateral, any) only a mandatory teacher; the others as before
        if move.entry.due != "mandatory":
            assert allowed(source, target) or move.direction == "staffing"
    mandatory = {k for k, e in candidates.items() if e.due == "mandatory"}
    missing = mandatory - set(keys)
    unplaced = {u["id_number"] for u in plan.to_json()["unplaced"]}
    assert unplaced == {candidates[k].teacher.id_number for k in missing}
    if missing:  # allowed only when explained
        assert any("须交流教师" in u for u in plan.unmet)


def test_plan_cli_json_and_save(demo_store, capsys):
    db = demo_store.location
    assert main(["--db", db, "plan", "--year", str(YEAR), "--json", "--save"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"school_year", "base", "moves", "summary", "unmet", "unplaced", "outcomes"}
    assert all(m["direction"] and m["reason"] for m in data["moves"])
    assert data["summary"]["optimal"] is True and data["summary"]["moves"] == len(data["moves"])
    with demo_store.read() as session:
        plans = session.scalars(select(ExchangePlan).where(ExchangePlan.school_year == YEAR)).all()
        assert [p.status for p in plans] == ["draft"]
        count = session.scalar(select(func.count()).select_from(Exchange).where(Exchange.plan_id == plans[0].id))
        assert count == len(data["moves"])
        audit = session.scalars(select(AuditEntry).where(AuditEntry.entity == "exchange")
                                .order_by(AuditEntry.id.desc())).first()
        assert f"（{count} 人）" in audit.note and audit.actor == local_actor().username  # the person at the computer
    # saving again replaces the draft, never duplicates it; the text output names the schools
    assert main(["--db", db, "plan", "--year", str(YEAR), "--save"]) == 0
    first = capsys.readouterr().out.splitlines()[0].split("\t")
    source, target = first[2].split(" → ")
    codes = {m["from_school"] for m in data["moves"]} | {m["to_school"] for m in data["moves"]}
    assert source not in codes and target not in codes and "学" in source and "学" in target  # names
    with demo_store.read() as session:
        assert session.scalar(select(func.count()).select_from(ExchangePlan)
                              .where(ExchangePlan.school_year == YEAR)) == 1


def test_approval_freezes_the_plan_and_carries_it_out_by_its_dates(demo_store, tmp_path):
    profile = active_profile(demo_store)
    plan = make_plan(demo_store, profile, YEAR)
    plan_id = save_plan(demo_store, plan, profile)
    with demo_store.read() as session:
        exchange = session.scalars(select(Exchange).where(Exchange.plan_id == plan_id,
                                                          Exchange.moves_personnel.is_(True))).first()
        temporary = session.scalars(select(Exchange).where(Exchange.plan_id == plan_id,
                                                           Exchange.moves_personnel.is_(False))).first()
    with pytest.raises(ExchangeError, match="草案"):
        cancel_exchange(demo_store, exchange.id, dt.date(YEAR, 9, 1))
    key = str(exchange.teacher_id).replace("-", "")
    assert key in {str(e.teacher.key).replace("-", "") for e in store_eligibility(demo_store, profile, YEAR).entries}
    assert approve_plan(demo_store, plan_id, "科长") == len(plan.moves)
    with demo_store.read() as session:
        frozen = session.get(ExchangePlan, plan_id)
        assert frozen.status == "approved" and frozen.approved_by == "科长" and frozen.approved_at
        stored = session.get(Exchange, exchange.id)
        assert stored.status == "approved" and stored.planned_end == stored.end_on == plan.end
        postings = session.scalars(select(Posting).where(Posting.teacher_id == exchange.teacher_id,
                                                         Posting.holds_personnel.is_(True))
                                   .order_by(Posting.start)).all()
        # the home posting ends the day before the start; the new one begins on it, open
        assert [(p.school_id, p.end_on) for p in postings[-2:]] == [
            (exchange.from_school_id, plan.start - dt.timedelta(days=1)), (exchange.to_school_id, None)]
        assert postings[-1].start == plan.start and postings[-1].exchange_id == exchange.id
        if temporary is not None:
            stint = session.scalars(select(Posting).where(Posting.exchange_id == temporary.id)).one()
            assert (stint.holds_personnel, stint.start, stint.end_on) == (False, plan.start, plan.end)
    with pytest.raises(PlanError, match="已.*批准"):
        approve_plan(demo_store, plan_id)
    with pytest.raises(PlanError, match="已批准"):
        save_plan(demo_store, plan, profile)
    # from the start date (the year's reference date) tenure restarted at the new school
    for year in (YEAR, YEAR + 1):
        assert key not in {str(e.teacher.key).replace("-", "")
                           for e in store_eligibility(demo_store, profile, year).entries}


def test_plan_and_national_exports(demo_store, tmp_path):
    profile = active_profile(demo_store)
    # the demo places every mandatory teacher (issue 10): the clerk keeps one at home
    kept = next(e for e in store_eligibility(demo_store, profile, YEAR).candidates() if e.due == "mandatory")
    plan = make_plan(demo_store, profile, YEAR, pins={kept.teacher.key: None})
    plan_id = save_plan(demo_store, plan, profile)
    count = write_plan(demo_store, plan_id, tmp_path / "plan.xlsx")
    assert count == len(plan.moves)
    sheet = load_workbook(tmp_path / "plan.xlsx")["交流计划"]
    assert sheet.cell(1, 1).value.endswith("（草案）") and sheet.max_row == count + 2
    left = load_workbook(tmp_path / "plan.xlsx")["须交流未安排"]
    moved = {m.entry.teacher.id_number for m in plan.moves}
    expected = {e.teacher.id_number for e in store_eligibility(demo_store, profile, YEAR).candidates()
                if e.due == "mandatory" and e.teacher.id_number not in moved}
    listed = {row[1] for row in left.iter_rows(min_row=3, values_only=True)}
    assert expected == {kept.teacher.id_number} and listed == expected  # teacher by teacher
    notes = [row[0] for row in load_workbook(tmp_path / "plan.xlsx")["说明"].iter_rows(values_only=True)]
    assert any(str(n).startswith("交流方向：") and "向乡村学校" in str(n) for n in notes)
    approve_plan(demo_store, plan_id)
    rows = write_national(demo_store, tmp_path / "national.xlsx", YEAR)
    assert rows == count
    book = load_workbook(tmp_path / "national.xlsx")
    records = list(book["交流轮岗记录"].iter_rows(values_only=True))
    assert records[0] == NATIONAL_HEADERS
    first = records[1]
    assert first[0] in ("轮岗", "柔性流动") and first[1] in ("是", "否")
    assert first[2] == f"{YEAR}-09" and first[3] == f"{YEAR + 3}-08"
    assert first[4] and first[5] and first[4] != first[5]


def test_export_commands(demo_store, tmp_path, capsys):
    db = demo_store.location
    assert main(["--db", db, "export", "plan", str(tmp_path / "p.xlsx"), "--year", str(YEAR)]) == 2
    assert "还没有保存的交流计划" in capsys.readouterr().err
    assert main(["--db", db, "plan", "--year", str(YEAR), "--save"]) == 0
    assert main(["--db", db, "export", "plan", str(tmp_path / "p.xlsx"), "--year", str(YEAR)]) == 0
    assert main(["--db", db, "export", "exchanges", str(tmp_path / "x.xlsx")]) == 0
    assert main(["--db", db, "template", "teachers", str(tmp_path / "t.xlsx")]) == 0
    assert main(["--db", db, "export", "teachers", str(tmp_path / "r.xlsx")]) == 0
    capsys.readouterr()
    assert main(["--db", db, "import", "teachers", str(tmp_path / "r.xlsx"), "--dry-run", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["inserted"] == 0 and counts["rows"] > 4000
    assert uuid  # keep import used


def test_year_filtered_load_gives_the_same_eligibility(demo_store):
    """store_eligibility loads only the rows the year can use; the answer is unchanged."""
    profile = active_profile(demo_store)
    for year in (YEAR, YEAR + 3):
        teachers, postings, exemptions = load_records(demo_store)
        full = eligibility(teachers, postings, exemptions, profile, year)
        assert store_eligibility(demo_store, profile, year).to_json() == full.to_json()
        _, fewer, in_force = load_records(demo_store, profile.exchange_reference_date(year))
        assert len(fewer) < len(postings) and len(in_force) <= len(exemptions)
        assert all(isinstance(p.start, dt.date) and p.holds_personnel for p in fewer)


def test_saved_exchanges_read_back_as_planned(demo_store):
    """The fast insert stores exactly what Core would (ids, dates, flags), readable by the ORM."""
    profile = active_profile(demo_store)
    plan = make_plan(demo_store, profile, YEAR, pins={})
    plan_id = save_plan(demo_store, plan, profile)
    expected = sorted((m.entry.teacher.id_number, m.to_school, m.form, m.moves_personnel, m.pinned)
                      for m in plan.moves)
    rows = plan_rows(demo_store, plan_id)
    assert sorted((r["id_number"], r["to_code"], r["form"], r["moves_personnel"], r["pinned"]) for r in rows) \
        == expected
    assert {(r["start"], r["end_on"], r["status"]) for r in rows} == {(plan.start, plan.end, "planned")}
    with demo_store.read() as session:
        saved = session.scalars(select(Exchange).where(Exchange.plan_id == plan_id)).all()
        assert {e.teacher_id for e in saved} == {uuid.UUID(str(m.entry.teacher.key)) for m in plan.moves}
        assert len({e.id for e in saved}) == len(plan.moves) and all(e.created_at for e in saved)


def test_a_school_that_left_on_the_reference_date_is_only_in_its_new_cluster(store):
    """left_on is the first day out (as in policy.clusters): a move on 1 September is one cluster."""
    import datetime as dt

    from db.clusters import create_cluster, join, move
    from db.exchange_plans import load_schools
    from db.models import Region, School

    with store.write() as session:
        region = Region(code="640121", name="永宁县", level="县区")
        session.add(region)
        session.flush()
        schools = [School(code=f"S{i}", name=f"学校{i}", stage="小学", location="乡村", region_id=region.id)
                   for i in range(2)]
        session.add_all(schools)
    old = create_cluster(store, "旧学区", "学区", region_id=region.id, lead_school_id=schools[1].id,
                         on=dt.date(2020, 9, 1))
    new = create_cluster(store, "新学区", "学区", region_id=region.id, on=dt.date(2020, 9, 1))
    join(store, old.cluster_id, schools[0].id, dt.date(2020, 9, 1))
    move(store, schools[0].id, new.cluster_id, dt.date(2026, 9, 1))
    assert load_schools(store, dt.date(2026, 9, 1))["S0"].clusters == {new.cluster_id}
    assert load_schools(store, dt.date(2026, 8, 31))["S0"].clusters == {old.cluster_id}


def _started_move(store, on):
    """An approved plan's personnel move starting on ``on``; (exchange, home posting id)."""
    profile = active_profile(store)
    plan = make_plan(store, profile, YEAR)
    plan.start = on
    plan_id = save_plan(store, plan, profile)
    with store.read() as session:
        exchange = session.scalars(select(Exchange).where(Exchange.plan_id == plan_id,
                                                          Exchange.moves_personnel.is_(True))).first()
        home = session.scalars(select(Posting).where(Posting.teacher_id == exchange.teacher_id,
                                                     Posting.holds_personnel.is_(True),
                                                     Posting.end_on.is_(None))).one()
        assert home.school_id == exchange.from_school_id
        home_id = home.id
    approve_plan(store, plan_id, "科长")
    return exchange, home_id


def _events(store, exchange_id):
    from db.models import ExchangeEvent

    with store.read() as session:
        return session.scalars(select(ExchangeEvent).where(ExchangeEvent.exchange_id == exchange_id)
                               .order_by(ExchangeEvent.created_at)).all()


def _postings(store, teacher_id):
    with store.read() as session:
        return [(p.id, p.school_id, p.holds_personnel, p.start, p.end_on, p.exchange_id)
                for p in session.scalars(select(Posting).where(Posting.teacher_id == teacher_id)
                                         .order_by(Posting.start, Posting.created_at))]


def test_cancelling_a_started_move_brings_the_teacher_home(demo_store):
    start, cancel = dt.date(YEAR, 9, 1), dt.date(YEAR, 11, 15)
    exchange, home_id = _started_move(demo_store, start)
    before = {p[0]: p for p in _postings(demo_store, exchange.teacher_id)}
    with demo_store.read() as session:
        last_audit = session.scalar(select(func.max(AuditEntry.id)))
    cancel_exchange(demo_store, exchange.id, cancel, "本人申请")
    after = _postings(demo_store, exchange.teacher_id)
    by_id = {p[0]: p for p in after}
    # history kept: the old home posting is untouched (closed the day before the move)
    assert by_id[home_id] == before[home_id] and by_id[home_id][4] == start - dt.timedelta(days=1)
    assert [(e.action, e.on, e.note) for e in _events(demo_store, exchange.id)] == [
        ("批准", start, None), ("取消", cancel, "本人申请")]
    stint = [p for p in after if p[5] == exchange.id]
    assert [(p[1], p[3], p[4]) for p in stint] == [(exchange.to_school_id, start, cancel - dt.timedelta(days=1))]
    open_personnel = [p for p in after if p[2] and p[4] is None]
    assert [(p[1], p[3], p[5]) for p in open_personnel] == [(exchange.from_school_id, cancel, None)]
    assert open_personnel[0][0] not in before  # a new posting, not the old one reopened
    with demo_store.read() as session:
        stored = session.get(Exchange, exchange.id)
        assert (stored.status, stored.cancelled_on) == ("cancelled", cancel)
        entries = session.scalars(select(AuditEntry).where(AuditEntry.id > last_audit)).all()
    # one audited write: the status change and both posting changes carry the same note
    assert {(e.entity, e.action) for e in entries} >= {("posting", "insert"), ("posting", "update"),
                                                      ("exchange_event", "insert"), ("exchange", "update")}
    assert {e.note for e in entries} == {f"取消交流（{cancel.isoformat()}起）"}


def test_cancelling_a_move_on_its_first_day_deletes_the_stint_and_keeps_tenure(demo_store):
    start = dt.date(YEAR, 9, 1)
    exchange, home_id = _started_move(demo_store, start)
    before = {p[0]: p for p in _postings(demo_store, exchange.teacher_id)}
    cancel_exchange(demo_store, exchange.id, start)
    after = _postings(demo_store, exchange.teacher_id)
    assert not [p for p in after if p[5] == exchange.id]  # never took effect: no stint recorded
    assert {p[0]: p for p in after}[home_id] == before[home_id]
    open_personnel = [p for p in after if p[2] and p[4] is None]
    assert [(p[1], p[3]) for p in open_personnel] == [(exchange.from_school_id, start)]  # no gap after the old one
    # the two home postings are joined: tenure at home carries on, so the teacher is still due next year
    later = store_eligibility(demo_store, active_profile(demo_store), YEAR + 1)
    due = {str(e.teacher.key).replace("-", ""): e for e in later.entries}
    assert str(exchange.teacher_id).replace("-", "") in due
    with demo_store.read() as session:
        home_code = session.get(School, exchange.from_school_id).code
    assert due[str(exchange.teacher_id).replace("-", "")].school == home_code


def test_a_roster_change_after_saving_a_draft_says_the_draft_is_stale(demo_store, tmp_path):
    from db.teacher_import import import_teachers
    from reports.teacher_tables import export_teachers

    profile = active_profile(demo_store)
    save_plan(demo_store, make_plan(demo_store, profile, YEAR), profile)
    path = export_teachers(demo_store, tmp_path / "roster.xlsx")
    assert not any("草案" in n for n in import_teachers(demo_store, path).notes)  # nothing changed
    workbook = load_workbook(path)
    sheet = workbook["教师名册"]
    sheet.cell(row=2, column=2).value = "改过的名字"
    workbook.save(path)
    result = import_teachers(demo_store, path)
    assert result.updated == 1
    assert any(f"{YEAR}—{YEAR + 1}学年的交流计划草案是按变动前的名册生成的" in n for n in result.notes)


def test_a_saved_draft_loads_back_with_its_moves_and_pins(demo_store):
    from db.exchange_plans import load_draft
    from db.models import Exemption, Teacher

    profile = active_profile(demo_store)
    assert load_draft(demo_store, profile, YEAR) is None
    first = make_plan(demo_store, profile, YEAR)
    pinned, stays = first.moves[0], first.moves[1]
    pins = {pinned.entry.teacher.key: pinned.to_school, stays.entry.teacher.key: None}
    plan = make_plan(demo_store, profile, YEAR, pins=pins)
    save_plan(demo_store, plan, profile)
    loaded = load_draft(demo_store, profile, YEAR)

    def shape(p):
        return sorted((m.entry.teacher.id_number, m.from_school, m.to_school, m.form, m.moves_personnel, m.pinned)
                      for m in p.moves)

    assert shape(loaded) == shape(plan) and loaded.pins == plan.pins
    assert (loaded.base, loaded.required_moves, loaded.required_backbone, loaded.optimal, loaded.unmet) == \
        (plan.base, plan.required_moves, plan.required_backbone, plan.optimal, plan.unmet)
    def distances(p):  # the planner leaves a pinned move's distance blank; the loaded one has it
        return sorted((m.entry.teacher.id_number, m.distance_km, m.same_cluster) for m in p.moves if not m.pinned)

    assert distances(loaded) == distances(plan)
    # a moved teacher exempted since: left out, said, no longer called optimal
    with demo_store.write("免交流") as session:
        teacher = session.scalars(select(Teacher).where(Teacher.id_number == plan.moves[5].entry.teacher.id_number)).one()
        session.add(Exemption(teacher_id=teacher.id, reason="患病", evidence="诊断证明", start=dt.date(2027, 1, 1)))
    stale = load_draft(demo_store, profile, YEAR)
    assert len(stale.moves) == len(plan.moves) - 1 and not stale.optimal
    assert any("已不在本学年的交流名单中" in u and teacher.name in u for u in stale.unmet)


def test_ending_a_move_early_brings_the_teacher_home_the_next_day(demo_store):
    start, last = dt.date(YEAR, 9, 1), dt.date(YEAR + 1, 1, 31)
    exchange, _home_id = _started_move(demo_store, start)
    with pytest.raises(ExchangeError, match="早于开始日期"):
        end_exchange(demo_store, exchange.id, start - dt.timedelta(days=1))
    end_exchange(demo_store, exchange.id, last, "学校撤并")
    after = _postings(demo_store, exchange.teacher_id)
    assert [(p[1], p[3], p[4]) for p in after if p[5] == exchange.id] == [(exchange.to_school_id, start, last)]
    assert [(p[1], p[3]) for p in after if p[2] and p[4] is None] == [
        (exchange.from_school_id, last + dt.timedelta(days=1))]
    rows = {r["id"]: r for r in exchange_list(demo_store, dt.date(YEAR + 1, 3, 1), year=YEAR)}
    assert rows[exchange.id]["state"] == "ended_early" and rows[exchange.id]["planned_end"] > last
    assert exchange_list(demo_store, dt.date(YEAR, 10, 1), teacher=exchange_teacher(demo_store, exchange))[-1][
        "state"] == "in_progress"
    with pytest.raises(ExchangeError, match="不早于"):
        end_exchange(demo_store, exchange.id, last)


def test_extending_a_stint_moves_its_end_and_keeps_the_end_as_approved(demo_store):
    profile = active_profile(demo_store)
    plan = make_plan(demo_store, profile, YEAR)
    plan_id = save_plan(demo_store, plan, profile)
    approve_plan(demo_store, plan_id)
    with demo_store.read() as session:
        temporary = session.scalars(select(Exchange).where(Exchange.plan_id == plan_id,
                                                           Exchange.moves_personnel.is_(False))).first()
    assert temporary is not None, "the demo plan has a 柔性流动 (temporary) move"
    until = plan.end + dt.timedelta(days=365)
    note = extend_exchange(demo_store, temporary.id, until, profile, "工作需要")
    assert note is not None and "36 个月" in note  # 柔性流动's term in the profile, said with its clause
    with demo_store.read() as session:
        stored = session.get(Exchange, temporary.id)
        stint = session.scalars(select(Posting).where(Posting.exchange_id == temporary.id)).one()
        assert (stored.end_on, stored.planned_end, stint.end_on) == (until, plan.end, until)
    state = {r["id"]: r for r in exchange_list(demo_store, plan.end + dt.timedelta(days=1), year=YEAR)}
    assert state[temporary.id]["state"] == "in_progress" and "已延期" in state[temporary.id]["state_label"]
    with pytest.raises(ExchangeError, match="不晚于"):
        extend_exchange(demo_store, temporary.id, until, profile)


def test_approving_a_draft_made_from_another_roster_is_refused(demo_store, tmp_path, capsys):
    from db.teacher_import import import_teachers
    from reports.teacher_tables import export_teachers

    db = demo_store.location
    assert main(["--db", db, "plan", "--year", str(YEAR), "--save"]) == 0
    path = export_teachers(demo_store, tmp_path / "roster.xlsx")
    workbook = load_workbook(path)
    workbook["教师名册"].cell(row=2, column=2).value = "改过的名字"
    workbook.save(path)
    import_teachers(demo_store, path)
    capsys.readouterr()
    assert main(["--db", db, "plan", "--year", str(YEAR), "--approve"]) == 2
    err = capsys.readouterr().err
    assert "草案已过期" in err and "教师名册" in err and "Traceback" not in err
    with demo_store.read() as session:
        assert session.scalars(select(ExchangePlan.status).where(ExchangePlan.school_year == YEAR)).all() == ["draft"]
    assert main(["--db", db, "plan", "--year", str(YEAR), "--save"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "plan", "--year", str(YEAR), "--approve", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["approved"] is True and shown["exchanges"] > 0


def exchange_teacher(store, exchange):
    from db.models import Teacher

    with store.read() as session:
        return session.get(Teacher, exchange.teacher_id).id_number


def _exchange_changes(store, after_id):
    """(action, record id, before, after) of every audited row change to ``exchange`` after
    ``after_id`` (not the entry naming the save as a whole)."""
    from db import audit

    changes = []
    with store.read() as session:
        for e in session.scalars(select(AuditEntry).where(AuditEntry.id > after_id, AuditEntry.entity == "exchange",
                                                   AuditEntry.action != "import").order_by(AuditEntry.id)):
            if audit.is_batch(e.entity_id, e.action, e.before, e.after):
                changes += [(e.action, *r) for r in audit.records(e.entity, e.action, e.before, e.after)]
            else:
                changes.append((e.action, e.entity_id, e.before, e.after))
    return changes


def _last_audit_id(store):
    with store.read() as session:
        return session.scalar(select(func.max(AuditEntry.id)))


def test_saving_again_replaces_the_draft_in_place_and_audits_only_what_changed(demo_store):
    import dataclasses

    from db.models import Teacher

    profile = active_profile(demo_store)
    plan = make_plan(demo_store, profile, YEAR)
    plan_id = save_plan(demo_store, plan, profile)

    def saved():
        with demo_store.read() as session:
            return {(t.id_number): (e.id, e.to_school_id) for e, t in session.execute(
                select(Exchange, Teacher).join(Teacher, Teacher.id == Exchange.teacher_id)
                .where(Exchange.school_year == YEAR))}

    first = saved()
    mark = _last_audit_id(demo_store)
    assert save_plan(demo_store, plan, profile) == plan_id  # the same plan again: no exchange rewritten
    assert saved() == first and _exchange_changes(demo_store, mark) == []

    dropped, moved = plan.moves[0], plan.moves[1]
    elsewhere = next(m.to_school for m in plan.moves if m.to_school != moved.to_school)
    newcomer = plan.stays[0]
    changed = dataclasses.replace(plan, moves=[dataclasses.replace(moved, to_school=elsewhere), *plan.moves[2:],
                                               dataclasses.replace(moved, entry=newcomer)])
    mark = _last_audit_id(demo_store)
    assert save_plan(demo_store, changed, profile) == plan_id
    now = saved()
    with demo_store.read() as session:
        ids = dict(session.execute(select(School.code, School.id)).all())
        assert session.scalar(select(func.count()).select_from(ExchangePlan)
                              .where(ExchangePlan.school_year == YEAR)) == 1
        assert session.get(ExchangePlan, plan_id).summary["moves"] == len(plan.moves)
    number = {m.entry.teacher.id_number: m for m in plan.moves}
    assert dropped.entry.teacher.id_number not in now
    assert now[moved.entry.teacher.id_number] == (first[moved.entry.teacher.id_number][0], ids[elsewhere])
    assert now[newcomer.teacher.id_number][1] == ids[moved.to_school]
    assert all(now[n] == first[n] for n in number if n not in (dropped.entry.teacher.id_number,
                                                                moved.entry.teacher.id_number))
    audited = {(action, str(record)) for action, record, _before, _after in _exchange_changes(demo_store, mark)}
    assert audited == {("delete", str(first[dropped.entry.teacher.id_number][0])),
                       ("update", str(first[moved.entry.teacher.id_number][0])),
                       ("insert", str(now[newcomer.teacher.id_number][0]))}
    update = next(c for c in _exchange_changes(demo_store, mark) if c[0] == "update")
    assert (update[2]["to_school_id"], update[3]["to_school_id"]) == (str(ids[moved.to_school]), str(ids[elsewhere]))


def _tiny_plan_store(store):
    """Three schools and two teachers; returns their records as the planner gets them."""
    from db.models import Region, Teacher
    from policy.eligibility import MANDATORY, EligibilityEntry

    with store.write() as session:
        region = Region(code="640121", name="永宁县", level="县区")
        session.add(region)
        session.flush()
        session.add_all([School(code=f"S{i}", name=f"学校{i}", stage="小学", location="乡村", region_id=region.id)
                         for i in range(3)])
        session.add_all([Teacher(id_number=f"64012119800101{i:03d}X", name=f"教师{i}", gender="男",
                                 birth_date=dt.date(1980, 1, 1), subject="语文") for i in range(2)])
    teachers, _postings, _exemptions = load_records(store)  # keys in the form the planner sees them
    return [EligibilityEntry(t, "S0", dt.date(2010, 9, 1), 17, MANDATORY, MANDATORY, "任教满12年") for t in teachers]


def _tiny_plan(entries, moves):
    from policy.planner import Move, Plan

    return Plan(YEAR, len(entries), [Move(entries[i], to, "轮岗", True, None, False) for i, to in moves], 1, 0,
                True, [], "test", 0.0, "table", 3, dt.date(YEAR, 9, 1), dt.date(YEAR + 3, 8, 31), [], {})


def _replaces_in_place(store):
    profile = active_profile(store)
    entries = _tiny_plan_store(store)
    plan_id = save_plan(store, _tiny_plan(entries, [(0, "S1")]), profile)
    with store.read() as session:
        first = session.scalars(select(Exchange.id)).one()
    mark = _last_audit_id(store)
    assert save_plan(store, _tiny_plan(entries, [(0, "S1")]), profile) == plan_id
    assert _exchange_changes(store, mark) == []  # the same plan: nothing rewritten
    mark = _last_audit_id(store)
    assert save_plan(store, _tiny_plan(entries, [(0, "S2"), (1, "S1")]), profile) == plan_id
    with store.read() as session:
        rows = {e.teacher_id: (e.id, e.to_school_id) for e in session.scalars(select(Exchange))}
        ids = dict(session.execute(select(School.code, School.id)).all())
    teacher = {str(e.teacher.key).replace("-", ""): e for e in entries}
    by_number = {teacher[t.hex].teacher.id_number: v for t, v in rows.items()}
    assert by_number[entries[0].teacher.id_number] == (first, ids["S2"])  # the same row, updated
    assert by_number[entries[1].teacher.id_number][1] == ids["S1"]
    assert sorted(action for action, *_rest in _exchange_changes(store, mark)) == ["insert", "update"]
    mark = _last_audit_id(store)
    save_plan(store, _tiny_plan(entries, [(1, "S1")]), profile)
    assert [(action, record) for action, record, *_rest in _exchange_changes(store, mark)] == [("delete", str(first))]


def test_a_draft_is_replaced_in_place_on_sqlite(store):
    _replaces_in_place(store)


@pytest.mark.postgres
def test_a_draft_is_replaced_in_place_on_postgres(pg_store):
    _replaces_in_place(pg_store)


@pytest.mark.parametrize("refusal", ["database is locked", "UNIQUE constraint failed: exchange.id"])
def test_a_save_that_lost_a_race_runs_again(store, monkeypatch, refusal):
    """A save refused by a writer that held the lock past SQLite's 5 s, or by a key another
    save committed meanwhile, wrote nothing: it runs again and saves."""
    import sqlite3

    from sqlalchemy.exc import IntegrityError, OperationalError

    from db import exchange_plans

    error = OperationalError if "locked" in refusal else IntegrityError
    entries = _tiny_plan_store(store)
    real, calls = exchange_plans._save_plan, []

    def refused_once(*args):
        calls.append(1)
        if len(calls) == 1:
            raise error("INSERT …", {}, sqlite3.OperationalError(refusal))
        return real(*args)

    monkeypatch.setattr(exchange_plans, "_save_plan", refused_once)
    plan_id = save_plan(store, _tiny_plan(entries, [(0, "S1")]), active_profile(store))
    assert len(calls) == 2 and len(plan_rows(store, plan_id)) == 1
