"""Cluster proposals in the store (issue 18): proposed on the command line with the solver's
status and gap, checked by the county's own cluster rules, accepted school by school or whole
as dated memberships; after accepting, a new proposal changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

from db import clusters as cl
from db.cluster_forming import accept, check_proposal, forming_schools
from db.settings import active_profile
from db.store import Store
from desktop.cli import main
from policy.cluster_forming import Proposal, ProposedCluster
from policy.scenarios import apply_settings

sys.path.insert(0, str(Path(__file__).parent.parent))
from scenario_world import build  # noqa: E402

ON = dt.date(2027, 9, 1)


@pytest.fixture
def county(tmp_path: Path, db_path: Path) -> str:
    build(tmp_path, str(db_path))
    return str(db_path)


def propose_json(db: str, capsys, *extra: str) -> dict:
    capsys.readouterr()
    assert main(["--db", db, "clusters", "propose", "--json", "--on", ON.isoformat(), "--time-limit", "20",
                 *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_propose_accept_one_school_then_the_rest(county: str, tmp_path: Path, capsys):
    data = propose_json(county, capsys)
    assert data["status"] == "OPTIMAL" and data["gap"] == 0.0 and data["violations"] == []
    [cluster] = data["clusters"]
    assert cluster["lead"] == "U01" and cluster["members"] == ["U01", "R01", "R02"] and cluster["today"] is None
    assert {c["school"] for c in data["changes"]} == {"U01", "R01", "R02"}
    path = tmp_path / "建议.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert main(["--db", county, "clusters", "accept", str(path), "--on", ON.isoformat(), "--school", "R01"]) == 0
    store = Store.open(county)
    try:
        records = cl.load(store, ON)
        [made] = records.clusters
        assert made.name == "城关小学共建型教共体" and made.kind == "共建型教共体"
        codes = {s.id: s.code for s in records.schools}
        members = {(codes[m.school_id], m.role, m.joined) for m in records.memberships if m.active_on(ON)}
        assert members == {("U01", "牵头校", ON), ("R01", "成员校", ON)}  # R02 not yet: only R01 was accepted
        assert not any(m.active_on(ON - dt.timedelta(days=1)) for m in records.memberships)  # dated, from ON
    finally:
        store.dispose()
    assert main(["--db", county, "clusters", "accept", str(path), "--on", ON.isoformat()]) == 0
    again = propose_json(county, capsys)
    assert again["changes"] == [] and again["clusters"][0]["today"] == "城关小学共建型教共体"


def test_the_county_rules_check_a_proposal(county: str):
    store = Store.open(county)
    try:
        profile = apply_settings(active_profile(store), {"cluster.max_schools": 2})
        bad = Proposal("FEASIBLE", [ProposedCluster("U01", ["U01", "R01", "R02"], 1900, "共建型教共体", None, 0.0)],
                       [], [], 0.0, 0.0, 0.0, None, [], [])
        violations = check_proposal(store, profile, bad, ON)
        assert [v.rule for v in violations] == ["cluster.max_schools"]
        assert "银川2023方案" in violations[0].clause
        assert [s.cluster for s in forming_schools(store, ON)] == [None, None, None]
    finally:
        store.dispose()


def test_accepting_an_unknown_school_or_a_bad_file_says_one_line(county: str, tmp_path: Path, capsys):
    store = Store.open(county)
    try:
        with pytest.raises(cl.ClusterEditError, match="建议中没有这些学校"):
            accept(store, {"changes": [], "clusters": []}, ON, ["X9"])
    finally:
        store.dispose()
    bad = tmp_path / "坏.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    capsys.readouterr()
    assert main(["--db", county, "clusters", "accept", str(bad), "--on", ON.isoformat()]) == 2
    err = capsys.readouterr().err
    assert "不是 clusters propose --json 输出的文件" in err and err.count("\n") == 1


def _change(school: str, role: str = "成员校") -> dict[str, object]:
    return {"school": school, "to_lead": "U01", "role": role}


def test_accepting_a_proposal_is_one_write_all_or_nothing(county: str):
    """A failure in the middle (the third of four changes names a school that is gone, after
    a cluster was founded and two schools moved) leaves nothing written, not even an audit
    entry; the same proposal without it is carried out, each edit audited under its note."""
    from sqlalchemy import func, select

    from db.models import AuditEntry, Cluster, Membership

    def counts(store: Store) -> tuple[int, int, int]:
        with store.read() as session:
            return tuple(session.scalar(select(func.count()).select_from(t))  # type: ignore[return-value]
                         for t in (Cluster, Membership, AuditEntry))

    clusters = [{"lead": "U01", "kind": "共建型教共体"}]
    store = Store.open(county)
    try:
        before = counts(store)
        broken = {"clusters": clusters, "changes": [_change("U01", "牵头校"), _change("R01"), _change("R99"),
                                                     _change("R02")]}
        with pytest.raises(cl.ClusterEditError, match="R99"):
            accept(store, broken, ON)
        assert counts(store) == before
        done = accept(store, {"clusters": clusters, "changes": [_change("U01", "牵头校"), _change("R01"),
                                                                 _change("R02")]}, ON)
        records = cl.load(store, ON)
        codes = {s.id: s.code for s in records.schools}
        assert {codes[m.school_id] for m in records.memberships if m.active_on(ON)} == {"U01", "R01", "R02"}
        with store.read() as session:
            notes = set(session.scalars(select(AuditEntry.note)))
        assert {note for note in done} <= notes and any(note.startswith("近郊乡小学调入“城关小学") for note in done)
    finally:
        store.dispose()


def test_a_proposal_says_what_accepting_it_leaves_to_do(county: str, tmp_path: Path, capsys):
    """Seen on a held-out county: the proposal 符合全部集团组建规则, and once accepted the check
    found 15 new clusters with rural schools and no 市属 school under 包片包抓. The proposal
    now lists them, and they are the findings the check makes after accepting."""
    from db.clusters import load as load_records
    from policy.clusters import check

    data = propose_json(county, capsys)
    assert data["violations"] == []
    assert [(v["rule"], v["subject"]) for v in data["follow_ups"]] == [
        ("pairing.cluster_has_supporter", "城关小学共建型教共体")]
    assert "银川2023方案" in data["follow_ups"][0]["clause"]
    path = tmp_path / "建议.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert main(["--db", county, "clusters", "propose", "--on", ON.isoformat(), "--time-limit", "20"]) == 0
    assert "采纳后尚需办理：城关小学共建型教共体含乡村学校2所" in capsys.readouterr().out
    assert main(["--db", county, "clusters", "accept", str(path), "--on", ON.isoformat()]) == 0
    store = Store.open(county)
    try:
        records = load_records(store, ON)
        after = check(records.schools, records.clusters, records.memberships, records.pairings, [],
                      active_profile(store), ON)
        assert [(v.rule, v.subject) for v in after.violations if v.subject_kind == "cluster"] == [
            ("pairing.cluster_has_supporter", "城关小学共建型教共体")]
    finally:
        store.dispose()
