"""Plan scenarios in the store and on the command line (issue 18): several named drafts of a
year side by side, compared (JSON and PDF), one approved through the approval path, the
others frozen; a scenario made from another roster is refused at approval."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from db.exchange_plans import approve_saved, draft_for_year
from db.models import AuditEntry, Exchange
from db.scenarios import (
    ScenarioError,
    approve_scenario,
    comparison,
    delete_scenario,
    save_scenario,
    scenarios,
)
from db.settings import active_profile
from db.store import Store
from desktop.cli import main

sys.path.insert(0, str(Path(__file__).parent.parent))
from scenario_world import YEAR, build, person, sheet  # noqa: E402


@pytest.fixture
def county(tmp_path: Path, db_path: Path) -> str:
    build(tmp_path, str(db_path))
    return str(db_path)


def plan(db: str, *args: str) -> int:
    return main(["--db", db, "plan", "--year", str(YEAR), *args])


def test_scenarios_are_kept_side_by_side_and_compared(county: str, tmp_path: Path, capsys):
    assert plan(county, "--scenario", "基准", "--save") == 0
    assert plan(county, "--scenario", "近距离", "--set", "exchange.max_distance_km=5", "--save") == 0
    capsys.readouterr()
    assert plan(county, "compare", "--json") == 0  # `plan compare --year Y --json` as the issue spells it
    data = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in data["scenarios"]] == ["基准", "近距离"]
    assert data["scenarios"][1]["settings"] == {"exchange.max_distance_km": 5}
    assert "最远距离" in data["scenarios"][1]["settings_text"][0]
    figures = {row["key"]: row["values"] for row in data["figures"]}
    assert figures["moves"] == [4, 2] and figures["unplaced"] == [1, 3]
    assert figures["max_km"][0] > 30 and figures["max_km"][1] <= 5  # the limit holds
    assert figures["travel_km"][1] < figures["travel_km"][0]
    [pair] = data["differences"]
    assert (pair["a"], pair["b"], pair["count"]) == ("基准", "近距离", 2)
    assert {t["b"] for t in pair["teachers"]} == {"须交流未安排"}
    assert {t["a"] for t in pair["teachers"]} == {"交流至 远山乡小学"}
    # the two the far school's places were left empty for are named as stranded by the limit
    assert any(line.startswith("2 名须交流教师未能安排") and "不超过 5 公里，更远的学校仍有该学科空缺" in line
               for line in data["scenarios"][1]["unmet"])
    # nothing was approved or made a draft by saving scenarios
    store = Store.open(county)
    try:
        assert draft_for_year(store, YEAR) is None
    finally:
        store.dispose()
    pdf = tmp_path / "比较.pdf"
    assert main(["--db", county, "plan", "compare", "--year", str(YEAR), "-o", str(pdf)]) == 0
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "交流轮岗计划方案比较" in text and "近距离" in text and "交流学校之间的最远距离" in text
    assert "须交流未安排" in text and "远山乡小学" in text
    # the reference scenario's moves on the county map: 基准 moves 4 teachers over 2 school pairs
    assert "四、方案“基准”的交流流向图" in text and "交流流向 2 条（4 人）" in text and "本方案交流流向" in text


def test_a_rerun_keeps_saved_settings_and_adds_pins(county: str):
    assert plan(county, "--scenario", "指定", "--set", "exchange.max_distance_km=5", "--save") == 0
    assert plan(county, "--scenario", "指定", "--pin", f"{person(5)}=R02", "--save", "--json") == 0
    store = Store.open(county)
    try:
        [saved] = scenarios(store, YEAR)
        assert saved.settings == {"exchange.max_distance_km": 5} and saved.pins == {person(5): "R02"}
        moves = {m["id_number"]: m for m in saved.result["moves"]}
        assert moves[person(5)]["to"] == "R02" and moves[person(5)]["pinned"]  # a pin beats the limit
    finally:
        store.dispose()


def test_approving_one_scenario_carries_it_out_and_freezes_the_others(county: str):
    assert plan(county, "--scenario", "基准", "--save") == 0
    assert plan(county, "--scenario", "近距离", "--set", "exchange.max_distance_km=5", "--save") == 0
    assert plan(county, "--scenario", "近距离", "--approve") == 0
    store = Store.open(county)
    try:
        by_name = {s.name: s for s in scenarios(store, YEAR)}
        assert by_name["近距离"].status == "approved" and by_name["基准"].status == "frozen"
        approved = draft_for_year(store, YEAR)
        assert approved.status == "approved" and approved.summary["scenario"] == "近距离"
        assert by_name["近距离"].plan_id == approved.id
        with store.read() as session:
            targets = {str(e.to_school_id) for e in session.scalars(select(Exchange).where(
                Exchange.plan_id == approved.id))}
            assert len(targets) == 1  # only the near school: the chosen scenario's moves
            audited = session.scalars(select(AuditEntry.entity).where(AuditEntry.entity == "plan_scenario")).all()
            assert len(audited) >= 4  # two inserts, two updates at approval (plus the load notes)
        profile = active_profile(store)
        with pytest.raises(ScenarioError, match="已批准，各方案已冻结"):
            save_scenario(store, profile, YEAR, "新方案", {}, {}, {"figures": {}})
        with pytest.raises(ScenarioError, match="已冻结，保留备查"):
            delete_scenario(store, YEAR, "基准")
        with pytest.raises(ScenarioError, match="已冻结"):
            approve_scenario(store, profile, YEAR, "基准")
        assert comparison(store, YEAR)["scenarios"][0]["status_label"] == "已冻结"
    finally:
        store.dispose()


def test_a_scenario_made_from_another_roster_is_refused_at_approval(county: str, tmp_path: Path, capsys):
    assert plan(county, "--scenario", "基准", "--save") == 0
    more = [["身份证号", "姓名", "学校代码", "任教学科", "调入本校时间"], [person(9), "吴九", "U01", "语文", "2009-09-01"]]
    assert main(["--db", county, "import", "teachers", str(sheet(tmp_path / "more.xlsx", more))]) == 0
    capsys.readouterr()
    assert plan(county, "--scenario", "基准", "--approve") == 2
    err = capsys.readouterr().err
    assert "重新计算的结果与保存的不同" in err and err.count("\n") == 1
    store = Store.open(county)
    try:
        assert draft_for_year(store, YEAR) is None
        assert scenarios(store, YEAR)[0].status == "draft"
        with pytest.raises(Exception, match="还没有保存的计划草案"):
            approve_saved(store, YEAR)
    finally:
        store.dispose()
    # planned again with its saved settings (the new teacher is due too), it is approved
    assert main(["--db", county, "plan", "compare", "--year", str(YEAR), "--rerun"]) == 0
    assert "已重新计算并保存 1 个方案：基准" in capsys.readouterr().out
    assert plan(county, "--scenario", "基准", "--approve") == 0
    store = Store.open(county)
    try:
        [approved] = scenarios(store, YEAR)
        assert approved.status == "approved" and person(9) in {m["id_number"] for m in approved.result["moves"]} | \
            {u["id_number"] for u in approved.result["unplaced"]}
    finally:
        store.dispose()


@pytest.mark.parametrize(("args", "message"), [
    (["--scenario", "x", "--set", "exchange.nope=1"], "没有指标“exchange.nope”"),
    (["--set", "exchange.min_share=0.2"], "须与 --scenario"),
    (["--scenario", "x", "--pin", "123=R01"], "不在教师名册中"),
    (["--scenario", "x", "--pin", "nonsense"], "指定应写作 身份证号=学校代码"),
    (["--scenario", "x", "--approve"], "没有方案“x”"),
    (["compare"], "还没有保存的方案"),
])
def test_bad_scenario_commands_say_one_line(county: str, capsys, args, message):
    capsys.readouterr()
    assert plan(county, *args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def _two_saves_of_one_new_scenario(url: str) -> None:
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-m", "desktop.cli", "--db", url, "plan", "--year", str(YEAR), "--scenario", "同名",
               "--set", "exchange.max_distance_km=5", "--save"]
    procs = [subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    errors = [proc.communicate(timeout=600)[1] for proc in procs]  # both finished before judging
    assert [proc.returncode for proc in procs] == [0, 0], errors
    store = Store.open(url)
    try:
        [saved] = scenarios(store, YEAR)  # one row: the later save replaced the first
        assert saved.name == "同名" and saved.settings == {"exchange.max_distance_km": 5}
    finally:
        store.dispose()


@pytest.mark.slow
def test_two_processes_saving_one_new_scenario_leave_one_on_sqlite(county: str):
    _two_saves_of_one_new_scenario(county)


@pytest.mark.postgres
@pytest.mark.slow
def test_two_processes_saving_one_new_scenario_leave_one_on_postgres(pg_store, pg_url: str, tmp_path: Path):
    build(tmp_path, pg_url)
    _two_saves_of_one_new_scenario(pg_url)


def test_scenarios_in_a_row_read_the_year_once_and_judge_eligibility_again_only_when_its_figures_change(county: str):
    from db.scenarios import YearInputs, run_scenario
    from db.teachers import store_eligibility
    from policy.scenarios import apply_settings

    store = Store.open(county)
    try:
        profile = active_profile(store)
        inputs = YearInputs.load(store, profile, YEAR)
        plain = inputs.eligibility(profile)
        assert inputs.eligibility(apply_settings(profile, {"exchange.min_share": 0.3})) is plain
        later = apply_settings(profile, {"exchange.max_years": 20})  # 17 years: eligible, no longer due
        judged = inputs.eligibility(later)
        alone = store_eligibility(store, later, YEAR)
        assert judged is not plain
        assert [(e.teacher.id_number, e.status) for e in judged.entries] == \
            [(e.teacher.id_number, e.status) for e in alone.entries]
        assert {e.status for e in judged.entries} != {e.status for e in plain.entries}
        for settings in ({"exchange.min_share": 0.3}, {"exchange.max_years": 20}):
            _plan, shared = run_scenario(store, profile, YEAR, settings, {}, inputs=inputs)
            _plan, fresh = run_scenario(store, profile, YEAR, settings, {})
            assert shared["moves"] == fresh["moves"] and shared["figures"] == fresh["figures"]
    finally:
        store.dispose()


# Process A approves 近距离 and, between saving the draft made from it and approving that
# draft (two transactions), waits until process B has saved 近距离 anew with other settings.
_APPROVER = """
import pathlib, sys, time
import db.scenarios as scenarios
from desktop.cli import main
real = scenarios.save_plan
def save_then_wait(*args, **kwargs):
    plan_id = real(*args, **kwargs)
    pathlib.Path(sys.argv[2]).write_text("draft saved")
    gone = time.monotonic() + 120
    while not pathlib.Path(sys.argv[3]).exists() and time.monotonic() < gone:
        time.sleep(0.05)
    return plan_id
