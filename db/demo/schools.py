"""Schools: the county seat, towns and villages, their figures and coordinates."""

from __future__ import annotations

import math

from db.demo.base import BuilderBase
from db.demo.names import CITY_NAME, NUMERALS
from db.demo.records import _County, _School
from policy.numerals import chinese_numeral


class SchoolsPart(BuilderBase):
    """Schools: the county seat, towns and villages, their figures and coordinates."""

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

    def town_school(self, county: _County, name: str, stage: str, location: str, sizes: tuple[int, int],
                    town: int, centre: tuple[float, float], spread: float) -> _School:
        """A school of a town or its villages: students drawn from ``sizes``, placed near ``centre``
        (the draws in the order the demo has always made them: name, students, place)."""
        return self.new_school(county, name, stage, location, self.rng.randint(*sizes), town=town, near=centre,
                               spread=spread)

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
            self.town_school(county, f"{tname}中心小学", "小学", "镇区", (600, 1500), t, centre, 0.01)
            self.town_school(county, f"{tname}初级中学", "初中", "镇区", (500, 1300), t, centre, 0.01)
            if t % 3 == 1:
                self.town_school(county, f"{tname}九年一贯制学校", "九年一贯制", "镇区", (600, 1400), t, centre, 0.01)
            villages = 4 if t == 0 else rng.choice((3, 3, 4))
            for _ in range(villages):
                self.town_school(county, f"{tname}{self.place()}小学", "小学", "乡村", (60, 450), t, centre, 0.06)
            if t % 4 == 2:
                self.town_school(county, f"{tname}{self.place()}学校", "九年一贯制", "乡村", (200, 700), t, centre,
                                 0.06)
            central = county.schools[
                -villages - 2 - (1 if t % 3 == 1 else 0) - (1 if t % 4 == 2 else 0)
            ]
            points = 3 if t == 0 else rng.choice((1, 2, 2, 3))
            for _ in range(points):
                point = self.town_school(county, f"{self.place()}村教学点", "教学点", "乡村", (6, 60), t, centre, 0.08)
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
