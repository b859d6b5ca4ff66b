"""Concurrent edits of the same records from several processes, and the check that none was lost.

``python tests/edit_race.py URL AGREEMENT_ID CLUSTER_ID N TAG`` makes N edits, alternately of
one agreement's clauses and of one cluster's 片区, each the way an edit form does it: load
the record, wait a moment (a person typing), save based on what was loaded. It prints one
JSON line per edit: accepted (with the version or value saved) or refused (the message).
:func:`tally` then compares those lines with the database and its audit log. Used by
tests/db/test_concurrent_edits.py and benchmarks/bench_concurrency.py.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REFUSAL = re.compile(r"^该(协议|集团（教共体）)已被 .+ 于 \d{4}-\d\d-\d\d \d\d:\d\d 修改，请重新载入后再改$")


def seed(store: Any) -> tuple[uuid.UUID, uuid.UUID]:
    """A county, a school, a cluster and one agreement of it (version 1); their ids."""
    from db.models import Agreement, Cluster, Region, School

    with store.write("测试数据") as session:
        region = Region(code="640121", name="永宁县", level="县区")
        session.add(region)
        session.flush()
        school = School(code="C1", name="城区一小", stage="小学", location="城区", region_id=region.id)
        session.add(school)
        session.flush()
        cluster = Cluster(name="永宁一小教共体", kind="共建型教共体", region_id=region.id, lead_school_id=school.id)
        session.add(cluster)
        session.flush()
        agreement = Agreement(cluster_id=cluster.id, title="帮扶协议", term_start=dt.date(2026, 9, 1),
                              term_end=dt.date(2029, 8, 31), clauses={"sections": [{"heading": "一", "text": "初稿"}]})
        session.add(agreement)
        session.flush()
        return agreement.id, cluster.id


def race(url: str, agreement_id: uuid.UUID, cluster_id: uuid.UUID, edits: int, tag: str) -> list[dict[str, Any]]:
    from db import agreements as ag
    from db import clusters as cl
    from db.models import Cluster
    from db.store import Store
    from db.versions import StaleRecord

    store = Store.open(url)
    rng = random.Random(tag)
    results = []
    try:
        for i in range(edits):
            text = f"{tag}-{i}"
            try:
                if i % 2 == 0:
                    doc = ag.load_agreement(store, agreement_id)
                    time.sleep(rng.random() * 0.01)
                    version = ag.edit_clauses(store, agreement_id, [ag.Section("一", text)],
                                              expected=doc.row_version)
                    results.append({"kind": "agreement", "ok": True, "text": text, "version": version})
                else:
                    with store.read() as session:
                        shown = session.get(Cluster, cluster_id).area
                    time.sleep(rng.random() * 0.01)
                    cl.change_area(store, cluster_id, text, shown or "")
                    results.append({"kind": "cluster", "ok": True, "text": text})
            except StaleRecord as exc:
                results.append({"kind": "agreement" if i % 2 == 0 else "cluster", "ok": False, "message": str(exc)})
    finally:
        store.dispose()
    return results


def tally(store: Any, results: list[dict[str, Any]], agreement_id: uuid.UUID, cluster_id: uuid.UUID) -> dict[str, Any]:
    """accepted / refused / lost, and what is wrong (``problems``: empty when nothing was lost)."""
    from sqlalchemy import select

    from db.models import Agreement, AuditEntry, Cluster

    problems: list[str] = []
    accepted = [r for r in results if r["ok"]]
    refused = [r for r in results if not r["ok"]]
    problems += [f"unclear refusal: {r['message']}" for r in refused if not REFUSAL.match(r["message"])]
    with store.read() as session:
        agreement = session.get(Agreement, agreement_id)
        cluster = session.get(Cluster, cluster_id)
        audited = {kind: [e.after for e in session.scalars(
            select(AuditEntry).where(AuditEntry.entity == kind, AuditEntry.entity_id == str(key),
                                     AuditEntry.action == "update").order_by(AuditEntry.id))]
            for kind, key in (("agreement", agreement_id), ("cluster", cluster_id))}
        final_text = agreement.clauses["sections"][0]["text"]
        final_version, final_area = agreement.version, cluster.area
    saved = [r for r in accepted if r["kind"] == "agreement"]
    versions = [r["version"] for r in saved]
    lost = 0
    if len(set(versions)) != len(versions):
        problems.append(f"version numbers issued twice: {len(versions) - len(set(versions))}")
    history = {(a or {}).get("version"): (a or {}) for a in audited["agreement"]}
    missing = [r for r in saved if r["version"] not in history]
    lost += len(missing) + len(versions) - len(set(versions))
    if final_version != 1 + len(saved):
        problems.append(f"agreement at version {final_version} after {len(saved)} accepted edits")
    if saved and final_text != max(saved, key=lambda r: r["version"])["text"]:
        lost += 1
        problems.append(f"the newest accepted text is not the stored one ({final_text})")
    areas = [r["text"] for r in accepted if r["kind"] == "cluster"]
    logged = [(a or {}).get("area") for a in audited["cluster"]]
    lost += len(set(areas) - set(logged))
    if len(logged) != len(areas):
        problems.append(f"{len(areas)} cluster edits accepted, {len(logged)} in the audit log")
    if logged and final_area != logged[-1]:
        lost += 1
        problems.append(f"the last audited 片区 {logged[-1]} is not the stored one ({final_area})")
    if lost:
        problems.append(f"{lost} accepted edits lost")
    return {"accepted": len(accepted), "refused": len(refused), "lost": lost, "problems": problems}


if __name__ == "__main__":
    url, agreement, cluster, count, name = sys.argv[1:6]
    for line in race(url, uuid.UUID(agreement), uuid.UUID(cluster), int(count), name):
        print(json.dumps(line, ensure_ascii=False))
