"""The page contract of the main window.

A page is a ``QWidget`` subclass registered in :data:`desktop.pages.PAGES` and built
lazily, the first time the clerk opens it, as::

    page = PageClass(context, parent=None)   # context: desktop.context.AppContext

and then, **each time it is shown** (including the first), the main window calls::

    page.refresh()   # -> None; re-read what it shows from context.store

Rules:

* Read data through ``context.store`` and rules through ``context.profile`` — never
  globals, never the main window (``self.window()`` is for dialog parents only).
* ``refresh()`` must be quick (SQL aggregates, a query per table); long work goes through
  ``desktop.worker.run_in_background``.
* Messages and file dialogs only through ``desktop.messages``.
* A page that changes the store's settings or the active profile calls
  ``context.reload_profile()`` if needed and emits :attr:`Page.context_changed`; the main
  window then updates its status bar. Pages deriving from :class:`Page` get that signal;
  a plain ``QWidget`` page works too (it just cannot announce changes).
* UI text in Simplified Chinese; no business rule in the page (ask ``db``/``policy``).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from desktop.context import AppContext


class Page(QWidget):
    """Convenience base class for pages (optional; the contract above is what matters)."""

    #: Emitted after the page changed the store's settings / active profile.
    context_changed = Signal()
    #: (page key, record code): the main window shows that page with that record
    #: (``show_record(code)`` on the page, when it has one).
    open_record = Signal(str, str)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context

    def refresh(self) -> None:
        """Re-read what the page shows; called every time it is shown."""
