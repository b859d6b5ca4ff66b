"""Quality figures per school and school year (巩固率, 辍学率, …) from a clerk's spreadsheet,
or one school year at a time from the GUI form (:func:`parse_entry`, :func:`save_figures`).

``edubridge import quality FILE.xlsx [--dry-run]``. Headers: 学校代码, 学年 and any of
:data:`policy.vocab.QUALITY_INDICATORS` (percent, except 学业质量监测均分). 学年 is the year the
school year starts (2025) or 2025—2026学年 / 2025-2026. A blank cell says nothing (the stored
figure stays); a figure must be between 0 and 100. One row per school and year (a repeat is
an error on both rows). Re-importing an export changes nothing. The figures feed the annual
report's value-added (``db.annual``) and are judged against the profile (``policy.quality``).
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.importing import (
    CellError,
    ImportFailed,
    ImportProblem,
    RowReader,
    normal_text,
    parse_float,
    read_sheet,
    skipped_example_note,
)
from db.models import QualityIndicator, School
from db.register_import import RegisterImportResult, run_import
from db.store import Store
from policy.progress import Progress, quiet
from policy.vocab import QUALITY_INDICATORS

SCHOOL, YEAR = "学校代码", "学年"
HEADERS = (SCHOOL, YEAR, *QUALITY_INDICATORS)
REQUIRED = (SCHOOL, YEAR)
EXAMPLE = ("6401990001", 2025, 72.5, 98.6, 93.2, 0.2, 96.0)
_YEAR = re.compile(r"^(\d{4})(?:\s*[—–\-~至]\s*(\d{4}))?(?:学年)?$")


@dataclasses.dataclass(frozen=True, slots=True)
class QualityRow:
    row: int
    code: str
    school_id: uuid.UUID
    year: int
    values: dict[str, float]


def parse_year(value: object) -> int:
    """2025, "2025", "2025—2026学年" or "2025-2026" → 2025 (the year the school year starts)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        year = int(value)
    else:
        match = _YEAR.match(normal_text(value).replace(" ", ""))
        if not match:
            raise CellError(f"“{normal_text(value)}”不是学年（写作 2025 或 2025—2026学年）")
        year = int(match.group(1))
        if match.group(2) and int(match.group(2)) != year + 1:
            raise CellError(f"“{normal_text(value)}”的两个年份应相邻")
    if not 2000 <= year <= 2100:
        raise CellError(f"学年 {year} 超出范围")
    return year


def parse_figure(value: object) -> float | None:
    """One quality figure: blank → None, else a number from 0 to 100. The import's cells and the
    GUI form's fields both go through here (one rule, one place)."""
    number = parse_float(value)
    if number is not None and number > 100:
        raise CellError(f"{number:g} 大于 100")
    return number


def parse_entry(year: object, values: dict[str, Any]) -> tuple[int, dict[str, float | None], dict[str, str]]:
    """A school year's figures as the GUI form gives them: (year, indicator → value or None for
    blank, field → what is wrong). The same parsers as the import's cells."""
    problems: dict[str, str] = {}
    parsed_year = 0
    try:
        parsed_year = parse_year(year)
    except CellError as exc:
        problems[YEAR] = str(exc)
    parsed: dict[str, float | None] = {}
    for indicator in QUALITY_INDICATORS:
        try:
            parsed[indicator] = parse_figure(values.get(indicator))
        except CellError as exc:
            problems[indicator] = str(exc)
    return parsed_year, parsed, problems


def school_figures(store: Store, school_id: uuid.UUID, year: int) -> dict[str, float]:
    """The stored figures of one school and school year."""
    with store.read() as session:
        return dict(session.execute(
            select(QualityIndicator.indicator, QualityIndicator.value)
            .where(QualityIndicator.school_id == school_id, QualityIndicator.school_year == year)).all())


def save_figures(store: Store, school_id: uuid.UUID, year: int, values: dict[str, float | None]) -> list[str]:
    """Write one school year's figures as the form shows them, in one audited transaction: a
    value adds or changes the figure, None removes a stored one (the clerk cleared the field).
    Values must come from :func:`parse_entry`. Returns what changed (empty: nothing to write)."""
    with store.read() as session:
        school = session.get(School, school_id)
        label = f"{school.name}（{school.code}）" if school else str(school_id)
    stored = school_figures(store, school_id, year)
    changes = []
    for indicator, value in values.items():
        old = stored.get(indicator)
        if value is None and old is not None:
            changes.append(f"{indicator} {old:g} → 删除")
        elif value is not None and old is None:
            changes.append(f"{indicator} 新增 {value:g}")
        elif value is not None and old is not None and abs(old - value) > 1e-9:
            changes.append(f"{indicator} {old:g} → {value:g}")
    if not changes:
        return []
    with store.write(f"质量数据 {label} {year}—{year + 1}学年：" + "、".join(changes)) as session:
        rows = {q.indicator: q for q in session.scalars(select(QualityIndicator).where(
            QualityIndicator.school_id == school_id, QualityIndicator.school_year == year))}
        for indicator, value in values.items():
            row = rows.get(indicator)
            if value is None and row is not None:
                session.delete(row)
            elif value is not None and row is None:
                session.add(QualityIndicator(school_id=school_id, school_year=year, indicator=indicator, value=value))
            elif value is not None and row is not None and abs(row.value - value) > 1e-9:
                row.value = value
    return changes


