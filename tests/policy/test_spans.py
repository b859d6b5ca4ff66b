"""The one date-interval type (issue 17): both ends included; a membership's left_on is the first day out."""

import datetime as dt

import pytest

from policy.calendar import Span, chinese_date
from policy.numerals import chinese_numeral

D = dt.date


@pytest.mark.parametrize(("span", "day", "inside"), [
    (Span(D(2025, 9, 1), D(2026, 8, 31)), D(2025, 9, 1), True),  # first day in
    (Span(D(2025, 9, 1), D(2026, 8, 31)), D(2026, 8, 31), True),  # last day in
    (Span(D(2025, 9, 1), D(2026, 8, 31)), D(2026, 9, 1), False),
    (Span(D(2025, 9, 1), D(2026, 8, 31)), D(2025, 8, 31), False),
    (Span(D(2025, 9, 1)), D(2099, 1, 1), True),  # still running
    (Span.left(D(2025, 9, 1), D(2026, 3, 1)), D(2026, 2, 28), True),
    (Span.left(D(2025, 9, 1), D(2026, 3, 1)), D(2026, 3, 1), False),  # the day it left is not a member's day
])
def test_contains(span: Span, day: dt.date, inside: bool) -> None:
    assert span.contains(day) is inside


def test_a_join_undone_on_its_day_is_empty_and_meets_nothing() -> None:
    undone = Span.left(D(2025, 9, 1), D(2025, 9, 1))
    assert undone.empty and not undone.contains(D(2025, 9, 1))
    assert not Span.left(D(2025, 9, 1), D(2025, 9, 2)).empty


@pytest.mark.parametrize(("a", "b", "meet"), [
    (Span(D(2025, 9, 1), D(2025, 12, 31)), Span(D(2025, 12, 31), D(2026, 1, 31)), True),  # one shared day
    (Span(D(2025, 9, 1), D(2025, 12, 31)), Span(D(2026, 1, 1), D(2026, 1, 31)), False),
    (Span(D(2025, 9, 1)), Span(D(2030, 1, 1), D(2030, 1, 2)), True),
    (Span.left(D(2025, 9, 1), D(2026, 1, 1)), Span(D(2026, 1, 1), D(2026, 6, 30)), False),
])
def test_overlaps_both_ways(a: Span, b: Span, meet: bool) -> None:
    assert a.overlaps(b) is meet and b.overlaps(a) is meet


def test_chinese_forms() -> None:
    assert chinese_date(D(2025, 9, 1)) == "2025年9月1日"
    assert [chinese_numeral(n) for n in (1, 10, 11, 20, 35, 99)] == ["一", "十", "十一", "二十", "三十五", "九十九"]
    with pytest.raises(ValueError):
        chinese_numeral(100)
