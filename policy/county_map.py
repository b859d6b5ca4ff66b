"""The county map, offline (issue 18): schools, clusters, pairings and the year's exchange
flows placed from the schools' own coordinates, with no tile server.

Positions are kilometres east and north of the schools' centre (an equirectangular
projection: at county scale its error is far below a school's dot). A cluster is drawn as
the convex hull of its schools; a school without coordinates is listed, never guessed. The
county's outline comes from a GeoJSON file the clerk imports (:func:`parse_outline`), or
there is none. Nothing here draws: the GUI (QPainter) and the PDF (reportlab) both draw
:class:`MapData`.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Collection, Sequence
from typing import Any

from policy import vocab
from policy.errors import PolicyError

KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON = 111.320  # at the equator; × cos(latitude)

Point = tuple[float, float]


@dataclasses.dataclass(frozen=True, slots=True)
class MapSchool:
    code: str
    name: str
    stage: str
    location: str
    x: float
    y: float
    cluster: int | None = None  # index into MapData.clusters
    lead: bool = False

    @property
    def rural(self) -> bool:
        return self.location == vocab.RURAL or self.stage == vocab.TEACHING_POINT


@dataclasses.dataclass(frozen=True, slots=True)
class MapCluster:
    name: str
    hull: tuple[Point, ...]  # convex hull of its schools (fewer than 3: the points themselves)


@dataclasses.dataclass(frozen=True, slots=True)
class MapLine:
    """A pairing (kind 包片包抓 / 手拉手) or an exchange flow (kind "flow", with its count)."""

    start: Point
    end: Point
    kind: str
    count: int = 1


@dataclasses.dataclass(slots=True)
class MapData:
    schools: list[MapSchool]
    clusters: list[MapCluster]
    pairings: list[MapLine]
    flows: list[MapLine]
    outline: list[tuple[Point, ...]]
    missing: list[tuple[str, str]]  # (code, name) of schools without coordinates
    hidden_flows: int = 0  # exchanges from or to a school without coordinates: counted, not drawn

    def bounds(self) -> tuple[float, float, float, float]:
        """(min x, min y, max x, max y) of everything drawn; a 1 km square when empty."""
        xs = [s.x for s in self.schools] + [p[0] for ring in self.outline for p in ring]
        ys = [s.y for s in self.schools] + [p[1] for ring in self.outline for p in ring]
        if not xs:
            return (-0.5, -0.5, 0.5, 0.5)
        return (min(xs), min(ys), max(xs), max(ys))

    def of_clusters(self, names: Collection[str], schools: Collection[str] = ()) -> MapData:
        """The part of the map a community's own report shows: the clusters ``names`` with
        their schools, the pairings and flows from or to those schools and the schools at
        their other ends (drawn as points, for where the teachers went); ``schools``: the
        communities' school names, to keep their lines of the schools without coordinates."""
        kept = [i for i, cluster in enumerate(self.clusters) if cluster.name in names]
        index = {old: new for new, old in enumerate(kept)}
        inside = {(s.x, s.y) for s in self.schools if s.cluster in index}
        pairings = [line for line in self.pairings if line.start in inside or line.end in inside]
        flows = [line for line in self.flows if line.start in inside or line.end in inside]
        ends = inside | {p for line in pairings + flows for p in (line.start, line.end)}
        return MapData([dataclasses.replace(s, cluster=None if s.cluster is None else index.get(s.cluster))
                        for s in self.schools if (s.x, s.y) in ends],
                       [self.clusters[i] for i in kept], pairings, flows, self.outline,
                       [(code, name) for code, name in self.missing if name in schools])

    def nearest(self, x: float, y: float, within: float) -> MapSchool | None:
        """The school closest to (x, y) in km, if within ``within`` km."""
        best, distance = None, within
        for school in self.schools:
            d = math.hypot(school.x - x, school.y - y)
            if d <= distance:
                best, distance = school, d
        return best


@dataclasses.dataclass(frozen=True, slots=True)
class Projection:
    """Degrees → km east/north of (lat0, lon0)."""

    lat0: float
    lon0: float

    @classmethod
    def around(cls, points: Sequence[tuple[float, float]]) -> Projection:
        """Centred on the middle of ``points`` ((lat, lon) pairs); (0, 0) when none."""
        if not points:
            return cls(0.0, 0.0)
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        return cls((min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2)

    def __call__(self, lat: float, lon: float) -> Point:
        return ((lon - self.lon0) * KM_PER_DEGREE_LON * math.cos(math.radians(self.lat0)),
                (lat - self.lat0) * KM_PER_DEGREE_LAT)


def convex_hull(points: Sequence[Point]) -> tuple[Point, ...]:
    """Andrew's monotone chain, counter-clockwise, without repeating the first point."""
    unique = sorted(set(points))
    if len(unique) < 3:
        return tuple(unique)

    def cross(o: Point, a: Point, b: Point) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Point] = []
    for p in unique:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(unique):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return tuple(lower[:-1] + upper[:-1])


def parse_outline(text: str, source: str = "") -> list[tuple[tuple[float, float], ...]]:
    """The rings of a GeoJSON Polygon / MultiPolygon / Feature / FeatureCollection as
    (lat, lon) pairs (GeoJSON writes [lon, lat]).

    Raises:
        PolicyError: not JSON, or no polygon in it; the message names the file.
    """
    where = f"{source}：" if source else ""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PolicyError(f"{where}县域边界文件不是 GeoJSON（{exc}）") from None
    rings: list[tuple[tuple[float, float], ...]] = []

    def polygon(coordinates: Any) -> None:
        for ring in coordinates:
            try:
                rings.append(tuple((float(lat), float(lon)) for lon, lat, *_rest in ring))
            except (TypeError, ValueError):
                raise PolicyError(f"{where}县域边界的坐标应为 [经度, 纬度] 数对") from None

    def visit(node: Any) -> None:
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        if kind == "FeatureCollection":
            for feature in node.get("features", []):
                visit(feature)
        elif kind == "Feature":
            visit(node.get("geometry"))
        elif kind == "Polygon":
            polygon(node.get("coordinates", []))
        elif kind == "MultiPolygon":
            for part in node.get("coordinates", []):
                polygon(part)

    visit(data)
    if not rings:
        raise PolicyError(f"{where}县域边界文件中没有多边形（Polygon / MultiPolygon）")
    return rings


def flows_of(pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Exchanges (from school code, to school code) → count per direction."""
    counts: dict[tuple[str, str], int] = {}
    for pair in pairs:
        counts[pair] = counts.get(pair, 0) + 1
    return counts
