"""Receiving schools' needs by subject (学科需求表): the clerk's round trip through Excel.

``edubridge export needs FILE.xlsx --year Y`` writes one row per receiving school (tier 0
or 1, :func:`policy.planner.tier`) and subject — plus any school the year's table already
holds — from :func:`needs_sheet_rows`: the stored slots where the school has rows (来源
“需求表”), otherwise the planner's own defaults (:func:`policy.planner.default_needs`,
来源 “按师生比推算”). ``edubridge import needs FILE.xlsx`` reads it back here.

Headers: 学年, 学校代码, 学校名称 (information only), 任教学科, 需求人数, 来源 (information
only). 学年 is written “2027—2028”; 2027, 2027-2028 and 2027—2028学年 are read too.

Semantics, for each (school year, school) the file lists:

* the file's rows replace the school's stored rows for that year: a subject missing from
  the file loses its row, a subject at 0 has no slot. A school whose rows all end at 0 keeps
  one row at 0 per listed subject, so the planner still takes the table's word (no slot)
  rather than falling back to derived defaults;
* a school with no stored rows whose figures in the file equal the current derived defaults
  (an exported sheet left as it was) is left alone: it stays derived and keeps following the
  roster;
* schools the file does not list keep their rows.

Every bad cell is reported with file, row and column (unknown school, unknown or blank
subject, negative or fractional 需求人数, a school and subject twice in one year, bad
学年); any problem → :class:`~db.importing.ImportFailed`, nothing written. The changes go
through :meth:`Store.write` (each changed row audited with the import's note) in one
transaction; re-importing the same file changes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from db.exchange_plans import load_needs, load_schools
from db.importers import COMMITTING, READING, WRITING
from db.importing import (
    CellError,
    ImportFailed,
    ImportProblem,
    RowReader,
    is_blank,
    normal_text,
    parse_int,
    parse_text,
    read_sheet,
    skipped_example_note,
)
from db.locks import hold_write_lock, retrying
from db.models import School, SubjectNeed, Teacher
from db.settings import active_profile
from db.store import Store
from db.teachers import store_eligibility
from policy import vocab
from policy.directions import tier
from policy.planner import PlanSchool, default_needs, sections
from policy.progress import Progress, quiet

YEAR, SCHOOL, NAME, SUBJECT, SLOTS, SOURCE = "学年", "学校代码", "学校名称", "任教学科", "需求人数", "来源"
HEADERS = (YEAR, SCHOOL, NAME, SUBJECT, SLOTS, SOURCE)
REQUIRED = (YEAR, SCHOOL, SUBJECT, SLOTS)
OPTIONAL = (NAME, SOURCE)
STORED, DERIVED = "需求表", "按师生比推算"
# The template's example row (the made-up school code of the other templates): skipped on
# import while unchanged.
EXAMPLE = ("2027—2028", "6401990001", "示例学校", "数学", 2, None)

#: School years accepted (start years): sanity bounds against typos, as for ``--year``.
FIRST_YEAR, LAST_YEAR = 2000, 2100
_YEAR = re.compile(r"^(\d{4})(?:年)?(?:[-—–~～至到/](\d{4})(?:年)?)?(?:学年(?:度)?)?$")


def year_label(year: int) -> str:
    """How the sheet writes a school year: ``2027—2028``."""
    return f"{year}—{year + 1}"


def parse_school_year(value: object) -> int:
    """2027, 2027.0, "2027", "2027—2028", "2027-2028学年" → 2027.

    Raises:
        CellError: blank, not a school year, the two years not adjacent, or out of range.
    """
    if isinstance(value, bool):
        raise CellError(f"“{value}”不是学年")
    if isinstance(value, float) and not value.is_integer():
        raise CellError(f"“{value}”不是学年，请写作 {year_label(2027)} 或 2027")
    text = normal_text(value).replace(" ", "")
    if not text:
        raise CellError("不能为空")
    match = _YEAR.match(text)
    if match is None:
        raise CellError(f"“{text}”不是学年，请写作 {year_label(2027)} 或 2027")
    year = int(match.group(1))
    if match.group(2) is not None and int(match.group(2)) != year + 1:
        raise CellError(f"“{text}”的两个年份应相邻，如 {year_label(year)}")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CellError(f"学年 {year} 超出范围（应在 {FIRST_YEAR}—{LAST_YEAR} 之间）")
    return year


def subject_name(value: object) -> str | None:
    """A typed subject as the needs table spells it (roster aliases: 体育 → 体育与健康); None if blank."""
    text = normal_text(value).replace(" ", "")
    return vocab.SUBJECT_ALIASES.get(text, text) if text else None


# ---- export ------------------------------------------------------------------------


def _defaults(store: Store, school_year: int) -> tuple[dict[str, PlanSchool], dict[tuple[str, str], int]]:
    """The planner's view of the schools and its derived needs, computed as make_plan does."""
    profile = active_profile(store)
    result = store_eligibility(store, profile, school_year)
    schools = load_schools(store, result.reference_date)
    return schools, default_needs(schools, result.candidates(), profile)


