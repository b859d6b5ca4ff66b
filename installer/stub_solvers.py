"""Replace OR-Tools' SCIP and COIN-OR libraries in the Linux bundle by stubs (20 MB → 0.1 MB).

``libortools.so.9`` links every MIP/LP back end it was built with — SCIP (12.7 MB) and COIN-OR
CBC/CLP/CGL/OSI/CoinUtils (7.6 MB) — as ``DT_NEEDED``, so the dynamic loader will not load
it without them, although EduBridge never asks for them: the planner uses the min-cost and
max-flow solvers and HiGHS (``pywraplp.Solver.CreateSolver("HIGHS")``), cluster forming uses
CP-SAT; neither touches SCIP or COIN-OR. Each of these libraries is replaced by a stub of
the same SONAME that defines exactly the symbols the kept files import from it and nothing
else: functions all jump to one routine that prints a Chinese line on stderr and exits with
status 70, data objects are zero-filled with their original size. Symbols that another kept
library (libstdc++, HiGHS, Abseil…) or the C library also defines are left out, so they keep
resolving to a real implementation (the COIN-OR and SCIP libraries re-export parts of
libstdc++, such as ``std::ios_base_library_init`` which libortools calls while loading).

If a future planner asks OR-Tools for SCIP, CBC or CLP, the program stops with that message
(the frozen selftest runs every solver the app uses, so a build that needs one fails there).
Run by installer/edubridge.spec on Linux after the strip; x86-64 and arm64 (GNU ``as``/``ld``).
"""

from __future__ import annotations

import platform
import re
import subprocess
import tempfile
from fnmatch import fnmatch
from pathlib import Path

#: The solver libraries replaced (file names in ortools/.libs).
STUBBED = ("libscip.so.*", "libCbc*.so.*", "libClp*.so.*", "libCgl.so.*", "libOsi*.so.*", "libCoinUtils.so.*")
MESSAGE = "EduBridge：安装包中没有这个求解器（SCIP / COIN-OR），请联系软件提供方\n"
EXIT_STATUS = 70
_SYMBOL = re.compile(r"^\s*\d+:\s+[0-9a-f]+\s+(\d+|0x[0-9a-f]+)\s+(\w+)\s+(\w+)\s+\w+\s+(\S+)\s+(\S+)")


def _dynamic_symbols(paths: list[Path]) -> dict[Path, list[tuple[str, str, int, bool]]]:
    """{file: [(name, type, size, defined)]} from ``readelf --dyn-syms`` (versions stripped)."""
    found: dict[Path, list[tuple[str, str, int, bool]]] = {}
    for chunk in range(0, len(paths), 100):
        part = paths[chunk:chunk + 100]
        text = subprocess.run(["readelf", "--dyn-syms", "-W", *map(str, part)], capture_output=True, text=True,
                              check=True).stdout
        # readelf heads each file's table with "File: <path>" only when given several files.
        current = found.setdefault(part[0], []) if len(part) == 1 else []
        for line in text.splitlines():
            head = re.match(r"^File: (.+)$", line)
            if head:
                current = found.setdefault(Path(head.group(1)), [])
                continue
            symbol = _SYMBOL.match(line)
            if symbol:
                name = symbol.group(5).split("@")[0]
                current.append((name, symbol.group(2), int(symbol.group(1), 0), symbol.group(4) != "UND"))
    return found


def _elf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def _system_libraries() -> list[Path]:
    """The C and maths libraries every process has: their symbols are never stubbed."""
    cache = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
    marker = {"x86_64": "x86-64", "aarch64": "AArch64"}.get(platform.machine(), "")
    paths = []
    for name in ("libc.so.6", "libm.so.6"):
        for match in re.finditer(rf"^\s+{re.escape(name)} \(([^)]*)\) => (\S+)", cache, re.M):
            if marker in match.group(1):
                paths.append(Path(match.group(2)))
                break
    return paths


