"""The frozen bundle and the .deb, built once per session (minutes: only the tests marked slow use them)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _build_tools_missing() -> str | None:
    if importlib.util.find_spec("PyInstaller") is None:
        return "PyInstaller is not installed (pip install -e \".[test]\")"
    for tool, package in (("objdump", "binutils"), ("dpkg-deb", "dpkg"), ("strip", "binutils"),
                          ("readelf", "binutils"), ("as", "binutils"), ("ld", "binutils")):
        if shutil.which(tool) is None:
            return f"{tool} is missing (apt-get install {package}): PyInstaller cannot build the bundle"
    return None


@pytest.fixture(scope="session")
def linux_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the PyInstaller folder, the .deb) built from this tree; skips when the tools are missing."""
    missing = _build_tools_missing()
    if missing:
        pytest.skip(missing)
    import sys

    sys.path.insert(0, str(ROOT / "installer"))
    try:
        import build_deb
    finally:
        sys.path.remove(str(ROOT / "installer"))
    out = tmp_path_factory.mktemp("dist")
    try:
        build_deb.build_bundle(out, tmp_path_factory.mktemp("pyinstaller-work"))
        bundle = out / f"edubridge-{build_deb.version()}"
        deb = build_deb.build_deb(bundle, out, fast=True)
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"building the Linux package failed: {exc}")
    return bundle, deb
