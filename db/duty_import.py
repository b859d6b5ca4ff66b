"""The duty register (帮扶责任人) from a clerk's spreadsheet — all or nothing.

``edubridge import duties FILE.xlsx [--dry-run]``. Headers: 姓名, 角色, 开始日期 and optionally
所在学校代码, 包抓县区, 结束日期, 备注. Who owes visits comes from the role (POLICY.md §7): a
registered person has a row on the quota board every period from 开始日期 until 结束日期,
whether or not they logged anything.

* 角色 is one of :data:`policy.vocab.VISITOR_ROLES`; 所在学校代码 is required except for the
  roles that belong to no school (教研员, 局领导, 机关干部).
* 包抓县区 (a region's name or 6-digit code) limits where a researcher's activities count.
* Identity: 姓名 + 角色 + 所在学校 — a repeat in the file is an error on both rows; in the store the
  entry is updated in place (an entry added from the activity log becomes a registered one).
  Re-importing an export changes nothing.

Any problem → :class:`~db.importing.ImportFailed` with file, row and column, nothing written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.duty_holders import REGISTERED, duty_key
from db.importing import (
    ImportProblem,
    RowReader,
    normal_text,
    parse_choice,
    parse_date,
    parse_text,
    read_sheet,
)
from db.models import DutyHolder, Posting, Region, School, Teacher
from db.register_import import RegisterImportResult, first_of_repeats, parsed, run_import
from db.store import Store
from db.visits import SCHOOLLESS_ROLES
from policy import vocab
from policy.progress import Progress, quiet

NAME, ROLE, SCHOOL, COUNTY, START, END, NOTES = "姓名", "角色", "所在学校代码", "包抓县区", "开始日期", "结束日期", "备注"
HEADERS = (NAME, ROLE, SCHOOL, COUNTY, START, END, NOTES)
REQUIRED = (NAME, ROLE, START)
OPTIONAL = (SCHOOL, COUNTY, END, NOTES)
EXAMPLE = ("示例教研员", "市级教研员", "", "示例县", dt.date(2025, 9, 1), None, "")


@dataclasses.dataclass(frozen=True, slots=True)
class DutyRow:
    row: int
    name: str
    role: str
    school_id: uuid.UUID | None
    school_code: str
    county_id: uuid.UUID | None
    start: dt.date
    end: dt.date | None
    notes: str | None


def parse_rows(path: Path, schools: dict[str, uuid.UUID], regions: dict[str, uuid.UUID]) -> tuple[str, list[DutyRow], str | None]:
    """Read and check every row (``schools``: code → id; ``regions``: name and code → id)."""
    name, sheet_rows = read_sheet(Path(path), REQUIRED, OPTIONAL, example=dict(zip(HEADERS, EXAMPLE)))
    problems: list[ImportProblem] = []
    rows: list[DutyRow] = []
    first_row: dict[str, int] = {}
    for sheet_row in sheet_rows:
        reader = RowReader(name, sheet_row, problems)
        person = reader.cell(NAME, parse_text, max_length=64)
        role = reader.cell(ROLE, parse_choice, vocab.VISITOR_ROLES)
        code = normal_text(sheet_row.get(SCHOOL))
        school_id = None
        if code:
            school_id = schools.get(code)
            if school_id is None:
                reader.fail(SCHOOL, f"学校名单中没有代码为 {code} 的学校")
        elif role is not None and role not in SCHOOLLESS_ROLES:
            reader.fail(SCHOOL, f"{role}须填写所在学校代码；只有{'、'.join(SCHOOLLESS_ROLES)}可以不填")
        county_text = normal_text(sheet_row.get(COUNTY))
        county_id = None
        if county_text:
            county_id = regions.get(county_text)
            if county_id is None:
                reader.fail(COUNTY, f"没有名称或代码为“{county_text}”的县区")
        start = reader.cell(START, parse_date)
        if start is None and reader.ok:
            reader.fail(START, "不能为空")
        end = reader.cell(END, parse_date)
        if start is not None and end is not None and end < start:
            reader.fail(END, f"结束日期 {end.isoformat()} 早于开始日期 {start.isoformat()}")
        notes = reader.cell(NOTES, parse_text, required=False, max_length=500)
        if person and role:
            first_of_repeats(reader, first_row, duty_key(person, role, school_id), NAME, "同一姓名、角色、学校")
        if reader.ok:
            rows.append(DutyRow(sheet_row.number, person, role, school_id, code, county_id, start, end, notes))
    return parsed(name, rows, problems, HEADERS, sheet_rows)


def _teacher(session: Session, name: str, school_id: uuid.UUID | None) -> uuid.UUID | None:
    if school_id is None:
        return None
    ids = set(session.scalars(select(Teacher.id).join(Posting, Posting.teacher_id == Teacher.id)
                              .where(Teacher.name == name, Posting.school_id == school_id)))
    return next(iter(ids)) if len(ids) == 1 else None


def _apply(session: Session, rows: list[DutyRow], result: RegisterImportResult, write: bool) -> None:
    keys = [duty_key(r.name, r.role, r.school_id) for r in rows]
    stored = {d.key: d for d in session.scalars(select(DutyHolder).where(DutyHolder.key.in_(keys)))} if keys else {}
    for key, row in zip(keys, rows):
        who = f"第{row.row}行 {row.name}（{row.role}{'，' + row.school_code if row.school_code else ''}）"
        duty = stored.get(key)
        values = {"county_id": row.county_id, "start": row.start, "end_on": row.end, "notes": row.notes,
                  "source": REGISTERED}
        if duty is None:
            result.inserted += 1
            result.changes.append(f"{who}：新增帮扶责任人，{row.start.isoformat()}起"
                                  + (f"至{row.end.isoformat()}" if row.end else ""))
            if write:
                session.add(DutyHolder(id=uuid.uuid4(), key=key, name=row.name, role=row.role,
                                       home_school_id=row.school_id,
                                       teacher_id=_teacher(session, row.name, row.school_id), **values))
            continue
        # A row that says what is stored leaves the record as it is (an exported register imports
        # back unchanged); a row that changes it makes it the clerk's (source 登记).
        changed = [label for field, label in (("county_id", COUNTY), ("start", START), ("end_on", END),
                                              ("notes", NOTES))
                   if getattr(duty, field) != values[field]]
        if not changed:
            result.unchanged += 1
            continue
        result.updated += 1
        result.changes.append(f"{who}：更新{'、'.join(changed)}")
        if write:
            for field, value in values.items():
                setattr(duty, field, value)


def import_duties(store: Store, path: Path, *, dry_run: bool = False,
                  progress: Progress = quiet) -> RegisterImportResult:
    """Import or update the register in ``path``; one transaction, nothing written on any error."""

    def parse(session: Session, file: Path) -> tuple[str, list[DutyRow], str | None]:
        schools = dict(session.execute(select(School.code, School.id)).all())
        regions: dict[str, uuid.UUID] = {}
        for rid, code, rname in session.execute(select(Region.id, Region.code, Region.name)):
            regions[code], regions[rname] = rid, rid
        return parse_rows(file, schools, regions)

    return run_import(store, path, parse, _apply, "帮扶责任人", "人", dry_run, progress)


def import_file(store: Store, path: Path, dry_run: bool = False, *,
                progress: Progress = quiet) -> RegisterImportResult:
    """The ``edubridge import duties`` entry (db.importers)."""
    return import_duties(store, path, dry_run=dry_run, progress=progress)
