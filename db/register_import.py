"""The shape shared by the register imports (duties, pairings, exemptions, exchanges): a result that counts rows
added, updated and unchanged, and a run that checks everything in a read and writes only
when something changes, in one audited transaction."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from db.importers import COMMITTING, READING, WRITING
from db.importing import ImportFailed, ImportProblem, RowReader, skipped_example_note
from db.locks import hold_write_lock, retrying
from db.roster_lookup import Roster, roster
from db.store import Store
from policy.progress import Progress, quiet


@dataclasses.dataclass(slots=True)
class RegisterImportResult:
    """What an import did (or, with ``dry_run``, would do). ``noun``/``unit`` name the records
    in the summary, e.g. 帮扶责任人 / 人."""

    file: str
    noun: str
    unit: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    changes: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The figures ``edubridge import … --json`` prints."""
        return {"rows": self.rows, "inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged}

    def summary(self) -> str:
        verb = "将" if self.dry_run else "已"
        return (f"{self.file}：{self.rows} 行；{verb}新增{self.noun} {self.inserted} {self.unit}，"
                f"更新 {self.updated} {self.unit}，{self.unchanged} {self.unit}无变化"
                + "".join(f"；{note}" for note in self.notes))


Parse = Callable[[Any, Path], tuple[str, list[Any], str | None]]
Apply = Callable[[Any, list[Any], RegisterImportResult, bool], None]


def run_import(store: Store, path: Path, parse: Parse, apply: Apply, noun: str, unit: str,
               dry_run: bool, progress: Progress = quiet, *, locked: bool = False) -> RegisterImportResult:
    """Parse ``path`` (every problem → ``ImportFailed``, nothing written), compare with the store,
    and unless ``dry_run`` or nothing changes, write in one transaction named after the file.

    ``locked``: the write takes the import lock first and compares again (retried on a
    serialisation failure), so a second import of the same file waits, then finds the rows stored.
    """
    progress(*READING)
    with store.read() as session:
        file_name, rows, note = parse(session, Path(path))
        result = RegisterImportResult(file_name, noun, unit, rows=len(rows), dry_run=dry_run,
                                      notes=[note] if note else [])
        apply(session, rows, result, False)
    if dry_run or not (result.inserted or result.updated):
        return result
    progress(*WRITING)

    def attempt() -> RegisterImportResult:
        checked = RegisterImportResult(file_name, noun, unit, rows=len(rows), notes=list(result.notes))
        with store.write(f"导入{noun} {file_name}：{result.summary()}") as session:
            if locked:
                hold_write_lock(session.connection())
            apply(session, rows, checked, True)
            session.flush()
            progress(*COMMITTING)
        return checked

    return retrying(attempt) if locked else attempt()


def import_by_teacher(store: Store, path: Path, parse_rows: Callable[[Path, Roster], tuple[str, list[Any], str | None]],
                      apply: Apply, noun: str, unit: str, dry_run: bool = False,
                      progress: Progress = quiet) -> RegisterImportResult:
    """:func:`run_import` of a register whose rows name teachers of the roster by ID number."""

    def parse(session: Session, file: Path) -> tuple[str, list[Any], str | None]:
        return parse_rows(file, roster(session))

    return run_import(store, path, parse, apply, noun, unit, dry_run, progress)


def first_of_repeats(reader: RowReader, first_row: dict[Any, int], key: Hashable, column: str, what: str) -> bool:
    """True the first time ``key`` is seen in the file; a repeat is an error on both rows,
    "与第N行重复（``what``）" in ``column``."""
    previous = first_row.get(key)
    if previous is None:
        first_row[key] = reader.row.number
        return True
    message = f"与第{{}}行重复（{what}）"
    reader.fail(column, message.format(previous))
    reader.problems.append(ImportProblem(reader.file, previous, column, message.format(reader.row.number)))
    return False


def parsed(name: str, rows: list[Any], problems: list[ImportProblem], headers: tuple[str, ...],
           sheet_rows: Any) -> tuple[str, list[Any], str | None]:
    """A parse's answer: every problem by row and column (``ImportFailed``: nothing is written),
    else the rows and the note on a skipped example row."""
    if problems:
        problems.sort(key=lambda p: (p.row, headers.index(p.column) if p.column in headers else 99))
        raise ImportFailed(problems)
    return name, rows, skipped_example_note(sheet_rows)
