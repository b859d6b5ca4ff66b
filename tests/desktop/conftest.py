"""Fixtures for GUI tests: the app's fonts and names, headless messages, small and demo stores."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

TODAY = dt.date(2025, 11, 3)  # 2025—2026学年第一学期


@pytest.fixture
def gui(qapp, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001, ANN201
    """The QApplication with EduBridge's names and bundled fonts; message boxes headless."""
    from desktop import messages
    from desktop.app import make_app
    from desktop.fonts import install_app_fonts

    make_app()
    install_app_fonts(qapp)
    monkeypatch.setattr(messages, "headless", True)
    monkeypatch.setattr(messages, "headless_answer", True)
    monkeypatch.setattr(messages, "log", [])
    return qapp


@pytest.fixture
def window_settings(tmp_path: Path):  # noqa: ANN201
    """Window settings in an INI file of this test only."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


def add_small_county(store) -> dict[str, object]:  # noqa: ANN001
    """A hand-made county whose figures the tests know exactly.

    Schools: 城区 2 (one 市属), 镇区 1, 乡村 2, 教学点 2 (乡村). Cluster A (open) holds
    乡村小学甲, 教学点一 and 镇区中学; 乡村小学乙 left cluster A in 2024. Teachers: 4 with an
    open posting (1 backbone), 1 whose posting ended. Visits: 2 in the semester of TODAY,
    1 earlier. Exchanges: 2 in school year 2025 (one cancelled), 1 in 2024.
    """
    from db import models

    ids: dict[str, object] = {}
    with store.write("test data") as s:
        region = models.Region(code="640100", name="测试县", level="县区")
        s.add(region)
        s.flush()

        def school(key: str, code: str, name: str, stage: str, location: str, students: int, classes: int,
                   run_by: str = "县属", weak: bool = False) -> models.School:
            obj = models.School(code=code, name=name, stage=stage, location=location, run_by=run_by,
                                region_id=region.id, students=students, classes=classes, is_weak=weak)
            s.add(obj)
            s.flush()
            ids[key] = obj.id
            return obj

        city = school("city", "3164000001", "测试市第一小学", "小学", "城区", 1800, 40, run_by="市属")
        school("urban", "3164000002", "测试县实验中学", "初中", "城区", 1200, 24)
        town = school("town", "3164000003", "镇区中学", "初中", "镇区", 600, 12)
        rural_a = school("rural_a", "3164000004", "乡村小学甲", "小学", "乡村", 300, 6, weak=True)
        rural_b = school("rural_b", "3164000005", "乡村小学乙", "小学", "乡村", 150, 6)
        point_1 = school("point_1", "3164000006", "教学点一", "教学点", "乡村", 20, 2)
        school("point_2", "3164000007", "教学点二", "教学点", "乡村", 12, 0)

        cluster = models.Cluster(name="测试教育集团A", kind="教育集团", region_id=region.id,
                                 lead_school_id=city.id, founded=dt.date(2020, 9, 1))
        old = models.Cluster(name="已撤销学区", kind="学区", region_id=region.id,
                             founded=dt.date(2018, 9, 1), dissolved=dt.date(2022, 8, 31))
        s.add_all([cluster, old])
        s.flush()
        ids["cluster"] = cluster.id
        for member, left in ((city, None), (rural_a, None), (point_1, None), (town, None),
                             (rural_b, dt.date(2024, 8, 31))):
            role = "牵头校" if member is city else "成员校"
            s.add(models.Membership(cluster_id=cluster.id, school_id=member.id, role=role,
                                    joined=dt.date(2020, 9, 1), left_on=left))

        teachers = []
        from policy.idcard import make_id_number

        for n, (name, backbone, end) in enumerate((
            ("张老师", "县级骨干教师", None), ("李老师", None, None), ("王老师", None, None),
            ("赵老师", None, None), ("钱老师", "名师", dt.date(2023, 8, 31)),
        )):
            teacher = models.Teacher(id_number=make_id_number("640104", dt.date(1980, 1, 1 + n), 2 * n + 1),
                                     name=name, gender="男", birth_date=dt.date(1980, 1, 1 + n),
                                     backbone_level=backbone)
            s.add(teacher)
            s.flush()
            teachers.append(teacher)
            s.add(models.Posting(teacher_id=teacher.id, school_id=city.id, start=dt.date(2010, 9, 1), end_on=end))
        for day in (dt.date(2025, 9, 20), dt.date(2025, 10, 15), dt.date(2025, 3, 1)):
            s.add(models.Visit(date=day, host_school_id=rural_a.id, activity_type="听评课", lessons=2))
        for year, status in ((2025, "approved"), (2025, "cancelled"), (2024, "done")):
            s.add(models.Exchange(teacher_id=teachers[1].id, from_school_id=city.id, to_school_id=rural_a.id,
                                  form="轮岗", school_year=year, status=status))
    return ids


@pytest.fixture
def small_store(store):  # noqa: ANN001, ANN201
    add_small_county(store)
    return store


@pytest.fixture(scope="session")
def _county_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo county built once per session; tests get a copy."""
    from db.demo import build_demo
    from db.store import Store

    path = tmp_path_factory.mktemp("county") / "county.db"
    built = Store.open(str(path))
    try:
        build_demo(built, scale="county")
    finally:
        built.dispose()
    return path


@pytest.fixture
def county_db(_county_file: Path, tmp_path: Path) -> Path:
    """A private copy of the demo county file."""
    target = tmp_path / "county.db"
    shutil.copy(_county_file, target)
    return target


@pytest.fixture
def county_store(county_db: Path) -> Iterator[object]:
    from db.store import Store

    opened = Store.open(str(county_db))
    yield opened
    opened.dispose()
