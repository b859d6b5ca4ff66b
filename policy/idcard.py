"""Resident ID-card numbers (GB 11643-1999): check digit, birth date, gender.

Clerks type these by hand, so every failure names what is wrong in Chinese, and a
lowercase ``x`` check digit is accepted (normalised to ``X``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from policy.errors import PolicyError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_EARLIEST_BIRTH = dt.date(1900, 1, 1)

MALE = "男"
FEMALE = "女"


class IdNumberError(PolicyError):
    """An ID-card number that fails GB 11643."""


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A validated 18-digit ID number and what it encodes."""

    number: str
    region: str
    birth_date: dt.date
    gender: str


def check_digit(first17: str) -> str:
    """The GB 11643 check character (0–9 or X) for the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalise(raw: str) -> str:
    """Strip spaces (including full-width ones) and upper-case a trailing x."""
    text = raw.strip().replace(" ", "").replace("\u3000", "")
    text = text.translate(_FULLWIDTH_DIGITS)
    return text.upper()


_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789XX")


def parse_id_number(raw: str, *, today: dt.date | None = None) -> IdNumber:
    """Validate an ID number and decode it.

    Raises:
        IdNumberError: with a message that says which part is wrong.
    """
    number = normalise(raw)
    if len(number) != 18:
        raise IdNumberError(f"身份证号应为18位，实为{len(number)}位：{raw.strip()}")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberError(f"身份证号前17位须为数字、末位为数字或X：{number}")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError(f"身份证号中的出生日期{number[6:14]}不是有效日期：{number}") from None
    today = today or dt.date.today()
    if not _EARLIEST_BIRTH <= birth <= today:
        raise IdNumberError(f"身份证号中的出生日期{birth.isoformat()}不合理：{number}")
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise IdNumberError(f"身份证号校验位错误：末位应为{expected}，实为{number[17]}：{number}")
    gender = MALE if int(number[16]) % 2 == 1 else FEMALE
    return IdNumber(number=number, region=number[:6], birth_date=birth, gender=gender)


def make_id_number(region: str, birth: dt.date, sequence: int) -> str:
    """Build a valid number; ``sequence`` (0–999) odd for men, even for women."""
    if len(region) != 6 or not region.isdigit() or not 0 <= sequence <= 999:
        raise ValueError("region must be 6 digits and sequence 0–999")
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


def cross_check(id_number: IdNumber, *, gender: str | None, birth_date: dt.date | None) -> list[str]:
    """Messages for every disagreement between the number and the typed gender/birth date."""
    problems = []
    if gender and gender != id_number.gender:
        problems.append(f"性别“{gender}”与身份证号不符（号码表明为{id_number.gender}）")
    if birth_date and birth_date != id_number.birth_date:
        problems.append(
            f"出生日期{birth_date.isoformat()}与身份证号不符（号码表明为{id_number.birth_date.isoformat()}）"
        )
    return problems


def masked(number: object) -> object:
    """640122198001011234 → 640122********1234: region and last four kept, for lists whose
    reader must tell people apart but needs no one's full ID number (tables, circulated lists).
    Anything shorter than ten characters is returned as it is."""
    text = str(number or "")
    if len(text) < 10:
        return number
    return text[:6] + "*" * (len(text) - 10) + text[-4:]
