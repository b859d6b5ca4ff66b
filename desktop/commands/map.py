"""``edubridge map``: the county map offline — schools by location and stage, clusters,
包片包抓/手拉手 pairings and the year's exchange flows — as a printable PDF (issue 18)."""

from __future__ import annotations

import argparse
import datetime as dt

from desktop.commands import iso_date, open_store, output_file, print_json, school_year


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("map", help="县域地图（学校、集团、结对与交流流向），输出 PDF")
    parser.add_argument("-o", "--output", metavar="FILE.pdf", help="输出地图 PDF")
    parser.add_argument("--year", type=school_year, help="画出该学年的交流流向（起始年份）")
    parser.add_argument("--date", type=iso_date, help="按哪一天的集团与结对（默认今天）")
    parser.add_argument("--outline", metavar="FILE.geojson", help="先导入县域边界（GeoJSON，保存在数据库中）")
    parser.add_argument("--json", action="store_true", help="以 JSON 输出图中内容的统计与无坐标的学校")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from db.county_map import load_map, save_outline

    output = output_file(args.output, ".pdf") if args.output else None
    store = open_store(args)
    try:
        if args.outline:
            try:
                save_outline(store, Path(args.outline))
            except FileNotFoundError:
                from desktop.commands import CliError

                raise CliError(f"找不到县域边界文件：{args.outline}") from None
        data = load_map(store, args.date or dt.date.today(), args.year)
    finally:
        store.dispose()
    if output is not None:
        from reports.county_map import write_map

        year = f"（{args.year}—{args.year + 1}学年交流流向）" if args.year else ""
        write_map(data, output, f"县域学校与交流流向图{year}")
    summary = {"schools": len(data.schools), "clusters": len(data.clusters), "pairings": len(data.pairings),
               "flows": len(data.flows), "exchanges": sum(f.count for f in data.flows),
               "outline_rings": len(data.outline), "exchanges_not_drawn": data.hidden_flows,
               "missing": [{"code": c, "name": n} for c, n in data.missing]}
    if args.json:
        print_json(summary)
    else:
        print(f"学校 {summary['schools']} 所，集团 {summary['clusters']} 个，结对连线 {summary['pairings']} 条，"
              f"交流流向 {summary['flows']} 条（{summary['exchanges']} 人）")
        if data.hidden_flows:
            print(f"另有 {data.hidden_flows} 人次交流涉及没有坐标的学校，未画出")
        if data.missing:
            print(f"没有坐标、未画出的学校 {len(data.missing)} 所：" + "、".join(f"{n}（{c}）" for c, n in data.missing))
        if output is not None:
            print(f"已输出地图：{output}")
    return 0
