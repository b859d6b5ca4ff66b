"""Data packages between a bureau and a school's laptop (issue 13): both ways, twice, a
conflict made on purpose, a package cut in half, one byte changed, a replay, a gap, and a
laptop's package carrying another school's activity."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import uuid
import zipfile
from pathlib import Path

import pytest
import visit_world
from package_world import damaged_copies, forge_with_foreign_visit
from sqlalchemy import func, select

from db.models import Attachment, AuditEntry, PackageConflict, School, Teacher, Visit
from db.packages import PackageError
from db.packages.conflicts import open_conflicts, resolve
from db.packages.incoming import apply
from db.packages.outgoing import export, export_setup
from db.store import Store


def snapshot(store: Store) -> dict[str, int]:
    """Row counts and the audit head: what "nothing changed" is measured against."""
    with store.read() as s:
        return {"visits": s.scalar(select(func.count()).select_from(Visit)),
                "schools": s.scalar(select(func.count()).select_from(School)),
                "audit": s.scalar(select(func.max(AuditEntry.id))) or 0,
                "conflicts": s.scalar(select(func.count()).select_from(PackageConflict))}


def add_visit(store: Store, school: uuid.UUID, day: int, summary: str, attachment: bytes | None = None) -> uuid.UUID:
    visit_id = uuid.uuid4()
    with store.write("测试：登记活动") as s:
        s.add(Visit(id=visit_id, date=dt.date(2025, 10, day), host_school_id=school, activity_type="听评课",
                    lessons=2, summary=summary, entered_by="测试"))
        if attachment is not None:
            s.flush()
            s.add(Attachment(visit_id=visit_id, filename="照片.jpg", mime_type="image/jpeg",
                             sha256=hashlib.sha256(attachment).hexdigest(), data=attachment))
    return visit_id


def edit_visit(store: Store, visit_id: uuid.UUID, **values: object) -> None:
    with store.write("测试：修改活动") as s:
        visit = s.get(Visit, visit_id)
        for key, value in values.items():
            setattr(visit, key, value)


def summary_of(store: Store, visit_id: uuid.UUID) -> str | None:
    with store.read() as s:
        visit = s.get(Visit, visit_id)
        return None if visit is None else visit.summary


@pytest.fixture
def pair(tmp_path: Path):
    """(bureau store, laptop store set up from the bureau's set-up package for RURAL01, world)."""
    bureau = Store.open(str(tmp_path / "bureau.db"))
    world = visit_world.build(bureau)
    laptop = Store.open(str(tmp_path / "laptop.db"))
    setup = export_setup(bureau, tmp_path / "setup.ebpkg", "RURAL01")
    applied = apply(laptop, setup.path)
    assert applied.setup and applied.inserted == setup.records > 0
    yield bureau, laptop, world
    bureau.dispose()
    laptop.dispose()


def test_setup_package_carries_the_county_and_the_school(pair, tmp_path):
    bureau, laptop, world = pair
    with laptop.read() as s:
        assert set(s.scalars(select(School.code))) == set(world.schools)
    town = Store.open(str(tmp_path / "town.db"))
    try:
        apply(town, export_setup(bureau, tmp_path / "town.ebpkg", "TOWN01").path)
        with town.read() as s:
            teachers = set(s.scalars(select(Teacher.id)))
    finally:
        town.dispose()
    assert teachers == {world.teachers["李明@TOWN01"]}  # the principal's teachers, not the city school's


def test_both_ways_twice_with_a_conflict(pair, tmp_path):
    bureau, laptop, world = pair
    rural = world.schools["RURAL01"]
    photo = bytes(range(256)) * 40
    # 1. the laptop logs two activities (one with a photo) and sends them
    v1 = add_visit(laptop, rural, 8, "东村听评课", photo)
    v2 = add_visit(laptop, rural, 9, "东村公开课")
    first = export(laptop, tmp_path / "up1.ebpkg")
    assert first.seq == 1 and first.records == 3 and first.attachments == 1
    done = apply(bureau, first.path)
    assert (done.inserted, done.conflicts) == (3, [])
    with bureau.read() as s:
        assert s.scalar(select(Attachment.data).where(Attachment.visit_id == v1)) == photo
        entries = s.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(v1))).all()
    assert entries[-1].note.startswith("数据包 ") and "#1" in entries[-1].note  # audited, naming the package
    # 2. the bureau corrects one activity; the laptop edits the same one (the conflict on purpose)
    #    and deletes the other, which the bureau edited too (delete vs edit)
    edit_visit(bureau, v1, summary="东村听评课（局里更正）")
    edit_visit(bureau, v2, lessons=5)
    edit_visit(laptop, v1, summary="东村听评课（校长补充）")
    with laptop.write("测试：删除活动") as s:
        s.delete(s.get(Visit, v2))
    down = export(bureau, tmp_path / "down1.ebpkg", school="RURAL01")
    assert down.seq == 2  # the set-up package was the first to this laptop
    up = export(laptop, tmp_path / "up2.ebpkg")
    # 3. each side applies the other's: both versions are kept, nothing is overwritten
    at_laptop = apply(laptop, down.path)
    at_bureau = apply(bureau, up.path)
    assert summary_of(laptop, v1) == "东村听评课（校长补充）"
    assert summary_of(bureau, v1) == "东村听评课（局里更正）"
    assert summary_of(bureau, v2) is not None  # the laptop's deletion did not win silently
    listed = {c["record_id"]: c for c in open_conflicts(bureau)}
    assert set(listed) == {str(v1), str(v2)}
    field = listed[str(v1)]["fields"]
    assert field == [{"field": "summary", "label": "内容摘要", "mine": "东村听评课（局里更正）",
                      "theirs": "东村听评课（校长补充）"}]
    assert listed[str(v2)]["theirs_deleted"]
    assert {c["record_id"] for c in at_laptop.conflicts} == {str(v1), str(v2)}
    assert not at_bureau.updated and not at_laptop.updated
    # 4. the clerk chooses: the principal's text at the bureau, the bureau's edit of v2
    resolve(bureau, listed[str(v1)]["id"], "theirs")
    resolve(bureau, listed[str(v2)]["id"], "mine")
    with pytest.raises(PackageError, match="已处理过"):
        resolve(bureau, listed[str(v1)]["id"], "mine")
    assert summary_of(bureau, v1) == "东村听评课（校长补充）"
    assert open_conflicts(bureau) == []
    # 5. the laptop's clerk agrees: keeps the principal's text, takes back the bureau's v2;
    #    second round both ways: each side's choices are no news to the other
    for c in open_conflicts(laptop):
        resolve(laptop, c["id"], "mine" if c["record_id"] == str(v1) else "theirs")
    assert summary_of(laptop, v2) is not None and summary_of(laptop, v1) == "东村听评课（校长补充）"
    v3 = add_visit(laptop, rural, 20, "第二轮")
    up3 = export(laptop, tmp_path / "up3.ebpkg")
    down3 = export(bureau, tmp_path / "down3.ebpkg", school="RURAL01")
    second_bureau = apply(bureau, up3.path)
    second_laptop = apply(laptop, down3.path)
    assert second_bureau.conflicts == [] and second_laptop.conflicts == []
    assert summary_of(bureau, v3) == "第二轮"
    with bureau.read() as s, laptop.read() as t:
        for visit_id in (v1, v2, v3):
            mine, theirs = s.get(Visit, visit_id), t.get(Visit, visit_id)
            assert (mine.summary, mine.lessons, mine.date) == (theirs.summary, theirs.lessons, theirs.date)


