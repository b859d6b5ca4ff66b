"""School and cluster spreadsheets: clerk-typed values, all-or-nothing, idempotent, round trip."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from db import cluster_import, school_import
from db.clusters import load
from db.importing import ImportFailed
from db.models import AuditEntry, Cluster, Membership, Region, School
from db.store import Store
from reports import cluster_sheets

SCHOOL_HEADERS = list(school_import.HEADERS)
CLUSTER_HEADERS = list(cluster_import.HEADERS)


def workbook(path: Path, headers: list[str], rows: list[list], title: str | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(headers)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def counts(store: Store) -> tuple[int, ...]:
    with store.read() as session:
        return tuple(session.scalar(select(func.count()).select_from(m)) for m in (Region, School, Cluster, Membership, AuditEntry))


CLERK_SCHOOLS = [
    # surrounding spaces, full-width digits, a code typed as a number, 1,200 with a comma
    [" 6401210001 ", "永宁县第一小学 ", "小学", " 城区", "县属", "1,200", "２７", 30000, "否", "永宁县"],
    [6401210002, "望洪中心小学", "小学", "乡村", "", "３８０", 12, "", "是", " 永宁县 "],
    ["6401210003", "望洪教学点", "教学点", "乡村", "县属", 25, 2, None, "", "永宁县"],
    ["6401010001", "银川市实验小学", "小学", "城区", "市属", 2400, 48, 42000.5, "否", "兴庆区"],
]


@pytest.fixture
def schools_file(tmp_path: Path) -> Path:
    return workbook(tmp_path / "schools.xlsx", SCHOOL_HEADERS, CLERK_SCHOOLS, title="2025年学校名单")


def test_school_import_reads_clerk_values_and_creates_regions(store: Store, schools_file: Path) -> None:
    plan = school_import.import_file(store, schools_file)
    assert plan.counts() == {"added": 4, "updated": 0, "unchanged": 0}
    with store.read() as session:
        rows = {s.code: s for s in session.scalars(select(School))}
        regions = {r.name for r in session.scalars(select(Region))}
    assert regions == {"永宁县", "兴庆区"}
    first = rows["6401210001"]
    assert (first.name, first.students, first.classes, first.location) == ("永宁县第一小学", 1200, 27, "城区")
    assert rows["6401210002"].students == 380 and rows["6401210002"].is_weak
    assert rows["6401210002"].run_by == "县属"
    assert rows["6401010001"].land_area == pytest.approx(42000.5)


def test_school_import_twice_changes_nothing(store: Store, schools_file: Path) -> None:
    school_import.import_file(store, schools_file)
    before = counts(store)
    plan = school_import.import_file(store, schools_file)
    assert plan.counts() == {"added": 0, "updated": 0, "unchanged": 4}
    assert counts(store) == before  # not even an audit entry


def test_school_import_updates_changed_rows(store: Store, schools_file: Path, tmp_path: Path) -> None:
    school_import.import_file(store, schools_file)
    changed = [list(r) for r in CLERK_SCHOOLS]
    changed[1][5] = 400
    plan = school_import.plan_import(store, workbook(tmp_path / "s2.xlsx", SCHOOL_HEADERS, changed))
    assert plan.counts() == {"added": 0, "updated": 1, "unchanged": 3}
    assert plan.changes == ["更新 6401210002 望洪中心小学：在校学生数"]


@pytest.mark.parametrize(
    ("row_change", "column", "reason"),
    [
        ({2: "高中"}, "学段", "不是可选值"),
        ({3: "农村"}, "城乡类别", "不是可选值"),
        ({5: "很多"}, "在校学生数", "不是整数"),
        ({5: -3}, "在校学生数", "不能小于"),
        ({0: ""}, "学校代码", "不能为空"),
        ({0: "6401210001"}, "学校代码", "与第3行重复"),
        ({8: "也许"}, "薄弱学校", "应填“是”或“否”"),
    ],
)
def test_bad_school_row_names_row_column_reason_and_writes_nothing(
    store: Store, tmp_path: Path, row_change: dict, column: str, reason: str
) -> None:
    rows = [list(r) for r in CLERK_SCHOOLS]
    for index, value in row_change.items():
        rows[2][index] = value
    path = workbook(tmp_path / "bad.xlsx", SCHOOL_HEADERS, rows, title="标题")
    before = counts(store)
    with pytest.raises(ImportFailed) as failure:
        school_import.import_file(store, path)
    (problem,) = failure.value.problems
    assert (problem.file, problem.row, problem.column) == ("bad.xlsx", 5, column)
    assert reason in problem.message
    assert counts(store) == before


def test_every_problem_listed(store: Store, tmp_path: Path) -> None:
    rows = [list(r) for r in CLERK_SCHOOLS]
    rows[0][2] = "大学"
    rows[3][3] = "郊区"
    with pytest.raises(ImportFailed) as failure:
        school_import.import_file(store, workbook(tmp_path / "bad.xlsx", SCHOOL_HEADERS, rows))
    assert [(p.row, p.column) for p in failure.value.problems] == [(2, "学段"), (5, "城乡类别")]


# ---- 纬度 / 经度 --------------------------------------------------------------------------

# 纬度 and 经度 as clerks copy them from a map: numbers, "°" or "度" after them, full-width digits.
COORDINATES = [(38.4872, 106.2309), ("38.3301°", "106.2412°"), ("３８．２９度", "１０６．１９度"), ("", "")]


def coordinate_rows(coordinates: list[tuple] = COORDINATES) -> list[list]:
    return [[*row, lat, lon] for row, (lat, lon) in zip(CLERK_SCHOOLS, coordinates)]


def stored_coordinates(store: Store) -> dict[str, tuple]:
    with store.read() as session:
        return {s.code: (s.latitude, s.longitude) for s in session.scalars(select(School))}


def test_coordinates_read_as_clerks_copy_them(store: Store, tmp_path: Path) -> None:
    school_import.import_file(store, workbook(tmp_path / "s.xlsx", SCHOOL_HEADERS, coordinate_rows()))
    assert stored_coordinates(store) == {
        "6401210001": (pytest.approx(38.4872), pytest.approx(106.2309)),
        "6401210002": (pytest.approx(38.3301), pytest.approx(106.2412)),
        "6401210003": (pytest.approx(38.29), pytest.approx(106.19)),
        "6401010001": (None, None),
    }


@pytest.mark.parametrize(
    ("latitude", "longitude", "column", "message"),
    [
        ("北边", 106.2, "纬度", "“北边”不是数字"),
        (38.5, "1O6.2", "经度", "“1O6.2”不是数字"),
        ("38°29′14″", 106.2, "纬度", "请改为十进制度数"),
        (60.1, 106.2, "纬度", "纬度 60.1 超出范围，应在 3 到 54 之间"),
        (38.5, 140, "经度", "经度 140 超出范围，应在 73 到 136 之间"),
        (-38.5, 106.2, "纬度", "超出范围"),
        (106.2309, 38.4872, "纬度", "纬度、经度可能填反了"),
        ("106.2309°", "３８．４８７２", "纬度", "纬度、经度可能填反了"),
        (38.5, "", "经度", "填写了纬度，经度也须填写"),
        (None, "106.2°", "纬度", "填写了经度，纬度也须填写"),
    ],
)
def test_bad_coordinates_name_row_column_reason_and_write_nothing(
    store: Store, tmp_path: Path, latitude, longitude, column: str, message: str
) -> None:
    coordinates = list(COORDINATES)
    coordinates[2] = (latitude, longitude)
    path = workbook(tmp_path / "bad.xlsx", SCHOOL_HEADERS, coordinate_rows(coordinates))
    before = counts(store)
    with pytest.raises(ImportFailed) as failure:
        school_import.import_file(store, path)
    (problem,) = failure.value.problems
    assert (problem.row, problem.column) == (4, column)
    assert message in problem.message
    assert f"bad.xlsx 第4行“{column}”列：" in str(failure.value)
    assert counts(store) == before


def test_both_coordinates_out_of_range_are_two_problems(store: Store, tmp_path: Path) -> None:
    coordinates = list(COORDINATES)
    coordinates[0] = (0, 0)
    with pytest.raises(ImportFailed) as failure:
        school_import.import_file(store, workbook(tmp_path / "bad.xlsx", SCHOOL_HEADERS, coordinate_rows(coordinates)))
    assert [(p.row, p.column) for p in failure.value.problems] == [(2, "纬度"), (2, "经度")]


def test_coordinates_reimport_idempotent_update_clear_and_kept_when_columns_absent(
    store: Store, tmp_path: Path
) -> None:
    school_import.import_file(store, workbook(tmp_path / "s.xlsx", SCHOOL_HEADERS, coordinate_rows()))
    before = counts(store)
    again = school_import.import_file(store, workbook(tmp_path / "s.xlsx", SCHOOL_HEADERS, coordinate_rows()))
    assert again.counts() == {"added": 0, "updated": 0, "unchanged": 4}
    assert counts(store) == before

    # a moved pin updates the school; both cells left blank clear what was stored
    moved = list(COORDINATES)
    moved[0] = (38.4901, 106.2309)
    moved[1] = ("", None)
    plan = school_import.import_file(store, workbook(tmp_path / "s2.xlsx", SCHOOL_HEADERS, coordinate_rows(moved)))
    assert plan.changes == ["更新 6401210001 永宁县第一小学：纬度", "更新 6401210002 望洪中心小学：纬度、经度"]
    stored = stored_coordinates(store)
    assert stored["6401210001"][0] == pytest.approx(38.4901)
    assert stored["6401210002"] == (None, None)

    # a file without the two columns (an older template) says nothing about them: kept
    old_layout = workbook(tmp_path / "old.xlsx", SCHOOL_HEADERS[:10], CLERK_SCHOOLS)
    assert school_import.import_file(store, old_layout).counts() == {"added": 0, "updated": 0, "unchanged": 4}
    assert stored_coordinates(store) == stored


def test_older_template_without_coordinates_still_skips_its_example_row(store: Store, tmp_path: Path) -> None:
    rows = [list(school_import.EXAMPLE[:10]), ["N01", "新建小学", "小学", "城区", "县属", 100, 4, "", "否", "永宁县"]]
    plan = school_import.import_file(store, workbook(tmp_path / "old.xlsx", SCHOOL_HEADERS[:10], rows))
    assert plan.changes == ["新建县区 永宁县（行政区划代码待补）", "新增 N01 新建小学"]
    assert "已跳过模板示例行（第2行）" in plan.summary()
    # in the new layout the example's coordinates are part of it: one changed → an ordinary row
    edited = [[*school_import.EXAMPLE[:10], 38.5, school_import.EXAMPLE[11]]]
    plan = school_import.plan_import(store, workbook(tmp_path / "new.xlsx", SCHOOL_HEADERS, edited))
    assert plan.counts()["added"] == 1 and "已跳过模板示例行" not in plan.summary()


def test_template_and_export_carry_coordinates(store: Store, tmp_path: Path) -> None:
    template = load_workbook(cluster_sheets.write_template(cluster_sheets.SCHOOLS, tmp_path / "t.xlsx"))
    sheet = template["学校名单"]
    assert [c.value for c in sheet[1]][10:12] == ["纬度", "经度"]
    assert [c.value for c in sheet[2]][10:12] == [38.4872, 106.2309]
    notes = "\n".join(str(r[0]) for r in template["说明"].iter_rows(values_only=True))
    assert "纬度、经度可不填" in notes and "3 到 54" in notes and "73 到 136" in notes

    school_import.import_file(store, workbook(tmp_path / "s.xlsx", SCHOOL_HEADERS, coordinate_rows()))
    out = tmp_path / "out.xlsx"
    assert cluster_sheets.write_export(cluster_sheets.SCHOOLS, store, out) == 4
    exported = {r[0]: r[10:12] for r in load_workbook(out)["学校名单"].iter_rows(min_row=2, values_only=True)}
    assert exported["6401210002"] == (pytest.approx(38.3301), pytest.approx(106.2412))
    assert exported["6401010001"] == (None, None)
    assert school_import.plan_import(store, out).counts() == {"added": 0, "updated": 0, "unchanged": 4}


def cluster_rows() -> list[list]:
    return [
        ["永宁一集团", "教育集团", "6401210001", "牵头校", dt.datetime(2019, 9, 1), None],
        [" 永宁一集团", "教育集团 ", "６４０１２１０００２", "成员校", "2019/9/1", ""],
        ["永宁一集团", "教育集团", "6401210003", "成员校", "2019.9.1", "2023年9月1日"],
        ["望洪学区", "学区", "6401210003", "成员校", "2023-09-01", None],
        ["兴庆帮扶", "融合型教共体", "6401010001", "总校", "2020年9月1日", None],
    ]


@pytest.fixture
def with_schools(store: Store, schools_file: Path) -> Store:
    school_import.import_file(store, schools_file)
    return store


def test_cluster_import_builds_dated_memberships(with_schools: Store, tmp_path: Path) -> None:
    store = with_schools
    plan = cluster_import.import_file(store, workbook(tmp_path / "c.xlsx", CLUSTER_HEADERS, cluster_rows()))
    assert plan.counts() == {"added": 5, "updated": 0, "unchanged": 0}
    records = load(store)
    names = {c.name: c for c in records.clusters}
    assert set(names) == {"永宁一集团", "望洪学区", "兴庆帮扶"}
    codes = {s.id: s.code for s in records.schools}
    assert codes[names["永宁一集团"].lead_school_id] == "6401210001"
    point = [(m.cluster_id, m.joined, m.left_on) for m in records.memberships if codes[m.school_id] == "6401210003"]
    assert sorted(point, key=lambda p: p[1]) == [
        (names["永宁一集团"].id, dt.date(2019, 9, 1), dt.date(2023, 9, 1)),
        (names["望洪学区"].id, dt.date(2023, 9, 1), None),
    ]


def test_cluster_import_twice_changes_nothing_and_leave_date_updates(with_schools: Store, tmp_path: Path) -> None:
    store = with_schools
    path = workbook(tmp_path / "c.xlsx", CLUSTER_HEADERS, cluster_rows())
    cluster_import.import_file(store, path)
    before = counts(store)
    assert cluster_import.import_file(store, path).counts() == {"added": 0, "updated": 0, "unchanged": 5}
    assert counts(store) == before
    rows = cluster_rows()
    rows[1][5] = "2025-07-01"
    plan = cluster_import.import_file(store, workbook(tmp_path / "c2.xlsx", CLUSTER_HEADERS, rows))
    assert plan.counts() == {"added": 0, "updated": 1, "unchanged": 4}


@pytest.mark.parametrize(
    ("row", "index", "value", "column", "reason"),
    [
        (1, 2, "9999999999", "学校代码", "不在学校名单中"),
        (1, 4, "2019-13-01", "加入日期", "不是有效日期"),
        (1, 4, "", "加入日期", "不能为空"),
        (2, 5, "2018-01-01", "退出日期", "早于加入日期"),
        (1, 1, "学区", "类型", "同一集团类型须一致"),
        (1, 3, "校长", "角色", "不是可选值"),
        (1, 2, "6401210001", "学校代码", "与第2行重复"),
    ],
)
def test_bad_cluster_row_writes_nothing(with_schools: Store, tmp_path: Path, row, index, value, column, reason) -> None:
    store = with_schools
    rows = cluster_rows()
    rows[row][index] = value
    if reason.startswith("与第2行"):
        rows[row][4] = rows[0][4]
    before = counts(store)
    with pytest.raises(ImportFailed) as failure:
        cluster_import.import_file(store, workbook(tmp_path / "bad.xlsx", CLUSTER_HEADERS, rows))
    problem = failure.value.problems[0]
    assert (problem.row, problem.column) == (row + 2, column)
    assert reason in problem.message
    assert counts(store) == before


def test_exports_round_trip_unchanged(with_schools: Store, tmp_path: Path) -> None:
    store = with_schools
    cluster_import.import_file(store, workbook(tmp_path / "c.xlsx", CLUSTER_HEADERS, cluster_rows()))
    schools_out = tmp_path / "schools_out.xlsx"
    clusters_out = tmp_path / "clusters_out.xlsx"
    assert cluster_sheets.write_export(cluster_sheets.SCHOOLS, store, schools_out) == 4
    assert cluster_sheets.write_export(cluster_sheets.CLUSTERS, store, clusters_out) == 5
    assert school_import.plan_import(store, schools_out).counts() == {"added": 0, "updated": 0, "unchanged": 4}
    assert cluster_import.plan_import(store, clusters_out).counts() == {"added": 0, "updated": 0, "unchanged": 5}


def test_template_has_headers_dropdowns_example_and_notes(store: Store, tmp_path: Path) -> None:
    path = cluster_sheets.write_template(cluster_sheets.CLUSTERS, tmp_path / "t.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["集团成员", "说明"]
    ws = wb["集团成员"]
    assert [c.value for c in ws[1]] == CLUSTER_HEADERS
    assert ws.max_row == 2
    formulas = {str(v.sqref).split(":")[0]: v.formula1 for v in ws.data_validations.dataValidation}
    assert "融合型教共体" in formulas["B2"] and "牵头校" in formulas["D2"]
    # the example rows are valid data (the cluster's school is the school example) but, left
    # unchanged, never imported (tests/db/test_template_examples.py has the details)
    assert cluster_import.EXAMPLE[2] == school_import.EXAMPLE[0]
    school_path = cluster_sheets.write_template(cluster_sheets.SCHOOLS, tmp_path / "s.xlsx")
    assert [c.value for c in load_workbook(school_path)["学校名单"][1]] == SCHOOL_HEADERS
    assert school_import.import_file(store, school_path).counts()["added"] == 0
    assert cluster_import.import_file(store, path).counts()["added"] == 0
    assert counts(store) == (0, 0, 0, 0, 0)


def test_statistics_rows(with_schools: Store, tmp_path: Path) -> None:
    from reports.statistics_form import statistics_form

    store = with_schools
    cluster_import.import_file(store, workbook(tmp_path / "c.xlsx", CLUSTER_HEADERS, cluster_rows()))
    form = statistics_form(store, dt.date(2024, 1, 1), include_all=True)
    name, lead, schools, rural, students = (form.column(h) for h in (
        "集团(学区)名称", "牵头学校", "学校数", "其中乡村学校(含教学点)", "在校学生数"))
    by_name = {r[name]: r for r in form.cluster_rows}
    assert form.total[schools] == sum(r[schools] for r in form.cluster_rows)  # 合计 = its rows
    first = by_name["永宁一集团"]
    assert first[lead] == "永宁县第一小学" and first[schools] == 2 and first[rural] == 1 and first[students] == 1580
    assert by_name["望洪学区"][schools] == 1


