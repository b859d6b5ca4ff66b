"""Visit-log workbooks: the import template and the export (same layout, so an export re-imports
unchanged). Columns and notes follow ``db.visit_import``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from db import visit_import
from db.settings import active_profile
from db.store import Store
from policy import vocab
from policy.profile import Profile, load_profile
from reports.xlsx import Column, Sheet, write_table

SHEET = "帮扶活动"


def columns() -> list[Column]:
    return [
        Column("日期", number_format="yyyy-mm-dd", width=12), Column("承办学校代码", width=16),
        Column("来访人员", width=10), Column("角色", vocab.VISITOR_ROLES, width=16),
        Column("派出学校代码", width=16), Column("活动类型", vocab.ACTIVITY_TYPES, width=14),
        Column("听课节数", width=10), Column("内容摘要", width=40),
    ]


def write_template(path: Path, profile: Profile | None = None) -> Path:
    """A visit log with drop-downs for 角色 and 活动类型, the importer's example row (skipped on
    import while unchanged) and a 说明 sheet citing ``profile`` (the default one when None:
    a template is written without a store)."""
    notes = visit_import.notes(profile or load_profile())
    return write_table(Path(path), [Sheet(SHEET, columns(), example=visit_import.EXAMPLE)], notes)


def write_export(store: Store, path: Path, first: dt.date | None = None, last: dt.date | None = None) -> int:
    """Every visitor row of the activities in the range; returns the number of rows."""
    rows = visit_import.export_rows(store, first, last)
    write_table(Path(path), [Sheet(SHEET, columns(), rows)], visit_import.notes(active_profile(store)))
    return len(rows)
