"""Exchanges of every form (交流记录) from a clerk's spreadsheet — all or nothing, idempotent.

``edubridge import exchanges FILE.xlsx [--dry-run]``. Headers: 身份证号, 姓名, 原单位,
交流单位, 交流形式, 开始日期, 结束日期, 是否调动人事关系, 备注 — the national registry's six
fields (形式, 人事关系, 开始, 结束, 原单位, 交流单位) plus who and why. 原单位 / 交流单位 are
a school code or a school name.

Refused, with file, row and column: an unknown teacher (or a name that is not his), an
unknown or ambiguous school, a form outside vocab.EXCHANGE_FORMS, 交流单位 equal to 原单位,
an end before the start, 是否调动人事关系 = 是 for a form
whose profile rules say the relationship stays, a form against its enforced direction
(跟岗 runs from a rural school to a more urban one), and a teacher in two exchanges at once —
in the file or with one already recorded (several 走教 schools at once are one teacher's
走教, and allowed).

Identity: teacher, 交流单位, 交流形式 and 开始日期. A row matching a recorded exchange
updates its end (an early end or an extension, with its event) and its 备注; 原单位 or
人事关系 of a recorded exchange cannot change (cancel it instead). Importing the same file
again, or an export, changes nothing and writes no audit entry. New rows are recorded as
approved exchanges and carried out at once (db.exchanges.materialise) in one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from db.bulk import insert_rows
from db.exchanges import approval_events, materialise, posting_kind, term_note
from db.importers import COMMITTING, READING, WRITING
from db.importing import (
    CellError,
    ImportFailed,
    ImportProblem,
    RowReader,
    SheetRow,
    is_blank,
    normal_text,
    parse_bool,
    parse_date,
    read_sheet,
    skipped_example_note,
)
from db.models import Exchange, ExchangeEvent, Posting, School, Teacher, utcnow
from db.register_import import RegisterImportResult
from db.roster_lookup import read_teacher
from db.store import Store
from policy import vocab
from policy.calendar import Span, school_year_of
from policy.exchange_forms import direction_problem, took_effect
from policy.idcard import make_id_number
from policy.profile import Profile
from policy.progress import Progress, quiet

ID, NAME, SOURCE, TARGET, FORM, START, END, PERSONNEL, NOTES = (
    "身份证号", "姓名", "原单位", "交流单位", "交流形式", "开始日期", "结束日期", "是否调动人事关系", "备注")
HEADERS = (ID, NAME, SOURCE, TARGET, FORM, START, END, PERSONNEL, NOTES)
REQUIRED = (ID, NAME, SOURCE, TARGET, FORM, START)
OPTIONAL = (END, PERSONNEL, NOTES)
# What clerks write for a form → the registered word (银川2023方案 二(三)8 spells them out).
FORM_ALIASES = {
    "交流轮岗": "轮岗", "普通教师交流轮岗": "轮岗", "定期交流": "轮岗", "骨干教师柔性流动": "柔性流动",
    "急缺教师配送走教": "走教", "配送走教": "走教", "跟岗学习": "跟岗", "挂职锻炼": "挂职", "对口支教": "支教",
}
EXAMPLE = (make_id_number("640199", dt.date(1985, 3, 12), 123), "示例教师", "6401990001", "6401990002", "支教",
           dt.date(2025, 9, 1), dt.date(2026, 7, 15), "否", "示例行：导入时跳过")
NOTES_MAX = 500
DAYS = re.compile(r"每周\s*([1-7一二三四五六七])\s*天")
CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}


@dataclasses.dataclass(frozen=True, slots=True)
class ExchangeRow:
    row: int
    teacher_id: uuid.UUID
    id_number: str
    name: str
    source: uuid.UUID
    target: uuid.UUID
    form: str
    start: dt.date
    end: dt.date | None
    personnel: bool
    notes: str | None

    @property
    def days_per_week(self) -> int | None:
        found = DAYS.search(self.notes or "") if self.form == "走教" else None
        if found is None:
            return None
        digit = found.group(1)
        return CHINESE_DIGITS.get(digit) or int(digit)


def _result(file: str, **counts: Any) -> RegisterImportResult:
    """What an import did (or, with ``dry_run``, would do), said of exchanges."""
    return RegisterImportResult(file, "交流记录", "条", **counts)


@dataclasses.dataclass(frozen=True, slots=True)
class SchoolInfo:
    id: uuid.UUID
    code: str
    name: str
    location: str
    stage: str
    is_weak: bool


def _form(value: object) -> str:
    text = normal_text(value).replace(" ", "")
    if not text:
        raise CellError("不能为空")
    text = FORM_ALIASES.get(text, text)
    if text not in vocab.EXCHANGE_FORMS:
        raise CellError(f"“{text}”不是可选的交流形式，可选：{'、'.join(vocab.EXCHANGE_FORMS)}")
    return text


def _start_date(value: object) -> dt.date | None:
    """A date, or a month as the national registry writes it (2025-09: the 1st)."""
    try:
        return parse_date(value)
    except CellError:
        return parse_date(value, allow_month=True)


def _end_date(value: object) -> dt.date | None:
    """A date, or a month (2026-07: its last day)."""
    try:
        return parse_date(value)
    except CellError:
        month = parse_date(value, allow_month=True)
        if month is None:
            return None
        following = month.replace(day=28) + dt.timedelta(days=4)
        return following - dt.timedelta(days=following.day)


def _notes(value: object) -> str | None:
    text = value.strip() if isinstance(value, str) else normal_text(value)
    if len(text) > NOTES_MAX:
        raise CellError(f"长度超过 {NOTES_MAX} 个字")
    return text or None


def _school(value: object, by_code: dict[str, SchoolInfo], by_name: dict[str, list[SchoolInfo]]) -> SchoolInfo:
    text = normal_text(value).strip()
    if not text:
        raise CellError("不能为空")
    if text in by_code:
        return by_code[text]
    named = by_name.get(text, [])
    if len(named) == 1:
        return named[0]
    if named:
        raise CellError(f"有 {len(named)} 所学校名为“{text}”（{'、'.join(s.code for s in named)}）：请填写学校代码")
    raise CellError(f"找不到学校“{text}”（填写学校代码或学校名单中的名称）")


def _span(start: dt.date, end: dt.date | None, personnel: bool) -> Span | None:
    """The days an exchange occupies the teacher; None for a personnel move with no term
    (the teacher simply belongs to the new school from then on: nothing to overlap)."""
    if end is None and personnel:
        return None
    return Span(start, end)


def _overlap(a: Span | None, b: Span | None) -> bool:
    return a is not None and b is not None and a.overlaps(b)


def parse_rows(path: Path, connection: Connection, profile: Profile) -> tuple[str, list[ExchangeRow], Any]:
    """Read and check every row (teachers and schools from ``connection``).

    Raises:
        ImportFailed: unreadable file, missing headers, or any bad row.
    """
    name, sheet_rows = read_sheet(Path(path), REQUIRED, OPTIONAL, example=dict(zip(HEADERS, EXAMPLE)))
    return name, check_rows(name, sheet_rows, connection, profile), sheet_rows


def check_rows(name: str, sheet_rows: Sequence[SheetRow], connection: Connection, profile: Profile) -> list[ExchangeRow]:
    """Every rule of a row, for a file's rows and the hand-entry form's one row alike.

    Raises:
        ImportFailed: any bad row, with row and column.
    """
    t, s = Teacher.__table__, School.__table__
    roster = {number: (tid, name) for tid, number, name in connection.execute(select(t.c.id, t.c.id_number, t.c.name))}
    schools = [SchoolInfo(r.id, r.code, r.name, r.location, r.stage, bool(r.is_weak))
               for r in connection.execute(select(s.c.id, s.c.code, s.c.name, s.c.location, s.c.stage, s.c.is_weak))]
    by_code = {x.code: x for x in schools}
    by_name: dict[str, list[SchoolInfo]] = {}
    for x in schools:
        by_name.setdefault(x.name, []).append(x)
    problems: list[ImportProblem] = []
    rows: list[ExchangeRow] = []
    for sheet_row in sheet_rows:
        reader = RowReader(name, sheet_row, problems)
        number, teacher = read_teacher(reader, roster, ID, NAME)
        source = reader.cell(SOURCE, _school, by_code, by_name)
        target = reader.cell(TARGET, _school, by_code, by_name)
        if source is not None and target is not None and source.id == target.id:
            reader.fail(TARGET, f"交流单位与原单位相同（{target.name}）")
        form = reader.cell(FORM, _form)
        start = reader.cell(START, _start_date)
        if start is None and is_blank(sheet_row.get(START)):
            reader.fail(START, "不能为空")
        end = reader.cell(END, _end_date)
        if start is not None and end is not None and end < start:
            reader.fail(END, f"结束日期 {end.isoformat()} 早于开始日期 {start.isoformat()}")
        personnel = reader.cell(PERSONNEL, parse_bool)
        notes = reader.cell(NOTES, _notes)
        rule = profile.exchange_forms.get(form) if form else None
        if rule is not None:
            if personnel and not rule.personnel_may_move:
                reader.fail(PERSONNEL, f"{form}不调动人事关系（{rule.clause}）；调动人事关系的交流请填“轮岗”")
            if source is not None and target is not None and source.id != target.id:
                wrong = direction_problem(rule, (source.location, source.stage, source.is_weak),
                                          (target.location, target.stage, target.is_weak))
                if wrong:
                    reader.fail(TARGET, wrong)
        if reader.ok and teacher is not None and number is not None:  # a teacher is found by number
            rows.append(ExchangeRow(sheet_row.number, teacher[0], number, teacher[1], source.id, target.id, form,
                                    start, end, bool(personnel), notes))
    _file_overlaps(name, rows, problems)
    if problems:
        problems.sort(key=lambda p: (p.row, HEADERS.index(p.column) if p.column in HEADERS else 99))
        raise ImportFailed(problems)
    return rows


def _both_itinerant(a: str, b: str) -> bool:
    return a == b == "走教"


def _file_overlaps(name: str, rows: list[ExchangeRow], problems: list[ImportProblem]) -> None:
    by_teacher: dict[uuid.UUID, list[ExchangeRow]] = {}
    for row in rows:
        by_teacher.setdefault(row.teacher_id, []).append(row)
    for own in by_teacher.values():
        for i, a in enumerate(own):
            for b in own[i + 1:]:
                same = (a.target, a.form, a.start) == (b.target, b.form, b.start)
                if same:
                    problems.append(ImportProblem(name, b.row, START, f"与第{a.row}行重复（同一教师、交流单位、形式与开始日期）"))
                elif not _both_itinerant(a.form, b.form) and _overlap(_span(a.start, a.end, a.personnel),
                                                                       _span(b.start, b.end, b.personnel)):
                    for x, y in ((a, b), (b, a)):
                        problems.append(ImportProblem(
                            name, x.row, START, f"{x.name}同一时间有两项交流：与第{y.row}行（{y.form}，"
                            f"{y.start.isoformat()}至{y.end.isoformat() if y.end else '—'}）时间重叠"))


def _stored(connection: Connection, teacher_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    e = Exchange.__table__
    result: dict[uuid.UUID, list[Any]] = {}
    for begin in range(0, len(teacher_ids), 500):
        query = select(e.c.id, e.c.teacher_id, e.c.from_school_id, e.c.to_school_id, e.c.form, e.c.start, e.c.end_on,
                       e.c.moves_personnel, e.c.notes, e.c.status, e.c.cancelled_on).where(
            e.c.teacher_id.in_(teacher_ids[begin:begin + 500]), e.c.status != "planned")
        for r in connection.execute(query):
            result.setdefault(r.teacher_id, []).append(r)
    return result


def _day(value: str | dt.date | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _compare(file: str, connection: Connection, rows: list[ExchangeRow], result: RegisterImportResult,
             names: dict[uuid.UUID, str]) -> tuple[list[ExchangeRow], list[tuple[ExchangeRow, Any]]]:
    """New rows and (row, stored) pairs to update; every conflict with the store refused."""
    stored = _stored(connection, list({r.teacher_id for r in rows}))
    problems: list[ImportProblem] = []
    new, changed = [], []
    for row in rows:
        own = [r for r in stored.get(row.teacher_id, []) if took_effect(r.status, _day(r.start), _day(r.cancelled_on))
               or r.status == "approved"]
        key = (row.target, row.form, row.start)
        match = next((r for r in own if r.status == "approved" and (r.to_school_id, r.form, _day(r.start)) == key),
                     None)
        who = f"第{row.row}行 {row.name}（{row.id_number}）"
        if match is not None:
            if match.from_school_id != row.source or bool(match.moves_personnel) != row.personnel:
                problems.append(ImportProblem(file, row.row, SOURCE if match.from_school_id != row.source else PERSONNEL,
                                              "与已登记的同一交流的原单位或人事关系不同：已登记的交流不能改，请先取消"
                                              "（edubridge exchange cancel）再导入"))
                continue
            if _day(match.end_on) == row.end and (match.notes or None) == row.notes:
                result.unchanged += 1
                continue
            result.updated += 1
            what = []
            if _day(match.end_on) != row.end:
                what.append(f"结束日期 {_day(match.end_on) or '—'} → {row.end or '—'}")
            if (match.notes or None) != row.notes:
                what.append("备注更新")
            result.changes.append(f"{who}：{names.get(row.target, '')} {row.form}，" + "，".join(what))
            changed.append((row, match))
            continue
        for r in own:
            began = _day(r.start)
            if began is None or (r.to_school_id, r.form, began) == key:  # the same one, cancelled
                continue
            stopped = _day(r.cancelled_on) if r.status == "cancelled" else None
            last = stopped - dt.timedelta(days=1) if stopped is not None else _day(r.end_on)
            span = _span(began, last, bool(r.moves_personnel))
            if (span is not None and not _both_itinerant(r.form, row.form)
                    and _overlap(_span(row.start, row.end, row.personnel), span)):
                problems.append(ImportProblem(
                    file, row.row, START, f"{row.name}同一时间已有一项交流：{names.get(r.to_school_id, '')} {r.form}"
                    f"（{span.first.isoformat()}至{'—' if span.last is None else span.last.isoformat()}）"))
                break
        new.append(row)
        result.inserted += 1
        result.changes.append(f"{who}：新增 {names.get(row.source, '')} → {names.get(row.target, '')} {row.form}"
                              f"（{row.start.isoformat()}至{row.end.isoformat() if row.end else '—'}"
                              f"{'，调动人事关系' if row.personnel else ''}）")
    if problems:
        raise ImportFailed(sorted(problems, key=lambda p: p.row))
    return new, changed


def import_exchanges(store: Store, path: Path, profile: Profile, *, dry_run: bool = False,
                     progress: Progress = quiet) -> RegisterImportResult:
    """Import or update the exchanges in ``path``; one transaction, nothing written on any error.

    Raises:
        ImportFailed: every problem of the file, with file, row and column.
        Cancelled: ``progress`` stopped the work; nothing written.
    """
    progress(*READING)
    with store.read() as session:
        connection = session.connection()
        file, rows, sheet_rows = parse_rows(Path(path), connection, profile)
        names = dict(connection.execute(select(School.__table__.c.id, School.__table__.c.name)).all())
        result = _result(file, rows=len(rows), dry_run=dry_run)
        note = skipped_example_note(sheet_rows)
        if note:
            result.notes.append(note)
        long = [r.row for r in rows if term_note(profile, r.form, r.start, r.end)]
        if long:
            result.notes.append(f"第{'、'.join(map(str, long[:10]))}{'等' if len(long) > 10 else ''}行的交流期限超过"
                                "该形式在政策设置中的期限（已导入，请核对）")
        open_ended = [r.row for r in rows if r.end is None and not r.personnel]
        if open_ended:
            result.notes.append(f"第{'、'.join(map(str, open_ended[:10]))}{'等' if len(open_ended) > 10 else ''}行"
                                "是临时性交流但未填结束日期，按长期交流登记（结束时请用 exchange end 登记最后一天）")
        new, changed = _compare(file, connection, rows, result, names)
    if dry_run or not (new or changed):
        return result
    progress(*WRITING)
    try:
        with store.bulk("exchange", f"导入交流记录 {file}：{result.summary()}") as connection:
            checked = _result(file, rows=len(rows), notes=result.notes)
            new, changed = _compare(file, connection, rows, checked, names)  # again, inside the transaction
            _write(connection, new, changed, store.actor.username, profile)
            progress(*COMMITTING)
            return checked
    except IntegrityError:  # uq_exchange_recorded: someone recorded the same exchange meanwhile
        raise ImportFailed([ImportProblem(file, 0, "", "其他用户刚刚登记了相同的交流记录，本次未写入任何数据："
                                                      "请重新导入（已登记的行会显示为无变化）")]) from None


def _write(connection: Connection, new: list[ExchangeRow], changed: list[tuple[ExchangeRow, Any]], actor: str,
           profile: Profile) -> None:
    e, p, ev = Exchange.__table__, Posting.__table__, ExchangeEvent.__table__
    now = utcnow()
    records = [{
        "id": uuid.uuid4(), "plan_id": None, "teacher_id": r.teacher_id, "from_school_id": r.source,
        "to_school_id": r.target, "form": r.form, "school_year": school_year_of(r.start, profile.calendar),
        "start": r.start, "end_on": r.end, "planned_end": r.end, "cancelled_on": None,
        "moves_personnel": r.personnel, "status": "approved", "pinned": False, "notes": r.notes,
        "days_per_week": r.days_per_week, "created_at": now, "updated_at": now,
    } for r in new]
    insert_rows(connection, e, records)
    materialise(connection, [{"id": x["id"], "teacher_id": x["teacher_id"], "to_school_id": x["to_school_id"],
                              "form": x["form"], "start": x["start"], "end_on": x["end_on"],
                              "moves_personnel": x["moves_personnel"]} for x in records], now)
    starts: dict[Any, Any] = {x["id"]: x["start"] for x in records}
    insert_rows(connection, ev, approval_events([x["id"] for x in records], starts,
                                                actor, "登记", now))
    events = []
    for row, match in changed:
        connection.execute(e.update().where(e.c.id == match.id).values(
            end_on=row.end, notes=row.notes, days_per_week=row.days_per_week, updated_at=now))
        before = _day(match.end_on)
        if before != row.end:
            connection.execute(p.update().where(p.c.exchange_id == match.id, p.c.holds_personnel.is_(False),
                                                p.c.kind == posting_kind(row.form))
                               .values(end_on=row.end, updated_at=now))
            action = "提前结束" if before is not None and row.end is not None and row.end < before else "延期"
            events.append({"id": uuid.uuid4(), "exchange_id": match.id, "action": action,
                           "on": row.end or row.start, "end_before": before, "end_after": row.end, "actor": actor,
                           "note": "导入交流记录", "created_at": now, "updated_at": now})
    insert_rows(connection, ev, events)


def record_exchange(store: Store, profile: Profile, values: dict[str, Any]) -> str:
    """Record one exchange typed in the GUI form (header → value, as a sheet row would hold);
    the same checks and writes as an imported row. Returns the change line.

    Raises:
        ImportFailed: what is wrong, by field (``file`` is 手工登记).
    """
    source = "手工登记"
    with store.read() as session:
        connection = session.connection()
        rows = check_rows(source, [SheetRow(1, dict(values))], connection, profile)
        names = dict(connection.execute(select(School.__table__.c.id, School.__table__.c.name)).all())
    result = _result(source, rows=1)
    already = ImportFailed([ImportProblem(source, 1, START, "已登记过同一项交流（同一交流单位、形式与开始日期）")])
    try:
        with store.bulk("exchange", f"手工登记交流：{values.get(NAME, '')} {values.get(FORM, '')}") as connection:
            new, changed = _compare(source, connection, rows, result, names)
            if not new:
                raise already
            _write(connection, new, changed, store.actor.username, profile)
    except IntegrityError:
        raise already from None
    return result.changes[0].split("：", 1)[-1]


def import_file(store: Store, path: Path, dry_run: bool = False, *,
                progress: Progress = quiet) -> RegisterImportResult:
    """The ``edubridge import exchanges`` entry (db.importers)."""
    from db.settings import active_profile

    return import_exchanges(store, path, active_profile(store), dry_run=dry_run, progress=progress)
