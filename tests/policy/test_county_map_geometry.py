"""The county map's geometry (issue 18): hulls, the projection, GeoJSON outlines, flows."""

from __future__ import annotations

import json

import pytest

from policy.county_map import MapData, MapSchool, Projection, convex_hull, flows_of, parse_outline
from policy.errors import PolicyError


def test_hull_leaves_out_inner_points_and_keeps_small_sets():
    square = [(0, 0), (2, 0), (2, 2), (0, 2), (1, 1), (1, 0)]
    assert set(convex_hull(square)) == {(0, 0), (2, 0), (2, 2), (0, 2)}
    assert convex_hull([(1, 1), (1, 1)]) == ((1, 1),)
    assert len(convex_hull([(0, 0), (3, 4)])) == 2


def test_projection_gives_kilometres():
    project = Projection(38.0, 106.0)
    x, y = project(38.1, 106.1)
    assert y == pytest.approx(11.06, abs=0.01) and x == pytest.approx(8.77, abs=0.01)
    assert project(38.0, 106.0) == (0.0, 0.0)


def test_outline_from_geojson_in_its_shapes():
    ring = [[106.0, 38.0], [106.5, 38.0], [106.5, 38.5], [106.0, 38.0]]
    for data in ({"type": "Polygon", "coordinates": [ring]},
                 {"type": "Feature", "geometry": {"type": "MultiPolygon", "coordinates": [[ring]]}},
                 {"type": "FeatureCollection", "features": [{"type": "Feature",
                                                             "geometry": {"type": "Polygon", "coordinates": [ring]}}]}):
        [parsed] = parse_outline(json.dumps(data))
        assert parsed[1] == (38.0, 106.5)  # GeoJSON [lon, lat] → (lat, lon)


@pytest.mark.parametrize(("text", "message"), [
    ("not json", "不是 GeoJSON"),
    ('{"type": "Point", "coordinates": [1, 2]}', "没有多边形"),
    ('{"type": "Polygon", "coordinates": [[["a", "b"]]]}', "经度, 纬度"),
])
def test_a_bad_outline_is_refused_naming_the_file(text, message):
    with pytest.raises(PolicyError, match=message) as caught:
        parse_outline(text, "边界.geojson")
    assert "边界.geojson" in str(caught.value)


def test_flows_are_counted_per_direction_and_clicks_find_the_nearest_school():
    assert flows_of([("A", "B"), ("A", "B"), ("B", "A")]) == {("A", "B"): 2, ("B", "A"): 1}
    data = MapData([MapSchool("A", "甲", "小学", "城区", 0, 0), MapSchool("B", "乙", "小学", "乡村", 5, 0)],
                   [], [], [], [], [])
    assert data.nearest(4.5, 0.2, 1.0).code == "B"
    assert data.nearest(2.5, 0, 1.0) is None
    assert data.bounds() == (0, 0, 5, 0)


def test_a_communitys_map_keeps_its_schools_hull_and_lines_with_their_far_ends():
    from policy.county_map import MapCluster, MapLine

    schools = [MapSchool("A", "甲", "小学", "城区", 0, 0, 0, True), MapSchool("B", "乙", "小学", "乡村", 5, 0, 0),
               MapSchool("C", "丙", "小学", "城区", 20, 0, 1, True), MapSchool("D", "丁", "小学", "乡村", 30, 5, 1),
               MapSchool("E", "戊", "小学", "乡村", 40, 9)]
    data = MapData(schools, [MapCluster("一", ((0, 0), (5, 0))), MapCluster("二", ((20, 0), (30, 5)))],
                   [MapLine((20, 0), (5, 0), "手拉手")], [MapLine((0, 0), (40, 9), "flow", 2),
                                                          MapLine((20, 0), (30, 5), "flow")],
                   [], [("F", "己"), ("G", "庚")])
    part = data.of_clusters({"一"}, {"甲", "乙", "己"})
    assert [c.name for c in part.clusters] == ["一"]
    assert [(s.code, s.cluster) for s in part.schools] == [("A", 0), ("B", 0), ("C", None), ("E", None)]
    assert [line.kind for line in part.pairings] == ["手拉手"] and [f.count for f in part.flows] == [2]
    assert part.missing == [("F", "己")] and part.bounds() == (0, 0, 40, 9)
