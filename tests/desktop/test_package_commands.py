"""``edubridge package …`` as a clerk and a principal use it: real subprocesses, two databases
exchanging packages both ways twice with a conflict made on purpose; a package cut in half,
one byte changed, replayed, and a laptop's package carrying another school's activity."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import visit_world
from package_world import damaged_copies, forge_with_foreign_visit

from db.models import Visit
from db.store import Store

ROOT = Path(__file__).resolve().parents[2]


def edubridge(db: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDUBRIDGE_") or k == "EDUBRIDGE_DATA_DIR"}
    return subprocess.run([sys.executable, "-m", "desktop.cli", "--db", str(db), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120, check=False)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def refused(result: subprocess.CompletedProcess, words: str) -> None:
    assert result.returncode == 2 and result.stdout == "", (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in result.stderr, result.stderr


def write_visit(db: Path, school: uuid.UUID | None = None, visit_id: uuid.UUID | None = None,
                **values: object) -> uuid.UUID:
    store = Store.open(str(db))
    try:
        with store.write("测试：活动") as s:
            if visit_id is None:
                visit_id = uuid.uuid4()
                s.add(Visit(id=visit_id, date=dt.date(2025, 11, 3), host_school_id=school,
                            activity_type="公开课", lessons=1, **values))
            else:
                visit = s.get(Visit, visit_id)
                for key, value in values.items():
                    setattr(visit, key, value)
    finally:
        store.dispose()
    return visit_id


def visit_summary(db: Path, visit_id: uuid.UUID) -> str | None:
    store = Store.open(str(db))
    try:
        with store.read() as s:
            visit = s.get(Visit, visit_id)
            return None if visit is None else visit.summary
    finally:
        store.dispose()


def test_exchange_both_ways_twice_with_a_conflict_and_bad_packages(tmp_path):
    bureau, laptop = tmp_path / "bureau.db", tmp_path / "laptop.db"
    store = Store.open(str(bureau))
    world = visit_world.build(store)
    store.dispose()
    rural = world.schools["RURAL01"]
    ok(edubridge(bureau, "package", "export", "--setup", "--school", "RURAL01", "-o", str(tmp_path / "setup.ebpkg")))
    assert "已导入" in ok(edubridge(laptop, "package", "import", str(tmp_path / "setup.ebpkg")))
    refused(edubridge(laptop, "package", "import", str(tmp_path / "setup.ebpkg")), "已经导入过")

    # round 1: a visit from the laptop, then both sides edit it (the conflict on purpose)
    visit = write_visit(laptop, rural, summary="校长登记")
    ok(edubridge(laptop, "package", "export", "-o", str(tmp_path / "up1.ebpkg")))
    first = json.loads(ok(edubridge(bureau, "package", "import", str(tmp_path / "up1.ebpkg"), "--json")))
    assert first["inserted"] == 1 and first["conflicts"] == []
    write_visit(bureau, visit_id=visit, summary="局里更正")
    write_visit(laptop, visit_id=visit, summary="校长更正", lessons=3)
    ok(edubridge(bureau, "package", "export", "--school", "RURAL01", "-o", str(tmp_path / "down1.ebpkg")))
    ok(edubridge(laptop, "package", "export", "-o", str(tmp_path / "up2.ebpkg")))
    result = json.loads(ok(edubridge(bureau, "package", "import", str(tmp_path / "up2.ebpkg"), "--json")))
    (conflict,) = result["conflicts"]
    assert conflict["record_id"] == str(visit)
    assert {f["field"]: (f["mine"], f["theirs"]) for f in conflict["fields"]} == {
        "summary": ("局里更正", "校长更正"), "lessons": (1, 3)}
    assert visit_summary(bureau, visit) == "局里更正"  # both kept until the clerk chooses
    listed = json.loads(ok(edubridge(bureau, "package", "conflicts", "--json")))
    assert [c["id"] for c in listed] == [conflict["id"]]
    at_laptop = json.loads(ok(edubridge(laptop, "package", "import", str(tmp_path / "down1.ebpkg"), "--json")))
    assert len(at_laptop["conflicts"]) == 1 and visit_summary(laptop, visit) == "校长更正"

    # the clerks agree on the principal's version
    assert "采用对方" in ok(edubridge(bureau, "package", "resolve", str(conflict["id"]), "--keep", "theirs"))
    ok(edubridge(laptop, "package", "resolve", str(at_laptop["conflicts"][0]["id"]), "--keep", "mine"))
    refused(edubridge(bureau, "package", "resolve", str(conflict["id"]), "--keep", "mine"), "已处理过")
    assert visit_summary(bureau, visit) == "校长更正"

    # round 2 both ways: no conflict, both sides equal
    second = write_visit(laptop, rural, summary="第二轮")
    ok(edubridge(laptop, "package", "export", "-o", str(tmp_path / "up3.ebpkg")))
    ok(edubridge(bureau, "package", "export", "--school", "RURAL01", "-o", str(tmp_path / "down2.ebpkg")))
    assert json.loads(ok(edubridge(bureau, "package", "import", str(tmp_path / "up3.ebpkg"), "--json")))[
        "conflicts"] == []
    assert json.loads(ok(edubridge(laptop, "package", "import", str(tmp_path / "down2.ebpkg"), "--json")))[
        "conflicts"] == []
    assert visit_summary(bureau, second) == "第二轮" and visit_summary(laptop, visit) == "校长更正"

    # a replay, a package cut in half, a byte changed: refused, one line, nothing changed
    refused(edubridge(bureau, "package", "import", str(tmp_path / "up3.ebpkg")), "已经导入过")
    write_visit(laptop, rural, summary="第三轮")
    ok(edubridge(laptop, "package", "export", "-o", str(tmp_path / "up4.ebpkg")))
    stats = ok(edubridge(bureau, "stats", "--json"))
    for path in damaged_copies(tmp_path / "up4.ebpkg", tmp_path).values():
        refused(edubridge(bureau, "package", "import", str(path)), "未导入任何内容")
    assert ok(edubridge(bureau, "stats", "--json")) == stats
    assert "新增 1" in ok(edubridge(bureau, "package", "import", str(tmp_path / "up4.ebpkg")))


def test_a_principals_package_with_another_schools_visit_is_refused(tmp_path):
    bureau, laptop = tmp_path / "bureau.db", tmp_path / "laptop.db"
    store = Store.open(str(bureau))
    world = visit_world.build(store)
    store.dispose()
    ok(edubridge(bureau, "package", "export", "--setup", "--school", "RURAL01", "-o", str(tmp_path / "setup.ebpkg")))
    ok(edubridge(laptop, "package", "import", str(tmp_path / "setup.ebpkg")))
    write_visit(laptop, world.schools["RURAL01"], summary="本校")
    ok(edubridge(laptop, "package", "export", "-o", str(tmp_path / "up.ebpkg")))
    opened = Store.open(str(laptop))
    try:
        forged = forge_with_foreign_visit(opened, tmp_path / "up.ebpkg", world, tmp_path)
    finally:
        opened.dispose()
    refused(edubridge(bureau, "package", "import", str(forged)), "其他学校")


def test_unknown_origin_and_keys(tmp_path):
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    for db in (one, two):
        store = Store.open(str(db))
        visit_world.build(store) if db == one else None
        store.dispose()
    card = json.loads(ok(edubridge(two, "package", "keys", "--name", "二号", "--export", str(tmp_path / "two.json"),
                                   "--json")))
    assert card["name"] == "二号" and "private" not in json.dumps(card)
    refused(edubridge(one, "package", "export", "-o", str(tmp_path / "x.ebpkg")), "尚未登记")
    assert "已登记" in ok(edubridge(one, "package", "trust", str(tmp_path / "two.json")))
    ok(edubridge(one, "package", "export", "--since", "0", "-o", str(tmp_path / "x.ebpkg")))
    refused(edubridge(two, "package", "import", str(tmp_path / "x.ebpkg")), "未登记的来源")


def test_two_processes_importing_one_package_apply_it_once(tmp_path):
    bureau, laptop = tmp_path / "bureau.db", tmp_path / "laptop.db"
    store = Store.open(str(bureau))
    world = visit_world.build(store)
    store.dispose()
    ok(edubridge(bureau, "package", "export", "--setup", "--school", "RURAL01", "-o", str(tmp_path / "setup.ebpkg")))
    ok(edubridge(laptop, "package", "import", str(tmp_path / "setup.ebpkg")))
    for day in range(3):
        write_visit(laptop, world.schools["RURAL01"], summary=f"活动{day}")
    ok(edubridge(laptop, "package", "export", "-o", str(tmp_path / "up.ebpkg")))
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDUBRIDGE_") or k == "EDUBRIDGE_DATA_DIR"}
    argv = [sys.executable, "-m", "desktop.cli", "--db", str(bureau), "package", "import", str(tmp_path / "up.ebpkg")]
    runs = [subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    results = sorted((p.wait(timeout=120), p.communicate()[1]) for p in runs)
    assert [code for code, _ in results] == [0, 2], results
    assert "已经导入过" in results[1][1]
    store = Store.open(str(bureau))
    try:
        with store.read() as s:
            from sqlalchemy import func, select

            assert s.scalar(select(func.count()).select_from(Visit).where(Visit.summary.like("活动%"))) == 3
    finally:
        store.dispose()
