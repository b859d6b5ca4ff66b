"""The needs table round trip: export (stored rows or derived defaults) → clerk edits → import
(all or nothing, replacing the listed schools' rows) → the planner uses the edit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from db.exchange_plans import load_needs, load_schools, make_plan
from db.importing import CellError, ImportFailed
from db.models import AuditEntry, School, SubjectNeed
from db.needs_import import (
    DERIVED,
    EXAMPLE,
    HEADERS,
    STORED,
    import_file,
    needs_sheet_rows,
    parse_school_year,
)
from db.settings import active_profile
from db.store import Store
from db.teachers import store_eligibility
from policy import vocab
from policy.planner import default_needs, tier
from reports.needs_tables import write_needs, write_needs_template

STORED_YEAR = 2026  # the county demo has a needs table for 2026 only
YEAR = 2027


def counts(store: Store) -> tuple[int, int]:
    with store.read() as session:
        return (session.scalar(select(func.count()).select_from(SubjectNeed)),
                session.scalar(select(func.count()).select_from(AuditEntry)))


def sheet_rows(path: Path) -> list[list[Any]]:
    ws = load_workbook(path).worksheets[0]
    return [list(row) for row in ws.iter_rows(min_row=2, values_only=True)]


def rewrite(path: Path, rows: list[list[Any]]) -> Path:
    """Replace the data rows of the first sheet (the header stays)."""
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    ws.delete_rows(2, ws.max_row)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def by_school(rows: list[list[Any]]) -> dict[str, dict[str, int]]:
    result: dict[str, dict[str, int]] = {}
    for row in rows:
        result.setdefault(row[1], {})[row[3]] = row[4]
    return result


def receiving_school(store: Store, year: int) -> str:
    """A school the year's plan (derived needs) sends somebody to."""
    plan = make_plan(store, active_profile(store), year)
    counted: dict[str, int] = {}
    for move in plan.moves:
        counted[move.to_school] = counted.get(move.to_school, 0) + 1
    return max(counted, key=counted.__getitem__)


# ---- export ----------------------------------------------------------------------------


