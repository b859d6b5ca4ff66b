"""Bundled Chinese fonts for the Qt GUI.

``install_app_fonts(app)`` loads every TrueType file under ``resources/fonts``
(Noto Sans SC Regular/Bold, Noto Serif SC; see the README there) into Qt's
application font database and makes Noto Sans SC, 10 pt, the application
default, so Chinese renders on machines that have no Chinese font installed.
Its second family is Noto Sans SC Supplement (CJK Extension B–G, 𠮷), which Qt
uses for the characters Noto Sans SC lacks before any font of the system.
Call it once, right after creating the QApplication and before building
widgets.  ``has_glyphs()`` tells whether a family really covers a text (used
by the tests to prove there is no tofu).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase, QRawFont
from PySide6.QtWidgets import QApplication

__all__ = ["SANS_FAMILY", "SERIF_FAMILY", "SUPPLEMENT_FAMILY", "DEFAULT_POINT_SIZE", "has_glyphs", "install_app_fonts"]

SANS_FAMILY = "Noto Sans SC"
SERIF_FAMILY = "Noto Serif SC"
#: CJK Extension B–G characters the two families lack (𠮷): the application font's second
#: family, so every widget draws them from it before Qt looks at the system's fonts.
SUPPLEMENT_FAMILY = "Noto Sans SC Supplement"
DEFAULT_POINT_SIZE = 10

_log = logging.getLogger(__name__)

# Font file -> families it provided.  QFontDatabase is process-wide, so a font
# is added once per process even if install_app_fonts() is called again.
_loaded: dict[Path, list[str]] = {}


def fonts_dir() -> Path:
    """Directory holding the bundled font files."""
    try:
        from resources import resource_path
    except ImportError:  # resources package not importable: fall back to the tree
        return Path(__file__).resolve().parent.parent / "resources" / "fonts"
    return resource_path("fonts")


def install_app_fonts(app: QApplication) -> list[str]:
    """Load the bundled fonts and make Noto Sans SC the application font.

    Returns:
        The families loaded, each once, in file-name order
        (e.g. ``["Noto Sans SC", "Noto Serif SC"]``).

    Raises:
        RuntimeError: no bundled font could be loaded, or Noto Sans SC is missing.
    """
    directory = fonts_dir()
    families: list[str] = []
    failed: list[str] = []
    for path in sorted(directory.glob("*.ttf")):
        if path not in _loaded:
            font_id = QFontDatabase.addApplicationFont(str(path))
            if font_id == -1:
                failed.append(path.name)
                _log.error("Qt could not load font %s", path)
                continue
            _loaded[path] = list(QFontDatabase.applicationFontFamilies(font_id))
        for family in _loaded[path]:
            if family not in families:
                families.append(family)
    if not families:
        detail = f" (failed: {', '.join(failed)})" if failed else ""
        raise RuntimeError(
            f"no bundled font could be loaded from {directory}{detail}; "
            "Chinese text would not render. The installation is incomplete."
        )
    if SANS_FAMILY not in families:
        raise RuntimeError(
            f"{SANS_FAMILY} not found among the bundled fonts in {directory} "
            f"(loaded: {', '.join(families)})"
        )
    font = QFont(SANS_FAMILY, DEFAULT_POINT_SIZE)
    if SUPPLEMENT_FAMILY in families:
        font.setFamilies([SANS_FAMILY, SUPPLEMENT_FAMILY])
    app.setFont(font)
    return families


def has_glyphs(text: str, family: str) -> bool:
    """True if font ``family`` itself (no fallback font) has a glyph for every
    character of ``text`` other than whitespace."""
    font = QFont(family)
    font.setStyleStrategy(QFont.StyleStrategy.NoFontMerging)
    raw = QRawFont.fromFont(font)
    # QRawFont.fromFont() silently substitutes another family if ``family``
    # is unknown, so check that we got the family we asked for.
    if not raw.isValid() or raw.familyName() != family:
        return False
    return all(raw.supportsCharacter(ord(char)) for char in text if not char.isspace())
