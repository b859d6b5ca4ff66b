"""What the commands do with a person's arguments: missing databases, output folders, school
years, and argparse speaking Chinese with help text that does not cut words apart."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from desktop import cli_text
from desktop.cli import main
from desktop.commands import output_file, school_year

MISSING = "数据库文件不存在"


def err_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("edubridge: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """argparse's refusal: exit status 2, usage and one error line, returned as text."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def new_store(path: Path) -> Path:
    from db.store import Store

    Store.open(str(path)).dispose()
    return path


# --- a mistyped --db is refused by the commands that only read ------------------------

READING = [
    ["stats"],
    ["check"],
    ["eligibility", "--year", "2025"],
    ["plan", "--year", "2025"],
    ["quota", "--semester", "2025-1"],
    ["export", "schools", "{tmp}/out.xlsx"],
    ["report", "statistics", "-o", "{tmp}/out.pdf"],
    ["selftest"],
]


@pytest.mark.parametrize("command", READING, ids=lambda c: c[0])
def test_reading_commands_refuse_a_missing_database(command, tmp_path, capsys):
    missing = tmp_path / "ro" / "new.db"
    missing.parent.mkdir()
    argv = ["--db", str(missing), *(part.format(tmp=tmp_path) for part in command)]
    assert main(argv) == 2
    err = err_line(capsys)
    assert f"{MISSING}：{missing}（新建数据库请用 demo 或 import 命令，或直接打开图形界面）" in err
    assert list(missing.parent.iterdir()) == []  # nothing created, not even a WAL file


def test_relative_path_is_named_in_full(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ro").mkdir()
    assert main(["--db", "ro/new.db", "stats"]) == 2
    assert f"{MISSING}：{tmp_path / 'ro' / 'new.db'}" in err_line(capsys)


def test_sqlite_url_to_a_missing_file_is_refused(tmp_path, capsys):
    missing = tmp_path / "x.db"
    assert main(["--db", f"sqlite:///{missing}", "stats"]) == 2
    assert MISSING in err_line(capsys)
    assert not missing.exists()


def test_existing_database_opens(tmp_path, capsys):
    db = new_store(tmp_path / "ok.db")
    assert main(["--db", str(db), "stats"]) == 0
    assert "学校\t0" in capsys.readouterr().out


def test_default_database_may_be_created(_isolated_data_dir, capsys):
    assert main(["stats"]) == 0
    assert (_isolated_data_dir / "edubridge.db").exists()


def test_plan_save_and_import_create_the_file(tmp_path, capsys):
    db = tmp_path / "new.db"
    assert main(["--db", str(db), "plan", "--year", "2025"]) == 2
    assert not db.exists()
    assert main(["--db", str(db), "plan", "--year", "2025", "--save"]) == 0
    assert db.exists()

    other = tmp_path / "imported.db"
    template = tmp_path / "schools.xlsx"
    assert main(["template", "schools", str(template)]) == 0
    main(["--db", str(other), "import", "schools", str(template), "--dry-run"])
    assert other.exists()


def test_store_open_create_flag(tmp_path):
    from db.engine import StoreError
    from db.store import Store

    path = tmp_path / "x.db"
    with pytest.raises(StoreError, match=MISSING):
        Store.open(str(path), create=False)
    assert not path.exists()
    Store.open(str(path)).dispose()  # the default (GUI, tests) still creates
    Store.open(str(path), create=False).dispose()


# --- output files are checked before any work ------------------------------------------

@pytest.mark.parametrize("command", [
    ["export", "statistics", "/nonexistent/s.xlsx"],
    ["template", "schools", "/nonexistent/s.xlsx"],
    ["report", "statistics", "-o", "/nonexistent/s.pdf"],
], ids=lambda c: c[0])
def test_output_folder_must_exist(command, tmp_path, capsys):
    db = new_store(tmp_path / "ok.db")
    assert main(["--db", str(db), *command]) == 2
    assert err_line(capsys) == "edubridge: 输出文件夹不存在：/nonexistent\n"


@pytest.mark.parametrize(("command", "suffix"), [
    (["export", "schools", "{tmp}/s.csv"], ".xlsx"),
    (["template", "visits", "{tmp}/t.pdf"], ".xlsx"),
    (["report", "statistics", "-o", "{tmp}/s.xlsx"], ".pdf"),
], ids=lambda c: c[0] if isinstance(c, list) else c)
def test_output_suffix_is_checked(command, suffix, tmp_path, capsys):
    db = new_store(tmp_path / "ok.db")
    argv = ["--db", str(db), *(part.format(tmp=tmp_path) for part in command)]
    assert main(argv) == 2
    assert f"输出文件应以 {suffix} 结尾" in err_line(capsys)


def test_output_file_helper(tmp_path):
    from desktop.commands import CliError

    assert output_file(str(tmp_path / "a.XLSX"), ".xlsx") == tmp_path / "a.XLSX"
    (tmp_path / "folder.xlsx").mkdir()
    with pytest.raises(CliError, match="输出路径是一个文件夹"):
        output_file(tmp_path / "folder.xlsx", ".xlsx")
    (tmp_path / "file").write_text("x")
    with pytest.raises(CliError, match="输出文件夹不存在"):
        output_file(tmp_path / "file" / "a.xlsx", ".xlsx")


def test_every_writing_command_uses_the_helper():
    """No command builds its own output check (the report command once had a private copy)."""
    folder = Path(__file__).resolve().parents[2] / "desktop" / "commands"
    for name in ("export.py", "template.py", "report.py"):
        source = (folder / name).read_text(encoding="utf-8")
        assert "output_file(" in source, name
        assert "输出文件夹不存在" not in source, name


# --- school years ----------------------------------------------------------------------

@pytest.mark.parametrize("command", [
    ["eligibility", "--year", "{year}"],
    ["plan", "--year", "{year}"],
    ["report", "annual", "--year", "{year}", "-o", "out.pdf"],
    ["report", "notice", "--year", "{year}", "-o", "out.pdf"],
    ["export", "plan", "out.xlsx", "--year", "{year}"],
], ids=lambda c: "-".join(c[:2]))
@pytest.mark.parametrize("year", ["1850", "2101", "20255", "abc"])
def test_school_year_out_of_range(command, year, capsys):
    err = usage_error([part.format(year=year) for part in command], capsys)
    assert "参数 --year：" in err
    assert ("超出范围（应在 2000—2100 之间）" in err) if year.isdigit() and len(year) == 4 else ("如 2025" in err)


def test_school_year_spellings():
    assert school_year("2025") == 2025
    assert school_year(" 2025-2026 ") == 2025
    assert school_year("2025—2026学年") == 2025
    assert school_year("2000") == 2000 and school_year("2100") == 2100
    for bad in ("2025-2027", "1999", "2025年", "", "2025.5"):
        with pytest.raises(argparse.ArgumentTypeError):
            school_year(bad)


def test_quota_semester_year_is_checked_before_the_store(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "none.db"), "quota", "--semester", "2150-1"]) == 2
    assert "学期 2150-1 的学年超出范围（应在 2000—2100 之间）" in err_line(capsys)
    assert main(["--db", str(tmp_path / "none.db"), "quota", "--semester", "1850-1"]) == 2
    assert "学期应写作" in err_line(capsys)


