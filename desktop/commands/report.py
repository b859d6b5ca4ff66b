"""``edubridge report KIND -o FILE.pdf``: print-ready documents.

The kinds, and the choices each reads, are the rows of
:data:`reports.document_kinds.DOCUMENT_KINDS` (the GUI's 报告 page reads the same table).

Each subcommand writes one PDF and prints one line (``--json``: path, pages, bytes).
Unknown clusters, years without an approved plan and unwritable paths are expected
failures: one line on stderr, exit status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import io
import sys
from typing import TYPE_CHECKING

from desktop.commands import CliError, integer, open_store, output_file, print_json, school_year

if TYPE_CHECKING:
    from reports.document_kinds import DocumentRequest


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期“{text}”应写作 2025-09-01") from None


def _annual_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--draft-conclusions", metavar="FILE.toml",
                     help="同时把按数据生成的主要成效、存在问题、整改建议写入此文件，供修改")
    sub.add_argument("--conclusions", metavar="FILE.toml", help="用修改后的主要成效、存在问题、整改建议排版")


def _agreement_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--new", action="store_true", help="按模板重新生成一份新协议")
    sub.add_argument("--start", type=_date, metavar="YYYY-MM-DD", help="新协议的起始日期（默认今天）")
    sub.add_argument("--years", type=integer, metavar="N", help="新协议的期限（年，默认按模板）")


def _contact_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--phone", help="监督/联系电话（默认取设置中的局联系电话）")
    sub.add_argument("--address", help="来信地址（默认取设置）")
    sub.add_argument("--department", help="受理科室（默认“教育局人事科”）")


def _statistics_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--all", action="store_true", dest="include_all",
                     help="列入全部集团(学区)（默认只列包含乡村学校的，银川2023方案 三(一)）")


#: The command line's own options of a kind, beyond the choices the registry lists.
_OPTIONS = {"annual": _annual_options, "agreement": _agreement_options, "notice": _contact_options,
            "letters": _contact_options, "statistics": _statistics_options}


def register(subparsers: argparse._SubParsersAction) -> None:
    from reports.document_kinds import CLUSTER, DATE, DOCUMENT_KINDS, SEMESTER, SOME_CLUSTER, YEAR

    parser = subparsers.add_parser("report", help="生成可打印的 PDF 文档（年度评价报告、协议书、公示名单、统计表）")
    kinds = parser.add_subparsers(dest="report_kind", metavar="KIND", required=True)
    for kind in DOCUMENT_KINDS.values():
        sub = kinds.add_parser(kind.key, help=kind.help)
        if YEAR in kind.reads:
            sub.add_argument("--year", type=school_year, required=True,
                             help="学年起始年份，如 2025 表示 2025—2026学年")
        if SEMESTER in kind.reads:
            sub.add_argument("--semester", metavar="Y-1|Y-2", required=True, help="学期，如 2025-1")
        if CLUSTER in kind.reads:
            sub.add_argument("--cluster", metavar="NAME", required=True, help="集团(学区)/教共体名称")
        if SOME_CLUSTER in kind.reads:
            sub.add_argument("--cluster", metavar="NAME", help="只评价这个集团(学区)/教共体")
        if DATE in kind.reads:
            sub.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="统计日期（默认今天）")
        if kind.key in _OPTIONS:
            _OPTIONS[kind.key](sub)
        sub.add_argument("-o", "--output", required=True, metavar="FILE.pdf", help="输出的 PDF 文件")
        sub.add_argument("--json", action="store_true", help="以 JSON 输出结果")
        sub.set_defaults(run=run)


def _request(args: argparse.Namespace) -> DocumentRequest:
    """The command line's choices, checked before the store is opened."""
    from reports.document_kinds import DocumentRequest

    conclusions = None
    if getattr(args, "conclusions", None):
        from reports.annual_conclusions import read_conclusions

        conclusions = read_conclusions(args.conclusions)  # ReportError: one line, exit 2
    semester = None
    if getattr(args, "semester", None):
        from desktop.commands.quota import _semester

        semester = _semester(args.semester)
    return DocumentRequest(
        year=getattr(args, "year", None), cluster=getattr(args, "cluster", None), semester=semester,
        on=getattr(args, "date", None), include_all=getattr(args, "include_all", False),
        department=getattr(args, "department", None) or "", phone=getattr(args, "phone", None) or "",
        address=getattr(args, "address", None) or "", conclusions=conclusions,
        draft_to=getattr(args, "draft_conclusions", None), new=getattr(args, "new", False),
        start=getattr(args, "start", None), years=getattr(args, "years", None))


def run(args: argparse.Namespace) -> int:
    from reports.document_kinds import DOCUMENT_KINDS
    from reports.output import ReportError

    output = output_file(args.output, ".pdf")
    request = _request(args)
    store = open_store(args)
    buffer = io.BytesIO()  # the file is written once the document is whole and the clerk told
    try:
        result = DOCUMENT_KINDS[args.report_kind].run(store, request, buffer)
    except ReportError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.dispose()
    found = result.extra.get("unprintable", [])
    if found:
        from reports.fallback_fonts import Unprintable, notice

        print(notice([Unprintable(item["char"], item["text"]) for item in found]), file=sys.stderr)
    try:
        output.write_bytes(buffer.getvalue())
    except OSError as exc:
        raise CliError(f"无法写入 {output}：{exc.strerror or exc}") from None
    result = dataclasses.replace(result, path=str(output), size=buffer.getbuffer().nbytes)
    if args.json:
        print_json(result.as_json())
    else:
        print(f"已生成 {result.path}（{result.pages} 页，{result.size / 1024:.0f} KB）{result.remark}")
    return 0
