"""质量数据 form (issue 11, 5): a school year's figures typed by hand, checked with the import's
rules (one place), verdicts from the profile with their clause, one audited write; a cleared
field removes the figure; a bad field keeps the dialog open and names the field."""

from __future__ import annotations

import pytest
import visit_world
from sqlalchemy import select

from db.clusters import load
from db.models import AuditEntry
from db.quality_import import school_figures
from db.store import Store
from desktop.context import AppContext
from desktop.pages.quality_dialog import QualityDialog
from desktop.pages.schools import SchoolsPage
from policy.profile import load_profile


@pytest.fixture
def world(store: Store) -> visit_world.World:
    return visit_world.build(store)


def dialog_for(qtbot, store: Store, world, code: str = "RURAL01") -> QualityDialog:  # noqa: ANN001
    schools = sorted(load(store).schools, key=lambda s: s.code)
    dialog = QualityDialog(store, load_profile(), schools, world.schools[code])
    qtbot.addWidget(dialog)
    dialog.year.setValue(2025)
    return dialog


def test_typed_figures_show_verdicts_save_audited_and_clear(qtbot, gui, store, world) -> None:  # noqa: ANN001
    dialog = dialog_for(qtbot, store, world)
    assert dialog.year_label.text() == "2025—2026学年"
    qtbot.keyClicks(dialog.fields["巩固率"], "93.5")
    assert dialog.verdicts["巩固率"].text() == "未达标（≥95，太平区2023方案 四(一)4）"
    qtbot.keyClicks(dialog.fields["辍学率"], "0.4")
    assert dialog.verdicts["辍学率"].text().startswith("达标（≤1")
    qtbot.keyClicks(dialog.fields["学业质量监测均分"], "71")
    assert dialog.verdicts["学业质量监测均分"].text() == "（无达标线）"
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert school_figures(store, world.schools["RURAL01"], 2025) == {"巩固率": 93.5, "辍学率": 0.4, "学业质量监测均分": 71}
    with store.read() as s:
        notes = [e.note for e in s.scalars(select(AuditEntry).where(AuditEntry.entity == "quality_indicator"))]
    assert len(notes) == 3 and "东村小学（RURAL01） 2025—2026学年" in notes[0] and "巩固率 新增 93.5" in notes[0]

    again = dialog_for(qtbot, store, world)
    assert again.fields["巩固率"].text() == "93.5"  # the stored figures are shown
    again.fields["辍学率"].clear()
    again.fields["巩固率"].setText("96")
    again.accept()
    assert again.changes == ["巩固率 93.5 → 96", "辍学率 0.4 → 删除"]
    assert school_figures(store, world.schools["RURAL01"], 2025) == {"巩固率": 96, "学业质量监测均分": 71}


def test_a_bad_field_is_named_and_nothing_is_written(qtbot, gui, store, world) -> None:  # noqa: ANN001
    dialog = dialog_for(qtbot, store, world, "RURAL02")
    dialog.fields["体质健康合格率"].setText("101")
    dialog.fields["残疾儿童入学率"].setText("九十")
    assert dialog.verdicts["体质健康合格率"].text() == "101 大于 100"
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted and not dialog.error.isHidden()
    assert dialog.error.text() == "体质健康合格率：101 大于 100；残疾儿童入学率：“九十”不是数字"
    assert school_figures(store, world.schools["RURAL02"], 2025) == {}


def test_the_schools_page_opens_the_form_for_the_selected_school(qtbot, gui, store, world) -> None:  # noqa: ANN001
    page = SchoolsPage(AppContext.for_store(store))
    qtbot.addWidget(page)
    page.refresh()
    row = next(r for r in range(page.model.rowCount()) if page.model.row_at(r).code == "RURAL02")
    page.view.selectRow(row)
    shown: list[QualityDialog] = []

    def fill(dialog: QualityDialog) -> bool:
        shown.append(dialog)
        dialog.year.setValue(2025)
        dialog.fields["巩固率"].setText("97")
        dialog.accept()
        return dialog.result() == dialog.DialogCode.Accepted

    page.exec_dialog = fill  # type: ignore[assignment]
    page.quality_button.click()
    assert shown and shown[0].school_id() == world.schools["RURAL02"]
    assert school_figures(store, world.schools["RURAL02"], 2025) == {"巩固率": 97}
