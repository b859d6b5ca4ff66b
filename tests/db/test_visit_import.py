"""Batch entry of visit logs: grouping, linking, all-or-nothing, re-import, template/export round trip."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import visit_world
from openpyxl import Workbook
from sqlalchemy import func, select

from db.importing import ImportFailed
from db.models import AuditEntry, Visit, VisitParticipant
from db.store import Store
from db.visit_import import HEADERS, import_visits
from db.visits import quota_rows
from desktop.cli import main
from policy.calendar import Semester
from policy.profile import load_profile


def write_log(path: Path, rows: list[list], title: str | None = "帮扶活动登记表") -> Path:
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(list(HEADERS))
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


GOOD = [
    ["2025-09-10", "RURAL01", "周老师", "骨干教师", "CITY01", "听评课", 2, "三年级数学"],
    ["2025/9/10", "RURAL01", "李明", "教师", "CITY01", "听评课", 1, "三年级数学"],
    [dt.date(2025, 9, 10), "RURAL01", "孙研", "市级教研员", None, "听评课", 4, "评课"],
    ["2025年10月8日", "RURAL02", "陈校长", "校级干部", "CITY01", "管理经验交流", None, None],
    ["20251009", "RURAL09", "周老师", "骨干教师", "CITY01", "公开课", "", "示范课"],
]


def counts(store: Store) -> tuple[int, int, int]:
    with store.read() as s:
        return (s.scalar(select(func.count()).select_from(Visit)),
                s.scalar(select(func.count()).select_from(VisitParticipant)),
                s.scalar(select(func.count()).select_from(AuditEntry)))


@pytest.fixture
def world(store: Store) -> visit_world.World:
    return visit_world.build(store)


def test_rows_with_same_date_host_type_form_one_activity_and_visitors_link_to_teachers(store, world, tmp_path) -> None:
    result = import_visits(store, write_log(tmp_path / "log.xlsx", GOOD))
    assert (result.rows, result.activities_new, result.visitors_added) == (5, 3, 5)
    # 周老师 and 陈校长 are unique at CITY01; 李明 is unique *at CITY01* (the other 李明 is at TOWN01).
    assert result.linked_to_teachers == 4  # 周老师 twice, 李明, 陈校长; 孙研 has no record
    with store.read() as s:
        visit = s.scalars(select(Visit).where(Visit.date == dt.date(2025, 9, 10))).one()
        people = {p.name: p for p in visit.participants}
        assert visit.lessons == 4 and visit.summary == "三年级数学；评课"
        assert people["李明"].teacher_id == world.teachers["李明@CITY01"]
        assert people["孙研"].home_school_id is None and people["孙研"].teacher_id is None
        assert people["周老师"].lessons == 2


def test_imported_log_drives_the_quota_table(store, world, tmp_path) -> None:
    import_visits(store, write_log(tmp_path / "log.xlsx", GOOD))
    rows = {(r.rule, r.who): r for r in quota_rows(store, load_profile(), Semester(2025, 1))}
    zhou = rows[("visit.backbone_teaching", "周老师（市一中）")]
    assert (zhou.done, zhou.outside) == (1, 1)  # RURAL09 is outside the paired cluster
    assert rows[("visit.city_researcher_lessons", "孙研（市级教研员）")].done == 4
    assert rows[("visit.leader_management", "陈校长（市一中）")].met


def test_reimporting_the_same_file_changes_nothing(store, world, tmp_path) -> None:
    path = write_log(tmp_path / "log.xlsx", GOOD)
    import_visits(store, path)
    before = counts(store)
    again = import_visits(store, path)
    assert (again.activities_new, again.visitors_added, again.visitors_present) == (0, 0, 5)
    assert counts(store) == before  # not even an audit entry


def test_a_second_file_completes_an_existing_activity(store, world, tmp_path) -> None:
    import_visits(store, write_log(tmp_path / "a.xlsx", GOOD[:1]))
    more = import_visits(store, write_log(tmp_path / "b.xlsx", GOOD[:2]))
    assert (more.activities_new, more.activities_extended, more.visitors_added, more.visitors_present) == (0, 1, 1, 1)
    assert counts(store)[:2] == (1, 2)


def test_dry_run_writes_nothing(store, world, tmp_path) -> None:
    before = counts(store)
    result = import_visits(store, write_log(tmp_path / "log.xlsx", GOOD), dry_run=True)
    assert result.activities_new == 3 and result.changes
    assert counts(store) == before


@pytest.mark.parametrize(("row", "column", "fragment"), [
    (["2025-13-40", "RURAL01", "甲", "教师", "CITY01", "听评课", 1, ""], "日期", "不是有效日期"),
    (["2025-09-10", "NOPE", "甲", "教师", "CITY01", "听评课", 1, ""], "承办学校代码", "找不到学校代码"),
    (["2025-09-10", "RURAL01", "", "教师", "CITY01", "听评课", 1, ""], "来访人员", "不能为空"),
    (["2025-09-10", "RURAL01", "甲", "校长", "CITY01", "听评课", 1, ""], "角色", "不是可选值"),
    (["2025-09-10", "RURAL01", "甲", "骨干教师", "", "听评课", 1, ""], "派出学校代码", "须填写"),
    (["2025-09-10", "RURAL01", "甲", "骨干教师", "XX", "听评课", 1, ""], "派出学校代码", "找不到学校代码"),
    (["2025-09-10", "RURAL01", "甲", "教师", "CITY01", "喝茶", 1, ""], "活动类型", "不是可选值"),
    (["2025-09-10", "RURAL01", "甲", "教师", "CITY01", "听评课", -1, ""], "听课节数", "不能小于"),
    (["2025-09-10", "RURAL01", "甲", "教师", "CITY01", "听评课", "两节", ""], "听课节数", "不是整数"),
])
def test_a_bad_cell_names_row_and_column_and_nothing_is_written(store, world, tmp_path, row, column, fragment) -> None:
    before = counts(store)
    with pytest.raises(ImportFailed) as caught:
        import_visits(store, write_log(tmp_path / "bad.xlsx", [GOOD[0], row]))
    [problem] = caught.value.problems
    assert (problem.file, problem.row, problem.column) == ("bad.xlsx", 4, column)
    assert fragment in problem.message
    assert counts(store) == before


def test_duplicate_visitor_in_one_activity_is_reported_with_the_first_row(store, world, tmp_path) -> None:
    with pytest.raises(ImportFailed, match="与第3行相同"):
        import_visits(store, write_log(tmp_path / "dup.xlsx", [GOOD[0], ["2025.9.10", *GOOD[0][1:]]]))


def test_cli_import_visits_exit_codes(store, world, tmp_path, db_path, capsys) -> None:
    good = write_log(tmp_path / "log.xlsx", GOOD)
    assert main(["--db", str(db_path), "import", "visits", str(good), "--dry-run", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["dry_run"] and data["activities_new"] == 3
    assert counts(store)[0] == 0
    bad = write_log(tmp_path / "bad.xlsx", [GOOD[0], ["x", "RURAL01", "甲", "教师", "CITY01", "听评课", 1, ""]])
    assert main(["--db", str(db_path), "import", "visits", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.xlsx 第4行“日期”列" in err
    assert main(["--db", str(db_path), "import", "visits", str(good)]) == 0
    assert counts(store)[:2] == (3, 5)


def test_template_and_export_round_trip(store, world, tmp_path, db_path, capsys) -> None:
    template = tmp_path / "template.xlsx"
    assert main(["template", "visits", str(template)]) == 0
    from python_calamine import CalamineWorkbook
    book = CalamineWorkbook.from_path(str(template))
    assert book.sheet_names == ["帮扶活动", "说明"]
    assert tuple(book.get_sheet_by_name("帮扶活动").to_python()[0]) == HEADERS
    import_visits(store, write_log(tmp_path / "log.xlsx", GOOD))
    exported = tmp_path / "export.xlsx"
    assert main(["--db", str(db_path), "export", "visits", str(exported)]) == 0
    before = counts(store)
    again = import_visits(store, exported)
    assert (again.rows, again.visitors_added, again.visitors_present) == (5, 0, 5)
    assert counts(store) == before
