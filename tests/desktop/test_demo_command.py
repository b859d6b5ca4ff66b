"""``edubridge demo``: builds the demo once, then refuses a store that has schools."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.cli import main


def test_demo_command_builds_county_then_refuses_to_build_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "demo.db")
    assert main(["--db", path, "demo", "--scale", "county", "--seed", "11"]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("已生成演示数据（青禾县，种子 11）") and "\n" not in out
    assert main(["--db", path, "stats", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["schools"] >= 100 and counts["teachers"] >= 4000 and counts["clusters"] >= 15
    assert counts["visits"] > 0 and counts["exchanges"] > 0
    assert f"学校 {counts['schools']} 所" in out and f"教师 {counts['teachers']} 人" in out

    assert main(["--db", path, "demo"]) == 2
    captured = capsys.readouterr()
    assert "已有" in captured.err and "空数据库" in captured.err and "Traceback" not in captured.err


def test_demo_command_rejects_unknown_scale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--db", str(tmp_path / "x.db"), "demo", "--scale", "province"])
    assert exit_info.value.code == 2
    assert "county" in capsys.readouterr().err
