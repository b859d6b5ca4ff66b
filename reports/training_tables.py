"""Workbooks of the teachers' training records (培训学时): the import template and the export
(same layout, so an unchanged export re-imports with no change)."""

from __future__ import annotations

from pathlib import Path

from db import designation_import
from db.store import Store
from db.training_import import EXAMPLE, HEADERS, SPECIAL, export_rows
from policy import vocab
from policy.profile import Profile
from reports.xlsx import Column, Sheet, write_table

TITLE = "培训记录"


def notes(profile: Profile) -> tuple[str, ...]:
    """The sheet's help, with the profile's figures and clauses (never written in code)."""
    hours, rural = profile.figure("training.hours_5y"), profile.figure("training.rural_hours")
    return (
        "培训记录导入说明（edubridge import training 文件.xlsx）",
        "每行一条培训记录：身份证号须在教师名册中；姓名可不填，填写时须与名册一致。",
        "学时填该次培训的学时数（大于 0）；乡村专项填“是”表示乡村教师校长专项培训，不填为“否”。",
        f"每位教师每个培训周期不少于{hours.value}学时（{hours.clause}）；"
        f"乡村学校教师、校长专项培训不少于{rural.value}学时（{rural.clause}）。",
        "同一教师、完成日期和培训项目视为同一条记录：再次导入只更新学时和乡村专项；导出的文件原样导入不会产生改动。",
        "任何一行有错时整个文件不写入，并逐条列出文件、行号、列名和原因。",
    )


def columns() -> list[Column]:
    return [Column(h, ("是", "否") if h == SPECIAL else (), 24 if h == "培训项目" else 14,
                   "yyyy-mm-dd" if "日期" in h else None) for h in HEADERS]


def write_template(path: Path, profile: Profile) -> Path:
    return write_table(path, [Sheet(TITLE, columns(), example=EXAMPLE)], notes(profile))


def write_export(store: Store, path: Path, profile: Profile) -> int:
    rows = export_rows(store)
    write_table(path, [Sheet(TITLE, columns(), rows)], notes(profile))
    return len(rows)


DESIGNATIONS = "种子教师榜样教师"


def designation_notes(profile: Profile) -> tuple[str, ...]:
    seed, model = profile.figure("teachers.seed_min"), profile.figure("teachers.model_min")
    return (
        "种子教师、榜样教师导入说明（edubridge import designations 文件.xlsx）",
        "每行一位教师的一个称号：身份证号须在教师名册中；称号填“种子教师”或“榜样教师”；姓名可不填，填写时须与名册一致。",
        f"每所乡村学校种子教师{seed.value}～{profile.value('teachers.seed_max')}名、榜样教师{model.value}～"
        f"{profile.value('teachers.model_max')}名（{seed.clause}）；按检查当天教师人事关系所在学校统计。",
        "结束日期可留空；填写后该称号到这一天为止。同一教师、称号和开始日期视为同一条：再次导入只更新结束日期。",
        "任何一行有错时整个文件不写入，并逐条列出文件、行号、列名和原因。",
    )


def designation_columns() -> list[Column]:
    return [Column(h, vocab.DESIGNATIONS if h == designation_import.KIND else (), 14,
                   "yyyy-mm-dd" if "日期" in h else None) for h in designation_import.HEADERS]


def write_designation_template(path: Path, profile: Profile) -> Path:
    return write_table(path, [Sheet(DESIGNATIONS, designation_columns(), example=designation_import.EXAMPLE)],
                       designation_notes(profile))


def write_designation_export(store: Store, path: Path, profile: Profile) -> int:
    rows = designation_import.export_rows(store)
    write_table(path, [Sheet(DESIGNATIONS, designation_columns(), rows)], designation_notes(profile))
    return len(rows)