def parse_rows(path: Path, schools: dict[str, uuid.UUID]) -> tuple[str, list[QualityRow], str | None]:
    name, sheet_rows = read_sheet(Path(path), REQUIRED, QUALITY_INDICATORS, example=dict(zip(HEADERS, EXAMPLE)))
    problems: list[ImportProblem] = []
    rows: list[QualityRow] = []
    first_row: dict[tuple[str, int], int] = {}
    for sheet_row in sheet_rows:
        reader = RowReader(name, sheet_row, problems)
        code = normal_text(sheet_row.get(SCHOOL)).replace(" ", "")
        school_id = schools.get(code)
        if not code:
            reader.fail(SCHOOL, "不能为空")
        elif school_id is None:
            reader.fail(SCHOOL, f"学校名单中没有代码为 {code} 的学校")
        year = reader.cell(YEAR, parse_year)
        values = {}
        for indicator in QUALITY_INDICATORS:
            value = reader.cell(indicator, parse_figure)
            if value is not None:
                values[indicator] = value
        if code and year is not None:
            previous = first_row.get((code, year))
            if previous is not None:
                message = "与第{}行重复（同一学校、同一学年）"
                reader.fail(SCHOOL, message.format(previous))
                problems.append(ImportProblem(name, previous, SCHOOL, message.format(sheet_row.number)))
            else:
                first_row[(code, year)] = sheet_row.number
        if reader.ok and school_id is not None:
            rows.append(QualityRow(sheet_row.number, code, school_id, year, values))
    if problems:
        problems.sort(key=lambda p: (p.row, HEADERS.index(p.column) if p.column in HEADERS else 99))
        raise ImportFailed(problems)
    return name, rows, skipped_example_note(sheet_rows)


def _apply(session: Session, rows: list[QualityRow], result: RegisterImportResult, write: bool) -> None:
    stored = {(q.school_id, q.school_year, q.indicator): q for q in session.scalars(
        select(QualityIndicator).where(QualityIndicator.school_year.in_(sorted({r.year for r in rows}))))} if rows else {}
    for row in rows:
        added, changed = [], []
        for indicator, value in row.values.items():
            found = stored.get((row.school_id, row.year, indicator))
            if found is None:
                added.append(f"{indicator} {value:g}")
                if write:
                    session.add(QualityIndicator(school_id=row.school_id, school_year=row.year,
                                                 indicator=indicator, value=value))
            elif abs(found.value - value) > 1e-9:
                changed.append(f"{indicator} {found.value:g} → {value:g}")
                if write:
                    found.value = value
        who = f"第{row.row}行 {row.code} {row.year}—{row.year + 1}学年"
        if added and not changed and not any(stored.get((row.school_id, row.year, i)) for i in QUALITY_INDICATORS):
            result.inserted += 1
            result.changes.append(f"{who}：新增 " + "、".join(added))
        elif added or changed:
            result.updated += 1
            result.changes.append(f"{who}：" + "、".join(changed + [f"新增 {a}" for a in added]))
        else:
            result.unchanged += 1


def import_quality(store: Store, path: Path, *, dry_run: bool = False,
                   progress: Progress = quiet) -> RegisterImportResult:
    """Import or update the quality figures in ``path``; one transaction, nothing written on any error."""

    def parse(session: Session, file: Path) -> tuple[str, list[QualityRow], str | None]:
        return parse_rows(file, dict(session.execute(select(School.code, School.id)).all()))

    return run_import(store, path, parse, _apply, "质量数据", "行", dry_run, progress)


def import_file(store: Store, path: Path, dry_run: bool = False, *,
                progress: Progress = quiet) -> RegisterImportResult:
    """The ``edubridge import quality`` entry (db.importers)."""
    return import_quality(store, path, dry_run=dry_run, progress=progress)


def stored_rows(store: Store) -> list[tuple[str, int, dict[str, float]]]:
    """(school code, school year, indicator → value) of every school and year with figures."""
    grouped: dict[tuple[str, int], dict[str, float]] = {}
    with store.read() as session:
        for code, year, indicator, value in session.execute(
            select(School.code, QualityIndicator.school_year, QualityIndicator.indicator, QualityIndicator.value)
            .join(School, School.id == QualityIndicator.school_id)
            .order_by(School.code, QualityIndicator.school_year)
        ):
            grouped.setdefault((code, year), {})[indicator] = value
    return [(code, year, values) for (code, year), values in grouped.items()]
