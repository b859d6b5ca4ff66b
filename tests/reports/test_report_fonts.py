"""The bundled Chinese fonts embed in reportlab PDFs and the text survives a
round trip (pdftotext gives back the same Chinese)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

from reports.fonts import SANS, SANS_BOLD, SERIF, canvas_kwargs, cjk_style, register_fonts

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
