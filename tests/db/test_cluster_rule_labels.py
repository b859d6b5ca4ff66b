"""Every violation the demo county shows has a Chinese name for the clerk."""

import datetime as dt

from db.clusters import check_store
from db.settings import active_profile
from policy.clusters import RULE_LABELS


def test_every_rule_of_the_demo_has_a_label(demo_store):
    result = check_store(demo_store, active_profile(demo_store), dt.date(2026, 11, 23))
    rules = {v.rule for v in result.violations}
    assert len(rules) >= 6
    assert rules <= set(RULE_LABELS)


def test_statistics_total_equals_its_rows_and_names_a_school_in_two_clusters(demo_store):
    """The demo has one school in two clusters at once (a deliberate membership.overlap): it is
    counted in both rows, 合计 is the sum of the rows, and a note names it with the distinct count."""
    from reports.statistics_form import statistics_form

    on = dt.date(2026, 11, 23)
    result = check_store(demo_store, active_profile(demo_store), on)
    overlap = next(v for v in result.violations if v.rule == "membership.overlap")
    form = statistics_form(demo_store, on, include_all=True)
    for header in ("学校数", "其中乡村学校(含教学点)", "在校学生数", "班级数", "专任教师数"):
        column = form.column(header)
        assert form.total[column] == sum(r[column] for r in form.cluster_rows), header
    schools = form.column("学校数")
    note = next(n for n in form.notes if "同时属于两个集团(学区)" in n)
    assert f"不重复计算时学校共{form.total[schools] - 1}所" in note
    assert any(overlap.subject in r[form.column("存在问题（依据）")] or "同时属于" in r[form.column("存在问题（依据）")]
               for r in form.rows)