def test_importing_twice_changes_nothing_and_says_so(pair, tmp_path):
    bureau, laptop, world = pair
    add_visit(laptop, world.schools["RURAL01"], 8, "一次")
    package = export(laptop, tmp_path / "up.ebpkg")
    apply(bureau, package.path)
    before = snapshot(bureau)
    with pytest.raises(PackageError, match="已经导入过"):
        apply(bureau, package.path)
    assert snapshot(bureau) == before


def test_a_gap_in_the_sequence_is_refused(pair, tmp_path):
    bureau, laptop, world = pair
    add_visit(laptop, world.schools["RURAL01"], 8, "一")
    export(laptop, tmp_path / "one.ebpkg")
    add_visit(laptop, world.schools["RURAL01"], 9, "二")
    two = export(laptop, tmp_path / "two.ebpkg")
    before = snapshot(bureau)
    with pytest.raises(PackageError, match="缺少.*第 1 号"):
        apply(bureau, two.path)
    assert snapshot(bureau) == before


def test_cut_or_changed_packages_are_refused_whole(pair, tmp_path):
    bureau, laptop, world = pair
    add_visit(laptop, world.schools["RURAL01"], 8, "附件活动", bytes(5000))
    good = export(laptop, tmp_path / "good.ebpkg")
    before = snapshot(bureau)
    for what, path in damaged_copies(good.path, tmp_path).items():
        with pytest.raises(PackageError) as caught:
            apply(bureau, path)
        message = str(caught.value)
        assert "\n" not in message and "未导入任何内容" in message, (what, message)
        assert snapshot(bureau) == before, what
    assert apply(bureau, good.path).inserted == 2  # the intact one still applies afterwards


def test_a_rewritten_and_resigned_package_from_an_unknown_key_is_refused(pair, tmp_path):
    bureau, laptop, world = pair
    add_visit(laptop, world.schools["RURAL01"], 8, "原文")
    good = export(laptop, tmp_path / "good.ebpkg")
    stranger = Store.open(str(tmp_path / "stranger.db"))
    try:
        from db.packages import keys

        keys.identity(stranger)
        with zipfile.ZipFile(good.path) as z:
            manifest = z.read("manifest.json")
        with stranger.engine.connect() as c:
            signature = keys.sign(keys.self_peer(c).private_key, manifest)
        forged = tmp_path / "forged.ebpkg"
        with zipfile.ZipFile(good.path) as src, zipfile.ZipFile(forged, "w") as dst:
            for info in src.infolist():
                dst.writestr(info, signature if info.filename == "manifest.sig" else src.read(info.filename))
    finally:
        stranger.dispose()
    with pytest.raises(PackageError, match="签名"):
        apply(bureau, forged)


