"""Shared machinery of EduBridge's print-ready PDFs (A4, reportlab).

Every document is built the same way::

    doc = ReportDocument(path, DocInfo(title="2025—2026学年教共体评价报告", bureau="某县教育局"))
    story = [*cover(doc.info), *contents(), heading("一、概况"), body("…"), table(...)]
    doc.build_story(story)

What the machinery guarantees:

- fonts: only the bundled Noto Sans SC / Noto Serif SC, embedded as subsets (pages start
  in Noto Sans SC, so not even Helvetica is referenced); text is extractable;
- a cover page (bureau, title, date) without header or footer, then a table of contents
  (its entries predicted from the story's headings, so one layout pass suffices; the page
  numbers, known once laid out, are drawn when the file is saved), a running header with the document title and "第 N 页 / 共 M 页" in the
  footer (the total is known only at the end, so pages are held back by
  :class:`_NumberedCanvas` and stamped when the file is saved);
- tables repeat their header row on every page (``repeatRows=1``), wrap long text in
  ``Paragraph`` cells (CJK line breaking) and are sized to the frame width;
- every piece of data text goes through :func:`esc` before it reaches a ``Paragraph`` —
  a school called "A&B<1>" must not break the markup.

Dangers: ``Paragraph`` cells cost time; :func:`table` makes plain cells for numeric
columns (``Col(numeric=True)``) and for text that fits on one line, breaks the lines of a
wrapping cell once (:class:`_CellParagraph`), and lays out a long table a page at a time
(:class:`_LongTable`: reportlab's ``Table`` re-measures all remaining rows at each split). Charts take plain numbers and
labels already computed elsewhere — nothing here computes a policy answer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from ast import literal_eval
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents, drawPageNumbers

from policy.calendar import chinese_date
from reports.fonts import (
    SANS,
    SANS_BOLD,
    SERIF,
    SERIF_BOLD,
    canvas_kwargs,
    cjk_style,
    register_fonts,
)

__all__ = [
    "Col",
    "DocInfo",
    "ReportDocument",
    "bar_chart",
    "body",
    "build_pdf",
    "contents",
    "cover",
    "esc",
    "fit_lines",
    "fmt_percent",
    "heading",
    "line_chart",
    "note",
    "page_break",
    "ranked_bars",
    "styles",
    "table",
    "with_footnote",
]

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 20 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 20 * mm
#: Width available to flowables (tables, charts) on a body page.
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN_X

HEADER_RULE = colors.HexColor("#8c8c8c")
TABLE_HEAD = colors.HexColor("#dfe7f1")
TABLE_ZEBRA = colors.HexColor("#f4f6f9")
TABLE_GRID = colors.HexColor("#9aa5b1")
#: Series colours of the charts (distinguishable in grey print too: dark → light).
SERIES = [
    colors.HexColor("#1f4e79"),
    colors.HexColor("#c55a11"),
    colors.HexColor("#548235"),
    colors.HexColor("#7f6000"),
    colors.HexColor("#7030a0"),
    colors.HexColor("#8497b0"),
]


def esc(value: object) -> str:
    """Data text made safe for ``Paragraph`` markup (``&``, ``<``, ``>``); None → ''."""
    if value is None:
        return ""
    return escape(str(value))


def fmt_percent(value: float | None, digits: int = 1) -> str:
    """0.125 → '12.5%'; None → '—'."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


@dataclasses.dataclass(frozen=True, slots=True)
class DocInfo:
    """What the cover, the header and the PDF metadata say."""

    title: str
    bureau: str = ""
    date: dt.date = dataclasses.field(default_factory=dt.date.today)
    subtitle: str = ""
    author: str = "EduBridge 城乡教共体管理"
    #: Text under the title on the cover, e.g. "2025—2026学年" or a cluster name.
    cover_lines: tuple[str, ...] = ()
    #: The title on the cover as deliberate lines (e.g. the school year, then the name of
    #: the report); empty → ``title``. Each line is sized to fit, never left with an orphan.
    cover_title: tuple[str, ...] = ()


# ---- styles --------------------------------------------------------------------------


_STYLES: dict[str, ParagraphStyle] | None = None


