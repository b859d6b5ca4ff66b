"""``edubridge selftest``: every page opened offscreen, painted, with glyphs for its text."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PySide6.QtGui import QColor, QImage

from desktop import messages
from desktop.cli import main
from desktop.commands.selftest import blank_reason, missing_glyphs
from desktop.pages import PAGES
from policy import planner


def test_selftest_passes_on_the_demo_county(gui, county_db, capsys):
    assert main(["--db", str(county_db), "selftest"]) == 0
    out = capsys.readouterr().out
    assert f"数据文件 {county_db}" in out
    for number, spec in enumerate(PAGES, start=1):
        assert f"✓ {number} {spec.title}" in out
    assert "自检通过" in out
    assert messages.headless  # restored to what the test set


def test_selftest_uses_a_temporary_demo_when_the_store_is_empty(gui, db_path, capsys):
    from db.queries import entity_counts
    from db.store import Store

    Store.open(str(db_path)).dispose()
    assert main(["--db", str(db_path), "selftest"]) == 0
    assert "临时示范县数据" in capsys.readouterr().out
    untouched = Store.open(str(db_path))
    try:
        assert entity_counts(untouched)["schools"] == 0  # the given store was not written to
    finally:
        untouched.dispose()


def test_selftest_names_a_failing_page_and_exits_1(gui, county_db, capsys, monkeypatch, tmp_path):
    from desktop.pages import PageSpec

    (tmp_path / "blank_page_for_selftest.py").write_text(
        "from PySide6.QtWidgets import QWidget\n"
        "class BlankPage(QWidget):\n"
        "    def __init__(self, context, parent=None):\n"
        "        super().__init__(parent)\n"
        "    def refresh(self):\n"
        "        pass\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    pages = (*PAGES[:1], PageSpec("blank", "空白页", "blank_page_for_selftest:BlankPage"))
    # main_window first: patching it imports it, and its `from desktop.pages import PAGES` would
    # otherwise copy the patched pages, which monkeypatch would then "restore" for later tests.
    monkeypatch.setattr("desktop.main_window.PAGES", pages)
    monkeypatch.setattr("desktop.pages.PAGES", pages)
    assert main(["--db", str(county_db), "selftest"]) == 1
    out = capsys.readouterr().out
    assert "✓ 1 概览" in out
    assert "✗ 2 空白页" in out and "空白" in out
    assert "自检失败（1 项）" in out


def test_selftest_saves_screenshots_when_asked(gui, county_db, tmp_path, capsys):
    shots = tmp_path / "shots"
    assert main(["--db", str(county_db), "selftest", "--keep-screenshots", str(shots)]) == 0
    files = sorted(p.name for p in shots.glob("*.png"))
    assert files == sorted(f"{n}_{spec.key}.png" for n, spec in enumerate(PAGES, start=1))


def test_a_flat_image_counts_as_blank(gui):
    image = QImage(200, 100, QImage.Format.Format_RGB32)
    image.fill(QColor("#efefef"))
    assert blank_reason(image) is not None
    image.setPixelColor(10, 10, QColor("black"))
    assert blank_reason(image) is not None  # one dot is not a painted page
    for x in range(200):
        for y in range(40, 44):
            image.setPixelColor(x, y, QColor("black"))
    assert blank_reason(image) is None


def test_missing_glyphs_names_the_characters_the_font_lacks(gui):
    from desktop.fonts import SANS_FAMILY

    assert missing_glyphs("城乡教共体管理 2025—2026学年", SANS_FAMILY) == ""
    assert missing_glyphs("学校\ue000\ue001\ue000", SANS_FAMILY) == "\ue000\ue001"
    assert missing_glyphs("学校", "No Such Font Family") == "学校"


@pytest.mark.slow
def test_selftest_as_a_fresh_process_without_a_display(county_db):
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [sys.executable, "-m", "desktop.cli", "--db", str(county_db), "selftest"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "自检通过" in result.stdout
    assert "Traceback" not in result.stderr
    assert "propagateSizeHints" not in result.stderr


def test_frozen_selftest_checks_the_installation(gui, county_db, capsys):
    from desktop.bundle_checks import CHECKS

    assert main(["--db", str(county_db), "selftest", "--frozen"]) == 0
    out = capsys.readouterr().out
    for check in CHECKS:
        assert f"✓ {check.title}：" in out
    assert out.count(f"{planner.FLOW_SOLVER} 安排") == 2  # per school too: the flow meets every floor
    assert "OR-Tools 与 HiGHS、GLOP 的原生库均已加载" in out
    assert "安装检查通过" in out


def test_frozen_selftest_names_a_missing_resource_and_exits_1(gui, county_db, capsys, monkeypatch, tmp_path):
    import resources
    from desktop import bundle_checks

    monkeypatch.setattr(bundle_checks, "CHECKS", bundle_checks.CHECKS[:2])  # resources, migrations: enough here

    real = resources.resource_path

    def without_icons(*parts: str):
        return tmp_path / "nowhere" if parts == ("icons",) else real(*parts)

    monkeypatch.setattr(resources, "resource_path", without_icons)
    assert main(["--db", str(county_db), "selftest", "--frozen"]) == 1
    out = capsys.readouterr().out
    assert "✗ 程序文件：" in out and "图标 0 个" in out
    assert "安装检查失败（1 项）" in out


def test_frozen_checks_refuse_a_keyring_without_its_backends(monkeypatch, tmp_path):
    """A frozen build that lost keyring's metadata (no entry points) or a backend's library."""
    from importlib import metadata

    from desktop import bundle_checks

    real = metadata.entry_points
    monkeypatch.setattr(metadata, "entry_points", lambda **kw: [] if kw.get("group") == "keyring.backends"
                        else real(**kw))
    with pytest.raises(bundle_checks.BundleProblem, match="keyring 找不到后端"):
        bundle_checks._keyring(None, tmp_path)
    monkeypatch.setattr(metadata, "entry_points", real)
    import keyring.backends.SecretService as secret_service

    monkeypatch.delattr(secret_service, "secretstorage", raising=False)  # as when it was not bundled
    if sys.platform.startswith("linux"):
        with pytest.raises(bundle_checks.BundleProblem, match="缺少依赖"):
            bundle_checks._keyring(None, tmp_path)


def test_frozen_checks_sign_and_hash(tmp_path):
    from desktop import bundle_checks

    assert "签名与验证正常" in bundle_checks._signatures(None, tmp_path)
    assert "argon2id" in bundle_checks._passwords(None, tmp_path)
