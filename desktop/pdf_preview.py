"""A PDF held in memory, shown with QtPdf, printed without ever freezing the window.

Shared by the 报告 and 协议 pages: they build the PDF off the GUI thread
(``desktop.worker``), hand the bytes to :meth:`PdfPreview.load`, and call
:meth:`PdfPreview.print_with_dialog` / :meth:`PdfPreview.render_to`. Saving the bytes is
the page's business (through ``desktop.messages``), since what a save means differs.

Printing (issue 15: printing pages 1–2 of a 929-page 公示 froze the window and spooled
every page as an image):

* only the pages chosen in the print dialog (page ranges such as 1-2,5) are printed;
* on a system with CUPS (``lp``, Linux/macOS) a real printer gets the PDF itself — vector,
  spooled in a moment, the printer's driver does the rest (:func:`lp_command`);
* otherwise (Windows, print to file) the chosen pages are rendered at no more than
  :data:`PRINT_DPI` in a background job (``desktop.worker``) with progress and cancel;
* :meth:`PdfPreview.open_in_viewer` hands the file to the system's PDF viewer instead.

Danger: ``QPdfDocument`` reads from the ``QBuffer`` lazily, so the buffer lives as long
as the document shows it (kept on the widget, replaced on each load). The background
render opens its own document on its own buffer (pdfium access is serialised by QtPdf).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, QUrl
from PySide6.QtGui import QDesktopServices, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop import messages
from desktop.progress_dialog import run_with_progress
from desktop.worker import Job
from policy.progress import Progress, quiet

#: Rendering resolution when the PDF cannot go to the printer as it is (enough for text;
#: a HighResolution printer's 1200 dpi made one A4 page a 550 MB image).
PRINT_DPI = 300


def chosen_pages(printer: QPrinter, count: int) -> list[int]:
    """0-based page numbers the print dialog chose (all pages unless a range was given)."""
    if count <= 0:
        return []
    if printer.printRange() == QPrinter.PrintRange.PageRange:
        pages: list[int] = []
        for block in printer.pageRanges().toRangeList():
            pages += [p - 1 for p in range(block.from_, block.to + 1) if 1 <= p <= count and p - 1 not in pages]
        if pages:
            return pages
        if printer.fromPage() > 0:
            return [p - 1 for p in range(printer.fromPage(), min(printer.toPage() or count, count) + 1)]
    return list(range(count))


def range_text(pages: Sequence[int]) -> str:
    """0-based pages → CUPS page-ranges text: [0, 1, 4] → '1-2,5'."""
    runs: list[list[int]] = []  # consecutive pages
    for page in sorted(set(pages)):
        if runs and page == runs[-1][-1] + 1:
            runs[-1].append(page)
        else:
            runs.append([page])
    return ",".join(f"{run[0] + 1}" if len(run) == 1 else f"{run[0] + 1}-{run[-1] + 1}" for run in runs)


def lp_command(printer_name: str, pages: Sequence[int], count: int, copies: int, path: Path) -> list[str]:
    """The CUPS command that prints ``path`` (a PDF) as vectors: only ``pages``, ``copies`` times."""
    command = ["lp", "-d", printer_name, "-n", str(max(1, copies)), "-t", path.stem]
    if sorted(set(pages)) != list(range(count)):
        command += ["-P", range_text(pages)]
    return [*command, str(path)]


def can_spool_pdf(printer: QPrinter) -> bool:
    """A real printer on a CUPS system: the PDF goes as it is (vector)."""
    return (sys.platform != "win32" and printer.outputFormat() == QPrinter.OutputFormat.NativeFormat
            and bool(printer.printerName()) and shutil.which("lp") is not None)


def render_pages(data: bytes, printer: QPrinter, pages: Sequence[int],
                 progress: Progress = quiet) -> int:
    """Paint ``pages`` of the PDF ``data`` onto ``printer`` at no more than :data:`PRINT_DPI`.

    Runs in any thread (its own document and buffer); ``progress`` is called before each
    page (the background job's cancellation point). Returns the pages painted.
    """
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(buffer)
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("打印机无法开始打印，请检查打印机是否可用")
    done = 0
    try:
        for index, page in enumerate(pages):
            progress(f"正在打印第 {page + 1} 页（{index + 1}/{len(pages)}）", index / max(1, len(pages)))
            if index:
                printer.newPage()
            target = painter.viewport()
            scale = min(1.0, PRINT_DPI / max(1, printer.resolution()))
            size = QSize(max(1, int(target.width() * scale)), max(1, int(target.height() * scale)))
            image = document.render(page, size)
            painter.drawImage(target, image)
            done += 1
    finally:
        painter.end()
        document.close()
        buffer.close()
    return done


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
        #: The print job running in the background, if any.
        self.print_job: Job | None = None
        self._temp: Path | None = None

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

    def _file(self, name: str = "EduBridge") -> Path:
        """The PDF as a temporary file (for ``lp`` and the system viewer), rewritten per call."""
        folder = Path(tempfile.gettempdir()) / "EduBridge"
        folder.mkdir(exist_ok=True)
        path = folder / f"{name}.pdf"
        path.write_bytes(self.pdf_bytes)
        self._temp = path
        return path

    def open_in_viewer(self, name: str = "EduBridge") -> bool:
        """Hand the PDF to the system's viewer (which prints it as vectors); True when handed."""
        if self.page_count == 0 or messages.headless:
            return False
        return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._file(name)))))

    def print_with_dialog(self, parent: QWidget | None = None,
                          finished: Callable[[bool], None] | None = None) -> bool:
        """Ask for a printer and the pages, then print them without blocking; True when started.

        Headless (``messages.headless``) nothing is shown and nothing printed: False.
        ``finished(ok)`` is called when the background job ends.
        """
        if self.page_count == 0 or messages.headless:
            return False
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setFromTo(1, self.page_count)
        dialog = QPrintDialog(printer, parent or self)
        dialog.setMinMax(1, self.page_count)
        dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintPageRange, True)
        if dialog.exec() != QPrintDialog.DialogCode.Accepted:
            return False
        self.start_print(printer, parent or self, finished)
        return True

    def start_print(self, printer: QPrinter, parent: QWidget | None = None,
                    finished: Callable[[bool], None] | None = None) -> Job:
        """Print the chosen pages in the background: spooled as a PDF through CUPS when
        possible, else rendered page by page with a progress dialog that can cancel."""
        pages = chosen_pages(printer, self.page_count)
        data, count = self.pdf_bytes, self.page_count
        if can_spool_pdf(printer):
            command = lp_command(printer.printerName(), pages, count, printer.copyCount(), self._file())

            def work(progress: Progress) -> int:
                progress("正在发送到打印机…", 0.1)
                result = subprocess.run(command, capture_output=True, text=True, timeout=120)
                if result.returncode != 0:
                    raise OSError(f"打印失败：{(result.stderr or result.stdout).strip()}")
                return len(pages)
        else:
            def work(progress: Progress) -> int:
                return render_pages(data, printer, pages, progress)

        job = run_with_progress(parent or self, "打印", "正在打印…", work)
        self.print_job = job

        def end(ok: bool) -> None:
            self.print_job = None
            if finished is not None:
                finished(ok)

        job.finished.connect(lambda _result: end(True))
        def failed(message: str) -> None:
            end(False)
            messages.error(parent or self, "打印", message)

        job.failed.connect(failed)
        job.cancelled.connect(lambda: end(False))
        return job

    def render_to(self, printer: QPrinter, pages: Sequence[int] | None = None) -> None:
        """Paint ``pages`` (default: the dialog's choice, else all) onto ``printer``, in this thread."""
        chosen = list(pages) if pages is not None else chosen_pages(printer, self.page_count)
        render_pages(self.pdf_bytes, printer, chosen)
