"""Qt's own texts in Simplified Chinese: standard buttons, file and print dialogs, the calendar.

Our widgets are written in Chinese; what Qt draws by itself (是/否, 打开, 文件名, month and day
names, number formats) comes from Qt's translation catalogues and the default locale. The
catalogues ship inside the PySide6 wheel (and a frozen build's copy of it).
"""

from __future__ import annotations

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

#: Qt's catalogues the GUI uses: qtbase covers the widgets and dialogs we show.
CATALOGUES = ("qtbase",)
CHINESE = QLocale(QLocale.Language.Chinese, QLocale.Script.SimplifiedChineseScript, QLocale.Country.China)


def install_chinese(app: QApplication) -> list[str]:
    """Make Chinese the default locale and load Qt's Chinese catalogues; the names loaded.

    Idempotent: a second call (tests make the app once per session) loads nothing again.
    """
    QLocale.setDefault(CHINESE)
    loaded: list[QTranslator] = app.property("edubridge_translators") or []
    if loaded:
        return [t.filePath() for t in loaded]
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for name in CATALOGUES:
        translator = QTranslator(app)  # parented: lives as long as the application
        if translator.load(CHINESE, name, "_", folder):
            app.installTranslator(translator)
            loaded.append(translator)
    app.setProperty("edubridge_translators", loaded)
    return [t.filePath() for t in loaded]
