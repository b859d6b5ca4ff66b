"""Characters the bundled faces lack: where else to find them, and telling the clerk when nowhere.

The four bundled faces (:mod:`reports.fonts`) cover GB 18030-2022 levels 1 and 2, but a
name may hold any CJK Extension B–G character (𠮷 U+20BB7 in 吉 names); a character a face
lacks would print as an empty box (the face's .notdef), silently wrong on a signed agreement.
reportlab has no per-character fallback, so the bundled faces ask :func:`fallback_for` for
each character they lack, and draw it in the font it names:

1. ``NotoSansSC-Supplement.ttf``, bundled: the ~2,170 Extension B–G ideographs Noto draws
   beyond the bundled set (0.77 MB; see resources/fonts/README.md);
2. a TrueType font of the machine that has the character: on Windows SimSun-ExtB
   (``simsunb.ttf``, every Extension B ideograph, on every Windows since Vista); on Linux
   HanaMinB, BabelStone Han, Jigmo… when installed. Only TrueType (``glyf``) outlines:
   reportlab cannot embed CFF ones (the ``.otf``/``.ttc`` Noto CJK files of Linux desktops).
   The font folders are read (table directories and ``cmap``, not whole files) the first
   time a character is missing from 1., so a document without such a character costs nothing.

What none of them has is recorded while the PDF is drawn: :func:`unprintable` collects
it, and :func:`notice` turns each one into a line a clerk can act on (the name, the
character, that it must be written by hand).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import os
import struct
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

__all__ = [
    "Unprintable",
    "fallback_for",
    "notice",
    "record",
    "system_font_dirs",
    "unprintable",
]

#: Machine fonts tried first, in this order, before the others in alphabetical order: the
#: ones known to cover whole extensions with TrueType outlines.
PREFERRED = ("simsunb.ttf", "HanaMinB.ttf", "BabelStoneHan.ttf", "Jigmo2.ttf", "Jigmo3.ttf", "Jigmo.ttf")


def system_font_dirs() -> list[Path]:
    """The folders fonts are installed in on this machine (tests point this elsewhere)."""
    if sys.platform == "win32":
        dirs = [Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"]
        local = os.environ.get("LOCALAPPDATA")
        if local:
            dirs.append(Path(local) / "Microsoft" / "Windows" / "Fonts")
        return dirs
    home = Path.home()
    return [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), home / ".local" / "share" / "fonts",
            home / ".fonts"]


@dataclasses.dataclass(frozen=True, slots=True)
class _MachineFont:
    """A TrueType font of the machine: its file, its index in a collection, its cmap groups."""

    path: Path
    index: int
    groups: tuple[tuple[int, int], ...]  # (first, last) code points, sorted

    def has(self, code: int) -> bool:
        lo, hi = 0, len(self.groups)
        while lo < hi:
            mid = (lo + hi) // 2
            first, last = self.groups[mid]
            if code < first:
                hi = mid
            elif code > last:
                lo = mid + 1
            else:
                return True
        return False


def _read_groups(handle: object, offset: int) -> tuple[tuple[int, int], ...] | None:
    """The format-12 cmap groups of the sfnt at ``offset``, or None when it is not a TrueType
    font with one (CFF outlines, no full-repertoire cmap)."""
    assert hasattr(handle, "seek") and hasattr(handle, "read")
    handle.seek(offset)
    head = handle.read(12)
    if len(head) < 12:
        return None
    tables = struct.unpack(">H", head[4:6])[0]
    directory = handle.read(16 * tables)
    found = {directory[i:i + 4]: struct.unpack(">LL", directory[i + 8:i + 16]) for i in range(0, len(directory), 16)}
    if b"glyf" not in found or b"cmap" not in found:
        return None
    cmap_at, cmap_length = found[b"cmap"]
    handle.seek(cmap_at)
    cmap = handle.read(cmap_length)
    count = struct.unpack(">H", cmap[2:4])[0]
    for n in range(count):
        platform, encoding, at = struct.unpack(">HHL", cmap[4 + 8 * n:12 + 8 * n])
        if (platform, encoding) not in ((3, 10), (0, 4), (0, 6)) or cmap[at:at + 2] != b"\x00\x0c":
            continue
        groups = struct.unpack(">L", cmap[at + 12:at + 16])[0]
        data = cmap[at + 16:at + 16 + 12 * groups]
        return tuple(sorted((first, last) for first, last, _glyph in struct.iter_unpack(">LLL", data)))
    return None


def _scan(path: Path) -> list[_MachineFont]:
    """The TrueType fonts in one file (one, or each member of a collection); [] on any error."""
    try:
        with path.open("rb") as handle:
            tag = handle.read(4)
            if tag == b"ttcf":
                handle.read(4)
                members = struct.unpack(">L", handle.read(4))[0]
                offsets = struct.unpack(f">{members}L", handle.read(4 * members))
            else:
                offsets = (0,)
            fonts = []
            for index, offset in enumerate(offsets):
                groups = _read_groups(handle, offset)
                if groups:
                    fonts.append(_MachineFont(path, index, groups))
            return fonts
    except (OSError, struct.error, IndexError):
        return []


def _machine_fonts() -> list[_MachineFont]:
    files: list[Path] = []
    for folder in system_font_dirs():
        with contextlib.suppress(OSError):
            files += [p for p in folder.rglob("*") if p.suffix.lower() in (".ttf", ".ttc") and p.is_file()]
    rank = {name.lower(): n for n, name in enumerate(PREFERRED)}
    files.sort(key=lambda p: (rank.get(p.name.lower(), len(rank)), p.name.lower(), str(p)))
    return [font for path in files for font in _scan(path)]


class _Chain:
    """Which font draws a character the bundled faces lack (cached per code point)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.owner: dict[int, str | None] = {}
        self.machine: list[_MachineFont] | None = None
        self.broken: set[tuple[Path, int]] = set()

    def reset(self) -> None:
        with self.lock:
            self.owner.clear()
            self.machine = None
            self.broken.clear()

    def font_for(self, code: int, bundled: list[str]) -> str | None:
        try:
            return self.owner[code]
        except KeyError:
            pass
        with self.lock:
            if code not in self.owner:
                self.owner[code] = self._find(code, bundled)
            return self.owner[code]

    def _find(self, code: int, bundled: list[str]) -> str | None:
        for name in bundled:
            if code in pdfmetrics.getFont(name).face.charToGlyph:
                return name
        if self.machine is None:
            self.machine = _machine_fonts()
        for font in self.machine:
            key = (font.path, font.index)
            if key in self.broken or not font.has(code):
                continue
            name = f"Machine-{font.path.stem}-{font.index}"
            if name not in pdfmetrics.getRegisteredFontNames():
                try:  # reportlab refuses some (no embedding allowed, odd tables): try the next
                    pdfmetrics.registerFont(TTFont(name, str(font.path), subfontIndex=font.index))
                except (TTFError, OSError, struct.error, KeyError, ValueError):
                    self.broken.add(key)
                    continue
            if code in pdfmetrics.getFont(name).face.charToGlyph:
                return name
        return None


