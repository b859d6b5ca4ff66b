"""种子教师 / 榜样教师 of the rural schools (海门2019计划 三(五)3) — all or nothing, idempotent.

``edubridge import designations FILE.xlsx [--dry-run]``. Headers: 身份证号, 称号 (种子教师 or
榜样教师), 开始日期 and optionally 姓名 (checked against the roster), 结束日期. One designation per
teacher, 称号 and 开始日期: a repeat in the file is an error on both rows; in the store 结束日期 is
updated in place (that is how a designation ends), so re-importing an export changes nothing.
A teacher counts for the school holding their personnel relationship on the checked day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.importing import ImportProblem, RowReader, parse_choice, parse_date, read_sheet
from db.models import Teacher, TeacherDesignation
from db.register_import import RegisterImportResult, first_of_repeats, import_by_teacher, parsed
from db.roster_lookup import Roster, read_teacher
from db.store import Store
from db.training_import import ID, NAME, label
from policy import vocab
from policy.progress import Progress, quiet

KIND, START, END = "称号", "开始日期", "结束日期"
HEADERS = (ID, NAME, KIND, START, END)
REQUIRED = (ID, KIND, START)
OPTIONAL = (NAME, END)
EXAMPLE = ("640104198001010011", "张三", "种子教师", dt.date(2024, 9, 1), None)


@dataclasses.dataclass(frozen=True, slots=True)
class DesignationRow:
    row: int
    teacher_id: uuid.UUID
    label: str
    kind: str
    start: dt.date
    end: dt.date | None


def parse_rows(path: Path, teachers: Roster) -> tuple[str, list[DesignationRow], str | None]:
    name, sheet_rows = read_sheet(Path(path), REQUIRED, OPTIONAL, example=dict(zip(HEADERS, EXAMPLE)))
    problems: list[ImportProblem] = []
    rows: list[DesignationRow] = []
    first_row: dict[tuple[Any, ...], int] = {}
    for sheet_row in sheet_rows:
        reader = RowReader(name, sheet_row, problems)
        number, found = read_teacher(reader, teachers, ID, NAME, name_required=False)
        kind = reader.cell(KIND, parse_choice, vocab.DESIGNATIONS)
        start = reader.cell(START, parse_date)
        if start is None and reader.ok:
            reader.fail(START, "不能为空")
        end = reader.cell(END, parse_date)
        if start is not None and end is not None and end < start:
            reader.fail(END, f"结束日期 {end.isoformat()} 早于开始日期 {start.isoformat()}")
        if reader.ok and found is not None and number is not None and first_of_repeats(
                reader, first_row, (found[0], kind, start), KIND, "同一教师、称号和开始日期"):
            rows.append(DesignationRow(sheet_row.number, found[0], label(found, number), kind, start, end))
    return parsed(name, rows, problems, HEADERS, sheet_rows)


def _apply(session: Session, rows: list[DesignationRow], result: RegisterImportResult, write: bool) -> None:
    stored = {(d.teacher_id, d.kind, d.start): d for d in session.scalars(select(TeacherDesignation))}
    for row in rows:
        who = f"第{row.row}行 {row.label} {row.kind}"
        found = stored.get((row.teacher_id, row.kind, row.start))
        if found is None:
            result.inserted += 1
            result.changes.append(f"{who}：新增，{row.start.isoformat()}起" + (f"至{row.end.isoformat()}" if row.end else ""))
            if write:
                session.add(TeacherDesignation(teacher_id=row.teacher_id, kind=row.kind, start=row.start,
                                               end_on=row.end))
        elif found.end_on != row.end:
            result.updated += 1
            result.changes.append(f"{who}：结束日期 {found.end_on or '（无）'} → {row.end or '（无）'}")
            if write:
                found.end_on = row.end
        else:
            result.unchanged += 1


def import_file(store: Store, path: Path, dry_run: bool = False,
                progress: Progress = quiet) -> RegisterImportResult:
    """The ``edubridge import designations`` entry (db.importers.IMPORTERS): one transaction,
    nothing written on any error."""
    return import_by_teacher(store, path, parse_rows, _apply, "种子教师、榜样教师", "人次", dry_run, progress)


def export_rows(store: Store) -> list[list[object]]:
    with store.read() as session:
        return [list(r) for r in session.execute(
            select(Teacher.id_number, Teacher.name, TeacherDesignation.kind, TeacherDesignation.start,
                   TeacherDesignation.end_on)
            .join(Teacher, Teacher.id == TeacherDesignation.teacher_id)
            .order_by(Teacher.id_number, TeacherDesignation.kind, TeacherDesignation.start))]
