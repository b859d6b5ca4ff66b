"""The audit log as a workbook (审计日志导出): what the viewer shows, one row per record changed.

Changes read as people read them: Chinese field names (``db.field_labels``), dates and
times without ISO's ``T`` and microseconds, coded values in words, the schools, teachers,
clusters and counties a change refers to by name, and ID numbers masked
(``policy.idcard.masked``: the log is for finding who changed what, not a roster).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from db.audit import Shown, referenced_columns
from db.field_labels import field_label, value_label
from db.store import SYSTEM_ACTOR
from policy.idcard import masked
from reports.xlsx import Column, Sheet, write_table

COLUMNS = (Column("序号", width=10), Column("时间（UTC）", width=22), Column("人员", width=14),
           Column("操作", width=8), Column("数据表", width=18), Column("记录", width=36),
           Column("修改前", width=60), Column("修改后", width=60), Column("说明", width=40))

#: A stored date-time: ISO (``T``) or SQLAlchemy's SQLite text, seconds and fraction optional.
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d)(?::\d\d(?:\.\d+)?)?(?:[+-]\d\d:\d\d|Z)?$")
_MASKED_FIELDS = frozenset({"id_number"})


def actor_text(actor: str) -> str:
    """Who made a change: the user name, or 系统 for the program's own writes."""
    return "系统" if actor == SYSTEM_ACTOR else actor


def value_text(name: str, value: object, names: Mapping[str, str] | None = None) -> str:
    """One stored value as the viewer shows it (``names``: the names of the records this
    column refers to, by id)."""
    if value is None or value == "":
        return "空"
    if name in _MASKED_FIELDS:
        return str(masked(value))
    if names and isinstance(value, str) and value in names:
        return names[value]
    value = value_label(name, value)
    if isinstance(value, str):
        stamp = _STAMP.match(value)
        return f"{stamp.group(1)} {stamp.group(2)}" if stamp else value
    if isinstance(value, bool):
        return "是" if value else "否"
    return json.dumps(value, ensure_ascii=False)


def values_text(values: Any, entity: str | None = None, names: Mapping[str, str] | None = None) -> str:
    """before/after as one readable line: 字段=值；…"""
    if values is None:
        return ""
    if isinstance(values, dict):
        refers = referenced_columns(entity) if entity and names else {}
        return "；".join(f"{field_label(entity, key)}={value_text(key, value, names if key in refers else None)}"
                        for key, value in values.items() if key != "id")  # the id: the 记录 column
    return json.dumps(values, ensure_ascii=False)


def write_audit(path: Path, entries: Sequence[Shown], filters: str = "",
                names: Mapping[str, str] | None = None) -> Path:
    rows = [(e.id, e.at.strftime("%Y-%m-%d %H:%M:%S"), actor_text(e.actor), e.action_label, e.entity_label, e.entity_id or "",
             values_text(e.before, e.entity, names), values_text(e.after, e.entity, names), e.note or "")
            for e in entries]
    notes = ["每一条审计记录都带有前一条的哈希值（哈希链），在软件之外改动或删除任何一条都会被“核对完整性”发现。",
             "身份证号只显示前六位和后四位。",
             "按《中华人民共和国网络安全法》第二十一条，审计日志至少保存六个月。"]
    if filters:
        notes.insert(0, f"筛选条件：{filters}")
    return write_table(path, [Sheet("审计日志", COLUMNS, rows)], notes)
