"""Roster import: checks with row and column, all-or-nothing, updates in place, postings history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from db.importing import ImportFailed
from db.models import AuditEntry, Posting, Region, School, Teacher
from db.teacher_import import HEADERS, import_teachers
from db.teachers import store_eligibility
from policy.idcard import make_id_number
from policy.profile import load_profile
from reports.teacher_tables import export_teachers, write_teacher_template

D = dt.date
A = make_id_number("640102", D(1980, 3, 3), 11)  # man
B = make_id_number("640102", D(1986, 7, 9), 22)  # woman
C = make_id_number("640102", D(1990, 1, 1), 3)
XID = next(n for n in (make_id_number("640102", D(1979, 5, 5), s) for s in range(0, 999, 2)) if n.endswith("X"))


@pytest.fixture
def schools(store):
    with store.write("schools") as session:
        region = Region(code="640100", name="测试县", level="县区")
        session.add(region)
        session.flush()
        for code, location in (("S1", "城区"), ("S2", "乡村"), ("S3", "镇区")):
            session.add(School(code=code, name=f"学校{code}", stage="小学", location=location, region_id=region.id))
    return store


def write(path: Path, rows, headers=HEADERS, title: str | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def row(number=A, name="张三", gender="男", birth="1980-03-03", school="S1", subject="语文", title="一级教师",
        backbone="", started="2002-09", arrived="2010-09-01", personnel=None):
    return [number, name, gender, birth, school, subject, title, backbone, started, arrived, personnel]


def count(store, model):
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_import_new_roster(schools, tmp_path):
    path = write(tmp_path / "r.xlsx", [
        row(),
        row(B, "李四", "女", "1986年7月9日", "S2", "体育", backbone="市级骨干教师", arrived="2016.9"),
        row(XID.lower(), "王五", "", "", "S1", arrived="2012/9/1", personnel="S3"),
        row(C, "赵六", "男性", "1990-01-01", "S2"),
    ], title="2025年教师名册")
    result = import_teachers(schools, path)
    assert (result.rows, result.inserted, result.updated) == (4, 4, 0)
    with schools.read() as session:
        teachers = {t.id_number: t for t in session.scalars(select(Teacher))}
        assert set(teachers) == {A, B, XID, C}  # lower-case x stored upper-case
        assert teachers[C].gender == "男"
        wang = teachers[XID]
        assert (wang.gender, wang.birth_date) == ("女", D(1979, 5, 5))  # taken from the ID number
        assert teachers[B].subject == "体育与健康" and teachers[B].backbone_level == "市级骨干教师"
        assert teachers[A].backbone_level is None and teachers[A].started_teaching == D(2002, 9, 1)
        postings = sorted((p.holds_personnel, p.kind) for p in wang.postings)
        assert postings == [(False, "轮岗"), (True, "任职")]
    eligibility = store_eligibility(schools, load_profile(), 2025)
    by_id = {e.teacher.id_number: e for e in eligibility.entries}
    assert by_id[A].years == 15 and by_id[XID].school == "S3"  # tenure at the personnel school
    with schools.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "import")) == 1


def test_every_problem_reported_and_nothing_written(schools, tmp_path):
    bad_check = A[:-1] + ("0" if A[-1] != "0" else "1")
    path = write(tmp_path / "bad.xlsx", [
        row(),                                   # row 2 fine
        row(bad_check, "坏号"),                   # row 3 check digit
        row(B, "李四", "男", "1986-07-09"),        # row 4 gender contradicts the number
        row(B, "李四", "女", "1986-07-10"),        # row 5 duplicate of row 4, birth date wrong
        row(C, "赵六", school="NOPE"),             # row 6 unknown school
        row(make_id_number("640102", D(1991, 1, 1), 5), "钱七", arrived="九月"),  # row 7
    ])
    with pytest.raises(ImportFailed) as caught:
        import_teachers(schools, path)
    problems = {(p.row, p.column) for p in caught.value.problems}
    assert (3, "身份证号") in problems
    assert (4, "性别") in problems
    assert (5, "出生日期") in problems
    assert (4, "身份证号") in problems and (5, "身份证号") in problems  # both rows of the duplicate
    assert (6, "学校代码") in problems
    assert (7, "调入本校时间") in problems
    assert all(p.file == "bad.xlsx" for p in caught.value.problems)
    assert "校验位" in str(caught.value) and "第5行" in str(caught.value)
    assert count(schools, Teacher) == 0 and count(schools, Posting) == 0


def test_positions_are_imported_and_kept_by_files_without_the_column(schools, tmp_path):
    headers = (*HEADERS[:11], "职务", "任现职时间")
    path = write(tmp_path / "heads.xlsx", [row() + ["校长", "2020.9"], row(B, "李四", "女", "1986-07-09") + ["", None],
                                           row(C, "赵六", "男", "1990-01-01") + ["正校长", "2030-01-01"]],
                 headers=headers)
    with pytest.raises(ImportFailed) as caught:
        import_teachers(schools, path)
    assert [(p.row, p.column) for p in caught.value.problems] == [(4, "任现职时间")]  # in the future
    path = write(tmp_path / "heads.xlsx", [row() + ["校长", "2020.9"], row(B, "李四", "女", "1986-07-09") + ["", None]],
                 headers=headers)
    import_teachers(schools, path)

    def positions():
        with schools.read() as session:
            return {t.id_number: (t.position, t.position_since) for t in session.scalars(select(Teacher))}

    assert positions() == {A: ("校长", D(2020, 9, 1)), B: ("教师", None)}
    plain = write(tmp_path / "plain.xlsx", [row(), row(B, "李四", "女", "1986-07-09")], headers=HEADERS[:11])
    assert import_teachers(schools, plain).unchanged == 2  # no 职务 column: nothing to change
    assert positions()[A] == ("校长", D(2020, 9, 1))
    demoted = write(tmp_path / "heads.xlsx", [row() + ["教师", None]], headers=headers)
    assert import_teachers(schools, demoted).updated == 1 and positions()[A] == ("教师", None)


def test_id_number_stored_as_a_number_is_refused_with_the_reason(schools, tmp_path):
    """Typed into a number cell, an 18-digit ID keeps 15 significant digits: say so."""
    path = write(tmp_path / "numeric.xlsx", [row(float(C[:17] + "0")), row(A, "李四")])
    with pytest.raises(ImportFailed) as caught:
        import_teachers(schools, path)
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == (2, "身份证号") and "存成了数字" in problem.message
    assert count(schools, Teacher) == 0


def test_missing_headers(schools, tmp_path):
    path = write(tmp_path / "h.xlsx", [row()], headers=["身份证号", "姓名"] + list(HEADERS[2:4]))
    with pytest.raises(ImportFailed, match="表头"):
        import_teachers(schools, path)


def test_reimport_updates_in_place_and_records_move(schools, tmp_path):
    import_teachers(schools, write(tmp_path / "1.xlsx", [row(), row(B, "李四", "女", "1986-07-09", "S2")]))
    again = write(tmp_path / "2.xlsx", [
        row(name="张三丰", school="S2", arrived="2024-09-01"),  # moved school
        row(B, "李四", "女", "1986-07-09", "S2"),               # unchanged
    ])
    dry = import_teachers(schools, again, dry_run=True)
    assert (dry.inserted, dry.updated, dry.moved, dry.unchanged, dry.dry_run) == (0, 1, 1, 1, True)
    with schools.read() as session:
        assert session.scalars(select(Teacher.name).where(Teacher.id_number == A)).one() == "张三"
    result = import_teachers(schools, again)
    assert (result.inserted, result.updated, result.moved, result.unchanged) == (0, 1, 1, 1)
    assert count(schools, Teacher) == 2
    with schools.read() as session:
        zhang = session.scalars(select(Teacher).where(Teacher.id_number == A)).one()
        assert zhang.name == "张三丰"
        history = [(p.start, p.end_on) for p in zhang.postings]
        assert history == [(D(2010, 9, 1), D(2024, 8, 31)), (D(2024, 9, 1), None)]
    # a third identical import changes nothing
    third = import_teachers(schools, again)
    assert (third.updated, third.unchanged) == (0, 2)
    assert count(schools, Posting) == 3


def test_clerk_files_footer_odd_subjects_and_change_details(schools, tmp_path):
    """A signature line under the table is skipped; a subject outside the standard list is
    imported with a note; a re-import says what changed, old → new."""
    path = write(tmp_path / "r.xlsx", [row(subject="小学数学"), row(B, "李四", "女", "1986-07-09"),
                                       ["填表人：王五", None, "审核人：赵六"]])
    result = import_teachers(schools, path)
    assert result.inserted == 2
    assert any("表尾签字行（第4行）" in n for n in result.notes)
    assert any("小学数学（1人）" in n for n in result.notes)
    again = write(tmp_path / "r2.xlsx", [row(name="张三丰", subject="数学"), row(B, "李四", "女", "1986-07-09")])
    (line,) = import_teachers(schools, again).changes
    assert "姓名 张三→张三丰" in line and "任教学科 小学数学→数学" in line


def test_arrival_before_starting_work_is_refused(schools, tmp_path):
    with pytest.raises(ImportFailed) as caught:
        import_teachers(schools, write(tmp_path / "r.xlsx", [row(started="2012-09", arrived="2010-09-01")]))
    (problem,) = caught.value.problems
    assert problem.column == "调入本校时间" and "早于参加工作时间 2012-09-01" in problem.message


def test_a_school_change_with_the_old_arrival_date_is_refused(schools, tmp_path):
    """Keeping 调入本校时间 while changing the school would start the new tenure years ago."""
    import_teachers(schools, write(tmp_path / "1.xlsx", [row()]))
    with pytest.raises(ImportFailed) as caught:
        import_teachers(schools, write(tmp_path / "2.xlsx", [row(school="S2")]))  # arrived still 2010-09-01
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == (2, "调入本校时间")
    assert "S1 变为 S2" in problem.message and "请填写调入新学校的日期" in problem.message
    with schools.read() as session:
        assert [(p.start, p.end_on) for p in session.scalars(select(Posting))] == [(D(2010, 9, 1), None)]


def test_template_and_export_round_trip(schools, tmp_path):
    template = write_teacher_template(tmp_path / "t.xlsx")
    wb = load_workbook(template)
    assert [c.value for c in wb["教师名册"][1]] == list(HEADERS) and "说明" in wb.sheetnames
    import_teachers(schools, write(tmp_path / "1.xlsx", [row(), row(XID, "王五", "女", "1979-05-05", "S1",
                                                                    personnel="S3")]))
    exported = export_teachers(schools, tmp_path / "out.xlsx")
    result = import_teachers(schools, exported)
    assert (result.rows, result.inserted, result.updated, result.unchanged) == (2, 0, 0, 2)


def test_roster_search_finds_stints_and_subject_aliases(schools, tmp_path):
    from db.teacher_queries import roster_ids, roster_rows

    import_teachers(schools, write(tmp_path / "r.xlsx", [
        row(subject="道法"),                                                 # S1, stored as 道德与法治
        row(B, "李四", "女", "1986-07-09", "S2", "体育"),                     # stored as 体育与健康
        row(C, "赵六", "男", "1990-01-01", "S1", personnel="S3"),             # works at S1, personnel S3
    ]))

    def found(text):
        ids = roster_ids(schools, text)
        return sorted(r.name for r in roster_rows(schools, ids).values())

    assert found("S1") == ["张三", "赵六"]
    assert found("学校S3") == ["赵六"]
    assert found("体育") == ["李四"] and found("道法") == ["张三"]
    assert found("李") == ["李四"]
