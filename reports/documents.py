"""One entry point per printable document, shared by ``edubridge report`` and the 报告 page.

Each function loads what it needs through ``db`` (which asks ``policy`` for every rule
answer), lays the document out and writes it to ``target`` (a path or a binary file
object), returning a :class:`Built`. Expected failures raise :class:`ReportError` with a
message a clerk can act on. ``progress(percent, text)`` is called now and then; it runs
on the caller's thread (the GUI passes a worker's signal emitter).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from db.engine import StoreError
from db.store import Store

Progress = Callable[[int, str], None]
Target = str | Path | IO[bytes]


class ReportError(StoreError):
    """A document that cannot be made from the data (unknown cluster, no approved plan…)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Built:
    path: str
    pages: int
    size: int
    remark: str = ""
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "pages": self.pages, "bytes": self.size, **self.extra}


def _quiet(_percent: int, _text: str) -> None:
    return None


def _finish(target: Target, pages: int, remark: str = "", **extra: Any) -> Built:
    if isinstance(target, (str, Path)):
        return Built(str(target), pages, os.path.getsize(target), remark, extra)
    size = target.getbuffer().nbytes if isinstance(target, io.BytesIO) else 0
    return Built("", pages, size, remark, extra)


def _profile(store: Store) -> Any:
    from db.settings import active_profile

    return active_profile(store)


# ---- agreement -----------------------------------------------------------------------


def agreement(
    store: Store,
    cluster: str,
    target: Target,
    *,
    new: bool = False,
    start: dt.date | None = None,
    years: int | None = None,
    record: bool = True,
    progress: Progress = _quiet,
) -> Built:
    """The cluster's latest agreement (made from the template when it has none, or ``new``).

    ``record`` stores the printed version and text on the agreement (the CLI and the
    print button do; a preview does not).
    """
    from db import agreements
    from reports.agreement import write_agreement

    try:
        cluster_id, _name = agreements.find_cluster(store, cluster)
    except agreements.AgreementError as exc:
        raise ReportError(str(exc)) from None
    progress(10, "读取协议")
    agreement_id = None if new else agreements.latest_for_cluster(store, cluster_id)
    created = agreement_id is None
    if agreement_id is None:
        try:
            agreement_id = agreements.create_agreement(store, cluster_id, _profile(store), term_start=start,
                                                       term_years=years)
        except agreements.AgreementError as exc:
            raise ReportError(str(exc)) from None
    doc = agreements.load_agreement(store, agreement_id)
    progress(40, "排版")
    pages = write_agreement(doc, target)
    if record:
        agreements.record_printing(store, agreement_id)
    progress(100, "完成")
    remark = "，按模板新建协议" if created else ""
    return _finish(target, pages, remark + f"，第 {doc.version} 版", agreement_id=str(agreement_id),
                   version=doc.version, created=created)


def agreement_by_id(store: Store, agreement_id: Any, target: Target, *, record: bool = False,
                    progress: Progress = _quiet) -> Built:
    """An existing agreement as it stands (the 协议 page's preview and print)."""
    from db import agreements
    from reports.agreement import write_agreement

    doc = agreements.load_agreement(store, agreement_id)
    progress(30, "排版")
    pages = write_agreement(doc, target)
    if record:
        agreements.record_printing(store, agreement_id)
    progress(100, "完成")
    return _finish(target, pages, f"，第 {doc.version} 版", agreement_id=str(agreement_id), version=doc.version)


# ---- the other documents (modules of their own) -----------------------------------


def exchange_notice(store: Store, year: int, target: Target, *, letters: bool = True,
                    progress: Progress = _quiet) -> Built:
    from reports.notice import build_notice

    return build_notice(store, year, target, letters=letters, progress=progress)


def statistics(store: Store, target: Target, *, on: dt.date | None = None, progress: Progress = _quiet) -> Built:
    from reports.statistics import build_statistics

    return build_statistics(store, target, on=on or dt.date.today(), progress=progress)


def annual_report(store: Store, year: int, target: Target, *, cluster: str | None = None,
                  progress: Progress = _quiet) -> Built:
    from reports.annual import build_annual

    return build_annual(store, year, target, cluster=cluster, progress=progress)
