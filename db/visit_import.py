"""Batch entry of assistance activities: ``edubridge import visits FILE.xlsx [--dry-run]``.

One row per visitor per activity, headers 日期, 承办学校代码, 来访人员, 角色, 派出学校代码,
活动类型, 听课节数, 内容摘要. 派出学校代码 is left empty for researchers and bureau staff
(:data:`SCHOOLLESS_ROLES`), who belong to no school; every other role needs it.

Identity of an activity
    Rows with the same date, host school and activity type are one activity — in the file
    and in the store. Importing rows of an activity that is already stored adds the visitors
    it does not have yet (a visitor is the same when name and home school are the same) to
    the earliest stored activity with that date, host and type; visitors it already has are
    left untouched. So importing the same file twice changes nothing the second time (and
    writes no audit entry), and a second file with more visitors of the same day completes
    the activity rather than doubling it. That identity is also a unique key: an activity
    the import creates carries ``Visit.import_key`` (date|host|type) and each visitor it adds
    ``VisitParticipant.import_key`` (name|home school), and the comparison is redone under
    the import lock (:mod:`db.locks`), so two imports of one file at once store it once.

Lessons observed
    Each visitor row keeps its own 听课节数 (blank = 0), which lesson quotas sum per person;
    the activity's figure is the largest of its rows.

All or nothing: any bad cell → :class:`~db.importing.ImportFailed` naming file, row, column and
what is wrong, before anything is written. The load is one transaction audited as one entry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, select

from db import visit_tallies
from db.importers import READING, WRITING
from db.importing import (
    ImportFailed,
    ImportProblem,
    RowReader,
    iter_rows,
    parse_choice,
    parse_date,
    parse_int,
    parse_text,
    read_sheet,
    skipped_example_note,
    years_from_today,
)
from db.locks import write_serialised
from db.models import Posting, School, Teacher, Visit, VisitParticipant, utcnow
from db.store import Store
from policy import vocab
from policy.profile import Profile
from policy.progress import Progress, quiet

HEADERS = ("日期", "承办学校代码", "来访人员", "角色", "派出学校代码", "活动类型", "听课节数", "内容摘要")
REQUIRED = ("日期", "承办学校代码", "来访人员", "角色", "活动类型")
OPTIONAL = ("派出学校代码", "听课节数", "内容摘要")
# Sanity range of an activity's date (not a policy figure): the programmes began in the
# 2000s, and an activity is logged after it happens (a year ahead allows for planned ones).
EARLIEST = dt.date(2000, 1, 1)
SCHOOLLESS_ROLES = ("市级教研员", "县级教研员", "局领导", "机关干部")
# The template's example row: written by the template, skipped by the importer when left unchanged.
EXAMPLE = (dt.date(2025, 9, 15), "6401990002", "示例教师", "骨干教师", "6401990001", "送教", 2,
           "示例：语文示范课1节，听评课2节")

def notes(profile: Profile) -> tuple[str, ...]:
    """The template's 说明 sheet; the lesson minimums and their clauses come from ``profile``."""
    lessons = "；".join(f"{rule.label}每{'学期' if rule.period == 'semester' else '学年'}不少于{rule.minimum}节"
                       f"（{rule.clause}）" for rule in profile.quotas if rule.enabled and rule.measure == "lessons")
    return (
        "每行一位来访人员参加的一次活动；日期、承办学校代码、活动类型都相同的各行视为同一次活动。",
        "日期可写作 2025-09-01、2025/9/1、2025年9月1日 或 20250901。",
        f"派出学校代码：来访人员所在学校的学校代码；{'、'.join(SCHOOLLESS_ROLES)}不属于学校，留空。",
        f"角色可选：{'、'.join(vocab.VISITOR_ROLES)}。",
        f"活动类型可选：{'、'.join(vocab.ACTIVITY_TYPES)}。",
        "听课节数：该来访人员本次听课的节数，没有听课填 0 或留空" + (f"；{lessons}。" if lessons else "。"),
        "同一文件重复导入不会重复登记：已登记的活动中已有的来访人员（姓名和派出学校相同）会被跳过。",
        "任何一行有错误时整个文件都不会导入，错误信息会指出行号、列名和原因。",
    )


@dataclasses.dataclass(slots=True)
class _Row:
    number: int
    date: dt.date
    host: uuid.UUID
    name: str
    role: str
    home: uuid.UUID | None
    kind: str
    lessons: int
    summary: str | None