def styles() -> dict[str, ParagraphStyle]:
    """The named paragraph styles every document uses (built once, then shared).

    ``h1``/``h2`` are the headings that enter the table of contents.
    """
    global _STYLES
    if _STYLES is None:
        register_fonts()
        _STYLES = {
            "cover_bureau": cjk_style("cover_bureau", 18, font=SANS_BOLD, alignment=TA_CENTER),
            "cover_title": cjk_style("cover_title", 26, font=SANS_BOLD, leading=38, alignment=TA_CENTER),
            "cover_line": cjk_style("cover_line", 15, alignment=TA_CENTER, leading=24),
            "cover_date": cjk_style("cover_date", 15, alignment=TA_CENTER),
            "doc_title": cjk_style("doc_title", 18, font=SANS_BOLD, alignment=TA_CENTER, spaceAfter=10),
            "h1": cjk_style("h1", 15, font=SANS_BOLD, spaceBefore=12, spaceAfter=6, keepWithNext=1),
            "h2": cjk_style("h2", 12.5, font=SANS_BOLD, spaceBefore=8, spaceAfter=4, keepWithNext=1),
            "body": cjk_style("body", 10.5, spaceAfter=4, firstLineIndent=21),
            "plain": cjk_style("plain", 10.5, spaceAfter=4),
            "note": cjk_style("note", 8.5, leading=12, textColor=colors.HexColor("#444444"), spaceAfter=4),
            "cell": cjk_style("cell", 9, leading=12),
            "cell_right": cjk_style("cell_right", 9, leading=12, alignment=TA_RIGHT),
            "cell_center": cjk_style("cell_center", 9, leading=12, alignment=TA_CENTER),
            "cell_head": cjk_style("cell_head", 9, font=SANS_BOLD, leading=12, alignment=TA_CENTER),
            "serif_title": cjk_style("serif_title", 20, font=SERIF_BOLD, leading=32, alignment=TA_CENTER,
                                     spaceAfter=14),
            "serif_h": cjk_style("serif_h", 12.5, font=SERIF_BOLD, leading=22, spaceBefore=6, spaceAfter=2,
                                 keepWithNext=1),
            "serif_body": cjk_style("serif_body", 12, font=SERIF, leading=22, firstLineIndent=24),
            "serif_plain": cjk_style("serif_plain", 12, font=SERIF, leading=22),
            "serif_center": cjk_style("serif_center", 12, font=SERIF, leading=22, alignment=TA_CENTER),
            # 落款: the issuer and date at the right, a seal's width from the edge (GB/T 9704 7.3.5).
            "sign_right": cjk_style("sign_right", 12, font=SERIF, leading=22, alignment=TA_RIGHT, rightIndent=24),
            "letterhead": cjk_style("letterhead", 22, font=SERIF_BOLD, leading=34, alignment=TA_CENTER,
                                    textColor=colors.HexColor("#c00000"), spaceAfter=4),
            "toc_title": cjk_style("toc_title", 16, font=SANS_BOLD, alignment=TA_CENTER, spaceAfter=12),
            "toc1": cjk_style("toc1", 11.5, font=SANS, leading=20, leftIndent=0),
            "toc2": cjk_style("toc2", 10.5, font=SANS, leading=17, leftIndent=18),
        }
    return _STYLES


def heading(text: str, level: int = 1) -> Paragraph:
    """A heading that enters the table of contents and the PDF outline (level 1 or 2)."""
    return Paragraph(esc(text), styles()["h1" if level == 1 else "h2"])


def body(text: str, style: str = "body") -> Paragraph:
    """A paragraph of data text (escaped)."""
    return Paragraph(esc(text), styles()[style])


def note(text: str) -> Paragraph:
    """Small print under a table: clauses, how a figure was counted."""
    return Paragraph(esc(text), styles()["note"])


def page_break() -> PageBreak:
    return PageBreak()


# ---- the document --------------------------------------------------------------------


class _NumberedCanvas(Canvas):
    """Holds pages back until the end so each footer can say how many pages there are.

    Pages listed in ``skip`` (1-based; the cover) get neither header nor footer.
    """

    doc_title = ""
    skip: frozenset[int] = frozenset({1})
    #: False: no running header or page numbers at all (letters on their own letterhead).
    furniture = True
    _annotationCount: int  # reportlab's, set in Canvas.__init__

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[dict[str, Any]] = []
        #: Drawing put off until the file is saved (table of contents page numbers), this page.
        self._later: list[Callable[[Canvas], None]] = []
        #: Bookmark key → page number, for the put-off table of contents entries (filled in
        #: place before :meth:`save`: every held page state refers to this dict).
        self.toc_pages: dict[str, int] = {}

    def later(self, draw: Callable[[Canvas], None]) -> None:
        """Draw on the current page when the file is saved (when all page numbers are known)."""
        self._later.append(draw)

    def showPage(self) -> None:
        self._held.append(dict(self.__dict__))
        self._later = []
        self._startPage()

    def save(self) -> None:
        total = len(self._held)
        # Links drawn now must not reuse the annotation numbers of later pages.
        annotations = self._annotationCount
        for state in self._held:
            self.__dict__.update(state)
            self._annotationCount = annotations
            for draw in reversed(self._later):  # last first: each inserts into the content
                draw(self)
            annotations = self._annotationCount
            if self.furniture and self._pageNumber not in self.skip:
                self._stamp(total)
            Canvas.showPage(self)
        Canvas.save(self)

    def _stamp(self, total: int) -> None:
        self.saveState()
        width, height = self._pagesize
        self.setFont(SANS, 8.5)
        self.setFillColor(colors.HexColor("#555555"))
        top = height - MARGIN_TOP + 6 * mm
        self.drawString(MARGIN_X, top, self.doc_title)
        self.setStrokeColor(HEADER_RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN_X, top - 2.2 * mm, width - MARGIN_X, top - 2.2 * mm)
        self.drawCentredString(width / 2, MARGIN_BOTTOM - 9 * mm, f"第 {self._pageNumber} 页 / 共 {total} 页")
        self.restoreState()


