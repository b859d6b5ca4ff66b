"""A PDF held in memory, shown with QtPdf and printed page by page through QPrinter.

Shared by the 报告 and 协议 pages: they build the PDF off the GUI thread
(``desktop.worker``), hand the bytes to :meth:`PdfPreview.load`, and call
:meth:`PdfPreview.print_with_dialog` / :meth:`PdfPreview.render_to`. Saving the bytes is
the page's business (through ``desktop.messages``), since what a save means differs.

Danger: ``QPdfDocument`` reads from the ``QBuffer`` lazily, so the buffer lives as long
as the document shows it (kept on the widget, replaced on each load).
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop import messages


class PdfPreview(QWidget):
    """A multi-page, fit-to-width view of one in-memory PDF."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pdf_bytes: bytes = b""
        self._buffer: QBuffer | None = None
        self.document = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)

    def load(self, data: bytes) -> int:
        """Show ``data`` (a whole PDF file); returns its page count."""
        self.document.close()
        self.pdf_bytes = data
        buffer = QBuffer(self)
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document.load(buffer)
        if self._buffer is not None:
            self._buffer.deleteLater()
        self._buffer = buffer
        return self.document.pageCount()

    def clear(self) -> None:
        """Show nothing (the shown PDF no longer matches the data)."""
        self.document.close()
        self.pdf_bytes = b""

    @property
    def page_count(self) -> int:
        return self.document.pageCount() if self.pdf_bytes else 0

    def print_with_dialog(self, parent: QWidget | None = None) -> bool:
        """Ask for a printer and print every page; True when printed.

        Headless (``messages.headless``) nothing is shown and nothing printed: False.
        """
        if self.page_count == 0 or messages.headless:
            return False
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, parent or self)
        if dialog.exec() != QPrintDialog.DialogCode.Accepted:
            return False
        self.render_to(printer)
        return True

    def render_to(self, printer: QPrinter) -> None:
        """Paint every page onto ``printer`` at its resolution."""
        painter = QPainter(printer)
        try:
            for page in range(self.document.pageCount()):
                if page:
                    printer.newPage()
                target = painter.viewport()
                image = self.document.render(page, QSize(target.width(), target.height()))
                painter.drawImage(target, image)
        finally:
            painter.end()
