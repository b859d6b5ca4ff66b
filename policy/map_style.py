"""How the county map looks, shared by the screen and the PDF: colours by location class,
marker shapes by stage, a palette for clusters (no Qt, no reportlab: plain hex strings)."""

from __future__ import annotations

LOCATION_COLOURS = {"城区": "#1f4e79", "镇区": "#c55a11", "乡村": "#548235"}
#: marker shape per stage: circle (小学), square (初中), diamond (一贯制), triangle (教学点)
STAGE_SHAPES = {"小学": "circle", "初中": "square", "九年一贯制": "diamond", "十二年一贯制": "diamond",
                "教学点": "triangle"}
SHAPE_LABELS = {"circle": "小学", "square": "初中", "diamond": "九年/十二年一贯制", "triangle": "教学点"}
CLUSTER_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                   "#9c755f", "#bab0ac", "#86bcb6", "#d37295")
PAIRING_COLOURS = {"包片包抓": "#7030a0", "手拉手": "#2e75b6"}
FLOW_COLOUR = "#c00000"


def cluster_colour(index: int) -> str:
    return CLUSTER_PALETTE[index % len(CLUSTER_PALETTE)]