def test_export_shows_stored_rows_and_derived_defaults(demo_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "needs.xlsx"
    sheet = write_needs(demo_store, STORED_YEAR, path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["学科需求", "说明"]
    ws = wb["学科需求"]
    assert [c.value for c in ws[1]] == list(HEADERS)
    rows = sheet_rows(path)
    assert len(rows) == len(sheet.rows) and ws.auto_filter.ref == f"A1:F{len(rows) + 1}"
    subjects = next(v for v in ws.data_validations.dataValidation if str(v.sqref).startswith("D2"))
    assert subjects.formula1 == '"' + ",".join(vocab.SUBJECTS) + '"'
    notes = "\n".join(r[0] for r in wb["说明"].iter_rows(values_only=True))
    assert "填 0 表示该学科不接收交流教师" in notes and "整体替换原有数据" in notes

    profile = active_profile(demo_store)
    result = store_eligibility(demo_store, profile, STORED_YEAR)
    schools = load_schools(demo_store, result.reference_date)
    derived = default_needs(schools, result.candidates(), profile)
    stored = load_needs(demo_store, STORED_YEAR)
    stored_codes = {code for code, _ in stored}
    listed = by_school(rows)
    assert set(listed) == {c for c, s in schools.items() if tier(s) < 2} | stored_codes
    assert stored_codes and set(listed) - stored_codes  # both sources present in the demo
    for row in rows:
        year, code, name, subject, slots, source = row
        assert year == "2026—2027" and name == schools[code].name
        if code in stored_codes:
            assert source == STORED and slots == stored.get((code, subject), 0)
        else:
            assert source == DERIVED and slots == derived.get((code, subject), 0)
    for code, figures in listed.items():  # every subject the school teaches, each once, in order
        primary = schools[code].stage in ("小学", "教学点")
        taught = [s for s in vocab.SUBJECTS if not (primary and s in vocab.JUNIOR_ONLY_SUBJECTS and not figures.get(s))]
        assert list(figures)[:len(taught)] == taught
    assert any(schools[c].stage == "小学" and "物理" not in figures for c, figures in listed.items())
    assert sheet.stored_schools == len(stored_codes)


def test_unchanged_export_imports_as_no_change(demo_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "needs.xlsx"
    write_needs(demo_store, STORED_YEAR, path)
    before = counts(demo_store)
    result = import_file(demo_store, path)
    assert result.changes == [] and result.replaced == 0 and result.inserted == result.deleted == 0
    assert result.derived == needs_sheet_rows(demo_store, STORED_YEAR).derived_schools > 0
    assert counts(demo_store) == before  # no rows and no audit entry
    assert "0 所学校的学科需求" in result.summary()


# ---- the round trip changes the plan ---------------------------------------------------


def test_edit_zero_slots_then_the_school_receives_nobody(demo_store: Store, tmp_path: Path) -> None:
    target = receiving_school(demo_store, YEAR)
    path = tmp_path / "needs.xlsx"
    write_needs(demo_store, YEAR, path)
    rows = sheet_rows(path)
    other = next(r for r in rows if r[1] != target and r[4] == 0)
    for row in rows:
        if row[1] == target:
            row[4] = 0
    other[4] = 3
    rewrite(path, rows)
    _, audits = counts(demo_store)

    result = import_file(demo_store, path)
    assert result.replaced == 2 and not result.dry_run
    assert any(line.startswith(f"2027—2028学年 {target}") and "改为需求表（全部为 0）" in line
               for line in result.changes)
    needs = load_needs(demo_store, YEAR)
    assert {s: n for (c, s), n in needs.items() if c == target} == dict.fromkeys(vocab.SUBJECTS, 0)
    assert {s: n for (c, s), n in needs.items() if c == other[1]}[other[3]] == 3
    with demo_store.read() as session:
        notes = {a.note for a in session.scalars(select(AuditEntry).where(AuditEntry.id > audits))}
    assert notes == {f"导入学科需求表 needs.xlsx（{len(rows)} 行）"}

    plan = make_plan(demo_store, active_profile(demo_store), YEAR)
    assert target not in {m.to_school for m in plan.moves}
    assert plan.needs_source == "table+ratio"

    again = import_file(demo_store, path)  # idempotent
    assert again.changes == [] and again.replaced == 0 and counts(demo_store)[1] == audits + result.inserted


def test_file_replaces_listed_schools_only(demo_store: Store, tmp_path: Path) -> None:
    stored = load_needs(demo_store, STORED_YEAR)
    # The file adds 体育 (alias of 体育与健康) below: a school without that subject, whatever the demo drew.
    codes = sorted({c for c, _ in stored} - {c for c, s in stored if s == "体育与健康"})
    first = codes[0]
    first_rows = {s: n for (c, s), n in stored.items() if c == first}
    dropped, zeroed = sorted(first_rows)[:2] if len(first_rows) > 1 else (min(first_rows), None)
    rows = [["2026—2027", first, None, s, n, None] for s, n in first_rows.items() if s not in (dropped, zeroed)]
    if zeroed:
        rows.append(["2026—2027", first, None, zeroed, 0, None])
    rows.append(["2026—2027", first, None, "体育", 2, None])  # alias of 体育与健康
    path = tmp_path / "one.xlsx"
    write_needs_template(path)
    rewrite(path, rows)

    dry = import_file(demo_store, path, dry_run=True)
    assert load_needs(demo_store, STORED_YEAR) == stored  # dry run: nothing written
    assert dry.replaced == 1 and dry.changes and "试运行" in dry.describe()

    result = import_file(demo_store, path)
    assert result.changes == dry.changes and result.counts() == dry.counts()
    after = load_needs(demo_store, STORED_YEAR)
    mine = {s: n for (c, s), n in after.items() if c == first}
    assert dropped not in mine and mine["体育与健康"] == 2
    if zeroed:
        assert mine[zeroed] == 0
    for code in codes[1:]:  # schools the file does not list keep their rows
        assert {s: n for (c, s), n in after.items() if c == code} == \
            {s: n for (c, s), n in stored.items() if c == code}
    line = next(x for x in result.changes if first in x)
    assert f"{dropped} {first_rows[dropped]}→0" in line and "体育与健康 0→2" in line


def test_year_written_any_way(demo_store: Store, tmp_path: Path) -> None:
    with demo_store.read() as session:
        codes = sorted(session.scalars(select(School.code)))[:3]
    path = write_needs_template(tmp_path / "years.xlsx")
    rewrite(path, [[2028, codes[0], None, "数学", 1, None], ["2028-2029", codes[1], None, "语文", 2, None],
                   ["2028—2029学年", codes[2], None, "道法", 1, None]])
    import_file(demo_store, path)
    assert load_needs(demo_store, 2028) == {(codes[0], "数学"): 1, (codes[1], "语文"): 2,
                                            (codes[2], "道德与法治"): 1}


@pytest.mark.parametrize(("text", "year"), [(2027, 2027), (2027.0, 2027), ("2027", 2027), ("2027—2028", 2027),
                                            ("2027-2028", 2027), ("２０２７－２０２８学年", 2027), ("2027至2028", 2027)])
def test_parse_school_year(text: Any, year: int) -> None:
    assert parse_school_year(text) == year


@pytest.mark.parametrize("text", ["", "明年", "2027-2029", "1999", "2027.5", "27"])
def test_parse_school_year_refuses(text: Any) -> None:
    with pytest.raises(CellError):
        parse_school_year(text)


# ---- bad files ---------------------------------------------------------------------------


def test_bad_file_writes_nothing_and_names_every_cell(demo_store: Store, tmp_path: Path) -> None:
    with demo_store.read() as session:
        code = min(session.scalars(select(School.code)))
    path = write_needs_template(tmp_path / "bad.xlsx")
    rewrite(path, [
        ["2027—2028", code, None, "数学", 2, None],  # row 2: fine (would be written)
        ["2027—2028", "0000000000", None, "语文", 1, None],  # 3: unknown school
        ["2027—2028", code, None, "烹饪", 1, None],  # 4: unknown subject
        ["2027—2028", code, None, None, 1, None],  # 5: blank subject
        ["2027—2028", code, None, "英语", -1, None],  # 6: negative
        ["2027—2028", code, None, "音乐", 1.5, None],  # 7: fractional
        ["2027—2028", code, None, "美术", None, None],  # 8: blank figure
        ["2027—2028", code, None, "数学", 1, None],  # 9: duplicates row 2
        ["2027—2029", code, None, "科学", 1, None],  # 10: bad year
    ])
    before = counts(demo_store)
    with pytest.raises(ImportFailed) as failed:
        import_file(demo_store, path)
    assert counts(demo_store) == before
    found = {(p.row, p.column) for p in failed.value.problems}
    assert found == {(2, "任教学科"), (3, "学校代码"), (4, "任教学科"), (5, "任教学科"), (6, "需求人数"),
                     (7, "需求人数"), (8, "需求人数"), (9, "任教学科"), (10, "学年")}
    text = str(failed.value)
    for piece in ("bad.xlsx 第3行“学校代码”列：学校代码“0000000000”不存在", "第4行“任教学科”列：“烹饪”不是学科",
                  "第5行“任教学科”列：不能为空", "第6行“需求人数”列：-1 不能小于 0", "第7行“需求人数”列：“1.5”应为整数",
                  "第8行“需求人数”列：不能为空（没有需求请填 0）", f"第9行“任教学科”列：2027—2028学年 {code} 数学 与第2行重复",
                  "第10行“学年”列：“2027—2029”的两个年份应相邻，如 2027—2028"):
        assert piece in text, piece


def test_missing_header_is_reported(demo_store: Store, tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["学年", "学校代码", "任教学科"])
    wb.active.append(["2027", "x", "数学"])
    wb.save(tmp_path / "short.xlsx")
    with pytest.raises(ImportFailed, match="缺少这些列：需求人数"):
        import_file(demo_store, tmp_path / "short.xlsx")


# ---- the template ------------------------------------------------------------------------


def test_template_example_row_is_skipped_unless_edited(demo_store: Store, tmp_path: Path) -> None:
    path = write_needs_template(tmp_path / "template.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["学科需求", "说明"]
    ws = wb["学科需求"]
    assert [c.value for c in ws[2]] == [*EXAMPLE[:5], None] and ws.cell(2, 1).font.i
    before = counts(demo_store)
    result = import_file(demo_store, path)
    assert result.rows == 0 and "已跳过模板示例行（第2行）" in result.summary() and counts(demo_store) == before
    ws.cell(2, 5).value = 3  # an edited example row is an ordinary row: its made-up school is refused
    wb.save(path)
    with pytest.raises(ImportFailed, match="第2行“学校代码”列：学校代码“6401990001”不存在"):
        import_file(demo_store, path)


# ---- replacement rules on both backends ------------------------------------------------


def small_county(store: Store) -> None:
    """Three schools, no teachers: every derived need is 0."""
    from db.models import Region

    with store.write("测试数据") as session:
        region = Region(code="640121", name="永宁县", level="县区")
        session.add(region)
        session.flush()
        for code, location in (("R1", "乡村"), ("T1", "镇区"), ("U1", "城区")):
            session.add(School(code=code, name=f"学校{code}", stage="小学", location=location, region_id=region.id))


@pytest.mark.parametrize("backend", ["store", pytest.param("pg_store", marks=pytest.mark.postgres)])
def test_replacement_rules(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    store: Store = request.getfixturevalue(backend)
    small_county(store)
    path = write_needs_template(tmp_path / "needs.xlsx")

    def load(*rows: list[Any]) -> Any:
        rewrite(path, [["2027—2028", *row[:1], None, *row[1:]] for row in rows])
        return import_file(store, path)

    first = load(["R1", "数学", 2], ["R1", "语文", 0], ["T1", "英语", 1], ["U1", "数学", 1])
    assert load_needs(store, YEAR) == {("R1", "数学"): 2, ("T1", "英语"): 1, ("U1", "数学"): 1}
    assert first.inserted == 3 and first.replaced == 3
    assert any("城区（非薄弱）学校不接收交流教师" in note and "U1" in note for note in first.notes)
    again = load(["R1", "数学", 2], ["R1", "语文", 0], ["T1", "英语", 1], ["U1", "数学", 1])
    assert (again.replaced, again.inserted, again.updated, again.deleted, again.changes) == (0, 0, 0, 0, [])

    zero = load(["R1", "数学", 0], ["R1", "语文", 0])  # a subject set to 0 keeps its row at 0
    assert zero.updated == 1 and zero.changes == ["2027—2028学年 R1 学校R1：数学 2→0"]
    assert load_needs(store, YEAR) == {("R1", "数学"): 0, ("T1", "英语"): 1, ("U1", "数学"): 1}

    gone = load(["R1", "语文", 0])  # 数学 deleted; the school keeps one row: still the table's word
    assert (gone.deleted, gone.inserted) == (1, 1)
    assert load_needs(store, YEAR) == {("R1", "语文"): 0, ("T1", "英语"): 1, ("U1", "数学"): 1}

    same = load(["R1", "语文", 0], ["R1", "音乐", 0])  # 0 where no row exists: no row needed
    assert same.changes == [] and load_needs(store, YEAR)[("R1", "语文")] == 0

    # a never-filled school whose figures equal the derived ones (no teachers: all 0) stays derived
    rewrite(path, [["2028—2029", "R1", None, "数学", 0, None]])
    derived = import_file(store, path)
    assert (derived.derived, derived.changes, load_needs(store, 2028)) == (1, [], {})
    assert "仍按推算" in derived.summary()
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.note.like("导入学科需求表%"))) == 3 + 1 + 2  # one entry per row written
