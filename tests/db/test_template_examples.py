"""Template example rows (never imported unchanged, imported like any row once edited) and the
所属县区 defaults and messages of the school import."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from db import cluster_import, school_import, teacher_import, visit_import
from db.importing import ImportFailed, example_key, is_example_row, read_sheet
from db.models import (
    AuditEntry,
    Cluster,
    Membership,
    Region,
    School,
    Teacher,
    Visit,
    VisitParticipant,
)
from db.store import Store
from policy.idcard import parse_id_number
from reports import cluster_sheets, teacher_tables, visit_tables
from reports.xlsx import EXAMPLE_NOTE

SKIPPED = "已跳过模板示例行（第2行）"
MODELS = (Region, School, Cluster, Membership, Teacher, Visit, VisitParticipant, AuditEntry)


def counts(store: Store) -> tuple[int, ...]:
    with store.read() as session:
        return tuple(session.scalar(select(func.count()).select_from(m)) for m in MODELS)


TEMPLATES: dict[str, tuple[Callable[[Path], Any], Any, tuple[Any, ...], Callable[..., Any]]] = {
    "schools": (lambda p: cluster_sheets.write_template(cluster_sheets.SCHOOLS, p), school_import,
                school_import.EXAMPLE, school_import.import_file),
    "clusters": (lambda p: cluster_sheets.write_template(cluster_sheets.CLUSTERS, p), cluster_import,
                 cluster_import.EXAMPLE, cluster_import.import_file),
    "teachers": (teacher_tables.write_teacher_template, teacher_import, teacher_import.EXAMPLE,
                 teacher_import.import_file),
    "visits": (visit_tables.write_template, visit_import, visit_import.EXAMPLE, visit_import.import_file),
}


def edit(path: Path, changes: dict[int, Any] | None = None, extra: list[list[Any]] = ()) -> Path:
    """Overwrite cells of the template's row 2 (column index → value) and append rows."""
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    for column, value in (changes or {}).items():
        ws.cell(2, column + 1).value = value
    for row in extra:
        ws.append(row)
    wb.save(path)
    return path


def add_schools(store: Store, *codes: str) -> None:
    with store.write("schools") as session:
        region = Region(code="640121", name="永宁县", level="县区")
        session.add(region)
        session.flush()
        for code in codes:
            session.add(School(code=code, name=f"学校{code}", stage="小学", location="城区", region_id=region.id))


# ---- the templates --------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_template_has_a_grey_italic_example_row_from_the_importer_and_a_note(kind: str, tmp_path: Path) -> None:
    write, module, example, _ = TEMPLATES[kind]
    path = write(tmp_path / f"{kind}.xlsx")
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == list(module.HEADERS)
    assert ws.max_row == 2
    written = [c.value for c in ws[2]]
    assert all(example_key(a) == example_key(b) for a, b in zip(written, example, strict=True))
    assert all(c.font.i and c.font.color.rgb.endswith("808080") for c in ws[2])
    assert not ws.cell(1, 1).font.i  # the header stays plain bold
    assert "示例行" in ws.cell(2, 1).comment.text
    assert EXAMPLE_NOTE in [row[0] for row in wb["说明"].iter_rows(values_only=True)]


def test_teacher_and_visit_examples_are_valid_data() -> None:
    number = parse_id_number(teacher_import.EXAMPLE[0])
    assert (number.gender, number.birth_date) == (teacher_import.EXAMPLE[2], teacher_import.EXAMPLE[3])
    assert visit_import.EXAMPLE[3] not in visit_import.SCHOOLLESS_ROLES and visit_import.EXAMPLE[4]


# ---- unchanged example rows are never imported -------------------------------------------


@pytest.mark.parametrize("kind", ["schools", "clusters", "teachers"])
def test_unchanged_template_imports_nothing_and_says_so(kind: str, store: Store, tmp_path: Path) -> None:
    write, _, _, import_file = TEMPLATES[kind]
    add_schools(store, "6401990001")  # so the cluster/teacher example would be importable
    before = counts(store)
    result = import_file(store, write(tmp_path / "t.xlsx"))
    assert SKIPPED in result.summary()
    assert counts(store) == before  # no region, school, cluster, teacher — not even an audit entry


def test_unchanged_visit_template_is_refused_as_empty_with_the_reason(store: Store, tmp_path: Path) -> None:
    add_schools(store, "6401990001", "6401990002")
    before = counts(store)
    with pytest.raises(ImportFailed) as failed:
        visit_import.import_file(store, visit_tables.write_template(tmp_path / "v.xlsx"))
    assert "文件中没有数据行：" + SKIPPED in str(failed.value)
    assert counts(store) == before


def test_the_trial_unchanged_school_template_creates_no_county(demo_store: Store, tmp_path: Path) -> None:
    before = counts(demo_store)
    plan = school_import.import_file(demo_store, cluster_sheets.write_template(cluster_sheets.SCHOOLS,
                                                                               tmp_path / "s.xlsx"))
    assert plan.changes == [] and plan.counts() == {"added": 0, "updated": 0, "unchanged": 0}
    assert plan.summary() == f"s.xlsx：新增 0 条，更新 0 条，未变 0 条；{SKIPPED}"
    assert counts(demo_store) == before


