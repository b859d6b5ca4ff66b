"""Entry script for the frozen build (PyInstaller needs a file; the console script is desktop.cli:main)."""

import os
import sys

from desktop.cli import main

if __name__ == "__main__":
    if sys.platform != "win32" and not any(os.environ.get(k) for k in ("LC_ALL", "LC_CTYPE", "LANG")):
        # A frozen build gets no UTF-8 locale coercion from Python; Qt warns under the "C" locale.
        os.environ["LC_CTYPE"] = "C.UTF-8"
    sys.exit(main())
