"""The school calendar: school years, semesters and completed years of tenure.

School year N runs from the profile's start day (1 September by default) of N to the
day before that in N+1; semester 2 starts on the profile's second-semester day
(1 February by default). POLICY.md §5.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from policy.errors import PolicyError


@dataclass(frozen=True, slots=True)
class CalendarDates:
    """Month and day on which the school year and the second semester begin."""

    year_start: tuple[int, int] = (9, 1)
    semester2_start: tuple[int, int] = (2, 1)


DEFAULT_DATES = CalendarDates()


@dataclass(frozen=True, slots=True, order=True)
class Semester:
    """Semester 1 or 2 of school year ``year`` (which starts in calendar year ``year``)."""

    year: int
    number: int

    @property
    def code(self) -> str:
        """``2025-1`` style code used on the command line."""
        return f"{self.year}-{self.number}"

    @property
    def label(self) -> str:
        """Chinese label, e.g. ``2025—2026学年第一学期``."""
        return f"{school_year_label(self.year)}{'第一学期' if self.number == 1 else '第二学期'}"

    @classmethod
    def parse(cls, code: str) -> Semester:
        """Parse ``Y-1`` or ``Y-2``; PolicyError (a ValueError) with a Chinese message otherwise."""
        try:
            year_text, number_text = code.strip().split("-")
            year, number = int(year_text), int(number_text)
        except ValueError:
            raise PolicyError(f"学期应写作“年份-1”或“年份-2”，如 2025-1：{code}") from None
        if number not in (1, 2) or not 1900 <= year <= 2200:
            raise PolicyError(f"学期应写作“年份-1”或“年份-2”，如 2025-1：{code}")
        return cls(year, number)


@dataclass(frozen=True, slots=True)
class Span:
    """The days from ``first`` to ``last``, both included; ``last`` None: still running.

    The one end convention of every date interval the rules check: the end is the last day
    *in* the span — what postings, pairings, exemptions, waivers, agreements and exchanges
    store (``end``, ``end_on``, ``term_end``). A membership stores the first day *out*
    instead (``left_on``: a school is no longer a member on the day it left); :meth:`left`
    turns that into a Span, so no check compares a ``left_on`` by hand.
    ``db.spans`` asks the same questions in SQL.
    """

    first: dt.date
    last: dt.date | None = None

    @classmethod
    def left(cls, joined: dt.date, left_on: dt.date | None) -> Span:
        """A membership's days: from ``joined`` to the day before ``left_on``."""
        return cls(joined, None if left_on is None else left_on - dt.timedelta(days=1))

    @property
    def empty(self) -> bool:
        """No day at all (a join undone on its own day: ``left_on == joined``)."""
        return self.last is not None and self.last < self.first

    def contains(self, day: dt.date) -> bool:
        return self.first <= day and (self.last is None or day <= self.last)

    def overlaps(self, other: Span) -> bool:
        """At least one day in both (an open end runs on for ever)."""
        return ((other.last is None or self.first <= other.last)
                and (self.last is None or other.first <= self.last))


def _on(year: int, month_day: tuple[int, int]) -> dt.date:
    return dt.date(year, *month_day)


def school_year_of(day: dt.date, dates: CalendarDates = DEFAULT_DATES) -> int:
    """The school year a date belongs to (named by the calendar year it starts in)."""
    return day.year if day >= _on(day.year, dates.year_start) else day.year - 1


def school_year_label(year: int) -> str:
    """``2025—2026学年``."""
    return f"{year}—{year + 1}学年"


def school_year_bounds(year: int, dates: CalendarDates = DEFAULT_DATES) -> tuple[dt.date, dt.date]:
    """First and last day of school year ``year``."""
    start = _on(year, dates.year_start)
    return start, _on(year + 1, dates.year_start) - dt.timedelta(days=1)


def semester_of(day: dt.date, dates: CalendarDates = DEFAULT_DATES) -> Semester:
    """The semester a date falls in; the summer and winter breaks belong to the semester before."""
    year = school_year_of(day, dates)
    second = _on(year + 1, dates.semester2_start)
    return Semester(year, 2 if day >= second else 1)


def semester_bounds(semester: Semester, dates: CalendarDates = DEFAULT_DATES) -> tuple[dt.date, dt.date]:
    """First and last day of a semester."""
    first_day, last_of_year = school_year_bounds(semester.year, dates)
    second = _on(semester.year + 1, dates.semester2_start)
    if semester.number == 1:
        return first_day, second - dt.timedelta(days=1)
    return second, last_of_year


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 2, 28)


def chinese_date(day: dt.date) -> str:
    """2025-09-01 → '2025年9月1日' (the form documents and agreements are dated in)."""
    return f"{day.year}年{day.month}月{day.day}日"


def completed_years(start: dt.date, reference: dt.date) -> int:
    """Whole years from ``start`` to ``reference`` (anniversary counts as completed).

    A start on 29 February completes its year on 28 February of a common year, which
    is how personnel offices count it. A start after the reference gives 0.
    """
    if reference <= start:
        return 0
    years = reference.year - start.year
    try:
        anniversary = start.replace(year=reference.year)
    except ValueError:  # 29 February in a common year
        anniversary = dt.date(reference.year, 2, 28)
    if reference < anniversary:
        years -= 1
    return years
