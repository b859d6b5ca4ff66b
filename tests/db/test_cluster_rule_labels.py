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


def test_statistics_total_counts_a_school_in_two_clusters_once(demo_store):
    """The demo has one school in two clusters at once (a deliberate membership.overlap)."""
    from reports.cluster_sheets import statistics_table

    result = check_store(demo_store, active_profile(demo_store), dt.date(2026, 11, 23))
    assert any(v.rule == "membership.overlap" for v in result.violations)
    rows, total = statistics_table(demo_store, dt.date(2026, 11, 23))
    assert total[6] == sum(r[6] for r in rows) - 1
