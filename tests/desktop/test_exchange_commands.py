"""The held-out checks of issue 10 items 1–2, at the command line (README commands):

* after ``plan --approve`` the next school year's eligibility no longer lists the teachers who
  moved with their personnel relationship, and lists the temporary ones at their home school;
* an exchanges sheet with every form imports, exports back the same, imports twice without a
  change, and a bad one is refused whole with row and column.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import workbooks
from openpyxl import load_workbook
from sqlalchemy import func, select

from db.exchange_import import HEADERS
from db.models import AuditEntry, Exchange, Posting, School, Teacher
from desktop.cli import main
from policy import vocab
from policy.idcard import make_id_number

YEAR = 2027  # the demo has approved plans up to 2026


def run_json(capsys, *argv):
    capsys.readouterr()
    assert main(list(argv)) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_approving_the_plan_moves_personnel_and_keeps_temporary_teachers_at_home(demo_store, capsys):
    db = demo_store.location
    plan = run_json(capsys, "--db", db, "plan", "--year", str(YEAR), "--json", "--save")
    before = {t["id_number"]: t for t in run_json(capsys, "--db", db, "eligibility", "--year", str(YEAR + 1),
                                                    "--json")["teachers"]}
    assert run_json(capsys, "--db", db, "plan", "--year", str(YEAR), "--approve", "--json")["exchanges"] == \
        len(plan["moves"])
    after = {t["id_number"]: t for t in run_json(capsys, "--db", db, "eligibility", "--year", str(YEAR + 1),
                                                   "--json")["teachers"]}
    moved = [m for m in plan["moves"] if m["moves_personnel"]]
    temporary = [m for m in plan["moves"] if not m["moves_personnel"]]
    assert moved and temporary
    for move in moved:
        assert move["id_number"] in before and move["id_number"] not in after
    for move in temporary:  # still counted at home, tenure running on
        assert after[move["id_number"]]["school_code"] == move["from_school"]
        assert after[move["id_number"]]["years_at_school"] == before[move["id_number"]]["years_at_school"]
    # as of a day inside the year the exchanges are in progress; the day before, approved only
    listed = run_json(capsys, "--db", db, "exchange", "list", "--year", str(YEAR), "--date", f"{YEAR}-10-01", "--json")
    assert len(listed) == len(plan["moves"]) and {r["state"] for r in listed} == {"in_progress"}
    early = run_json(capsys, "--db", db, "exchange", "list", "--year", str(YEAR), "--date", f"{YEAR}-08-31", "--json")
    assert {r["state"] for r in early} == {"approved"}


def _teachers(store):
    """Teachers at city schools, at rural schools, and schools by location (the demo county)."""
    with store.read() as session:
        rows = session.execute(
            select(Teacher.id_number, Teacher.name, School.name, School.location, School.stage)
            .join(Posting, Posting.teacher_id == Teacher.id).join(School, School.id == Posting.school_id)
            .where(Posting.end_on.is_(None), Posting.holds_personnel.is_(True))
            .where(~Teacher.id.in_(select(Exchange.teacher_id)))
            .order_by(Teacher.id_number)).all()
        schools = session.execute(select(School.name, School.location, School.stage).order_by(School.code)).all()
    urban = [r for r in rows if r[3] == "城区"]
    rural = [r for r in rows if r[3] == "乡村" and r[4] != "教学点"]
    by_location = {loc: [s[0] for s in schools if s[1] == loc and s[2] != "教学点"] for loc in vocab.LOCATIONS}
    return urban, rural, by_location


def _sheet(path, rows):
    return workbooks.sheet(path, rows, HEADERS, "交流记录")


def _every_form(store):
    urban, rural, schools = _teachers(store)
    start, end = dt.date(2028, 9, 1), dt.date(2029, 7, 10)
    village, village2, town, city = schools["乡村"][0], schools["乡村"][1], schools["镇区"][0], schools["城区"][0]
    u = iter(urban)
    rows = []
    for form in ("轮岗", "柔性流动", "支教", "挂职", "驻教"):
        t = next(u)
        personnel = "是" if form == "轮岗" else "否"
        rows.append([t[0], t[1], t[2], village, form, start, None if form == "轮岗" else end, personnel,
                     "人事关系随迁" if form == "轮岗" else None])
    t = next(u)  # one teacher, two schools, days a week
    rows.append([t[0], t[1], t[2], village, "走教", start, end, "否", "每周2天"])
    rows.append([t[0], t[1], t[2], village2, "走教", start, end, "否", "每周3天"])
    r = rural[0]
    rows.append([r[0], r[1], r[2], city if r[2] != city else town, "跟岗", start, dt.date(2029, 1, 20), "否",
                 "跟岗学习一学期"])
    return rows


def _exported(path, numbers):
    sheet = load_workbook(path)["交流记录"]
    values = list(sheet.iter_rows(values_only=True))
    header = values.index(next(v for v in values if v and v[0] == "身份证号"))
    assert list(values[header]) == list(HEADERS)
    out = []
    for row in values[header + 1:]:
        if row[0] in numbers:
            row = list(row)
            for i in (5, 6):
                if isinstance(row[i], dt.datetime):
                    row[i] = row[i].date()
            out.append(row)
    return out


def _audit_count(store):
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry))


def test_every_form_imports_exports_back_the_same_and_imports_twice_without_a_change(demo_store, tmp_path, capsys):
    db = demo_store.location
    rows = _every_form(demo_store)
    path = _sheet(tmp_path / "交流记录.xlsx", rows)
    assert {r[4] for r in rows} == set(vocab.EXCHANGE_FORMS)
    dry = run_json(capsys, "--db", db, "import", "exchanges", str(path), "--dry-run", "--json")
    assert (dry["inserted"], dry["dry_run"]) == (len(rows), True)
    first = run_json(capsys, "--db", db, "import", "exchanges", str(path), "--json")
    assert (first["inserted"], first["updated"], first["unchanged"]) == (len(rows), 0, 0)
    audit = _audit_count(demo_store)
    again = run_json(capsys, "--db", db, "import", "exchanges", str(path), "--json")
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, len(rows))
    assert _audit_count(demo_store) == audit  # nothing written, not even an audit entry
    out = tmp_path / "导出.xlsx"
    capsys.readouterr()
    assert main(["--db", db, "export", "exchanges", str(out)]) == 0
    numbers = {r[0] for r in rows}
    expected = sorted(([*r[:8], r[8]] for r in rows), key=lambda r: (r[0], r[5], r[4], r[3]))
    assert sorted(_exported(out, numbers), key=lambda r: (r[0], r[5], r[4], r[3])) == expected
    back = run_json(capsys, "--db", db, "import", "exchanges", str(out), "--json")
    assert (back["inserted"], back["updated"]) == (0, 0)
    # carried out: the personnel move restarts tenure at the village school, the 走教 teacher is at two schools
    listed = run_json(capsys, "--db", db, "exchange", "list", "--date", "2028-10-01", "--json")
    mine = [r for r in listed if r["id_number"] in numbers]
    assert len(mine) == len(rows) and {r["state"] for r in mine} == {"in_progress", "done"}
    itinerant = sorted(r["days_per_week"] for r in mine if r["form"] == "走教")
    assert itinerant == [2, 3]
    eligible = {t["id_number"] for t in run_json(capsys, "--db", db, "eligibility", "--year", "2029",
                                                 "--json")["teachers"]}
    assert rows[0][0] not in eligible  # 轮岗 with 人事关系: one year at the new school


def test_changing_an_end_date_in_the_sheet_ends_early_or_extends(demo_store, tmp_path, capsys):
    db = demo_store.location
    rows = _every_form(demo_store)
    main(["--db", db, "import", "exchanges", str(_sheet(tmp_path / "a.xlsx", rows))])
    rows[2][6] = dt.date(2029, 1, 31)  # 支教 ends early
    changed = run_json(capsys, "--db", db, "import", "exchanges", str(_sheet(tmp_path / "b.xlsx", rows)), "--json")
    assert (changed["inserted"], changed["updated"]) == (0, 1)
    shown = run_json(capsys, "--db", db, "exchange", "list", "--teacher", rows[2][0], "--date", "2029-03-01", "--json")
    assert shown[0]["state"] == "ended_early" and shown[0]["end_on"] == "2029-01-31"


def test_a_bad_sheet_is_refused_whole_with_row_and_column(demo_store, tmp_path, capsys):
    db = demo_store.location
    rows = _every_form(demo_store)
    bad = [list(r) for r in rows]
    bad[1][0] = make_id_number("110101", dt.date(1990, 3, 7), 11)  # row 3: a valid number not in the roster
    bad[2][4] = "交换"  # row 4: a form outside the list
    bad[3][3] = bad[3][2]  # row 5: 交流单位 = 原单位
    bad[4][6] = dt.date(2028, 8, 1)  # row 6: end before start
    itinerant = bad[5]  # row 10: the 走教 teacher of row 7 also 支教 at the same time
    bad.append([itinerant[0], itinerant[1], itinerant[2], bad[6][3], "支教", dt.date(2028, 10, 1),
                dt.date(2028, 12, 1), "否", None])
    urban_teacher = bad[5]  # a city teacher "跟岗" to a village school: the wrong direction
    bad.append([urban_teacher[0], urban_teacher[1], urban_teacher[2], bad[0][3], "跟岗", dt.date(2030, 3, 1),
                dt.date(2030, 6, 30), "否", None])
    path = _sheet(tmp_path / "坏.xlsx", bad)
    with demo_store.read() as session:
        count = session.scalar(select(func.count()).select_from(Exchange))
    capsys.readouterr()
    assert main(["--db", db, "import", "exchanges", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "未写入任何数据" in err
    for where in ("坏.xlsx 第3行“身份证号”列", "第4行“交流形式”列", "第5行“交流单位”列", "第6行“结束日期”列",
                  "第7行“开始日期”列", "第10行“开始日期”列", "第11行“交流单位”列"):
        assert where in err, where
    assert "名册中没有此身份证号" in err and "同一时间有两项交流" in err and "跟岗应由乡村学校到更城镇化的学校" in err
    with demo_store.read() as session:
        assert session.scalar(select(func.count()).select_from(Exchange)) == count


@pytest.mark.parametrize("kind", ["exchanges"])
def test_template_imports_as_nothing(tmp_path, capsys, kind):
    db = tmp_path / "empty.db"
    assert main(["--db", str(db), "template", kind, str(tmp_path / "t.xlsx")]) == 0
    result = run_json(capsys, "--db", str(db), "import", kind, str(tmp_path / "t.xlsx"), "--json")
    assert result["rows"] == 0
    notes = [row[0] for row in load_workbook(tmp_path / "t.xlsx")["说明"].iter_rows(values_only=True)]
    assert any("跟岗" in str(n) and "不计入" in str(n) for n in notes)


def test_exchange_commands_cancel_end_and_extend_with_json(demo_store, tmp_path, capsys):
    db = demo_store.location
    rows = _every_form(demo_store)
    rows[2][5], rows[2][6] = "2028-09", "2029-07"  # months, as the national registry writes them
    main(["--db", db, "import", "exchanges", str(_sheet(tmp_path / "a.xlsx", rows))])
    support, secondment, resident = rows[2][0], rows[3][0], rows[4][0]
    shown = run_json(capsys, "--db", db, "exchange", "list", "--teacher", support, "--json")
    assert (shown[0]["start"], shown[0]["end_on"]) == ("2028-09-01", "2029-07-31")
    ended = run_json(capsys, "--db", db, "exchange", "end", "--teacher", support, "--on", "2029-01-31",
                     "--reason", "学校撤并", "--json")
    assert ended["end_on"] == "2029-01-31" and ended["planned_end"] == "2029-07-31"
    extended = run_json(capsys, "--db", db, "exchange", "extend", "--teacher", secondment, "--until", "2030-01-31",
                        "--json")
    assert extended["end_on"] == "2030-01-31" and "6 个月" in extended["note"]  # 挂职 is one semester
    cancelled = run_json(capsys, "--db", db, "exchange", "cancel", "--teacher", resident, "--on", "2028-08-01",
                         "--json")
    assert cancelled["state"] == "cancelled" and cancelled["cancelled_on"] == "2028-08-01"
    assert main(["--db", db, "exchange", "cancel", "--teacher", resident]) == 2  # nothing left to cancel
    assert "没有找到" in capsys.readouterr().err
    listed = run_json(capsys, "--db", db, "exchange", "list", "--status", "cancelled", "--teacher", resident, "--json")
    assert [r["form"] for r in listed] == ["驻教"]
    with demo_store.read() as session:
        stints = session.scalars(select(Posting).join(Teacher, Teacher.id == Posting.teacher_id)
                                 .where(Teacher.id_number == resident, Posting.exchange_id.is_not(None))).all()
    assert stints == []  # cancelled before it began: its stint is gone, the home posting untouched


def test_the_annual_report_counts_the_forms_that_count_and_what_took_effect(demo_store, tmp_path):
    from db.annual import annual_data
    from db.exchange_import import import_exchanges
    from db.exchanges import cancel_exchange, exchange_list
    from db.settings import active_profile

    profile = active_profile(demo_store)
    rows = _every_form(demo_store)
    import_exchanges(demo_store, _sheet(tmp_path / "a.xlsx", rows), profile)
    figures = annual_data(demo_store, profile, 2028).county_exchange
    # not 挂职 or 跟岗; the 走教 teacher at two schools is one teacher
    assert figures.by_form == {"轮岗": 1, "柔性流动": 1, "走教": 1, "支教": 1, "驻教": 1}
    assert figures.moved == 5
    resident = next(r for r in exchange_list(demo_store, dt.date.today(), teacher=rows[4][0]))
    cancel_exchange(demo_store, resident["id"], dt.date(2028, 8, 1))  # before it began: it never happened
    assert "驻教" not in annual_data(demo_store, profile, 2028).county_exchange.by_form
