"""What every document builder returns, and the one error it raises for the user.

Kept apart from :mod:`reports.documents` (the entry points, which import every builder) so
that the builders can use it without importing their own caller.
"""

from __future__ import annotations

import dataclasses
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from db.engine import StoreError

Target = str | Path | IO[bytes]


class ReportError(StoreError):
    """A document that cannot be made from the data (unknown cluster, no approved plan…)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Built:
    path: str
    pages: int
    size: int
    remark: str = ""
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: Something the reader must know about the document (e.g. an unsaved draft), or ''.
    warning: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "pages": self.pages, "bytes": self.size, **self.extra}


def finish(target: Target, pages: int, remark: str = "", warning: str = "", **extra: Any) -> Built:
    """The :class:`Built` record of a document just written to ``target``."""
    if isinstance(target, (str, Path)):
        return Built(str(target), pages, os.path.getsize(target), remark, extra, warning)
    size = target.getbuffer().nbytes if isinstance(target, io.BytesIO) else 0
    return Built("", pages, size, remark, extra, warning)


def noting_unprintable(build: Callable[[], Built]) -> Built:
    """``build()``, with every character it drew that no font has (a name with a CJK
    Extension character neither the bundled fonts nor the machine's draw) added to
    ``Built.warning`` — one line each, naming the text and the character, so the clerk
    writes it by hand on the printout — and to ``extra['unprintable']`` (``--json``)."""
    from reports.fallback_fonts import notice, unprintable

    with unprintable() as found:
        built = build()
    if not found:
        return built
    warning = "\n".join(part for part in (built.warning, notice(found)) if part)
    return dataclasses.replace(built, warning=warning,
                               extra={**built.extra, "unprintable": [item.as_json() for item in found]})
