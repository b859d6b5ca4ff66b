"""Exchanges: five school years of plans and the exchanges carried out under them."""

from __future__ import annotations

import datetime as dt
import uuid

from db.demo.base import BuilderBase
from db.demo.names import CURRENT_YEAR, FIRST_YEAR
from db.demo.records import _School
from policy import vocab
from policy.calendar import completed_years


class ExchangesPart(BuilderBase):
    """Exchanges: five school years of plans and the exchanges carried out under them."""

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
        self._earlier = {}
        self._home_exchange = {}
        # (teacher, school, posting kind, start, end, exchange id, posting id or None: a random one)
        self._temporary = []
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