def _ordered(subjects: Iterable[str]) -> list[str]:
    extra = sorted(set(subjects) - set(vocab.SUBJECTS))
    return [*vocab.SUBJECTS, *extra]


def _listed(figures: Mapping[str, int], school: PlanSchool) -> list[str]:
    """The subjects a school's rows show: :func:`_ordered`, less those a primary school does
    not teach (unless it has a figure for one)."""
    primary_only = sections(school) == 1
    return [s for s in _ordered(figures)
            if not (primary_only and s in vocab.JUNIOR_ONLY_SUBJECTS and not figures.get(s))]


@dataclasses.dataclass(slots=True)
class NeedsSheet:
    """The rows ``edubridge export needs`` writes, and what they are made of."""

    school_year: int
    rows: list[tuple[Any, ...]]
    stored_schools: int
    derived_schools: int


def needs_sheet_rows(store: Store, school_year: int) -> NeedsSheet:
    """One row per receiving school × subject (vocab.SUBJECTS and any other subject the
    school's figures name): (学年, 学校代码, 学校名称, 任教学科, 需求人数, 来源).

    A school with rows in the year's table shows them (a subject without a row: 0), 来源
    需求表; any other receiving school shows the derived defaults, 来源 按师生比推算. A
    non-receiving school with stored rows is listed too, so the file shows the whole table.
    """
    schools, defaults = _defaults(store, school_year)
    stored: dict[str, dict[str, int]] = {}
    for (code, subject), slots in load_needs(store, school_year).items():
        stored.setdefault(code, {})[subject] = slots
    derived: dict[str, dict[str, int]] = {}
    for (code, subject), slots in defaults.items():
        derived.setdefault(code, {})[subject] = slots
    label = year_label(school_year)
    rows: list[tuple[Any, ...]] = []
    counts = {STORED: 0, DERIVED: 0}
    for code in sorted(schools):
        school = schools[code]
        if code in stored:
            figures, source = stored[code], STORED
        elif tier(school) < 2:
            figures, source = derived.get(code, {}), DERIVED
        else:
            continue
        counts[source] += 1
        rows.extend((label, code, school.name, subject, int(figures.get(subject, 0)), source)
                    for subject in _listed(figures, school))
    return NeedsSheet(school_year, rows, counts[STORED], counts[DERIVED])


# ---- import ------------------------------------------------------------------------


class NeedRows(list["NeedRow"]):
    """The valid rows of a file, plus the row numbers of template example rows left out."""

    skipped_example: tuple[int, ...] = ()
    sheet_note: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class NeedRow:
    row: int
    school_year: int
    school: str
    subject: str
    slots: int


