"""``edubridge user …``, ``--user`` and ``audit verify`` as a person at a terminal uses them:
real subprocesses, passwords from the environment, the audit log edited with sqlite3."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[2]


def edubridge(db: Path, *args: str, user: str | None = None, password: str | None = None,
              new_password: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDUBRIDGE_") or k == "EDUBRIDGE_DATA_DIR"}
    if password is not None:
        env["EDUBRIDGE_PASSWORD"] = password
    if new_password is not None:
        env["EDUBRIDGE_NEW_PASSWORD"] = new_password
    argv = [sys.executable, "-m", "desktop.cli", "--db", str(db), *(["--user", user] if user else []), *args]
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=120, check=False)


@pytest.fixture
def county(store, db_path) -> Path:
    """Two schools, no user yet (set-up mode); then an admin and the principal of S1."""
    from db.models import Region, School

    with store.write("test") as s:
        region = Region(code="640100", name="测试县", level="县区")
        s.add(region)
        s.flush()
        s.add_all([School(code="S1", name="本校小学", stage="小学", location="乡村", region_id=region.id),
                   School(code="S2", name="他校小学", stage="小学", location="乡村", region_id=region.id)])
    store.dispose()
    assert edubridge(db_path, "user", "add", "boss", "--role", "admin", new_password="secret123").returncode == 0
    made = edubridge(db_path, "user", "add", "zhang", "--role", "principal", "--school", "S1",
                     user="boss", password="secret123", new_password="zhangpw1")
    assert made.returncode == 0, made.stderr
    return db_path


def visits_file(path: Path, host: str) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["日期", "承办学校代码", "来访人员", "角色", "派出学校代码", "活动类型", "听课节数", "内容摘要"])
    sheet.append([dt.date(2025, 10, 9), host, "李明", "县级教研员", None, "听评课", 2, "听课"])
    workbook.save(path)
    return path


def visit_hosts(db: Path) -> list[str]:
    with sqlite3.connect(db) as c:
        return [code for (code,) in c.execute("SELECT s.code FROM visit v JOIN school s ON s.id = v.host_school_id")]


def test_once_a_user_exists_every_command_needs_one(county):
    refused = edubridge(county, "stats")
    assert refused.returncode == 2 and "--user" in refused.stderr and len(refused.stderr.splitlines()) == 1
    no_password = edubridge(county, "stats", user="boss")  # stdin is not a terminal
    assert no_password.returncode == 2 and "EDUBRIDGE_PASSWORD" in no_password.stderr
    assert "Traceback" not in no_password.stderr
    wrong = edubridge(county, "stats", user="boss", password="nope12345")
    assert wrong.returncode == 2 and "用户名或密码错误" in wrong.stderr
    listed = edubridge(county, "user", "list", "--json", user="boss", password="secret123")
    users = {u["username"]: u for u in json.loads(listed.stdout)}
    assert users["zhang"]["role"] == "principal" and users["zhang"]["school_code"] == "S1"


def test_a_principal_cannot_write_another_schools_visit_from_the_command_line(county, tmp_path):
    other = edubridge(county, "import", "visits", str(visits_file(tmp_path / "他校.xlsx", "S2")),
                      user="zhang", password="zhangpw1")
    assert other.returncode == 2 and "本校" in other.stderr and "Traceback" not in other.stderr, other.stderr
    assert visit_hosts(county) == []
    own = edubridge(county, "import", "visits", str(visits_file(tmp_path / "本校.xlsx", "S1")),
                    user="zhang", password="zhangpw1")
    assert own.returncode == 0, own.stderr
    assert visit_hosts(county) == ["S1"]
    schools = edubridge(county, "user", "add", "x", "--role", "clerk", user="zhang", password="zhangpw1",
                        new_password="clerkpw12")
    assert schools.returncode == 2 and "无权" in schools.stderr


def test_an_audit_entry_edited_with_sqlite3_is_named_by_audit_verify(county):
    good = edubridge(county, "audit", "verify", "--json", user="boss", password="secret123")
    assert good.returncode == 0 and json.loads(good.stdout)["ok"]
    with sqlite3.connect(county) as c:
        victim = c.execute("SELECT id FROM audit_entry WHERE entity = 'app_user' ORDER BY id LIMIT 1").fetchone()[0]
        c.execute("UPDATE audit_entry SET actor = 'nobody' WHERE id = ?", (victim,))
    broken = edubridge(county, "audit", "verify", "--json", user="boss", password="secret123")
    verdict = json.loads(broken.stdout)
    assert broken.returncode == 1 and not verdict["ok"] and verdict["broken_id"] == victim
    text = edubridge(county, "audit", "verify", user="boss", password="secret123")
    assert f"第 {victim} 条" in text.stdout
    warned = edubridge(county, "stats", user="boss", password="secret123")  # the start-up check
    assert warned.returncode == 0 and "审计日志被改动" in warned.stderr


def test_password_change_from_the_command_line(county):
    changed = edubridge(county, "user", "passwd", "zhang", user="zhang", password="zhangpw1", new_password="newpw123")
    assert changed.returncode == 0, changed.stderr
    assert edubridge(county, "stats", user="zhang", password="zhangpw1").returncode == 2
    assert edubridge(county, "stats", user="zhang", password="newpw123").returncode == 0
