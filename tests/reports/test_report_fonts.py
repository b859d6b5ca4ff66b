"""The bundled Chinese fonts embed in reportlab PDFs and the text survives a
round trip (pdftotext gives back the same Chinese)."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont as FontToolsTTFont
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

from reports.fonts import (
    SANS,
    SANS_BOLD,
    SERIF,
    SERIF_BOLD,
    canvas_kwargs,
    cjk_style,
    register_fonts,
)

pytestmark = pytest.mark.skipif(
    shutil.which("pdffonts") is None, reason="pdffonts (poppler-utils) is not installed"
)

TITLE = "城乡教共体管理 二〇二五年度工作报告"
BODY = "教共体成员校：第一中学、第二小学。《协议》第①条「共享师资」，共计〇人。"
BOLD = "牵头学校"
CLAUSE = "甲方与乙方本着平等自愿、优势互补的原则，经协商一致，签订本协议。"
LONG = "城乡义务教育一体化发展是县域教育均衡的关键。" * 8
CELL = "学校名称"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _build_pdf(path: Path) -> None:
    register_fonts()
    story = [
        Paragraph(TITLE, cjk_style("title", 16, font=SANS_BOLD)),
        Paragraph(f"{BODY}<b>{BOLD}</b>", cjk_style("body", 10.5)),
        Paragraph(CLAUSE, cjk_style("clause", 12, font=SERIF)),
        Spacer(1, 6),
        Paragraph(LONG, cjk_style("long", 10.5)),
        Table([[CELL, "人数"], ["第一中学", "1200"]],
              style=[("FONTNAME", (0, 0), (-1, -1), SANS)]),
    ]
    SimpleDocTemplate(str(path), pagesize=A4, title="字体测试", **canvas_kwargs()).build(story)


def test_register_fonts_is_idempotent() -> None:
    register_fonts()
    register_fonts()
    names = pdfmetrics.getRegisteredFontNames()
    assert {SANS, SANS_BOLD, SERIF} <= set(names)
    assert pdfmetrics.getFont(SANS).face.name  # parsed without error


def test_cjk_style_wraps_chinese() -> None:
    para = Paragraph(LONG, cjk_style("wrap", 10.5))
    width, height = para.wrap(300, 1000)
    assert height > 3 * 10.5 * 1.5 - 1, "long Chinese paragraph did not wrap"
    assert cjk_style("x", 10).wordWrap == "CJK"


def test_pdf_embeds_fonts_and_text_extracts(tmp_path: Path) -> None:
    pdf = tmp_path / "fonts.pdf"
    _build_pdf(pdf)

    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    rows = fonts.stdout.splitlines()[2:]  # skip the two header lines
    assert rows, fonts.stdout
    names = []
    for row in rows:
        cols = row.split()
        # ... emb sub uni object-number generation
        emb, sub, uni = cols[-5], cols[-4], cols[-3]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row
        names.append(cols[0])
    used = {name.split("+", 1)[-1] for name in names}
    assert {"NotoSansSC-Regular", "NotoSansSC-Bold", "NotoSerifSC-Regular"} <= used, used

    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = _squash(text)
    for expected in (TITLE, BODY + BOLD, CLAUSE, LONG, CELL):
        assert _squash(expected) in flat, f"{expected!r} not extracted; got {text!r}"


# Teachers' names with rare characters: 䶮 U+4DAE (通用规范汉字表), 㛃 U+36C3 and 㙟 U+365F
# (CJK Extension A) and 𫖯 U+2B5AF (Extension C, 通用规范汉字表 beyond the BMP).
RARE_NAMES = "刘䶮 王㛃 张㙟 赵孟𫖯"
RARE_CHARS = "䶮㛃㙟𫖯"


def _pdf_objects(data: bytes) -> dict[int, bytes]:
    """Object number -> body (a dictionary, or dictionary + stream) of a reportlab PDF."""
    return {
        int(m.group(1)): m.group(2)
        for m in re.finditer(rb"(?m)^(\d+) 0 obj\s*(.*?)\s*endobj", data, re.DOTALL)
    }


def _stream(body: bytes) -> bytes:
    """The decoded stream of an object body (reportlab uses ASCII85 and/or Flate)."""
    head, _, rest = body.partition(b"stream")
    raw = rest.lstrip(b"\r\n").rsplit(b"endstream", 1)[0].rstrip(b"\r\n")
    for name in re.findall(rb"/(ASCII85Decode|FlateDecode)", head):
        raw = base64.a85decode(raw.strip(), adobe=True) if name == b"ASCII85Decode" else (
            zlib.decompress(raw))
    return raw


def _ref(body: bytes, key: bytes) -> int:
    match = re.search(rb"/" + key + rb"\s+(\d+)\s+0\s+R", body)
    assert match, (key, body[:300])
    return int(match.group(1))


def _embedded_glyphs(path: Path) -> dict[str, list[tuple[str, int]]]:
    """For every character of the PDF's text: (embedded font, contour count of the glyph the
    PDF draws for it) per font subset that uses it. Read from the PDF itself — each font's
    ToUnicode map gives the code, the embedded TrueType file (FontFile2) the glyph."""
    objects = _pdf_objects(path.read_bytes())
    found: dict[str, list[tuple[str, int]]] = {}
    for body in objects.values():
        if b"/Type /Font" not in body or b"/Subtype /TrueType" not in body:
            continue
        base = re.search(rb"/BaseFont\s*/(\S+)", body).group(1).decode()  # type: ignore[union-attr]
        to_unicode = _stream(objects[_ref(body, b"ToUnicode")]).decode("ascii")
        descriptor = objects[_ref(body, b"FontDescriptor")]
        font = FontToolsTTFont(io.BytesIO(_stream(objects[_ref(descriptor, b"FontFile2")])))
        code_to_glyph = {code: name for table in font["cmap"].tables
                         for code, name in table.cmap.items()}
        pairs = to_unicode.split("beginbfchar", 1)[1].split("endbfchar", 1)[0]
        for code_hex, text_hex in re.findall(r"<([0-9A-F]{2})> <([0-9A-F]+)>", pairs):
            text = bytes.fromhex(text_hex).decode("utf-16-be")
            glyph = font["glyf"][code_to_glyph.get(int(code_hex, 16), ".notdef")]
            found.setdefault(text, []).append((base, glyph.numberOfContours))
    return found


def _build_rare_name_pdf(path: Path) -> None:
    register_fonts()
    story = [
        Paragraph(f"教师：{RARE_NAMES}", cjk_style("rare-sans", 12)),
        Paragraph(f"<b>{RARE_NAMES}</b>", cjk_style("rare-bold", 12)),
        Paragraph(f"甲方代表：{RARE_NAMES}", cjk_style("rare-serif", 12, font=SERIF)),
        Paragraph(f"<b>{RARE_NAMES}</b>", cjk_style("rare-serif-bold", 12, font=SERIF)),
        Table([["姓名", RARE_NAMES]], style=[("FONTNAME", (0, 0), (-1, -1), SANS)]),
    ]
    SimpleDocTemplate(str(path), pagesize=A4, **canvas_kwargs()).build(story)


def test_rare_name_characters_are_drawn_in_every_face(tmp_path: Path) -> None:
    """GIVEN names with CJK Extension A/C characters printed in all four faces
    THEN each face's embedded subset holds a real outline for every one of them (a
    character missing from the font is drawn with glyph 0, .notdef, or dropped)."""
    pdf = tmp_path / "rare.pdf"
    _build_rare_name_pdf(pdf)
    glyphs = _embedded_glyphs(pdf)
    for char in RARE_CHARS:
        faces = {base.split("+", 1)[1]: contours for base, contours in glyphs.get(char, [])}
        assert set(faces) == {"NotoSansSC-Regular", "NotoSansSC-Bold", "NotoSerifSC-Regular",
                              "NotoSerifSC-Bold"}, (char, faces)
        assert all(contours > 0 for contours in faces.values()), (char, faces)
    assert all(contours > 0 for contours in (c for base, c in glyphs["张"]))  # the check works


def test_rare_name_characters_extract_as_text(tmp_path: Path) -> None:
    """Copying or searching the PDF gives the names back, 𫖯 (beyond U+FFFF) included."""
    pdf = tmp_path / "rare.pdf"
    _build_rare_name_pdf(pdf)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = _squash(text)
    assert flat.count(_squash(RARE_NAMES)) == 5, text


def test_bundled_fonts_cover_extension_a_and_general_standard_characters() -> None:
    """Every face maps all of CJK Extension A that Noto has (U+3400..U+4DB5) and 䶮 𫖯."""
    for name in (SANS, SANS_BOLD, SERIF, SERIF_BOLD):
        char_to_glyph = pdfmetrics.getFont(name).face.charToGlyph
        missing = [hex(cp) for cp in range(0x3400, 0x4DB6) if not char_to_glyph.get(cp)]
        assert not missing, (name, missing[:10], len(missing))
        assert char_to_glyph.get(0x2B5AF), name


# ---- CJK Extension B–G beyond the bundled faces (reports.fallback_fonts) ----------------

# 𠮷 U+20BB7 (吉 with 土 on top, in real names): in none of the four faces, in the bundled
# supplement. 𠀁 U+20001: in no bundled font. U+2EBF0: Extension I (Unicode 15.1), which the
# Python that runs the suite may not know (category Cn) — it must count all the same.
TSUCHIYOSHI = "\U00020BB7"
NOWHERE = "\U00020001"
EXT_I = "\U0002EBF0"
TEACHER, SCHOOL = f"张{TSUCHIYOSHI}明", f"{TSUCHIYOSHI}安县第一中学"


def test_extension_b_names_are_drawn_from_the_supplement_in_every_face(tmp_path: Path) -> None:
    """GIVEN a teacher's name and a school's name with 𠮷 in all four faces and a table cell
    THEN the PDF embeds the supplement with a real outline for 𠮷, the text copies back,
    and nothing is reported unprintable."""
    from reports.fallback_fonts import unprintable

    pdf = tmp_path / "ext-b.pdf"
    register_fonts()
    line = f"教师：{TEACHER}，学校：{SCHOOL}"
    story = [Paragraph(line, cjk_style(f"s{n}", 12, font=font))
             for n, font in enumerate((SANS, SANS_BOLD, SERIF, SERIF_BOLD))]
    story.append(Table([["姓名", TEACHER], ["学校", SCHOOL]], style=[("FONTNAME", (0, 0), (-1, -1), SANS)]))
    with unprintable() as found:
        SimpleDocTemplate(str(pdf), pagesize=A4, **canvas_kwargs()).build(story)
    assert found == []
    glyphs = _embedded_glyphs(pdf)
    assert {base.split("+", 1)[1] for base, _c in glyphs[TSUCHIYOSHI]} == {"NotoSansSCSupplement-Regular"}
    assert all(contours > 0 for _base, contours in glyphs[TSUCHIYOSHI])
    text = _squash(subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                                  check=True).stdout)
    assert text.count(_squash(line)) == 4 and TEACHER in text and SCHOOL in text


def test_a_fallback_character_has_its_own_width() -> None:
    """Line breaking measures 𠮷 with the supplement's advance (a full em), not the .notdef's."""
    register_fonts()
    assert pdfmetrics.stringWidth(TEACHER, SERIF, 10) == pytest.approx(30.0)
    assert pdfmetrics.stringWidth(TSUCHIYOSHI, SANS_BOLD, 12) == pytest.approx(12.0)


def test_characters_no_font_has_are_reported_with_their_text(tmp_path: Path, monkeypatch) -> None:
    """GIVEN names with 𠀁 (in no bundled font, and the machine's fonts pointed at an empty
    folder) and an Extension I character THEN each is reported once with the name it is in,
    in Chinese, and the PDF is still made."""
    from reports import fallback_fonts
    from reports.fallback_fonts import notice, unprintable

    monkeypatch.setattr(fallback_fonts, "system_font_dirs", lambda: [tmp_path / "no-fonts"])
    fallback_fonts.forget_machine_fonts()
    try:
        register_fonts()
        story = [Table([["姓名", f"王{NOWHERE}芳"], ["学校", f"李{EXT_I}华小学"], ["又见", f"王{NOWHERE}芳"]],
                       style=[("FONTNAME", (0, 0), (-1, -1), SERIF)]),
                 Paragraph(TEACHER, cjk_style("ok", 12))]
        with unprintable() as found:
            SimpleDocTemplate(str(tmp_path / "x.pdf"), pagesize=A4, **canvas_kwargs()).build(story)
    finally:
        fallback_fonts.forget_machine_fonts()
    assert [(item.char, item.text) for item in found] == [(NOWHERE, f"王{NOWHERE}芳"), (EXT_I, f"李{EXT_I}华小学")]
    lines = notice(found).splitlines()
    assert lines[0] == (f"“王{NOWHERE}芳”中的“{NOWHERE}”（U+20001）没有可用的字体，PDF 中印为空框，"
                        "请在打印件上手写补正")
    assert "U+2EBF0" in lines[1] and len(lines) == 2
    assert (tmp_path / "x.pdf").stat().st_size > 0


def _font_with_one_glyph(path: Path, code: int) -> None:
    """A TrueType font (glyf outlines) that draws ``code`` as a square, for the machine-font test."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    pen = TTGlyphPen(None)
    for x, y in ((100, 100), (100, 800), (900, 800), (900, 100)):
        (pen.moveTo if x == y == 100 else pen.lineTo)((x, y))
    pen.closePath()
    square = pen.glyph()
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", "square"])
    builder.setupCharacterMap({code: "square", 0x41: "square"})
    builder.setupGlyf({".notdef": TTGlyphPen(None).glyph(), "square": square})
    builder.setupHorizontalMetrics({".notdef": (1000, 0), "square": (1000, 100)})
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable({"familyName": "Machine Test", "styleName": "Regular"})
    builder.setupOS2(fsType=0)
    builder.setupPost()
    builder.save(str(path))


