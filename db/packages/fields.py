"""A conflict as people read it: the table's and the fields' Chinese names, the two values
of every field that differs (binary data as its size)."""

from __future__ import annotations

from typing import Any

from db.audit import TABLE_LABELS
from db.field_labels import field_label

STAMPS = ("created_at", "updated_at")


def _shown(value: object) -> object:
    if isinstance(value, dict) and "$base64" in value:
        return f"<{len(value['$base64']) * 3 // 4} 字节>"
    return value


def describe(conflict_id: int, origin: str, seq: int, table: str, record_id: str,
             mine: dict[str, Any] | None, theirs: dict[str, Any] | None) -> dict[str, Any]:
    """One conflict for the CLI's JSON and the dialog: the fields that differ, both values."""
    names = sorted(set(mine or {}) | set(theirs or {}))
    fields = [{"field": k, "label": field_label(table, k), "mine": _shown((mine or {}).get(k)),
               "theirs": _shown((theirs or {}).get(k))}
              for k in names if k not in STAMPS and (mine or {}).get(k) != (theirs or {}).get(k)]
    label = TABLE_LABELS.get(table, table)
    if mine is None:
        summary = f"{label}：本机已删除，对方修改了"
    elif theirs is None:
        summary = f"{label}：对方已删除，本机修改了"
    else:
        summary = f"{label}：两边都修改了 {len(fields)} 个字段"
    return {"id": conflict_id, "origin": origin, "seq": seq, "table": table, "table_label": label,
            "record_id": record_id, "summary": summary, "mine_deleted": mine is None,
            "theirs_deleted": theirs is None, "fields": fields}
