"""GB 11643 ID numbers: what clerks type, what is rejected and why."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policy.idcard import IdNumberError, check_digit, cross_check, make_id_number, parse_id_number

# A published example number (GB 11643-1999 appendix): check digit X.
KNOWN_VALID = "11010519491231002X"


def test_known_number_decodes():
    info = parse_id_number(KNOWN_VALID)
    assert info.birth_date == dt.date(1949, 12, 31)
    assert info.gender == "女"
    assert info.region == "110105"


def test_lowercase_x_and_spaces_accepted():
    assert parse_id_number(" 11010519491231002x ").number == KNOWN_VALID


def test_fullwidth_digits_accepted():
    fullwidth = KNOWN_VALID[:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "ｘ"
    assert parse_id_number(fullwidth).number == KNOWN_VALID


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("1101051949123100", "应为18位"),
        ("11010519491231002Y", "末位为数字或X"),
        ("110105194912310021", "校验位错误"),
        ("110105194902300025", "不是有效日期"),  # 30 February
        ("110105209901010020", "不合理"),  # born in the future
    ],
)
def test_bad_numbers_say_what_is_wrong(raw, fragment):
    with pytest.raises(IdNumberError, match=fragment):
        parse_id_number(raw, today=dt.date(2026, 11, 23))


def test_leap_day_birth_is_valid():
    number = make_id_number("640121", dt.date(1984, 2, 29), 15)
    assert parse_id_number(number).birth_date == dt.date(1984, 2, 29)


@given(
    birth=st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2005, 12, 31)),
    sequence=st.integers(min_value=0, max_value=999),
)
def test_made_numbers_round_trip(birth, sequence):
    number = make_id_number("640121", birth, sequence)
    info = parse_id_number(number)
    assert info.birth_date == birth
    assert info.gender == ("男" if sequence % 2 else "女")


@given(
    birth=st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2005, 12, 31)),
    sequence=st.integers(min_value=0, max_value=999),
    position=st.integers(min_value=0, max_value=16),
    delta=st.integers(min_value=1, max_value=9),
)
def test_any_single_digit_change_is_caught(birth, sequence, position, delta):
    number = make_id_number("640121", birth, sequence)
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    # GB 11643's mod-11 check catches every single-digit substitution.
    assert check_digit(changed[:17]) != changed[17]
    with pytest.raises(IdNumberError):
        parse_id_number(changed)


def test_cross_check_reports_gender_and_birth():
    info = parse_id_number(KNOWN_VALID)
    problems = cross_check(info, gender="男", birth_date=dt.date(1949, 12, 30))
    assert len(problems) == 2
    assert "性别" in problems[0] and "出生日期" in problems[1]
    assert cross_check(info, gender="女", birth_date=dt.date(1949, 12, 31)) == []
