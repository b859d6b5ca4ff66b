"""县域地图: schools, clusters, pairings and the year's exchange flows from the schools' own
coordinates, drawn with QPainter (no tile server, no network); pan by dragging, zoom with
the wheel, click a school to see it. The county outline is imported from a GeoJSON file.

Painting is one pass over plain lists (``policy.county_map.MapData``): hull polygons, then
the lines in one ``drawLines`` call per kind, arrow heads, then the school markers; counts
are written on a flow only when it is long enough on screen to carry them.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from db.county_map import load_map, save_outline
from desktop import messages
from desktop.context import AppContext
from desktop.pages.base import Page
from desktop.widgets import SchoolYearSpinBox
from policy.county_map import MapData, MapSchool
from policy.map_style import (
    FLOW_COLOUR,
    LOCATION_COLOURS,
    PAIRING_COLOURS,
    SHAPE_LABELS,
    STAGE_SHAPES,
    cluster_colour,
)

MARKER = 4.0  # px half-size of a school marker
CLICK_PX = 9.0
MAX_LABELS = 300  # flow counts written at once (zoom in to read the rest)


class MapCanvas(QWidget):
    """The map itself. ``school_clicked(code)`` when a school is clicked."""

    school_clicked = Signal(str)
    school_opened = Signal(str)  # double-clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: MapData | None = None
        self.layers = {"clusters": True, "pairings": True, "flows": True, "outline": True}
        self.scale = 1.0  # px per km
        self.offset = QPointF(0, 0)  # px of the map's (0, 0) km
        self.selected: str | None = None
        self._flow_lines: list[QLineF] = []
        self._flow_units: list[tuple[float, float, float]] = []
        self._heads: list[QLineF] = []
        self._heads_scale = 0.0
        self._drag: QPointF | None = None
        self._moved = False
        self.setMinimumSize(400, 300)
        self.setMouseTracking(False)

    def set_data(self, data: MapData) -> None:
        self.data = data
        self._flow_geometry()
        self.fit()

    def fit(self) -> None:
        """Show everything, with a margin."""
        if self.data is None:
            return
        x0, y0, x1, y1 = self.data.bounds()
        width, height = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
        self.scale = 0.9 * min(self.width() / width, self.height() / height)
        self.offset = QPointF(self.width() / 2 - (x0 + x1) / 2 * self.scale,
                              self.height() / 2 + (y0 + y1) / 2 * self.scale)
        self.update()

    def to_screen(self, x: float, y: float) -> QPointF:
        return QPointF(self.offset.x() + x * self.scale, self.offset.y() - y * self.scale)

    def to_map(self, point: QPointF) -> tuple[float, float]:
        return ((point.x() - self.offset.x()) / self.scale, (self.offset.y() - point.y()) / self.scale)

    # ---- painting -----------------------------------------------------------------------

    def paintEvent(self, _event: Any) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        data = self.data
        if data is None:
            painter.end()
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, len(data.flows) < 3000)
        screen = self.to_screen
        if self.layers["outline"]:
            painter.setPen(QPen(QColor("#606060"), 1.5))
            painter.setBrush(QBrush(QColor("#f7f7f2")))
            for ring in data.outline:
                painter.drawPolygon(QPolygonF([screen(x, y) for x, y in ring]))
        if self.layers["clusters"]:
            for index, cluster in enumerate(data.clusters):
                colour = QColor(cluster_colour(index))
                fill = QColor(colour)
                fill.setAlpha(45)
                painter.setPen(QPen(colour, 1.2))
                painter.setBrush(QBrush(fill))
                points = [screen(x, y) for x, y in cluster.hull]
                if len(points) >= 3:
                    painter.drawPolygon(QPolygonF(points))
                elif len(points) == 2:
                    painter.drawLine(points[0], points[1])
        if self.layers["pairings"]:
            for kind, tint in PAIRING_COLOURS.items():
                pen = QPen(QColor(tint), 1.3, Qt.PenStyle.DashLine)
                painter.setPen(pen)
                painter.drawLines([QLineF(screen(*line.start), screen(*line.end))
                                   for line in data.pairings if line.kind == kind])
        if self.layers["flows"]:
            self._paint_flows(painter)
        self._paint_schools(painter)
        painter.end()

    def _flow_geometry(self) -> None:
        """The flows' lines in map kilometres, their unit vectors, lengths and centres: made
        once per data set, so painting is one ``drawLines`` under a transform (at city scale
        building 27,000 screen lines in Python on every paint took over a second)."""
        assert self.data is not None
        self._flow_lines, self._flow_units, self._heads, self._heads_scale = [], [], [], 0.0
        for flow in self.data.flows:
            (ax, ay), (bx, by) = flow.start, flow.end
            length = math.hypot(bx - ax, by - ay)
            self._flow_lines.append(QLineF(ax, ay, bx, by))
            self._flow_units.append((length, (bx - ax) / length if length else 0.0,
                                     (by - ay) / length if length else 0.0))

    def _arrow_heads(self) -> list[QLineF]:
        """Two short strokes per flow, in map units for the current scale (rebuilt on zoom)."""
        if self._heads_scale != self.scale:
            size, back = 6.0 / self.scale, MARKER / self.scale
            heads = []
            for line, (length, ux, uy) in zip(self._flow_lines, self._flow_units, strict=True):
                if length * self.scale < 6:
                    continue
                tx, ty = line.x2() - ux * back, line.y2() - uy * back
                heads.append(QLineF(tx, ty, tx - ux * size - uy * size / 2, ty - uy * size + ux * size / 2))
                heads.append(QLineF(tx, ty, tx - ux * size + uy * size / 2, ty - uy * size - ux * size / 2))
            self._heads, self._heads_scale = heads, self.scale
        return self._heads

    def _paint_flows(self, painter: QPainter) -> None:
        """Lines and arrow heads under the map transform with a cosmetic (width 0) pen; a
        flow's count where its line is long enough on screen, at most :data:`MAX_LABELS`."""
        assert self.data is not None
        colour = QColor(FLOW_COLOUR)
        painter.save()
        painter.setTransform(QTransform(self.scale, 0, 0, -self.scale, self.offset.x(), self.offset.y()))
        painter.setPen(QPen(colour, 0))
        painter.drawLines(self._flow_lines)
        painter.drawLines(self._arrow_heads())
        painter.restore()
        labels = []
        for flow, line, (length, _ux, _uy) in zip(self.data.flows, self._flow_lines, self._flow_units, strict=True):
            if length * self.scale > (60 if flow.count > 1 else 160):  # a count where the line can carry it
                labels.append((flow.count, length, line))
        if labels:
            labels.sort(key=lambda item: (-item[0], -item[1]))
            font = QFont(self.font())
            font.setPointSizeF(8)
            painter.setFont(font)
            painter.setPen(QPen(colour))
            for count, _length, line in labels[:MAX_LABELS]:
                centre = self.to_screen(line.center().x(), line.center().y())
                painter.drawText(QRectF(centre.x() - 20, centre.y() - 8, 40, 16), Qt.AlignmentFlag.AlignCenter,
                                 str(count))

    def _paint_schools(self, painter: QPainter) -> None:
        assert self.data is not None
        by_colour: dict[str, dict[str, QPainterPath]] = {}
        leads = QPainterPath()
        for school in self.data.schools:
            point = self.to_screen(school.x, school.y)
            shape = STAGE_SHAPES.get(school.stage, "circle")
            path = by_colour.setdefault(LOCATION_COLOURS.get(school.location, "#404040"), {}).setdefault(
                shape, QPainterPath())
            add_marker(path, shape, point, MARKER)
            if school.lead:
                add_marker(leads, shape, point, MARKER + 2.5)
        painter.setPen(QPen(QColor("#000000"), 1.6))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(leads)
        painter.setPen(QPen(QColor("#ffffff"), 0.6))
        for colour, shapes in by_colour.items():
            painter.setBrush(QBrush(QColor(colour)))
            for path in shapes.values():
                painter.drawPath(path)
        if self.selected is not None:
            found = next((s for s in self.data.schools if s.code == self.selected), None)
            if found is not None:
                point = self.to_screen(found.x, found.y)
                painter.setPen(QPen(QColor("#000000"), 2))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(point, MARKER + 6, MARKER + 6)
                painter.drawText(QPointF(point.x() + MARKER + 8, point.y() - 4), found.name)

    # ---- pan, zoom, click ----------------------------------------------------------------

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        factor = 1.25 if event.angleDelta().y() > 0 else 0.8
        self.zoom(factor, event.position())

    def zoom(self, factor: float, around: QPointF) -> None:
        x, y = self.to_map(around)
        self.scale *= factor
        self.offset = QPointF(around.x() - x * self.scale, around.y() + y * self.scale)
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._drag, self._moved = event.position(), False

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag is None:
            return
        delta = event.position() - self._drag
        if abs(delta.x()) + abs(delta.y()) > 2:
            self._moved = True
        self.offset += delta
        self._drag = event.position()
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self._moved:
            self.click(event.position())
        self._drag = None

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        found = self.click(event.position())
        if found is not None:
            self.school_opened.emit(found.code)

    def click(self, point: QPointF) -> MapSchool | None:
        if self.data is None:
            return None
        x, y = self.to_map(point)
        found = self.data.nearest(x, y, CLICK_PX / self.scale)
        self.selected = found.code if found else None
        self.update()
        if found is not None:
            self.school_clicked.emit(found.code)
        return found

    def resizeEvent(self, _event: Any) -> None:  # noqa: N802
        self.fit()