# --- argparse in Chinese ---------------------------------------------------------------

ENGLISH = re.compile(r"usage:|error:|argument|invalid|required|unrecognized|expected|choose from|show this help")


@pytest.mark.parametrize(("argv", "chinese"), [
    (["stats", "--no-such-flag"], "无法识别的参数：--no-such-flag"),
    (["demo", "--seed", "x"], "参数 --seed：应为整数：x"),
    (["report", "agreement", "--cluster", "甲", "-o", "a.pdf", "--years", "x"], "参数 --years：应为整数：x"),
    (["eligibility"], "缺少必需的参数：--year"),
    (["demo", "--scale", "province"], "参数 --scale：无效的选择：'province'（可选：'county', 'city'）"),
    (["nosuch"], "参数 COMMAND：无效的选择：'nosuch'"),
    (["eligibility", "--year"], "参数 --year：需要一个值"),
    (["report"], "缺少必需的参数：KIND"),
])
def test_usage_errors_in_chinese(argv, chinese, capsys):
    err = usage_error(argv, capsys)
    assert err.startswith("用法：edubridge")
    assert chinese in err
    assert "：错误：" in err
    assert not ENGLISH.search(err), err


def test_generic_messages_translated():
    cli_text.install()
    assert argparse._("invalid %(type)s value: %(value)r") % {"type": "float", "value": "x"} == "'x' 不是有效的 float 值"
    assert argparse.ngettext("expected %s argument", "expected %s arguments", 2) % 2 == "需要 2 个值"
    # anything not in the table passes through unchanged
    assert argparse._("conflicting subparser: %s") == "conflicting subparser: %s"


@pytest.mark.parametrize("argv", [["--help"], ["import", "--help"], ["report", "annual", "--help"]])
def test_help_in_chinese(argv, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("用法：edubridge")
    assert "选项:" in out and "显示此帮助信息并退出" in out
    assert not ENGLISH.search(out), out
    if argv[0] != "report":
        assert "位置参数:" in out


@pytest.mark.parametrize("columns", [60, 80, 100, 140])
def test_import_help_keeps_words_whole(columns, capsys, monkeypatch):
    """The trial saw "teac / hers": a Latin word cut across two lines."""
    monkeypatch.setenv("COLUMNS", str(columns))
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    out = capsys.readouterr().out
    for word in ("schools", "clusters", "visits", "teachers"):
        assert f"{word}=" in out, (columns, out)  # a break may follow "=", never fall inside the word
    for line in out.splitlines():
        if not line.startswith(("用法", "  ", " ")) or "{" in line:
            continue
        assert cli_text.display_width(line) <= columns - 2, (columns, line)


TEXT = ("导入什么：schools=学校名单、clusters=集团(学区)成员、visits=帮扶活动记录、teachers=教师名册，"
        "文件（.xlsx / .xls / .ods）必须有表头")


@pytest.mark.parametrize("width", [12, 20, 31, 40, 200])
def test_wrap_breaks_between_chinese_characters_only(width):
    lines = cli_text.wrap(TEXT, width)
    assert "".join(lines).replace(" ", "") == TEXT.replace(" ", "")
    words = set(re.findall(r"[A-Za-z]+", TEXT))
    for line in lines:
        assert cli_text.display_width(line) <= width or re.fullmatch(r"\S+", line), line
        assert line[0] not in "，。、：；）)", line  # closing punctuation never starts a line
        assert line[-1] not in "（(", line
        for word in re.findall(r"[A-Za-z]+", line):
            assert word in words, (word, line)  # no fragment such as "teac"
    if width == 200:
        assert len(lines) == 1


def test_display_width():
    assert cli_text.display_width("ab") == 2
    assert cli_text.display_width("学年") == 4
    assert cli_text.display_width("（2025）") == 8