class ReportDocument(BaseDocTemplate):
    """An A4 document: a 'cover' page template (no header/footer) and a 'body' one.

    Headings made by :func:`heading` (styles ``h1``/``h2``) are reported to the table of
    contents and become PDF bookmarks.
    """

    def __init__(self, target: str | Path | IO[bytes], info: DocInfo, *, cover_page: bool = True,
                 landscape: bool = False, page_furniture: bool = True) -> None:
        register_fonts()
        pagesize = (A4[1], A4[0]) if landscape else A4
        #: Width available to flowables on this document's pages.
        self.frame_width = pagesize[0] - 2 * MARGIN_X
        self.info = info
        self.cover_page = cover_page
        #: False: no running header and no page numbers (letters, each its own document on paper).
        self.page_furniture = page_furniture
        self._heading_seq = 0
        super().__init__(
            str(target) if isinstance(target, Path) else target,
            pagesize=pagesize,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            title=info.title,
            author=info.author,
            subject=info.subtitle or info.title,
            creator="EduBridge",
            **canvas_kwargs(),
        )
        frame = Frame(MARGIN_X, MARGIN_BOTTOM, self.frame_width, pagesize[1] - MARGIN_TOP - MARGIN_BOTTOM,
                      id="body", leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        templates = [PageTemplate(id="body", frames=[frame])]
        if cover_page:
            templates.insert(0, PageTemplate(id="cover", frames=[frame]))
        self.addPageTemplates(templates)

    def afterFlowable(self, flowable: Flowable) -> None:
        if not isinstance(flowable, Paragraph):
            return
        name = flowable.style.name
        if name not in ("h1", "h2"):
            return
        level = 0 if name == "h1" else 1
        text = flowable.getPlainText()
        self._heading_seq += 1
        key = f"h{self._heading_seq}"
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(text, key, level=level, closed=level > 0)
        # The table of contents lays the text out as Paragraph markup again: escape it.
        entry = (level, esc(text), self.page, key)
        self._headings_seen.append(entry)
        self.notify("TOCEntry", entry)

    def handle_documentBegin(self) -> None:
        self._heading_seq = 0
        self._headings_seen: list[tuple[int, str, int, str]] = []
        super().handle_documentBegin()

    def build_story(self, story: list[Flowable]) -> int:
        """Lay out ``story`` and write the file; returns the page count.

        One layout pass: the table of contents is laid out with its entries predicted from
        the story's headings (the page numbers do not change its height: they are drawn in
        the space after each entry), and the numbers are drawn when the file is saved. If
        the headings laid out differ from the prediction, reportlab's ``multiBuild`` runs
        the usual passes instead.
        """
        title = self.info.title
        skip = frozenset({1}) if self.cover_page else frozenset()

        class _Canvas(_NumberedCanvas):
            doc_title = title
            furniture = self.page_furniture

        _Canvas.skip = skip
        tocs = [f for f in story if isinstance(f, TableOfContents)]
        if not tocs or (len(tocs) == 1 and isinstance(tocs[0], _Contents)):
            predicted = _headings(story)
            if tocs:
                tocs[0].predict(predicted)
            self._doSave = 0
            edits: list[tuple[Any, ...]] = []  # flags reportlab leaves on flowables (_postponed)
            self._multiBuildEdits = edits.append
            try:
                self.build(story[:], canvasmaker=_Canvas)
            finally:
                del self._multiBuildEdits
                for edit in edits:
                    edit[0](*edit[1:])
            seen = [(level, text, key) for level, text, _page, key in self._headings_seen]
            if not tocs or seen == predicted:
                self.canv.toc_pages.update((key, page) for _level, _text, page, key in self._headings_seen)
                self.canv.save()
                return int(self.page)
            tocs[0].predict(None)
        self.multiBuild(story, canvasmaker=_Canvas, maxPasses=6)
        return int(self.page)


def _headings(flowables: Iterable[Flowable]) -> list[tuple[int, str, str]]:
    """(level, escaped text, bookmark key) of the h1/h2 headings in layout order, as
    :meth:`ReportDocument.afterFlowable` will number them."""
    found: list[tuple[int, str]] = []

    def scan(items: Iterable[Flowable]) -> None:
        for f in items:
            if isinstance(f, Paragraph) and f.style.name in ("h1", "h2"):
                found.append((0 if f.style.name == "h1" else 1, esc(f.getPlainText())))
            elif isinstance(f, KeepTogether):
                scan(f._content)

    scan(flowables)
    return [(level, text, f"h{i}") for i, (level, text) in enumerate(found, start=1)]


class _Contents(TableOfContents):
    """A table of contents that can be laid out in one pass.

    Given the entries beforehand (:meth:`predict`), it lays them out at once and asks the
    canvas to draw the dots and page numbers when the file is saved; without them it is
    reportlab's ``TableOfContents`` (filled over ``multiBuild`` passes).
    """

    def __init__(self) -> None:
        super().__init__()
        self._predicted = False

    def predict(self, entries: Sequence[tuple[int, str, str]] | None) -> None:
        self._predicted = entries is not None
        self._lastEntries = [(level, text, 0, key) for level, text, key in entries or ()]

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        size: tuple[float, float] = super().wrap(availWidth, availHeight)
        if self._predicted:
            self.canv.setNamedCB("drawTOCEntryEnd", self._entry_end_later(availWidth, availHeight))
        return size

    def _entry_end_later(self, width: float, height: float) -> Callable[[Any, str, str], None]:
        def entry_end(canvas: Any, _kind: str, label: str) -> None:
            parts = label.split(",")
            level, key = int(parts[1]), literal_eval(parts[2])
            x, y = canvas._curr_tx_info["cur_x"], canvas._curr_tx_info["cur_y"]
            matrix = canvas._currentMatrix
            style = self.getLevelStyle(level)
            dot = " . " if 0 <= self.dotsMinLevel <= level else ""

            index = len(canvas._code)

            def draw(c: Any) -> None:
                # Drawn into the page's content where the entry ended, in the graphics state
                # of that moment: the content stream reads exactly as a second pass's would
                # (text extraction in stream order sees each number after its entry).
                page_code, page_matrix = c._code, c._currentMatrix
                c._code, c._currentMatrix = [], matrix
                c._curr_tx_info = {"cur_x": x, "cur_y": y}
                drawPageNumbers(c, style, [(c.toc_pages[key], key)], width, height, dot)
                page_code[index:index] = c._code
                c._code, c._currentMatrix = page_code, page_matrix

            canvas.later(draw)

        return entry_end


def build_pdf(
    target: str | Path | IO[bytes],
    info: DocInfo,
    story_maker: Callable[[], list[Flowable]],
    *,
    cover_page: bool = True,
    landscape: bool = False,
) -> int:
    """Build a document from a fresh story; returns the page count."""
    return ReportDocument(target, info, cover_page=cover_page, landscape=landscape).build_story(story_maker())


def fit_lines(text: str, font: str, size: float, width: float, *, min_size: float | None = None
              ) -> tuple[float, list[str]]:
    """(font size, lines) to set ``text`` within ``width``: one line, shrunk down to
    ``min_size`` (default 70 % of ``size``) if need be; beyond that, lines of balanced
    length at ``size`` — never a last line of one or two characters, never a break inside
    a run of digits or Latin letters.
    """
    floor = size * 0.7 if min_size is None else min_size
    natural = stringWidth(text, font, size)
    if natural <= width:
        return size, [text]
    if natural * floor / size <= width:
        return max(floor, size * width / natural * 0.995), [text]
    count = int(natural // width) + 1
    while True:
        lines = _balanced(text, count, font, size)
        if all(stringWidth(line, font, size) <= width for line in lines) or count >= len(text):
            return size, lines
        count += 1


def _balanced(text: str, count: int, font: str, size: float) -> list[str]:
    """``text`` cut into ``count`` lines of about equal width, at allowed break points."""

    def breakable(i: int) -> bool:  # a break before text[i]
        a, b = text[i - 1], text[i]
        return not (a.isascii() and a.isalnum() and b.isascii() and b.isalnum()) and b not in "，。、；：）》”’!?)"

    total = stringWidth(text, font, size)
    lines, start = [], 0
    for k in range(1, count):
        goal = total * k / count
        candidates = [i for i in range(start + 1, len(text)) if breakable(i)]
        if not candidates:
            break
        cut = min(candidates, key=lambda i: abs(stringWidth(text[:i], font, size) - goal))
        lines.append(text[start:cut])
        start = cut
    lines.append(text[start:])
    return [line for line in lines if line]


def _fitted(text: str, style: ParagraphStyle, width: float) -> list[Flowable]:
    """``text`` as one paragraph per line, sized by :func:`fit_lines` (no automatic wrap)."""
    size, lines = fit_lines(text, style.fontName, style.fontSize, width)
    fitted = style if size == style.fontSize else ParagraphStyle(
        f"{style.name}_{size:.1f}", parent=style, fontSize=size, leading=style.leading * size / style.fontSize)
    return [Paragraph(esc(line), fitted) for line in lines]


def cover(info: DocInfo, *, landscape: bool = False) -> list[Flowable]:
    """The cover page: bureau, title, cover lines, date; then switches to body pages.

    The title is set as ``info.cover_title`` lines (or the title), each sized to fit the
    width — a long title never wraps by itself and leaves one character on a line.
    """
    st = styles()
    width = (PAGE_HEIGHT if landscape else PAGE_WIDTH) - 2 * MARGIN_X
    flow: list[Flowable] = [Spacer(1, 30 * mm if landscape else 55 * mm)]
    if info.bureau:
        flow += [*_fitted(info.bureau, st["cover_bureau"], width), Spacer(1, 16 * mm)]
    for line in info.cover_title or (info.title,):
        flow += _fitted(line, st["cover_title"], width)
    flow.append(Spacer(1, 10 * mm))
    if info.subtitle:
        flow += [*_fitted(info.subtitle, st["cover_line"], width), Spacer(1, 4 * mm)]
    for line in info.cover_lines:
        flow += _fitted(line, st["cover_line"], width)
    flow += [Spacer(1, 70 * mm if not landscape else 30 * mm), Paragraph(esc(chinese_date(info.date)), st["cover_date"])]
    flow += [NextPageTemplate("body"), PageBreak()]
    return flow


def contents() -> list[Flowable]:
    """A 目录 page (filled on the second layout pass)."""
    st = styles()
    toc = _Contents()
    toc.levelStyles = [st["toc1"], st["toc2"]]
    toc.dotsMinLevel = 0
    # Without a FONTNAME the inner table selects reportlab's default (non-embedded) Helvetica.
    toc.tableStyle = TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), SANS),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ])
    return [Paragraph("目　录", st["toc_title"]), toc, PageBreak()]