def _assembly(functions: list[str], objects: list[tuple[str, int]]) -> str:
    machine = platform.machine()
    text = MESSAGE.encode("utf-8")
    escaped = "".join(f"\\{byte:03o}" for byte in text)
    if machine == "x86_64":
        body = (f"\tmov $1, %eax\n\tmov $2, %edi\n\tlea .Lmessage(%rip), %rsi\n\tmov ${len(text)}, %edx\n\tsyscall\n"
                f"\tmov $231, %eax\n\tmov ${EXIT_STATUS}, %edi\n\tsyscall\n")
        function_type, object_type = "@function", "@object"
    elif machine == "aarch64":
        body = (f"\tmov x8, #64\n\tmov x0, #2\n\tadr x1, .Lmessage\n\tmov x2, #{len(text)}\n\tsvc #0\n"
                f"\tmov x8, #94\n\tmov x0, #{EXIT_STATUS}\n\tsvc #0\n")
        function_type, object_type = "%function", "%object"
    else:
        raise SystemExit(f"stub_solvers: no stub routine for {machine}")
    lines = ["\t.text", "\t.p2align 4", f"\t.type edubridge_missing_solver, {function_type}",
             "edubridge_missing_solver:", body.rstrip("\n"), f'.Lmessage:\n\t.ascii "{escaped}"',
             "\t.size edubridge_missing_solver, . - edubridge_missing_solver"]
    for name in functions:
        lines += [f'\t.globl "{name}"', f'\t.type "{name}", {function_type}', f'\t.set "{name}", edubridge_missing_solver']
    if objects:
        lines.append("\t.data")
    for name, size in objects:
        lines += ["\t.p2align 4", f'\t.globl "{name}"', f'\t.type "{name}", {object_type}', f'\t.size "{name}", {size}',
                  f'"{name}":', f"\t.zero {max(size, 1)}"]
    lines.append('\t.section .note.GNU-stack,"",%progbits')
    return "\n".join(lines) + "\n"


def stub(bundle: Path) -> list[tuple[str, int, int]]:
    """Replace the solver libraries under ``bundle`` (the ``_internal`` folder) by stubs.

    Returns [(file name, bytes before, bytes after)].
    """
    files = [p for p in bundle.rglob("*.so*") if p.is_file() and not p.is_symlink() and _elf(p)]
    targets = [p for p in files if p.parent.name == ".libs" and any(fnmatch(p.name, pat) for pat in STUBBED)]
    kept = [p for p in files if p not in targets]
    symbols = _dynamic_symbols(kept + targets + _system_libraries())
    imported = {name for path in kept for name, _t, _s, defined in symbols.get(path, ()) if not defined}
    elsewhere = {name for path, entries in symbols.items() if path not in targets
                 for name, _t, _s, defined in entries if defined}
    done = []
    for target in targets:
        functions, objects = [], []
        for name, kind, size, defined in symbols.get(target, ()):
            if not defined or name not in imported or name in elsewhere:
                continue
            if kind == "TLS":
                raise SystemExit(f"stub_solvers: {target.name} exports the thread-local {name}: cannot stub")
            if kind in ("FUNC", "IFUNC", "NOTYPE"):
                functions.append(name)
            else:
                objects.append((name, size))
        soname = re.search(r"SONAME\s+(\S+)", subprocess.run(["objdump", "-p", str(target)], capture_output=True,
                                                             text=True, check=True).stdout)
        before = target.stat().st_size
        with tempfile.TemporaryDirectory(prefix="edubridge-stub-") as name:
            folder = Path(name)
            (folder / "stub.s").write_text(_assembly(sorted(set(functions)), sorted(set(objects))), encoding="utf-8")
            subprocess.run(["as", "-o", str(folder / "stub.o"), str(folder / "stub.s")], check=True)
            subprocess.run(["ld", "-shared", "-soname", soname.group(1) if soname else target.name,
                            "-o", str(folder / "stub.so"), str(folder / "stub.o")], check=True)
            (folder / "stub.so").replace(target)
        done.append((target.name, before, target.stat().st_size))
    return done


if __name__ == "__main__":
    import sys

    for file_name, before, after in stub(Path(sys.argv[1])):
        print(f"{file_name}: {before / 1e6:.1f} MB → {after / 1e3:.0f} kB")
