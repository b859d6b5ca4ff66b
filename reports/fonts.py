"""Chinese fonts for reportlab PDFs.

EduBridge ships its own Simplified Chinese fonts (``resources/fonts``, see the
README there) so that PDFs come out right on a machine with no Chinese font
installed.  They are TrueType-outline builds of Noto Sans SC and Noto Serif SC,
because reportlab embeds only TrueType (``glyf``) outlines and rejects the CFF
outlines that every upstream Noto CJK file uses.  reportlab embeds them as
subsets (only the glyphs used), so PDFs stay small.

Usage::

    from reports.fonts import SANS, SANS_BOLD, SERIF, cjk_style, register_fonts

    register_fonts()                   # idempotent; cjk_style() calls it too
    body = cjk_style("body", 10.5)     # Noto Sans SC, CJK line breaking
    clause = cjk_style("clause", 12, font=SERIF)   # 宋体-like, for agreements
    story = [Paragraph("城乡<b>教共体</b>协议", clause)]
    canvas.setFont(SANS, 9)            # canvas-level drawing works too

Line breaking: reportlab's Paragraph only breaks lines at spaces unless the
style has ``wordWrap='CJK'``.  Chinese text has no spaces, so without it a long
Chinese paragraph overflows the frame as one line.  ``cjk_style()`` sets it;
if you build a ``ParagraphStyle`` yourself, set ``wordWrap='CJK'`` as well
(it also applies the usual rules: no line starts with 。，、」 etc.).

Helvetica: reportlab starts every page with Helvetica selected, so a PDF
always references a non-embedded Helvetica, even if no text uses it.  Pass
``**canvas_kwargs()`` to ``SimpleDocTemplate``/``BaseDocTemplate`` or
``Canvas`` to start pages in Noto Sans SC instead; then every font in the PDF
is embedded::

    SimpleDocTemplate(path, pagesize=A4, **canvas_kwargs()).build(story)

Rare characters: the faces cover CJK Extension A (䶮 㛃 㙟) and the 196 characters of
通用规范汉字表 beyond U+FFFF (𫖯), so teachers' names print in full. Any other character a face
lacks (𠮷 U+20BB7) is drawn from ``NotoSansSC-Supplement.ttf`` or, failing that, from a TrueType
font of the machine (:class:`_FallingBackTTFont`, :mod:`reports.fallback_fonts`); one that no
font has is collected by ``fallback_fonts.unprintable()`` so the clerk is told.  reportlab writes the
ToUnicode map of a character beyond U+FFFF as five hex digits, which PDF readers reject
(the character would copy and search as garbage); ``register_fonts()`` installs
:func:`_to_unicode_cmap`, which writes the UTF-16 surrogate pair the PDF format asks for.

Bold: the names are registered as font families, so ``<b>`` inside a Paragraph
switches to the Bold face (for the serif, to Noto Serif SC Bold when it is
bundled, otherwise the regular face is used).  There is no italic Chinese face;
``<i>`` falls back to the upright face.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

__all__ = [
    "SANS",
    "SANS_BOLD",
    "SERIF",
    "SERIF_BOLD",
    "canvas_kwargs",
    "cjk_style",
    "fonts_dir",
    "register_fonts",
]

#: reportlab font names (also usable as ``fontName`` in styles and tables).
SANS = "NotoSansSC"
SANS_BOLD = "NotoSansSC-Bold"
SERIF = "NotoSerifSC"
#: Bold serif; an alias of ``SERIF`` if the bold serif file is not bundled.
SERIF_BOLD = "NotoSerifSC-Bold"
#: The rest of CJK Extensions B–G that Noto draws (𠮷), used by the four faces above for the
#: characters they lack (:mod:`reports.fallback_fonts`); not meant to be chosen as a font.
SUPPLEMENT = "NotoSansSC-Supplement"

# reportlab name -> file name under resources/fonts.
_FILES: dict[str, str] = {
    SANS: "NotoSansSC-Regular.ttf",
    SANS_BOLD: "NotoSansSC-Bold.ttf",
    SERIF: "NotoSerifSC-Regular.ttf",
    SERIF_BOLD: "NotoSerifSC-Bold.ttf",
    SUPPLEMENT: "NotoSansSC-Supplement.ttf",
}
_OPTIONAL = {SERIF_BOLD}
#: The faces that fall back (to the supplement, then to the machine's fonts).
_MAIN = (SANS, SANS_BOLD, SERIF, SERIF_BOLD)

_lock = threading.Lock()
_registered = False


def fonts_dir() -> Path:
    """Directory holding the bundled font files."""
    try:
        from resources import resource_path
    except ImportError:  # resources package not importable: fall back to the tree
        return Path(__file__).resolve().parent.parent / "resources" / "fonts"
    return resource_path("fonts")


def register_fonts() -> None:
    """Register the bundled fonts with reportlab (safe to call repeatedly).

    Registers ``SANS``, ``SANS_BOLD``, ``SERIF`` and ``SERIF_BOLD`` plus the
    families ``SANS`` and ``SERIF`` so that ``<b>`` works in Paragraphs. The files are
    read when a face is first used (see :class:`_LazyTTFont`), so this is cheap.

    Raises:
        FileNotFoundError: a required font file is missing.
    """
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        ttfonts.makeToUnicodeCMap = _to_unicode_cmap
        _extend_cannot_start()
        directory = fonts_dir()
        for name, file_name in _FILES.items():
            path = directory / file_name
            if not path.is_file():
                if name in _OPTIONAL:
                    continue
                raise FileNotFoundError(
                    f"bundled font {file_name} not found in {directory}; "
                    "the installation is incomplete"
                )
            if name not in pdfmetrics.getRegisteredFontNames():
                _register_lazily((_FallingBackTTFont if name in _MAIN else _LazyTTFont)(name, str(path)))
        serif_bold = SERIF_BOLD if SERIF_BOLD in pdfmetrics.getRegisteredFontNames() else SERIF
        pdfmetrics.registerFontFamily(
            SANS, normal=SANS, bold=SANS_BOLD, italic=SANS, boldItalic=SANS_BOLD
        )
        pdfmetrics.registerFontFamily(
            SERIF, normal=SERIF, bold=serif_bold, italic=SERIF, boldItalic=serif_bold
        )
        _registered = True


class _LazyTTFont(TTFont):
    """A ``TTFont`` that reads its file when first used, not when registered.

    Parsing one of the bundled files (cmap and widths of ~30,000 glyphs) takes a good
    tenth of a second; a document that uses only the sans faces never pays for the serif
    ones. Any instance attribute (``face``, ``encoding``, ``state``…) is missing until the
    file is read, so the first access of one — a string width, embedding the subset —
    loads it (once, under a lock; the loaded font's attributes arrive in one update).
    """

    def __init__(self, name: str, filename: str) -> None:  # the file is read in __getattr__
        self.__dict__["fontName"] = name
        self.__dict__["_lazy_file"] = filename

    def __getattr__(self, attr: str) -> object:
        if attr.startswith("__") or "_lazy_file" not in self.__dict__:
            raise AttributeError(attr)
        with _load_lock:
            filename = self.__dict__.get("_lazy_file")
            if filename is not None:
                loaded = TTFont(self.fontName, filename)
                self.__dict__.update(loaded.__dict__)
                del self.__dict__["_lazy_file"]
        return getattr(self, attr)


_load_lock = threading.Lock()


#: Categories that draw nothing by themselves: controls, format characters, separators,
#: surrogates. Unassigned ones (Cn) count: Python's Unicode data may predate the character
#: (Python 3.11 knows Unicode 14, not Extension H or I).
_NOT_DRAWN = {"Cc", "Cf", "Zs", "Zl", "Zp", "Cs"}


class _FallingBackTTFont(_LazyTTFont):
    """A bundled face that draws the characters it lacks in another font.

    reportlab draws a TrueType string as the runs :meth:`splitString` returns, each
    ``(subset, bytes)`` set with ``getSubsetInternalName(subset)``. Here a run of characters
    this face lacks comes back as the runs of the font :func:`fallback_fonts.fallback_for`
    names, with the subset ``(that font's name, its subset)``, which
    :meth:`getSubsetInternalName` hands to that font — so it is embedded as well, and every
    way text reaches a page (Paragraph, table cell, ``drawString``, chart label) falls back,
    in every face, with no change to the code that lays documents out. A character no font has
    stays in this face (an empty box) and is recorded (:func:`fallback_fonts.record`).
    """

    def _foreign(self, text: str) -> set[int]:
        """The code points of ``text`` this face lacks (spaces and controls aside)."""
        if text.isascii():  # every face has Basic Latin
            return set()
        face: Any = self.face  # reportlab's TTFontFace (untyped)
        covered = face.charToGlyph  # (set minus its keys() would copy all ~30,000 of them)
        return {c for c in map(ord, text) if c not in covered and unicodedata.category(chr(c)) not in _NOT_DRAWN}

    def _runs(self, text: str, foreign: set[int]) -> Iterator[tuple[str | None, str]]:
        """``text`` cut into (font for the run, or None for this face, run)."""
        from reports import fallback_fonts

        bundled = [SUPPLEMENT] if SUPPLEMENT in pdfmetrics.getRegisteredFontNames() else []
        start, current = 0, None
        for at, ch in enumerate(text):
            code = ord(ch)
            owner = fallback_fonts.fallback_for(code, bundled) if code in foreign else None
            if owner != current and at > start:
                yield current, text[start:at]
                start = at
            current = owner
        if start < len(text):
            yield current, text[start:]

    def splitString(self, text: str | bytes, doc: Any, encoding: str = "utf-8") -> list[tuple[Any, bytes]]:  # noqa: N802
        if isinstance(text, bytes):
            text = text.decode(encoding)
        foreign = self._foreign(text)
        if not foreign:
            return cast(list[tuple[Any, bytes]], super().splitString(text, doc, encoding))
        from reports import fallback_fonts

        runs: list[tuple[Any, bytes]] = []
        for owner, run in self._runs(text, foreign):
            if owner is None:
                for ch in run:
                    if ord(ch) in foreign:
                        fallback_fonts.record(ch, text)
                runs += super().splitString(run, doc, encoding)
            else:
                runs += [((owner, subset), data) for subset, data in
                         pdfmetrics.getFont(owner).splitString(run, doc, encoding)]
        return runs

    def getSubsetInternalName(self, subset: Any, doc: Any) -> str:  # noqa: N802
        if isinstance(subset, tuple):
            owner, number = subset
            return cast(str, pdfmetrics.getFont(owner).getSubsetInternalName(number, doc))
        return cast(str, super().getSubsetInternalName(subset, doc))

    def stringWidth(self, text: str | bytes, size: float, encoding: str = "utf8") -> float:  # noqa: N802
        if isinstance(text, bytes):
            text = text.decode(encoding)
        foreign = self._foreign(text)
        if not foreign:
            return cast(float, super().stringWidth(text, size, encoding))
        width = 0.0
        for owner, run in self._runs(text, foreign):
            if owner is None:
                width += cast(float, super().stringWidth(run, size, encoding))
            else:
                width += cast(float, pdfmetrics.getFont(owner).stringWidth(run, size, encoding))
        return width


def _register_lazily(font: _LazyTTFont) -> None:
    """What ``pdfmetrics.registerFont`` does for a TrueType font, minus reading the file to
    learn its face name (used there only to refuse a second registration of one file)."""
    pdfmetrics._fonts[font.fontName] = font
    pdfmetrics.registerFontFamily(font.fontName)


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ``makeToUnicodeCMap`` with characters beyond U+FFFF written as UTF-16.

    A ToUnicode CMap maps each one-byte code of a font subset to the UTF-16BE text it stands
    for (PDF 32000-1, 9.10.3).  reportlab formats every target as ``<%04X>``, so 𫖯 U+2B5AF
    came out as ``<2B5AF>``, an odd number of hex digits that poppler and Acrobat read as no
    text; here it is ``<D86DDDAF>``.  Characters in the BMP give the same bytes as before.
    """
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo",
        f"<< /Registry ({fontname})",
        f"/Ordering ({fontname})",
        "/Supplement 0",
        ">> def",
        f"/CMapName /{fontname} def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>",
        "endcodespacerange",
        f"{len(subset)} beginbfchar",
        *(f"<{code:02X}> <{chr(cp).encode('utf-16-be').hex().upper()}>"
          for code, cp in enumerate(subset)),
        "endbfchar",
        "endcmap",
        "CMapName currentdict /CMap defineresource pop",
        "end",
        "end",
    ]
    return "\n".join(lines)


def cjk_style(
    name: str,
    size: float,
    font: str = SANS,
    leading: float | None = None,
    **kwargs: object,
) -> ParagraphStyle:
    """A ParagraphStyle for Chinese text: bundled font and CJK line breaking.

    Args:
        name: style name.
        size: font size in points (五号 = 10.5, 小四 = 12, 四号 = 14, 三号 = 16).
        font: one of ``SANS``, ``SANS_BOLD``, ``SERIF``, ``SERIF_BOLD``.
        leading: line distance in points; default ``1.5 * size``.
        **kwargs: any other ParagraphStyle attribute (alignment, spaceAfter, ...).
    """
    register_fonts()
    if font == SERIF_BOLD and SERIF_BOLD not in pdfmetrics.getRegisteredFontNames():
        font = SERIF
    return ParagraphStyle(
        name,
        fontName=font,
        fontSize=size,
        leading=leading if leading is not None else round(size * 1.5, 2),
        wordWrap="CJK",
        **kwargs,
    )


#: Characters no line may start with (GB/T 15834 and 《党政机关公文格式》 practice): closing
#: punctuation and marks that belong to the character before them.
CANNOT_START = "，。、；：！？）》〉」』】〕］｝”’…—％‰·,.;:!?)]}%"
#: Characters no line may end with: opening brackets and quotes.
CANNOT_END = "（《〈「『【〔［｛“‘([{"


def _extend_cannot_start() -> None:
    """Install Chinese line breaking in reportlab's CJK wrapping (once).

    reportlab's own breakers (``cjkFragSplit`` for mixed runs, ``wordSplit`` for a
    paragraph of one font) hang at most ONE closing mark in the margin and know only
    、。）, so "…（余教〔2020〕155号 五(四)3）。" could put "。" or "；" at the start of a line
    and "（" at the end of one. Both are replaced by versions built on :func:`line_breaks`.
    """
    from reportlab.platypus import paragraph

    if paragraph.cjkFragSplit is not kinsoku_split:
        paragraph.cjkFragSplit = kinsoku_split
        paragraph.wordSplit = kinsoku_word_split


def _latin(ch: str) -> bool:
    return bool(ch) and ord(ch[0]) < 0x3000 and not ch.isspace()


def _breakable(chars: list[str], at: int) -> bool:
    """May a line break fall before ``chars[at]``? (no closing mark first, no opening mark last,
    no break inside a run of Latin letters or digits such as 2020 or 12,000)."""
    after, before = chars[at], chars[at - 1]
    if after in CANNOT_START or before in CANNOT_END:
        return False
    return not (_latin(after) and _latin(before))


def line_breaks(chars: list[str], widths: list[float], max_widths: list[float],
                hard: set[int] | None = None) -> list[tuple[int, int, float, float]]:
    """Greedy Chinese line breaking: (start, end, width used, room) of each line.

    When a line overflows, the break moves back (at most half a line) to the nearest place
    :func:`_breakable` allows, so a line never starts with ；：，。）》 and never ends with （《“
    — the moved characters open the next line instead. ``hard``: indexes that end a line
    (``<br/>``), included in their line.
    """
    hard = hard or set()
    lines: list[tuple[int, int, float, float]] = []
    start, used, i, count = 0, 0.0, 0, len(chars)
    room = max_widths[0]
    while i < count:
        used += widths[i]
        i += 1
        forced = (i - 1) in hard
        if not forced and not (used > room + 1e-8 and used > 0):
            continue
        end = i
        if not forced and i - 1 > start:
            end = back = i - 1  # break before the character that overflowed
            floor = start + max(1, (i - start) // 2)
            while back > floor and not _breakable(chars, back):
                back -= 1
            if _breakable(chars, back):
                end = back
            used = sum(widths[start:end])
        lines.append((start, end, used, room))
        room = max_widths[min(len(lines), len(max_widths) - 1)]
        start = i = end
        used = 0.0
    if start < count:
        lines.append((start, count, sum(widths[start:]), room))
    return lines


#: (font, size) → character → width: a report measures the same few thousand characters
#: tens of thousands of times.
_CHAR_WIDTHS: dict[tuple[str, float], dict[str, float]] = {}


def kinsoku_word_split(word: str | bytes, maxWidths: float | Sequence[float], fontName: str,  # noqa: N803
                       fontSize: float, encoding: str = "utf8") -> list[list[object]]:
    """reportlab's ``textsplit.wordSplit`` (one font, one size) with :func:`line_breaks`."""
    if isinstance(word, bytes):
        word = word.decode(encoding)
    rooms = list(maxWidths) if isinstance(maxWidths, list | tuple) else [cast(float, maxWidths)]
    chars = list(word)
    known = _CHAR_WIDTHS.setdefault((fontName, fontSize), {})
    widths: list[float] = []
    for ch in chars:
        width = known.get(ch)
        if width is None:
            width = known[ch] = pdfmetrics.stringWidth(ch, fontName, fontSize, encoding)
        widths.append(width)
    return [[room - used, word[a:b]] for a, b, used, room in line_breaks(chars, widths, rooms)]


def kinsoku_split(frags: Sequence[Any], maxWidths: float | Sequence[float], calcBounds: bool,  # noqa: N803
                  encoding: str = "utf8") -> Any:
    """reportlab's ``paragraph.cjkFragSplit`` (mixed fonts, <b>, <br/>) with :func:`line_breaks`.

    The fragments and the returned ``ParaLines`` are reportlab's untyped objects.
    """
    from reportlab.platypus.paragraph import ParaLines, cjkU, isBytes, makeCJKParaLine

    units: list[Any] = []
    for frag in frags:
        text = frag.text
        if isBytes(text):
            text = text.decode(encoding)
        if text:
            units.extend(cjkU(ch, frag, encoding) for ch in text)
        else:
            units.append(cjkU(text, frag, encoding))
    rooms = list(maxWidths) if isinstance(maxWidths, list | tuple) else [cast(float, maxWidths)]
    widths = []
    for unit in units:
        w = unit.width
        if hasattr(w, "normalizedValue"):
            w._normalizer = rooms[0]
            w = w.normalizedValue(rooms[0])
        widths.append(w)
    hard = {n for n, unit in enumerate(units) if hasattr(unit.frag, "lineBreak")}
    chars = [str(u) for u in units]
    lines = [makeCJKParaLine(units[a:b], room, used, room - used, (b - 1) in hard, calcBounds)
             for a, b, used, room in line_breaks(chars, widths, rooms, hard)]
    return ParaLines(kind=1, lines=lines)


def canvas_kwargs(font: str = SANS, size: float = 10.5) -> dict[str, object]:
    """Keyword arguments for ``SimpleDocTemplate``/``BaseDocTemplate``/``Canvas``
    that make pages start in a bundled font instead of non-embedded Helvetica."""
    register_fonts()
    return {
        "initialFontName": font,
        "initialFontSize": size,
        "initialLeading": round(size * 1.2, 2),
    }
