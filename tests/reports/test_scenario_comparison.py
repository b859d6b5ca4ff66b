"""The comparison printout as the official who signs it reads it (issue 18 check)."""

from __future__ import annotations

from reportlab.platypus import Paragraph

from reports import scenario_comparison


def test_a_long_list_of_differences_points_to_the_page_not_to_a_command(monkeypatch) -> None:
    """Seen on a held-out county: 457 teachers differ, 400 are printed, and the note sent the
    reader to ``edubridge plan compare --year 2027 --json``, a command line, in English."""
    monkeypatch.setattr(scenario_comparison, "MAX_ROWS", 2)
    teachers = [{"name": f"教师{i}", "school": "城关小学", "a": "留任", "b": "交流至 远山乡小学"} for i in range(5)]
    scenarios = [{"name": n, "status": "draft", "status_label": "草案", "settings_text": [], "pins": {},
                  "optimal": True, "solver": "最小费用流", "seconds": 0.1, "unmet": []} for n in ("基准", "近距离")]
    data = {"school_year": 2027, "scenarios": scenarios, "figures": [],
            "differences": [{"a": "基准", "b": "近距离", "count": 5, "teachers": teachers}]}
    text = "".join(f.getPlainText() for f in scenario_comparison.story(data) if isinstance(f, Paragraph))
    assert "另有 3 人未列出" in text
    assert "edubridge" not in text and "--json" not in text
    assert "“教师与交流”页“交流计划方案比较”" in text and "方案甲选“基准”、方案乙选“近距离”" in text