@dataclasses.dataclass(slots=True)
class VisitImportResult:
    """What an import did (or, with ``dry_run``, would do)."""

    file: str
    rows: int
    activities_new: int = 0
    activities_extended: int = 0
    visitors_added: int = 0
    visitors_present: int = 0  # already stored: skipped
    linked_to_teachers: int = 0
    dry_run: bool = False
    changes: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)  # said after the counts (a skipped example row)

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows, "activities_new": self.activities_new,
            "activities_extended": self.activities_extended, "visitors_added": self.visitors_added,
            "visitors_present": self.visitors_present, "linked_to_teachers": self.linked_to_teachers,
        }

    def summary(self) -> str:
        return self.describe()

    def describe(self) -> str:
        verb = "将导入" if self.dry_run else "已导入"
        return (f"{self.file}：{self.rows} 行；{verb}新活动 {self.activities_new} 次、补充已有活动 "
                f"{self.activities_extended} 次、来访人员 {self.visitors_added} 人次"
                f"（其中关联到教师档案 {self.linked_to_teachers} 人次）；已登记而跳过 {self.visitors_present} 人次"
                + "".join(f"；{note}" for note in self.notes))


def _school_codes(store: Store) -> dict[str, uuid.UUID]:
    with store.read() as session:
        return {code: sid for sid, code in session.execute(select(School.id, School.code))}


def read_rows(store: Store, path: Path) -> tuple[str, list[_Row], str | None]:
    """Parse and check every row; ImportFailed with every problem found.

    Returns the file name, the rows and the note on a skipped template example row (or None).
    """
    name, sheet_rows = read_sheet(Path(path), REQUIRED, OPTIONAL, example=dict(zip(HEADERS, EXAMPLE)))
    note = skipped_example_note(sheet_rows)
    codes = _school_codes(store)
    problems: list[ImportProblem] = []
    rows: list[_Row] = []
    first_seen: dict[tuple[Any, ...], int] = {}
    for reader in iter_rows(name, sheet_rows, problems):
        row = _read_row(reader, codes)
        if row is None:
            continue
        key = (row.date, row.host, row.kind, row.name, row.home)
        if key in first_seen:
            reader.fail("来访人员", f"“{row.name}”在同一活动中重复（与第{first_seen[key]}行相同）")
            continue
        first_seen[key] = row.number
        rows.append(row)
    if not sheet_rows:
        problems.append(ImportProblem(name, 0, "", "文件中没有数据行" + (f"：{note}" if note else "")))
    if problems:
        raise ImportFailed(problems)
    return name, rows, note


def _read_row(reader: RowReader, codes: dict[str, uuid.UUID]) -> _Row | None:
    date = reader.cell("日期", parse_date, earliest=EARLIEST, latest=years_from_today(1))
    if date is None and reader.ok:
        reader.fail("日期", "不能为空")
    host_code = reader.cell("承办学校代码", parse_text, max_length=32)
    host = codes.get(host_code) if host_code else None
    if host_code and host is None:
        reader.fail("承办学校代码", f"找不到学校代码“{host_code}”，请先导入学校")
    name = reader.cell("来访人员", parse_text, max_length=64)
    role = reader.cell("角色", parse_choice, vocab.VISITOR_ROLES)
    home_code = reader.cell("派出学校代码", parse_text, required=False, max_length=32)
    home = None
    if home_code:
        home = codes.get(home_code)
        if home is None:
            reader.fail("派出学校代码", f"找不到学校代码“{home_code}”")
    elif role and role not in SCHOOLLESS_ROLES:
        reader.fail("派出学校代码", f"角色为“{role}”时须填写来访人员所在学校的代码"
                                 f"（只有{'、'.join(SCHOOLLESS_ROLES)}留空）")
    kind = reader.cell("活动类型", parse_choice, vocab.ACTIVITY_TYPES)
    lessons = reader.cell("听课节数", parse_int, minimum=0)
    summary = reader.cell("内容摘要", parse_text, required=False)
    if not reader.ok or host is None:  # host is a required cell: reader.ok means it was read
        return None
    return _Row(reader.row.number, date, host, name, role, home, kind, lessons or 0, summary)


