"""``edubridge check [--date D] [--json]``: every cluster and school rule of the active profile.

JSON shape (issue 3): ``{"violations": [{"rule", "subject", "detail", "clause"[, "waived": true,
"waiver_reason", "waiver_approver"]}], "coverage": {"rural_schools": N, "rural_in_cluster": N,
"deadline": "YYYY-MM-DD" | null}, "funding": {"clause", "schools": [{"school", "students", "funded_as"}]}}``
plus ``"date"``. Issue 11 added the rules pairing.supporter_city, pairing.cluster_has_supporter,
coverage.community, school.land_per_student and agreement.required (see policy.clusters.RULE_LABELS),
and ``"teacher_development": {"findings": [...same shape as violations], "clause", "judged_cycle",
"current_cycle", "behind": [{"teacher", "school", "hours", "required", "special_hours",
"special_required"}]}`` (policy.teacher_development: rows of their own) and ``"balance": {"clause",
"findings", "schools": [{"school", "name", "due", "overdue", "missing"}]}`` (policy.balance). Exit status 0 whether or not rules are broken (a violation is a finding,
not a failure of the command).
"""

from __future__ import annotations

import argparse

from desktop.commands import open_store, print_json
from desktop.commands.export import date_argument


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="按现行政策方案检查集团(学区)和学校的各项规定")
    parser.add_argument("--date", help="检查哪一天的情况（默认今天），如 2025-09-01")
    parser.add_argument("--json", action="store_true", help="以 JSON 输出")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from db.clusters import check_store
    from db.settings import active_profile

    on = date_argument(args.date)
    store = open_store(args)
    try:
        result = check_store(store, active_profile(store), on)
    finally:
        store.dispose()
    if args.json:
        print_json(result.as_json())
        return 0
    findings = result.part_violations()
    for v in (*result.violations, *findings):
        mark = f"［已豁免：{v.waiver_reason}，批准人 {v.waiver_approver}］" if v.waived else ""
        print(f"{v.rule}\t{v.subject}\t{v.detail}\t{v.clause}{mark}")
    c = result.coverage
    print(f"{on.isoformat()}：{len(result.open_violations())} 项问题"
          f"（另有 {len(result.violations) - len(result.open_violations())} 项已豁免）；"
          f"乡村学校(含教学点) {c.rural_in_cluster}/{c.rural_schools} 所已纳入集团(学区)；"
          f"教师培养与优质均衡推进计划 {sum(1 for v in findings if not v.waived)} 项问题")
    return 0
