"""Start-up of the command line: the parser, ``--help`` and argument errors import no heavy
library, and a command imports only what it uses.

Import behaviour, not time, is asserted (timings live in benchmarks/bench_cli.py). Each
check runs in a fresh interpreter, since this test process has imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.cli import COMMANDS, main

#: Libraries a command may need but the parser never does.
HEAVY = {"sqlalchemy", "alembic", "openpyxl", "python_calamine", "reportlab", "ortools", "scipy", "numpy",
         "PySide6", "fontTools"}
#: The project modules a parser may load: the registries of import and export kinds, which
#: import only the standard library (and policy.progress).
REGISTRIES = {"db", "db.importers", "reports", "reports.exporters", "reports.document_kinds"}
#: What no command that only reads the store and prints should load.
NOT_FOR_READING = {"openpyxl", "reportlab", "ortools", "scipy", "numpy", "PySide6", "fontTools"}

# Runs argv lists through desktop.cli.main in one interpreter (SystemExit from --help and
# usage errors caught), then prints the loaded top-level packages and project modules.
PROBE = """
import contextlib, io, json, sys
from desktop import cli
codes = []
for argv in json.loads(sys.argv[1]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        try:
            codes.append(cli.main(argv))
        except SystemExit as exc:
            codes.append(exc.code)
print(json.dumps({
    "codes": codes,
    "last_stderr": err.getvalue(),
    "packages": sorted({name.split(".")[0] for name in sys.modules}),
    "project": sorted(name for name in sys.modules if name.split(".")[0] in ("db", "reports", "policy")),
}))
"""


def probe(*argvs: list[str]) -> dict:
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argvs)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def new_store(path: Path) -> Path:
    from db.store import Store

    Store.open(str(path)).dispose()
    return path


def subcommand_names() -> list[str]:
    return [name.rstrip("_") for name in COMMANDS]


def test_help_of_every_command_imports_no_heavy_library():
    """``edubridge --help`` and ``edubridge SUB --help`` for every SUB: argparse and our own text only."""
    seen = probe(["--help"], *([name, "--help"] for name in subcommand_names()))
    assert seen["codes"] == [0] * (1 + len(COMMANDS))
    assert HEAVY.isdisjoint(seen["packages"]), sorted(HEAVY & set(seen["packages"]))
    assert not [name for name in seen["project"] if name.split(".")[0] in ("db", "reports") and name not in REGISTRIES]


def test_bad_argument_is_refused_without_heavy_imports():
    seen = probe(["quota", "--no-such-flag"])
    assert seen["codes"] == [2]
    assert "无法识别的参数：--no-such-flag" in seen["last_stderr"]
    assert HEAVY.isdisjoint(seen["packages"]), sorted(HEAVY & set(seen["packages"]))


@pytest.mark.parametrize("command", [
    ["stats", "--json"],
    ["quota", "--semester", "2025-1", "--json"],
    ["eligibility", "--year", "2027", "--json"],
    ["check", "--json"],
], ids=lambda c: c[0])
def test_reading_command_loads_no_spreadsheet_pdf_solver_or_gui(command, tmp_path):
    """A command pays for what it uses: reading and printing JSON needs neither openpyxl,
    reportlab, the solver (ortools/scipy/numpy) nor Qt."""
    db = new_store(tmp_path / "s.db")
    seen = probe(["--db", str(db), *command])
    assert seen["codes"] == [0], seen["last_stderr"]
    assert "sqlalchemy" in seen["packages"]  # it did open the store
    assert NOT_FOR_READING.isdisjoint(seen["packages"]), sorted(NOT_FOR_READING & set(seen["packages"]))
    assert not any(name.startswith("reports") and name not in REGISTRIES for name in seen["project"])


def test_python_dash_m_reports_expected_failures_in_one_line():
    """``python -m desktop.cli`` catches the CliError commands raise (not a traceback)."""
    result = subprocess.run([sys.executable, "-m", "desktop.cli", "quota", "--semester", "20x5-1"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("edubridge: 学期应写作") and result.stderr.count("\n") == 1


# --- names the parser knows without importing the modules that implement them ----------

def test_demo_scales_match_db_demo():
    from db.demo import SCALES
    from desktop.commands.demo import SCALE_LABELS

    assert tuple(SCALE_LABELS) == SCALES


def test_every_import_kind_names_a_module_with_import_file():
    from db.importers import IMPORTERS

    for importer in IMPORTERS.values():
        assert callable(importer.load().import_file)


@pytest.mark.parametrize("kind", ["schools", "clusters", "visits", "teachers"])
def test_every_template_kind_writes_a_workbook(kind, tmp_path, capsys):
    from openpyxl import load_workbook

    path = tmp_path / f"{kind}.xlsx"
    assert main(["template", kind, str(path)]) == 0
    assert f"已生成模板：{path}" in capsys.readouterr().out
    assert load_workbook(path).sheetnames  # a real workbook
