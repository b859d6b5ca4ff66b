"""installer/edubridge.iss, read for completeness (Inno Setup itself only runs on Windows).

The version must be policy/version.py's; every file the script names must exist — in the
repository, or in the PyInstaller build's layout with Windows names mapped to Linux ones
(``edubridge.exe`` → ``edubridge``). The Visual C++ runtime DLLs it insists on are the ones
the spec bundles on Windows.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path, PureWindowsPath

import pytest

from policy.version import __version__

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"
SCRIPT = INSTALLER / "edubridge.iss"


def _text() -> str:
    raw = SCRIPT.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Inno Setup reads UTF-8 only with a byte-order mark"
    return raw.decode("utf-8-sig")


def _defines(text: str) -> dict[str, str]:
    return dict(re.findall(r'^#define\s+(\w+)\s+"([^"]*)"', text, re.M))


def _sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(";") or stripped.startswith("#"):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped[1:-1]
            sections.setdefault(current, [])
        elif current:
            sections[current].append(stripped)
    return sections


def _entry(line: str) -> dict[str, str]:
    """One [Files]/[Icons]/... line: ``Name: "value"; Flags: a b`` → {"Name": "value", ...}."""
    fields = {}
    for part in re.findall(r'(\w+):\s*("(?:[^"]|"")*"|[^;]*)', line):
        key, value = part[0], part[1].strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace('""', '"')
        fields[key] = value
    return fields


def _spec_vc_runtime() -> set[str]:
    tree = ast.parse((INSTALLER / "edubridge.spec").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "VC_RUNTIME" for t in node.targets):
            return set(ast.literal_eval(node.value))
    raise AssertionError("edubridge.spec has no VC_RUNTIME")


def test_the_version_is_policy_versions():
    assert _defines(_text())["AppVersion"] == __version__


def test_the_setup_is_per_user_chinese_and_keeps_the_users_data():
    text = _text()
    setup = {k: v for k, _, v in (line.partition("=") for line in _sections(text)["Setup"])}
    assert setup["PrivilegesRequired"] == "lowest" and "PrivilegesRequiredOverridesAllowed" not in setup
    assert setup["DefaultDirName"].startswith("{userpf}")  # %LOCALAPPDATA%\Programs, not the data folder
    assert setup["ChangesAssociations"] == "yes"
    languages = [_entry(line) for line in _sections(text)["Languages"]]
    assert [lang["MessagesFile"] for lang in languages] == ["compiler:Default.isl,edubridge-zh_CN.isl"]
    # Associations per user only (HKCU\Software\Classes), never machine-wide.
    registry = [_entry(line) for line in _sections(text)["Registry"]]
    assert registry and all(r["Root"] == "HKCU" and r["Subkey"].startswith("Software\\Classes\\") for r in registry)
    assert any(r["Subkey"] == "Software\\Classes\\.ebpkg" for r in registry)
    assert any(r["Subkey"].endswith("shell\\open\\command") and r["ValueData"] == '"{app}\\edubridge.exe" "%1"'
               for r in registry)
    icons = [_entry(line)["Name"] for line in _sections(text)["Icons"]]
    assert any(n.startswith("{autoprograms}") for n in icons) and any(n.startswith("{autodesktop}") for n in icons)
    # Nothing deletes the data folder on uninstall.
    sections = _sections(text)
    assert "UninstallDelete" not in sections and "UninstallRun" not in sections
    assert not any("localappdata" in line.lower() for lines in sections.values() for line in lines)


def test_the_chinese_messages_file_is_unicode_and_complete_for_our_pages():
    raw = (INSTALLER / "edubridge-zh_CN.isl").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    messages = {k for k, _, _ in (line.partition("=") for line in _sections(raw.decode("utf-8-sig"))["Messages"])}
    custom = {k for k, _, _ in (line.partition("=") for line in _sections(raw.decode("utf-8-sig"))["CustomMessages"])}
    for needed in ("WelcomeLabel1", "WizardSelectDir", "WizardSelectTasks", "WizardReady", "FinishedLabel",
                   "ButtonNext", "ButtonCancel", "ConfirmUninstall", "UninstalledAll"):
        assert needed in messages
    used = set(re.findall(r"\{cm:(\w+)", _text()))
    assert used <= custom, f"custom messages without a Chinese text: {used - custom}"


def _named_files(text: str) -> list[str]:
    """Every file the script names: [Files] sources, icons, messages files, #if FileExists checks."""
    sections = _sections(text)
    named = [_entry(line)["Source"] for line in sections.get("Files", [])]
    setup = {k: v for k, _, v in (line.partition("=") for line in sections["Setup"])}
    named.append(setup["SetupIconFile"])
    for lang in sections["Languages"]:
        named += [f for f in _entry(lang)["MessagesFile"].split(",") if not f.startswith("compiler:")]
    for expression in re.findall(r'FileExists\((\w+) \+ "([^"]+)"\)', text):
        named.append("{{#{}}}{}".format(*expression))
    return named


def _resolve(name: str, bundle: Path) -> Path:
    """A Windows name from the script → where it is on this machine (the bundle, or the repository)."""
    if name.startswith("{#Dist}"):
        path = PureWindowsPath(name.removeprefix("{#Dist}").lstrip("\\"))
        parts = list(path.parts)
        parts[-1] = parts[-1].removesuffix(".exe")
        return bundle.joinpath(*parts)
    return (INSTALLER / PureWindowsPath(name).as_posix()).resolve()


def test_the_script_names_its_files_relative_to_the_build():
    text = _text()
    assert re.search(r'^#define Dist AddBackslash\(SourcePath\) \+ "\.\.\\dist\\edubridge-" \+ AppVersion$', text, re.M)
    for name in _named_files(text):
        if not name.startswith("{#Dist}"):
            assert _resolve(name, ROOT).exists(), name


@pytest.mark.slow
def test_every_file_the_script_names_is_in_the_linux_build(linux_build):
    bundle, _deb = linux_build
    vc_runtime = _spec_vc_runtime()
    for name in _named_files(_text()):
        windows_only = PureWindowsPath(name).name.lower() in vc_runtime
        if windows_only:
            continue  # bundled by the spec on Windows only (VC_RUNTIME)
        if name.endswith("\\*"):
            assert _resolve(name[:-2], bundle).is_dir(), name
        else:
            assert _resolve(name, bundle).exists(), name


def test_the_vc_runtime_the_script_requires_is_what_the_spec_bundles():
    required = {PureWindowsPath(n).name.lower() for n in _named_files(_text()) if n.lower().endswith(".dll")}
    assert required and required <= _spec_vc_runtime()