# ---- tables --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Col:
    """A table column: header, relative width, alignment.

    ``numeric`` columns hold short values (numbers, percentages, dates): they are plain
    right-aligned cells that never wrap, which keeps big tables fast.
    """

    header: str
    width: float = 1.0
    numeric: bool = False
    align: str = "left"  # "left" | "center" | "right" (text columns)


def table(
    columns: Sequence[Col],
    rows: Iterable[Sequence[object]],
    *,
    width: float = FRAME_WIDTH,
    zebra: bool = True,
    font_size: float = 9,
    highlight: Callable[[int, Sequence[object]], colors.Color | None] | None = None,
    empty_text: str = "（无记录）",
) -> Table:
    """A table that fits ``width``, repeats its header row on every page and wraps text.

    Args:
        columns: the columns; widths are relative and scaled to ``width``.
        rows: cell values (str, numbers, None → ''), one sequence per row.
        highlight: optional row → background colour (e.g. a violation in light red).
        empty_text: shown in a single row when there are no rows, so an empty table is
            visibly empty rather than a lone header.
    """
    st = styles()
    total = sum(c.width for c in columns)
    widths = [width * c.width / total for c in columns]
    if font_size != 9:
        cell_styles = {
            key: ParagraphStyle(f"{key}_{font_size}", parent=st[key], fontSize=font_size,
                                leading=round(font_size * 1.35, 1))
            for key in ("cell", "cell_right", "cell_center", "cell_head")
        }
    else:
        cell_styles = {key: st[key] for key in ("cell", "cell_right", "cell_center", "cell_head")}
    text_style = {"left": cell_styles["cell"], "right": cell_styles["cell_right"],
                  "center": cell_styles["cell_center"]}
    data: list[list[object]] = [[Paragraph(esc(c.header), cell_styles["cell_head"]) for c in columns]]
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), SANS),
        ("FONTSIZE", (0, 0), (-1, -1), font_size),
        ("LEADING", (0, 0), (-1, -1), round(font_size * 1.35, 1)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("GRID", (0, 0), (-1, -1), 0.4, TABLE_GRID),
        ("BACKGROUND", (0, 0), (-1, 0), TABLE_HEAD),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    for index, col in enumerate(columns):
        align = "RIGHT" if col.numeric else col.align.upper()
        commands.append(("ALIGN", (index, 1), (index, -1), align))
    # Text that fits on one line is drawn as a plain cell (a Paragraph costs ~50x more to lay
    # out); only text that needs wrapping becomes a Paragraph with CJK line breaking.
    room = [w - 6.5 for w in widths]
    count = 0
    backgrounds: list[colors.Color | None] = []
    for count, row in enumerate(rows, start=1):
        cells: list[object] = []
        for index, (col, value) in enumerate(zip(columns, row, strict=True)):
            text = "" if value is None else str(value)
            if col.numeric or ("\n" not in text and stringWidth(text, SANS, font_size) <= room[index]):
                cells.append(text)
            else:
                cells.append(_CellParagraph(esc(text), text_style[col.align]))
        data.append(cells)
        colour = highlight(count, row) if highlight else None
        backgrounds.append(colour if colour is not None else TABLE_ZEBRA if zebra and count % 2 == 0 else None)
    if count > _LONG_TABLE_ROWS:
        # Smallest possible row: one line of text plus the paddings.
        return _LongTable(data[0], data[1:], widths, commands, backgrounds, min(font_size * 1.2, 9) + 5)
    commands += _backgrounds(backgrounds)
    if count == 0:
        data.append([Paragraph(esc(empty_text), cell_styles["cell_center"])] + [""] * (len(columns) - 1))
        commands.append(("SPAN", (0, 1), (-1, 1)))
    result = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    result.setStyle(TableStyle(commands))
    return result


class _CellParagraph(Paragraph):
    """A table cell's Paragraph: line breaking is done once per width.

    A ``Table`` wraps each cell when it measures rows, again for each split and again
    when drawing; the cell width never changes, so the lines found the first time stand.
    """

    _wrapped_for: float | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        if availWidth == self._wrapped_for and "blPara" in self.__dict__:
            return self.width, self.height
        size: tuple[float, float] = super().wrap(availWidth, availHeight)
        self._wrapped_for = availWidth
        return size


#: Tables longer than this are laid out a page at a time (:class:`_LongTable`).
_LONG_TABLE_ROWS = 80


def _backgrounds(colours: Sequence[colors.Color | None]) -> list[tuple[Any, ...]]:
    """Row background commands; row 0 is the header, ``colours[0]`` is row 1."""
    return [("BACKGROUND", (0, i), (-1, i), c) for i, c in enumerate(colours, start=1) if c is not None]


class _LongTable(Flowable):
    """A table of many rows that costs time in proportion to its rows.

    reportlab's ``Table`` measures every remaining row each time it is split, and sums the
    heights row by row while doing so, so a table of thousands of rows takes time growing
    with the square of its length. This flowable hands the frame a ``Table`` of only the
    rows that can possibly fit on the page (the frame height over the smallest row height),
    splits that, and keeps the rest for the next page. Output is the same as one Table's:
    the header row on every page, the same styles and row backgrounds.
    """

    def __init__(self, header: list[object], rows: list[list[object]], widths: list[float],
                 commands: list[tuple[Any, ...]], backgrounds: list[colors.Color | None], min_row: float) -> None:
        super().__init__()
        self.hAlign = "LEFT"
        self._header, self._rows, self._widths = header, rows, widths
        self._commands, self._backgrounds, self._min_row = commands, backgrounds, min_row
        self._table: Table | None = None

    def _first(self, available: float) -> Table:
        n = min(len(self._rows), int(available / self._min_row) + 2)
        result = Table([self._header, *self._rows[:n]], colWidths=self._widths, repeatRows=1, hAlign="LEFT")
        result.setStyle(TableStyle(self._commands + _backgrounds(self._backgrounds[:n])))
        return result

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self._table = self._first(availHeight)
        width, height = self._table.wrapOn(self.canv, availWidth, availHeight)
        if len(self._table._cellvalues) - 1 < len(self._rows):
            height = max(height, availHeight + 1)  # more rows follow: it cannot fit here
        self.width, self.height = width, height
        return width, height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        first = self._first(availHeight)
        parts = first.splitOn(self.canv, availWidth, availHeight)
        if not parts:
            return []
        used = len(parts[0]._cellvalues) - 1
        if used >= len(self._rows):
            return [parts[0]]
        rest = _LongTable(self._header, self._rows[used:], self._widths, self._commands,
                          self._backgrounds[used:], self._min_row)
        return [parts[0], rest]

    def draw(self) -> None:
        assert self._table is not None
        self._table.drawOn(self.canv, 0, 0)


def key_values(pairs: Sequence[tuple[str, object]], *, width: float = FRAME_WIDTH, label_width: float = 0.3) -> Table:
    """A two-column label/value block (no header row), e.g. a teacher's notice."""
    st = styles()
    data = [[Paragraph(esc(k), st["cell_head"]), Paragraph(esc(v), st["cell"])] for k, v in pairs]
    result = Table(data, colWidths=[width * label_width, width * (1 - label_width)], hAlign="LEFT")
    result.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), SANS),
        ("GRID", (0, 0), (-1, -1), 0.4, TABLE_GRID),
        ("BACKGROUND", (0, 0), (0, -1), TABLE_HEAD),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]))
    return result