scenarios.save_plan = save_then_wait
sys.exit(main(["--db", sys.argv[1], "plan", "--year", sys.argv[4], "--scenario", "近距离", "--approve"]))
"""
_SAVER = """
import pathlib, sys, time
from desktop.cli import main
gone = time.monotonic() + 120
while not pathlib.Path(sys.argv[2]).exists() and time.monotonic() < gone:
    time.sleep(0.05)
code = main(["--db", sys.argv[1], "plan", "--year", sys.argv[4], "--scenario", "近距离",
             "--set", "exchange.max_distance_km=off", "--save"])
pathlib.Path(sys.argv[3]).write_text("saved")
sys.exit(code)
"""


def _save_during_approval(url: str, tmp_path: Path) -> None:
    """Whatever the order, the plan carried out is the one the approved scenario holds: here
    the save lands between the draft and its approval, so the approval is refused, the draft
    made from the old settings is gone, and 近距离 stays a draft with B's settings."""
    assert main(["--db", url, "plan", "--year", str(YEAR), "--scenario", "近距离",
                 "--set", "exchange.max_distance_km=5", "--save"]) == 0
    root = Path(__file__).resolve().parents[2]
    marks = [str(tmp_path / "draft-saved"), str(tmp_path / "scenario-saved")]
    procs = [subprocess.Popen([sys.executable, "-c", script, url, *marks, str(YEAR)], cwd=root,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for script in (_APPROVER, _SAVER)]
    (_out_a, err_a), (_out_b, err_b) = (proc.communicate(timeout=600) for proc in procs)
    assert procs[1].returncode == 0, err_b
    # One line of refusal; the lock-wait notice (db.faults.waiting_notice) may come before it when
    # the other process holds the write lock over a second, as on a busy machine.
    said = [line for line in err_a.splitlines() if "正在等待" not in line]
    assert procs[0].returncode == 2 and len(said) == 1 and "在批准过程中被重新保存" in said[0], err_a
    store = Store.open(url)
    try:
        [saved] = scenarios(store, YEAR)
        assert saved.status == "draft" and saved.settings == {"exchange.max_distance_km": "off"}
        assert draft_for_year(store, YEAR) is None  # the old version's draft deleted, nothing approved
        with store.read() as session:
            assert session.scalars(select(Exchange.id)).first() is None
    finally:
        store.dispose()


@pytest.mark.slow
def test_a_scenario_saved_during_its_approval_is_not_approved_on_sqlite(county: str, tmp_path: Path):
    _save_during_approval(county, tmp_path)


@pytest.mark.postgres
@pytest.mark.slow
def test_a_scenario_saved_during_its_approval_is_not_approved_on_postgres(pg_store, pg_url: str, tmp_path: Path):
    build(tmp_path, pg_url)
    _save_during_approval(pg_url, tmp_path)


def test_a_scenario_saved_while_its_approval_plans_is_not_approved(county: str, monkeypatch):
    """The earlier window, in one process: the scenario is saved anew after approval read it
    and before the draft is saved; the look after the draft sees it and deletes that draft."""
    import db.scenarios as module

    assert plan(county, "--scenario", "近距离", "--set", "exchange.max_distance_km=5", "--save") == 0
    store = Store.open(county)
    try:
        profile = active_profile(store)
        real = module.run_scenario

        def run_then_resave(*args, **kwargs):
            found = real(*args, **kwargs)
            _plan, result = real(store, profile, YEAR, {}, {})
            save_scenario(store, profile, YEAR, "近距离", {}, {}, result)
            return found

        monkeypatch.setattr(module, "run_scenario", run_then_resave)
        with pytest.raises(ScenarioError, match="在批准过程中被重新保存"):
            approve_scenario(store, profile, YEAR, "近距离")
        assert draft_for_year(store, YEAR) is None
        [saved] = scenarios(store, YEAR)
        assert saved.status == "draft" and saved.settings == {}
    finally:
        store.dispose()
