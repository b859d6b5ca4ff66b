"""Saving one activity, completion sources, pairings register, semester summaries."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import visit_world
from sqlalchemy import func, select

from db import visits as dv
from db.models import Attachment, AuditEntry, Posting, Visit
from db.store import Actor, PermissionDenied, Store
from db.versions import StaleRecord
from policy.calendar import Semester
from policy.profile import load_profile

PROFILE = load_profile()


@pytest.fixture
def world(store: Store) -> visit_world.World:
    return visit_world.build(store)


def draft(world, **changes) -> dv.VisitDraft:
    sc = world.schools
    base = dict(
        date=dt.date(2025, 10, 9), host_school_id=sc["RURAL01"], activity_type="听评课", lessons=2,
        summary=" 数学课 ", visitors=[dv.VisitorDraft("周老师", "骨干教师", sc["CITY01"]),
                                   dv.VisitorDraft("孙研", "市级教研员", None, lessons=3)],
        attachments=[dv.AttachmentDraft("签到表.png", b"\x89PNG fake"), dv.AttachmentDraft("说明", b"abc")],
    )
    base.update(changes)
    return dv.VisitDraft(**base)


def test_save_visit_stores_visitors_attachment_bytes_and_audits_in_one_write(store, world) -> None:
    visit_id = dv.save_visit(store, draft(world))
    with store.read() as s:
        visit = s.get(Visit, visit_id)
        assert visit.summary == "数学课" and visit.lessons == 2
        people = {p.name: p for p in visit.participants}
        assert people["周老师"].teacher_id == world.teachers["周老师@CITY01"]  # linked by name + school
        assert people["孙研"].lessons == 3
        files = {a.filename: a for a in visit.attachments}
        assert files["签到表.png"].mime_type == "image/png"
        assert files["说明"].mime_type == "application/octet-stream"
        assert files["签到表.png"].data == b"\x89PNG fake"
        assert files["签到表.png"].sha256 == hashlib.sha256(b"\x89PNG fake").hexdigest()
        audited = s.scalars(select(AuditEntry.entity).where(AuditEntry.note == "登记帮扶活动")).all()
    assert sorted(audited) == ["attachment", "attachment", "visit", "visit_participant", "visit_participant"]
    [row] = dv.recent_visits(store)
    assert (row.host, row.attachments, row.visitors) == ("东村小学", 2, "周老师（骨干教师）、孙研（市级教研员）")
    ids = {name: i for i, name, _, _ in dv.visit_attachments(store, visit_id)}
    assert dv.attachment_data(store, ids["说明"])[2] == b"abc"


def test_attachment_from_path_reads_the_bytes(tmp_path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"jpegdata")
    item = dv.AttachmentDraft.from_path(path)
    assert (item.filename, item.data) == ("photo.jpg", b"jpegdata")


@pytest.mark.parametrize(("changes", "message"), [
    ({"visitors": []}, "至少添加一位"),
    ({"activity_type": "喝茶"}, "不是可选值"),
    ({"lessons": -1}, "不能小于 0"),
])
def test_bad_drafts_write_nothing(store, world, changes, message) -> None:
    with pytest.raises(dv.VisitError, match=message):
        dv.save_visit(store, draft(world, **changes))
    assert dv.recent_visits(store) == []


def test_school_role_without_school_is_refused(store, world) -> None:
    with pytest.raises(dv.VisitError, match="须选择所在学校"):
        dv.save_visit(store, draft(world, visitors=[dv.VisitorDraft("甲", "骨干教师", None)]))


def test_viewer_may_not_save_and_nothing_is_written(store, world) -> None:
    viewer = Store(store.engine, Actor("guest", "evaluator"))
    with pytest.raises(PermissionDenied):
        dv.save_visit(viewer, draft(world))
    with store.read() as s:
        assert s.scalars(select(Attachment)).all() == []


def test_completion_sources(store, world) -> None:
    dv.save_visit(store, draft(world))
    schools = {c.code: c.text for c in dv.school_choices(store)}
    assert schools["RURAL01"] == "东村小学（RURAL01）"
    people = {p.text: p for p in dv.person_choices(store)}
    assert people["孙研（市级教研员）"].home_school_id is None
    assert people["陈校长（市一中）"].role == "校级干部"
    assert people["李明（镇中心小学）"].teacher_id == world.teachers["李明@TOWN01"]


def test_pairings_register_shows_the_activity_each_produced(store, world) -> None:
    sc, t = world.schools, world.teachers
    studio = dv.add_pairing(store, "名师工作室结对乡村学校", dt.date(2025, 9, 1), supporter_name="孙研",
                            target_school_id=sc["RURAL01"])
    dv.add_pairing(store, "学科带头人结对乡村教师", dt.date(2025, 9, 1), supporter_teacher_id=t["周老师@CITY01"],
                   target_teacher_id=t["李明@TOWN01"])
    dv.save_visit(store, draft(world))  # at RURAL01 with 周老师 and 孙研
    dv.save_visit(store, draft(world, host_school_id=sc["TOWN01"], date=dt.date(2025, 11, 1)))
    views = {v.kind: v for v in dv.list_pairings(store, PROFILE, 2025)}
    assert (views["包片包抓"].activities, views["包片包抓"].last_activity) == (2, dt.date(2025, 11, 1))
    assert views["包片包抓"].supporter == "市一中" and views["包片包抓"].target == "东片集团"
    assert views["名师工作室结对乡村学校"].activities == 1
    assert views["学科带头人结对乡村教师"].activities == 1  # the TOWN01 visit, 李明's school
    dv.end_pairing(store, studio, dt.date(2025, 9, 30))
    assert {v.kind: v for v in dv.list_pairings(store, PROFILE, 2025)}["名师工作室结对乡村学校"].activities == 0


def test_pairing_with_a_teacher_follows_the_school_he_is_at_when_the_period_ends(store, world) -> None:
    """A 支教 stint that ended in October does not move 李明's pairing away from his school."""
    sc, t = world.schools, world.teachers
    with store.write("支教") as session:
        session.add(Posting(teacher_id=t["李明@TOWN01"], school_id=sc["RURAL02"], kind="支教", holds_personnel=False,
                            start=dt.date(2025, 9, 1), end_on=dt.date(2025, 10, 1)))
    dv.add_pairing(store, "学科带头人结对乡村教师", dt.date(2025, 9, 1), supporter_teacher_id=t["周老师@CITY01"],
                   target_teacher_id=t["李明@TOWN01"])
    dv.save_visit(store, draft(world, host_school_id=sc["TOWN01"], date=dt.date(2025, 11, 1)))
    views = {v.kind: v for v in dv.list_pairings(store, PROFILE, 2025)}
    assert views["学科带头人结对乡村教师"].activities == 1


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kind": "包片包抓", "supporter_name": "某人", "target_school_id": None}, "受援方"),
    ({"kind": "包片包抓", "supporter_name": "某人", "target_school_id": "x"}, "包片包抓须选择"),
    ({"kind": "局领导联系薄弱学校", "target_school_id": "x"}, "帮扶方"),
])
def test_bad_pairings_are_refused(store, world, kwargs, message) -> None:
    if kwargs.get("target_school_id") == "x":
        kwargs["target_school_id"] = world.schools["RURAL02"]
    kind = kwargs.pop("kind")
    with pytest.raises(dv.VisitError, match=message):
        dv.add_pairing(store, kind, dt.date(2025, 9, 1), **kwargs)


