#!/usr/bin/env python3
"""One-time builder for the bundled Simplified Chinese fonts.

Why this exists
---------------
EduBridge must render Chinese on a machine that has no Chinese font at all,
both in the Qt GUI and in reportlab PDFs.  reportlab can only embed TrueType
(``glyf``) outlines, while every Noto CJK font is released with CFF outlines.
This script therefore takes the Noto CJK collections as shipped by Debian's
``fonts-noto-cjk`` package and, for each wanted face:

1. picks the Simplified Chinese member ("Noto Sans CJK SC" / "Noto Serif CJK SC")
   out of the ``.ttc`` collection;
2. subsets it with ``fontTools.subset`` to what a Chinese office document needs
   (see ``UNICODE_RANGES``), keeping the layout features Chinese text uses;
3. converts the cubic CFF outlines to quadratic TrueType outlines with cu2qu
   (the approach of fontTools' ``Snippets/otf2ttf.py``);
4. renames the family to "Noto Sans SC" / "Noto Serif SC" (the names Google
   uses for the SC-only builds; the upstream OFL reserves only the name
   "Source", so keeping "Noto" is allowed) and records the modification in the
   name table.

Usage
-----
::

    apt-get download fonts-noto-cjk          # in a temp dir
    dpkg-deb -x fonts-noto-cjk_*.deb src
    python resources/fonts/build_fonts.py src [--out resources/fonts]

``SRC_DIR`` is searched recursively for ``NotoSansCJK-Regular.ttc``,
``NotoSansCJK-Bold.ttc``, ``NotoSerifCJK-Regular.ttc`` and
``NotoSerifCJK-Bold.ttc`` (all in ``fonts-noto-cjk``; the other weights are in
``fonts-noto-cjk-extra`` and are not used).  The output directory defaults
to the directory of this script.  The build takes one to two minutes per face.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable
from fontTools.ttLib.tables._g_l_y_f import Glyph

# Maximum distance (font units, 1000 upem) between the cubic curve and its
# quadratic approximation.  1.0 is what otf2ttf uses; it is invisible in print.
MAX_ERR: float = 1.0

# Code points kept in every face.  Ranges are inclusive.
#
# The repertoire is GB 18030-2022 implementation levels 1 and 2 (PUA aside) as
# far as Noto CJK SC draws it; it lacks only ≒ U+2252, and the serif also
# U+9FEB-U+9FEF.  Level 1 is every GBK character, CJK Extension A and the URO
# up to U+9FEF; level 2 adds the 196 ideographs of the Table of General
# Standard Chinese Characters (通用规范汉字表, 2013) that lie outside the BMP
# (``TGH_SUPPLEMENTARY``).  Both matter for teachers' names: a name given
# before 2013 may use any Extension A character (䶮 㛃 㙟), and 通用规范汉字表,
# the official list for names, has 77 Extension A and 196 Extension B-E
# characters, many of them added because they occur in personal and place
# names (赵孟𫖯 U+2B5AF).  The rest of Extension B-G (about 2,100 more Noto
# glyphs, mostly for Japanese, Korean and Hong Kong sources) is left out.
UNICODE_RANGES: list[tuple[int, int]] = [
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x00FF),  # Latin-1 Supplement (¥ § ° ± × ÷ ...)
    (0x0100, 0x017F),  # Latin Extended-A (pinyin ā ē ī ō ū ...)
    (0x01CD, 0x01DC),  # pinyin ǎ ǐ ǒ ǔ ǖ ǘ ǚ ǜ
    (0x0251, 0x0251),  # ɑ (GB 2312 pinyin row)
    (0x0261, 0x0261),  # ɡ (GB 2312 pinyin row)
    (0x02C6, 0x02DD),  # spacing modifiers (ˇ ˉ ˊ ˋ ˙)
    (0x0391, 0x03C9),  # Greek (α β γ Ω in statistics)
    (0x0401, 0x0451),  # Cyrillic as in GB 2312
    (0x2000, 0x206F),  # General Punctuation (— ‘ ’ “ ” … ‰ ※)
    (0x20AC, 0x20AC),  # €
    (0x2100, 0x218F),  # Letterlike symbols & Number Forms (℃ № Ⅰ Ⅱ Ⅻ ⅰ)
    (0x2190, 0x21FF),  # Arrows
    (0x2200, 0x22FF),  # Mathematical Operators (≤ ≥ ≠ ∑ √ ∞)
    (0x2312, 0x2312),  # ⌒ (GB 2312)
    (0x2460, 0x24FF),  # Enclosed Alphanumerics (① ⑴ ⒈)
    (0x2500, 0x259F),  # Box Drawing, Block Elements
    (0x25A0, 0x25FF),  # Geometric Shapes (■ □ ▲ ○ ●)
    (0x2600, 0x26FF),  # Miscellaneous Symbols (★ ☆ ☑)
    (0x2700, 0x27BF),  # Dingbats (✓ ✔ ✗)
    (0x3000, 0x303F),  # CJK Symbols and Punctuation (、。〇《》「」【】〔〕)
    (0x3040, 0x30FF),  # Hiragana, Katakana (GB 2312 rows 4 and 5)
    (0x3100, 0x312F),  # Bopomofo (注音符号, GB 2312 row 8)
    (0x3200, 0x32FF),  # Enclosed CJK Letters (㈠ ㈡ ㊀)
    (0x3300, 0x33FF),  # CJK Compatibility (㎡ ㎏ ㎞)
    (0x3400, 0x4DBF),  # CJK Unified Ideographs Extension A (䶮 㛃 㙟; Noto: 6,582)
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF92C, 0xF92C),  # the 7 compatibility ideographs in GBK: 郎
    (0xF979, 0xF979),  # 凉
    (0xF995, 0xF995),  # 秊
    (0xF9E7, 0xF9E7),  # 裏
    (0xF9F1, 0xF9F1),  # 隣
    (0xFA0C, 0xFA0D),  # 兀 嗀
    (0xFA0E, 0xFA29),  # the 12 unified ideographs in the compatibility block
    (0xFE10, 0xFE1F),  # Vertical forms
    (0xFE30, 0xFE4F),  # CJK Compatibility Forms
    (0xFE50, 0xFE6F),  # Small Form Variants (in GBK)
    (0xFF00, 0xFFEF),  # Halfwidth and Fullwidth Forms
    (0xFFFD, 0xFFFD),  # replacement character
]

# The 196 characters of 通用规范汉字表 outside the BMP (Extension B: 36, C: 44,
# D: 8, E: 108), i.e. the code points with a kTGH value in Unihan
# (Unihan_OtherMappings.txt, Unicode 15.0, Debian package ``unicode-data``)
# above U+FFFF.  GB 18030-2022 implementation level 2 requires exactly these.
TGH_SUPPLEMENTARY: tuple[int, ...] = (
    0x20164, 0x20676, 0x20CD0, 0x2139A, 0x21413, 0x235CB, 0x23C97, 0x23C98,
    0x23E23, 0x249DB, 0x24A7D, 0x24AC9, 0x25532, 0x25562, 0x255A8, 0x25ED7,
    0x26221, 0x2648D, 0x26676, 0x2677C, 0x26B5C, 0x26C21, 0x27FF9, 0x28408,
    0x28678, 0x28695, 0x287E0, 0x28B49, 0x28C47, 0x28C4F, 0x28C51, 0x28C54,
    0x28E99, 0x29F7E, 0x29F83, 0x29F8C, 0x2A7DD, 0x2A8FB, 0x2A917, 0x2AA30,
    0x2AA36, 0x2AA58, 0x2AFA2, 0x2B127, 0x2B128, 0x2B137, 0x2B138, 0x2B1ED,
    0x2B300, 0x2B363, 0x2B36F, 0x2B372, 0x2B37D, 0x2B404, 0x2B410, 0x2B413,
    0x2B461, 0x2B4E7, 0x2B4EF, 0x2B4F6, 0x2B4F9, 0x2B50D, 0x2B50E, 0x2B536,
    0x2B5AE, 0x2B5AF, 0x2B5B3, 0x2B5E7, 0x2B5F4, 0x2B61C, 0x2B61D, 0x2B626,
    0x2B627, 0x2B628, 0x2B62A, 0x2B62C, 0x2B695, 0x2B696, 0x2B6AD, 0x2B6ED,
    0x2B7A9, 0x2B7C5, 0x2B7E6, 0x2B7F9, 0x2B7FC, 0x2B806, 0x2B80A, 0x2B81C,
    0x2B8B8, 0x2BAC7, 0x2BB5F, 0x2BB62, 0x2BB7C, 0x2BB83, 0x2BC1B, 0x2BD77,
    0x2BD87, 0x2BDF7, 0x2BE29, 0x2C029, 0x2C02A, 0x2C0A9, 0x2C0CA, 0x2C1D5,
    0x2C1D9, 0x2C1F9, 0x2C27C, 0x2C288, 0x2C2A4, 0x2C317, 0x2C35B, 0x2C361,
    0x2C364, 0x2C488, 0x2C494, 0x2C497, 0x2C542, 0x2C613, 0x2C618, 0x2C621,
    0x2C629, 0x2C62B, 0x2C62C, 0x2C62D, 0x2C62F, 0x2C642, 0x2C64A, 0x2C64B,
    0x2C72C, 0x2C72F, 0x2C79F, 0x2C7C1, 0x2C7FD, 0x2C8D9, 0x2C8DE, 0x2C8E1,
    0x2C8F3, 0x2C907, 0x2C90A, 0x2C91D, 0x2CA02, 0x2CA0E, 0x2CA7D, 0x2CAA9,
    0x2CB29, 0x2CB2D, 0x2CB2E, 0x2CB31, 0x2CB38, 0x2CB39, 0x2CB3B, 0x2CB3F,
    0x2CB41, 0x2CB4A, 0x2CB4E, 0x2CB5A, 0x2CB5B, 0x2CB64, 0x2CB69, 0x2CB6C,
    0x2CB6F, 0x2CB73, 0x2CB76, 0x2CB78, 0x2CB7C, 0x2CBB1, 0x2CBBF, 0x2CBC0,
    0x2CBCE, 0x2CC56, 0x2CC5F, 0x2CCF5, 0x2CCF6, 0x2CCFD, 0x2CCFF, 0x2CD02,
    0x2CD03, 0x2CD0A, 0x2CD8B, 0x2CD8D, 0x2CD8F, 0x2CD90, 0x2CD9F, 0x2CDA0,
    0x2CDA8, 0x2CDAD, 0x2CDAE, 0x2CDD5, 0x2CE18, 0x2CE1A, 0x2CE23, 0x2CE26,
    0x2CE2A, 0x2CE7C, 0x2CE88, 0x2CE93,
)


# OpenType layout features kept (horizontal and vertical spacing, kerning,
# composition, vertical punctuation forms).
LAYOUT_FEATURES: list[str] = [
    "ccmp", "liga", "kern", "mark", "mkmk", "halt", "palt",
    "vert", "vrt2", "vkrn", "vhal", "vpal",
]


@dataclass(frozen=True)
class Face:
    """One output font."""

    source: str  # collection file name in the Debian package
    member_family: str  # English family name of the wanted collection member
    family: str  # new family name
    style: str  # "Regular" or "Bold"
    output: str  # output file name
    #: The supplement: every ideograph of the source beyond U+FFFF that the main faces lack
    #: (``supplement_unicodes``), instead of ``UNICODE_RANGES``.
    supplement: bool = False

    @property
    def postscript(self) -> str:
        return f"{self.family.replace(' ', '')}-{self.style}"


FACES: list[Face] = [
    Face("NotoSansCJK-Regular.ttc", "Noto Sans CJK SC", "Noto Sans SC", "Regular",
         "NotoSansSC-Regular.ttf"),
    Face("NotoSansCJK-Bold.ttc", "Noto Sans CJK SC", "Noto Sans SC", "Bold",
         "NotoSansSC-Bold.ttf"),
    Face("NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC", "Noto Serif SC", "Regular",
         "NotoSerifSC-Regular.ttf"),
    Face("NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC", "Noto Serif SC", "Bold",
         "NotoSerifSC-Bold.ttf"),
]

# The fallback for the rest of Extensions B-G (𠮷 U+20BB7 and about 2,170 others that Noto
# draws): one face, used by the PDFs and by Qt for any character the four faces above lack.
# Only sans Regular: the serif would add 1.0 MB more (0.77 MB this one), and the Linux bundle
# has about 2.6 MB left of its 250 MB (tests/installer/test_linux_package.py).
SUPPLEMENT = Face("NotoSansCJK-Regular.ttc", "Noto Sans CJK SC", "Noto Sans SC Supplement", "Regular",
                  "NotoSansSC-Supplement.ttf", supplement=True)


def find_source(src_dir: Path, name: str) -> Path:
    """Find a collection file anywhere under ``src_dir``."""
    hits = sorted(src_dir.rglob(name))
    if not hits:
        raise FileNotFoundError(f"{name} not found under {src_dir}")
    return hits[0]


def member_index(path: Path, family: str) -> int:
    """Index of the collection member whose English family name is ``family``."""
    collection = TTCollection(str(path), lazy=True)
    try:
        for index, font in enumerate(collection.fonts):
            if font["name"].getDebugName(1) == family:
                return index
    finally:
        collection.close()
    raise LookupError(f"no member {family!r} in {path}")


def wanted_unicodes() -> list[int]:
    """All code points of ``UNICODE_RANGES`` and ``TGH_SUPPLEMENTARY``."""
    return [cp for lo, hi in UNICODE_RANGES for cp in range(lo, hi + 1)] + list(TGH_SUPPLEMENTARY)


def supplement_unicodes(font: TTFont) -> list[int]:
    """The ideographs beyond U+FFFF that ``font`` draws and the main faces lack: Extensions
    B-G and the compatibility supplement, less ``TGH_SUPPLEMENTARY``."""
    tgh = set(TGH_SUPPLEMENTARY)
    return sorted(cp for cp in font.getBestCmap() if cp >= 0x20000 and cp not in tgh)


def subset_font(font: TTFont, unicodes: list[int] | None = None) -> None:
    """Cut ``font`` down to ``unicodes`` (default: ``wanted_unicodes()``) in place."""
    options = subset.Options()
    # Only the features Chinese text uses.  In particular "locl" and "aalt" are
    # dropped: their closure would pull in the Japanese/Korean/Traditional
    # glyph variants of every ideograph and nearly double the font.
    options.layout_features = LAYOUT_FEATURES
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.hinting = False  # CFF hints do not survive the conversion anyway
    options.desubroutinize = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted_unicodes() if unicodes is None else unicodes)
    subsetter.subset(font)


def to_quadratic(font: TTFont, max_err: float = MAX_ERR) -> None:
    """Replace the CFF table of ``font`` with quadratic ``glyf`` outlines."""
    assert "CFF " in font, "expected a CFF-flavoured font"
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs: dict[str, Glyph] = {}
    for name in glyph_order:
        tt_pen = TTGlyphPen(glyph_set)
        # PostScript contours run counter-clockwise, TrueType ones clockwise.
        glyph_set[name].draw(Cu2QuPen(tt_pen, max_err, reverse_direction=True))
        glyphs[name] = tt_pen.glyph()

    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = glyphs
    del font["CFF "]
    if "VORG" in font:  # CFF-only table
        del font["VORG"]
    glyf.compile(font)

    # Left side bearings must match the new bounding boxes.
    hmtx = font["hmtx"]
    for name, glyph in glyphs.items():
        if hasattr(glyph, "xMin"):
            hmtx[name] = (hmtx[name][0], glyph.xMin)

    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    maxp.maxTwilightPoints = 0
    maxp.maxStorage = 0
    maxp.maxFunctionDefs = 0
    maxp.maxInstructionDefs = 0
    maxp.maxStackElements = 0
    maxp.maxSizeOfInstructions = 0
    maxp.maxComponentElements = 0
    maxp.compile(font)  # fills in glyph, point and contour counts

    # No glyph names (the CID names are meaningless and cost space).
    post = font["post"]
    post.formatType = 3.0
    post.extraNames = []
    post.mapping = {}

    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"

    # Unhinted outlines: ask rasterisers for smooth grey-scale at every size.
    gasp = font["gasp"] = newTable("gasp")
    gasp.version = 1
    gasp.gaspRange = {0xFFFF: 0x000F}


def rename(font: TTFont, face: Face, src_version: str) -> None:
    """Give ``font`` the family name of ``face`` and note the modification."""
    name = font["name"]
    keep = {0, 7, 8, 9, 11, 12, 13, 14}
    old = {rec.nameID: rec.toUnicode() for rec in name.names
           if rec.platformID == 3 and rec.langID == 0x409 and rec.nameID in keep}
    name.names = []
    full = face.family if face.style == "Regular" else f"{face.family} {face.style}"
    version = src_version.split(";")[0]  # "Version 2.004"
    values: dict[int, str] = {
        **old,
        1: face.family,
        2: face.style,
        3: f"{version.removeprefix('Version ')};{face.postscript};EduBridge-TTF-subset",
        4: full,
        5: f"{version}; TrueType subset for EduBridge",
        6: face.postscript,
        10: (f"Modified version of {face.member_family} {face.style}: subset to "
             + ("the ideographs beyond U+FFFF that Noto Sans SC lacks (Extensions B-G)"
                if face.supplement else "Simplified Chinese office use")
             + " and converted from CFF to TrueType outlines with fontTools for EduBridge."),
    }
    for name_id, text in sorted(values.items()):
        # Windows/Unicode records only: the Macintosh platform is obsolete and
        # Mac Roman cannot encode the designers' Chinese/Japanese names.
        name.setName(text, name_id, 3, 1, 0x409)
    # Chinese UI name, so Chinese-language font menus show the same family.
    name.setName(face.family, 1, 3, 1, 0x804)
    name.setName(face.style, 2, 3, 1, 0x804)
    name.setName(full, 4, 3, 1, 0x804)

    # Keep the style bits consistent with the new names.
    os2 = font["OS/2"]
    bold = face.style == "Bold"
    os2.fsSelection = (os2.fsSelection & ~0b1100001) | (0b100000 if bold else 0b1000000)
    font["head"].macStyle = 1 if bold else 0


def build(face: Face, src_dir: Path, out_dir: Path) -> Path:
    """Build one face and return the written path."""
    source = find_source(src_dir, face.source)
    index = member_index(source, face.member_family)
    font = TTFont(str(source), fontNumber=index, lazy=False)
    src_version = font["name"].getDebugName(5) or "Version ?"
    subset_font(font, supplement_unicodes(font) if face.supplement else None)
    to_quadratic(font)
    rename(font, face, src_version)
    out = out_dir / face.output
    font.save(str(out))
    font.close()
    check(out, face)
    return out


def check(path: Path, face: Face) -> None:
    """Re-open a built font and make sure it is what reportlab needs."""
    font = TTFont(str(path))
    assert "glyf" in font and "CFF " not in font, "outlines are not TrueType"
    assert font["name"].getDebugName(1) == face.family
    cmap = font.getBestCmap()
    if face.supplement:
        assert 0x20BB7 in cmap and len(cmap) > 2000, f"{path.name}: {len(cmap)} characters, 𠮷 U+20BB7 missing"
        font.close()
        return
    for char in "〇、。《》「」①教共体城乡管理ａ０䶮㛃㙟㐀\U0002B5AF":
        assert ord(char) in cmap, f"U+{ord(char):04X} {char} missing from {path.name}"
    missing = [cp for cp in TGH_SUPPLEMENTARY if cp not in cmap]
    assert not missing, f"{len(missing)} characters of 通用规范汉字表 missing from {path.name}"
    font.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src_dir", type=Path,
                        help="directory holding the Noto CJK .ttc files (searched recursively)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="output directory (default: next to this script)")
    parser.add_argument("--only", nargs="*", metavar="FILE",
                        help="build only these output files, e.g. NotoSansSC-Regular.ttf")
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    total = 0
    for face in [*FACES, SUPPLEMENT]:
        if args.only and face.output not in args.only:
            continue
        started = time.monotonic()
        out = build(face, args.src_dir, args.out)
        size = out.stat().st_size
        total += size
        print(f"{out.name}: {size / 1e6:.1f} MB in {time.monotonic() - started:.0f} s")
    print(f"total {total / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
