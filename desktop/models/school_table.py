"""The 学校 table: a :class:`~desktop.models.record_table.TableModel` over :class:`db.school_queries.SchoolRow`.

Filtering and sorting are not done here: the page re-queries SQL
(:func:`db.school_queries.school_rows`) and hands the result to :meth:`SchoolTableModel.set_rows`.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from db.school_queries import SchoolRow
from desktop.models.record_table import OBJECT_ROLE as OBJECT_ROLE  # the roles, defined once there
from desktop.models.record_table import SORT_ROLE as SORT_ROLE
from desktop.models.record_table import TableModel

COL_CODE, COL_NAME, COL_STAGE, COL_LOCATION, COL_RUN_BY, COL_STUDENTS, COL_CLASSES, \
    COL_AVG_CLASS, COL_WEAK, COL_CLUSTER = range(10)

HEADERS = ("学校代码", "学校名称", "学段", "城乡类别", "举办者", "在校学生数", "班级数", "平均班额", "薄弱学校", "所属集团")

#: The db.school_queries sort key behind each column.
SORT_KEYS = ("code", "name", "stage", "location", "run_by", "students", "classes",
             "avg_class_size", "is_weak", "cluster")

_NUMERIC = frozenset({COL_STUDENTS, COL_CLASSES, COL_AVG_CLASS})


class SchoolTableModel(TableModel):
    """Read-only table of schools; one row per :class:`SchoolRow`."""

    HEADERS = HEADERS
    NUMERIC = _NUMERIC

    def native(self, record: SchoolRow, column: int) -> Any:
        return (
            record.code, record.name, record.stage, record.location, record.run_by, record.students,
            record.classes, record.avg_class_size, record.is_weak, record.cluster,
        )[column]

    def display(self, record: SchoolRow, column: int) -> str:
        if column == COL_AVG_CLASS:
            return f"{record.avg_class_size:.1f}" if record.avg_class_size is not None else "—"
        if column == COL_WEAK:
            return "是" if record.is_weak else ""
        if column == COL_CLUSTER:
            return record.cluster or "（未加入）"
        return str(self.native(record, column))

    def extra(self, record: SchoolRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_NAME:
            return f"{record.name}（{record.code}）"
        return None
