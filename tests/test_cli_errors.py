"""Expected failures of the command line: one clear line on stderr, exit status 2, no traceback."""

import os
import sqlite3
import subprocess
import sys

import pytest

from desktop.cli import EXIT_BROKEN_PIPE, main


def run(*args):
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], capture_output=True, text=True, check=False)


def one_line(err):
    """The error output is exactly one ``edubridge: …`` line, without a traceback."""
    return err.startswith("edubridge: ") and err.count("\n") == 1 and "Traceback" not in err


def new_store(path):
    from db.store import Store

    Store.open(str(path)).dispose()
    return path


def test_missing_folder_is_one_clear_message():
    result = run("--db", "/no/such/dir/x.db", "stats")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "/no/such/dir" in result.stderr and result.stderr.count("\n") == 1


def test_missing_folder_when_creating(capsys):
    assert main(["--db", "/no/such/dir/x.db", "import", "schools", "/no/such/dir/s.xlsx"]) == 2
    err = capsys.readouterr().err
    assert one_line(err) and "数据库文件所在的文件夹不存在：/no/such/dir" in err


@pytest.mark.parametrize("content", [b"this is not sqlite" * 100, "学校名单\n张三\n".encode()])
def test_file_that_is_not_a_database(tmp_path, capsys, content):
    garbage = tmp_path / "notes.txt"
    garbage.write_bytes(content)
    assert main(["--db", str(garbage), "stats"]) == 2
    err = capsys.readouterr().err
    assert one_line(err)
    assert f"不是 EduBridge/SQLite 数据库文件：{garbage}" in err
    assert garbage.read_bytes() == content  # left alone


def test_newer_database(tmp_path, capsys):
    path = new_store(tmp_path / "new.db")
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

    assert main(["--db", str(new_store(tmp_path / "s.db")), "stats", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    for key in ("schools", "teachers", "clusters", "visits", "exchanges"):
        assert counts[key] == 0


@pytest.mark.parametrize("target", ["postgresql+psycopg://nobody@127.0.0.1:1/none"])
def test_unreachable_server(target, capsys):
    assert main(["--db", target, "stats"]) == 2
    err = capsys.readouterr().err
    assert "无法打开数据库" in err
    assert one_line(err)  # the driver's two-line message joined


def test_missing_postgres_driver(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg → ModuleNotFoundError
    assert main(["--db", "postgresql+psycopg://u:p@127.0.0.1:1/x", "stats"]) == 2
    err = capsys.readouterr().err
    assert one_line(err)
    assert 'edubridge: 需要 PostgreSQL 驱动，请安装 pip install -e ".[postgres]"' in err
    assert "p@" not in err  # never the password


def test_other_postgres_driver_points_to_psycopg(capsys):
    assert main(["--db", "postgresql+nosuchdriver://u@h/x", "stats"]) == 2
    err = capsys.readouterr().err
    assert one_line(err) and "不支持这种数据库地址" in err

    assert main(["--db", "postgresql+psycopg2://u@h/x", "stats"]) == 2
    err = capsys.readouterr().err
    assert one_line(err) and "postgresql+psycopg://" in err


def test_unknown_url_scheme(capsys):
    assert main(["--db", "foo://bar", "stats"]) == 2
    err = capsys.readouterr().err
    assert one_line(err) and "不支持这种数据库地址（“foo”）：foo://bar" in err


def test_unknown_url_scheme_in_a_new_process():
    result = run("--db", "foo://bar", "stats")
    assert result.returncode == 2 and one_line(result.stderr)


def _closed_pipe_run(*args):
    """Run the command with a stdout whose reader is already gone (``… | head`` that quit)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "desktop.cli", *args], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, check=False)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("command", [["stats"], ["eligibility", "--year", "2026", "--json"], ["--help"]])
def test_broken_pipe_exits_quietly(demo_db_file, tmp_path, command):
    """Only what is certain: no traceback, nothing on stderr, and a quiet status — 0 when the
    text never met the closed pipe (argparse may exit first; Python builds differ), else 141."""
    import shutil

    db = tmp_path / "demo.db"
    shutil.copyfile(demo_db_file, db)
    result = _closed_pipe_run("--db", str(db), *command)
    assert result.stderr == ""
    assert result.returncode in (0, EXIT_BROKEN_PIPE)


def test_broken_pipe_through_head(demo_db_file, tmp_path):
    """The trial's own words: ``eligibility --year 2026 --json | head``."""
    import shlex
    import shutil

    db = tmp_path / "demo.db"
    shutil.copyfile(demo_db_file, db)
    command = " ".join(shlex.quote(part) for part in (sys.executable, "-m", "desktop.cli", "--db", str(db)))
    result = subprocess.run(f"{command} eligibility --year 2026 --json | head -3", shell=True,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert result.stdout.startswith("{") and result.stdout.count("\n") == 3
    assert result.stderr == ""


def test_file_system_errors_read_as_chinese():
    from desktop.cli import _os_error_message

    assert _os_error_message(FileNotFoundError(2, "No such file or directory", "/x/y.xlsx")) == "文件或文件夹不存在：/x/y.xlsx"
    assert _os_error_message(PermissionError(13, "Permission denied", "/x/y.xlsx")) == "没有权限读写：/x/y.xlsx"
    assert _os_error_message(BrokenPipeError(32, "Broken pipe")) is None
    assert _os_error_message(OSError(28, "No space left on device")) is None  # left to db.faults.describe


def test_permission_error_from_a_command_is_one_line(monkeypatch, capsys):
    from desktop.commands import stats

    def denied(args):
        raise PermissionError(13, "Permission denied", "/srv/edubridge.db")

    monkeypatch.setattr(stats, "run", denied)
    assert main(["stats"]) == 2
    err = capsys.readouterr().err
    assert one_line(err) and "没有权限读写：/srv/edubridge.db" in err
