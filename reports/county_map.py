"""The county map on paper (issue 18): the same :class:`policy.county_map.MapData` the screen
draws, as a reportlab drawing on an A4 page, with its legend and the schools left off for
want of coordinates."""

from __future__ import annotations

import math
from pathlib import Path
from typing import IO

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.platypus import Flowable, KeepTogether, Paragraph

from policy.county_map import MapData
from policy.map_style import (
    FLOW_COLOUR,
    LOCATION_COLOURS,
    PAIRING_COLOURS,
    SHAPE_LABELS,
    STAGE_SHAPES,
    cluster_colour,
)
from reports.fonts import SANS
from reports.pdf import FRAME_WIDTH, DocInfo, body, build_pdf, heading, styles

MARKER = 2.2  # pt


def map_drawing(data: MapData, width: float = FRAME_WIDTH, height: float = FRAME_WIDTH) -> Drawing:
    """The map scaled into ``width`` × ``height`` points, north up."""
    drawing = Drawing(width, height, initialFontName=SANS, initialFontSize=5)
    drawing.add(Rect(0, 0, width, height, strokeColor=colors.HexColor("#9aa5b1"), fillColor=None, strokeWidth=0.5))
    x0, y0, x1, y1 = data.bounds()
    scale = 0.92 * min(width / max(x1 - x0, 1.0), height / max(y1 - y0, 1.0))

    def at(x: float, y: float) -> tuple[float, float]:
        return (width / 2 + (x - (x0 + x1) / 2) * scale, height / 2 + (y - (y0 + y1) / 2) * scale)

    for ring in data.outline:
        drawing.add(Polygon([c for p in ring for c in at(*p)], strokeColor=colors.HexColor("#606060"),
                            fillColor=colors.HexColor("#f7f7f2"), strokeWidth=0.8))
    for index, cluster in enumerate(data.clusters):
        colour = colors.HexColor(cluster_colour(index))
        points = [c for p in cluster.hull for c in at(*p)]
        if len(cluster.hull) >= 3:
            fill = colors.Color(colour.red, colour.green, colour.blue, alpha=0.18)
            drawing.add(Polygon(points, strokeColor=colour, fillColor=fill, strokeWidth=0.6))
        elif len(cluster.hull) == 2:
            drawing.add(PolyLine(points, strokeColor=colour, strokeWidth=0.6))
    for line in data.pairings:
        drawing.add(Line(*at(*line.start), *at(*line.end), strokeColor=colors.HexColor(PAIRING_COLOURS[line.kind]),
                         strokeWidth=0.6, strokeDashArray=[2, 1.5]))
    flow = colors.HexColor(FLOW_COLOUR)
    for line in data.flows:
        (ax, ay), (bx, by) = at(*line.start), at(*line.end)
        drawing.add(Line(ax, ay, bx, by, strokeColor=flow, strokeWidth=0.35 + min(line.count, 8) * 0.1))
        length = math.hypot(bx - ax, by - ay)
        if length > 4:
            ux, uy = (bx - ax) / length, (by - ay) / length
            tx, ty = bx - ux * MARKER, by - uy * MARKER
            drawing.add(Polygon([tx, ty, tx - ux * 3 - uy * 1.5, ty - uy * 3 + ux * 1.5,
                                 tx - ux * 3 + uy * 1.5, ty - uy * 3 - ux * 1.5], fillColor=flow, strokeColor=None))
        if length > (30 if line.count > 1 else 90):
            drawing.add(String((ax + bx) / 2, (ay + by) / 2 + 1, str(line.count), fontName=SANS, fontSize=5,
                               fillColor=flow, textAnchor="middle"))
    for school in data.schools:
        x, y = at(school.x, school.y)
        fill = colors.HexColor(LOCATION_COLOURS.get(school.location, "#404040"))
        stroke, width_ = (colors.black, 0.9) if school.lead else (colors.white, 0.3)
        shape = STAGE_SHAPES.get(school.stage, "circle")
        size = MARKER + (0.8 if school.lead else 0)
        if shape == "square":
            drawing.add(Rect(x - size, y - size, 2 * size, 2 * size, fillColor=fill, strokeColor=stroke,
                             strokeWidth=width_))
        elif shape == "diamond":
            drawing.add(Polygon([x, y + size * 1.3, x + size * 1.3, y, x, y - size * 1.3, x - size * 1.3, y],
                                fillColor=fill, strokeColor=stroke, strokeWidth=width_))
        elif shape == "triangle":
            drawing.add(Polygon([x, y + size, x + size, y - size * 0.8, x - size, y - size * 0.8],
                                fillColor=fill, strokeColor=stroke, strokeWidth=width_))
        else:
            drawing.add(Circle(x, y, size, fillColor=fill, strokeColor=stroke, strokeWidth=width_))
    return drawing


def legend_text(flows: str = "本学年交流流向") -> str:
    places = "、".join(f"<font color='{c}'>●</font>{name}" for name, c in LOCATION_COLOURS.items())
    shapes = "、".join(f"{ {'circle': '●', 'square': '■', 'diamond': '◆', 'triangle': '▲'}[s]}{label}"
                      for s, label in SHAPE_LABELS.items())
    pairs = "、".join(f"<font color='{c}'>虚线</font>{kind}" for kind, c in PAIRING_COLOURS.items())
    return (f"图例：颜色表示学校所在地（{places}），形状表示学段（{shapes}）；黑边为牵头校；色块为集团范围；"
            f"{pairs}；<font color='{FLOW_COLOUR}'>箭头</font>为{flows}，线旁数字为人数。")


def map_section(data: MapData, title: str, level: int = 1, flows: str = "本学年交流流向") -> list[Flowable]:
    """The map under its heading (kept on one page with it), its legend (``flows``: what the
    arrows are), what it counts, and the schools left off for want of coordinates."""
    # the legend carries its own colour markup (no data text in it): a Paragraph, not note()
    flow: list[Flowable] = [KeepTogether([heading(title, level), map_drawing(data),
                                          Paragraph(legend_text(flows), styles()["note"])])]
    flow.append(body(f"学校 {len(data.schools)} 所，集团 {len(data.clusters)} 个，结对连线 {len(data.pairings)} 条，"
                     f"交流流向 {len(data.flows)} 条（{sum(f.count for f in data.flows)} 人）。"))
    if data.hidden_flows:
        flow.append(body(f"另有 {data.hidden_flows} 人次交流涉及没有坐标的学校，未画出。"))
    if data.missing:
        flow.append(body(f"以下 {len(data.missing)} 所学校没有坐标，未画入图中："
                         + "、".join(f"{name}（{code}）" for code, name in data.missing)))
    return flow


def story(data: MapData) -> list[Flowable]:
    return map_section(data, "县域学校分布、集团与交流流向")


def write_map(data: MapData, target: str | Path | IO[bytes], title: str = "县域学校与交流流向图") -> int:
    return build_pdf(target, DocInfo(title=title), lambda: story(data), cover_page=False)