def test_semester_summary_add_then_edit_and_it_meets_the_community_quota(store, world) -> None:
    s1 = Semester(2025, 1)
    assert [v.recorded for v in dv.list_summaries(store, s1)] == [False]
    dv.save_summary(store, world.cluster, s1, attainment="基本达成", achievements="听评课 40 节")
    dv.save_summary(store, world.cluster, s1, problems="交通不便", next_steps="增加同步课堂")
    [view] = dv.list_summaries(store, s1)
    assert (view.recorded, view.attainment, view.problems, view.next_steps) == (True, "基本达成", "交通不便", "增加同步课堂")
    rows = [r for r in dv.quota_rows(store, PROFILE, s1) if r.rule == "community.semester_summary"]
    assert [r.status for r in rows] == ["met"]
    with pytest.raises(dv.VisitError, match="全部为空"):
        dv.save_summary(store, world.cluster, Semester(2025, 2), attainment=" ")


def test_a_saved_visit_is_corrected_in_one_audited_write(store, world) -> None:
    visit_id = dv.save_visit(store, draft(world))
    stored = dv.load_visit(store, visit_id)
    assert stored.host_label == "东村小学（RURAL01）" and [v.name for v in stored.draft.visitors] == ["周老师", "孙研"]
    keep = {i for i, name, _ in stored.attachments if name == "说明"}
    fixed = draft(world, activity_type="公开课", lessons=1, visitors=[dv.VisitorDraft("孙研", "市级教研员", None)],
                  attachments=[dv.AttachmentDraft("照片.jpg", b"jpeg")])
    dv.update_visit(store, visit_id, fixed, keep)
    again = dv.load_visit(store, visit_id)
    assert again.draft.activity_type == "公开课" and again.draft.lessons == 1
    assert [v.name for v in again.draft.visitors] == ["孙研"]
    assert sorted(name for _, name, _ in again.attachments) == ["照片.jpg", "说明"]
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Visit)) == 1
        changes = s.scalars(select(AuditEntry).where(AuditEntry.note == "修改帮扶活动")).all()
    assert {(c.entity, c.action) for c in changes} >= {("visit", "update"), ("visit_participant", "delete"),
                                                        ("attachment", "delete"), ("attachment", "insert")}


def test_correcting_a_visit_moves_it_on_the_quota_board(store, world) -> None:
    visit_id = dv.save_visit(store, draft(world))
    semester = Semester(2025, 1)
    def done(rows):
        return sum(r.done for r in rows if r.who.startswith("周老师"))

    before = done(dv.quota_rows(store, PROFILE, semester))
    assert before > 0
    dv.update_visit(store, visit_id, draft(world, visitors=[dv.VisitorDraft("孙研", "市级教研员", None)]), set())
    assert done(dv.quota_rows(store, PROFILE, semester)) == 0


def test_a_bad_correction_or_a_deleted_visit_writes_nothing(store, world) -> None:
    visit_id = dv.save_visit(store, draft(world))
    with pytest.raises(dv.VisitError, match="至少添加一位"):
        dv.update_visit(store, visit_id, draft(world, visitors=[]), set())
    assert len(dv.load_visit(store, visit_id).draft.visitors) == 2
    dv.delete_visit(store, visit_id)
    with pytest.raises(StaleRecord, match="删除，请重新载入"):  # says who deleted it, and when
        dv.update_visit(store, visit_id, draft(world), set())
