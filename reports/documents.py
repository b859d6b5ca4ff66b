"""One entry point per printable document, shared by ``edubridge report`` and the 报告 page.

Each function loads what it needs through ``db`` (which asks ``policy`` for every rule
answer), lays the document out and writes it to ``target`` (a path or a binary file
object), returning a :class:`Built`. Expected failures raise :class:`ReportError` with a
message a clerk can act on. ``progress(message, fraction)`` (policy.progress) is called now
and then, on the caller's thread (the GUI passes a worker's, which raises Cancelled to stop).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from db.store import Store
from policy.progress import Progress, quiet
from reports.output import Built, ReportError, Target, finish, noting_unprintable

if TYPE_CHECKING:
    import uuid

    from policy.profile import Profile


def to_stderr(message: str) -> None:
    """The default ``warn`` of the documents: one line on standard error (the CLI's way)."""
    print(message, file=sys.stderr)


def _profile(store: Store) -> Profile:
    from db.settings import active_profile

    return active_profile(store)


# ---- agreement -----------------------------------------------------------------------


#: Said (on stderr by the CLI, in the status line by the 报告 page) when a cluster has no agreement.
DRAFT_WARNING = "该集团尚无协议，已按模板生成草稿预览（未保存）；在“协议”页新建后可记录打印与签订"


def agreement(
    store: Store,
    cluster: str,
    target: Target,
    *,
    new: bool = False,
    start: dt.date | None = None,
    years: int | None = None,
    record: bool = True,
    progress: Progress = quiet,
    warn: Callable[[str], None] | None = to_stderr,
) -> Built:
    """The cluster's latest agreement; a template draft, NOT stored, when it has none.

    A report changes no data except to record printing: when the cluster has no agreement
    the template is filled and laid out without being saved (``Built.extra['draft']``),
    :data:`DRAFT_WARNING` goes to ``warn`` (and ``Built.warning``), and nothing is recorded
    — an agreement is created on the 协议 page. ``new`` is the explicit exception: it stores
    a new agreement from the template (``--new`` on the command line).

    ``record`` stores the printed version and text on an existing agreement (the CLI and
    the print button do; a preview does not).
    """
    from db import agreements
    from reports.agreement import agreement_warnings, write_agreement

    try:
        cluster_id, _name = agreements.find_cluster(store, cluster)
    except agreements.AgreementError as exc:
        raise ReportError(str(exc)) from None
    progress("读取协议", 0.1)
    agreement_id = None if new else agreements.latest_for_cluster(store, cluster_id)
    try:
        if agreement_id is not None:
            doc = agreements.load_agreement(store, agreement_id)
        elif new:
            agreement_id = agreements.create_agreement(store, cluster_id, _profile(store), term_start=start,
                                                       term_years=years)
            doc = agreements.load_agreement(store, agreement_id)
        else:
            doc = agreements.draft_agreement(store, cluster_id, _profile(store), term_start=start,
                                             term_years=years)
    except agreements.AgreementError as exc:
        raise ReportError(str(exc)) from None
    progress("排版", 0.4)
    pages = write_agreement(doc, target)
    if warn is not None:  # an expired term is printed on the first page too
        for message in agreement_warnings(doc):
            warn(message)
    if doc.draft:
        if warn is not None:
            warn(DRAFT_WARNING)
        progress("完成", 1.0)
        return finish(target, pages, "，模板草稿（未保存）", DRAFT_WARNING, agreement_id=None, version=None,
                       created=False, draft=True)
    assert agreement_id is not None
    progress("完成", 1.0)  # the last cancellation point: before the printing is recorded
    if record:
        agreements.record_printing(store, agreement_id, expected_version=doc.version)
    remark = "，按模板新建协议" if new else ""
    return finish(target, pages, remark + f"，第 {doc.version} 版", agreement_id=str(agreement_id),
                   version=doc.version, created=new, draft=False)


def agreement_by_id(store: Store, agreement_id: uuid.UUID, target: Target, *, record: bool = False,
                    progress: Progress = quiet) -> Built:
    """An existing agreement as it stands (the 协议 page's preview and print)."""
    from db import agreements
    from reports.agreement import write_agreement

    doc = agreements.load_agreement(store, agreement_id)
    progress("排版", 0.3)
    built = noting_unprintable(lambda: finish(target, write_agreement(doc, target), f"，第 {doc.version} 版",
                                              agreement_id=str(agreement_id), version=doc.version))
    progress("完成", 1.0)  # the last cancellation point: before the printing is recorded
    if record:
        agreements.record_printing(store, agreement_id, expected_version=doc.version)
    return built


# ---- the other documents (modules of their own) -----------------------------------


def exchange_notice(store: Store, year: int, target: Target, *, progress: Progress = quiet,
                    contact: Any = None) -> Built:
    """The year's 交流轮岗公示 (list, period, contact, 落款) — the letters are :func:`exchange_letters`."""
    from reports.notice import build_notice

    return build_notice(store, year, target, progress=progress, contact=contact)


def exchange_letters(store: Store, year: int, target: Target, *, progress: Progress = quiet,
                     contact: Any = None) -> Built:
    """One 教师交流轮岗通知书 per teacher of the year's approved plan, each on its own letterhead."""
    from reports.notice import build_letters

    return build_letters(store, year, target, progress=progress, contact=contact)


def statistics(store: Store, target: Target, *, on: dt.date | None = None, include_all: bool = False,
               progress: Progress = quiet) -> Built:
    """The form (only clusters with rural schools unless ``include_all``, 银川2023方案 三(一))."""
    from reports.statistics import build_statistics

    return build_statistics(store, target, on=on or dt.date.today(), include_all=include_all, progress=progress)


def annual_report(store: Store, year: int, target: Target, *, cluster: str | None = None,
                  progress: Progress = quiet, conclusions: dict[str, list[str]] | None = None,
                  draft_to: str | Path | None = None) -> Built:
    """``conclusions``: the clerk's edited 主要成效/存在问题/整改建议; ``draft_to``: write the draft there."""
    from reports.annual import build_annual

    return build_annual(store, year, target, cluster=cluster, progress=progress, conclusions=conclusions,
                        draft_to=draft_to)
