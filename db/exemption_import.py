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

from db.importers import COMMITTING, READING, WRITING
from db.importing import (
    CellError,
    ImportFailed,
    ImportProblem,
    RowReader,
    is_blank,
    normal_text,
    parse_choice,
    parse_date,
    read_sheet,
    skipped_example_note,
    years_from_today,
)
from db.locks import hold_write_lock, retrying
from db.models import Exemption, Teacher
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


@dataclasses.dataclass(slots=True)
class ExemptionImportResult:
    """What an import did (or, with ``dry_run``, would do)."""

    file: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    changes: list[str] = dataclasses.field(default_factory=list)  # one line per added or changed exemption
    notes: list[str] = dataclasses.field(default_factory=list)  # said after the counts (a skipped example row)

    def counts(self) -> dict[str, int]:
        """The figures ``edubridge import exemptions --json`` prints."""
        return {"rows": self.rows, "inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged}

    def summary(self) -> str:
        return self.describe()

    def describe(self) -> str:
        verb = "将" if self.dry_run else "已"
        return (f"{self.file}：{self.rows} 行；{verb}新增免交流登记 {self.inserted} 条，更新 {self.updated} 条，"
                f"{self.unchanged} 条无变化"
                + "".join(f"；{note}" for note in self.notes))


def _reason(value: Any) -> str | None:
    text = normal_text(value).replace(" ", "")
    return parse_choice(REASON_ALIASES.get(text, text), REASONS)


def _date(value: Any) -> dt.date | None:
    return parse_date(value, earliest=EARLIEST, latest=years_from_today(10))


def _evidence(value: Any) -> str:
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
    first_row: dict[tuple[str, str, dt.date], int] = {}
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
            key = (number, reason, start)
            previous = first_row.get(key)
            if previous is not None:
                message = f"与第{{}}行重复（同一教师、同一免交流情形、同一开始日期 {start.isoformat()}）"
                reader.fail(ID, message.format(previous))
                problems.append(ImportProblem(name, previous, ID, message.format(sheet_row.number)))
            else:
                first_row[key] = sheet_row.number
        if reader.ok and teacher is not None and number is not None:  # a teacher is found by number
            rows.append(ExemptionRow(sheet_row.number, teacher[0], number, teacher[1], reason, evidence, start, end))
    if problems:
        problems.sort(key=lambda p: (p.row, HEADERS.index(p.column) if p.column in HEADERS else 99))
        raise ImportFailed(problems)
    return name, rows, skipped_example_note(sheet_rows)


def _span(start: dt.date, end: dt.date | None) -> str:
    return f"{start.isoformat()}至{end.isoformat() if end else '今'}"


def _apply(session: Any, rows: list[ExemptionRow], result: ExemptionImportResult, write: bool) -> None:
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
                      progress: Progress = quiet) -> ExemptionImportResult:
    """Import or update the exemptions in ``path``; one transaction, nothing written on any error.

    With ``dry_run`` every check runs and the changes are listed, but nothing is written.
    When nothing would change, no transaction is opened and no audit entry is written.

    Raises:
        ImportFailed: every problem of the file, with file, row and column.
        Cancelled: ``progress`` stopped the work; nothing written.
    """
    progress(*READING)
    with store.read() as session:
        roster = {number: (tid, name) for tid, number, name in
                  session.execute(select(Teacher.id, Teacher.id_number, Teacher.name))}
        file_name, rows, note = parse_rows(Path(path), roster)
        result = ExemptionImportResult(file=file_name, rows=len(rows), dry_run=dry_run, notes=[note] if note else [])
        _apply(session, rows, result, write=False)
    if dry_run or not (result.inserted or result.updated):
        return result
    progress(*WRITING)

    def attempt() -> ExemptionImportResult:
        """The lock first, then the comparison again: a second import of the same file waits,
        then finds these exemptions stored (the unique key backs this up)."""
        checked = ExemptionImportResult(file=file_name, rows=len(rows), notes=list(result.notes))
        with store.write(f"导入免交流登记 {file_name}：{result.summary()}") as session:
            hold_write_lock(session.connection())
            _apply(session, rows, checked, write=True)
            session.flush()
            progress(*COMMITTING)
        return checked

    return retrying(attempt)


def import_file(store: Store, path: Path, dry_run: bool = False, *,
                progress: Progress = quiet) -> ExemptionImportResult:
    """The ``edubridge import exemptions`` entry (db.importers)."""
    return import_exemptions(store, path, dry_run=dry_run, progress=progress)
