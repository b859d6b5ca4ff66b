"""A small county for visit and quota tests: a city school pairing a cluster of rural schools.

Imported by tests as ``import visit_world`` (tests/ is on sys.path through its conftest).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from db.models import Cluster, Membership, Pairing, Posting, Region, School, Teacher
from db.store import Store
from policy.idcard import make_id_number


@dataclasses.dataclass
class World:
    schools: dict[str, uuid.UUID]  # code → id
    cluster: uuid.UUID
    pairing: uuid.UUID
    teachers: dict[str, uuid.UUID]  # name → id


def build(store: Store) -> World:
    """City school CITY01 (市一中) 包片包抓 cluster 东片集团 = lead TOWN01 + RURAL01, RURAL02;
    RURAL09 is in no cluster. Teachers at CITY01: 陈校长 (校长), 周老师 (市级骨干教师),
    and two 李明 at different schools (a name that needs the school to link)."""
    schools: dict[str, uuid.UUID] = {}
    teachers: dict[str, uuid.UUID] = {}
    with store.write("测试数据") as s:
        region = Region(id=uuid.uuid4(), code="640100", name="银川市", level="市")
        s.add(region)
        s.flush()
        for code, name, location, run_by in [
            ("CITY01", "市一中", "城区", "市属"), ("TOWN01", "镇中心小学", "镇区", "县属"),
            ("RURAL01", "东村小学", "乡村", "县属"), ("RURAL02", "西村小学", "乡村", "县属"),
            ("RURAL09", "北村小学", "乡村", "县属"),
        ]:
            school = School(id=uuid.uuid4(), code=code, name=name, stage="小学", location=location,
                            run_by=run_by, region_id=region.id, students=300, classes=10)
            s.add(school)
            schools[code] = school.id
        s.flush()
        cluster = Cluster(id=uuid.uuid4(), name="东片集团", kind="教育集团", region_id=region.id,
                          lead_school_id=schools["TOWN01"], founded=dt.date(2020, 9, 1))
        s.add(cluster)
        s.flush()
        for code, role in [("TOWN01", "牵头校"), ("RURAL01", "成员校"), ("RURAL02", "成员校")]:
            s.add(Membership(cluster_id=cluster.id, school_id=schools[code], role=role, joined=dt.date(2020, 9, 1)))
        pairing = Pairing(id=uuid.uuid4(), kind="包片包抓", supporter_school_id=schools["CITY01"],
                          cluster_id=cluster.id, start=dt.date(2023, 9, 1))
        s.add(pairing)
        for i, (name, position, backbone, school) in enumerate([
            ("陈校长", "校长", None, "CITY01"), ("周老师", "教师", "市级骨干教师", "CITY01"),
            ("李明", "教师", None, "CITY01"), ("李明", "教师", None, "TOWN01"),
        ]):
            teacher = Teacher(id=uuid.uuid4(), id_number=make_id_number("640104", dt.date(1980, 1, 1 + i), i * 2 + 1),
                              name=name, gender="男", birth_date=dt.date(1980, 1, 1 + i), position=position,
                              backbone_level=backbone)
            s.add(teacher)
            s.flush()
            s.add(Posting(teacher_id=teacher.id, school_id=schools[school], start=dt.date(2015, 9, 1)))
            teachers[f"{name}@{school}"] = teacher.id
    return World(schools, cluster.id, pairing.id, teachers)


def visits_page(store: Store, qtbot, tmp_path, today: dt.date, size: tuple[int, int] | None = None):  # noqa: ANN001, ANN201
    """The 帮扶活动 page on ``store``, shown and refreshed, its settings in ``tmp_path``."""
    from PySide6.QtCore import QSettings

    from desktop.context import AppContext
    from desktop.pages.visits import VisitsPage

    settings = QSettings(str(tmp_path / "visits.ini"), QSettings.Format.IniFormat)
    widget = VisitsPage(AppContext.for_store(store), settings=settings, today=today)
    qtbot.addWidget(widget)
    if size is not None:
        widget.resize(*size)
    widget.show()
    widget.refresh()
    return widget
