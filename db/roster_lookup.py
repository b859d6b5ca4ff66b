"""The teacher a spreadsheet row names: its ID number cell checked against the roster, and
its 姓名 cell against the stored name (a mismatch is the usual sign of a row typed against the
wrong number). Shared by the imports that refer to teachers already in the roster.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.importing import RowReader, is_blank, normal_text, parse_id_cell, parse_text
from db.models import Teacher
from policy.idcard import IdNumberError

Roster = dict[str, tuple[uuid.UUID, str]]  # ID number → (teacher id, stored name)


def roster(session: Session) -> Roster:
    """Every teacher of the store by ID number."""
    return {number: (i, name) for number, i, name in session.execute(select(Teacher.id_number, Teacher.id, Teacher.name))}


def _squeezed(text: str) -> str:
    return "".join(normal_text(text).split())


def read_teacher(reader: RowReader, roster: Roster, id_header: str = "身份证号", name_header: str = "姓名",
                 name_required: bool = True) -> tuple[str | None, tuple[uuid.UUID, str] | None]:
    """(ID number, (teacher id, stored name)) of the row; problems go to ``reader``. A 姓名
    given is checked against the roster, whether or not it is required."""
    raw: Any = reader.row.get(id_header)
    number, teacher = None, None
    if is_blank(raw):
        reader.fail(id_header, "不能为空")
    else:
        try:
            number = parse_id_cell(raw).number
        except IdNumberError as exc:
            reader.fail(id_header, str(exc))
        else:
            teacher = roster.get(number)
            if teacher is None:
                reader.fail(id_header, f"名册中没有此身份证号（{number}），请先导入教师名册")
    typed = reader.cell(name_header, parse_text, required=name_required, max_length=64)
    if teacher is not None and typed and _squeezed(typed) != _squeezed(teacher[1]):
        reader.fail(name_header, f"姓名“{typed}”与名册中身份证号 {number} 的姓名“{teacher[1]}”不一致")
    return number, teacher