# ---- charts --------------------------------------------------------------------------


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _chart_frame(width: float, height: float, title: str) -> Drawing:
    drawing = Drawing(width, height, initialFontName=SANS, initialFontSize=8)
    if title:
        drawing.add(String(width / 2, height - 12, title, fontName=SANS_BOLD, fontSize=10.5, textAnchor="middle"))
    return drawing


def _legend(drawing: Drawing, names: Sequence[str], x: float, y: float) -> None:
    """One row of colour keys under the title band (never on the title: the title's baseline
    is 12 pt below the top, this row's is ``y`` + 2, at least 16 pt lower)."""
    if len(names) < 2 and not (names and names[0]):
        return
    cursor = x
    for i, name in enumerate(names):
        drawing.add(Rect(cursor, y + 1, 7, 7, fillColor=SERIES[i % len(SERIES)], strokeColor=None))
        drawing.add(String(cursor + 10, y + 2, name, fontName=SANS, fontSize=8))
        cursor += 10 + stringWidth(name, SANS, 8) + 14


def _value_axis_max(series: Sequence[Sequence[float | None]], floor: float | None) -> float:
    top = max((v for values in series for v in values if v is not None), default=0.0)
    if floor is not None:
        top = max(top, floor)
    return top * 1.12 if top > 0 else 1.0


