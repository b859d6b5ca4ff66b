"""A conflict as people read it: the table's and the fields' Chinese names, the two values
of every field that differs (binary data as its size)."""

from __future__ import annotations

from typing import Any

from db.audit import TABLE_LABELS

STAMPS = ("created_at", "updated_at")

#: Column names as the conflict dialog and the CLI show them (others as they are).
FIELD_LABELS = {
    "name": "名称", "code": "代码", "summary": "内容摘要", "lessons": "听课节数", "date": "日期",
    "activity_type": "活动类型", "host_school_id": "承办学校", "entered_by": "登记人", "visit_id": "所属活动",
    "role": "角色", "home_school_id": "所在学校", "teacher_id": "教师", "filename": "文件名", "data": "文件内容",
    "mime_type": "文件类型", "sha256": "校验值", "school_id": "学校", "start": "开始日期", "end_on": "结束日期",
    "students": "学生数", "classes": "班级数", "location": "城乡类别", "stage": "学段", "position": "职务",
    "gender": "性别", "birth_date": "出生日期", "id_number": "身份证号", "cluster_id": "集团", "import_key": "导入标识",
    "semester": "学期", "text": "内容", "is_weak": "薄弱学校", "region_id": "县区", "lead_school_id": "牵头校",
}


def _shown(value: Any) -> Any:
    if isinstance(value, dict) and "$base64" in value:
        return f"<{len(value['$base64']) * 3 // 4} 字节>"
    return value


def describe(conflict_id: int, origin: str, seq: int, table: str, record_id: str,
             mine: dict[str, Any] | None, theirs: dict[str, Any] | None) -> dict[str, Any]:
    """One conflict for the CLI's JSON and the dialog: the fields that differ, both values."""
    names = sorted(set(mine or {}) | set(theirs or {}))
    fields = [{"field": k, "label": FIELD_LABELS.get(k, k), "mine": _shown((mine or {}).get(k)),
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
