"""The agreement (教共体建设协议书) as a print-ready PDF in the serif face.

Lays out an :class:`db.agreements.AgreementDoc` as it stands: title, version line, the
parties, preamble, numbered clauses, then one signature-and-seal block per party
(签字 / 盖章 / 日期) kept together on the last page. Nothing here fills in figures —
the clauses already carry them (``db.agreements.fill_template``).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import IO

from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from db.agreements import AgreementDoc, Party, numbered
from policy.calendar import chinese_date
from reports.fonts import SERIF, SERIF_BOLD
from reports.pdf import FRAME_WIDTH, DocInfo, ReportDocument, esc, styles

SEAL_SIZE = 30 * mm
FUSION = "融合型教共体"
# Ideographic spaces collapse in reportlab's CJK wrapping; underlines keep the gaps visible.
BLANK_DATE = "＿＿＿＿年＿＿月＿＿日"


def _seal_box() -> Drawing:
    """A dashed square where the school's seal goes."""
    drawing = Drawing(SEAL_SIZE, SEAL_SIZE, initialFontName=SERIF, initialFontSize=9)
    drawing.add(Rect(1, 1, SEAL_SIZE - 2, SEAL_SIZE - 2, strokeColor=colors.HexColor("#9a9a9a"),
                     strokeDashArray=[3, 2], fillColor=None, strokeWidth=0.7))
    drawing.add(String(SEAL_SIZE / 2, SEAL_SIZE / 2 - 3, "盖章处", fontName=SERIF, fontSize=9,
                       fillColor=colors.HexColor("#9a9a9a"), textAnchor="middle"))
    return drawing


def _signature_block(party: Party, width: float, kind: str, signed_on: dt.date | None) -> Table:
    st = styles()
    line = "＿" * 9
    signer = esc(party.signatory) if party.signatory else line
    day = chinese_date(signed_on) if signed_on else BLANK_DATE
    if kind == FUSION:
        head = f"<b>{esc(party.label)}</b>（法人单位）：{esc(party.school_name)}（盖章）"
    elif party.teaching_point:
        head = f"<b>{esc(party.label)}</b>（{esc(party.role)}）：{esc(party.school_name)}（由所属中心校盖章）"
    else:
        head = f"<b>{esc(party.label)}</b>（{esc(party.role)}）：{esc(party.school_name)}（盖章）"
    text = [Paragraph(head, st["serif_plain"])]
    if party.represents:
        what = "代表校区" if kind == FUSION else "代为签署教学点"
        text.append(Paragraph(f"{what}：{esc('、'.join(party.represents))}", st["serif_plain"]))
    text += [
        Spacer(1, 4 * mm),
        Paragraph(f"法定代表人或授权代表（签字）：{signer}", st["serif_plain"]),
        Spacer(1, 4 * mm),
        Paragraph(f"日期：{day}", st["serif_plain"]),
    ]
    block = Table([[text, _seal_box()]], colWidths=[width - SEAL_SIZE - 6 * mm, SEAL_SIZE + 6 * mm])
    block.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), SERIF),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#bbbbbb")),
        ("TOPPADDING", (0, 0), (-1, -1), 6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
        ("LEFTPADDING", (0, 0), (-1, -1), 8),
    ]))
    return block


def _bureau_block(bureau: str, width: float) -> Table:
    """The bureau's filing block: it keeps one copy (附则) and seals it on receipt."""
    st = styles()
    text = [Paragraph(f"备案单位：{esc(bureau)}（盖章）", st["serif_plain"]), Spacer(1, 4 * mm),
            Paragraph(f"备案日期：{BLANK_DATE}", st["serif_plain"])]
    block = Table([[text, _seal_box()]], colWidths=[width - SEAL_SIZE - 6 * mm, SEAL_SIZE + 6 * mm])
    block.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), SERIF), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 8),
                               ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#bbbbbb"))]))
    return block


def agreement_warnings(doc: AgreementDoc, today: dt.date | None = None) -> list[str]:
    """What an official must know before signing: an expired or not yet current term."""
    day = today or dt.date.today()
    notes = []
    if doc.term_end < day:
        notes.append(f"本协议期限已于{chinese_date(doc.term_end)}届满，不再有效，仅供存档查阅；续签请新建协议。")
    return notes


def agreement_story(doc: AgreementDoc, today: dt.date | None = None) -> list[Flowable]:
    st = styles()
    # A template draft is not in the database: say so on paper, so nobody signs a text
    # of which no record exists.
    version = "模板草稿，未保存" if doc.draft else f"第 {doc.version} 版"
    story: list[Flowable] = [
        Paragraph(esc(doc.title), st["serif_title"]),
        Paragraph(f"（{esc(doc.cluster_kind)}　{version}）", st["serif_center"]),
    ]
    for warning in agreement_warnings(doc, today):
        story.append(Paragraph(f"<b>注意：{esc(warning)}</b>", st["serif_center"]))
    story.append(Spacer(1, 6 * mm))
    for party in doc.parties:
        extra = ""
        if party.represents:
            extra = ("，代表" if doc.cluster_kind == FUSION else "，代为签署") + "、".join(party.represents)
        role = "法人单位" if doc.cluster_kind == FUSION else party.role
        story.append(Paragraph(f"{esc(party.label)}：{esc(party.school_name)}（{esc(role)}{esc(extra)}）",
                               st["serif_plain"]))
    story += [
        Paragraph(f"协议期限：{chinese_date(doc.term_start)}至{chinese_date(doc.term_end)}", st["serif_plain"]),
        Spacer(1, 5 * mm),
    ]
    if doc.preamble:
        story.append(Paragraph(esc(doc.preamble), st["serif_body"]))
    # Article numbers are generated here too: a clause the clerk inserted or deleted never
    # leaves a gap (第四条 → 第八条) or a number typed twice.
    for section in numbered(doc.sections):
        if section.heading:
            story.append(Paragraph(esc(section.heading), st["serif_h"]))
        for para in section.text.splitlines():
            if para.strip():
                story.append(Paragraph(esc(para.strip()), st["serif_body"]))
    story.append(Spacer(1, 4 * mm))
    if doc.signed_on:  # one date for all parties only when it is known; else each block has its own
        story.append(Paragraph("签订日期：" + chinese_date(doc.signed_on), st["serif_plain"]))
    blocks: list[Flowable] = [
        Spacer(1, 6 * mm),
        Paragraph("（以下无正文，为签字盖章页）", st["serif_center"]),
        Spacer(1, 4 * mm),
    ]
    for party in doc.parties:
        blocks += [_signature_block(party, FRAME_WIDTH, doc.cluster_kind, doc.signed_on), Spacer(1, 4 * mm)]
    blocks.append(_bureau_block(doc.bureau, FRAME_WIDTH))
    story.append(KeepTogether(blocks))
    return story


def agreement_info(doc: AgreementDoc) -> DocInfo:
    return DocInfo(title=doc.title, bureau=doc.bureau, subtitle=doc.cluster_kind)


def write_agreement(doc: AgreementDoc, target: str | Path | IO[bytes]) -> int:
    """The agreement as a PDF (no cover: the first page is the agreement itself); page count."""
    return ReportDocument(target, agreement_info(doc), cover_page=False).build_story(agreement_story(doc))


def agreement_pdf(doc: AgreementDoc) -> bytes:
    buffer = io.BytesIO()
    write_agreement(doc, buffer)
    return buffer.getvalue()


__all__ = ["agreement_pdf", "agreement_story", "write_agreement", "SERIF_BOLD"]
