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
