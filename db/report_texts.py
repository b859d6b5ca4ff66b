"""Text the clerk writes for a printed report, kept per document, school year and scope.

The annual report's 主要成效 / 存在问题 / 整改建议 and a community's 学年度工作报告 are drafted
from the figures; the clerk rewrites them in the GUI and the report prints the stored text
(a section never written keeps the draft). Saving is one audited write that refuses a
stale edit (``row_version``), so two clerks never overwrite each other silently.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from db.engine import StoreError
from db.models import Cluster, ReportText
from db.store import Store

#: The sections each document takes, in print order.
DOCUMENTS: dict[str, tuple[str, ...]] = {
    "annual": ("主要成效", "存在问题", "整改建议"),
    "work_report": ("主要工作", "主要成效", "存在问题", "下一学年工作计划"),
}
DOCUMENT_LABELS = {"annual": "年度评价报告", "work_report": "学年度工作报告"}
WHOLE_AREA = "all"
#: A paragraph longer than this is a paste gone wrong, not a report's sentence.
MAX_PARAGRAPH = 2000


class ReportTextError(StoreError):
    """The text cannot be saved as given; str() says why, in Chinese."""


@dataclasses.dataclass(frozen=True, slots=True)
class StoredText:
    """What is stored for one report: paragraphs per section and the row's version."""

    sections: dict[str, list[str]]
    version: int


def _scope(cluster_id: uuid.UUID | None) -> str:
    return WHOLE_AREA if cluster_id is None else cluster_id.hex


def _check_document(document: str) -> tuple[str, ...]:
    if document not in DOCUMENTS:
        raise ReportTextError(f"未知的报告：{document}")
    return DOCUMENTS[document]


def load_text(store: Store, document: str, year: int, cluster_id: uuid.UUID | None) -> StoredText | None:
    """The stored text of a report, or None when the clerk has not written any."""
    _check_document(document)
    with store.read() as session:
        row = session.scalars(select(ReportText).where(
            ReportText.document == document, ReportText.school_year == year,
            ReportText.scope == _scope(cluster_id))).first()
        if row is None:
            return None
        return StoredText({k: [str(p) for p in v] for k, v in (row.sections or {}).items()}, row.row_version)


def paragraphs(text: str) -> list[str]:
    """A text box's content as paragraphs: one per non-empty line, trimmed."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def save_text(store: Store, document: str, year: int, cluster_id: uuid.UUID | None,
              sections: Mapping[str, Sequence[str]], expected_version: int | None = None) -> int:
    """Store the clerk's text (audited); returns the new row version.

    ``expected_version`` is the version the editor loaded (None: it loaded nothing). A
    section that is empty is not stored, so the report prints its draft again.

    Raises:
        ReportTextError: an unknown document or section, a paragraph that is too long, or
            the text was changed by someone else since it was loaded (nothing is written).
        db.versions.StaleRecord: the row changed between the check and the write.
    """
    allowed = _check_document(document)
    clean: dict[str, list[str]] = {}
    for key, value in sections.items():
        if key not in allowed:
            raise ReportTextError(f"“{DOCUMENT_LABELS[document]}”没有“{key}”这一部分（应为{'、'.join(allowed)}）")
        kept = [p.strip() for p in value if p.strip()]
        for number, para in enumerate(kept, start=1):
            if len(para) > MAX_PARAGRAPH:
                raise ReportTextError(f"“{key}”第{number}段有{len(para)}字，超过{MAX_PARAGRAPH}字，请分段")
        if kept:
            clean[key] = kept
    label = DOCUMENT_LABELS[document]
    try:
        return _write(store, document, year, cluster_id, clean, expected_version)
    except IntegrityError:  # two first saves at once: the unique key let one through
        raise ReportTextError(f"{label}的文字刚被他人保存，未保存；请重新打开后再改") from None


def _write(store: Store, document: str, year: int, cluster_id: uuid.UUID | None, clean: dict[str, list[str]],
           expected_version: int | None) -> int:
    label = DOCUMENT_LABELS[document]
    with store.write(note=f"{label}文字 {year}") as session:
        if cluster_id is not None and session.get(Cluster, cluster_id) is None:
            raise ReportTextError("该集团(学区)/教共体不存在")
        row = session.scalars(select(ReportText).where(
            ReportText.document == document, ReportText.school_year == year,
            ReportText.scope == _scope(cluster_id))).first()
        current = None if row is None else row.row_version
        if current != expected_version:
            raise ReportTextError(f"{label}的文字已被他人修改（或删除），未保存；请重新打开后再改")
        if row is None:
            row = ReportText(id=uuid.uuid4(), document=document, school_year=year, scope=_scope(cluster_id),
                             cluster_id=cluster_id, sections=clean)
            session.add(row)
        else:
            row.sections = clean
        session.flush()
        return row.row_version


def merged(draft: Mapping[str, Sequence[str]], stored: StoredText | None,
           sections: Sequence[str]) -> dict[str, list[str]]:
    """The text to print: the stored paragraphs of each section, else the draft's."""
    have = stored.sections if stored is not None else {}
    return {key: list(have.get(key) or draft.get(key, [])) for key in sections}
