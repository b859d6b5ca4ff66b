"""Clusters and their members as a spreadsheet, one row per membership.

Headers: 集团名称, 类型, 学校代码, 角色, 加入日期, 退出日期. A membership is identified by
(集团名称, 学校代码, 加入日期): a new one is added, a known one gets its 角色/退出日期
updated when they differ, otherwise it is unchanged — so importing the same file twice
changes nothing, and membership records missing from the file are never deleted
(history is kept). Clusters are created by name; a cluster's type follows the file; its
lead school is the school with a lead role (牵头校 …) still in it.

A school listed in two clusters at overlapping dates is *not* refused: the file says so,
and ``edubridge check`` reports it (membership.overlap). What is refused (nothing written,
every problem listed) is what cannot be stored: unknown school codes, bad dates or
values, a 退出日期 before the 加入日期, one cluster given two types, a repeated row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from db.importers import READING, WRITING
from db.importing import (
    ImportFailed,
    ImportProblem,
    SheetRows,
    iter_rows,
    parse_choice,
    parse_date,
    parse_text,
    read_sheet,
    skipped_example_note,
    years_from_today,
)
from db.locks import write_serialised
from db.models import Cluster, Membership, School, utcnow
from db.school_import import ImportPlan
from db.store import Store
from policy import vocab
from policy.calendar import Span
from policy.progress import Progress, quiet

HEADERS = ("集团名称", "类型", "学校代码", "角色", "加入日期", "退出日期")
REQUIRED = ("集团名称", "类型", "学校代码", "角色", "加入日期")
ROLE_CHOICES = ("牵头校", "成员校") + tuple(r for r in vocab.MEMBERSHIP_ROLES if r not in ("牵头校", "成员校"))
CHOICES = {"类型": vocab.CLUSTER_KINDS, "角色": ROLE_CHOICES}
DATE_HEADERS = ("加入日期", "退出日期")
# Sanity range of a membership date (not a policy figure): school groups date from the 1980s.
EARLIEST = dt.date(1980, 1, 1)
# The template's example row: written by the template, skipped by the importer when left unchanged.
EXAMPLE = ("示例县第一教育集团", "教育集团", "6401990001", "牵头校", dt.date(2019, 9, 1), None)
NOTES = (
    "集团(学区)成员导入说明",
    "1. 每行一所成员学校；同一集团有几所学校就写几行，牵头校也要单独占一行。",
    "2. 类型可选：" + "、".join(vocab.CLUSTER_KINDS) + "；同一集团各行的类型必须一致。",
    "3. 学校代码必须是学校名单中已有的学校（请先导入学校名单）。",
    "4. 角色可选：" + "、".join(ROLE_CHOICES) + "（牵头校、总校、支援校、片区长学校为牵头学校）。",
    "5. 加入日期、退出日期可写作 2019-09-01、2019/9/1、2019.9.1 或 2019年9月1日；仍是成员的学校退出日期留空。",
    "6. 学校调到另一集团时：原集团那一行填退出日期，新集团另写一行，加入日期与退出日期为同一天。",
    "7. 以（集团名称、学校代码、加入日期）识别一条成员记录；再次导入只会新增或更新，不会删除历史记录。",
    "8. 任何一行有错误时整个文件都不会导入，错误会列出行号、列名和原因。",
)


def plan_import(store: Store, path: Path, progress: Progress = quiet) -> ImportPlan:
    """Read and check ``path``; say what importing it would change. Writes nothing.

    Raises:
        ImportFailed: every problem of the file (row, column, reason).
    """
    progress(*READING)
    name, rows = read_sheet(Path(path), REQUIRED, ["退出日期"], example=dict(zip(HEADERS, EXAMPLE)))
    with store.read() as session:
        return _compare(session.connection(), name, rows)


def _compare(connection: Connection, name: str, rows: SheetRows) -> ImportPlan:
    """The plan of ``rows`` against the store as ``connection`` sees it (also under the
    import lock, see :func:`apply_import`)."""
    schools = {r.code: (r.id, r.region_id) for r in connection.execute(select(School.code, School.id, School.region_id))}
    clusters = {r.name: r for r in connection.execute(
        select(Cluster.id, Cluster.name, Cluster.kind, Cluster.lead_school_id, Cluster.founded))}
    existing: dict[tuple[uuid.UUID, uuid.UUID, dt.date], list[Any]] = {}
    for r in connection.execute(select(Membership.id, Membership.cluster_id, Membership.school_id,
                                       Membership.joined, Membership.role, Membership.left_on)
                                .where(Membership.copy_no == 0).order_by(Membership.created_at, Membership.id)):
        existing.setdefault((r.cluster_id, r.school_id, r.joined), []).append(r)
    problems: list[ImportProblem] = []
    plan = ImportPlan(file=name, kind="clusters", source=rows)
    note = skipped_example_note(rows)
    if note:
        plan.notes.append(note)
    kinds: dict[str, tuple[str, int]] = {}
    seen: dict[tuple[str, str, dt.date], int] = {}
    parsed: list[dict[str, Any]] = []
    for reader in iter_rows(name, rows, problems):
        cluster_name = reader.cell("集团名称", parse_text, max_length=128)
        if cluster_name:
            cluster_name = " ".join(cluster_name.split())
        kind = reader.cell("类型", parse_choice, vocab.CLUSTER_KINDS)
        code = reader.cell("学校代码", parse_text, max_length=32)
        role = reader.cell("角色", parse_choice, vocab.MEMBERSHIP_ROLES)
        joined = reader.cell("加入日期", parse_date, earliest=EARLIEST, latest=years_from_today(10))
        left = reader.cell("退出日期", parse_date, earliest=EARLIEST, latest=years_from_today(10))
        if joined is None and "加入日期" not in [p.column for p in problems if p.row == reader.row.number]:
            reader.fail("加入日期", "不能为空")
        if code is not None:
            code = code.replace(" ", "")
            if code not in schools:
                reader.fail("学校代码", f"学校代码“{code}”不在学校名单中，请先导入学校名单")
        if joined is not None and left is not None and left < joined:
            reader.fail("退出日期", f"退出日期{left.isoformat()}早于加入日期{joined.isoformat()}")
        if cluster_name and kind:
            first = kinds.setdefault(cluster_name, (kind, reader.row.number))
            if first[0] != kind:
                reader.fail("类型", f"“{cluster_name}”在第{first[1]}行为{first[0]}，此行为{kind}，同一集团类型须一致")
        if cluster_name and code and joined:
            key = (cluster_name, code, joined)
            if key in seen:
                reader.fail("学校代码", f"与第{seen[key]}行重复（同一集团、学校、加入日期）")
            seen.setdefault(key, reader.row.number)
        if reader.ok:
            parsed.append({"cluster": cluster_name, "kind": kind, "code": code, "role": role,
                           "joined": joined, "left_on": left})
    if problems:
        raise ImportFailed(problems)

    new_clusters: dict[str, dict[str, Any]] = {}
    cluster_ids: dict[str, uuid.UUID] = {n: r.id for n, r in clusters.items()}
    for row in parsed:
        if row["cluster"] not in cluster_ids:
            school_id, region_id = schools[row["code"]]
            new = {"id": uuid.uuid4(), "name": row["cluster"], "kind": row["kind"], "region_id": region_id,
                   "founded": row["joined"], "lead_school_id": None}
            new_clusters[row["cluster"]] = new
            cluster_ids[row["cluster"]] = new["id"]
        elif row["cluster"] in new_clusters:
            new = new_clusters[row["cluster"]]
            new["founded"] = min(new["founded"], row["joined"])
    leads = _leads(parsed, schools)
    for cname, new in new_clusters.items():
        new["lead_school_id"] = leads.get(cname)
        plan.changes.append(f"新建集团 {cname}（{new['kind']}）")
    cluster_updates = []
    for cname, old in clusters.items():
        if cname not in kinds:
            continue
        values = {"kind": kinds[cname][0], "lead_school_id": leads.get(cname, old.lead_school_id)}
        changed = [k for k, v in values.items() if getattr(old, k) != v]
        if changed:
            cluster_updates.append({"_id": old.id, **values})
            plan.changes.append(f"更新集团 {cname}：" + "、".join({"kind": "类型", "lead_school_id": "牵头校"}[k] for k in changed))
    plan.extra = [{"table": "cluster", **c} for c in new_clusters.values()] + [
        {"table": "cluster_update", **u} for u in cluster_updates
    ]
    for row in parsed:
        cluster_id = cluster_ids[row["cluster"]]
        school_id = schools[row["code"]][0]
        # A role changed on the joining day left two records that day: the one with the
        # file's role is the match, else the latest.
        same_day = existing.get((cluster_id, school_id, row["joined"]), [])
        stored = next((r for r in same_day if r.role == row["role"]), same_day[-1] if same_day else None)
        values = {"role": row["role"], "left_on": row["left_on"]}
        if stored is None:
            plan.added.append({"cluster_id": cluster_id, "school_id": school_id, "joined": row["joined"], **values})
            plan.changes.append(f"新增 {row['cluster']} ← {row['code']}（{row['role']}，{row['joined'].isoformat()}起）")
        elif stored.role != row["role"] or stored.left_on != row["left_on"]:
            plan.updated.append((stored.id, values, [k for k in values if getattr(stored, k) != values[k]]))
            plan.changes.append(f"更新 {row['cluster']} ← {row['code']}：角色/退出日期")
        else:
            plan.unchanged += 1
    return plan


def _leads(parsed: Sequence[dict[str, Any]], schools: dict[str, tuple[uuid.UUID, uuid.UUID]]) -> dict[str, uuid.UUID]:
    """Cluster name → its lead school: a lead-role row still open, else the latest lead row."""
    best: dict[str, tuple[tuple[bool, dt.date], uuid.UUID]] = {}
    for row in parsed:
        if row["role"] not in vocab.LEAD_ROLES:
            continue
        rank = (row["left_on"] is None, row["joined"])
        current = best.get(row["cluster"])
        if current is None or rank > current[0]:
            best[row["cluster"]] = (rank, schools[row["code"]][0])
    return {name: school_id for name, (_, school_id) in best.items()}


def apply_import(store: Store, plan: ImportPlan, progress: Progress = quiet) -> ImportPlan:
    """Write ``plan`` in one transaction (one audit entry); nothing when it changes nothing.

    Compared again under the import lock first (see db.school_import.apply_import).
    """
    if plan.empty:
        return plan
    progress(*WRITING)
    compare = (lambda _c: plan) if plan.source is None else (lambda c: _compare(c, plan.file, plan.source))
    return write_serialised(lambda p: store.bulk("membership", f"导入集团成员 {p.file}：{p.summary()}"),
                            plan, compare, _write, progress)


def _write(connection: Connection, plan: ImportPlan) -> None:
    now = utcnow()
    new_clusters = [{k: v for k, v in e.items() if k != "table"} for e in plan.extra if e["table"] == "cluster"]
    updates = [{k: v for k, v in e.items() if k != "table"} for e in plan.extra if e["table"] == "cluster_update"]
    if new_clusters:
        connection.execute(Cluster.__table__.insert(), [
            {**c, "created_at": now, "updated_at": now} for c in new_clusters
        ])
    if updates:
        table = Cluster.__table__
        connection.execute(
            update(table).where(table.c.id == bindparam("_id"))
            .values(kind=bindparam("kind"), lead_school_id=bindparam("lead_school_id"), updated_at=now),
            updates,
        )
    if plan.added:
        connection.execute(Membership.__table__.insert(), [
            {"id": uuid.uuid4(), "created_at": now, "updated_at": now, **row} for row in plan.added
        ])
    if plan.updated:
        table = Membership.__table__
        connection.execute(
            update(table).where(table.c.id == bindparam("_id"))
            .values(role=bindparam("role"), left_on=bindparam("left_on"), updated_at=now),
            [{"_id": mid, **values} for mid, values, _ in plan.updated],
        )


def import_file(store: Store, path: Path, dry_run: bool = False, *,
                progress: Progress = quiet) -> ImportPlan:
    """The ``edubridge import clusters`` entry (db.importers)."""
    plan = plan_import(store, path, progress)
    return plan if dry_run else apply_import(store, plan, progress)


def export_rows(store: Store) -> list[tuple[Any, ...]]:
    """Every membership record in force on at least one day, by cluster, lead first, join date."""
    with store.read() as session:
        rows = session.execute(
            select(Cluster.name, Cluster.kind, School.code, Membership.role, Membership.joined, Membership.left_on)
            .join(Cluster, Cluster.id == Membership.cluster_id)
            .join(School, School.id == Membership.school_id)
        ).all()
    kept = [r for r in rows if not Span.left(r.joined, r.left_on).empty]
    kept.sort(key=lambda r: (r.name, r.role not in vocab.LEAD_ROLES, r.joined, r.code))
    return [tuple(r) for r in kept]


def example_rows() -> list[tuple[Any, ...]]:
    return [EXAMPLE]