@dataclasses.dataclass(slots=True)
class NeedsImportResult:
    """What an import did (or, with ``dry_run``, would do)."""

    file: str
    rows: int = 0
    schools: int = 0  # (year, school) pairs the file lists
    replaced: int = 0  # of those, whose figures changed
    derived: int = 0  # of those, left on derived defaults (the file repeats them unchanged)
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    dry_run: bool = False
    changes: list[str] = dataclasses.field(default_factory=list)  # one line per changed school
    notes: list[str] = dataclasses.field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The figures ``edubridge import needs --json`` prints (all but rows and unchanged
        are changes: the GUI asks before writing only when one is above 0)."""
        return {"rows": self.rows, "replaced": self.replaced, "inserted": self.inserted, "updated": self.updated,
                "deleted": self.deleted, "unchanged": self.schools - self.replaced}

    def summary(self) -> str:
        """What the import does (the caller says whether it was a dry run)."""
        verb = "将" if self.dry_run else "已"
        text = (f"{self.file}：{self.rows} 行，{self.schools} 所学校；{verb}更新 {self.replaced} 所学校的学科需求"
                f"（新增 {self.inserted} 行、修改 {self.updated} 行、删除 {self.deleted} 行），"
                f"{self.schools - self.replaced} 所无变化")
        if self.derived:
            text += f"（其中 {self.derived} 所与按师生比推算的结果相同，仍按推算）"
        return text + "".join(f"；{note}" for note in self.notes)

    def describe(self) -> str:
        return self.summary() + ("（试运行，未写入）" if self.dry_run else "")


def parse_needs(path: Path, school_codes: set[str], subjects: set[str]) -> tuple[str, NeedRows]:
    """Read and check every row; the unchanged template example row is left out (its row
    number in ``skipped_example``).

    Raises:
        ImportFailed: unreadable file, missing headers or any bad cell, every one listed.
    """
    name, sheet = read_sheet(path, REQUIRED, OPTIONAL, example=dict(zip(HEADERS, EXAMPLE)))
    problems: list[ImportProblem] = []
    rows = NeedRows()
    rows.skipped_example, rows.sheet_note = sheet.skipped_example, sheet.sheet_note
    first: dict[tuple[int, str, str], int] = {}
    for sheet_row in sheet:
        reader = RowReader(name, sheet_row, problems)
        year = reader.cell(YEAR, parse_school_year)
        code = reader.cell(SCHOOL, parse_text, max_length=32)
        if code and code not in school_codes:
            reader.fail(SCHOOL, f"学校代码“{code}”不存在，请先导入学校")
        subject = subject_name(sheet_row.get(SUBJECT))
        if subject is None:
            reader.fail(SUBJECT, "不能为空")
        elif subject not in subjects:
            reader.fail(SUBJECT, f"“{subject}”不是学科，可选：{'、'.join(vocab.SUBJECTS)}")
        slots = None
        if is_blank(sheet_row.get(SLOTS)):
            reader.fail(SLOTS, "不能为空（没有需求请填 0）")
        else:
            slots = reader.cell(SLOTS, parse_int, minimum=0)
        if year is not None and code and subject:
            key = (year, code, subject)
            previous = first.get(key)
            if previous is not None:
                what = f"{year_label(year)}学年 {code} {subject}"
                reader.fail(SUBJECT, f"{what} 与第{previous}行重复")
                problems.append(ImportProblem(name, previous, SUBJECT, f"{what} 与第{sheet_row.number}行重复"))
            else:
                first[key] = sheet_row.number
        if reader.ok and year is not None and code and subject is not None and slots is not None:  # all required
            rows.append(NeedRow(sheet_row.number, year, code, subject, slots))
    if problems:
        problems.sort(key=lambda p: (p.row, HEADERS.index(p.column) if p.column in HEADERS else 99))
        raise ImportFailed(problems)
    return name, rows


def _stored(connection: Connection, years: Iterable[int]) -> dict[tuple[int, str], dict[str, tuple[uuid.UUID, int]]]:
    """{(year, school code): {subject: (row id, slots)}} for ``years``."""
    n, s = SubjectNeed.__table__, School.__table__
    result: dict[tuple[int, str], dict[str, tuple[uuid.UUID, int]]] = {}
    for row_id, year, code, subject, slots in connection.execute(
        select(n.c.id, n.c.school_year, s.c.code, n.c.subject, n.c.slots).join(s, s.c.id == n.c.school_id)
        .where(n.c.school_year.in_(sorted(set(years))))
    ):
        result.setdefault((year, code), {})[subject] = (row_id, slots)
    return result


@dataclasses.dataclass(slots=True)
class _Ops:
    inserts: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    updates: list[tuple[uuid.UUID, int]] = dataclasses.field(default_factory=list)
    deletes: list[uuid.UUID] = dataclasses.field(default_factory=list)


def _figures(values: Mapping[str, int]) -> str:
    shown = [f"{subject} {n}" for subject, n in sorted(values.items(), key=lambda x: _ordered(values).index(x[0]))
             if n]
    return "、".join(shown) or "全部为 0"


def _plan(
    groups: Mapping[tuple[int, str], dict[str, int]],
    stored: Mapping[tuple[int, str], dict[str, tuple[uuid.UUID, int]]],
    defaults: Mapping[int, Mapping[str, dict[str, int]]],
    schools: Mapping[str, tuple[uuid.UUID, str]],
    result: NeedsImportResult,
) -> _Ops:
    """Compare the file with the store: the row operations and one change line per school."""
    ops = _Ops()
    for (year, code), wanted in sorted(groups.items()):
        school_id, school_name = schools[code]
        where = f"{year_label(year)}学年 {code} {school_name}"
        have = stored.get((year, code), {})
        if not have:
            derived = defaults.get(year, {}).get(code, {})
            if {k: v for k, v in wanted.items() if v} == {k: v for k, v in derived.items() if v}:
                result.derived += 1
                continue
        # Target rows: every slot above 0; a 0 only where a row exists already (no row and 0
        # mean the same: no slot) — unless that would leave the school no row at all.
        target = {s: n for s, n in wanted.items() if n or s in have}
        if not target:
            target = dict(wanted)
        before = {s: n for s, (_id, n) in have.items()}
        if target == before:
            continue
        result.replaced += 1
        for subject, slots in target.items():
            if subject not in have:
                ops.inserts.append({"school_id": school_id, "school_year": year, "subject": subject, "slots": slots})
            elif have[subject][1] != slots:
                ops.updates.append((have[subject][0], slots))
        ops.deletes.extend(row_id for subject, (row_id, _n) in have.items() if subject not in target)
        if have:
            diffs = [f"{s} {before.get(s, 0)}→{target.get(s, 0)}" for s in _ordered({*before, *target})
                     if before.get(s, 0) != target.get(s, 0)]
            result.changes.append(f"{where}：" + ("、".join(diffs) if diffs else "仅调整为 0 的行"))
        else:
            derived = defaults.get(year, {}).get(code, {})
            result.changes.append(f"{where}：由按师生比推算（{_figures(derived)}）改为需求表（{_figures(target)}）")
    result.inserted, result.updated, result.deleted = len(ops.inserts), len(ops.updates), len(ops.deletes)
    return ops


def import_needs(store: Store, path: Path, dry_run: bool = False,
                 progress: Progress = quiet) -> NeedsImportResult:
    """Check the whole file, then apply it in one audited transaction (or only report, ``dry_run``).

    Raises:
        ImportFailed: listing every problem; nothing is written.
        Cancelled: ``progress`` stopped the work; nothing written.
    """
    progress(*READING)
    with store.read() as session:
        schools = {code: (school_id, name) for school_id, code, name in
                   session.execute(select(School.id, School.code, School.name))}
        subjects = set(vocab.SUBJECTS)
        subjects.update({n for s in session.scalars(select(Teacher.subject).distinct()) if s and (n := subject_name(s))})
        subjects.update(s for s in session.scalars(select(SubjectNeed.subject).distinct()) if s is not None)
    name, rows = parse_needs(Path(path), set(schools), subjects)
    result = NeedsImportResult(file=name, rows=len(rows), dry_run=dry_run)
    note = skipped_example_note(rows)
    if note:
        result.notes.append(note)
    groups: dict[tuple[int, str], dict[str, int]] = {}
    for row in rows:
        groups.setdefault((row.school_year, row.school), {})[row.subject] = row.slots
    result.schools = len(groups)
    years = {year for year, _code in groups}
    with store.read() as session:
        stored = _stored(session.connection(), years)
    defaults: dict[int, dict[str, dict[str, int]]] = {}
    tiers: dict[str, int] = {}
    for year in sorted(years):
        if not all((year, code) in stored for y, code in groups if y == year):
            plan_schools, derived = _defaults(store, year)
            for (code, subject), slots in derived.items():
                defaults.setdefault(year, {}).setdefault(code, {})[subject] = slots
            tiers = tiers or _tiers(plan_schools)
    if not tiers:
        tiers = _tiers(load_schools(store, dt.date.today()))
    idle = sorted({code for (_y, code), wanted in groups.items() if tiers.get(code) == 2 and any(wanted.values())})
    if idle:
        result.notes.append("城区（非薄弱）学校不接收交流教师，其需求不影响计划：" + "、".join(idle))
    if dry_run or not rows:
        _plan(groups, stored, defaults, schools, result)
        return result
    notes = list(result.notes)
    progress(*WRITING)

    def attempt() -> NeedsImportResult:
        """The lock first, then the comparison again (another import may have just written)."""
        done = NeedsImportResult(file=name, rows=len(rows), notes=list(notes))
        done.schools = result.schools
        with store.write(f"导入学科需求表 {name}（{len(rows)} 行）") as session:
            hold_write_lock(session.connection())
            ops = _plan(groups, _stored(session.connection(), years), defaults, schools, done)
            for values in ops.inserts:
                session.add(SubjectNeed(**values))
            for row_id, slots in ops.updates:
                need = session.get(SubjectNeed, row_id)
                if need is None:  # read under the same write lock a moment ago
                    raise RuntimeError("a subject need vanished under the write lock")
                need.slots = slots
            for row_id in ops.deletes:
                session.delete(session.get(SubjectNeed, row_id))
            session.flush()
            progress(*COMMITTING)
        return done

    return retrying(attempt)


def _tiers(schools: Mapping[str, PlanSchool]) -> dict[str, int]:
    return {code: tier(school) for code, school in schools.items()}


def import_file(store: Store, path: Path, dry_run: bool = False, *,
                progress: Progress = quiet) -> NeedsImportResult:
    """The ``edubridge import needs`` entry (db.importers)."""
    return import_needs(store, path, dry_run=dry_run, progress=progress)
