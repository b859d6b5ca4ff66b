"""Pairings and assistance visits, semester by semester."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from db.demo.base import BuilderBase
from db.demo.names import CURRENT_YEAR, FIRST_YEAR, TODAY
from db.demo.records import _Cluster, _County, _School, _Teacher


class VisitsPart(BuilderBase):
    """Pairings and assistance visits, semester by semester."""

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
