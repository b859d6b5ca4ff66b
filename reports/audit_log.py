"""The audit log as a workbook (审计日志导出): what the viewer shows, one row per entry."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from db.audit import Shown
from reports.xlsx import Column, Sheet, write_table

COLUMNS = (Column("序号", width=10), Column("时间（UTC）", width=22), Column("人员", width=14),
           Column("操作", width=8), Column("数据表", width=18), Column("记录", width=36),
           Column("修改前", width=60), Column("修改后", width=60), Column("说明", width=40))


def values_text(values: Any) -> str:
    """before/after as one readable line: 字段=值; …"""
    if values is None:
        return ""
    if isinstance(values, dict):
        return "；".join(f"{key}={json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value}"
                        for key, value in values.items())
    return json.dumps(values, ensure_ascii=False)


def write_audit(path: Path, entries: Sequence[Shown], filters: str = "") -> Path:
    rows = [(e.id, e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.action_label, e.entity_label, e.entity_id or "",
             values_text(e.before), values_text(e.after), e.note or "") for e in entries]
    notes = ["每一条审计记录都带有前一条的哈希值（哈希链），在软件之外改动或删除任何一条都会被“核对完整性”发现。",
             "按《中华人民共和国网络安全法》第二十一条，审计日志至少保存六个月。"]
    if filters:
        notes.insert(0, f"筛选条件：{filters}")
    return write_table(path, [Sheet("审计日志", COLUMNS, rows)], notes)
