"""The one version source for the app, the PyInstaller spec and the installer."""

__version__ = "0.1.0"