def _teacher_links(store: Store, rows: list[_Row]) -> dict[tuple[str, uuid.UUID], uuid.UUID]:
    """(name, school) → teacher id, when exactly one teacher of that name works at that school."""
    names = {r.name for r in rows if r.home is not None}
    if not names:
        return {}
    found: dict[tuple[str, uuid.UUID], set[uuid.UUID]] = defaultdict(set)
    with store.read() as session:
        query = (select(Teacher.id, Teacher.name, Posting.school_id)
                 .join(Posting, Posting.teacher_id == Teacher.id).where(Teacher.name.in_(names)))
        for tid, name, school in session.execute(query):
            found[(name, school)].add(tid)
    return {key: next(iter(ids)) for key, ids in found.items() if len(ids) == 1}


def import_file(store: Store, path: Path, dry_run: bool = False, *,
                progress: Progress = quiet) -> VisitImportResult:
    """The ``edubridge import visits`` entry (db.importers)."""
    return import_visits(store, path, dry_run=dry_run, progress=progress)


def import_visits(store: Store, path: Path, *, dry_run: bool = False,
                  progress: Progress = quiet) -> VisitImportResult:
    """Import a visit log (see module doc). Raises ImportFailed and writes nothing on any problem.

    The comparison with the store is done again under the import lock (db.locks) before
    anything is written, and the activities and visitors it creates carry unique import
    keys: two imports of the same file at once store it once.
    """
    progress(*READING)
    name, rows, note = read_rows(store, path)
    links = _teacher_links(store, rows)
    with store.read() as session:
        host_names = dict(session.execute(select(School.id, School.name)).all())
        preview = _compare(session.connection(), store, name, rows, note, links, host_names, dry_run)
    if dry_run or not preview.changes:
        return preview.result
    progress(*WRITING)
    done = write_serialised(
        lambda p: store.bulk("visit", f"导入帮扶活动 {name}：{p.result.describe()}"),
        preview,
        lambda connection: _compare(connection, store, name, rows, note, links, host_names, False),
        _write,
        progress,
    )
    return done.result


@dataclasses.dataclass(slots=True)
class _Plan:
    """What a visit import writes, and the result it reports (``changes``/``notes`` are the result's)."""

    result: VisitImportResult
    new_visits: list[dict[str, Any]]
    new_people: list[dict[str, Any]]
    updates: list[dict[str, Any]]

    @property
    def changes(self) -> list[str]:
        return self.result.changes

    @property
    def notes(self) -> list[str]:
        return self.result.notes


def activity_key(date: dt.date, host: uuid.UUID, kind: str) -> str:
    """``Visit.import_key``: the import's identity of an activity."""
    return f"{date.isoformat()}|{host.hex}|{kind}"


def visitor_key(name: str, home: uuid.UUID | None) -> str:
    """``VisitParticipant.import_key``: the import's identity of a visitor within an activity."""
    return f"{name}|{home.hex if home else ''}"


