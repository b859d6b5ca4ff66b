"""Teachers' training hours (培训学时) from the records a county keeps — all or nothing, idempotent.

``edubridge import training FILE.xlsx [--dry-run]``. Headers: 身份证号, 培训项目, 完成日期, 学时 and
optionally 姓名 (checked against the roster), 乡村专项 (是/否: the rural teachers' and principals'
专项培训 of 海门2019计划 三(四)2). One record per teacher, day and course: a repeat in the file is
an error on both rows; in the store 学时 and 乡村专项 are updated in place, so re-importing an
export changes nothing. The hours feed ``policy.teacher_development`` (360 in five years).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.importing import (
    CellError,
    ImportProblem,
    RowReader,
    parse_bool,
    parse_date,
    parse_float,
    parse_text,
    read_sheet,
)
from db.models import Teacher, TrainingRecord
from db.register_import import RegisterImportResult, first_of_repeats, import_by_teacher, parsed
from db.roster_lookup import Roster, read_teacher
from db.store import Store
from policy.progress import Progress, quiet

ID, NAME, COURSE, DAY, HOURS, SPECIAL = "身份证号", "姓名", "培训项目", "完成日期", "学时", "乡村专项"
HEADERS = (ID, NAME, COURSE, DAY, HOURS, SPECIAL)
REQUIRED = (ID, COURSE, DAY, HOURS)
OPTIONAL = (NAME, SPECIAL)
EXAMPLE = ("640104198001010011", "张三", "国培计划乡村教师专项培训", dt.date(2024, 7, 20), 60, "是")
MAX_HOURS = 1000.0  # one record of more hours than this is a typing error, not a course


@dataclasses.dataclass(frozen=True, slots=True)
class TrainingRow:
    row: int
    teacher_id: uuid.UUID
    label: str  # 姓名（身份证号后四位）
    course: str
    day: dt.date
    hours: float
    special: bool

    @property
    def key(self) -> tuple[uuid.UUID, dt.date, str]:
        return (self.teacher_id, self.day, self.course)


def parse_hours(value: object) -> float | None:
    """学时: more than 0 and at most :data:`MAX_HOURS`; the GUI and the import share this rule."""
    hours = parse_float(value)
    if hours is not None and not 0 < hours <= MAX_HOURS:
        raise CellError(f"学时 {hours:g} 应大于 0 且不超过 {MAX_HOURS:g}")
    return hours


def label(teacher: tuple[uuid.UUID, str], number: str) -> str:
    """How a change names the row's teacher: 姓名（身份证号后四位）."""
    return f"{teacher[1]}（{number[-4:]}）"


def parse_rows(path: Path, teachers: Roster) -> tuple[str, list[TrainingRow], str | None]:
    name, sheet_rows = read_sheet(Path(path), REQUIRED, OPTIONAL, example=dict(zip(HEADERS, EXAMPLE)))
    problems: list[ImportProblem] = []
    rows: list[TrainingRow] = []
    first_row: dict[tuple[Any, ...], int] = {}
    for sheet_row in sheet_rows:
        reader = RowReader(name, sheet_row, problems)
        number, found = read_teacher(reader, teachers, ID, NAME, name_required=False)
        course = reader.cell(COURSE, parse_text, max_length=128)
        day = reader.cell(DAY, parse_date)
        if day is None and reader.ok:
            reader.fail(DAY, "不能为空")
        hours = reader.cell(HOURS, parse_hours)
        if hours is None and reader.ok:
            reader.fail(HOURS, "不能为空")
        special = reader.cell(SPECIAL, parse_bool)
        if reader.ok and found is not None and number is not None:
            row = TrainingRow(sheet_row.number, found[0], label(found, number), course, day, hours, bool(special))
            if first_of_repeats(reader, first_row, row.key, COURSE, "同一教师、完成日期和培训项目"):
                rows.append(row)
    return parsed(name, rows, problems, HEADERS, sheet_rows)


def _apply(session: Session, rows: list[TrainingRow], result: RegisterImportResult, write: bool) -> None:
    wanted = sorted({r.teacher_id for r in rows})
    stored = {(t.teacher_id, t.completed_on, t.course): t for t in session.scalars(
        select(TrainingRecord).where(TrainingRecord.teacher_id.in_(wanted)))} if rows else {}
    for row in rows:
        who = f"第{row.row}行 {row.label} {row.day.isoformat()} {row.course}"
        found = stored.get(row.key)
        if found is None:
            result.inserted += 1
            result.changes.append(f"{who}：新增 {row.hours:g}学时" + ("（乡村专项）" if row.special else ""))
            if write:
                session.add(TrainingRecord(teacher_id=row.teacher_id, completed_on=row.day, course=row.course,
                                           hours=row.hours, special=row.special))
            continue
        changed = [f"{label} {old} → {new}" for label, old, new in (
            (HOURS, f"{found.hours:g}", f"{row.hours:g}"),
            (SPECIAL, "是" if found.special else "否", "是" if row.special else "否")) if old != new]
        if not changed:
            result.unchanged += 1
            continue
        result.updated += 1
        result.changes.append(f"{who}：" + "、".join(changed))
        if write:
            found.hours, found.special = row.hours, row.special


def import_file(store: Store, path: Path, dry_run: bool = False,
                progress: Progress = quiet) -> RegisterImportResult:
    """The ``edubridge import training`` entry (db.importers.IMPORTERS): one transaction,
    nothing written on any error."""
    return import_by_teacher(store, path, parse_rows, _apply, "培训记录", "条", dry_run, progress)


def export_rows(store: Store) -> list[list[object]]:
    """Every training record in the template's columns, by teacher and day."""
    with store.read() as session:
        return [[number, name, course, day, hours, "是" if special else "否"]
                for number, name, course, day, hours, special in session.execute(
                    select(Teacher.id_number, Teacher.name, TrainingRecord.course, TrainingRecord.completed_on,
                           TrainingRecord.hours, TrainingRecord.special)
                    .join(Teacher, Teacher.id == TrainingRecord.teacher_id)
                    .order_by(Teacher.id_number, TrainingRecord.completed_on, TrainingRecord.course))]
