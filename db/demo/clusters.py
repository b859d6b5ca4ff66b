"""Clusters: communities with dated memberships, agreements, quality figures and summaries."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from db.agreements import fill_template, load_template, party_labels, signing_schools
from db.demo.base import BuilderBase
from db.demo.names import CURRENT_YEAR, QUALITY_INDICATORS
from db.demo.records import _Cluster, _County, _School
from policy.calendar import add_years
from policy.numerals import chinese_numeral
from policy.profile import Profile, load_profile


class ClustersPart(BuilderBase):
    """Clusters: communities with dated memberships, agreements, quality figures and summaries."""

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

    # ---- agreements, quality, summaries, needs, users -----------------------------------

    def make_cluster_papers(self, county: _County) -> None:
        rng = self.rng
        communities = [c for c in county.clusters if c.kind.endswith("教共体")]
        unsigned = {id(c) for c in communities[1:3]}
        expired = {id(c) for c in communities[3:4]}  # one term already over: shows 已到期
        template, profile = load_template(), load_profile()
        for c in communities[:-1]:  # the last community has no agreement at all
            first = dt.date(2021, 9, 1) if id(c) in expired else dt.date(2024, 9, 1)
            signed = id(c) not in unsigned
            self._agreement(c, county, template, profile, first, rng.randint(5, 30) if signed else None)
        # The 集团 and 学区 sign 帮扶协议 too (银川2023方案 三(一)): all but the last, signed a
        # week or three before the term. Their own generator (seeded by the name) leaves every
        # other figure of the demo as it was.
        others = [c for c in county.clusters if not c.kind.endswith("教共体")]
        for c in others[:-1]:
            own = random.Random(c.name)
            self._agreement(c, county, template, profile, dt.date(2024, 9, 1), own.randint(5, 30), own)
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

    def _agreement(self, c: _Cluster, county: _County, template: dict[str, Any], profile: Profile, first: dt.date,
                   signed_days_before: int | None, ids: random.Random | None = None) -> None:
        """One agreement of ``c`` for the three years from ``first`` (or its founding),
        signed that many days before its term, or printed but not yet signed (None);
        its rows' ids drawn from ``ids`` (default: the demo's own generator)."""

        def new_id() -> uuid.UUID | None:
            return uuid.UUID(int=ids.getrandbits(128), version=4) if ids else None

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
        signed = signed_days_before is not None
        agreement_id = self.add(
            "agreement",
            id=new_id(),
            cluster_id=c.id,
            title=title,
            term_start=term_start,
            term_end=term_end,
            version=1,
            clauses={"preamble": preamble, "sections": [x.as_json() for x in sections],
                     "profile": profile.id, "template": str(template.get("source", ""))},
            printed_version=1 if signed else None,
            signed_on=term_start - dt.timedelta(days=signed_days_before) if signed_days_before is not None else None,
        )
        for label, school in zip(party_labels(len(signers)), signers, strict=True):
            principal = next((t.name for t in school.teachers if t.position == "校长"), None)
            self.add(
                "agreement_party",
                id=new_id(),
                agreement_id=agreement_id,
                school_id=school.id,
                label=label,
                signatory=principal,
            )
