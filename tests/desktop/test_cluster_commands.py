"""edubridge template / import / export / check for schools and clusters, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from workbooks import sheet

from db import clusters as cl
from db.store import Store
from desktop.cli import main

SCHOOLS = [
    ["学校代码", "学校名称", "学段", "城乡类别", "举办者", "在校学生数", "班级数", "占地面积", "薄弱学校", "所属县区"],
    ["A01", "城关一小", "小学", "城区", "县属", 2100, 40, 30000, "否", "永宁县"],  # too big, class size 52.5
    ["R01", "望洪小学", "小学", "乡村", "县属", 300, 10, "", "否", "永宁县"],
    ["R02", "李俊小学", "小学", "乡村", "县属", 200, 8, "", "是", "永宁县"],
    ["P01", "红星教学点", "教学点", "乡村", "县属", 20, 2, "", "否", "永宁县"],  # in no cluster
    ["T01", "杨和中学", "初中", "镇区", "县属", 900, 20, "", "否", "永宁县"],
]
CLUSTERS = [
    ["集团名称", "类型", "学校代码", "角色", "加入日期", "退出日期"],
    ["城关集团", "教育集团", "A01", "牵头校", "2019-09-01", ""],
    ["城关集团", "教育集团", "R01", "成员校", "2019/9/1", ""],
    ["望洪学区", "学区", "R01", "成员校", "2020.9.1", ""],  # R01 in two clusters at once
    ["望洪学区", "学区", "R02", "牵头校", "2020年9月1日", ""],
]


@pytest.fixture
def loaded(tmp_path: Path, db_path: Path) -> str:
    db = str(db_path)
    assert main(["--db", db, "import", "schools", str(sheet(tmp_path / "s.xlsx", SCHOOLS))]) == 0
    assert main(["--db", db, "import", "clusters", str(sheet(tmp_path / "c.xlsx", CLUSTERS))]) == 0
    return db


def test_check_json_shape_and_rules(loaded: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["--db", loaded, "check", "--date", "2025-03-01", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["coverage"] == {"rural_schools": 3, "rural_in_cluster": 2, "deadline": "2023-12-31"}
    found = {(v["rule"], v["subject"]) for v in data["violations"]}
    assert {
        ("membership.overlap", "R01"),
        ("coverage.rural", "P01"),
        ("school.max_students", "A01"),
        ("school.class_size", "A01"),
        ("partner.rural_has_urban", "R02"),
        ("partner.rural_has_urban", "P01"),
        # issue 11: the rules the seeds state (default profile: every one of them)
        ("school.land_per_student", "A01"),  # 30,000 m² for 2,100 pupils < 24.29 each
        ("coverage.community", "T01"),  # a 镇区 school in no 教共体 (余教〔2020〕155号 四)
        ("pairing.cluster_has_supporter", "城关集团"),
        ("pairing.cluster_has_supporter", "望洪学区"),
        ("agreement.required", "城关集团"),
        ("agreement.required", "望洪学区"),
    } == found
    for v in data["violations"]:
        assert set(v) == {"rule", "subject", "detail", "clause"} and v["clause"]


def test_check_before_the_second_cluster(loaded: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    main(["--db", loaded, "check", "--date", "2020年1月1日", "--json"])
    found = {v["rule"] for v in json.loads(capsys.readouterr().out)["violations"]}
    assert "membership.overlap" not in found


def test_waived_violation_carries_waived_true(loaded: str, capsys: pytest.CaptureFixture[str]) -> None:
    store = Store.open(loaded)
    try:
        school = next(s for s in cl.load(store).schools if s.code == "A01")
        cl.add_waiver(store, "school.max_students", "school", school.id, "新校区在建", "张局长",
                      cl.dt.date(2024, 1, 1))
    finally:
        store.dispose()
    capsys.readouterr()
    main(["--db", loaded, "check", "--date", "2025-03-01", "--json"])
    violations = json.loads(capsys.readouterr().out)["violations"]
    (v,) = [v for v in violations if v["rule"] == "school.max_students"]
    assert v["waived"] is True and v["waiver_reason"] == "新校区在建"


def test_bad_import_exit_2_lists_every_error(loaded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [list(r) for r in CLUSTERS] + [["新集团", "学区", "ZZZ", "成员校", "2021-9-1", ""],
                                          ["新集团", "学区", "R02", "组长", "去年", ""]]
    capsys.readouterr()
    assert main(["--db", loaded, "import", "clusters", str(sheet(tmp_path / "bad.xlsx", rows))]) == 2
    err = capsys.readouterr().err
    assert "bad.xlsx 第6行“学校代码”列" in err
    assert "第7行“角色”列" in err and "第7行“加入日期”列" in err
    assert "Traceback" not in err
    main(["--db", loaded, "export", "clusters", str(tmp_path / "out.xlsx")])
    names = {row[0] for row in load_workbook(tmp_path / "out.xlsx")["集团成员"].iter_rows(min_row=2, values_only=True)}
    assert "新集团" not in names


def test_dry_run_and_second_import_change_nothing(loaded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["--db", loaded, "import", "clusters", str(tmp_path / "c.xlsx"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 0
    rows = [list(r) for r in SCHOOLS] + [["N01", "新建小学", "小学", "城区", "县属", 100, 4, "", "否", "永宁县"]]
    assert main(["--db", loaded, "import", "schools", str(sheet(tmp_path / "s2.xlsx", rows)), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "新增 N01 新建小学" in out and "新增 1 条" in out and "未变 5 条" in out
    assert main(["--db", loaded, "import", "schools", str(tmp_path / "s2.xlsx"), "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 1  # still not written


def test_template_export_statistics(loaded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", loaded, "template", "schools", str(tmp_path / "t.xlsx")]) == 0
    assert load_workbook(tmp_path / "t.xlsx").sheetnames == ["学校名单", "说明"]
    assert main(["--db", loaded, "export", "schools", str(tmp_path / "s_out.xlsx")]) == 0
    capsys.readouterr()
    assert main(["--db", loaded, "import", "schools", str(tmp_path / "s_out.xlsx"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] == 5
    assert main(["--db", loaded, "export", "statistics", str(tmp_path / "st.xlsx"), "--date", "2025-03-01"]) == 0
    ws = load_workbook(tmp_path / "st.xlsx")["统计表"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0].startswith("集团(学区)基本情况统计表")
    assert rows[1][1] == "集团(学区)名称"
    end = next(n for n, r in enumerate(rows) if r[0] == "合计")
    body = {r[1]: r for r in rows[2:end]}
    assert body["城关集团"][4] == "城关一小" and body["城关集团"][7] == 1
    # R01 is in two clusters: counted in both rows, 合计 = the rows, a note gives the distinct count.
    assert rows[end][6] == sum(r[6] for r in body.values()) == 4
    notes = "".join(str(r[0]) for r in rows[end + 1:] if r[0])
    assert "不重复计算时学校共3所" in notes and "填报单位（盖章）" in notes


def test_coordinates_round_trip_through_export(loaded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the list again, now with 纬度/经度 as clerks paste them (one school still unknown)
    coordinates = [("纬度", "经度"), (38.4872, 106.2309), ("38.3301°", "106.2412°"), ("３８．２９度", "１０６．１９度"),
                   ("", ""), (38.41, 106.3)]
    rows = [[*row, *pair] for row, pair in zip(SCHOOLS, coordinates)]
    capsys.readouterr()
    assert main(["--db", loaded, "import", "schools", str(sheet(tmp_path / "s2.xlsx", rows)), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["updated"] == 4
    # WHEN exported and imported back
    assert main(["--db", loaded, "export", "schools", str(tmp_path / "out.xlsx")]) == 0
    exported = list(load_workbook(tmp_path / "out.xlsx")["学校名单"].iter_rows(values_only=True))
    assert exported[0][10:12] == ("纬度", "经度")
    by_code = {r[0]: r[10:12] for r in exported[1:]}
    assert by_code["R01"] == (38.3301, 106.2412) and by_code["P01"] == (None, None)
    capsys.readouterr()
    assert main(["--db", loaded, "import", "schools", str(tmp_path / "out.xlsx"), "--json"]) == 0
    # THEN nothing changes
    assert json.loads(capsys.readouterr().out) == {"dry_run": False, "added": 0, "updated": 0, "unchanged": 5,
                                                   "changes": []}
    # AND swapped values are refused with the row, the column and the likely cause; nothing written
    rows[2][-2:] = [106.2412, 38.3301]
    assert main(["--db", loaded, "import", "schools", str(sheet(tmp_path / "bad.xlsx", rows))]) == 2
    err = capsys.readouterr().err
    assert "bad.xlsx 第3行“纬度”列：纬度、经度可能填反了" in err and "Traceback" not in err
    assert main(["--db", loaded, "import", "schools", str(tmp_path / "out.xlsx"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] == 5


def test_bad_date_argument_is_one_line(loaded: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", loaded, "check", "--date", "明天"]) == 2
    assert capsys.readouterr().err.startswith("edubridge: --date")
