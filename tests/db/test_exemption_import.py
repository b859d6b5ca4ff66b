"""Exemption register import: eligibility reads what a clerk imports; all or nothing with row and
column; re-imports and export round trips change nothing; the template's example row is skipped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from db.exemption_import import EXAMPLE, HEADERS, import_exemptions, import_file
from db.importing import ImportFailed
from db.models import AuditEntry, Exemption, Posting, Region, School, Teacher
from db.teachers import store_eligibility
from policy.idcard import make_id_number
from policy.profile import load_profile
from reports.exemption_tables import write_export, write_template
from reports.xlsx import EXAMPLE_NOTE

D = dt.date
A = make_id_number("640102", D(1980, 3, 3), 11)  # man, 15 years at S1 in 2025: mandatory
B = make_id_number("640102", D(1986, 7, 9), 22)  # woman, 15 years: mandatory
C = make_id_number("640102", D(1990, 1, 1), 3)  # man, 11 years: eligible
XID = next(n for n in (make_id_number("640102", D(1979, 5, 5), s) for s in range(0, 999, 2)) if n.endswith("X"))
NAMES = {A: "张三", B: "李四", C: "赵六", XID: "王五"}
UNKNOWN = make_id_number("640102", D(1975, 1, 1), 31)  # valid, not in the roster


@pytest.fixture
def roster(store):
    with store.write("roster") as session:
        region = Region(code="640100", name="测试县", level="县区")
        session.add(region)
        session.flush()
        school = School(code="S1", name="学校S1", stage="小学", location="城区", region_id=region.id)
        session.add(school)
        session.flush()
        for number, name in NAMES.items():
            birth = D(int(number[6:10]), int(number[10:12]), int(number[12:14]))
            teacher = Teacher(id_number=number, name=name, gender="男" if int(number[16]) % 2 else "女",
                              birth_date=birth)
            session.add(teacher)
            session.flush()
            arrived = D(2014, 9, 1) if number == C else D(2010, 9, 1)
            session.add(Posting(teacher_id=teacher.id, school_id=school.id, start=arrived))
    return store


def write(path: Path, rows, headers=HEADERS) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def count(store, model) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def statuses(store, year: int = 2025) -> dict[str, tuple[str, str | None, str]]:
    result = store_eligibility(store, load_profile(), year)
    return {e.teacher.id_number: (e.status, e.reason, e.clause) for e in result.entries}


def test_imported_exemption_exempts_on_the_reference_date(roster, tmp_path):
    path = write(tmp_path / "e.xlsx", [
        [A, "张三", "患病", "县人民医院诊断证明及病休审批表", "2025-03-01", "2026年2月28日"],
        # Ended the day before the 2025 reference date (2025-09-01): not exempt in 2025.
        [B, "李四", "哺乳期", "子女出生医学证明复印件", "2024/9/1", "2025.8.31"],
        # Starts the day after: not exempt in 2025 either.
        [C, "赵六", "特色项目领衔教师", "县教育局认定文件", "20250902", None],
        # Lower-case x accepted; open-ended.
        [XID.lower(), " 王 五 ", "孕期", "县妇幼保健院孕检证明", dt.datetime(2025, 9, 1), None],
    ])
    result = import_exemptions(roster, path)
    assert (result.rows, result.inserted, result.updated, result.unchanged) == (4, 4, 0, 0)
    assert len(result.changes) == 4 and "新增免交流登记 患病（2025-03-01至2026-02-28）" in result.changes[0]
    found = statuses(roster)
    status, reason, clause = found[A]
    assert (status, reason) == ("exempt", "患病")
    assert clause.startswith("免交流登记：患病（2025-03-01至2026-02-28）")
    assert load_profile().clause("exchange.exemption_register") in clause
    assert found[XID][:2] == ("exempt", "孕期")
    assert found[B][:2] == ("mandatory", None)
    assert found[C][:2] == ("eligible", None)
    # In 2024 the 哺乳期 covers the reference date (2024-09-01) and the 患病 does not yet.
    earlier = statuses(roster, 2024)
    assert earlier[B][:2] == ("exempt", "哺乳期") and earlier[A][0] == "mandatory"
    with roster.read() as session:
        stored = {(t.id_number, x.reason): x for x, t in session.execute(
            select(Exemption, Teacher).join(Teacher, Teacher.id == Exemption.teacher_id))}
    assert stored[(C, "特色项目领衔教师")].end_on is None
    assert stored[(A, "患病")].evidence == "县人民医院诊断证明及病休审批表"


def test_bad_file_writes_nothing_and_names_every_cell(roster, tmp_path):
    bad_check = A[:17] + ("0" if A[17] != "0" else "1")
    path = write(tmp_path / "bad.xlsx", [
        [A, "张三", "患病", "诊断证明", "2025-03-01", None],  # fine, but the file fails as a whole
        [UNKNOWN, "某人", "患病", "诊断证明", "2025-03-01", None],
        [B, "李娟", "孕期", "孕检证明", "2025-03-01", None],
        [C, "赵六", "出差", "", "", "2025-01-01"],
        [bad_check, "张三", "患病", "诊断证明", "2025-03-01", None],
        [A, "张三", "其他", "说明", "2025-09-01", "2025-08-31"],
        [XID, "王五", "孕期", "孕检证明", "2025-13-01", None],
        [A, "张三", "患病", "另一份诊断证明", "2025/3/1", None],  # repeats the first row
        [float(C[:15]), "赵六", "患病", "诊断证明", "2025-03-01", None],  # Excel ate the digits
    ])
    audits = count(roster, AuditEntry)
    with pytest.raises(ImportFailed) as failed:
        import_exemptions(roster, path)
    problems = {(p.row, p.column): p.message for p in failed.value.problems}
    assert set(problems) == {
        (2, "身份证号"), (3, "身份证号"), (4, "姓名"), (5, "免交流情形"), (5, "证明材料"), (5, "开始日期"),
        (6, "身份证号"), (7, "结束日期"), (8, "开始日期"), (9, "身份证号"), (10, "身份证号"),
    }
    assert "名册中没有此身份证号" in problems[(3, "身份证号")] and "请先导入教师名册" in problems[(3, "身份证号")]
    assert "李娟" in problems[(4, "姓名")] and "李四" in problems[(4, "姓名")]
    assert "可选" in problems[(5, "免交流情形")]
    assert "校验位" in problems[(6, "身份证号")]
    assert "早于开始日期" in problems[(7, "结束日期")]
    assert "第9行" in problems[(2, "身份证号")] and "第2行" in problems[(9, "身份证号")]
    assert "存成了数字" in problems[(10, "身份证号")]
    assert all(str(p).startswith("bad.xlsx 第") for p in failed.value.problems)
    assert "bad.xlsx 第4行“姓名”列" in str(failed.value)
    assert count(roster, Exemption) == 0 and count(roster, AuditEntry) == audits


def test_missing_header_is_refused(roster, tmp_path):
    path = write(tmp_path / "h.xlsx", [[A, "张三", "患病", "2025-03-01"]],
                 headers=("身份证号", "姓名", "免交流情形", "开始日期"))
    with pytest.raises(ImportFailed, match="证明材料"):
        import_exemptions(roster, path)


def test_reimport_changes_nothing_and_updates_in_place(roster, tmp_path):
    rows = [[A, "张三", "患病", "诊断证明（复印件）", "2025-03-01", "2026-02-28"],
            [B, "李四", "孕期", "孕检证明", "2025-05-01", None]]
    import_exemptions(roster, write(tmp_path / "e.xlsx", rows))
    audits = count(roster, AuditEntry)
    again = import_exemptions(roster, tmp_path / "e.xlsx")
    assert (again.inserted, again.updated, again.unchanged, again.changes) == (0, 0, 2, [])
    assert count(roster, AuditEntry) == audits  # nothing to do: no audit entry either

    rows[0][3], rows[0][5] = "县人民医院诊断证明", "2026-06-30"
    rows[1][3] = "孕检证明（补）"  # evidence only
    rows.append([A, "张三", "患病", "复诊证明", "2027-01-01", None])  # another period: a new exemption
    preview = import_file(roster, write(tmp_path / "e2.xlsx", rows), dry_run=True)
    assert (preview.inserted, preview.updated, preview.unchanged) == (1, 2, 0)
    assert count(roster, Exemption) == 2 and count(roster, AuditEntry) == audits  # dry run wrote nothing
    result = import_exemptions(roster, tmp_path / "e2.xlsx")
    assert (result.inserted, result.updated, result.unchanged) == (1, 2, 0)
    assert any("结束日期 2026-02-28 → 2026-06-30" in line for line in result.changes)
    assert any("证明材料改为“孕检证明（补）”" in line for line in result.changes)
    with roster.read() as session:
        periods = sorted((x.start, x.end_on, x.evidence) for x in session.scalars(select(Exemption)))
        updates = session.scalars(select(AuditEntry).where(AuditEntry.action == "update",
                                                           AuditEntry.entity == "exemption")).all()
    assert periods == [(D(2025, 3, 1), D(2026, 6, 30), "县人民医院诊断证明"), (D(2025, 5, 1), None, "孕检证明（补）"),
                       (D(2027, 1, 1), None, "复诊证明")]
    assert len(updates) == 2 and {"2026-02-28"} == {u.before.get("end_on") for u in updates} - {None}
    assert all("导入免交流登记 e2.xlsx" in u.note for u in updates)


def test_template_example_row_skipped_until_edited(roster, tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["免交流登记", "说明"]
    assert [c.value for c in wb["免交流登记"][1]] == list(HEADERS)
    notes = [r[0] for r in wb["说明"].iter_rows(values_only=True)]
    assert EXAMPLE_NOTE in notes and any("距退休不足规定年限" in n and "自动计算" in n for n in notes)
    formulas = [v.formula1 for v in wb["免交流登记"].data_validations.dataValidation]
    assert any("特色项目领衔教师" in f for f in formulas)
    result = import_exemptions(roster, path)
    assert (result.rows, result.inserted) == (0, 0) and "已跳过模板示例行（第2行）" in result.summary()

    wb["免交流登记"].append([A, "张三", "患病", "诊断证明", "2025-03-01", None])
    wb.save(path)
    assert import_exemptions(roster, path).inserted == 1

    wb["免交流登记"].cell(2, 2).value = "示例教师二"  # an edited example is an ordinary row
    wb.save(path)
    with pytest.raises(ImportFailed) as failed:
        import_exemptions(roster, path)
    assert [(p.row, p.column) for p in failed.value.problems] == [(2, "身份证号")]
    assert EXAMPLE[0] in failed.value.problems[0].message


def test_export_imports_back_without_change(roster, tmp_path):
    rows = [[XID, "王五", "哺乳期", "出生医学证明", "2025-01-01", None],  # XID (born 1979) sorts first
            [XID, "王五", "距退休不足规定年限", "人事科认定", "2025-09-01", None],
            [A, "张三", "患病", "县人民医院诊断证明（2025年3月），病休半年", "2025-03-01", "2025-09-30"]]
    import_exemptions(roster, write(tmp_path / "e.xlsx", rows))
    assert write_export(roster, tmp_path / "out.xlsx") == 3
    exported = list(load_workbook(tmp_path / "out.xlsx")["免交流登记"].iter_rows(min_row=2, values_only=True))
    assert [r[:4] for r in exported] == [tuple(r[:4]) for r in rows]  # sorted by ID number, then start
    audits = count(roster, AuditEntry)
    result = import_exemptions(roster, tmp_path / "out.xlsx")
    assert (result.rows, result.inserted, result.updated, result.unchanged) == (3, 0, 0, 3)
    assert count(roster, AuditEntry) == audits and count(roster, Exemption) == 3
