"""School years, semesters and completed years, at their edges."""

import datetime as dt

import pytest

from policy.calendar import (
    CalendarDates,
    Semester,
    completed_years,
    school_year_bounds,
    school_year_label,
    school_year_of,
    semester_bounds,
    semester_of,
)


@pytest.mark.parametrize(
    ("day", "year", "semester"),
    [
        (dt.date(2025, 9, 1), 2025, 1),
        (dt.date(2025, 8, 31), 2024, 2),
        (dt.date(2026, 1, 31), 2025, 1),
        (dt.date(2026, 2, 1), 2025, 2),
        (dt.date(2024, 2, 29), 2023, 2),
        (dt.date(2025, 12, 31), 2025, 1),
    ],
)
def test_school_year_and_semester_of_a_day(day, year, semester):
    assert school_year_of(day) == year
    assert semester_of(day) == Semester(year, semester)


def test_profile_may_move_the_dates():
    dates = CalendarDates(year_start=(8, 25), semester2_start=(2, 20))
    assert school_year_of(dt.date(2025, 8, 25), dates) == 2025
    assert semester_of(dt.date(2026, 2, 19), dates) == Semester(2025, 1)
    assert semester_bounds(Semester(2025, 2), dates) == (dt.date(2026, 2, 20), dt.date(2026, 8, 24))


def test_bounds_cover_the_year_without_gaps():
    first, last = school_year_bounds(2025)
    s1 = semester_bounds(Semester(2025, 1))
    s2 = semester_bounds(Semester(2025, 2))
    assert (first, last) == (dt.date(2025, 9, 1), dt.date(2026, 8, 31))
    assert s1[0] == first and s2[1] == last
    assert s1[1] + dt.timedelta(days=1) == s2[0]
    # 2024's second semester spans 29 February.
    assert semester_bounds(Semester(2023, 1))[1] == dt.date(2024, 1, 31)


def test_labels_and_codes():
    assert school_year_label(2025) == "2025—2026学年"
    assert Semester(2025, 2).label == "2025—2026学年第二学期"
    assert Semester.parse(" 2025-1 ") == Semester(2025, 1)
    for bad in ("2025", "2025-3", "x-1"):
        with pytest.raises(ValueError, match="学期应写作"):
            Semester.parse(bad)


@pytest.mark.parametrize(
    ("start", "reference", "years"),
    [
        (dt.date(2016, 9, 1), dt.date(2025, 9, 1), 9),  # posting that starts on 1 September
        (dt.date(2016, 9, 2), dt.date(2025, 9, 1), 8),
        (dt.date(2013, 9, 1), dt.date(2025, 9, 1), 12),
        (dt.date(2016, 2, 29), dt.date(2025, 2, 28), 9),  # leap-day start, common-year anniversary
        (dt.date(2016, 2, 29), dt.date(2025, 2, 27), 8),
        (dt.date(2016, 2, 29), dt.date(2024, 2, 29), 8),
        (dt.date(2025, 9, 2), dt.date(2025, 9, 1), 0),  # starts after the reference
    ],
)
def test_completed_years(start, reference, years):
    assert completed_years(start, reference) == years
