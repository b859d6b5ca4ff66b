"""Every table model of the GUI, filled by its page from the demo county, passes Qt's model
tester (pytest-qt's ``qtmodeltester``) and speaks the roles of the one base.

The models are collected from the pages themselves (``findChildren``), so a model a page
adds is checked without being listed here; the list below is only the proof that none
was missed.
"""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from desktop.models.record_table import OBJECT_ROLE, SORT_ROLE, TableModel

#: Pages holding tables, built once for the module with the demo county.
PAGES = {
    "schools": "desktop.pages.schools:SchoolsPage",
    "clusters": "desktop.pages.clusters:ClustersPage",
    "teachers": "desktop.pages.teachers:TeachersPage",
    "visits": "desktop.pages.visits:VisitsPage",
    "agreements": "desktop.pages.agreements:AgreementsPage",
    "audit": "desktop.pages.audit:AuditPage",
    "settings": "desktop.pages.settings:SettingsPage",
}


def all_model_classes() -> set[type]:
    import pkgutil

    import desktop

    for info in pkgutil.walk_packages(desktop.__path__, "desktop."):  # pages, tabs and dialogs
        importlib.import_module(info.name)
    found, todo = set(), [TableModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub)
            todo.append(sub)
    return {cls for cls in found if cls.__module__.startswith("desktop.")
            and cls.__name__ != "RecordTableModel"}


def settle(app: QApplication) -> None:
    """Let the pages' background jobs end and deliver their results."""
    from desktop import worker

    for _ in range(3000):
        app.processEvents()
        if not worker._running:
            break
        worker._running.copy().pop().wait(50)
    app.processEvents()


@pytest.fixture(scope="module")
def models(qapp: QApplication, demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[dict[str, list[TableModel]]]:
    from db.store import Store
    from desktop import messages
    from desktop.context import AppContext

    copy = tmp_path_factory.mktemp("models") / "demo.db"
    shutil.copyfile(demo_db_file, copy)
    store = Store.open(str(copy))
    saved = messages.headless, messages.headless_answer
    messages.headless, messages.headless_answer = True, True
    pages = []
    try:
        context = AppContext.for_store(store)
        for target in PAGES.values():
            module, name = target.split(":")
            page = getattr(importlib.import_module(module), name)(context)
            pages.append(page)
            page.show()
            page.refresh()
            settle(qapp)
        by_key = dict(zip(PAGES, pages))
        visits = by_key["visits"]
        for tab in range(visits.tabs.count()):  # the other tabs load when opened
            visits.tabs.setCurrentIndex(tab)
            settle(qapp)
        agreements = by_key["agreements"]
        signed = next(r for r in range(agreements.model.rowCount()) if agreements.model.row_at(r).agreement)
        agreements.table.setCurrentIndex(agreements.model.index(signed, 0))  # its parties (and scans)
        settle(qapp)
        teachers = by_key["teachers"]
        teachers.plan_year.setValue(2026)  # the demo's approved plan: the read-only exchange table
        settle(qapp)
        teachers.plan_year.setValue(2027)  # planning: the review table
        teachers.run_button.click()
        settle(qapp)
        found: dict[str, list[TableModel]] = {}
        for page in pages:
            for model in page.findChildren(TableModel):
                found.setdefault(type(model).__name__, []).append(model)
        yield found
    finally:
        for page in pages:
            page.close()
            page.deleteLater()
        qapp.processEvents()
        messages.headless, messages.headless_answer = saved
        store.dispose()


#: Models that live in a dialog (a solver run, an administrator's account list); checked by
#: ``check_model`` in the dialog's test.
IN_DIALOGS = {"ProposedModel": "test_cluster_proposal", "ChangeModel": "test_cluster_proposal",
              "UsersModel": "test_users_dialog"}
MODEL_NAMES = sorted(cls.__name__ for cls in all_model_classes() if cls.__name__ not in IN_DIALOGS)


def test_every_table_model_derives_from_the_one_base_and_is_found_on_a_page(models):
    assert set(models) == set(MODEL_NAMES)
    assert set(IN_DIALOGS) <= {cls.__name__ for cls in all_model_classes()}


def check_model(model: TableModel, qtmodeltester) -> None:  # noqa: ANN001
    """Qt's model tester, and the one base's roles: the record itself, and native sort values."""
    qtmodeltester.check(model)
    assert model.columnCount() > 0
    for row in range(min(model.rowCount(), 3)):
        record = model.index(row, 0).data(OBJECT_ROLE)
        assert record is not None
        for column in range(model.columnCount()):  # the sort role is the native value, not the text
            assert model.index(row, column).data(SORT_ROLE) == model.native(record, column)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_model_passes_the_model_tester(name, models, qtmodeltester):
    for model in models[name]:
        check_model(model, qtmodeltester)
