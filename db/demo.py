"""A deterministic fictional county (or city) to show, test and benchmark EduBridge with.

:func:`build_demo` fills an empty store with 青禾县 (``scale="county"``: about 120
schools and 5,000 teachers) or 青岚市 with eight counties (``scale="city"``: about
1,000 schools and 50,000 teachers): schools, clusters with dated memberships, pairings,
teachers with valid ID numbers and dated postings, five school years of exchanges and
assistance visits, agreements, quality indicators, summaries, users and a waiver.

Everything — UUIDs included — comes from one ``random.Random(seed)`` and a fixed
"today" (:data:`TODAY`), so the same seed always gives the same rows. Rows are written
with Core ``executemany`` inserts through :meth:`Store.bulk` (one transaction, one audit
entry); the ORM would be four times slower.

A few things break the rules on purpose, so the checks have something to show: a
cluster of eight schools (with a waiver), a cluster of more than 12,000 students, a
融合型教共体 with three members, a school in two clusters at the same time, a rural
school and a teaching point in no cluster, schools over 2,000 students and classes over
45/50, unsigned agreements, people behind their visit quotas.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, func, select

from db import models
from db.agreements import fill_template, load_template, party_labels, signing_schools
from db.engine import StoreError
from db.settings import DEMO_KEY
from db.store import Store
from policy import vocab
from policy.calendar import add_years, completed_years
from policy.idcard import make_id_number
from policy.numerals import chinese_numeral
from policy.profile import load_profile

TODAY = dt.date(2026, 11, 23)
CURRENT_YEAR = 2026  # the school year TODAY falls in
FIRST_YEAR = 2021  # five full school years of history before the current one
REFERENCE = dt.date(CURRENT_YEAR, 9, 1)  # tenure is counted at the start of the school year
STAMP = dt.datetime(2026, 11, 23, 8, 0, 0)  # created_at / updated_at of every demo row

SCALES = ("county", "city")
CITY_NAME = "青岚市"
CITY_CODE = "369900"
COUNTY_NAMES = ("青禾县", "云溪县", "临川县", "石门县", "安平县", "永宁区", "白河县", "丰原县")
CENTER = (36.52, 105.71)  # fictional county seat of 青禾县

ProgressFn = Callable[[str, float], None]

# Insertion order respects the foreign keys.
TABLE_ORDER = (
    "region",
    "school",
    "teacher",
    "exchange_plan",
    "exchange",
    "posting",
    "exemption",
    "cluster",
    "membership",
    "pairing",
    "visit",
    "visit_participant",
    "agreement",
    "agreement_party",
    "quality_indicator",
    "semester_summary",
    "subject_need",
    "waiver",
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴"
)
# Rough weights: the first surnames are far commoner.
SURNAME_WEIGHTS = tuple(
    itertools.accumulate(max(1.0, 12.0 - i * 0.25) for i in range(len(SURNAMES)))
)
GIVEN_FEMALE = "芳娜敏静丽艳娟霞玲婷雪慧琳颖倩佳欣悦瑶萍红梅燕秀兰晶蕾洁璐思雨晓文雅丹妍琪淑慧月茜"
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林志建国永海东成文晨博轩振"
PLACE_FIRST = "柳石杨桃清白黄红青金马龙凤梨枣槐松柏河沙高新东西南双三碾杏榆苇芦泉王李张赵刘"
PLACE_SECOND = "湾岭沟坪河庄川原堡铺寨滩塬峪营台坝集泉口湖桥店屯洼岔梁"


NUMERALS = tuple(chinese_numeral(n) for n in range(1, 21))

SUBJECT_WEIGHTS = {
    "语文": 24,
    "数学": 21,
    "英语": 10,
    "道德与法治": 4,
    "历史": 3,
    "地理": 3,
    "物理": 4,
    "化学": 3,
    "生物": 3,
    "科学": 4,
    "信息科技": 3,
    "音乐": 4,
    "美术": 4,
    "体育与健康": 6,
    "劳动": 1,
    "心理健康": 1,
    "综合实践": 2,
}
JUNIOR_ONLY = frozenset({"历史", "地理", "物理", "化学", "生物"})
PRIMARY_SUBJECTS = [s for s in SUBJECT_WEIGHTS if s not in JUNIOR_ONLY]
PRIMARY_WEIGHTS = list(itertools.accumulate(SUBJECT_WEIGHTS[s] for s in PRIMARY_SUBJECTS))
ALL_SUBJECTS = list(SUBJECT_WEIGHTS)
ALL_WEIGHTS = list(itertools.accumulate(SUBJECT_WEIGHTS.values()))
BACKBONE_WEIGHTS = tuple(itertools.accumulate((50, 30, 11, 7, 2)))  # vocab.BACKBONE_LEVELS order

QUALITY_INDICATORS = ("学业质量监测均分", "巩固率", "体质健康合格率")


@dataclass
class _School:
    id: uuid.UUID
    name: str
    stage: str
    location: str
    run_by: str
    county: int
    students: int
    lat: float
    lon: float
    town: int | None = None  # index of its town within the county
    weak: bool = False
    central: uuid.UUID | None = None
    teachers: list[_Teacher] = field(default_factory=list)


@dataclass
class _Teacher:
    id: uuid.UUID
    name: str
    gender: str
    birth: dt.date
    subject: str
    started: dt.date
    home: _School
    home_start: dt.date
    title: str = "未定级"
    backbone: str | None = None
    position: str = "教师"
    position_since: dt.date | None = None


@dataclass
class _Cluster:
    id: uuid.UUID
    name: str
    kind: str
    area: str
    county: int
    lead: _School
    founded: dt.date
    members: list[_School] = field(default_factory=list)


@dataclass
class _County:
    index: int
    name: str
    code: str
    region_id: uuid.UUID
    center: tuple[float, float]
    schools: list[_School] = field(default_factory=list)
    clusters: list[_Cluster] = field(default_factory=list)
    towns: list[str] = field(default_factory=list)


def build_demo(
    store: Store,
    scale: str = "county",
    seed: int = 2026,
    progress: ProgressFn | None = None,
) -> dict[str, int]:
    """Fill an empty store with the demo and return the rows written per table.

    Raises:
        StoreError: the store already holds schools, or ``scale`` is unknown.
    """
    if scale not in SCALES:
        raise StoreError(f"演示数据规模应为 county（县）或 city（市）：{scale}")
    with store.read() as session:
        existing = session.scalar(select(func.count()).select_from(models.School)) or 0
    if existing:
        raise StoreError(f"数据库中已有 {existing} 所学校，演示数据只能写入空数据库")
    report = progress or (lambda _message, _fraction: None)
    report("生成演示数据…", 0.0)
    rows = _Builder(random.Random(seed), scale).build()
    report("写入数据库…", 0.3)
    total = sum(len(rows[name]) for name in TABLE_ORDER) or 1
    done = 0
    note = f"演示数据：{'青禾县' if scale == 'county' else CITY_NAME}（规模 {scale}，种子 {seed}）"
    with store.bulk("school", note) as connection:
        connection.execute(models.Setting.__table__.insert(), [{"key": DEMO_KEY, "value": {"scale": scale, "seed": seed}}])
        for name in TABLE_ORDER:
            table_rows = rows[name]
            if not table_rows:
                continue
            table: Table = models.Base.metadata.tables[name]
            _drop_empty_columns(table_rows)
            for start in range(0, len(table_rows), 20_000):
                connection.execute(table.insert(), table_rows[start : start + 20_000])
            done += len(table_rows)
            report(f"写入 {name}", 0.3 + 0.7 * done / total)
    report("完成", 1.0)
    return {name: len(rows[name]) for name in TABLE_ORDER}


def _drop_empty_columns(rows: list[dict[str, Any]]) -> None:
    """Leave out columns that are None in every row (JSON columns would store 'null')."""
    empty = [key for key in rows[0] if all(row[key] is None for row in rows)]
    for row in rows:
        for key in empty:
            del row[key]


class _Builder:
    """Generates all rows in memory; deterministic given the Random it is handed."""

    def __init__(self, rng: random.Random, scale: str) -> None:
        self.rng = rng
        self.scale = scale
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLE_ORDER}
        self._columns = {
            name: [c.key for c in models.Base.metadata.tables[name].columns] for name in TABLE_ORDER
        }
        self.school_codes: dict[str, None] = {}
        self.id_numbers: dict[str, None] = {}
        self.place_names: dict[str, None] = {}
        self.cluster_names: dict[str, None] = {}
        self.counties: list[_County] = []
        self.teachers: list[_Teacher] = []
        self.plan_ids: dict[int, uuid.UUID] = {}
        self.visit_keys: set[tuple[Any, ...]] = set()  # (host, day, type): see visit()
        self.city_school_count = 0

    # ---- plumbing ---------------------------------------------------------------

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def add(self, table: str, **values: Any) -> uuid.UUID:
        row: dict[str, Any] = dict.fromkeys(self._columns[table])
        row.update(values)
        if row.get("id") is None and "id" in row:
            row["id"] = self.new_id()
        if "created_at" in row:
            row["created_at"] = STAMP
            row["updated_at"] = STAMP
        self.rows[table].append(row)
        return row.get("id")  # type: ignore[return-value]

    def place(self) -> str:
        """A fresh two-character place name (柳湾, 石岭 …), unique within the demo."""
        rng = self.rng
        for _ in range(1000):
            name = rng.choice(PLACE_FIRST) + rng.choice(PLACE_SECOND)
            if name not in self.place_names:
                self.place_names[name] = None
                return name
        raise RuntimeError("place names exhausted")  # pragma: no cover

    def school_code(self, county: _County) -> str:
        while True:
            code = f"21{county.code[:2]}{self.rng.randrange(1_000_000):06d}"
            if code not in self.school_codes:
                self.school_codes[code] = None
                return code

    def person_name(self, gender: str) -> str:
        rng = self.rng
        surname = rng.choices(SURNAMES, cum_weights=SURNAME_WEIGHTS)[0]
        pool = GIVEN_FEMALE if gender == "女" else GIVEN_MALE
        given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.62 else "")
        return surname + given

    def weekday(self, first: dt.date, last: dt.date) -> dt.date:
        """A random school day (Monday–Friday) between two dates."""
        span = max((last - first).days, 0)
        for _ in range(20):
            day = first + dt.timedelta(days=self.rng.randint(0, span))
            if day.weekday() < 5:
                return day
        return first  # pragma: no cover - a window without a weekday

    # ---- the whole thing ----------------------------------------------------------

    def build(self) -> dict[str, list[dict[str, Any]]]:
        city_id = self.add(
            "region",
            code=CITY_CODE,
            name=CITY_NAME,
            level="市",
            parent_id=None,
            profile_id="default",
        )
        county_count = 1 if self.scale == "county" else 8
        for index in range(county_count):
            name = COUNTY_NAMES[index]
            region_id = self.add(
                "region",
                code=f"{CITY_CODE[:4]}{index + 21:02d}",
                name=name,
                level="县区",
                parent_id=city_id,
                profile_id="default",
            )
            center = (CENTER[0] + (index % 4) * 0.9, CENTER[1] + (index // 4) * 1.1)
            county = _County(index, name, f"{CITY_CODE[:4]}{index + 21:02d}", region_id, center)
            self.counties.append(county)
            self.make_schools(county)
        self.write_schools()
        self.make_plans()
        teacher_target = 5_000 if self.scale == "county" else 50_000
        for county in self.counties:
            share = (
                teacher_target * len(county.schools) // sum(len(c.schools) for c in self.counties)
            )
            self.make_teachers(county, share)
        for county in self.counties:
            self.make_clusters(county)
        self.make_exchanges()
        self.write_teachers()
        self.make_exemptions()
        for county in self.counties:
            self.make_pairings_and_visits(county)
            self.make_cluster_papers(county)
        return self.rows

    # ---- schools --------------------------------------------------------------------

    def new_school(
        self,
        county: _County,
        name: str,
        stage: str,
        location: str,
        students: int,
        *,
        run_by: str = "县属",
        town: int | None = None,
        near: tuple[float, float] | None = None,
        spread: float = 0.03,
    ) -> _School:
        rng = self.rng
        lat0, lon0 = near or county.center
        school = _School(
            self.new_id(),
            name,
            stage,
            location,
            run_by,
            county.index,
            students,
            round(lat0 + rng.uniform(-spread, spread), 5),
            round(lon0 + rng.uniform(-spread, spread) * 1.25, 5),
            town,
        )
        county.schools.append(school)
        return school

    def make_schools(self, county: _County) -> None:
        rng = self.rng
        cname = county.name
        city_run = 10 if self.scale == "county" else 5
        city_stages = (
            "小学",
            "初中",
            "小学",
            "九年一贯制",
            "初中",
            "小学",
            "十二年一贯制",
            "小学",
            "初中",
            "九年一贯制",
        )
        for i in range(city_run):
            stage = city_stages[i % len(city_stages)]
            self.city_school_count += 1
            n = chinese_numeral(self.city_school_count)
            name = {
                "小学": f"{CITY_NAME}第{n}小学",
                "初中": f"{CITY_NAME}第{n}中学",
                "九年一贯制": f"{CITY_NAME}第{n}实验学校",
                "十二年一贯制": f"{CITY_NAME}外国语学校第{n}分校",
            }[stage]
            size = {
                "小学": (1700, 2700),
                "初中": (1400, 2400),
                "九年一贯制": (2000, 3000),
                "十二年一贯制": (2600, 3600),
            }[stage]
            self.new_school(county, name, stage, "城区", rng.randint(*size), run_by="市属")
        urban_plan = (
            [("小学", f"{cname}第{NUMERALS[i]}实验小学") for i in range(3)]
            + [("小学", f"{cname}第{NUMERALS[i + 3]}小学") for i in range(5)]
            + [("初中", f"{cname}第{NUMERALS[i]}初级中学") for i in range(3)]
            + [
                ("初中", f"{cname}实验中学"),
                ("九年一贯制", f"{cname}育才学校"),
                ("九年一贯制", f"{cname}城关学校"),
                ("十二年一贯制", f"{cname}第一中学"),
            ]
        )
        for stage, name in urban_plan:
            size = {
                "小学": (900, 2300),
                "初中": (800, 2000),
                "九年一贯制": (1200, 2600),
                "十二年一贯制": (2000, 3000),
            }[stage]
            self.new_school(county, name, stage, "城区", rng.randint(*size))
        town_count = 12 if self.scale == "county" else 13
        for t in range(town_count):
            town = self.place()
            suffix = "镇" if t < town_count - 3 else "乡"
            county.towns.append(town + suffix)
            angle = 2 * math.pi * t / town_count + rng.uniform(-0.2, 0.2)
            radius = rng.uniform(0.12, 0.32)
            centre = (
                county.center[0] + radius * math.sin(angle),
                county.center[1] + radius * 1.25 * math.cos(angle),
            )
            tname = town + suffix
            self.new_school(
                county,
                f"{tname}中心小学",
                "小学",
                "镇区",
                rng.randint(600, 1500),
                town=t,
                near=centre,
                spread=0.01,
            )
            self.new_school(
                county,
                f"{tname}初级中学",
                "初中",
                "镇区",
                rng.randint(500, 1300),
                town=t,
                near=centre,
                spread=0.01,
            )
            if t % 3 == 1:
                self.new_school(
                    county,
                    f"{tname}九年一贯制学校",
                    "九年一贯制",
                    "镇区",
                    rng.randint(600, 1400),
                    town=t,
                    near=centre,
                    spread=0.01,
                )
            villages = 4 if t == 0 else rng.choice((3, 3, 4))
            for _ in range(villages):
                self.new_school(
                    county,
                    f"{tname}{self.place()}小学",
                    "小学",
                    "乡村",
                    rng.randint(60, 450),
                    town=t,
                    near=centre,
                    spread=0.06,
                )
            if t % 4 == 2:
                self.new_school(
                    county,
                    f"{tname}{self.place()}学校",
                    "九年一贯制",
                    "乡村",
                    rng.randint(200, 700),
                    town=t,
                    near=centre,
                    spread=0.06,
                )
            central = county.schools[
                -villages - 2 - (1 if t % 3 == 1 else 0) - (1 if t % 4 == 2 else 0)
            ]
            points = 3 if t == 0 else rng.choice((1, 2, 2, 3))
            for _ in range(points):
                point = self.new_school(
                    county,
                    f"{self.place()}村教学点",
                    "教学点",
                    "乡村",
                    rng.randint(6, 60),
                    town=t,
                    near=centre,
                    spread=0.08,
                )
                point.central = central.id
        rural = [s for s in county.schools if s.location == "乡村"]
        for school in rng.sample(rural, round(len(rural) * 0.15)):
            school.weak = True
        county.schools.sort(key=lambda s: s.stage == "教学点")  # central schools first (FK)

    def write_schools(self) -> None:
        rng = self.rng
        for county in self.counties:
            crowded: dict[
                str, None
            ] = {}  # the first city-run 小学 and 初中 always have big classes
            for school in county.schools:
                if school.stage == "教学点":
                    classes = max(1, min(6, round(school.students / rng.uniform(6, 14))))
                else:
                    mean = {"城区": 44.0, "镇区": 38.0, "乡村": 26.0}[school.location]
                    size = max(12.0, rng.gauss(mean, 4.5 if school.location == "城区" else 6))
                    if school.run_by == "市属" and (
                        rng.random() < 0.3 or school.stage not in crowded
                    ):
                        size = rng.uniform(51, 56)  # oversized classes, on purpose
                        crowded[school.stage] = None
                    classes = max(1, round(school.students / size))
                per_student = {"城区": (14, 30), "镇区": (20, 38), "乡村": (28, 60)}[
                    school.location
                ]
                land = round(
                    school.students * rng.uniform(*per_student) + rng.uniform(800, 3000), -1
                )
                self.add(
                    "school",
                    id=school.id,
                    code=self.school_code(county),
                    name=school.name,
                    stage=school.stage,
                    location=school.location,
                    run_by=school.run_by,
                    region_id=county.region_id,
                    legal_entity=school.name,
                    central_school_id=school.central,
                    students=school.students,
                    classes=classes,
                    land_area=land,
                    is_weak=school.weak,
                    latitude=school.lat,
                    longitude=school.lon,
                )
        self._school_rows = {row["id"]: row for row in self.rows["school"]}

    # ---- teachers and postings --------------------------------------------------------

    def make_teachers(self, county: _County, target: int) -> None:
        rng = self.rng
        ratio = {"城区": 16.0, "镇区": 14.0, "乡村": 11.0}
        points = [s for s in county.schools if s.stage == "教学点"]
        others = [s for s in county.schools if s.stage != "教学点"]
        point_counts = [rng.choice((1, 2, 2, 3)) for _ in points]
        weight = sum(s.students / ratio[s.location] for s in others)
        factor = (target - sum(point_counts)) / weight
        for school, count in zip(points, point_counts, strict=True):
            self.staff(county, school, count)
        for school in others:
            self.staff(
                county, school, max(6, round(school.students / ratio[school.location] * factor))
            )

    def staff(self, county: _County, school: _School, count: int) -> None:
        rng = self.rng
        primary = school.stage in ("小学", "教学点")
        for _ in range(count):
            gender = "女" if rng.random() < 0.66 else "男"
            if gender == "女":
                age = rng.triangular(22.5, 54.9, 36.0)
            else:
                age = rng.triangular(22.5, 59.9, 41.0)
            birth = TODAY - dt.timedelta(days=int(age * 365.25))
            started = dt.date(min(birth.year + rng.randint(21, 24), CURRENT_YEAR), 9, 1)
            service = completed_years(started, REFERENCE)
            draw = rng.random()
            tenure = (
                rng.randint(0, 8)
                if draw < 0.55
                else rng.randint(9, 11)
                if draw < 0.82
                else rng.randint(12, 26)
            )
            tenure = min(tenure, service)
            if tenure == service:
                home_start = started
            elif rng.random() < 0.85:
                home_start = dt.date(CURRENT_YEAR - tenure, 9, 1)
            else:
                home_start = dt.date(CURRENT_YEAR - tenure, 2, 20)
            subject = rng.choices(
                PRIMARY_SUBJECTS if primary else ALL_SUBJECTS,
                cum_weights=PRIMARY_WEIGHTS if primary else ALL_WEIGHTS,
            )[0]
            teacher = _Teacher(
                self.new_id(),
                self.person_name(gender),
                gender,
                birth,
                subject,
                started,
                school,
                home_start,
            )
            teacher.title = self.title_for(service)
            if service >= 6:
                chance = {"城区": 0.20, "镇区": 0.15, "乡村": 0.11}[school.location]
                if rng.random() < chance:
                    teacher.backbone = rng.choices(
                        vocab.BACKBONE_LEVELS, cum_weights=BACKBONE_WEIGHTS
                    )[0]
            school.teachers.append(teacher)
            self.teachers.append(teacher)
        if school.stage != "教学点":
            seniors = [t for t in school.teachers if TODAY.year - t.birth.year >= 35]
            seniors = seniors or list(school.teachers)
            deputies = 1 if school.students < 600 else 2 if school.students < 1800 else 3
            chosen = rng.sample(seniors, min(len(seniors), deputies + 1))
            chosen[0].position = "校长"
            for teacher in chosen[1:]:
                teacher.position = "副校长"
            for teacher in chosen:  # took office 1–9 years ago (from the id: no draw from rng)
                took_office = dt.date(TODAY.year - 1 - teacher.id.int % 9, 9, 1)
                teacher.position_since = max(teacher.home_start, took_office)

    def title_for(self, service: int) -> str:
        rng = self.rng
        if service < 1:
            return "未定级"
        if service < 5:
            return rng.choices(("二级教师", "三级教师", "未定级"), (85, 5, 10))[0]
        if service < 13:
            return rng.choices(("一级教师", "二级教师"), (70, 30))[0]
        if service < 23:
            return rng.choices(("高级教师", "一级教师"), (45, 55))[0]
        return rng.choices(("高级教师", "一级教师", "正高级教师"), (64, 34, 2))[0]

    def id_number(self, county: _County, teacher: _Teacher) -> str:
        rng = self.rng
        if rng.random() < 0.85:
            region = county.code
        else:
            region = rng.choice(("369921", "369922", "369923", "369924", "369902", "369903"))
        while True:
            sequence = rng.randrange(0, 1000, 2) + (1 if teacher.gender == "男" else 0)
            if sequence > 999:
                continue
            number = make_id_number(region, teacher.birth, sequence)
            if number not in self.id_numbers:
                self.id_numbers[number] = None
                return number

    def make_plans(self) -> None:
        for year in range(FIRST_YEAR, CURRENT_YEAR + 1):
            approved_at = dt.datetime(year, 7, 10, 9, 30)
            self.plan_ids[year] = self.add(
                "exchange_plan",
                school_year=year,
                status="approved",
                profile_id="default",
                summary={"说明": f"{year}—{year + 1}学年教师交流轮岗计划（演示数据）"},
                approved_at=approved_at,
                approved_by="admin",
            )

    def make_exchanges(self) -> None:
        """Earlier postings (some of them 轮岗 moves) and temporary stints at other schools."""
        rng = self.rng
        self._earlier: dict[uuid.UUID, list[tuple[_School, dt.date, dt.date]]] = {}
        self._home_exchange: dict[uuid.UUID, uuid.UUID] = {}
        # (teacher, school, posting kind, start, end, exchange id, posting id or None: a random one)
        self._temporary: list[tuple[_Teacher, _School, str, dt.date, dt.date, uuid.UUID, uuid.UUID | None]] = []
        by_county: dict[int, dict[str, list[_School]]] = {}
        for county in self.counties:
            groups: dict[str, list[_School]] = {"城区": [], "镇区": [], "乡村": []}
            for school in county.schools:
                if school.stage != "教学点":
                    groups[school.location].append(school)
            by_county[county.index] = groups
        for teacher in self.teachers:
            if teacher.started >= teacher.home_start:
                continue
            groups = by_county[teacher.home.county]
            home = teacher.home
            moved_year = teacher.home_start.year
            is_move = (
                home.location != "城区"
                and teacher.home_start.month == 9
                and FIRST_YEAR <= moved_year <= CURRENT_YEAR
                and rng.random() < 0.4
            )
            if is_move:
                source = rng.choice(
                    groups["城区"] + groups["镇区"] if home.location == "乡村" else groups["城区"]
                )
            else:
                pool = (
                    groups[home.location]
                    if rng.random() < 0.6
                    else groups[rng.choice(vocab.LOCATIONS)]
                )
                source = rng.choice(pool)
                if source is home:
                    source = rng.choice(groups["镇区"])
            segments: list[tuple[_School, dt.date, dt.date]] = []
            span_years = teacher.home_start.year - teacher.started.year
            if span_years >= 5 and rng.random() < 0.4 and not is_move:
                split = dt.date(teacher.started.year + rng.randint(2, span_years - 2), 9, 1)
                first = rng.choice(groups["乡村"])
                segments.append((first, teacher.started, split - dt.timedelta(days=1)))
                segments.append((source, split, teacher.home_start - dt.timedelta(days=1)))
            else:
                segments.append(
                    (source, teacher.started, teacher.home_start - dt.timedelta(days=1))
                )
            self._earlier[teacher.id] = segments
            if is_move:
                status = "approved"  # carried out: its dates say whether it is in progress (db.exchanges)
                self._home_exchange[teacher.id] = self.add(
                    "exchange",
                    plan_id=self.plan_ids[moved_year],
                    teacher_id=teacher.id,
                    from_school_id=source.id,
                    to_school_id=home.id,
                    form="轮岗",
                    school_year=moved_year,
                    start=teacher.home_start,
                    end_on=None,
                    moves_personnel=True,
                    status=status,
                    pinned=False,
                    notes="人事关系随迁",
                )
        # Temporary stints (走教/支教/挂职/柔性流动 out to rural schools, 跟岗 in to town).
        forms = ("走教", "支教", "挂职", "柔性流动")
        posting_kind = {
            "走教": "走教",
            "支教": "支教",
            "挂职": "挂职",
            "柔性流动": "轮岗",
            "跟岗": "跟岗",
        }
        for county in self.counties:
            groups = by_county[county.index]
            senders = [t for s in groups["城区"] + groups["镇区"] for t in s.teachers]
            receivers = groups["乡村"]
            weak = [s for s in receivers if s.weak]
            rural_teachers = [t for s in receivers for t in s.teachers]
            for year in range(FIRST_YEAR, CURRENT_YEAR + 1):
                begin = dt.date(year, 9, 1)
                eligible = [
                    t
                    for t in senders
                    if t.home_start <= begin and completed_years(t.home_start, begin) >= 5
                ]
                chosen = rng.sample(eligible, min(len(eligible), round(len(senders) * 0.022)))
                outgoing = [
                    (
                        t,
                        rng.choice(weak) if weak and rng.random() < 0.35 else rng.choice(receivers),
                        rng.choices(forms, (30, 35, 10, 25))[0],
                    )
                    for t in chosen
                ]
                learners = [t for t in rural_teachers if t.home_start <= begin]
                for teacher in rng.sample(
                    learners, min(len(learners), max(1, len(rural_teachers) // 60))
                ):
                    outgoing.append((teacher, rng.choice(groups["城区"]), "跟岗"))
                for teacher, target, form in outgoing:
                    if year < CURRENT_YEAR:
                        status = "cancelled" if rng.random() < 0.08 else "done"
                    else:
                        status = rng.choices(
                            ("in_progress", "approved", "planned", "cancelled"), (50, 30, 8, 12)
                        )[0]
                    one_term = form in ("挂职", "跟岗")
                    if status in ("approved", "planned"):
                        start = dt.date(year + 1, 2, 20)
                        end = dt.date(year + 1, 7, 10)
                    else:
                        start = begin
                        end = dt.date(year + 1, 1, 20) if one_term else dt.date(year + 1, 7, 10)
                    # Stored: the decision (every plan here is approved); the dates say the rest.
                    # Stints that began before approval wrote postings get ids off the random
                    # source (as they always did); the rest fixed ids, so later data stays the same.
                    carried = status in ("done", "in_progress")
                    status = "cancelled" if status == "cancelled" else "approved"
                    exchange_id = self.add(
                        "exchange",
                        plan_id=self.plan_ids[year],
                        teacher_id=teacher.id,
                        from_school_id=teacher.home.id,
                        to_school_id=target.id,
                        form=form,
                        school_year=year,
                        start=start,
                        end_on=end,
                        planned_end=end,
                        cancelled_on=start if status == "cancelled" else None,
                        moves_personnel=False,
                        status=status,
                        pinned=rng.random() < 0.05,
                        notes="本人申请取消" if status == "cancelled" else None,
                    )
                    if status == "approved":
                        self._temporary.append(
                            (teacher, target, posting_kind[form], start, end, exchange_id,
                             None if carried else uuid.uuid5(exchange_id, "posting"))
                        )
        self.add_resident_teaching(by_county)

    def add_resident_teaching(self, by_county: dict[int, dict[str, list[_School]]]) -> None:
        """One 驻教 a county this year (余教〔2020〕155号 五(二)1): a city teacher stationed at a
        rural school for the year; chosen without the random source, so the rest of the demo
        stays as it was."""
        busy = {teacher.id for teacher, *_rest in self._temporary} | set(self._home_exchange)
        start, end = dt.date(CURRENT_YEAR, 9, 1), dt.date(CURRENT_YEAR + 1, 7, 10)
        for county in self.counties:
            groups = by_county[county.index]
            if not groups["城区"] or not groups["乡村"]:
                continue
            target = groups["乡村"][0]
            teacher = next((t for s in groups["城区"] for t in s.teachers
                            if t.id not in busy and t.home_start < start), None)
            if teacher is None:
                continue
            exchange_id = self.add(
                "exchange", id=uuid.uuid5(teacher.id, "驻教"), plan_id=self.plan_ids[CURRENT_YEAR],
                teacher_id=teacher.id,
                from_school_id=teacher.home.id, to_school_id=target.id, form="驻教", school_year=CURRENT_YEAR,
                start=start, end_on=end, planned_end=end, cancelled_on=None, moves_personnel=False,
                status="approved", pinned=False, notes="融合型教共体校区间统一调配",
            )
            self._temporary.append((teacher, target, "驻教", start, end, exchange_id,
                                    uuid.uuid5(exchange_id, "posting")))

    def write_teachers(self) -> None:
        county_of = {c.index: c for c in self.counties}
        for teacher in self.teachers:
            self.add(
                "teacher",
                id=teacher.id,
                id_number=self.id_number(county_of[teacher.home.county], teacher),
                name=teacher.name,
                gender=teacher.gender,
                birth_date=teacher.birth,
                subject=teacher.subject,
                title=teacher.title,
                backbone_level=teacher.backbone,
                position=teacher.position,
                position_since=teacher.position_since,
                started_teaching=teacher.started,
            )
            for school, start, end in self._earlier.get(teacher.id, ()):
                self.add(
                    "posting",
                    teacher_id=teacher.id,
                    school_id=school.id,
                    kind="任职",
                    holds_personnel=True,
                    start=start,
                    end_on=end,
                    exchange_id=None,
                )
            exchange_id = self._home_exchange.get(teacher.id)
            self.add(
                "posting",
                teacher_id=teacher.id,
                school_id=teacher.home.id,
                kind="轮岗" if exchange_id else "任职",
                holds_personnel=True,
                start=teacher.home_start,
                end_on=None,
                exchange_id=exchange_id,
            )
        for teacher, school, kind, start, end, exchange_id, posting_id in self._temporary:
            self.add(
                "posting",
                id=posting_id,
                teacher_id=teacher.id,
                school_id=school.id,
                kind=kind,
                holds_personnel=False,
                start=start,
                end_on=end,
                exchange_id=exchange_id,
            )

    def make_exemptions(self) -> None:
        rng = self.rng
        for teacher in self.teachers:
            age = completed_years(teacher.birth, TODAY)
            retire = 55 if teacher.gender == "女" else 60
            reason: str | None = None
            if retire - age <= 3 and rng.random() < 0.5:
                reason = "距退休不足规定年限"
            elif teacher.gender == "女" and 25 <= age <= 38 and rng.random() < 0.03:
                reason = rng.choice(("孕期", "哺乳期"))
            elif rng.random() < 0.006:
                reason = "患病"
            elif teacher.backbone and rng.random() < 0.03:
                reason = "特色项目领衔教师"
            elif rng.random() < 0.002:
                reason = "其他"
            if reason is None:
                continue
            start = dt.date(rng.choice((2025, 2026)), 9, 1)
            end: dt.date | None = None
            evidence = {
                "距退休不足规定年限": f"出生于{teacher.birth:%Y年%m月}，距法定退休年龄不足3年（人事档案核对）",
                "孕期": "县妇幼保健院孕检证明（复印件已存档）",
                "哺乳期": "子女出生医学证明复印件，哺乳期至子女满一周岁",
                "患病": "县人民医院诊断证明及病休审批表",
                "特色项目领衔教师": f"学校{teacher.subject}特色项目领衔教师，县教育局认定文件",
                "其他": "家庭特殊困难，经学校党支部会议研究同意",
            }[reason]
            if reason in ("孕期", "患病", "其他"):
                end = start + dt.timedelta(days=rng.randint(150, 300))
            elif reason == "哺乳期":
                end = start + dt.timedelta(days=rng.randint(200, 365))
            elif reason == "特色项目领衔教师":
                end = dt.date(start.year + 2, 8, 31)
            self.add(
                "exemption",
                teacher_id=teacher.id,
                reason=reason,
                evidence=evidence,
                start=start,
                end_on=end,
            )

    # ---- clusters ---------------------------------------------------------------------

    def make_clusters(self, county: _County) -> None:
        rng = self.rng
        urban = [s for s in county.schools if s.location == "城区" and s.run_by == "县属"]
        towns: dict[int, list[_School]] = {}
        for school in county.schools:
            if school.town is not None:
                towns.setdefault(school.town, []).append(school)

        def area_of(school: _School) -> str:
            dlat, dlon = school.lat - county.center[0], school.lon - county.center[1]
            if abs(dlat) < 0.05 and abs(dlon) < 0.06:
                return "城区片区"
            if abs(dlat) >= abs(dlon) / 1.25:
                return "北片区" if dlat > 0 else "南片区"
            return "东片区" if dlon > 0 else "西片区"

        def cluster(
            name: str,
            kind: str,
            lead: _School,
            members: list[_School],
            founded: dt.date,
            area: str | None = None,
        ) -> _Cluster:
            base, copy = name, 1
            while name in self.cluster_names:
                copy += 1
                name = f"{base}（{chinese_numeral(copy)}）"
            self.cluster_names[name] = None
            c = _Cluster(
                self.new_id(),
                name,
                kind,
                area or area_of(members[0] if members else lead),
                county.index,
                lead,
                founded,
                list(members),
            )
            county.clusters.append(c)
            return c

        # Two education groups of urban schools; the first covers more than 12,000 students.
        big = sorted(urban, key=lambda s: -s.students)[:6]
        total = sum(s.students for s in big)
        if total <= 12_400:
            bump = (12_400 - total) // len(big) + 1
            for school in big:
                school.students += bump
                row = self._school_rows[school.id]
                row["students"] = school.students
                row["classes"] = max(row["classes"], round(school.students / 46))
        lead_a = next((s for s in big if s.stage == "小学"), big[0])
        cluster(
            f"{lead_a.name}教育集团",
            "教育集团",
            lead_a,
            [s for s in big if s is not lead_a],
            dt.date(2020, 9, 1),
            "城区片区",
        )
        rest_urban = [s for s in urban if s not in big]
        lead_b, *others = rest_urban
        town_schools = [
            s for s in county.schools if s.location == "镇区" and s.stage == "九年一贯制"
        ]
        group_b = cluster(
            f"{lead_b.name}教育集团",
            "教育集团",
            lead_b,
            others[:3] + town_schools[:1],
            dt.date(2020, 9, 1),
            "城区片区",
        )
        community_leads = others[3:]
        used_town = {id(s) for s in group_b.members}
        # One school district (学区) per town, led by the town's central primary school.
        orphans: list[_School] = []
        last_town = max(towns)
        leftovers: list[_School] = []
        for t, schools in sorted(towns.items()):
            lead = next(s for s in schools if s.name.endswith("中心小学"))
            pool = [s for s in schools if s is not lead and id(s) not in used_town]
            pool.sort(key=lambda s: (s.location != "镇区", s.stage == "教学点"))
            if t == last_town:  # a rural school and a teaching point left out on purpose
                orphans = [
                    next(s for s in reversed(pool) if s.stage == "小学" and s.location == "乡村"),
                    next(s for s in reversed(pool) if s.stage == "教学点"),
                ]
                pool = [s for s in pool if s not in orphans]
            limit = 7 if t == 0 else 4
            members, extra = pool[:limit], pool[limit:]
            leftovers.extend(extra)
            district = cluster(
                f"{county.towns[t]}学区",
                "学区",
                lead,
                members,
                dt.date(2019, 9, 1) if t % 2 == 0 else dt.date(2021, 3, 1),
            )
            district.area = area_of(lead)
            if t == 0:
                self._oversized = district  # eight schools, on purpose (with a waiver)
        self._orphans = orphans
        # Education communities led by the remaining urban schools, receiving rural schools.
        rng.shuffle(leftovers)
        kinds = ["融合型教共体", "融合型教共体", "共建型教共体", "共建型教共体", "协作型教共体"]
        sizes = {"融合型教共体": 2, "共建型教共体": 3, "协作型教共体": 4}
        communities: list[_Cluster] = []
        for i, lead in enumerate(community_leads):
            kind = kinds[i % len(kinds)]
            size = 3 if i == 0 else sizes[kind]  # the first 融合型 has three members, on purpose
            if not leftovers:
                break
            members, leftovers = leftovers[:size], leftovers[size:]
            label = {"融合型教共体": "融合型", "共建型教共体": "共建型", "协作型教共体": "协作型"}[
                kind
            ]
            name = f"{lead.name}{label}教共体"
            community = cluster(name, kind, lead, members, dt.date(2021, 9, 1))
            communities.append(community)
            if kind == "融合型教共体":
                for member in members:
                    self._school_rows[member.id]["legal_entity"] = lead.name
        # Whatever is still left joins a community with room, or a new 协作型 led by a town school.
        # Room is kept for the school that joins a 协作型 a second time (below).
        for school in leftovers:
            room = [c for c in communities if c.kind == "共建型教共体" and len(c.members) < 5]
            room += [
                c
                for c in county.clusters
                if c.kind == "学区" and c is not self._oversized and len(c.members) < 5
            ]
            room.sort(key=lambda c: c.lead.town != school.town)
            if room:
                room[0].members.append(school)
            else:
                city = [s for s in county.schools if s.run_by == "市属"]
                lead = city[len(communities) % len(city)]
                community = cluster(
                    f"{lead.name}协作型教共体", "协作型教共体", lead, [school], dt.date(2022, 9, 1)
                )
                communities.append(community)
        self.write_memberships(county, communities)

    def write_memberships(self, county: _County, communities: list[_Cluster]) -> None:
        rng = self.rng
        lead_role = {
            "教育集团": "总校",
            "融合型教共体": "总校",
            "学区": "牵头校",
            "共建型教共体": "牵头校",
            "协作型教共体": "牵头校",
        }
        districts = {c.lead.town: c for c in county.clusters if c.kind == "学区"}
        # Schools that moved from their town's district into a community on 2023-09-01.
        moved: list[tuple[_School, _Cluster]] = []
        for community in communities:
            for member in community.members:
                if member.town in districts and len(moved) < 3 and rng.random() < 0.5:
                    moved.append((member, districts[member.town]))
        moved_ids = {id(s) for s, _ in moved}
        for c in county.clusters:
            self.add(
                "cluster",
                id=c.id,
                name=c.name,
                kind=c.kind,
                area=c.area,
                region_id=county.region_id,
                lead_school_id=c.lead.id,
                founded=c.founded,
                dissolved=None,
                notes="演示数据" if c.kind != "学区" else f"{c.area}乡镇学区",
            )
            self.add(
                "membership",
                cluster_id=c.id,
                school_id=c.lead.id,
                role=lead_role[c.kind],
                joined=c.founded,
                left_on=None,
            )
            member_role = "受援校" if c.kind.endswith("教共体") else "成员校"
            for member in c.members:
                joined = dt.date(2023, 9, 1) if id(member) in moved_ids else c.founded
                self.add(
                    "membership",
                    cluster_id=c.id,
                    school_id=member.id,
                    role=member_role,
                    joined=joined,
                    left_on=None,
                )
        for school, district in moved:
            self.add(
                "membership",
                cluster_id=district.id,
                school_id=school.id,
                role="成员校",
                joined=district.founded,
                left_on=dt.date(2023, 9, 1),
            )
        # One school in two clusters at once, on purpose: a district member also joins a community.
        district = next(c for c in county.clusters if c.kind == "学区" and c is not self._oversized)
        target = min(
            (c for c in communities if c.kind == "协作型教共体"), key=lambda c: len(c.members)
        )
        double = district.members[-1]
        self.add(
            "membership",
            cluster_id=target.id,
            school_id=double.id,
            role="受援校",
            joined=dt.date(2024, 9, 1),
            left_on=None,
        )
        target.members.append(double)
        # The eight-school district carries two waivers of the six-school limit.
        oversized = self._oversized
        if county.index == 0:
            self.add(
                "waiver",
                rule="cluster.max_schools",
                subject_kind="cluster",
                subject_id=oversized.id,
                reason="山区学校布点分散，经县政府同意暂维持现有学区规模",
                approver="县教育局局长办公会",
                start=dt.date(2023, 9, 1),
                end_on=dt.date(2025, 8, 31),
            )
            self.add(
                "waiver",
                rule="cluster.max_schools",
                subject_kind="cluster",
                subject_id=oversized.id,
                reason="学区调整方案已报县政府，2027年秋季学期前拆分",
                approver="县教育局局长办公会",
                start=dt.date(2025, 9, 1),
                end_on=dt.date(2027, 8, 31),
            )

    # ---- pairings, visits ----------------------------------------------------------------

    def make_pairings_and_visits(self, county: _County) -> None:
        rng = self.rng
        city_schools = [s for s in county.schools if s.run_by == "市属"]
        urban = [s for s in county.schools if s.location == "城区" and s.run_by == "县属"]
        rural = [s for s in county.schools if s.location == "乡村" and s.stage != "教学点"]
        paired: dict[uuid.UUID, list[_Cluster]] = {s.id: [] for s in city_schools}
        start = dt.date(FIRST_YEAR, 9, 1)
        for i, c in enumerate(county.clusters):
            school = city_schools[i % len(city_schools)]
            paired[school.id].append(c)
            self.add(
                "pairing",
                kind="包片包抓",
                supporter_school_id=school.id,
                supporter_teacher_id=None,
                supporter_name=None,
                cluster_id=c.id,
                target_school_id=None,
                target_teacher_id=None,
                start=start,
                end=None,
                notes=None,
            )
        for school in rural:
            if rng.random() < 0.7:
                self.add(
                    "pairing",
                    kind="手拉手",
                    supporter_school_id=rng.choice(urban).id,
                    cluster_id=None,
                    target_school_id=school.id,
                    start=dt.date(rng.choice((2021, 2022, 2023)), 9, 1),
                )
        leaders = [
            "局长 " + self.person_name("男"),
            "副局长 " + self.person_name("女"),
            "副局长 " + self.person_name("男"),
            "纪检组长 " + self.person_name("男"),
        ]
        for school in [s for s in county.schools if s.weak]:
            self.add(
                "pairing",
                kind="局领导联系薄弱学校",
                supporter_name=rng.choice(leaders),
                target_school_id=school.id,
                start=dt.date(2022, 3, 1),
            )
        famous = [
            t
            for s in urban + city_schools
            for t in s.teachers
            if t.backbone in ("名师", "特级教师")
        ]
        for teacher in famous[:8]:
            self.add(
                "pairing",
                kind="名师工作室结对乡村学校",
                supporter_teacher_id=teacher.id,
                supporter_name=f"{teacher.name}{teacher.subject}名师工作室",
                supporter_school_id=teacher.home.id,
                target_school_id=rng.choice(rural).id,
                start=dt.date(2022, 9, 1),
            )
        leads = [t for s in urban for t in s.teachers if t.backbone == "学科带头人"]
        rural_teachers = [t for s in rural for t in s.teachers]
        for teacher in leads[:12]:
            same = [t for t in rural_teachers if t.subject == teacher.subject] or rural_teachers
            mentee = rng.choice(same)
            self.add(
                "pairing",
                kind="学科带头人结对乡村教师",
                supporter_teacher_id=teacher.id,
                supporter_school_id=teacher.home.id,
                target_teacher_id=mentee.id,
                target_school_id=mentee.home.id,
                start=dt.date(2023, 9, 1),
            )
        cadres = [t for s in urban for t in s.teachers if t.position == "副校长"]
        for teacher in rng.sample(cadres, min(3, len(cadres))):
            self.add(
                "pairing",
                kind="干部挂职蹲点",
                supporter_teacher_id=teacher.id,
                supporter_school_id=teacher.home.id,
                target_school_id=rng.choice(rural).id,
                start=dt.date(2024, 9, 1),
                end=dt.date(2025, 7, 10),
            )
        self.make_visits(county, city_schools, paired, leaders)

    def semesters(self) -> list[tuple[int, int, dt.date, dt.date, float]]:
        """(year, number, first school day, last school day, share of the term elapsed)."""
        result = []
        for year in range(FIRST_YEAR, CURRENT_YEAR + 1):
            result.append((year, 1, dt.date(year, 9, 3), dt.date(year + 1, 1, 12), 1.0))
            if year < CURRENT_YEAR:
                result.append((year, 2, dt.date(year + 1, 2, 20), dt.date(year + 1, 7, 5), 1.0))
        last = result[-1]
        result[-1] = (last[0], last[1], last[2], TODAY - dt.timedelta(days=2), 0.65)
        return result

    def visit(
        self,
        host: _School,
        day: dt.date,
        kind: str,
        lessons: int,
        people: list[tuple[str, str, _School | None, _Teacher | None]],
        summary: str,
    ) -> None:
        """One activity; teachers who had not yet joined their school that day are left out.

        Date, host and activity type identify an activity (that is how the visit importer
        matches one), so the demo holds at most one per key and an export imports back
        unchanged.
        """
        people = [p for p in people if p[3] is None or p[3].home_start <= day]
        key = (host.id, day, kind)
        if not people or key in self.visit_keys:
            return
        self.visit_keys.add(key)
        unique: dict[tuple[str, Any], tuple[str, str, _School | None, _Teacher | None]] = {}
        for person in people:  # one line per person (name + home school), first role kept
            unique.setdefault((person[0], person[2].id if person[2] else None), person)
        people = list(unique.values())
        visit_id = self.add(
            "visit",
            date=day,
            host_school_id=host.id,
            activity_type=kind,
            lessons=lessons,
            summary=summary,
            entered_by=self.rng.choice(("clerk", "admin")),
        )
        for name, role, home, teacher in people:
            self.add(
                "visit_participant",
                visit_id=visit_id,
                name=name,
                role=role,
                home_school_id=home.id if home else None,
                teacher_id=teacher.id if teacher else None,
            )

    def make_visits(
        self,
        county: _County,
        city_schools: list[_School],
        paired: dict[uuid.UUID, list[_Cluster]],
        leaders: list[str],
    ) -> None:
        rng = self.rng
        semesters = self.semesters()
        rural_all = [s for s in county.schools if s.location != "城区"]
        researchers_city = [self.person_name(rng.choice(("男", "女"))) for _ in range(4)]
        researchers_county = [self.person_name(rng.choice(("男", "女"))) for _ in range(8)]
        cadres = [self.person_name(rng.choice(("男", "女"))) for _ in range(3)]

        def role_of(teacher: _Teacher) -> str:
            if teacher.position != "教师":
                return "校级干部"
            return {
                "名师": "名师工作室主持人",
                "特级教师": "名师工作室主持人",
                "学科带头人": "学科带头人",
                None: "教师",
            }.get(teacher.backbone, "骨干教师")

        def hosts_for(school: _School) -> list[_School]:
            members = [m for c in paired[school.id] for m in c.members]
            rural = [m for m in members if m.location == "乡村"]
            return rural or members or rural_all

        def companions(
            school: _School, count: int
        ) -> list[tuple[str, str, _School | None, _Teacher | None]]:
            plain = [
                t
                for t in rng.sample(school.teachers, min(len(school.teachers), count + 2))
                if t.position == "教师" and t.backbone is None
            ][:count]
            return [(t.name, "教师", t.home, t) for t in plain]

        # City-run schools: leaders exchange management experience, backbone teachers teach.
        for school in city_schools:
            hosts = hosts_for(school)
            cluster_hosts = [c.lead for c in paired[school.id]] or hosts
            for teacher in school.teachers:
                role = role_of(teacher)
                if role == "教师" or (role != "校级干部" and rng.random() < 0.4):
                    continue  # not every backbone teacher is sent out
                keen = rng.random() < 0.7
                for _year, _number, first, last, share in semesters:
                    if teacher.home_start > first:
                        continue
                    if role == "校级干部":
                        count = rng.choice((1, 1, 2)) if keen else rng.choice((0, 0, 1))
                        kinds = ["管理经验交流"]
                        where = cluster_hosts
                    else:
                        count = rng.randint(3, 5) if keen else rng.randint(0, 2)
                        kinds = ["听评课", "公开课", "专题研讨", "同步课堂", "送教"]
                        where = hosts
                    for _ in range(round(count * share + 0.2)):
                        kind = rng.choices(kinds, (40, 25, 20, 8, 7)[: len(kinds)])[0]
                        host = rng.choice(where)
                        lessons = (
                            rng.randint(1, 4) if kind == "听评课" else 1 if kind == "公开课" else 0
                        )
                        people: list[tuple[str, str, _School | None, _Teacher | None]] = [
                            (teacher.name, role, school, teacher)]
                        people += companions(school, rng.choice((0, 0, 1, 2)))
                        self.visit(
                            host,
                            self.weekday(first, last),
                            kind,
                            lessons,
                            people,
                            f"{school.name}{teacher.name}到{host.name}开展{kind}（{teacher.subject}）",
                        )
        # Culture exchange of each city school with its clusters, once a year (mostly).
        for school in city_schools:
            principal = next(
                (t for t in school.teachers if t.position == "校长"), school.teachers[0]
            )
            for c in paired[school.id]:
                for year in range(FIRST_YEAR, CURRENT_YEAR):
                    if rng.random() < 0.85:
                        self.visit(
                            c.lead,
                            self.weekday(dt.date(year + 1, 4, 1), dt.date(year + 1, 6, 20)),
                            "校园文化交流",
                            0,
                            [(principal.name, "校级干部", school, principal)],
                            f"{school.name}与{c.name}校园文化、社团展演交流",
                        )
        # Researchers (no teacher record, no home school).
        rural_only = [s for s in rural_all if s.location == "乡村"]
        for name in researchers_city:
            keen = rng.random() < 0.7
            for _year, _number, first, last, share in semesters:
                visits = rng.randint(5, 7) if keen else rng.randint(2, 4)
                for _ in range(round(visits * share)):
                    self.visit(
                        rng.choice(rural_only),
                        self.weekday(first, last),
                        "听评课",
                        rng.randint(2, 4),
                        [(name, "市级教研员", None, None)],
                        "市级教研员听评课",
                    )
                for _ in range(round((rng.randint(2, 3) if keen else rng.randint(0, 1)) * share)):
                    self.visit(
                        rng.choice(rural_all),
                        self.weekday(first, last),
                        "专题指导",
                        0,
                        [(name, "市级教研员", None, None)],
                        "市级教研员专题指导",
                    )
        for name in researchers_county:
            keen = rng.random() < 0.7
            for _year, number, first, last, share in semesters:
                for _ in range(round((rng.randint(4, 6) if keen else rng.randint(1, 3)) * share)):
                    self.visit(
                        rng.choice(rural_only),
                        self.weekday(first, last),
                        "教研指导",
                        0,
                        [(name, "县级教研员", None, None)],
                        "县级教研员教研指导",
                    )
                if number == 2 and (keen or rng.random() < 0.5):
                    self.visit(
                        rng.choice(rural_all),
                        self.weekday(first, last),
                        "专题研究报告",
                        0,
                        [(name, "县级教研员", None, None)],
                        "专题研究报告交流",
                    )
                if number == 1 and (keen or rng.random() < 0.5):
                    self.visit(
                        rng.choice(rural_all),
                        self.weekday(first, last),
                        "主题教研活动",
                        0,
                        [(name, "县级教研员", None, None)],
                        "县域主题教研活动",
                    )
        # District lead schools (片区长学校) hold seminars for the communities of their area.
        areas: dict[str, _Cluster] = {}
        for c in county.clusters:
            if c.kind == "学区":
                areas.setdefault(c.area, c)
        for c in areas.values():
            head = next((t for t in c.lead.teachers if t.position == "校长"), c.lead.teachers[0])
            for year in range(FIRST_YEAR, CURRENT_YEAR + 1):
                for _ in range(rng.choice((1, 2, 2, 3)) if year < CURRENT_YEAR else 1):
                    host = rng.choice(c.members or [c.lead])
                    self.visit(
                        host,
                        self.weekday(
                            dt.date(year, 10, 8),
                            dt.date(year + 1, 6, 20)
                            if year < CURRENT_YEAR
                            else TODAY - dt.timedelta(days=2),
                        ),
                        "专题研讨",
                        0,
                        [(head.name, "片区长学校", c.lead, head)],
                        f"{c.area}教共体专题研讨",
                    )
        # Bureau leaders and staff at weak schools.
        weak = [s for s in county.schools if s.weak] or rural_only
        for _year, _number, first, last, share in semesters:
            for _ in range(round(4 * share)):
                self.visit(
                    rng.choice(weak),
                    self.weekday(first, last),
                    rng.choice(("专题指导", "其他")),
                    0,
                    [
                        (rng.choice(leaders).split(" ")[1], "局领导", None, None),
                        (rng.choice(cadres), "机关干部", None, None),
                    ],
                    "局领导调研指导薄弱学校",
                )

    # ---- agreements, quality, summaries, needs, users -----------------------------------

    def make_cluster_papers(self, county: _County) -> None:
        rng = self.rng
        communities = [c for c in county.clusters if c.kind.endswith("教共体")]
        unsigned = {id(c) for c in communities[1:3]}
        expired = {id(c) for c in communities[3:4]}  # one term already over: shows 已到期
        template, profile = load_template(), load_profile()
        for c in communities[:-1]:  # the last community has no agreement at all
            first = dt.date(2021, 9, 1) if id(c) in expired else dt.date(2024, 9, 1)
            term_start = max(c.founded, first)
            term_end = add_years(term_start, 3) - dt.timedelta(days=1)
            # The same filling the 协议 page uses, so the text and the parties agree.
            everyone = [c.lead, *c.members]
            signing = signing_schools(c.kind, [(x.id, x.name, x.stage, x.central) for x in everyone])
            signers = [x for x in everyone if x.id in signing.signers]
            title, preamble, sections = fill_template(
                template, cluster=c.name, kind=c.kind, area=c.area, lead=c.lead.name,
                members=[m.name for m in (c.members if c.kind == "融合型教共体" else signers[1:])],
                term_start=term_start, term_end=term_end, term_years=3, bureau=f"{county.name}教育局",
                profile=profile, signers=len(signers),
                teaching_points=[x.name for x in everyone if x.id not in signing.signers and x.stage == "教学点"],
            )
            signed = id(c) not in unsigned
            agreement_id = self.add(
                "agreement",
                cluster_id=c.id,
                title=title,
                term_start=term_start,
                term_end=term_end,
                version=1,
                clauses={"preamble": preamble, "sections": [x.as_json() for x in sections],
                         "profile": profile.id, "template": str(template.get("source", ""))},
                printed_version=1 if signed else None,
                signed_on=term_start - dt.timedelta(days=rng.randint(5, 30)) if signed else None,
            )
            for label, school in zip(party_labels(len(signers)), signers, strict=True):
                principal = next((t.name for t in school.teachers if t.position == "校长"), None)
                self.add(
                    "agreement_party",
                    agreement_id=agreement_id,
                    school_id=school.id,
                    label=label,
                    signatory=principal,
                )
        assisted = {
            id(m): m for c in county.clusters for m in c.members if m.location != "城区" or m.weak
        }
        for school in assisted.values():
            score = rng.uniform(58, 80)
            keep = rng.uniform(96.0, 99.6)
            fit = rng.uniform(86.0, 95.0)
            for year in (2024, 2025):
                for indicator, value in zip(QUALITY_INDICATORS, (score, keep, fit), strict=True):
                    self.add(
                        "quality_indicator",
                        school_id=school.id,
                        school_year=year,
                        indicator=indicator,
                        value=round(min(value, 100.0), 1),
                    )
                score += rng.uniform(-3, 6)
                keep += rng.uniform(-0.8, 0.6)
                fit += rng.uniform(-2, 3)
        for c in county.clusters:
            for code in ("2024-1", "2024-2", "2025-1", "2025-2"):
                if rng.random() < 0.6:
                    self.add(
                        "semester_summary",
                        cluster_id=c.id,
                        semester=code,
                        attainment=f"本学期{c.name}计划目标基本达成，达成度约{rng.randint(75, 98)}%。",
                        achievements="开展联合教研、送教下乡，受援校课堂教学规范性明显提升。",
                        problems="乡村学校音体美等学科教师仍然短缺，交流教师通勤距离较远。",
                        next_steps="下学期重点推进同步课堂和青年教师跟岗学习。",
                    )
        for school in list(assisted.values())[: max(3, len(assisted) // 3)]:
            for subject in rng.sample(
                ["语文", "数学", "英语", "音乐", "美术", "体育与健康", "科学"], rng.randint(1, 3)
            ):
                self.add(
                    "subject_need",
                    school_id=school.id,
                    school_year=CURRENT_YEAR,
                    subject=subject,
                    slots=rng.randint(1, 2),
                )
