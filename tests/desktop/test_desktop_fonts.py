"""The bundled Chinese fonts load into Qt and actually draw Chinese glyphs,
even on a machine with no Chinese font installed (fails if they are missing)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QRawFont  # noqa: E402
from PySide6.QtWidgets import QApplication, QLabel  # noqa: E402

from desktop.fonts import SANS_FAMILY, SERIF_FAMILY, has_glyphs, install_app_fonts  # noqa: E402

SAMPLE = "城乡教共体管理〇"


def _render_label(text: str, font: QFont) -> QImage:
    label = QLabel(text)
    label.setFont(font)
    label.setStyleSheet("background: white; color: black;")
    label.resize(400, 60)
    image = QImage(label.size(), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    label.render(image)
    return image


def _render_char(char: str, font: QFont) -> bytes:
    image = QImage(48, 48, QImage.Format.Format_Grayscale8)
    image.fill(255)
    painter = QPainter(image)
    painter.setFont(font)
    painter.setPen(QColor("black"))
    painter.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, char)
    painter.end()
    return bytes(image.constBits())


def test_install_app_fonts(qapp: QApplication) -> None:
    families = install_app_fonts(qapp)
    assert SANS_FAMILY in families
    assert SERIF_FAMILY in families
    assert qapp.font().family() == SANS_FAMILY
    assert qapp.font().pointSize() == 10
    # Idempotent: a second call loads nothing new and reports the same families.
    assert install_app_fonts(qapp) == families


def test_bundled_families_cover_chinese(qapp: QApplication) -> None:
    install_app_fonts(qapp)
    for family in (SANS_FAMILY, SERIF_FAMILY):
        assert has_glyphs(SAMPLE, family), family
        assert has_glyphs("、。《》「」①，：；ＡＢ１２", family), family
    assert not has_glyphs(SAMPLE, "No Such Family For EduBridge")


def test_label_draws_real_glyphs(qapp: QApplication) -> None:
    install_app_fonts(qapp)
    font = QFont(SANS_FAMILY, 20)
    chinese = _render_label(SAMPLE, font)
    boxes = _render_label("\uffff" * len(SAMPLE), font)
    assert chinese != boxes, "Chinese label renders like a row of missing-glyph boxes"

    # Every distinct character draws a distinct bitmap: no tofu, no blanks.
    bitmaps = {_render_char(char, font) for char in SAMPLE}
    blank = _render_char(" ", font)
    assert blank not in bitmaps
    assert len(bitmaps) == len(set(SAMPLE))


# Teachers' names with rare characters: 䶮 U+4DAE, 㛃 U+36C3, 㙟 U+365F (CJK Extension A) and
# 𫖯 U+2B5AF (Extension C; in 通用规范汉字表). The bundled faces carry them, so no fallback
# font on the user's machine is needed.
RARE_NAMES = "刘䶮 王㛃 张㙟 赵孟𫖯"
RARE_CHARS = "䶮㛃㙟𫖯"


def test_bundled_families_cover_rare_name_characters(qapp: QApplication) -> None:
    install_app_fonts(qapp)
    for family in (SANS_FAMILY, SERIF_FAMILY):
        assert has_glyphs(RARE_NAMES, family), family
        for bold in (False, True):
            font = QFont(family, 12)
            font.setBold(bold)
            font.setStyleStrategy(QFont.StyleStrategy.NoFontMerging)
            raw = QRawFont.fromFont(font)
            assert (raw.familyName(), raw.weight() >= QFont.Weight.Bold) == (family, bold)
            missing = [f"U+{ord(c):04X}" for c in RARE_CHARS if not raw.supportsCharacter(ord(c))]
            assert not missing, (family, bold, missing)
            metrics = QFontMetrics(font)
            assert all(metrics.inFontUcs4(ord(c)) for c in RARE_CHARS), (family, bold)
    # The app font (what every widget uses by default) is the one that has them.
    assert all(QFontMetrics(qapp.font()).inFontUcs4(ord(c)) for c in RARE_CHARS)


def test_rare_name_characters_draw_real_glyphs(qapp: QApplication) -> None:
    install_app_fonts(qapp)
    font = QFont(SANS_FAMILY, 20)
    font.setStyleStrategy(QFont.StyleStrategy.NoFontMerging)  # no help from system fonts
    bitmaps = [_render_char(char, font) for char in RARE_CHARS]
    tofu = _render_char("\U000E0FFF", font)  # unassigned: drawn as the missing-glyph box
    blank = _render_char(" ", font)
    assert len(set(bitmaps)) == len(RARE_CHARS), "two rare characters draw the same bitmap"
    assert tofu not in bitmaps and blank not in bitmaps


def test_the_application_font_draws_extension_b_names(qapp: QApplication) -> None:
    """𠮷 U+20BB7 (in none of the four faces): the application font's second family, the
    bundled supplement, draws it — a real glyph, not the box Noto Sans SC alone draws."""
    from desktop.fonts import SUPPLEMENT_FAMILY

    install_app_fonts(qapp)
    assert qapp.font().families() == [SANS_FAMILY, SUPPLEMENT_FAMILY]
    assert has_glyphs("\U00020BB7", SUPPLEMENT_FAMILY) and not has_glyphs("\U00020BB7", SANS_FAMILY)
    app_font = QFont(qapp.font())
    app_font.setPointSize(20)
    sans_only = QFont(SANS_FAMILY, 20)
    sans_only.setStyleStrategy(QFont.StyleStrategy.NoFontMerging)
    drawn, box, blank = (_render_char("\U00020BB7", app_font), _render_char("\U00020BB7", sans_only),
                         _render_char(" ", app_font))
    assert drawn not in (box, blank)
    assert drawn != _render_char("吉", app_font)  # 𠮷 is 吉 with 土 on top: another glyph
