"""Workbooks of recorded exchanges (交流记录) in the import layout: the template and the export.

The export has the template's columns, so a clerk can export, correct and re-import
(``edubridge import exchanges``); an unchanged export imports back with no change. The
national registry's six-field layout stays in :mod:`reports.exchange_tables`.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from db.exchange_import import (
    END,
    EXAMPLE,
    FORM,
    HEADERS,
    ID,
    NAME,
    NOTES,
    PERSONNEL,
    SOURCE,
    START,
    TARGET,
)
from db.models import Exchange, School, Teacher
from db.store import Store
from policy import vocab
from policy.profile import Profile
from reports.xlsx import Column, Sheet, write_table

DATE = "yyyy-mm-dd"
TITLE = "交流记录"


def exchange_columns() -> list[Column]:
    widths = {ID: 22, NAME: 10, SOURCE: 26, TARGET: 26, FORM: 12, PERSONNEL: 18, NOTES: 30}
    choices = {FORM: vocab.EXCHANGE_FORMS, PERSONNEL: ("是", "否")}
    return [Column(h, choices.get(h, ()), widths.get(h, 14), DATE if h in (START, END) else None) for h in HEADERS]


def template_notes(profile: Profile) -> list[str]:
    """The 说明 sheet: the columns, then each form's rules from the profile with its clause."""
    notes = [
        "交流记录导入说明（edubridge import exchanges 文件.xlsx）",
        "每行一项交流：身份证号、姓名须与教师名册一致；原单位、交流单位填学校代码或学校名单中的名称（重名时须填代码）。",
        "开始日期必填；结束日期不得早于开始日期，调动人事关系的轮岗可留空（临时性交流留空时按长期登记并提示）。也可只写年月，如 2025-09（开始日期取1日，结束日期取月末）。",
        "是否调动人事关系：是 / 否（留空为否）。只有政策设置允许的形式（默认只有轮岗）可以调动人事关系；"
        "调动后在交流单位重新计算任教年限，临时性交流结束后教师回原单位，任教年限连续计算。",
        "走教：一名教师同时到几所学校的，每所学校一行，可在备注中写“每周2天”；其他形式同一教师同一时间只能有一项。",
        "再次导入：同一教师、交流单位、交流形式、开始日期视为同一项交流，只更新结束日期（提前结束或延期）和备注；"
        "导出的文件原样导入不会产生任何改动。任何一行有错时整个文件不写入，并列出文件、行号、列名和原因。",
        "各交流形式的规定（政策设置）：",
    ]
    for form in vocab.EXCHANGE_FORMS:
        rule = profile.exchange_forms.get(form)
        if rule is not None:
            notes.append(f"{form}：{rule.label}；最长 {rule.term_months} 个月；"
                         f"{'可' if rule.personnel_may_move else '不'}调动人事关系；"
                         f"{'计入' if rule.counts else '不计入'}交流比例。依据：{rule.clause}")
    return notes


def write_template(path: Path, profile: Profile) -> Path:
    """An empty sheet with drop-downs, the importer's example row (skipped while unchanged) and 说明."""
    return write_table(path, [Sheet(TITLE, exchange_columns(), example=EXAMPLE)], template_notes(profile))


def exchange_rows(store: Store) -> list[list[object]]:
    """Every recorded exchange (approved, not cancelled) in the template's columns.

    Schools are written by name, or by code where two schools share the name, so each
    cell imports back to the same school.
    """
    e, t, s = Exchange.__table__, Teacher.__table__, School.__table__
    src, dst = s.alias("src"), s.alias("dst")
    with store.read() as session:
        connection = session.connection()
        shared = _shared([name for (name,) in connection.execute(select(s.c.name))])
        query = (select(t.c.id_number, t.c.name, src.c.code, src.c.name, dst.c.code, dst.c.name, e.c.form, e.c.start,
                        e.c.end_on, e.c.moves_personnel, e.c.notes)
                 .join(t, t.c.id == e.c.teacher_id).join(src, src.c.id == e.c.from_school_id)
                 .join(dst, dst.c.id == e.c.to_school_id).where(e.c.status == "approved")
                 .order_by(t.c.id_number, e.c.start, e.c.form, dst.c.code))
        return [[number, name, src_name if src_name not in shared else src_code,
                 dst_name if dst_name not in shared else dst_code, form, start, end, "是" if personnel else "否",
                 notes or None]
                for number, name, src_code, src_name, dst_code, dst_name, form, start, end, personnel, notes
                in connection.execute(query)]


def _shared(names: list[str]) -> set[str]:
    from collections import Counter

    return {n for n, count in Counter(names).items() if count > 1}


def write_export(store: Store, path: Path, profile: Profile) -> int:
    """Every recorded exchange in the import layout; returns how many."""
    rows = exchange_rows(store)
    write_table(path, [Sheet(TITLE, exchange_columns(), rows)], template_notes(profile))
    return len(rows)
