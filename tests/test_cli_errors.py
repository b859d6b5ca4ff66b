"""Expected failures of the command line: one clear line on stderr, exit status 2, no traceback."""

import sqlite3
import subprocess
import sys

import pytest

from desktop.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], capture_output=True, text=True)


def test_missing_folder_is_one_clear_message():
    result = run("--db", "/no/such/dir/x.db", "stats")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "/no/such/dir" in result.stderr and result.stderr.count("\n") == 1


def test_unreadable_file(tmp_path, capsys):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite" * 100)
    assert main(["--db", str(garbage), "stats"]) == 2
    assert "无法打开数据库" in capsys.readouterr().err


def test_newer_database(tmp_path, capsys):
    path = tmp_path / "new.db"
    assert main(["--db", str(path), "stats"]) == 0
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num='9999'")
    capsys.readouterr()
    assert main(["--db", str(path), "stats"]) == 2
    assert "比本程序新" in capsys.readouterr().err


def test_bad_argument_exits_2():
    result = run("stats", "--no-such-flag")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_stats_json_has_every_key(tmp_path, capsys):
    import json

    assert main(["--db", str(tmp_path / "s.db"), "stats", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    for key in ("schools", "teachers", "clusters", "visits", "exchanges"):
        assert counts[key] == 0


@pytest.mark.parametrize("target", ["postgresql+psycopg://nobody@127.0.0.1:1/none"])
def test_unreachable_server(target, capsys):
    assert main(["--db", target, "stats"]) == 2
    assert "无法打开数据库" in capsys.readouterr().err