def test_example_row_is_skipped_among_real_rows_and_row_numbers_stay_true(store: Store, tmp_path: Path) -> None:
    path = edit(cluster_sheets.write_template(cluster_sheets.SCHOOLS, tmp_path / "s.xlsx"), extra=[
        ["A01", "城关一小", "小学", "城区", "县属", 800, 20, "", "否", "永宁县"],
        ["A02", "城关二小", "小学", "城区", "县属", "很多", 20, "", "否", "永宁县"],
    ])
    with pytest.raises(ImportFailed) as failed:
        school_import.import_file(store, path)
    assert [(p.row, p.column) for p in failed.value.problems] == [(4, "在校学生数")]
    wb = load_workbook(path)
    wb.worksheets[0].cell(4, 6).value = 900
    wb.save(path)
    plan = school_import.import_file(store, path)
    assert plan.counts()["added"] == 2 and SKIPPED in plan.summary()
    with store.read() as session:
        assert set(session.scalars(select(School.code))) == {"A01", "A02"}
        assert set(session.scalars(select(Region.name))) == {"永宁县"}


def test_example_row_retyped_as_text_or_with_spaces_is_still_the_example(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(list(school_import.HEADERS))
    # what a clerk's re-save can make of it: numbers as text, stray and full-width spaces
    ws.append([" 6401990001", "示例县第一小学\u3000", "小学", "城区", "县属", "1200", "27", 30000.0, "否", "示例县 ",
               "38.4872", " 106.2309"])
    ws.append(["6401990001", "示例县第一小学", "小学", "城区", "县属", 1200, 27, 30000, "是", "示例县", 38.4872, 106.2309])
    wb.save(tmp_path / "x.xlsx")
    _, rows = read_sheet(tmp_path / "x.xlsx", school_import.REQUIRED, school_import.HEADERS[4:],
                         example=dict(zip(school_import.HEADERS[:12], school_import.EXAMPLE[:12])))
    assert rows.skipped_example == (2,)
    assert [r.number for r in rows] == [3]  # 薄弱学校 changed: a real row
    assert is_example_row({"加入日期": dt.datetime(2019, 9, 1)}, {"加入日期": dt.date(2019, 9, 1), "退出日期": None})


# ---- a partly edited example row is an ordinary row -------------------------------------


def test_partly_edited_school_example_is_imported_and_its_new_county_flagged(store: Store, tmp_path: Path) -> None:
    path = edit(cluster_sheets.write_template(cluster_sheets.SCHOOLS, tmp_path / "s.xlsx"), {1: "红星小学"})
    plan = school_import.import_file(store, path)
    assert SKIPPED not in plan.summary()
    assert plan.changes == ["新建县区 示例县（行政区划代码待补）", "新增 6401990001 红星小学"]
    assert "新建县区 示例县（行政区划代码待补）" in plan.summary()
    with store.read() as session:
        region = session.scalars(select(Region)).one()
        assert (region.name, region.code, region.level) == ("示例县", "X00001", "县区")
        assert session.scalars(select(School.name)).all() == ["红星小学"]


def test_partly_edited_cluster_example_is_imported(store: Store, tmp_path: Path) -> None:
    add_schools(store, "6401990001")
    path = edit(cluster_sheets.write_template(cluster_sheets.CLUSTERS, tmp_path / "c.xlsx"), {0: "城关教育集团"})
    plan = cluster_import.import_file(store, path)
    assert plan.counts()["added"] == 1 and SKIPPED not in plan.summary()
    with store.read() as session:
        assert session.scalars(select(Cluster.name)).all() == ["城关教育集团"]


def test_partly_edited_cluster_example_with_unknown_school_is_refused_clearly(store: Store, tmp_path: Path) -> None:
    path = edit(cluster_sheets.write_template(cluster_sheets.CLUSTERS, tmp_path / "c.xlsx"), {3: "成员校"})
    with pytest.raises(ImportFailed) as failed:
        cluster_import.import_file(store, path)
    assert "c.xlsx 第2行“学校代码”列：学校代码“6401990001”不在学校名单中" in str(failed.value)


def test_partly_edited_teacher_example_is_imported(store: Store, tmp_path: Path) -> None:
    add_schools(store, "6401990001")
    path = edit(teacher_tables.write_teacher_template(tmp_path / "t.xlsx"), {1: "张三"})
    result = teacher_import.import_file(store, path)
    assert (result.rows, result.inserted) == (1, 1) and SKIPPED not in result.summary()
    with store.read() as session:
        teacher = session.scalars(select(Teacher)).one()
        assert (teacher.name, teacher.id_number) == ("张三", teacher_import.EXAMPLE[0])


def test_partly_edited_teacher_example_without_its_school_is_refused_clearly(store: Store, tmp_path: Path) -> None:
    path = edit(teacher_tables.write_teacher_template(tmp_path / "t.xlsx"), {1: "张三"})
    with pytest.raises(ImportFailed) as failed:
        teacher_import.import_file(store, path)
    assert "t.xlsx 第2行“学校代码”列：学校代码“6401990001”不存在" in str(failed.value)
    assert counts(store)[4] == 0


def test_partly_edited_visit_example_is_imported(store: Store, tmp_path: Path) -> None:
    add_schools(store, "6401990001", "6401990002")
    path = edit(visit_tables.write_template(tmp_path / "v.xlsx"), {2: "周老师"})
    result = visit_import.import_file(store, path)
    assert (result.rows, result.activities_new, result.visitors_added) == (1, 1, 1)
    assert SKIPPED not in result.summary()


def test_partly_edited_visit_example_with_unknown_host_is_refused_clearly(store: Store, tmp_path: Path) -> None:
    path = edit(visit_tables.write_template(tmp_path / "v.xlsx"), {2: "周老师"})
    with pytest.raises(ImportFailed) as failed:
        visit_import.import_file(store, path)
    assert "v.xlsx 第2行“承办学校代码”列：找不到学校代码“6401990002”" in str(failed.value)


def test_visit_and_teacher_summaries_name_the_skipped_example(store: Store, tmp_path: Path) -> None:
    add_schools(store, "6401990001", "6401990002")
    log = edit(visit_tables.write_template(tmp_path / "v.xlsx"),
               extra=[[dt.date(2025, 9, 16), "6401990002", "周老师", "骨干教师", "6401990001", "送教", 1, ""]])
    result = visit_import.import_file(store, log)
    assert result.rows == 1 and result.describe().endswith("；" + SKIPPED)
    assert result.notes == [SKIPPED]


# ---- 所属县区 -----------------------------------------------------------------------------


def school_file(path: Path, region: str | None) -> Path:
    wb = Workbook()
    wb.active.append(list(school_import.HEADERS))
    wb.active.append(["N01", "新建小学", "小学", "城区", "县属", 100, 4, "", "否", region])
    wb.save(path)
    return path


def add_regions(store: Store, *regions: tuple[str, str, str]) -> None:
    with store.write("regions") as session:
        for code, name, level in regions:
            session.add(Region(code=code, name=name, level=level))


def test_blank_county_defaults_to_the_only_county_below_the_city(store: Store, tmp_path: Path) -> None:
    add_regions(store, ("640100", "青岚市", "市"), ("640122", "青禾县", "县区"))
    plan = school_import.import_file(store, school_file(tmp_path / "s.xlsx", None))
    assert plan.counts()["added"] == 1 and plan.changes == ["新增 N01 新建小学"]
    with store.read() as session:
        assert session.scalar(select(Region.name).join(School, School.region_id == Region.id)) == "青禾县"


def test_blank_county_defaults_silently_in_the_demo(demo_store: Store, tmp_path: Path) -> None:
    plan = school_import.plan_import(demo_store, school_file(tmp_path / "s.xlsx", ""))
    assert plan.counts()["added"] == 1 and plan.notes == []


def test_blank_county_with_several_counties_names_them(store: Store, tmp_path: Path) -> None:
    add_regions(store, ("640100", "青岚市", "市"), ("640122", "青禾县", "县区"), ("640121", "永宁县", "县区"))
    with pytest.raises(ImportFailed) as failed:
        school_import.plan_import(store, school_file(tmp_path / "s.xlsx", None))
    (problem,) = failed.value.problems
    assert (problem.row, problem.column) == (2, "所属县区")
    assert problem.message == "请填写所属县区（系统中有：永宁县、青禾县）"  # the city is no candidate


@pytest.mark.parametrize("regions", [(), (("640100", "青岚市", "市"),)])
def test_blank_county_with_no_county_yet(regions: tuple[tuple[str, str, str], ...], store: Store,
                                         tmp_path: Path) -> None:
    add_regions(store, *regions)
    with pytest.raises(ImportFailed) as failed:
        school_import.plan_import(store, school_file(tmp_path / "s.xlsx", None))
    assert str(failed.value).endswith("s.xlsx 第2行“所属县区”列：请填写所属县区（首次导入时必填）")


def test_named_known_county_is_used_and_a_new_one_flagged_once(store: Store, tmp_path: Path) -> None:
    add_regions(store, ("640122", "青禾县", "县区"))
    assert school_import.plan_import(store, school_file(tmp_path / "a.xlsx", "青禾县")).notes == []
    plan = school_import.import_file(store, school_file(tmp_path / "b.xlsx", "永宁县"))
    assert plan.summary() == "b.xlsx：新增 1 条，更新 0 条，未变 0 条；新建县区 永宁县（行政区划代码待补）"
    with store.read() as session:
        assert session.scalar(select(Region.code).where(Region.name == "永宁县")) == "X00001"
    again = school_import.plan_import(store, school_file(tmp_path / "b.xlsx", "永宁县"))
    assert again.notes == [] and again.counts()["unchanged"] == 1
