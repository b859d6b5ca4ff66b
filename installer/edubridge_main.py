"""Entry script for the frozen build (PyInstaller needs a file; the console script is desktop.cli:main)."""

import sys

from desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