def _compare(connection: Connection, store: Store, name: str, rows: list[_Row], note: str | None,
             links: dict[tuple[str, uuid.UUID], uuid.UUID], host_names: dict[uuid.UUID, str], dry_run: bool) -> _Plan:
    """The file's rows against the stored activities as ``connection`` sees them."""
    result = VisitImportResult(file=name, rows=len(rows), dry_run=dry_run, notes=[note] if note else [])
    groups: dict[tuple[dt.date, uuid.UUID, str], list[_Row]] = defaultdict(list)
    for row in rows:
        groups[(row.date, row.host, row.kind)].append(row)
    dates = [key[0] for key in groups]
    existing: dict[tuple[dt.date, uuid.UUID, str], tuple[uuid.UUID, int, str | None]] = {}
    present: dict[uuid.UUID, set[tuple[str, uuid.UUID | None]]] = defaultdict(set)
    if dates:
        query = (select(Visit.id, Visit.date, Visit.host_school_id, Visit.activity_type, Visit.lessons, Visit.summary)
                 .where(Visit.date >= min(dates), Visit.date <= max(dates)).order_by(Visit.created_at, Visit.id))
        for vid, date, host, kind, lessons, summary in connection.execute(query):
            if (date, host, kind) in groups:
                existing.setdefault((date, host, kind), (vid, lessons or 0, summary))
        ids = [v[0] for v in existing.values()]
        for start in range(0, len(ids), 500):
            people = select(VisitParticipant.visit_id, VisitParticipant.name, VisitParticipant.home_school_id).where(
                VisitParticipant.visit_id.in_(ids[start:start + 500]))
            for vid, pname, home in connection.execute(people):
                present[vid].add((pname, home))
    now = utcnow()
    new_visits: list[dict[str, Any]] = []
    new_people: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for key, group in groups.items():
        stored = existing.get(key)
        if stored is None:
            visit_id = uuid.uuid4()
            seen: set[tuple[str, uuid.UUID | None]] = set()
            summaries = list(dict.fromkeys(r.summary for r in group if r.summary))
            new_visits.append({
                "id": visit_id, "date": key[0], "host_school_id": key[1], "activity_type": key[2],
                "lessons": max(r.lessons for r in group), "summary": "；".join(summaries) or None,
                "entered_by": store.actor.username, "import_key": activity_key(*key),
                "created_at": now, "updated_at": now,
            })
            result.activities_new += 1
        else:
            visit_id, old_lessons, old_summary = stored
            seen = present[visit_id]
        added = 0
        added_names: list[str] = []
        for row in group:
            if (row.name, row.home) in seen:
                result.visitors_present += 1
                continue
            seen.add((row.name, row.home))
            teacher = links.get((row.name, row.home)) if row.home else None
            result.linked_to_teachers += teacher is not None
            new_people.append({
                "id": uuid.uuid4(), "visit_id": visit_id, "name": row.name, "role": row.role,
                "home_school_id": row.home, "teacher_id": teacher, "lessons": row.lessons,
                "import_key": visitor_key(row.name, row.home), "created_at": now, "updated_at": now,
            })
            added += 1
            added_names.append(row.name)
        result.visitors_added += added
        if added:
            who = "、".join(added_names)
            verb = "新增活动" if stored is None else "补充活动"
            result.changes.append(f"{verb} {key[0].isoformat()} {host_names.get(key[1], '')} {key[2]}：{who}")
        if stored is not None and added:
            result.activities_extended += 1
            new_rows = group
            texts = [old_summary] if old_summary else []
            texts += [r.summary for r in new_rows if r.summary and (not old_summary or r.summary not in old_summary)]
            updates.append({"b_id": visit_id, "b_lessons": max([old_lessons] + [r.lessons for r in new_rows]),
                            "b_summary": "；".join(dict.fromkeys(texts)) or None, "b_now": now})
    return _Plan(result, new_visits, new_people, updates)


def _write(connection: Connection, plan: _Plan) -> None:
    visit_table, people_table = Visit.__table__, VisitParticipant.__table__
    touched = [row["id"] for row in plan.new_visits] + [row["b_id"] for row in plan.updates]
    keep = len(touched) <= visit_tallies.INCREMENTAL_LIMIT  # else: stale, rebuilt on the next read
    pending = visit_tallies.before_change(connection, [row["b_id"] for row in plan.updates]) if keep else None
    if plan.new_visits:
        connection.execute(visit_table.insert(), plan.new_visits)
    if plan.new_people:
        for start in range(0, len(plan.new_people), 5000):
            connection.execute(people_table.insert(), plan.new_people[start:start + 5000])
    if plan.updates:
        connection.execute(
            visit_table.update().where(visit_table.c.id == bindparam("b_id")).values(
                lessons=bindparam("b_lessons"), summary=bindparam("b_summary"), updated_at=bindparam("b_now")),
            plan.updates,
        )
    visit_tallies.after_change(connection, pending, touched)  # every extended activity is in updates


# ---------------------------------------------------------------------------------------
# Export rows (reports.visit_tables writes them; same columns, so an export re-imports unchanged)
# ---------------------------------------------------------------------------------------


def export_rows(store: Store, first: dt.date | None = None, last: dt.date | None = None) -> list[list[Any]]:
    """Rows in import layout for the activities dated ``first``..``last`` (all when None)."""
    host = School.__table__.alias("host")
    home = School.__table__.alias("home")
    v, p = Visit.__table__.c, VisitParticipant.__table__.c
    query = (
        select(v.date, host.c.code, p.name, p.role, home.c.code, v.activity_type, p.lessons, v.lessons, v.summary)
        .select_from(Visit.__table__.join(VisitParticipant.__table__, p.visit_id == v.id)
                     .join(host, host.c.id == v.host_school_id).outerjoin(home, home.c.id == p.home_school_id))
        .order_by(v.date, host.c.code, v.activity_type, p.name)
    )
    if first:
        query = query.where(v.date >= first)
    if last:
        query = query.where(v.date <= last)
    with store.read() as session:
        return [
            [date, host_code, name, role, home_code or "", kind, own if own is not None else lessons, summary or ""]
            for date, host_code, name, role, home_code, kind, own, lessons, summary in session.execute(query)
        ]
