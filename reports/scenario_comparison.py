"""The printable comparison of a year's plan scenarios (issue 18): each scenario's settings,
the figures side by side, and the teachers whose outcome differs.

It prints what :func:`db.scenarios.comparison` computed; nothing is recomputed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from reportlab.platypus import Flowable

from policy.county_map import MapData
from reports.county_map import map_section
from reports.pdf import Col, DocInfo, body, build_pdf, heading, note, table

#: Rows printed per pair of scenarios; the rest are counted, and all are in the JSON.
MAX_ROWS = 400


def _settings_text(lines: list[str]) -> str:
    return "；".join(lines) or "按政策方案原值"


def reference(data: Mapping[str, Any]) -> str | None:
    """The scenario the teacher lists are printed against: the approved one, else the first."""
    scenarios = data["scenarios"]
    approved = [s["name"] for s in scenarios if s["status"] == "approved"]
    return approved[0] if approved else (scenarios[0]["name"] if scenarios else None)


def story(data: Mapping[str, Any], county_map: MapData | None = None) -> list[Flowable]:
    """The comparison as flowables; ``county_map``: the reference scenario's moves on the
    county map (:func:`db.scenarios.flows_map`), printed last."""
    scenarios = data["scenarios"]
    flow: list[Flowable] = [heading("一、各方案的设置")]
    flow.append(table(
        [Col("方案", 1.2), Col("状态", 0.6, align="center"), Col("设置（政策指标）", 3.0),
         Col("指定教师", 0.7, numeric=True), Col("求解", 2.2)],
        [[s["name"], s["status_label"], _settings_text(s["settings_text"]), len(s["pins"]),
          f"{'最优解' if s['optimal'] else '未证明最优'}（{s['solver']}，{float(s['seconds'] or 0):.1f} 秒）"]
         for s in scenarios]))
    flow.append(heading("二、主要指标"))
    flow.append(table([Col("指标", 2.2), *(Col(s["name"], 1.0, numeric=True) for s in scenarios)],
                      [[f"{row['label']}" + (f"（{row['unit']}）" if row["unit"] != "%" else ""), *row["texts"]]
                       for row in data["figures"]]))
    flow.append(note("交通成本为各交流教师原学校到交流学校的直线距离之和（单程）；学校无坐标时距离未知，不计入。"))
    for s in scenarios:
        for line in s["unmet"]:
            flow.append(note(f"方案“{s['name']}”未满足：{line}"))
    flow.append(heading("三、结果不同的教师"))
    flow.append(table([Col("方案", 1.5), Col("比较方案", 1.5), Col("结果不同的教师", 1.0, numeric=True)],
                      [[p["a"], p["b"], p["count"]] for p in data["differences"]]))
    chosen = reference(data)
    for pair in data["differences"]:
        if chosen not in (pair["a"], pair["b"]) or not pair["count"]:
            continue
        flow.append(heading(f"“{pair['a']}”与“{pair['b']}”", level=2))
        rows = pair["teachers"][:MAX_ROWS]
        flow.append(table([Col("姓名", 0.8), Col("原学校", 1.0), Col(f"“{pair['a']}”", 2.0), Col(f"“{pair['b']}”", 2.0)],
                          [[t["name"], t["school"], t["a"], t["b"]] for t in rows], font_size=8))
        if pair["count"] > len(rows):
            flow.append(note(f"另有 {pair['count'] - len(rows)} 人未列出，完整名单见程序“教师与交流”页"
                             f"“交流计划方案比较”，方案甲选“{pair['a']}”、方案乙选“{pair['b']}”。"))
    if len(scenarios) < 2:
        flow.append(body("只有一个方案，没有可比较的结果。"))
    if county_map is not None:
        flow += map_section(county_map, f"四、方案“{chosen}”的交流流向图", flows="本方案交流流向")
    return flow


def write_comparison(data: Mapping[str, Any], target: str | Path | IO[bytes], bureau: str = "",
                     county_map: MapData | None = None) -> int:
    """Write the comparison PDF (with the reference scenario's map when given); returns its page count."""
    year = int(data["school_year"])
    info = DocInfo(title=f"{year}—{year + 1}学年交流轮岗计划方案比较", bureau=bureau)
    return build_pdf(target, info, lambda: story(data, county_map), cover_page=False)