def test_a_character_no_bundled_font_has_comes_from_a_machine_font(tmp_path: Path, monkeypatch) -> None:
    """GIVEN a TrueType font in the machine's font folder that has 𠀁 (as SimSun-ExtB has on
    Windows) THEN the PDF embeds it for 𠀁 and nothing is reported; a CFF font is skipped."""
    from reports import fallback_fonts
    from reports.fallback_fonts import unprintable

    folder = tmp_path / "fonts" / "truetype"
    folder.mkdir(parents=True)
    _font_with_one_glyph(folder / "MachineTest.ttf", ord(NOWHERE))
    (folder / "Broken.ttf").write_bytes(b"not a font")
    monkeypatch.setattr(fallback_fonts, "system_font_dirs", lambda: [tmp_path / "fonts"])
    fallback_fonts.forget_machine_fonts()
    try:
        register_fonts()
        pdf = tmp_path / "machine.pdf"
        with unprintable() as found:
            SimpleDocTemplate(str(pdf), pagesize=A4, **canvas_kwargs()).build(
                [Paragraph(f"教师：王{NOWHERE}芳、{TEACHER}", cjk_style("m", 12, font=SERIF))])
    finally:
        fallback_fonts.forget_machine_fonts()
    assert found == []
    glyphs = _embedded_glyphs(pdf)
    assert [(base.split("+", 1)[1], contours) for base, contours in glyphs[NOWHERE]] == [("Machine-Test", 1)]  # the test font, one contour
    assert {base.split("+", 1)[1] for base, _c in glyphs[TSUCHIYOSHI]} == {"NotoSansSCSupplement-Regular"}
