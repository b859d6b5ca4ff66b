"""The .deb for UOS / Kylin / Debian: its layout, and the frozen selftest run from it unpacked.

Builds the PyInstaller bundle and the package once (``linux_build``), unpacks it with
``dpkg -x`` into a scratch root as a clean machine would get it, and runs the installed
program offscreen: every page, a fresh database migrated, Qt's Chinese translation, both
solvers, one PDF and one workbook (``edubridge selftest --frozen``).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from policy.version import __version__

pytestmark = pytest.mark.slow

APPID = "cn.edubridge.app"


@pytest.fixture(scope="module")
def installed(linux_build: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scratch root the .deb was unpacked into."""
    _bundle, deb = linux_build
    root = tmp_path_factory.mktemp("root")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root


def _control(deb: Path) -> dict[str, str]:
    text = subprocess.run(["dpkg-deb", "-f", str(deb)], check=True, capture_output=True, text=True).stdout
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith(" "):
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def test_the_package_is_named_and_versioned_from_policy_version(linux_build):
    _bundle, deb = linux_build
    arch = subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True, text=True).stdout.strip()
    fields = _control(deb)
    assert deb.name == f"{APPID}_{__version__}_{arch}.deb"
    assert (fields["Package"], fields["Version"], fields["Architecture"]) == (APPID, __version__, arch)
    assert fields["Depends"].startswith("libc6 (>= 2.")
    # psycopg loads the system's libpq by name (the Linux bundle leaves psycopg_binary out).
    assert "libpq5" in fields["Depends"].split(", ")


def test_the_bundle_is_under_250_mb_unpacked(linux_build):
    # Issue 14: under 250 MB unpacked, fonts included (apparent sizes, 10^6 bytes).
    bundle, _deb = linux_build
    sizes: dict[str, int] = {}
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink():
            parts = path.relative_to(bundle).parts
            part = parts[1] if len(parts) > 2 and parts[0] == "_internal" else parts[0]
            sizes[part] = sizes.get(part, 0) + path.stat().st_size
    total = sum(sizes.values())
    biggest = ", ".join(f"{name} {size / 1e6:.1f}" for name, size in sorted(sizes.items(), key=lambda i: -i[1])[:8])
    assert total < 250e6, f"{total / 1e6:.1f} MB: {biggest}"
    # The solver libraries OR-Tools links but the app never uses are stubs (installer/stub_solvers.py).
    [scip] = (bundle / "_internal" / "ortools" / ".libs").glob("libscip.so.*")
    assert scip.stat().st_size < 200_000


def test_no_maintainer_script_changes_the_system(linux_build, tmp_path):
    _bundle, deb = linux_build
    subprocess.run(["dpkg-deb", "-e", str(deb), str(tmp_path / "control")], check=True)
    assert sorted(p.name for p in (tmp_path / "control").iterdir()) == ["control"]


def test_the_layout_is_the_uos_app_stores(installed):
    app = installed / "opt" / "apps" / APPID
    info = json.loads((app / "info").read_text(encoding="utf-8"))
    assert info["appid"] == APPID and info["version"] == __version__ and len(info["arch"]) == 1
    desktop = (app / "entries" / "applications" / f"{APPID}.desktop").read_text(encoding="utf-8")
    assert f"Exec=/opt/apps/{APPID}/files/edubridge %f" in desktop
    assert "MimeType=application/x-edubridge-package;" in desktop and f"Icon={APPID}" in desktop
    mime = (app / "entries" / "mime" / "packages" / f"{APPID}.xml").read_text(encoding="utf-8")
    assert '<glob pattern="*.ebpkg"/>' in mime
    for size in (16, 48, 256):
        assert (app / "entries" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APPID}.png").is_file()
    # Everything real lives under /opt/apps; elsewhere only links into it.
    for path in installed.rglob("*"):
        if not path.is_relative_to(app) and not path.is_dir():
            assert path.is_symlink() and os.readlink(path).startswith(f"/opt/apps/{APPID}/"), path
    assert os.readlink(installed / "usr" / "bin" / "edubridge") == f"/opt/apps/{APPID}/files/edubridge"
    assert os.readlink(installed / "usr" / "share" / "mime" / "packages" / f"{APPID}.xml") == \
        f"/opt/apps/{APPID}/entries/mime/packages/{APPID}.xml"


def _clean_env(home: Path) -> dict[str, str]:
    """What a desktop session gives a program: no Python paths of ours, a fresh home, no display."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTHON", "VIRTUAL_ENV", "EDUBRIDGE_", "QT_", "PYTEST"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
               QT_QPA_PLATFORM="offscreen", LANG="zh_CN.UTF-8")
    env.pop("DISPLAY", None)
    return env


def test_the_installed_program_reports_its_version(installed, tmp_path):
    program = installed / "opt" / "apps" / APPID / "files" / "edubridge-cli"
    done = subprocess.run([str(program), "--version"], capture_output=True, text=True, timeout=120,
                          env=_clean_env(tmp_path), cwd=tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, f"EduBridge {__version__}")


def test_the_frozen_selftest_passes_from_the_unpacked_package(installed, tmp_path):
    program = installed / "opt" / "apps" / APPID / "files" / "edubridge"
    done = subprocess.run([str(program), "selftest", "--frozen"], capture_output=True, text=True, timeout=600,
                          env=_clean_env(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "自检通过" in done.stdout and "安装检查通过" in done.stdout
    assert "Traceback" not in done.stderr
    # The temporary demo store and files went to temporary folders, not the clerk's data folder.
    assert not (tmp_path / ".local" / "share" / "EduBridge" / "edubridge.db").exists()
