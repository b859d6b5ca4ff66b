"""``edubridge eligibility --year Y [--json]``: who is due to exchange in school year Y."""

from __future__ import annotations

import argparse

from desktop.commands import open_store, print_json, school_year


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("eligibility", help="列出某学年符合交流条件、须交流和免交流的教师")
    parser.add_argument("--year", type=school_year, required=True, help="学年（起始年份，如 2025 表示 2025—2026学年）")
    parser.add_argument("--json", action="store_true", help="以 JSON 输出")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from db.school_queries import names_by_code
    from db.settings import active_profile
    from db.teachers import store_eligibility
    from policy.eligibility import STATUS_LABELS

    store = open_store(args)
    try:
        result = store_eligibility(store, active_profile(store), args.year)
        names = {} if args.json else names_by_code(store)
    finally:
        store.dispose()
    if args.json:
        print_json(result.to_json())
        return 0
    for entry in result.entries:
        school = names.get(entry.school, entry.school)
        print(f"{entry.teacher.id_number}\t{entry.teacher.name}\t{school}\t{entry.years}年\t"
              f"{STATUS_LABELS[entry.status]}\t{entry.clause}")
    summary = result.summary
    print(f"合计：符合条件 {summary['eligible']}，须交流 {summary['mandatory']}，免交流 {summary['exempt']}"
          f"（基准日 {result.reference_date.isoformat()}）")
    return 0
