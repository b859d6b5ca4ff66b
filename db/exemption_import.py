"""The exemption register (免交流登记) from a clerk's spreadsheet — all or nothing.

``edubridge import exemptions FILE.xlsx [--dry-run]``. Headers: 身份证号, 姓名, 免交流情形,
证明材料, 开始日期 and optionally 结束日期 (blank: open-ended). Eligibility
(:func:`db.teachers.store_eligibility`) exempts a teacher whose registered exemption is in
force on the school year's reference date.

* The ID number must be a valid number (a lowercase x is accepted) of a teacher already in
  the roster; 姓名 must be that teacher's stored name (a mismatch names both — the usual
  sign of a row typed against the wrong number).
* 免交流情形 is one of :data:`policy.vocab.EXEMPTION_REASONS`. Fewer than N years to
  retirement is computed by the rules from the birth date (profile figure
  ``exchange.retirement_exempt_years``); registering it is accepted but rarely needed.
* 证明材料 (the evidence, e.g. 医院诊断证明) and 开始日期 are required; 结束日期 must not be
  before 开始日期.

Identity: an exemption is the same when teacher, 免交流情形 and 开始日期 are the same — in
the file (a repeat is an error on both rows) and in the store, where the evidence and end
date are updated in place. Re-importing the same file (or an export) changes nothing and
writes no audit entry.

Any problem → :class:`~db.importing.ImportFailed` listing every problem with file, row and
column, nothing written. The writes go through :meth:`Store.write` in one transaction, so
every inserted or changed exemption is in the audit log with its before and after values.
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
    is_blank,
    normal_text,
    parse_choice,
    parse_date,
    read_sheet,
    years_from_today,
)
from db.models import Exemption, Teacher
from db.register_import import RegisterImportResult, first_of_repeats, parsed, run_import
from db.roster_lookup import read_teacher
from db.store import Store
from policy import vocab
from policy.idcard import make_id_number
from policy.progress import Progress, quiet

ID, NAME, REASON, EVIDENCE, START, END = "身份证号", "姓名", "免交流情形", "证明材料", "开始日期", "结束日期"
HEADERS = (ID, NAME, REASON, EVIDENCE, START, END)
REQUIRED = (ID, NAME, REASON, EVIDENCE, START)
OPTIONAL = (END,)
REASONS = vocab.EXEMPTION_REASONS
# The template's example row: the roster template's made-up teacher (an ID number of no real
# county), written by the template and skipped by the importer when left unchanged.
EXAMPLE = (
    make_id_number("640199", dt.date(1985, 3, 12), 123), "示例教师", "患病", "县人民医院诊断证明及病休审批表",
    dt.date(2025, 9, 1), dt.date(2026, 1, 31),
)
# What clerks write for a reason → the registered word.
REASON_ALIASES = {
    "怀孕": "孕期", "孕产期": "孕期", "哺乳": "哺乳期", "疾病": "患病", "病休": "患病", "生病": "患病",
    "特色项目领衔": "特色项目领衔教师", "距退休不足3年": "距退休不足规定年限", "临近退休": "距退休不足规定年限",
}
EVIDENCE_MAX = 500
EARLIEST = dt.date(1950, 1, 1)


@dataclasses.dataclass(frozen=True, slots=True)
class ExemptionRow:
    """One valid row, ready to write."""

    row: int
    teacher_id: uuid.UUID
    id_number: str
    name: str
    reason: str
    evidence: str
    start: dt.date
    end: dt.date | None


def _reason(value: object) -> str | None:
    text = normal_text(value).replace(" ", "")
    return parse_choice(REASON_ALIASES.get(text, text), REASONS)


def _date(value: object) -> dt.date | None:
    return parse_date(value, earliest=EARLIEST, latest=years_from_today(10))


def _evidence(value: object) -> str:
    """Free text kept as typed: no NFKC folding, which would turn “，（）” into “,()” and
    make every re-import of an export look like a change."""
    text = value.strip() if isinstance(value, str) else normal_text(value)
    if not text:
        raise CellError("不能为空（写明依据，如医院诊断证明）")
    if len(text) > EVIDENCE_MAX:
        raise CellError(f"长度超过 {EVIDENCE_MAX} 个字")
    return text


def parse_rows(path: Path, roster: dict[str, tuple[uuid.UUID, str]]) -> tuple[str, list[ExemptionRow], str | None]:
    """Read and check every row against ``roster`` (ID number → teacher id, stored name).

    Returns the file name, the valid rows and the note on a skipped template example row.

    Raises:
        ImportFailed: unreadable file, missing headers, or any bad row.
    """
    name, sheet_rows = read_sheet(Path(path), REQUIRED, OPTIONAL, example=dict(zip(HEADERS, EXAMPLE)))
    problems: list[ImportProblem] = []
    rows: list[ExemptionRow] = []
    first_row: dict[Any, int] = {}
    for sheet_row in sheet_rows:
        reader = RowReader(name, sheet_row, problems)
        number, teacher = read_teacher(reader, roster, ID, NAME)
        reason = reader.cell(REASON, _reason)
        evidence = reader.cell(EVIDENCE, _evidence)
        start = reader.cell(START, _date)
        if start is None and is_blank(sheet_row.get(START)):
            reader.fail(START, "不能为空")
        end = reader.cell(END, _date)
        if start is not None and end is not None and end < start:
            reader.fail(END, f"结束日期 {end.isoformat()} 早于开始日期 {start.isoformat()}")
        if number is not None and reason is not None and start is not None:
            first_of_repeats(reader, first_row, (number, reason, start), ID,
                             f"同一教师、同一免交流情形、同一开始日期 {start.isoformat()}")
        if reader.ok and teacher is not None and number is not None:  # a teacher is found by number
            rows.append(ExemptionRow(sheet_row.number, teacher[0], number, teacher[1], reason, evidence, start, end))
    return parsed(name, rows, problems, HEADERS, sheet_rows)


def _span(start: dt.date, end: dt.date | None) -> str:
    return f"{start.isoformat()}至{end.isoformat() if end else '今'}"


def _apply(session: Session, rows: list[ExemptionRow], result: RegisterImportResult, write: bool) -> None:
    """Compare the rows with the stored exemptions; with ``write``, add and update them."""
    teacher_ids = {row.teacher_id for row in rows}
    stored: dict[uuid.UUID, list[Exemption]] = {}
    ids = list(teacher_ids)
    for begin in range(0, len(ids), 500):
        query = (select(Exemption).where(Exemption.teacher_id.in_(ids[begin:begin + 500]))
                 .order_by(Exemption.created_at, Exemption.id))
        for exemption in session.scalars(query):
            stored.setdefault(exemption.teacher_id, []).append(exemption)
    for row in rows:
        own = stored.get(row.teacher_id, [])
        match = next((e for e in own if e.reason == row.reason and e.start == row.start), None)
        who = f"第{row.row}行 {row.name}（{row.id_number}）"
        if match is None:
            overlap = [e for e in own if e.start <= (row.end or dt.date.max) and row.start <= (e.end_on or dt.date.max)]
            line = f"{who}：新增免交流登记 {row.reason}（{_span(row.start, row.end)}）"
            if overlap:
                line += "；与已登记的" + "、".join(f"{e.reason}（{_span(e.start, e.end_on)}）" for e in overlap) + "时间重叠"
            result.changes.append(line)
            result.inserted += 1
            if write:
                exemption = Exemption(teacher_id=row.teacher_id, reason=row.reason, evidence=row.evidence,
                                      start=row.start, end_on=row.end)
                session.add(exemption)
                own.append(exemption)
            continue
        what = []
        if match.evidence != row.evidence:
            what.append(f"证明材料改为“{row.evidence}”")
        if match.end_on != row.end:
            what.append(f"结束日期 {match.end_on.isoformat() if match.end_on else '（无）'} → "
                        f"{row.end.isoformat() if row.end else '（无）'}")
        if not what:
            result.unchanged += 1
            continue
        result.updated += 1
        result.changes.append(f"{who}：{row.reason}（{row.start.isoformat()}起）" + "，".join(what))
        if write:
            match.evidence, match.end_on = row.evidence, row.end


def import_exemptions(store: Store, path: Path, *, dry_run: bool = False,
                      progress: Progress = quiet) -> RegisterImportResult:
    """Import or update the exemptions in ``path``; one transaction, nothing written on any error.

    With ``dry_run`` every check runs and the changes are listed, but nothing is written.
    When nothing would change, no transaction is opened and no audit entry is written. The
    write takes the import lock and compares again: a second import of the same file waits,
    then finds these exemptions stored (the unique key backs this up).

    Raises:
        ImportFailed: every problem of the file, with file, row and column.
        Cancelled: ``progress`` stopped the work; nothing written.
    """

    def parse(session: Session, file: Path) -> tuple[str, list[ExemptionRow], str | None]:
        roster = {number: (tid, name) for tid, number, name in
                  session.execute(select(Teacher.id, Teacher.id_number, Teacher.name))}
        return parse_rows(file, roster)

    return run_import(store, path, parse, _apply, "免交流登记", "条", dry_run, progress, locked=True)


def import_file(store: Store, path: Path, dry_run: bool = False, *,
                progress: Progress = quiet) -> RegisterImportResult:
    """The ``edubridge import exemptions`` entry (db.importers)."""
    return import_exemptions(store, path, dry_run=dry_run, progress=progress)
