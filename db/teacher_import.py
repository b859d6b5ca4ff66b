"""Importing the teacher roster (教师名册) from a clerk's spreadsheet — all or nothing.

Headers (issue 4): 身份证号, 姓名, 性别, 出生日期, 学校代码, 任教学科, 职称, 骨干等级,
参加工作时间, 调入本校时间, and optionally 人事关系学校代码 (blank or absent: the same as
学校代码), 职务 (教师 / 校长 / 副校长; absent: positions stay as stored) and 任现职时间 (a
principal's terms count from it).

* ID numbers are checked (GB 11643 check digit; a lowercase x is accepted); the typed
  gender and birth date must agree with the number (blank cells are taken from it).
* A duplicate ID number is reported on both rows; an unknown school code on its row.
* 调入本校时间 is the day the teacher's personnel relationship came to the school that
  holds it — the start of tenure for the exchange rules.
* Re-importing updates teachers in place by ID number. When a teacher's school changed,
  the open posting is closed the day before the new one starts and a new posting is
  recorded; the history is never overwritten and no teacher is ever duplicated.

Any problem → :class:`~db.importing.ImportFailed` listing every problem, nothing written.
Reads with calamine and writes with Core ``executemany`` inside one :meth:`Store.bulk`
transaction (one audit entry for the load): 50,000 rows take a few seconds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import unicodedata
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Column, Connection, Label, bindparam, select

from db.bulk import insert_rows
from db.ids import id_text
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
    parse_id_cell,
    parse_text,
    read_sheet,
    skipped_example_note,
)
from db.locks import hold_write_lock, retrying
from db.models import ExchangePlan, Posting, School, Teacher, utcnow
from db.store import Store
from db.teacher_queries import in_force
from policy import vocab
from policy.idcard import IdNumberError, cross_check, make_id_number
from policy.progress import Progress, quiet

ID, NAME, GENDER, BIRTH, SCHOOL, SUBJECT, TITLE, BACKBONE, STARTED, ARRIVED, PERSONNEL, POSITION, SINCE = (
    "身份证号", "姓名", "性别", "出生日期", "学校代码", "任教学科", "职称", "骨干等级",
    "参加工作时间", "调入本校时间", "人事关系学校代码", "职务", "任现职时间",
)
HEADERS = (ID, NAME, GENDER, BIRTH, SCHOOL, SUBJECT, TITLE, BACKBONE, STARTED, ARRIVED, PERSONNEL, POSITION, SINCE)
REQUIRED = (ID, NAME, SCHOOL, ARRIVED)
OPTIONAL = tuple(h for h in HEADERS if h not in REQUIRED)
# Sanity floor of 参加工作/调入/任现职 dates (not a policy figure): nobody now teaching began before.
WORK_EARLIEST = dt.date(1950, 1, 1)
# The template's example row (a valid, made-up ID number of a man born 1985-03-12 in no real
# county): written by the template, skipped by the importer when left unchanged.
EXAMPLE = (
    make_id_number("640199", dt.date(1985, 3, 12), 123), "示例教师", "男", dt.date(1985, 3, 12), "6401990001",
    "语文", "一级教师", "县级骨干教师", dt.date(2008, 9, 1), dt.date(2015, 9, 1), None, "教师", None,
)

NO_BACKBONE = {"", "无", "否", "-", "—", "/", "非骨干"}


@dataclasses.dataclass(frozen=True, slots=True)
class RosterRow:
    """One valid row, ready to write."""

    row: int
    id_number: str
    name: str
    gender: str
    birth_date: dt.date
    school: str
    personnel_school: str
    subject: str | None
    title: str | None
    backbone_level: str | None
    started_teaching: dt.date | None
    arrived: dt.date
    # None when the file has no 职务 column: the stored position is then left as it is.
    position: str | None = None
    position_since: dt.date | None = None


@dataclasses.dataclass(slots=True)
class ImportResult:
    """What an import did (or, with ``dry_run``, would do)."""

    file: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0  # teachers whose school changed: old posting closed, new one recorded
    dry_run: bool = False
    changes: list[str] = dataclasses.field(default_factory=list)  # one line per changed teacher
    notes: list[str] = dataclasses.field(default_factory=list)  # said after the counts (a skipped example row)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def counts(self) -> dict[str, int]:
        """The figures ``edubridge import teachers --json`` prints."""
        return {"rows": self.rows, "inserted": self.inserted, "updated": self.updated, "moved": self.moved,
                "unchanged": self.unchanged}

    def summary(self) -> str:
        return self.describe()

    def describe(self) -> str:
        verb = "将" if self.dry_run else "已"
        return (f"{self.file}：{self.rows} 行；{verb}新增 {self.inserted} 名教师，更新 {self.updated} 名"
                f"（其中调动学校 {self.moved} 名），{self.unchanged} 名无变化"
                + "".join(f"；{note}" for note in self.notes))


def _gender(value: object) -> str | None:
    """男 / 女, also as 男性 / 女性; blank is None (the ID number tells)."""
    text = normal_text(value).replace(" ", "").removesuffix("性")
    return parse_choice(text, vocab.GENDERS, required=False)


def _position(value: object) -> str:
    """教师 / 校长 / 副校长 (正校长 → 校长); a blank cell is an ordinary teacher."""
    text = normal_text(value).replace(" ", "").removeprefix("正")
    return parse_choice(text, vocab.POSITIONS, required=False) or vocab.POSITIONS[0]


def _subject(value: object) -> str | None:
    text = normal_text(value).replace(" ", "")
    if not text:
        return None
    return vocab.SUBJECT_ALIASES.get(text, text)[:32]


def _backbone(value: object) -> str | None:
    text = normal_text(value).replace(" ", "")
    return None if text in NO_BACKBONE else text[:32]


class _Memo:
    """A cell parser that remembers what each typed value gave (value or error).

    A roster repeats the same school codes, titles and dates thousands of times; parsing
    each distinct text once makes a 50,000-row file several times faster.
    """

    def __init__(self, parser: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.parser, self.args, self.kwargs = parser, args, kwargs
        self.seen: dict[Any, tuple[Any, str | None]] = {}

    def __call__(self, reader: RowReader, header: str) -> Any:
        raw = reader.row.cells.get(header)
        try:
            value, error = self.seen[raw]
        except (KeyError, TypeError):
            try:
                value, error = self.parser(raw, *self.args, **self.kwargs), None
            except CellError as exc:
                value, error = None, str(exc)
            with contextlib.suppress(TypeError):  # an unhashable cell is parsed every time
                self.seen[raw] = (value, error)
        if error is not None:
            reader.fail(header, error)
        return value




class Roster(list[RosterRow]):
    """The valid rows of a file, plus the row numbers of template example rows left out."""

    skipped_example: tuple[int, ...] = ()
    skipped_footer: tuple[int, ...] = ()
    sheet_note: str | None = None


def parse_roster(path: Path, school_codes: set[str], today: dt.date | None = None) -> tuple[str, Roster]:
    """Read and check every row; raise ImportFailed listing every problem.

    The template's unchanged example row is left out; the returned list's
    ``skipped_example`` holds its row number (see :func:`db.importing.read_sheet`).

    Raises:
        ImportFailed: unreadable file, missing headers, or any bad row.
    """
    today = today or dt.date.today()
    name, rows = read_sheet(path, REQUIRED, OPTIONAL, example=dict(zip(HEADERS, EXAMPLE)))
    problems: list[ImportProblem] = []
    result = Roster()
    result.skipped_example, result.skipped_footer = rows.skipped_example, rows.skipped_footer
    result.sheet_note = rows.sheet_note
    first_row: dict[str, int] = {}
    gender_cell = _Memo(_gender)
    birth_cell = _Memo(parse_date)
    code_cell = _Memo(parse_text, max_length=32)
    personnel_cell = _Memo(parse_text, required=False, max_length=32)
    title_cell = _Memo(parse_text, required=False, max_length=32)
    month_cell = _Memo(parse_date, allow_month=True, earliest=WORK_EARLIEST)
    position_cell = _Memo(_position)
    subjects: dict[Any, str | None] = {}
    backbones: dict[Any, str | None] = {}
    for sheet_row in rows:
        reader = RowReader(name, sheet_row, problems)
        cells = sheet_row.cells
        raw_id = cells.get(ID)
        number = None
        if is_blank(raw_id):
            reader.fail(ID, "不能为空")
        else:
            try:
                number = parse_id_cell(raw_id, today)
            except IdNumberError as exc:
                reader.fail(ID, str(exc))
        raw_name = cells.get(NAME)
        if type(raw_name) is str and raw_name and len(raw_name) <= 64 and raw_name == raw_name.strip() \
                and unicodedata.is_normalized("NFKC", raw_name):
            teacher_name = raw_name
        else:
            teacher_name = reader.cell(NAME, parse_text, max_length=64)
        gender = gender_cell(reader, GENDER)
        birth = birth_cell(reader, BIRTH)
        school = code_cell(reader, SCHOOL)
        personnel = personnel_cell(reader, PERSONNEL) or school
        title = title_cell(reader, TITLE)
        started = month_cell(reader, STARTED)
        arrived = month_cell(reader, ARRIVED)
        has_position = POSITION in cells
        position = position_cell(reader, POSITION) if has_position else None
        since = month_cell(reader, SINCE)
        if arrived is None and is_blank(cells.get(ARRIVED)):
            reader.fail(ARRIVED, "不能为空（计算任教年限的起点）")
        if number is not None:
            if (gender and gender != number.gender) or (birth and birth != number.birth_date):
                for message in cross_check(number, gender=gender, birth_date=birth):
                    reader.fail(GENDER if message.startswith("性别") else BIRTH, message)
            previous = first_row.get(number.number)
            if previous is not None:
                reader.fail(ID, f"身份证号 {number.number} 与第{previous}行重复")
                problems.append(ImportProblem(name, previous, ID,
                                              f"身份证号 {number.number} 与第{sheet_row.number}行重复"))
            else:
                first_row[number.number] = sheet_row.number
        if school and school not in school_codes:
            reader.fail(SCHOOL, f"学校代码“{school}”不存在，请先导入学校")
        if personnel and personnel != school and personnel not in school_codes:
            reader.fail(PERSONNEL, f"学校代码“{personnel}”不存在，请先导入学校")
        born = birth or (number.birth_date if number else None)
        for header, day in ((ARRIVED, arrived), (STARTED, started), (SINCE, since)):
            if day is None:
                continue
            if day > today:
                reader.fail(header, f"{day.isoformat()} 晚于今天")
            elif born is not None and day <= born:
                reader.fail(header, f"{day.isoformat()} 早于出生日期")
        if arrived and started and arrived < started:
            reader.fail(ARRIVED, f"{arrived.isoformat()} 早于参加工作时间 {started.isoformat()}")
        if reader.ok and number is not None:
            raw_subject, raw_backbone = cells.get(SUBJECT), cells.get(BACKBONE)
            subject = subjects.get(raw_subject) if raw_subject in subjects else \
                subjects.setdefault(raw_subject, _subject(raw_subject))
            backbone = backbones.get(raw_backbone) if raw_backbone in backbones else \
                backbones.setdefault(raw_backbone, _backbone(raw_backbone))
            result.append(RosterRow(
                sheet_row.number, number.number, teacher_name, gender or number.gender, born or number.birth_date,
                school, personnel, subject, title, backbone, started, arrived, position, since,
            ))
    if problems:
        problems.sort(key=lambda p: (p.row, HEADERS.index(p.column) if p.column in HEADERS else 99))
        raise ImportFailed(problems)
    return name, result


_TEACHER_FIELDS = ("name", "gender", "birth_date", "subject", "title", "backbone_level", "started_teaching",
                   "position", "position_since")


_FIELD_AT = {field: k for k, field in enumerate(_TEACHER_FIELDS, start=2)}  # in the rows _plan reads
FIELD_LABELS = {"name": NAME, "gender": GENDER, "birth_date": BIRTH, "subject": SUBJECT, "title": TITLE,
                "backbone_level": BACKBONE, "started_teaching": STARTED, "position": POSITION,
                "position_since": SINCE}


def _shown(value: object) -> str:
    return "空" if value is None else value.isoformat() if isinstance(value, dt.date) else str(value)


class _OpenPosting(NamedTuple):
    id: str
    teacher_id: str
    school_id: str
    holds_personnel: bool
    start: dt.date
    kind: str


def _text(column: Column[Any]) -> Label[str]:
    """The column read as text (:func:`db.ids.id_text`), under its own name."""
    return id_text(column).label(column.name)


@dataclasses.dataclass(slots=True)
class _Changes:
    new_teachers: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    changed_teachers: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    new_postings: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    closed: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    restarted: list[dict[str, Any]] = dataclasses.field(default_factory=list)


def _plan(connection: Connection, rows: list[RosterRow], schools: dict[str, uuid.UUID], result: ImportResult) -> _Changes:
    """Compare the file with the store: what to insert, update and close.

    Raises:
        ImportFailed: a teacher's school changed but 调入本校时间 is not later than the old
            posting's start (the clerk kept the old date: the new tenure would be wrong).
    """
    teacher_table, posting_table = Teacher.__table__, Posting.__table__
    # Ids are read as text (UUID objects for 100,000 rows cost a second) and made UUIDs only
    # for the rows that change.
    existing = {
        row[1]: row
        for row in connection.execute(select(_text(teacher_table.c.id), teacher_table.c.id_number,
                                             *[teacher_table.c[f] for f in _TEACHER_FIELDS]))
    }
    school_table = School.__table__
    school_text = {code: text for text, code in connection.execute(select(_text(school_table.c.id),
                                                                          school_table.c.code))}
    school_ids = {text: schools[code] for code, text in school_text.items()}
    code_of = {text: code for code, text in school_text.items()}
    problems: list[ImportProblem] = []
    open_postings: dict[str, list[_OpenPosting]] = {}
    for posting in connection.execute(
        select(_text(posting_table.c.id), _text(posting_table.c.teacher_id), _text(posting_table.c.school_id),
               posting_table.c.holds_personnel, posting_table.c.start, posting_table.c.kind)
        .where(in_force(posting_table))  # not one an approved exchange starts later (db.exchanges)
    ):
        open_postings.setdefault(posting[1], []).append(_OpenPosting(*posting))
    now = utcnow()
    changes = _Changes()
    for row in rows:
        values = {"name": row.name, "gender": row.gender, "birth_date": row.birth_date, "subject": row.subject,
                  "title": row.title, "backbone_level": row.backbone_level, "started_teaching": row.started_teaching}
        if row.position is not None:
            values.update(position=row.position, position_since=row.position_since)
        # The personnel posting, and a working posting when the teacher works elsewhere.
        wanted = [(school_text[row.personnel_school], True, "任职")]
        if row.school != row.personnel_school:
            wanted.append((school_text[row.school], False, "轮岗"))
        old = existing.get(row.id_number)
        if old is None:
            teacher_id = uuid.uuid4()
            changes.new_teachers.append({"id": teacher_id, "id_number": row.id_number, "position": "教师",
                                         "position_since": None, "created_at": now, "updated_at": now, **values})
            result.inserted += 1
            current: list[Any] = []
        else:
            teacher_id = uuid.UUID(old[0])
            current = [p for p in open_postings.get(old[0], []) if p.holds_personnel or p.kind == "轮岗"]
        changed = old is not None and any(old[_FIELD_AT[k]] != v for k, v in values.items())
        if changed:
            changes.changed_teachers.append({"b_id": teacher_id, "updated_at": now, **values})
        moved = False
        close_on = row.arrived - dt.timedelta(days=1)
        for school_id, personnel, kind in wanted:
            same_role = [p for p in current if p.holds_personnel == personnel]
            kept = [p for p in same_role if p.school_id == school_id]
            if kept:
                for p in kept:
                    if personnel and p.start != row.arrived:  # the clerk corrected the date
                        changes.restarted.append({"b_id": uuid.UUID(p.id), "start": row.arrived, "updated_at": now})
                        changed = True
                continue
            for p in same_role:  # the school changed: close the old posting, keep its history
                if personnel and row.arrived <= p.start:
                    problems.append(ImportProblem(
                        result.file, row.row, ARRIVED,
                        f"学校由 {code_of.get(p.school_id, '?')} 变为 {code_of.get(school_id, '?')}，但调入本校时间 "
                        f"{row.arrived.isoformat()} 不晚于在原学校任职的开始（{p.start.isoformat()}）：请填写调入新学校的日期"))
                changes.closed.append({"b_id": uuid.UUID(p.id), "end_on": max(p.start, close_on), "updated_at": now})
                moved = changed = True
            changes.new_postings.append({"id": uuid.uuid4(), "teacher_id": teacher_id,
                                         "school_id": school_ids[school_id],
                                         "kind": kind, "holds_personnel": personnel, "start": row.arrived,
                                         "end_on": None, "created_at": now, "updated_at": now})
        if len(wanted) == 1:  # back at the personnel school: an open working posting elsewhere ends
            for p in current:
                if not p.holds_personnel:
                    changes.closed.append({"b_id": uuid.UUID(p.id), "end_on": max(p.start, close_on),
                                           "updated_at": now})
                    changed = True
        if old is not None:
            result.moved += moved
            if moved:
                result.changes.append(f"第{row.row}行 {row.name}（{row.id_number}）：调至 {row.school}"
                                      f"（{row.arrived.isoformat()}起），原任职记录结束")
            elif changed:
                what = "；".join(f"{FIELD_LABELS[k]} {_shown(old[_FIELD_AT[k]])}→{_shown(v)}"
                                for k, v in values.items() if old[_FIELD_AT[k]] != v)
                result.changes.append(f"第{row.row}行 {row.name}（{row.id_number}）：{what or '任职日期更正'}")
            if changed:
                result.updated += 1
            else:
                result.unchanged += 1
    if problems:
        raise ImportFailed(problems)
    return changes


def import_teachers(store: Store, path: Path, *, dry_run: bool = False, today: dt.date | None = None,
                    progress: Progress = quiet) -> ImportResult:
    """Import or update the roster in ``path``; one transaction, nothing written on any error.

    With ``dry_run`` every check runs and the counts are returned, but nothing is written.

    Raises:
        ImportFailed: every problem of the file, with row and column.
        Cancelled: ``progress`` stopped the work; nothing written.
    """
    progress(*READING)
    school_table, teacher_table, posting_table = School.__table__, Teacher.__table__, Posting.__table__
    with store.read() as session:
        connection = session.connection()
        schools = {code: sid for sid, code in connection.execute(select(school_table.c.id, school_table.c.code))}
        name, rows = parse_roster(Path(path), set(schools), today)
        result = ImportResult(file=name, rows=len(rows), dry_run=dry_run)
        note = skipped_example_note(rows)
        if note:
            result.notes.append(note)
        odd = Counter(r.subject for r in rows if r.subject and r.subject not in vocab.SUBJECTS)
        if odd:
            listed = "、".join(f"{subject}（{n}人）" for subject, n in odd.most_common(6))
            result.notes.append(f"任教学科不在标准学科表中：{listed}{'等' if len(odd) > 6 else ''}；"
                                "这些教师只能匹配学科需求表中同名的学科")
        if dry_run or not rows:  # nothing to write (e.g. only the template's example row): no audit entry
            _plan(connection, rows, schools, result)
            return result
    notes = list(result.notes)
    progress(*WRITING)

    def attempt() -> ImportResult:
        """One write transaction: the lock first, then the comparison (another roster import
        waits here, then sees this one's teachers instead of inserting them again)."""
        done = ImportResult(file=name, rows=len(rows), notes=list(notes))
        with store.bulk("teacher", f"导入教师名册 {name}（{len(rows)} 行）") as connection:
            hold_write_lock(connection)
            changes = _plan(connection, rows, schools, done)
            if changes.new_teachers:
                insert_rows(connection, teacher_table, changes.new_teachers)
            by_id = posting_table.c.id == bindparam("b_id")
            if changes.changed_teachers:
                connection.execute(teacher_table.update().where(teacher_table.c.id == bindparam("b_id")),
                                   changes.changed_teachers)
            if changes.closed:
                connection.execute(posting_table.update().where(by_id), changes.closed)
            if changes.restarted:
                connection.execute(posting_table.update().where(by_id), changes.restarted)
            if changes.new_postings:
                insert_rows(connection, posting_table, changes.new_postings)
            if done.inserted or done.updated:
                plans = ExchangePlan.__table__
                years = connection.execute(select(plans.c.school_year).where(plans.c.status == "draft")
                                           .order_by(plans.c.school_year)).scalars().all()
                if years:
                    done.notes.append("、".join(f"{y}—{y + 1}" for y in years)
                                        + "学年的交流计划草案是按变动前的名册生成的，请重新生成")
            progress(*COMMITTING)
        return done

    return retrying(attempt)


def import_file(store: Store, path: Path, dry_run: bool = False, *,
                progress: Progress = quiet) -> ImportResult:
    """The ``edubridge import teachers`` entry (db.importers)."""
    return import_teachers(store, path, dry_run=dry_run, progress=progress)
