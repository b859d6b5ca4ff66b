"""Entry script for the frozen build (PyInstaller needs a file; the console script is desktop.cli:main)."""

import os
import sys

from desktop.cli import main

if __name__ == "__main__":
    if sys.platform != "win32" and not any(os.environ.get(k) for k in ("LC_ALL", "LC_CTYPE", "LANG")):
        # A frozen build gets no UTF-8 locale coercion from Python; Qt warns under the "C" locale.
        os.environ["LC_CTYPE"] = "C.UTF-8"
    if sys.platform.startswith("linux") and os.environ.get("QT_IM_MODULE", "").startswith("fcitx"):
        # The bundled Qt has no fcitx plug-in (it must match Qt's exact version); fcitx5 also
        # answers ibus clients, whose plug-in is bundled. Without this, no Chinese input at all.
        os.environ["QT_IM_MODULE"] = "ibus"
    sys.exit(main())