def test_unknown_origin_is_refused(pair, tmp_path):
    bureau, laptop, world = pair
    other = Store.open(str(tmp_path / "other.db"))
    try:
        visit_world.build(other)
        package = export_setup(other, tmp_path / "other-setup.ebpkg", "RURAL01")
        # a set-up package goes only to a new, empty database
        with pytest.raises(PackageError, match="空白数据库"):
            apply(bureau, package.path)
    finally:
        other.dispose()


def test_a_laptops_package_with_another_schools_visit_is_refused(pair, tmp_path):
    bureau, laptop, world = pair
    # the laptop's data are edited behind the application's back: a visit of RURAL02
    # (the sender's checks are bypassed; the receiving side must refuse it)
    add_visit(laptop, world.schools["RURAL02"], 8, "别校的活动")
    add_visit(laptop, world.schools["RURAL01"], 9, "本校的活动")
    package = export(laptop, tmp_path / "up.ebpkg", school=None)
    assert package.records == 1  # the sender leaves it out …
    shutil.copyfile(package.path, tmp_path / "keep.ebpkg")
    forged = forge_with_foreign_visit(laptop, package.path, world, tmp_path)
    before = snapshot(bureau)
    with pytest.raises(PackageError, match="其他学校"):
        apply(bureau, forged)  # … and a package that carries one anyway is refused whole
    assert snapshot(bureau) == before


def sequential_conflict(bureau: Store, laptop: Store, tmp_path: Path) -> None:
    """Not crossing: the laptop applies the bureau's edit (a conflict there) before it sends
    its own; the bureau must list it too, not take the laptop's version as news."""
    world = visit_world.build(bureau)
    apply(laptop, export_setup(bureau, tmp_path / "setup.ebpkg", "RURAL01").path)
    visit = add_visit(laptop, world.schools["RURAL01"], 8, "原文", bytes(range(256)) * 8)
    up = export(laptop, tmp_path / "up.ebpkg")
    assert apply(bureau, up.path).inserted == 2
    with pytest.raises(PackageError, match="已经导入过"):
        apply(bureau, up.path)
    edit_visit(bureau, visit, summary="局里")
    edit_visit(laptop, visit, summary="校长")
    down = export(bureau, tmp_path / "down.ebpkg", school="RURAL01")
    assert [c["record_id"] for c in apply(laptop, down.path).conflicts] == [str(visit)]
    assert [c["record_id"] for c in apply(bureau, export(laptop, tmp_path / "up2.ebpkg").path).conflicts] == [
        str(visit)]
    assert summary_of(bureau, visit) == "局里"
    (conflict,) = open_conflicts(bureau)
    resolve(bureau, conflict["id"], "theirs")
    assert summary_of(bureau, visit) == "校长"


def test_a_conflict_seen_first_on_one_side_is_listed_on_both(tmp_path):
    bureau, laptop = Store.open(str(tmp_path / "bureau.db")), Store.open(str(tmp_path / "laptop.db"))
    try:
        sequential_conflict(bureau, laptop, tmp_path)
    finally:
        bureau.dispose()
        laptop.dispose()


@pytest.mark.postgres
def test_a_bureau_on_postgresql_exchanges_with_a_sqlite_laptop(pg_url, tmp_path):
    bureau, laptop = Store.open(pg_url), Store.open(str(tmp_path / "laptop.db"))
    try:
        sequential_conflict(bureau, laptop, tmp_path)
    finally:
        bureau.dispose()
        laptop.dispose()


def test_rows_written_in_one_batch_entry_travel_one_by_one(pair, tmp_path):
    """Activities loaded through Store.bulk (one audit entry for the statement) are carried
    like activities saved one at a time, each with its own history line."""
    from db.bulk import insert_rows

    bureau, laptop, world = pair
    stamp = dt.datetime(2025, 10, 1)
    rows = [{"id": uuid.uuid4(), "date": dt.date(2025, 10, day), "host_school_id": world.schools["RURAL01"],
             "activity_type": "听评课", "lessons": 1, "summary": f"批量{day}", "entered_by": "测试",
             "created_at": stamp, "updated_at": stamp} for day in (3, 4)]
    with laptop.bulk("visit", "测试：批量导入") as c:
        insert_rows(c, Visit.__table__, rows)
    with laptop.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.note == "测试：批量导入",
                                                                           AuditEntry.action == "insert")) == 1
    sent = export(laptop, tmp_path / "batch.ebpkg")
    assert sent.records == 2 and sent.audit_entries == 2
    assert apply(bureau, sent.path).inserted == 2
    assert [summary_of(bureau, r["id"]) for r in rows] == ["批量3", "批量4"]
