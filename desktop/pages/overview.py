"""概览: the county's key figures as tiles (one aggregate query set, db.overview)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from db.overview import Overview, county_overview
from desktop.context import AppContext
from desktop.pages.base import Page
from desktop.widgets import EmptyHint
from policy.calendar import school_year_label

#: What 概览 says when the store holds no school yet.
EMPTY_TEXT = ("尚无学校数据，请在“学校”页导入（“导入学校名单…”），或使用 edubridge import schools 学校.xlsx"
              "（模板：edubridge template schools 学校.xlsx）。")


def _count(n: int) -> str:
    return f"{n:,}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


class Tile(QFrame):
    """A key figure: caption, big value, one line of detail; a click opens the page behind it."""

    clicked = Signal()

    def __init__(self, key: str, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"tile_{key}")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(200)
        self.caption = QLabel(caption)
        self.value = QLabel("—")
        self.value.setObjectName("tileValue")
        font = self.value.font()
        font.setPointSize(font.pointSize() + 10)
        font.setBold(True)
        self.value.setFont(font)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setObjectName("tileDetail")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 12)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        layout.addWidget(self.detail)
        layout.addStretch(1)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit()
        super().mouseReleaseEvent(event)

    def show_value(self, value: str, detail: str = "", alert: bool = False) -> None:
        self.value.setText(value)
        self.value.setStyleSheet("color: #b3261e;" if alert else "color: #1d4e89;")
        self.detail.setText(detail)


TILES = (
    ("urban", "城区学校"), ("town", "镇区学校"), ("rural", "乡村学校"), ("points", "教学点"),
    ("students", "在校学生"), ("teachers", "在岗教师"), ("backbone", "骨干教师占比"), ("clusters", "集团与教共体"),
    ("coverage", "乡村学校纳入集团比例"), ("visits", "本学期帮扶活动"), ("exchanges", "本学年交流轮岗"),
)
#: The page that shows what each tile counts (keys of ``desktop.pages.PAGES``).
TILE_PAGES = {
    "urban": "schools", "town": "schools", "rural": "schools", "points": "schools", "students": "schools",
    "teachers": "teachers", "backbone": "teachers", "clusters": "clusters", "coverage": "clusters",
    "visits": "visits", "exchanges": "teachers",
}


class OverviewPage(Page):
    """Tiles with the county's figures; re-queried on every show."""

    #: A tile was clicked: the key of the page to open (the main window opens it).
    open_page = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.overview: Overview | None = None
        #: The day the figures are for; None = the real today (tests pin it).
        self.today: dt.date | None = None
        title = QLabel("全县概况")
        font = title.font()
        font.setPointSize(font.pointSize() + 6)
        font.setBold(True)
        title.setFont(font)
        self.subtitle = QLabel("")
        self.subtitle.setObjectName("overviewSubtitle")
        self.tiles = {key: Tile(key, caption) for key, caption in TILES}
        for key, tile in self.tiles.items():
            tile.clicked.connect(lambda page=TILE_PAGES[key]: self.open_page.emit(page))
        grid_host = QWidget()
        grid = QGridLayout(grid_host)
        grid.setSpacing(12)
        for n, (key, _) in enumerate(TILES):
            grid.addWidget(self.tiles[key], n // 4, n % 4)
        for column in range(4):
            grid.setColumnStretch(column, 1)
        grid.setRowStretch(grid.rowCount(), 1)
        self.empty_hint = EmptyHint(EMPTY_TEXT)
        self.empty_hint.setObjectName("overviewEmpty")
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.empty_hint.hide()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(grid_host)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.empty_hint, 1)
        layout.addWidget(scroll, 1)
        self.scroll_area = scroll  # not "scroll": that is QWidget.scroll()

    def refresh(self) -> None:
        o = county_overview(self.context.store, self.context.profile, self.today)
        self.overview = o
        self.subtitle.setText(
            f"截至 {o.today.year}年{o.today.month}月{o.today.day}日（{o.semester.label}） · 政策方案：{self.context.profile.name}"
        )
        empty = o.schools == 0
        self.empty_hint.setVisible(empty)
        self.scroll_area.setVisible(not empty)
        t = self.tiles
        t["urban"].show_value(_count(o.schools_by_location.get("城区", 0)), "所（不含教学点）")
        t["town"].show_value(_count(o.schools_by_location.get("镇区", 0)), "所（不含教学点）")
        t["rural"].show_value(_count(o.schools_by_location.get("乡村", 0)), "所（不含教学点）")
        t["points"].show_value(_count(o.teaching_points), f"个 · 学校与教学点合计 {o.schools:,} 所")
        t["students"].show_value(_count(o.students), "人")
        t["teachers"].show_value(_count(o.teachers), "人（今日有任职记录）")
        t["backbone"].show_value(_percent(o.backbone_share), f"{o.backbone_teachers:,} 名骨干教师")
        t["clusters"].show_value(_count(o.clusters), "个（未撤销）")
        scope = "、".join(o.coverage_locations) + "学校及教学点"
        target = o.coverage_target
        below = target is not None and o.coverage is not None and o.coverage < target
        detail = f"{scope}：{o.rural_covered:,} / {o.rural_schools:,} 所已纳入"
        if target is not None:
            detail += f"；要求 {_percent(target)}（{o.coverage_clause}）"
        t["coverage"].show_value(_percent(o.coverage), detail, alert=below)
        t["visits"].show_value(_count(o.visits_this_semester), f"次（{o.semester.label}）")
        t["exchanges"].show_value(_count(o.exchanges_this_year), f"人次（{school_year_label(o.school_year)}，不含已取消）")