def add_marker(path: QPainterPath, shape: str, point: QPointF, size: float) -> None:
    """A school's marker, by stage."""
    x, y = point.x(), point.y()
    if shape == "square":
        path.addRect(QRectF(x - size, y - size, 2 * size, 2 * size))
    elif shape == "diamond":
        path.addPolygon(QPolygonF([QPointF(x, y - size * 1.3), QPointF(x + size * 1.3, y),
                                   QPointF(x, y + size * 1.3), QPointF(x - size * 1.3, y), QPointF(x, y - size * 1.3)]))
    elif shape == "triangle":
        path.addPolygon(QPolygonF([QPointF(x, y - size), QPointF(x + size, y + size * 0.8),
                                   QPointF(x - size, y + size * 0.8), QPointF(x, y - size)]))
    else:
        path.addEllipse(point, size, size)


class CountyMapPage(Page):
    """The 县域地图 page."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.year = SchoolYearSpinBox(self)
        self.year.valueChanged.connect(lambda _v: self.refresh())
        bar.addWidget(QLabel("交流流向学年", self))
        bar.addWidget(self.year)
        self.boxes: dict[str, QCheckBox] = {}
        for key, label in (("clusters", "集团范围"), ("pairings", "包片包抓/手拉手"), ("flows", "交流流向"),
                           ("outline", "县域边界")):
            box = QCheckBox(label, self)
            box.setChecked(True)
            box.toggled.connect(lambda on, k=key: self._toggle(k, on))
            self.boxes[key] = box
            bar.addWidget(box)
        bar.addStretch(1)
        fit = QPushButton("全图", self)
        outline = QPushButton("导入县域边界…", self)
        pdf = QPushButton("打印地图…", self)
        for button in (fit, outline, pdf):
            bar.addWidget(button)
        layout.addLayout(bar)
        split = QSplitter(self)
        self.canvas = MapCanvas(split)
        side = QWidget(split)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        self.legend = QLabel(legend_html(), side)
        self.legend.setWordWrap(True)
        self.detail = QPlainTextEdit(side)
        self.detail.setReadOnly(True)
        self.detail.setPlaceholderText("点击地图上的学校查看详情，双击在“学校”页中打开")
        self.open_button = QPushButton("在“学校”页中打开", side)
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(lambda: self.open_school(self.canvas.selected))
        side_layout.addWidget(self.legend)
        side_layout.addWidget(self.detail, 1)
        side_layout.addWidget(self.open_button)
        split.addWidget(self.canvas)
        split.addWidget(side)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        layout.addWidget(split, 1)
        fit.clicked.connect(self.canvas.fit)
        outline.clicked.connect(self.import_outline)
        pdf.clicked.connect(self.print_map)
        self.canvas.school_clicked.connect(self.show_school)
        self.canvas.school_opened.connect(self.open_school)
        self.summary = ""  # what the map holds and the schools it could not place (refresh)

    def _toggle(self, key: str, on: bool) -> None:
        self.canvas.layers[key] = on
        self.canvas.update()

    def refresh(self) -> None:
        data = load_map(self.context.store, dt.date.today(), self.year.value())
        self.canvas.set_data(data)
        missing = data.missing
        text = [f"学校 {len(data.schools)} 所，集团 {len(data.clusters)} 个，结对连线 {len(data.pairings)} 条，"
                f"交流流向 {len(data.flows)} 条（{sum(f.count for f in data.flows)} 人）。"]
        if data.hidden_flows:
            text.append(f"另有 {data.hidden_flows} 人次交流涉及没有坐标的学校，未画出。")
        if missing:
            text.append(f"没有坐标、未画出的学校 {len(missing)} 所：" + "、".join(f"{n}（{c}）" for c, n in missing[:30])
                        + ("……" if len(missing) > 30 else ""))
        self.summary = "\n".join(text)
        self.detail.setPlainText(self.summary)
        self.open_button.setEnabled(False)

    def open_school(self, code: str | None) -> None:
        if code:
            self.open_record.emit("schools", code)

    def show_school(self, code: str) -> None:
        data = self.canvas.data
        if data is None:
            return
        self.open_button.setEnabled(True)
        school = next(s for s in data.schools if s.code == code)
        cluster = data.clusters[school.cluster].name if school.cluster is not None else "未纳入集团"
        out = sum(f.count for f in data.flows if f.start == (school.x, school.y))
        into = sum(f.count for f in data.flows if f.end == (school.x, school.y))
        self.detail.setPlainText(f"{school.name}（{school.code}）\n{school.stage}，{school.location}\n"
                                 f"集团：{cluster}{'（牵头校）' if school.lead else ''}\n"
                                 f"本学年交流：派出 {out} 人，接收 {into} 人\n\n{self.summary}")

    def import_outline(self) -> None:
        path = messages.open_file(self, "导入县域边界", "GeoJSON 文件 (*.geojson *.json)")
        if path is None:
            return
        try:
            rings = save_outline(self.context.store, path)
        except Exception as exc:  # noqa: BLE001 — PolicyError / OSError: a clear sentence
            messages.error(self, "导入县域边界", str(exc))
            return
        self.refresh()
        messages.info(self, "导入县域边界", f"已导入县域边界（{rings} 个多边形）：{path.name}")

    def print_map(self) -> None:
        data = self.canvas.data
        if data is None:
            return
        path = messages.save_file(self, "打印地图", "PDF 文件 (*.pdf)", "县域地图.pdf")
        if path is None:
            return
        from reports.county_map import write_map

        try:
            write_map(data, path, f"县域学校与交流流向图（{self.year.text()}）")
        except OSError as exc:
            messages.error(self, "打印地图", f"无法写入 {path}：{exc}")
            return
        messages.exported(self, "打印地图", f"已输出地图：{path}", path)


def legend_html() -> str:
    """The legend beside the map."""
    rows = ["<b>图例</b>"]
    rows += [f"<span style='color:{c}'>●</span> {name}学校" for name, c in LOCATION_COLOURS.items()]
    rows += [f"{ {'circle': '●', 'square': '■', 'diamond': '◆', 'triangle': '▲'}[shape]} {label}"
             for shape, label in SHAPE_LABELS.items()]
    rows.append("粗黑边框：牵头校；色块：集团范围")
    rows += [f"<span style='color:{c}'>┅</span> {kind}" for kind, c in PAIRING_COLOURS.items()]
    rows.append(f"<span style='color:{FLOW_COLOUR}'>→</span> 交流流向（线够长时标注人数）")
    return "<br>".join(rows)

