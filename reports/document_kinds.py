"""The print-ready PDF documents, one typed row per kind.

``edubridge report KIND`` (its subcommands, their options and help) and the GUI's 报告 page
(its document list, which fields it enables, what it builds) read this table; a kind added
here is on both. Like :mod:`reports.exporters`, only the standard library is imported at
module level — the command line builds its parser from this table — and each builder
imports the ``reports`` module it builds with when it runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from policy.progress import Progress, quiet

if TYPE_CHECKING:
    from db.store import Store
    from policy.calendar import Semester
    from reports.output import Built, Target

#: The choices a document may read (``edubridge report KIND --year/--cluster/--semester/--date``).
#: CLUSTER: one cluster is required; SOME_CLUSTER: one cluster or, when none is named, all.
YEAR, CLUSTER, SOME_CLUSTER, SEMESTER, DATE = "year", "cluster", "some_cluster", "semester", "date"


@dataclass(frozen=True)
class DocumentRequest:
    """What the caller chose; a builder reads only the choices its kind lists.

    ``on`` is the day a dated document is for (today when None). ``preview`` is the GUI's
    preview: an agreement is neither stored nor warned about on stderr. The rest are the
    command line's own options (notice contact, edited annual conclusions, a new agreement).
    """

    year: int | None = None
    cluster: str | None = None
    semester: Semester | None = None
    on: dt.date | None = None
    include_all: bool = False
    preview: bool = False
    department: str = ""
    phone: str = ""
    address: str = ""
    conclusions: dict[str, list[str]] | None = None
    draft_to: str | Path | None = None
    new: bool = False
    start: dt.date | None = None
    years: int | None = None

    @property
    def day(self) -> dt.date:
        return self.on or dt.date.today()

    def school_year(self) -> int:
        """The chosen school year (every kind that reads it requires it)."""
        assert self.year is not None, "a document of a school year was asked for without one"
        return self.year

    def one_cluster(self) -> str:
        """The chosen cluster (every kind listing CLUSTER requires it)."""
        assert self.cluster, "a document of one cluster was asked for without one"
        return self.cluster


Build = Callable[["Store", DocumentRequest, "Target", Progress], "Built"]


@dataclass(frozen=True)
class DocumentKind:
    """One PDF the store can be printed as: ``edubridge report KEY -o FILE.pdf``."""

    key: str
    #: The document's name, as the GUI lists it.
    label: str
    #: ``build(store, request, target, progress) -> Built``.
    build: Build
    #: The choices it reads (YEAR, CLUSTER, SOME_CLUSTER, SEMESTER, DATE).
    reads: frozenset[str] = frozenset()
    #: What the command line's help adds to the label (what the document holds, its basis).
    note: str = ""
    #: The ``db.report_texts`` document whose text the clerk may edit, or None.
    text_document: str | None = None

    @property
    def help(self) -> str:
        return f"{self.label}{self.note}"

    def run(self, store: Store, request: DocumentRequest, target: Target, progress: Progress = quiet) -> Built:
        """Build the PDF into ``target``.

        Raises:
            reports.output.ReportError: the data cannot make the document (unknown cluster, no approved plan…).
            policy.errors.Cancelled: ``progress`` stopped the work.

        A character no font can print is named in ``Built.warning`` (reports.output.noting_unprintable).
        """
        from reports.output import noting_unprintable

        return noting_unprintable(lambda: self.build(store, request, target, progress))


# ---- the builders (each imports its reports module when it runs) -------------------------


def _annual(store: Store, request: DocumentRequest, target: Target, progress: Progress) -> Built:
    from reports import documents

    return documents.annual_report(store, request.school_year(), target, cluster=request.cluster,
                                   progress=progress, conclusions=request.conclusions, draft_to=request.draft_to)


def _work(store: Store, request: DocumentRequest, target: Target, progress: Progress) -> Built:
    from reports.work_report import build_work_report

    return build_work_report(store, request.one_cluster(), request.school_year(), target, progress=progress)


def _agreement(store: Store, request: DocumentRequest, target: Target, progress: Progress) -> Built:
    from reports import documents

    if request.preview:  # never stores an agreement (a cluster without one gets a template draft)
        return documents.agreement(store, request.one_cluster(), target, record=False, progress=progress,
                                   warn=None)
    return documents.agreement(store, request.one_cluster(), target, new=request.new, start=request.start,
                               years=request.years, progress=progress)


def _exchange_list(letters: bool) -> Build:
    """The 公示 (``letters`` False) or the 通知书 of the year's approved plan."""
    def build(store: Store, request: DocumentRequest, target: Target, progress: Progress) -> Built:
        from reports import documents
        from reports.notice import Contact

        make = documents.exchange_letters if letters else documents.exchange_notice
        contact = Contact(request.department, request.phone, request.address)
        return make(store, request.school_year(), target, contact=contact, progress=progress)

    return build


def _forms(kind: str) -> Build:
    def build(store: Store, request: DocumentRequest, target: Target, progress: Progress) -> Built:
        from reports.exchange_forms import build_forms

        return build_forms(store, request.school_year(), target, kind=kind, progress=progress)

    return build


def _summary(store: Store, request: DocumentRequest, target: Target, progress: Progress) -> Built:
    from reports.semester_summary import build_summary

    assert request.semester is not None, "a semester summary was asked for without a semester"
    progress("统计本学期的工作", 0.1)
    return build_summary(store, request.one_cluster(), request.semester, target)


def _pairings(store: Store, request: DocumentRequest, target: Target, progress: Progress) -> Built:
    from reports.quota_report import build_pairings_pdf

    progress("整理结对名单", 0.1)
    return build_pairings_pdf(store, request.day, target)


def _statistics(store: Store, request: DocumentRequest, target: Target, progress: Progress) -> Built:
    from reports import documents

    return documents.statistics(store, target, on=request.on, include_all=request.include_all, progress=progress)


_DOCUMENTS: Sequence[DocumentKind] = (
    DocumentKind("annual", "年度评价报告", _annual, frozenset({YEAR, SOME_CLUSTER}), "（全县或一个集团/教共体）",
                 text_document="annual"),
    DocumentKind("work", "教共体学年度工作报告", _work, frozenset({YEAR, CLUSTER}), "（余教〔2020〕155号 五(一)4）",
                 text_document="work_report"),
    DocumentKind("summary", "教共体每学期工作总结", _summary, frozenset({SEMESTER, CLUSTER}),
                 "（余教〔2020〕155号 六(二)）"),
    DocumentKind("agreement", "教共体建设协议书", _agreement, frozenset({CLUSTER}), "（无协议时按模板生成）"),
    DocumentKind("notice", "交流轮岗人员名单公示", _exchange_list(False), frozenset({YEAR}), "（公示期、监督电话、落款）"),
    DocumentKind("letters", "教师交流轮岗通知书", _exchange_list(True), frozenset({YEAR}), "（每人一页，各自的抬头）"),
    DocumentKind("approval", "教师交流轮岗审批表", _forms("approval"), frozenset({YEAR}), "（每人一页）"),
    DocumentKind("register", "教师交流个人登记表", _forms("register"), frozenset({YEAR}), "（每人一页）"),
    DocumentKind("pairings", "结对帮扶及包片包抓名单", _pairings, frozenset({DATE})),
    DocumentKind("statistics", "集团(学区)基本情况统计表", _statistics, frozenset({DATE})),
)

#: Every document by key, in the order the GUI lists them.
DOCUMENT_KINDS: Mapping[str, DocumentKind] = {kind.key: kind for kind in _DOCUMENTS}
