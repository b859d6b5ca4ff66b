"""Every long job stops at its progress call (policy.progress) and leaves nothing half done:
backups and restores, data packages both ways, Excel exports, documents and the planner.
(Imports: tests/db/test_import_cancel.py; the GUI's cancel buttons: the page tests.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import visit_world
from sqlalchemy import func, select

from db.backup import copy_database, restore
from db.migrate import known_revisions
from db.models import AuditEntry, PackageLog, PackagePeer, Setting, Visit
from db.packages import keys
from db.packages.incoming import apply
from db.packages.outgoing import export_setup
from db.store import Store
from policy.errors import Cancelled
from reports.exporters import EXPORTERS


def cancel_at(stop: str):  # noqa: ANN201
    """A progress that records what it is told and cancels at the first message containing ``stop``."""
    seen: list[str] = []

    def progress(message: str, fraction: float) -> None:
        seen.append(message)
        if stop in message:
            raise Cancelled()

    progress.seen = seen  # type: ignore[attr-defined]
    return progress


def counts(store: Store) -> tuple[int, ...]:
    with store.read() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) for t in (Visit, PackageLog, PackagePeer, Setting)) \
            + (s.scalar(select(func.max(AuditEntry.id))) or 0,)


def test_a_cancelled_backup_leaves_no_file(store: Store, tmp_path: Path) -> None:
    visit_world.build(store)
    database = Path(store.engine.url.database)
    target = tmp_path / "copy.db"
    with pytest.raises(Cancelled):
        copy_database(database, target, cancel_at("正在复制"))
    assert not target.exists() and not list(tmp_path.glob(".copy.db.*"))


def test_a_cancelled_restore_leaves_the_data_file_as_it_was(store: Store, tmp_path: Path) -> None:
    visit_world.build(store)
    database = Path(store.engine.url.database)
    backup = copy_database(database, tmp_path / "backup.db")
    with store.write("测试：备份后的改动") as s:
        s.add(Setting(key="after-backup", value={"x": 1}))
    store.dispose()
    before = database.read_bytes()
    progress = cancel_at(f"正在复制 {database.name}")  # while the backup is copied over the data file
    with pytest.raises(Cancelled):
        restore(backup, database, known_revisions(), progress)
    assert database.read_bytes() == before


@pytest.fixture
def bureau(tmp_path: Path):  # noqa: ANN201
    store = Store.open(str(tmp_path / "bureau.db"))
    visit_world.build(store)
    yield store
    store.dispose()


def test_a_cancelled_package_export_writes_no_file_and_registers_nothing(bureau: Store, tmp_path: Path) -> None:
    keys.identity(bureau)  # the bureau's own key pair, made once on first use
    before = counts(bureau)
    progress = cancel_at("写出数据包")
    with pytest.raises(Cancelled):
        export_setup(bureau, tmp_path / "setup.ebpkg", "RURAL01", progress=progress)
    assert not (tmp_path / "setup.ebpkg").exists() and counts(bureau) == before


def test_a_package_import_cancelled_before_its_commit_writes_nothing(bureau: Store, tmp_path: Path) -> None:
    package = export_setup(bureau, tmp_path / "setup.ebpkg", "RURAL01").path
    laptop = Store.open(str(tmp_path / "laptop.db"))
    try:
        before = counts(laptop)
        progress = cancel_at("正在提交")
        with pytest.raises(Cancelled):
            apply(laptop, package, progress)
        assert any("正在导入第" in m for m in progress.seen)  # it had applied the records
        assert counts(laptop) == before
        assert apply(laptop, package).setup  # and the package still applies afterwards
    finally:
        laptop.dispose()


@pytest.mark.parametrize("kind", ["schools", "visits", "statistics"])
def test_a_cancelled_export_writes_no_file(bureau: Store, tmp_path: Path, kind: str) -> None:
    with pytest.raises(Cancelled):
        EXPORTERS[kind].run(bureau, tmp_path / "out.xlsx", progress=cancel_at("导出"))
    assert not (tmp_path / "out.xlsx").exists()


def test_a_cancelled_document_stops_before_it_is_written(bureau: Store, tmp_path: Path) -> None:
    from reports import documents

    with pytest.raises(Cancelled):
        documents.statistics(bureau, tmp_path / "statistics.pdf", progress=cancel_at("统计"))
    assert not (tmp_path / "statistics.pdf").exists()