_chain = _Chain()


def fallback_for(code: int, bundled: list[str]) -> str | None:
    """The registered font name that draws ``code``: one of ``bundled`` (in order), else a
    TrueType font of the machine (registered on first use), else None."""
    return _chain.font_for(code, bundled)


def forget_machine_fonts() -> None:
    """Read the machine's fonts again on the next missing character (tests, a font installed)."""
    _chain.reset()


# ---- what could not be printed ---------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Unprintable:
    """A character no font has, and the text it was drawn in (a name, a table cell, a line)."""

    char: str
    text: str

    @property
    def code(self) -> str:
        return f"U+{ord(self.char):04X}"

    @property
    def message(self) -> str:
        return (f"“{self.text}”中的“{self.char}”（{self.code}）没有可用的字体，PDF 中印为空框，"
                "请在打印件上手写补正")

    def as_json(self) -> dict[str, str]:
        return {"text": self.text, "char": self.char, "code": self.code}


_collector: contextvars.ContextVar[dict[tuple[str, str], Unprintable] | None] = contextvars.ContextVar(
    "unprintable", default=None)

#: Characters around the missing one kept as its context when the text is a long line.
CONTEXT = 6


def record(char: str, text: str) -> None:
    """Note that ``char`` in ``text`` was drawn with no font having it (when collecting)."""
    found = _collector.get()
    if found is None:
        return
    text = " ".join(text.split())
    at = text.find(char)
    if len(text) > 2 * CONTEXT + 1 and at >= 0:
        start = max(0, at - CONTEXT)
        text = ("…" if start else "") + text[start:at + CONTEXT + 1] + ("…" if at + CONTEXT + 1 < len(text) else "")
    found.setdefault((char, text), Unprintable(char, text))


@contextlib.contextmanager
def unprintable() -> Iterator[list[Unprintable]]:
    """Collect what is drawn without a font while the block runs (this thread or task only).

    The list is filled when the block ends, in the order first drawn, each (character, text)
    once — a document drawn twice (table of contents) does not say it twice.
    """
    found: dict[tuple[str, str], Unprintable] = {}
    result: list[Unprintable] = []
    token = _collector.set(found)
    try:
        yield result
    finally:
        _collector.reset(token)
        result.extend(found.values())


#: At most this many lines; the rest are counted.
MAX_LINES = 20


def notice(found: list[Unprintable]) -> str:
    """The warning lines for ``found`` ('' when empty)."""
    if not found:
        return ""
    lines = [item.message for item in found[:MAX_LINES]]
    if len(found) > MAX_LINES:
        lines.append(f"另有 {len(found) - MAX_LINES} 处无法打印的字，未逐一列出")
    return "\n".join(lines)
