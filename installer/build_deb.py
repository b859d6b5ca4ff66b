"""Build the .deb for 统信 UOS, 麒麟 Kylin and other Debian-based desktops from the frozen bundle.

    .venv/bin/python installer/build_deb.py [--build] [--fast] [--out dist] [--uos-store]

Layout (the UOS app store's): everything under /opt/apps/<APPID>/ —
    info                                  JSON: appid, name, version, arch, permissions
    files/                                the PyInstaller folder (edubridge, _internal/)
    entries/applications/<APPID>.desktop  menu entry; opens .ebpkg files
    entries/icons/hicolor/NxN/apps/<APPID>.png
    entries/mime/packages/<APPID>.xml     the .ebpkg MIME type
plus, as package data (no maintainer scripts touch the system), /usr/bin/edubridge → files/edubridge
and, unless --uos-store, links from /usr/share/{applications,icons,mime} to the entries so plain
Debian/Kylin desktops see the menu entry; their desktop-file-utils / shared-mime-info / hicolor
dpkg triggers refresh the caches. The UOS store links entries/ itself.

The architecture is this machine's (dpkg --print-architecture): run it on an arm64 machine for arm64.
Depends: the system libraries the bundle links to but does not carry, found with objdump and
dpkg -S on the build machine, libpq5 (psycopg loads it by name), and libc6 >= the newest GLIBC
symbol version any file needs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPID = "cn.edubridge.app"
MIME_TYPE = "application/x-edubridge-package"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
MAINTAINER = "EduBridge 项目组 <edubridge@localhost>"

DESKTOP_ENTRY = f"""[Desktop Entry]
Type=Application
Name=EduBridge 城乡教共体管理
Name[zh_CN]=城乡教共体管理
GenericName=城乡义务教育一体化管理
Comment=教育集团与教共体、教师交流轮岗、帮扶活动、协议与年度考核
Exec=/opt/apps/{APPID}/files/edubridge %f
Icon={APPID}
Terminal=false
Categories=Education;Office;
MimeType={MIME_TYPE};
Keywords=教共体;交流轮岗;教育集团;帮扶;
StartupNotify=true
"""

MIME_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<mime-info xmlns="http://www.freedesktop.org/standards/shared-mime-info">
  <mime-type type="{MIME_TYPE}">
    <comment>EduBridge data package</comment>
    <comment xml:lang="zh_CN">EduBridge 数据包</comment>
    <icon name="{APPID}"/>
    <glob pattern="*.ebpkg"/>
  </mime-type>
</mime-info>
"""


#: Libraries the bundle loads by name at run time (ctypes), which objdump cannot see: psycopg
#: without its binary package loads the system's libpq (installer/edubridge.spec).
DLOPENED = ("libpq.so.5",)


class BuildError(Exception):
    """The package cannot be built; the message says why."""


def version() -> str:
    sys.path.insert(0, str(ROOT))
    from policy.version import __version__

    return __version__


def architecture() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True, text=True).stdout.strip()


def build_bundle(dist: Path, work: Path) -> None:
    """Run PyInstaller on installer/edubridge.spec with this Python."""
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(dist), "--workpath", str(work), str(ROOT / "installer" / "edubridge.spec")],
        check=True, cwd=ROOT,
    )


def _elf_files(folder: Path) -> list[Path]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def system_dependencies(bundle: Path) -> tuple[list[str], str]:
    """(Debian packages of the libraries the bundle needs but does not carry, newest GLIBC_x.y needed)."""
    files = _elf_files(bundle)
    carried = {p.name for p in bundle.rglob("*") if ".so" in p.name}
    needed: set[str] = set()
    glibc = (2, 17)
    for chunk in range(0, len(files), 200):
        out = subprocess.run(["objdump", "-p", "-T", *map(str, files[chunk:chunk + 200])],
                             capture_output=True, text=True).stdout
        needed.update(re.findall(r"^\s+NEEDED\s+(\S+)", out, re.M))
        for major, minor in re.findall(r"GLIBC_(\d+)\.(\d+)", out):
            glibc = max(glibc, (int(major), int(minor)))
    if not (bundle / "_internal" / "psycopg_binary").is_dir():
        needed.update(DLOPENED)
    # ldconfig names each library with its ABI, e.g. "(libc6,x86-64)"; keep this machine's.
    marker = {"x86_64": "x86-64", "aarch64": "AArch64"}.get(platform.machine(), "")
    cache = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
    paths: dict[str, str] = {}
    for name, flags, path in re.findall(r"^\s+(\S+) \(([^)]*)\) => (\S+)", cache, re.M):
        if marker in flags:
            paths.setdefault(name, path)
    packages: set[str] = set()
    unresolved = []
    for name in sorted(needed - carried):
        path = paths.get(name)
        if path is None:
            unresolved.append(name)
            continue
        owner = subprocess.run(["dpkg", "-S", os.path.realpath(path)], capture_output=True, text=True)
        if owner.returncode != 0:
            owner = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
        if owner.returncode == 0:
            packages.add(owner.stdout.split(":", 1)[0].strip())
        else:
            unresolved.append(name)
    if unresolved:
        raise BuildError(f"the bundle needs libraries this machine does not have: {', '.join(unresolved)}")
    packages.discard("libc6")
    return sorted(packages), f"{glibc[0]}.{glibc[1]}"


