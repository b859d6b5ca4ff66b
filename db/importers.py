"""The spreadsheet importers, one typed row per kind.

``edubridge import`` (its choices and help), the GUI's Excel menus (desktop.spreadsheets)
and the tests read this one table; a kind added here is on both. Only the standard library
is imported at module level — the command line builds its parser from this table without
loading SQLAlchemy or openpyxl — and each importer's module is imported when it runs.

Every importer module has ``import_file(store, path, dry_run, progress)`` returning an
:class:`ImportOutcome`; a bad file raises ``db.importing.ImportFailed`` (every problem with
row and column, nothing written), and a cancelled progress rolls the write back.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

from policy.progress import Progress, quiet

if TYPE_CHECKING:
    from db.store import Store

#: The progress stages every import reports (``progress(*STAGE)``, policy.progress). The last
#: is called inside the write transaction, after the writes and before the commit: a cancel
#: there rolls the whole import back.
READING = ("正在读取并核对工作簿…", 0.05)
WRITING = ("正在写入…", 0.5)
COMMITTING = ("正在提交…", 0.95)

#: What the file dialogs offer for an import.
EXCEL_PATTERN = "Excel 工作簿 (*.xlsx *.xlsm)"


class ImportOutcome(Protocol):
    """What an import returns, dry run or not: the changes it makes (or would make)."""

    changes: list[str]

    def counts(self) -> dict[str, int]: ...

    def summary(self) -> str: ...


@dataclass(frozen=True)
class Importer:
    """One kind of spreadsheet a clerk can load: ``edubridge import KEY FILE``."""

    key: str
    #: What the file holds, as the menus and the help name it (学校名单).
    label: str
    #: The ``db`` module with ``import_file``; imported only when this kind runs.
    module: str
    #: The file dialog's filter.
    pattern: str = EXCEL_PATTERN

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)

    def run(self, store: Store, path: Path, dry_run: bool, progress: Progress = quiet) -> ImportOutcome:
        """Check ``path`` and, unless ``dry_run``, write it in one transaction.

        Raises:
            db.importing.ImportFailed: the file's problems; nothing written.
            policy.errors.Cancelled: ``progress`` stopped the work; nothing written.
        """
        outcome: ImportOutcome = self.load().import_file(store, path, dry_run, progress=progress)
        return outcome


_ALL: Sequence[Importer] = (
    Importer("schools", "学校名单", "db.school_import"),
    Importer("clusters", "集团(学区)成员", "db.cluster_import"),
    Importer("visits", "帮扶活动记录", "db.visit_import"),
    Importer("teachers", "教师名册", "db.teacher_import"),
    Importer("exemptions", "免交流登记", "db.exemption_import"),
    Importer("needs", "学科需求表", "db.needs_import"),
    Importer("duties", "帮扶责任人", "db.duty_import"),
    Importer("pairings", "结对登记", "db.pairing_import"),
    Importer("quality", "质量数据", "db.quality_import"),
    Importer("exchanges", "交流记录（各种交流形式）", "db.exchange_import"),
    Importer("training", "培训记录", "db.training_import"),
    Importer("designations", "种子教师、榜样教师", "db.designation_import"),
)

#: Every importer by key, in the order the help lists them.
IMPORTERS: Mapping[str, Importer] = {importer.key: importer for importer in _ALL}
