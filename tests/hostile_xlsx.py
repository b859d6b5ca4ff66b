"""Hand-written .xlsx files that no spreadsheet program would make: far cells, huge
strings, hidden sheets, lying or damaged zips. Each is a few KB on disk.

Imported by tests and benchmarks as ``import hostile_xlsx`` (tests/ is on sys.path).
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def cell(ref: str, value: object) -> str:
    """One cell as sheet XML: a number, or an inline string."""
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def table_xml(rows: Sequence[Sequence[object]], extra: str = "") -> str:
    """Sheet XML of ``rows`` from A1 (up to 26 columns) plus ``extra`` raw XML rows at the end."""
    body = []
    for number, values in enumerate(rows, start=1):
        cells = "".join(cell(f"{chr(65 + i)}{number}", v) for i, v in enumerate(values) if v is not None)
        body.append(f'<row r="{number}">{cells}</row>')
    return "".join(body) + extra


def write_xlsx(
    path: Path,
    sheets: Sequence[tuple[str, str, str]],
    shared_strings: Sequence[str] | None = None,
    huge_shared_string: int = 0,
) -> Path:
    """An .xlsx of ``sheets`` (name, state "visible"/"hidden"/"veryHidden", sheetData XML).

    ``huge_shared_string`` bytes of "a" make one shared string, streamed into the zip (it
    deflates about 1000:1, so 64 MB costs ~64 KB on disk).
    """
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1))
        strings_type = ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f'{overrides}{strings_type}</Types>'))
        archive.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        entries = "".join(
            f'<sheet name="{escape(name)}" sheetId="{i}" state="{state}" r:id="rId{i}"/>'
            for i, (name, state, _xml) in enumerate(sheets, start=1))
        archive.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            f'<sheets>{entries}</sheets></workbook>'))
        links = "".join(
            f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1))
        links += f'<Relationship Id="rId{len(sheets) + 1}" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        archive.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{links}'
            '</Relationships>'))
        for i, (_name, _state, xml) in enumerate(sheets, start=1):
            archive.writestr(f"xl/worksheets/sheet{i}.xml", (
                f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
                f'<sheetData>{xml}</sheetData></worksheet>'))
        strings = list(shared_strings or [])
        count = len(strings) + (1 if huge_shared_string else 0)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="{count}" '
                       f'uniqueCount="{count}">'.encode())
            for text in strings:
                part.write(f"<si><t>{escape(text)}</t></si>".encode())
            if huge_shared_string:
                part.write(b"<si><t>")
                block = b"a" * (1 << 20)
                left = huge_shared_string
                while left > 0:
                    part.write(block[: min(left, len(block))])
                    left -= len(block)
                part.write(b"</t></si>")
            part.write(b"</sst>")
    return path


def far_cell(path: Path, headers: Sequence[str]) -> Path:
    """The headers in row 1 and one value at XFD1048576, Excel's last cell."""
    far = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    return write_xlsx(path, [("Sheet1", "visible", table_xml([headers], far))])


def huge_shared_string(path: Path, headers: Sequence[str], size: int = 64 << 20) -> Path:
    """The headers, and a second row whose first cell is one shared string of ``size`` bytes."""
    xml = table_xml([headers]) + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    return write_xlsx(path, [("Sheet1", "visible", xml)], huge_shared_string=size)


def fake_ole(path: Path, encrypted: bool) -> Path:
    """The start of an OLE compound file: a password-protected workbook or an old .xls."""
    stream = "EncryptedPackage" if encrypted else "Workbook"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + stream.encode("utf-16-le") + bytes(512))
    return path
