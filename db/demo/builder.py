"""The whole demo: the parts called in their fixed order."""

from __future__ import annotations

from typing import Any

from db.demo.clusters import ClustersPart
from db.demo.development import DevelopmentPart
from db.demo.exchanges import ExchangesPart
from db.demo.names import CENTER, CITY_CODE, CITY_NAME, COUNTY_NAMES
from db.demo.records import _County
from db.demo.schools import SchoolsPart
from db.demo.teachers import TeachersPart
from db.demo.visits import VisitsPart


class _Builder(SchoolsPart, TeachersPart, ExchangesPart, ClustersPart, VisitsPart, DevelopmentPart):
    """Generates all rows in memory; deterministic given the Random it is handed.

    One part per aggregate (db/demo/*.py); :meth:`build` calls them in the order the random
    sequence was first drawn in, so a seed gives the same rows as ever.
    """

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
        self.make_development()  # drawn last: the rows before it stay as they were
        return self.rows
