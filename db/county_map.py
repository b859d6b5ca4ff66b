"""The county map's data from the store (issue 18): schools with coordinates, clusters and
pairings on a day, the year's exchange flows, and the county outline the clerk imported.

The outline is kept with the data (setting ``map.outline``), so every machine sharing the
data draws the same county.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from db.clusters import load
from db.models import Exchange, School, Setting
from db.store import Store
from policy.clusters import members_by_cluster
from policy.county_map import (
    MapCluster,
    MapData,
    MapLine,
    MapSchool,
    Projection,
    convex_hull,
    flows_of,
    parse_outline,
)

OUTLINE_KEY = "map.outline"
PAIRING_KINDS = ("包片包抓", "手拉手")


def save_outline(store: Store, path: Path) -> int:
    """Import the county outline from a GeoJSON file; returns the number of rings.

    Raises:
        policy.errors.PolicyError: not a GeoJSON polygon (the message names the file).
        OSError: the file cannot be read.
    """
    rings = parse_outline(path.read_text(encoding="utf-8"), path.name)
    value = {"source": path.name, "rings": [[list(p) for p in ring] for ring in rings]}
    with store.write(f"导入县域边界 {path.name}") as session:
        setting = session.get(Setting, OUTLINE_KEY)
        if setting is None:
            session.add(Setting(key=OUTLINE_KEY, value=value))
        else:
            setting.value = value
    return len(rings)


def load_map(store: Store, on: dt.date, school_year: int | None = None,
             pairs: Sequence[tuple[str, str]] | None = None) -> MapData:
    """Everything the map draws on ``on``, with the exchange flows of ``school_year``, or
    ``pairs`` (from school code, to school code: a plan scenario's moves) when given."""
    records = load(store, on)
    s, e = School.__table__, Exchange.__table__
    with store.read() as session:
        connection = session.connection()
        where = {code: (lat, lon) for code, lat, lon in connection.execute(select(s.c.code, s.c.latitude,
                                                                                   s.c.longitude))}
        if pairs is None and school_year is not None:
            src, dst = s.alias("src"), s.alias("dst")
            pairs = [(a, b) for a, b in connection.execute(
                select(src.c.code, dst.c.code).join(src, src.c.id == e.c.from_school_id)
                .join(dst, dst.c.id == e.c.to_school_id)
                .where(e.c.school_year == school_year, e.c.status != "cancelled"))]
        outline_setting = session.get(Setting, OUTLINE_KEY)
        outline_rings = list(outline_setting.value.get("rings", [])) if outline_setting is not None else []
    placed = {code: p for code, p in where.items() if p[0] is not None and p[1] is not None}
    pairs = pairs or []
    project = Projection.around(list(placed.values()) or [tuple(p) for ring in outline_rings for p in ring])
    xy = {code: project(lat, lon) for code, (lat, lon) in placed.items()}
    code_of = {school.id: school.code for school in records.schools}
    active = members_by_cluster(records.memberships, on)
    cluster_of: dict[str, int] = {}
    leads: set[str] = set()
    clusters: list[MapCluster] = []
    lead_of_cluster: dict[object, str] = {}
    for cluster in sorted(records.clusters, key=lambda c: c.name):
        members = active.get(cluster.id, [])
        if not members:
            continue
        index = len(clusters)
        codes = [code_of[m.school_id] for m in members]
        for m, code in zip(members, codes, strict=True):
            cluster_of.setdefault(code, index)
            if m.is_lead:
                leads.add(code)
                lead_of_cluster[cluster.id] = code
        clusters.append(MapCluster(cluster.name, convex_hull([xy[c] for c in codes if c in xy])))
    schools = [MapSchool(school.code, school.name, school.stage, school.location, *xy[school.code],
                         cluster_of.get(school.code), school.code in leads)
               for school in sorted(records.schools, key=lambda x: x.code) if school.code in xy]
    missing = [(school.code, school.name) for school in sorted(records.schools, key=lambda x: x.code)
               if school.code not in xy]
    pairings = []
    for pairing in records.pairings:
        if pairing.kind not in PAIRING_KINDS or not pairing.active_on(on):
            continue
        start = code_of.get(pairing.supporter_school_id) if pairing.supporter_school_id else None
        end = (lead_of_cluster.get(pairing.cluster_id) if pairing.cluster_id else
               code_of.get(pairing.target_school_id) if pairing.target_school_id else None)
        if start in xy and end in xy and start != end:
            pairings.append(MapLine(xy[start], xy[end], pairing.kind))
    flows = [MapLine(xy[a], xy[b], "flow", n) for (a, b), n in sorted(flows_of(pairs).items())
             if a in xy and b in xy and a != b]
    outline = [tuple(project(lat, lon) for lat, lon in ring) for ring in outline_rings]
    hidden = sum(1 for a, b in pairs if a != b and (a not in xy or b not in xy))
    return MapData(schools, clusters, pairings, flows, outline, missing, hidden)
