"""PDF inspection helpers for the report tests (poppler's pdffonts / pdftotext / pdfinfo)."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


class PdfTool:
    """What a person checks in a PDF: fonts, text, where words sit on the page."""

    @staticmethod
    def fonts(path: Path) -> list[tuple[str, str, str]]:
        """(name, emb, sub) per font object."""
        out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
        rows = []
        for line in out.splitlines()[2:]:
            cols = line.split()
            rows.append((cols[0], cols[-5], cols[-4]))
        return rows

    @staticmethod
    def text(path: Path, first: int | None = None, last: int | None = None) -> str:
        # -raw keeps content-stream order: a wrapped table cell stays in one piece.
        args = ["pdftotext", "-enc", "UTF-8", "-raw"]
        if first:
            args += ["-f", str(first)]
        if last:
            args += ["-l", str(last)]
        return subprocess.run([*args, str(path), "-"], capture_output=True, text=True, check=True).stdout

    @staticmethod
    def flat(path: Path, first: int | None = None, last: int | None = None) -> str:
        """The text with all white space removed (Chinese wraps anywhere)."""
        return re.sub(r"\s+", "", PdfTool.text(path, first, last))

    @staticmethod
    def pages(path: Path) -> int:
        out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))  # type: ignore[union-attr]

    @staticmethod
    def page_texts(path: Path) -> list[str]:
        """Flat text per page (pdftotext separates pages with form feeds)."""
        raw = PdfTool.text(path)
        return [re.sub(r"\s+", "", page) for page in raw.split("\f")][: PdfTool.pages(path)]

    @staticmethod
    def words(path: Path) -> tuple[tuple[float, float], list[Word]]:
        """Page size and every word with its box (pdftotext -bbox)."""
        html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
        size = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', html)
        assert size, html[:500]
        words = []
        for page_number, page in enumerate(html.split("<page ")[1:], start=1):
            for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
                                 page):
                words.append(Word(page_number, m.group(5), *(float(m.group(i)) for i in range(1, 5))))
        return (float(size.group(1)), float(size.group(2))), words

    def assert_all_embedded(self, path: Path) -> None:
        fonts = self.fonts(path)
        assert fonts, "no fonts in the PDF"
        for name, emb, sub in fonts:
            assert (emb, sub) == ("yes", "yes"), f"{name}: emb={emb} sub={sub}"
            assert "Noto" in name, name

    def assert_inside_page(self, path: Path, margin: float = 10.0) -> None:
        """No word runs off the paper (clipped text) — every box within the page less a margin."""
        (width, height), words = self.words(path)
        assert words
        outside = [w for w in words if w.x_min < margin or w.x_max > width - margin
                   or w.y_min < margin or w.y_max > height - margin]
        assert not outside, outside[:5]


@pytest.fixture(scope="session")
def pdf() -> PdfTool:
    if shutil.which("pdftotext") is None or shutil.which("pdffonts") is None:
        pytest.skip("poppler-utils (pdftotext, pdffonts) is not installed")
    return PdfTool()
