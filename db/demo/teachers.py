"""Teachers: staffing each school, titles, ID numbers, postings and exemptions."""

from __future__ import annotations

import datetime as dt

from db.demo.base import BuilderBase
from db.demo.names import (
    ALL_SUBJECTS,
    ALL_WEIGHTS,
    BACKBONE_WEIGHTS,
    CURRENT_YEAR,
    PRIMARY_SUBJECTS,
    PRIMARY_WEIGHTS,
    REFERENCE,
    TODAY,
)
from db.demo.records import _County, _School, _Teacher
from policy import vocab
from policy.calendar import completed_years
from policy.idcard import make_id_number


class TeachersPart(BuilderBase):
    """Teachers: staffing each school, titles, ID numbers, postings and exemptions."""

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
