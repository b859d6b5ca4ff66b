"""Chinese for argparse: its usage and error messages, and help text that wraps Chinese.

Why a table patched into argparse rather than a gettext catalogue: argparse looks its
messages up through ``gettext.gettext`` (bound at import as ``argparse._`` and
``argparse.ngettext``), i.e. in gettext's global "messages" domain, whose language comes
from LANGUAGE / LC_ALL / LC_MESSAGES / LANG. A Chinese Windows desktop sets none of these,
so a compiled ``.mo`` file would only be found on some machines, and binding the global
domain would also capture every other library's messages. Instead :func:`install` points
argparse's two lookup names at :data:`MESSAGES`; strings not in the table (mostly
programming errors such as "conflicting option string") fall through to gettext
unchanged. It is process-wide, idempotent and done by ``desktop.cli.build_parser`` before
the first parser is made (argparse translates "-h" help and group titles at construction).

Help text: argparse wraps with :mod:`textwrap`, which sees a Chinese sentence as one long
word and cuts it anywhere — inside "teachers" too. :class:`HelpFormatter` wraps by display
width instead: it may break between Chinese characters, never inside a Latin word or
number, and keeps closing punctuation off the start of a line.
"""

from __future__ import annotations

import argparse
import gettext
import re
import unicodedata

#: argparse's message ids (Python 3.11–3.13) and their Chinese.
MESSAGES: dict[str, str] = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "optional arguments": "选项",
    "show this help message and exit": "显示此帮助信息并退出",
    "show program's version number and exit": "显示程序版本号并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "one of the arguments %s is required": "参数 %s 必须提供其中一个",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选择：%(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "%(value)r 不是有效的 %(type)s 值",
    "expected one argument": "需要一个值",
    "expected at most one argument": "最多只能有一个值",
    "expected at least one argument": "至少需要一个值",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 有歧义，可能是：%(matches)s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "ignored explicit argument %r": "此选项不接受值：%r",
    "unexpected option string: %s": "意外的选项：%s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "未知的子命令 %(parser_name)r（可选：%(choices)s）",
    "can't open '%(filename)s': %(error)s": "无法打开“%(filename)s”：%(error)s",
}

#: ngettext ids: (singular, plural) → Chinese (which has no plural form).
PLURAL_MESSAGES: dict[tuple[str, str], str] = {
    ("expected %s argument", "expected %s arguments"): "需要 %s 个值",
}


def translate(message: str) -> str:
    """argparse's ``_``: the Chinese of ``message``, or gettext's answer for anything else."""
    return MESSAGES.get(message) or gettext.gettext(message)


def ntranslate(singular: str, plural: str, n: int) -> str:
    """argparse's ``ngettext``."""
    return PLURAL_MESSAGES.get((singular, plural)) or gettext.ngettext(singular, plural, n)


def install() -> None:
    """Make argparse speak Chinese (process-wide, idempotent)."""
    argparse._ = translate  # type: ignore[attr-defined]  # argparse reads its gettext hooks from the module
    argparse.ngettext = ntranslate  # type: ignore[attr-defined]  # (as above)


# --- wrapping -------------------------------------------------------------------------

# A chunk is a run of whitespace, a run of printable ASCII (a Latin word, number, option,
# path) or a single other character.
_CHUNK = re.compile(r"\s+|[!-~]+|.", re.DOTALL)
_NO_LINE_START = set("，。、：；！？）》」』】〉”’…—,.;:!?)]}")
_NO_LINE_END = set("（《「『【〈“‘([{")


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _chunks(text: str) -> list[str]:
    """Unbreakable pieces: closing punctuation sticks to what precedes it, opening to what follows."""
    out: list[str] = []
    glue_next = False
    for piece in _CHUNK.findall(text):
        if piece.isspace():
            out.append(piece)
            glue_next = False
            continue
        if out and not out[-1].isspace() and (glue_next or piece[0] in _NO_LINE_START):
            out[-1] += piece
        else:
            out.append(piece)
        glue_next = piece[-1] in _NO_LINE_END
    return out


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns; a piece longer than a line stays whole."""
    lines: list[str] = []
    line, used = "", 0
    for chunk in _chunks(text):
        size = display_width(chunk)
        if chunk.isspace():
            if line:
                line, used = line + " ", used + 1
            continue
        if line and used + size > width:
            lines.append(line.rstrip())
            line, used = "", 0
        line, used = line + chunk, used + size
    if line.strip():
        lines.append(line.rstrip())
    return lines


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, wrapping help and descriptions with :func:`wrap`."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap(self._whitespace_matcher.sub(" ", text).strip(), width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        lines = wrap(self._whitespace_matcher.sub(" ", text).strip(), max(width - len(indent), 11))
        return "\n".join(indent + line for line in lines)


class ArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser using :class:`HelpFormatter`; subcommand parsers inherit the class."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # ArgumentParser's keyword arguments, passed on unchanged