def _installed_size_kib(folder: Path) -> int:
    total = sum(p.lstat().st_size for p in folder.rglob("*"))
    return (total + 1023) // 1024


def stage(bundle: Path, root: Path, ver: str, arch: str, system_links: bool) -> None:
    """Lay the package's files out under ``root``."""
    app = root / "opt" / "apps" / APPID
    shutil.copytree(bundle, app / "files", symlinks=True)
    entries = app / "entries"
    (entries / "applications").mkdir(parents=True)
    (entries / "applications" / f"{APPID}.desktop").write_text(DESKTOP_ENTRY, encoding="utf-8")
    (entries / "mime" / "packages").mkdir(parents=True)
    (entries / "mime" / "packages" / f"{APPID}.xml").write_text(MIME_XML, encoding="utf-8")
    icons = ROOT / "resources" / "icons"
    for size in ICON_SIZES:
        folder = entries / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True)
        shutil.copyfile(icons / f"edubridge-{size}.png", folder / f"{APPID}.png")
    info = {
        "appid": APPID,
        "name": "EduBridge 城乡教共体管理",
        "version": ver,
        "arch": [arch],
        "permissions": {
            "autostart": False, "notification": False, "trayicon": False, "clipboard": True,
            "account": False, "bluetooth": False, "camera": False, "audio_record": False,
            "installed_apps": False,
        },
    }
    (app / "info").write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / "edubridge").symlink_to(f"/opt/apps/{APPID}/files/edubridge")
    if system_links:
        for entry in sorted(entries.rglob("*")):
            if entry.is_file():
                link = root / "usr" / "share" / entry.relative_to(entries)
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(f"/{entry.relative_to(root)}")


def control(root: Path, ver: str, arch: str, depends: list[str], glibc: str) -> str:
    return (
        f"Package: {APPID}\n"
        f"Version: {ver}\n"
        f"Architecture: {arch}\n"
        f"Maintainer: {MAINTAINER}\n"
        f"Installed-Size: {_installed_size_kib(root)}\n"
        f"Depends: {', '.join([f'libc6 (>= {glibc})', *depends])}\n"
        "Section: education\n"
        "Priority: optional\n"
        "Description: EduBridge 城乡教共体管理\n"
        " 供县（区）教育局使用的城乡义务教育一体化管理软件：教育集团与教共体、\n"
        " 教师交流轮岗、送教与帮扶活动、协议与年度考核。数据保存在本机，\n"
        " 也可以连接局里共用的 PostgreSQL 服务器。\n"
    )


def build_deb(bundle: Path, out: Path, *, fast: bool = False, system_links: bool = True) -> Path:
    """Stage ``bundle`` and pack it with dpkg-deb; returns the .deb path."""
    if not (bundle / "edubridge").is_file():
        raise BuildError(f"no frozen bundle at {bundle} (build it with --build or PyInstaller first)")
    ver, arch = version(), architecture()
    depends, glibc = system_dependencies(bundle)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{APPID}_{ver}_{arch}.deb"
    with tempfile.TemporaryDirectory(prefix="edubridge-deb-") as folder:
        root = Path(folder) / "root"
        stage(bundle, root, ver, arch, system_links)
        (root / "DEBIAN").mkdir()
        (root / "DEBIAN" / "control").write_text(control(root, ver, arch, depends, glibc), encoding="utf-8")
        # xz is what every dpkg reads (UOS 20's dpkg 1.19 has no zstd); gzip -1 for a quick CI check.
        compression = ["-Zgzip", "-z1"] if fast else ["-Zxz", "-z6"]
        subprocess.run(["dpkg-deb", "--root-owner-group", *compression, "--build", str(root), str(target)],
                       check=True, stdout=subprocess.DEVNULL)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the EduBridge .deb (UOS / Kylin / Debian layout).")
    parser.add_argument("--bundle", type=Path, help="the PyInstaller folder (default: dist/edubridge-<version>)")
    parser.add_argument("--build", action="store_true", help="run PyInstaller first (into --out, work in build/)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the bundle and the .deb go")
    parser.add_argument("--fast", action="store_true", help="gzip -1 instead of xz (for tests)")
    parser.add_argument("--uos-store", action="store_true",
                        help="only /opt/apps and /usr/bin: no links under /usr/share (the UOS store makes them)")
    args = parser.parse_args(argv)
    try:
        if args.build:
            build_bundle(args.out, ROOT / "build")
        bundle = args.bundle or args.out / f"edubridge-{version()}"
        target = build_deb(bundle, args.out, fast=args.fast, system_links=not args.uos_store)
    except (BuildError, subprocess.CalledProcessError) as exc:
        print(f"build_deb: {exc}", file=sys.stderr)
        return 2
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
