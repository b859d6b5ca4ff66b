"""Chinese numerals as names and documents write them (第十一方, 第二十三中学)."""

from __future__ import annotations

_DIGITS = "〇一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1 → 一, 11 → 十一, 20 → 二十, 35 → 三十五 (1 ≤ n ≤ 99)."""
    if not 1 <= n <= 99:
        raise ValueError(f"chinese_numeral covers 1–99, not {n}")
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else "十" if tens == 1 else _DIGITS[tens] + "十"
    return head + (_DIGITS[ones] if ones else "")
