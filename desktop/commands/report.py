"""``edubridge report annual|work|agreement|notice|letters|statistics -o FILE.pdf``: print-ready documents.

Each subcommand writes one PDF and prints one line (``--json``: path, pages, bytes).
Unknown clusters, years without an approved plan and unwritable paths are expected
failures: one line on stderr, exit status 2.
"""

from __future__ import annotations

import argparse
import datetime as dt

from desktop.commands import CliError, integer, open_store, output_file, print_json, school_year


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期“{text}”应写作 2025-09-01") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="生成可打印的 PDF 文档（年度评价报告、协议书、公示名单、统计表）")
    kinds = parser.add_subparsers(dest="report_kind", metavar="KIND", required=True)

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("-o", "--output", required=True, metavar="FILE.pdf", help="输出的 PDF 文件")
        sub.add_argument("--json", action="store_true", help="以 JSON 输出结果")
        sub.set_defaults(run=run)

    annual = kinds.add_parser("annual", help="年度评价报告（全县或一个集团/教共体）")
    annual.add_argument("--year", type=school_year, required=True, help="学年起始年份，如 2025 表示 2025—2026学年")
    annual.add_argument("--cluster", metavar="NAME", help="只评价这个集团(学区)/教共体")
    annual.add_argument("--draft-conclusions", metavar="FILE.toml",
                        help="同时把按数据生成的主要成效、存在问题、整改建议写入此文件，供修改")
    annual.add_argument("--conclusions", metavar="FILE.toml", help="用修改后的主要成效、存在问题、整改建议排版")
    common(annual)

    agreement = kinds.add_parser("agreement", help="教共体建设协议书（无协议时按模板生成）")
    agreement.add_argument("--cluster", metavar="NAME", required=True, help="集团(学区)/教共体名称")
    agreement.add_argument("--new", action="store_true", help="按模板重新生成一份新协议")
    agreement.add_argument("--start", type=_date, metavar="YYYY-MM-DD", help="新协议的起始日期（默认今天）")
    agreement.add_argument("--years", type=integer, metavar="N", help="新协议的期限（年，默认按模板）")
    common(agreement)

    for name, text in (("notice", "交流轮岗人员名单公示（公示期、监督电话、落款）"),
                       ("letters", "教师交流轮岗通知书（每人一页，各自的抬头）")):
        sub = kinds.add_parser(name, help=text)
        sub.add_argument("--year", type=school_year, required=True, help="学年起始年份")
        sub.add_argument("--phone", help="监督/联系电话（默认取设置中的局联系电话）")
        sub.add_argument("--address", help="来信地址（默认取设置）")
        sub.add_argument("--department", help="受理科室（默认“教育局人事科”）")
        common(sub)

    for name, text in (("approval", "教师交流轮岗审批表（每人一页）"), ("register", "教师交流个人登记表（每人一页）")):
        sub = kinds.add_parser(name, help=text)
        sub.add_argument("--year", type=school_year, required=True, help="学年起始年份")
        common(sub)

    summary = kinds.add_parser("summary", help="教共体每学期工作总结（余教〔2020〕155号 六(二)）")
    summary.add_argument("--cluster", metavar="NAME", required=True, help="集团(学区)/教共体名称")
    summary.add_argument("--semester", metavar="Y-1|Y-2", required=True, help="学期，如 2025-1")
    common(summary)

    work = kinds.add_parser("work", help="教共体学年度工作报告（余教〔2020〕155号 五(一)4）")
    work.add_argument("--cluster", metavar="NAME", required=True, help="集团(学区)/教共体名称")
    work.add_argument("--year", type=school_year, required=True, help="学年起始年份，如 2025 表示 2025—2026学年")
    common(work)

    pairings = kinds.add_parser("pairings", help="结对帮扶及包片包抓名单")
    pairings.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="统计日期（默认今天）")
    common(pairings)

    statistics = kinds.add_parser("statistics", help="集团(学区)基本情况统计表")
    statistics.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="统计日期（默认今天）")
    statistics.add_argument("--all", action="store_true", dest="include_all",
                            help="列入全部集团(学区)（默认只列包含乡村学校的，银川2023方案 三(一)）")
    common(statistics)


def run(args: argparse.Namespace) -> int:
    from reports import documents
    from reports.output import ReportError

    output = output_file(args.output, ".pdf")
    store = open_store(args)
    try:
        try:
            if args.report_kind == "annual":
                from reports.annual_conclusions import read_conclusions

                try:
                    edited = read_conclusions(args.conclusions) if args.conclusions else None
                except ValueError as exc:
                    raise CliError(str(exc)) from None
                result = documents.annual_report(store, args.year, output, cluster=args.cluster,
                                                 conclusions=edited, draft_to=args.draft_conclusions)
            elif args.report_kind == "agreement":
                result = documents.agreement(store, args.cluster, output, new=args.new, start=args.start,
                                             years=args.years)
            elif args.report_kind in ("notice", "letters"):
                from reports.notice import Contact

                contact = Contact(args.department or "", args.phone or "", args.address or "")
                make = documents.exchange_notice if args.report_kind == "notice" else documents.exchange_letters
                result = make(store, args.year, output, contact=contact)
            elif args.report_kind in ("approval", "register"):
                from reports.exchange_forms import build_forms

                result = build_forms(store, args.year, output, kind=args.report_kind)
            elif args.report_kind == "summary":
                from desktop.commands.quota import _semester
                from reports.semester_summary import build_summary

                result = build_summary(store, args.cluster, _semester(args.semester), output)
            elif args.report_kind == "work":
                from reports.work_report import build_work_report

                result = build_work_report(store, args.cluster, args.year, output)
            elif args.report_kind == "pairings":
                from reports.quota_report import build_pairings_pdf

                result = build_pairings_pdf(store, args.date or dt.date.today(), output)
            else:
                result = documents.statistics(store, output, on=args.date, include_all=args.include_all)
        except ReportError as exc:
            raise CliError(str(exc)) from None
    finally:
        store.dispose()
    if args.json:
        print_json(result.as_json())
    else:
        print(f"已生成 {result.path}（{result.pages} 页，{result.size / 1024:.0f} KB）{result.remark}")
    return 0