def bar_chart(
    categories: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    title: str = "",
    width: float = FRAME_WIDTH,
    height: float = 70 * mm,
    value_format: str = "{:g}",
    target: float | None = None,
    target_label: str = "",
    label_chars: int = 8,
) -> Drawing:
    """Vertical bars per category, one colour per series; an optional target line.

    Category labels longer than ``label_chars`` are shortened with '…' and tilted so
    they never run into each other; the full names belong in the table beside the chart.
    """
    drawing = _chart_frame(width, height, title)
    names = list(series)
    values = [list(series[n]) for n in names] or [[0.0] * len(categories)]
    chart = VerticalBarChart()
    tilt = len(categories) > 6 or any(len(c) > 5 for c in categories)
    chart.x, chart.y = 40, 52 if tilt else 28
    chart.width = width - 60
    chart.height = height - chart.y - (38 if len(names) > 1 else 22)
    chart.data = values
    chart.categoryAxis.categoryNames = [_short(c, label_chars) for c in categories]
    chart.categoryAxis.labels.fontName = SANS
    chart.categoryAxis.labels.fontSize = 7.5
    if tilt:
        chart.categoryAxis.labels.angle = 35
        chart.categoryAxis.labels.boxAnchor = "ne"
        chart.categoryAxis.labels.dx = 4
        chart.categoryAxis.labels.dy = -2
    chart.valueAxis.labels.fontName = SANS
    chart.valueAxis.labels.fontSize = 7.5
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = _value_axis_max(values, target)
    chart.valueAxis.labelTextFormat = lambda v: value_format.format(v)
    chart.barSpacing = 1
    chart.groupSpacing = 6
    for i in range(len(values)):
        chart.bars[i].fillColor = SERIES[i % len(SERIES)]
        chart.bars[i].strokeColor = None
    if len(categories) <= 12:
        chart.barLabelFormat = lambda v: value_format.format(v)
        chart.barLabels.fontName = SANS
        chart.barLabels.fontSize = 6.5
        chart.barLabels.nudge = 5
    drawing.add(chart)
    if target is not None:
        span = chart.valueAxis.valueMax - chart.valueAxis.valueMin
        y = chart.y + chart.height * (target - chart.valueAxis.valueMin) / span
        drawing.add(Line(chart.x, y, chart.x + chart.width, y, strokeColor=colors.red,
                         strokeDashArray=[3, 2], strokeWidth=0.8))
        if target_label:
            drawing.add(String(chart.x + chart.width, y + 2, target_label, fontName=SANS, fontSize=7,
                               fillColor=colors.red, textAnchor="end"))
    if len(names) > 1:
        _legend(drawing, names, chart.x, height - 30)
    return drawing


