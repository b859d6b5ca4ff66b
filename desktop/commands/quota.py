"""``edubridge quota [--semester Y-1|Y-2] [--json]``: assistance quotas met, behind, not started.

JSON: ``{"semester": "Y-1", "rows": [{"rule", "who", "required", "done", "met", ...}]}``. The
five keys named first are stable; the others (status, outside, role, scope, measure, period,
label, clause, who_key, home_school) may grow. Year rules are evaluated over the school year
containing the semester (POLICY §3, §5).
"""

from __future__ import annotations

import argparse
import datetime as dt
import uuid
from typing import TYPE_CHECKING

from desktop.commands import FIRST_YEAR, LAST_YEAR, CliError, open_store, print_json
from policy.calendar import Semester, semester_of  # standard library only: cheap

if TYPE_CHECKING:  # SQLAlchemy stays out of the command line's start-up
    from db.store import Store


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("quota", help="帮扶活动指标完成情况（已达标 / 未达标 / 未开展）")
    parser.add_argument("--semester", metavar="Y-1|Y-2", help="学期，如 2025-1（默认：当前学期）")
    parser.add_argument("--school", metavar="学校代码", help="只看该校人员（及其包片包抓）的指标，如校长查看本校")
    parser.add_argument("--json", action="store_true", help="以 JSON 输出")
    parser.add_argument("-o", "--output", metavar="FILE.xlsx|FILE.pdf",
                        help="同时写成可打印的 Excel 表或 PDF（未达标在前）")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from db.settings import active_profile
    from db.visits import load_quota_inputs, quota_rows
    from policy.quotas import days_left, tally

    given = _semester(args.semester) if args.semester else None
    store = open_store(args)
    try:
        profile = active_profile(store)
        semester = given or semester_of(dt.date.today(), profile.calendar)
        inputs = load_quota_inputs(store, profile, semester.year)
        school_id = None
        if args.school:
            found = [sid for sid, code in inputs.school_codes.items() if code == args.school.strip()]
            if not found:
                raise CliError(f"没有代码为 {args.school} 的学校")
            school_id = uuid.UUID(found[0])
        rows = quota_rows(store, profile, semester, inputs, school_id=school_id)
        if args.output:
            written = _write(store, semester, args.output)
    finally:
        store.dispose()
    if args.output and not args.json:
        print(written)
    if args.json:
        out = []
        for row in rows:
            item = row.as_json()
            item["home_school"] = inputs.school_codes.get(row.home_school or "")
            for entry in (*item["counted"], *item["not_counted"]):  # type: ignore[misc]  # as_json() gives plain JSON values
                entry["school"] = inputs.school_codes.get(entry["school"], entry["school"])
            out.append(item)
        print_json({"semester": semester.code, "rows": out})
        return 0
    for row in rows:
        extra = f"\t（不计入 {row.outside}：{'；'.join(sorted({why for _s, _n, why in row.not_counted}))}）" \
            if row.outside else ""
        print(f"{row.period}\t{row.label}\t{row.who}\t{row.done}/{row.required}\t{row.status_label}{extra}\t{row.clause}")
    counts = tally(rows)
    left = days_left(semester, dt.date.today(), profile.calendar)
    print(f"{semester.label}：已达标 {counts.met}，未达标 {counts.behind}，未开展 {counts.not_started}；"
          f"本学期剩余 {left} 天")
    return 0


def _write(store: Store, semester: Semester, output: str) -> str:
    from pathlib import Path

    from reports import quota_report

    path = Path(output)
    if path.suffix.lower() == ".pdf":
        built = quota_report.build_quota_pdf(store, semester, path)
        return f"已生成 {path}（{built.pages} 页）"
    if path.suffix.lower() != ".xlsx":
        raise CliError(f"输出文件“{output}”应以 .xlsx 或 .pdf 结尾")
    count = quota_report.write_quota_xlsx(store, semester, path)
    return f"已导出 {count} 项指标：{path}"


def _semester(text: str) -> Semester:
    """``--semester`` checked before the store is opened, with the school years ``--year`` accepts."""
    try:
        semester = Semester.parse(text)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if not FIRST_YEAR <= semester.year <= LAST_YEAR:
        raise CliError(f"学期 {text} 的学年超出范围（应在 {FIRST_YEAR}—{LAST_YEAR} 之间）")
    return semester
