"""Pairings (结对) from a clerk's spreadsheet — all or nothing, idempotent.

``edubridge import pairings FILE.xlsx [--dry-run]``. Headers: 结对类型, 支援方, 受援方, 开始日期
and optionally 结束日期, 备注.

* 结对类型 is one of :data:`policy.vocab.PAIRING_KINDS` (包片包抓, 手拉手 and the 1:1 kinds of
  海门2019计划 四(二)).
* 支援方: a school code, or — for a 1:1 pairing — a person's name (a bureau leader, a studio
  host). 包片包抓 and 手拉手 need a school.
* 受援方: a cluster's name (包片包抓 needs one), a school code, or a rural teacher's 身份证号 (学科带头人
  结对乡村教师).
* Identity: 结对类型 + 支援方 + 受援方 + 开始日期 — a repeat in the file is an error on both rows; in
  the store 结束日期 and 备注 are updated in place, so re-importing an export changes nothing and a
  pairing is ended by giving it a 结束日期.

Any problem → :class:`~db.importing.ImportFailed` with file, row and column, nothing written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.importing import (
    ImportProblem,
    RowReader,
    normal_text,
    parse_choice,
    parse_date,
    parse_text,
    read_sheet,
)
from db.models import Cluster, Pairing, School, Teacher
from db.register_import import RegisterImportResult, first_of_repeats, parsed, run_import
from db.store import Store
from policy import vocab
from policy.progress import Progress, quiet

KIND, SUPPORTER, TARGET, START, END, NOTES = "结对类型", "支援方", "受援方", "开始日期", "结束日期", "备注"
HEADERS = (KIND, SUPPORTER, TARGET, START, END, NOTES)
REQUIRED = (KIND, SUPPORTER, TARGET, START)
OPTIONAL = (END, NOTES)
SCHOOL_KINDS = ("包片包抓", "手拉手")  # both sides are schools (a cluster for 包片包抓)
EXAMPLE = ("手拉手", "6401990001", "6401990002", dt.date(2025, 9, 1), None, "示例")


@dataclasses.dataclass(frozen=True, slots=True)
class PairingRow:
    row: int
    kind: str
    supporter_text: str
    target_text: str
    supporter_school: uuid.UUID | None
    supporter_name: str | None
    cluster: uuid.UUID | None
    target_school: uuid.UUID | None
    target_teacher: uuid.UUID | None
    start: dt.date
    end: dt.date | None
    notes: str | None

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.kind, self.supporter_school, self.supporter_name,
                _target_key(self.cluster, self.target_school, self.target_teacher), self.start)


def _target_key(cluster: object, school: object, teacher: object) -> tuple[str, object]:
    """Who is supported, as the sheet names it: a teacher, else a school, else a cluster."""
    return ("teacher", teacher) if teacher else ("school", school) if school else ("cluster", cluster)


#: A person's 1:1 pairing names the person and, in brackets, the school: 宋晓颖美术名师工作室（2136239385）.
_PERSON_AT_SCHOOL = re.compile(r"^(?P<name>.+?)[（(](?P<code>[^（）()]+)[）)]$")


@dataclasses.dataclass(frozen=True, slots=True)
class _Lookups:
    schools: dict[str, uuid.UUID]  # code → id
    clusters: dict[str, uuid.UUID]  # name → id
    teachers: dict[str, uuid.UUID]  # 身份证号 → id


def parse_rows(path: Path, known: _Lookups) -> tuple[str, list[PairingRow], str | None]:
    name, sheet_rows = read_sheet(Path(path), REQUIRED, OPTIONAL, example=dict(zip(HEADERS, EXAMPLE)))
    problems: list[ImportProblem] = []
    rows: list[PairingRow] = []
    first_row: dict[tuple[Any, ...], int] = {}
    for sheet_row in sheet_rows:
        reader = RowReader(name, sheet_row, problems)
        kind = reader.cell(KIND, parse_choice, vocab.PAIRING_KINDS)
        supporter = reader.cell(SUPPORTER, parse_text, max_length=64) or ""
        target = reader.cell(TARGET, parse_text, max_length=128) or ""
        supporter_school = known.schools.get(normal_text(supporter)) if supporter else None
        supporter_name = None
        if supporter and supporter_school is None:
            at_school = _PERSON_AT_SCHOOL.match(supporter)
            if kind in SCHOOL_KINDS:
                reader.fail(SUPPORTER, f"{kind}的支援方须是学校名单中的学校代码，没有代码为 {supporter} 的学校")
            elif at_school and normal_text(at_school["code"]) in known.schools:
                supporter_name = at_school["name"].strip()
                supporter_school = known.schools[normal_text(at_school["code"])]
            else:
                supporter_name = supporter
        cluster = known.clusters.get(target) if target else None
        target_school = known.schools.get(normal_text(target)) if target and cluster is None else None
        target_teacher = known.teachers.get(normal_text(target).upper()) if target and not (cluster or target_school) else None
        if target and not (cluster or target_school or target_teacher):
            reader.fail(TARGET, f"“{target}”不是集团(学区)名称、学校代码或名册中教师的身份证号")
        elif kind == "包片包抓" and target and cluster is None:
            reader.fail(TARGET, "包片包抓的受援方须是集团(学区)名称")
        elif kind == "手拉手" and target and target_school is None:
            reader.fail(TARGET, "手拉手的受援方须是学校代码")
        start = reader.cell(START, parse_date)
        if start is None and reader.ok:
            reader.fail(START, "不能为空")
        end = reader.cell(END, parse_date)
        if start is not None and end is not None and end < start:
            reader.fail(END, f"结束日期 {end.isoformat()} 早于开始日期 {start.isoformat()}")
        notes = reader.cell(NOTES, parse_text, required=False, max_length=500)
        if reader.ok:
            row = PairingRow(sheet_row.number, kind, supporter, target, supporter_school, supporter_name, cluster,
                             target_school, target_teacher, start, end, notes)
            if first_of_repeats(reader, first_row, row.key, SUPPORTER, "同一结对类型、支援方、受援方和开始日期"):
                rows.append(row)
    return parsed(name, rows, problems, HEADERS, sheet_rows)


def _supporter_name(p: Pairing, teacher_names: dict[Any, str]) -> str | None:
    """The person a 1:1 pairing names (its own text, else the linked teacher); None for school kinds."""
    if p.kind in SCHOOL_KINDS:
        return None
    return p.supporter_name or teacher_names.get(p.supporter_teacher_id)


def _stored_key(p: Pairing, teacher_names: dict[Any, str]) -> tuple[Any, ...]:
    return (p.kind, p.supporter_school_id, _supporter_name(p, teacher_names),
            _target_key(p.cluster_id, p.target_school_id, p.target_teacher_id), p.start)


def _apply(session: Session, rows: list[PairingRow], result: RegisterImportResult, write: bool) -> None:
    teacher_names = dict(session.execute(select(Teacher.id, Teacher.name)).all())
    stored = {_stored_key(p, teacher_names): p for p in session.scalars(select(Pairing))}
    for row in rows:
        who = f"第{row.row}行 {row.kind} {row.supporter_text} → {row.target_text}"
        pairing = stored.get(row.key)
        if pairing is None:
            result.inserted += 1
            result.changes.append(f"{who}：新增，{row.start.isoformat()}起" + (f"至{row.end.isoformat()}" if row.end else ""))
            if write:
                session.add(Pairing(id=uuid.uuid4(), kind=row.kind, supporter_school_id=row.supporter_school,
                                    supporter_name=row.supporter_name, cluster_id=row.cluster,
                                    target_school_id=row.target_school, target_teacher_id=row.target_teacher,
                                    start=row.start, end=row.end, notes=row.notes))
            continue
        changed = [label for label, old, new in ((END, pairing.end, row.end), (NOTES, pairing.notes, row.notes))
                   if old != new]
        if not changed:
            result.unchanged += 1
            continue
        result.updated += 1
        result.changes.append(f"{who}：更新{'、'.join(changed)}")
        if write:
            pairing.end, pairing.notes = row.end, row.notes


def import_pairings(store: Store, path: Path, *, dry_run: bool = False,
                    progress: Progress = quiet) -> RegisterImportResult:
    """Import or update the pairings in ``path``; one transaction, nothing written on any error."""

    def parse(session: Session, file: Path) -> tuple[str, list[PairingRow], str | None]:
        known = _Lookups(dict(session.execute(select(School.code, School.id)).all()),
                         dict(session.execute(select(Cluster.name, Cluster.id)).all()),
                         dict(session.execute(select(Teacher.id_number, Teacher.id)).all()))
        return parse_rows(file, known)

    return run_import(store, path, parse, _apply, "结对", "个", dry_run, progress)


def import_file(store: Store, path: Path, dry_run: bool = False, *,
                progress: Progress = quiet) -> RegisterImportResult:
    """The ``edubridge import pairings`` entry (db.importers)."""
    return import_pairings(store, path, dry_run=dry_run, progress=progress)


def export_rows(store: Store) -> list[list[object]]:
    """Every pairing in the template's columns (supporter: school code or name; target: cluster
    name, school code or teacher's 身份证号), by kind and start."""
    with store.read() as session:
        codes = dict(session.execute(select(School.id, School.code)).all())
        clusters = dict(session.execute(select(Cluster.id, Cluster.name)).all())
        teachers = dict(session.execute(select(Teacher.id, Teacher.id_number)).all())
        names = dict(session.execute(select(Teacher.id, Teacher.name)).all())
        rows = []
        for p in session.scalars(select(Pairing).order_by(Pairing.kind, Pairing.start)):
            person = _supporter_name(p, names)
            code = codes.get(p.supporter_school_id) if p.supporter_school_id else None
            supporter = (f"{person}（{code}）" if code else person) if person else code or ""
            target = ((p.target_teacher_id and teachers.get(p.target_teacher_id))
                      or (p.target_school_id and codes.get(p.target_school_id))
                      or (clusters.get(p.cluster_id, "") if p.cluster_id else ""))
            rows.append([p.kind, supporter, target, p.start, p.end, p.notes])
    return rows