def line_chart(
    categories: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    title: str = "",
    width: float = FRAME_WIDTH,
    height: float = 70 * mm,
    value_format: str = "{:g}",
    label_chars: int = 10,
) -> Drawing:
    """Lines over categories (school years, semesters), one per series, with markers."""
    from reportlab.graphics.widgets.markers import makeMarker

    drawing = _chart_frame(width, height, title)
    names = list(series)
    values = [list(series[n]) for n in names] or [[0.0] * len(categories)]
    chart = HorizontalLineChart()
    chart.x, chart.y = 40, 28
    chart.width = width - 60
    chart.height = height - chart.y - (38 if len(names) > 1 else 22)
    chart.data = values
    chart.joinedLines = 1
    chart.categoryAxis.categoryNames = [_short(c, label_chars) for c in categories]
    chart.categoryAxis.labels.fontName = SANS
    chart.categoryAxis.labels.fontSize = 7.5
    chart.valueAxis.labels.fontName = SANS
    chart.valueAxis.labels.fontSize = 7.5
    present = [v for vals in values for v in vals if v is not None]
    low = min(present, default=0.0)
    chart.valueAxis.valueMin = 0 if low >= 0 and low < (max(present, default=1.0) * 0.5) else low * 0.95
    chart.valueAxis.valueMax = _value_axis_max(values, None)
    chart.valueAxis.labelTextFormat = lambda v: value_format.format(v)
    for i in range(len(values)):
        chart.lines[i].strokeColor = SERIES[i % len(SERIES)]
        chart.lines[i].strokeWidth = 1.4
        chart.lines[i].symbol = makeMarker("FilledCircle", size=4, fillColor=SERIES[i % len(SERIES)])
    drawing.add(chart)
    if len(names) > 1:
        _legend(drawing, names, chart.x, height - 30)
    return drawing


class _WithFootnote(Flowable):
    """A table and the notes under it: the notes never stand alone at the top of a page.

    The table splits across pages as usual; only when the table's last rows fit on a page
    but the notes do not is the table cut earlier, so that those rows go over with them.
    """

    def __init__(self, table: Flowable, notes: list[Flowable]) -> None:
        super().__init__()
        self.hAlign = "LEFT"
        self._table, self._notes = table, notes

    def _notes_height(self, width: float) -> float:
        height: float = sum(n.wrapOn(self.canv, width, 10_000)[1] + n.getSpaceBefore() + n.getSpaceAfter()
                            for n in self._notes)
        return height

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        width, height = self._table.wrapOn(self.canv, availWidth, availHeight)
        self.width, self.height = width, height + self._notes_height(availWidth)
        return self.width, self.height

    #: Rows (at least) that go over with the notes when the table is cut for them.
    TAIL_ROWS = 3

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        notes = self._notes_height(availWidth)
        _width, height = self._table.wrapOn(self.canv, availWidth, availHeight)
        # More rows than the page holds: an ordinary split; the rows fit but the notes do
        # not: cut earlier. Either way the part that goes over keeps a few rows, so the
        # last page never holds only a total row and the notes.
        total = _body_rows(self._table)
        room = availHeight if height > availHeight else availHeight - notes
        parts = self._table.splitOn(self.canv, availWidth, room)
        while len(parts) == 2 and _body_rows(parts[1]) < min(self.TAIL_ROWS, total) and room > 0:
            room -= 6
            parts = self._table.splitOn(self.canv, availWidth, room)
        if len(parts) < 2:
            return []  # not even one row fits with the notes: all of it on the next page
        return [*parts[:-1], _WithFootnote(parts[-1], self._notes)]

    def draw(self) -> None:
        y = self.height
        width = self.width
        _w, h = self._table.wrapOn(self.canv, width, y)
        y -= h
        self._table.drawOn(self.canv, 0, y)
        for n in self._notes:
            _w, h = n.wrapOn(self.canv, width, 10_000)
            y -= n.getSpaceBefore() + h
            n.drawOn(self.canv, 0, y)
            y -= n.getSpaceAfter()


def _body_rows(flowable: Flowable) -> int:
    """Rows under the header of a :func:`table` (a ``Table`` or a long table)."""
    if isinstance(flowable, _LongTable):
        return len(flowable._rows)
    return len(getattr(flowable, "_cellvalues", [None])) - 1


def with_footnote(table_flowable: Flowable, *notes: Flowable) -> Flowable:
    """``table_flowable`` followed by ``notes`` (a Spacer, a :func:`note`…) that stay with
    the table's last rows: a page never holds only the footnote."""
    return _WithFootnote(table_flowable, list(notes))


def ranked_bars(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    title: str = "",
    width: float = FRAME_WIDTH,
    value_format: str = "{:g}",
    target: float | None = None,
    target_label: str = "",
    limit: int = 30,
    unit: str = "个",
) -> Drawing:
    """Horizontal bars, highest first, each labelled with its full name and value.

    Reads well at any count: names sit on the left in one line (cut with '…' only when
    longer than 40 % of the width), bars are a fixed height. Beyond ``limit`` categories
    only the first and last ``limit // 2`` of the ranking are drawn, with a row saying how
    many were left out (the table beside the chart has them all) — never a crowded chart.
    """
    font_size, row = 7.5, 12.0
    ranked = sorted(zip(labels, values, strict=True), key=lambda lv: (-(lv[1] or 0), lv[0]))
    shown: list[tuple[str, float | None]] = list(ranked)
    note_text = ""
    if len(ranked) > limit:
        half = limit // 2
        skipped = len(ranked) - 2 * half
        shown = [*ranked[:half], (f"……（中间{skipped}{unit}略）", None), *ranked[-half:]]
        note_text = f"（前{half}名与后{half}名，共{len(ranked)}{unit}）"
    label_room = min(max((stringWidth(lab, SANS, font_size) for lab, _ in shown), default=40) + 6, width * 0.4)
    plot_left = label_room + 4
    plot_width = width - plot_left - 34
    top_pad = 22 if title else 8
    height = top_pad + row * len(shown) + 22
    drawing = _chart_frame(width, height, title + note_text)
    top = max([v or 0 for _l, v in shown] + [target or 0])
    scale_max = _nice_max(top)
    base = 18.0
    # Axis with ticks.
    drawing.add(Line(plot_left, base, plot_left, base + row * len(shown), strokeColor=colors.black, strokeWidth=0.6))
    drawing.add(Line(plot_left, base, plot_left + plot_width, base, strokeColor=colors.black, strokeWidth=0.6))
    for i in range(6):
        v = scale_max * i / 5
        x = plot_left + plot_width * i / 5
        drawing.add(Line(x, base, x, base - 3, strokeColor=colors.black, strokeWidth=0.6))
        if i:
            drawing.add(Line(x, base, x, base + row * len(shown), strokeColor=colors.HexColor("#e3e3e3"),
                             strokeWidth=0.4))
        drawing.add(String(x, base - 11, value_format.format(v), fontName=SANS, fontSize=7, textAnchor="middle"))
    for index, (label, value) in enumerate(shown):
        y = base + row * (len(shown) - index - 1)
        text = label if stringWidth(label, SANS, font_size) <= label_room - 6 else _fit_text(label, label_room - 6,
                                                                                             font_size)
        drawing.add(String(plot_left - 4, y + 3.5, text, fontName=SANS, fontSize=font_size, textAnchor="end",
                           fillColor=colors.HexColor("#666666") if value is None else colors.black))
        if value is None:
            continue
        length = plot_width * max(value, 0) / scale_max
        drawing.add(Rect(plot_left, y + 2, length, row - 4, fillColor=SERIES[0], strokeColor=None))
        drawing.add(String(plot_left + length + 2, y + 3.5, value_format.format(value), fontName=SANS,
                           fontSize=6.5, textAnchor="start"))
    if target is not None:
        x = plot_left + plot_width * target / scale_max
        drawing.add(Line(x, base, x, base + row * len(shown) + 2, strokeColor=colors.red, strokeDashArray=[3, 2],
                         strokeWidth=0.8))
        if target_label:
            drawing.add(String(x, base + row * len(shown) + 4, target_label, fontName=SANS, fontSize=7,
                               fillColor=colors.red, textAnchor="middle"))
    return drawing


def _fit_text(text: str, room: float, size: float) -> str:
    while text and stringWidth(text + "…", SANS, size) > room:
        text = text[:-1]
    return text + "…"


def _nice_max(top: float) -> float:
    """A round axis end at or above ``top`` (5 ticks of 1, 2, 2.5 or 5 × 10^n)."""
    import math

    if top <= 0:
        return 1.0
    step = top / 5
    power: float = 10 ** math.floor(math.log10(step))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= step:
            return 5 * factor * power
    return top


def keep(*flowables: Flowable) -> KeepTogether:
    """Keep a caption with its chart or table start."""
    return KeepTogether(list(flowables))


def cond_break(height: float = 60 * mm) -> CondPageBreak:
    return CondPageBreak(height)


def serif(text: str, style: str = "serif_body") -> Paragraph:
    """Agreement text in the serif face (escaped)."""
    return Paragraph(esc(text), styles()[style])


def pdf_bytes(info: DocInfo, story_maker: Callable[[], list[Flowable]], *, cover_page: bool = True) -> bytes:
    """The document as bytes (for the print preview and for tests)."""
    buffer = io.BytesIO()
    build_pdf(buffer, info, story_maker, cover_page=cover_page)
    return buffer.getvalue()


# Re-exported for callers that lay out their own blocks.
TA = {"left": TA_LEFT, "center": TA_CENTER, "right": TA_RIGHT}
FONTS = {"sans": SANS, "sans_bold": SANS_BOLD, "serif": SERIF, "serif_bold": SERIF_BOLD}
