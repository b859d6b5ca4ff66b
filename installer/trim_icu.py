"""Trim the ICU data library of the Linux bundle to the locales EduBridge speaks (31 MB → ~9 MB).

PySide6's Linux wheels link Qt to their own ICU 73, whose ``libicudata.so.73`` is one ELF
symbol, ``icudt73_dat``, holding ICU's common data package (the ``CmnD`` format: a table
of contents of named items, then the items). Qt reaches ICU for collation (the file
dialog's sorting), text codecs (GB 18030, GBK, Big5…), case mapping and time-zone names —
never for formatting, which uses Qt's own CLDR tables. The app speaks Chinese (with English
as ICU's usual fallback), so this keeps every item that is not tied to a locale (converters,
normalisation, Unicode properties, the collation root, time zones, supplemental data,
break rules, transliteration) and, of the per-locale items (``coll/``, ``curr/``,
``lang/``, ``region/``, ``unit/``, ``zone/``, ``rbnf/``, ``brkitr/`` and the top-level
locale bundles), those of ``root``, ``zh*`` and ``en*``. Any other locale asked of ICU falls
back to root, as ICU does for a locale it has no data for. The package is rebuilt with the
same item names in the same order (ICU looks them up by binary search) and linked into a
shared library of the same name and symbol with GNU ``as`` and ``ld`` (binutils).

Run by installer/edubridge.spec on Linux; by hand: ``python installer/trim_icu.py IN.so OUT.so``.
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

KEPT_LANGUAGES = ("root", "zh", "en")
#: Folders whose items are one resource bundle per locale.
LOCALE_FOLDERS = {"coll", "curr", "lang", "region", "unit", "zone", "rbnf", "brkitr"}
#: Per-folder items that are not locales (their indexes and shared string pools).
NOT_LOCALES = {"res_index.res", "pool.res"}
LOCALE_ID = re.compile(r"^(?P<language>[a-z]{2,3})(?:_[A-Za-z0-9]+)*\.res$")
#: Items no Chinese desktop asks ICU for (5 MB): transliteration (Qt never calls it), the word
#: dictionaries of Khmer, Burmese, Lao and Thai (the Chinese/Japanese one, cjdict, stays), and
#: the converters of Japanese, Korean and EBCDIC code pages, X11 compound text, LMBCS and
#: EUC-TW 2014 (ibm-964 still reads EUC-TW). Kept: GB 18030, GBK, GB 2312, HZ, ISO-2022-CN,
#: Big5 (and HKSCS), the Windows, ISO-8859 and DOS code pages.
DROPPED_ITEMS = re.compile(
    r"^(translit/.*"
    r"|brkitr/(khmer|burmese|lao|thai)dict\.dict"
    r"|(euc-jp-2007|jisx-212|ibm-(33722|943|942|954|930|939|1390|1399|290|1027)_[^/]*"  # Japanese
    r"|ibm-(949|970|971|1363|933|1364|834)_[^/]*|windows-949-2000|icu-internal-25546"  # Korean
    r"|ibm-(935|937|1388|1371|836|837)_[^/]*"  # EBCDIC Chinese (host code pages)
    r"|icu-internal-compound-[a-z0-9]+|lmb-excp|euc-tw-2014)\.cnv)$"
)


def _symbol(library: Path) -> tuple[str, int, int]:
    """(name, file offset, size) of the icudt*_dat symbol."""
    symbols = subprocess.run(["objdump", "-T", str(library)], capture_output=True, text=True, check=True).stdout
    found = re.search(r"^([0-9a-f]+)\s+g\s+DO\s+\.rodata\s+([0-9a-f]+)\s+(icudt\d+_dat)$", symbols,
                      re.MULTILINE)
    if found is None:
        raise SystemExit(f"{library}: no icudt*_dat symbol")
    address, size, name = int(found.group(1), 16), int(found.group(2), 16), found.group(3)
    headers = subprocess.run(["objdump", "-h", str(library)], capture_output=True, text=True, check=True).stdout
    section = re.search(r"^\s*\d+\s+\.rodata\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", headers,
                        re.MULTILINE)
    if section is None:
        raise SystemExit(f"{library}: no .rodata section")
    return name, address - int(section.group(1), 16) + int(section.group(2), 16), size


def items(package: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """(the package header, [(item name, item bytes)] in table-of-contents order)."""
    header_size = struct.unpack_from("<H", package, 0)[0]
    if package[2:4] != b"\xda\x27" or package[12:16] != b"CmnD":
        raise SystemExit("not an ICU common data package (little-endian CmnD)")
    count = struct.unpack_from("<I", package, header_size)[0]
    toc = [struct.unpack_from("<II", package, header_size + 4 + 8 * k) for k in range(count)]
    starts = sorted(offset for _name, offset in toc) + [len(package) - header_size]
    end_of = {start: starts[k + 1] for k, start in enumerate(starts[:-1])}
    found = []
    for name_offset, offset in toc:
        at = header_size + name_offset
        name = package[at:package.index(b"\0", at)].decode("ascii")
        found.append((name, package[header_size + offset:header_size + end_of[offset]]))
    return package[:header_size], found


def wanted(name: str) -> bool:
    """Whether the item ``icudt73l/<folder>/<file>`` (or ``icudt73l/<file>``) stays."""
    parts = name.split("/")[1:]
    if DROPPED_ITEMS.match("/".join(parts)):
        return False
    folder, file = (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])
    if file in NOT_LOCALES or (folder and folder not in LOCALE_FOLDERS):
        return True
    locale = LOCALE_ID.match(file)
    if locale is None:
        return True  # not a locale bundle: supplementalData.res, nfc.nrm, cjdict.dict, *.cnv …
    return locale.group("language") in KEPT_LANGUAGES or file.startswith("root")


def package_of(header: bytes, kept: list[tuple[str, bytes]]) -> bytes:
    """A CmnD package of these items, laid out as ICU's pkgdata does (16-byte aligned items)."""
    names = b"".join(name.encode("ascii") + b"\0" for name, _data in kept)
    toc_size = 4 + 8 * len(kept)
    data_start = (toc_size + len(names) + 15) // 16 * 16
    offsets, body = [], bytearray()
    for _name, data in kept:
        offsets.append(data_start + len(body))
        body += data
        body += b"\0" * (-len(body) % 16)
    toc = bytearray(struct.pack("<I", len(kept)))
    name_at = toc_size
    for (name, _data), offset in zip(kept, offsets):
        toc += struct.pack("<II", name_at, offset)
        name_at += len(name) + 1
    toc += names
    toc += b"\0" * (data_start - len(toc))
    return bytes(header) + bytes(toc) + bytes(body)


def trim(source: Path, target: Path) -> tuple[int, int]:
    """Write the trimmed library to ``target``; returns (items before, items kept)."""
    symbol, offset, size = _symbol(source)
    header, found = items(source.read_bytes()[offset:offset + size])
    kept = [(name, data) for name, data in found if wanted(name)]
    soname = re.search(r"SONAME\s+(\S+)", subprocess.run(["objdump", "-p", str(source)], capture_output=True,
                                                         text=True, check=True).stdout)
    with tempfile.TemporaryDirectory(prefix="edubridge-icu-") as name:
        folder = Path(name)
        (folder / "data.dat").write_bytes(package_of(header, kept))
        (folder / "data.s").write_text(
            f'\t.section .rodata\n\t.globl {symbol}\n\t.type {symbol}, STT_OBJECT\n\t.balign 16\n{symbol}:\n'
            f'\t.incbin "{folder / "data.dat"}"\n\t.size {symbol}, . - {symbol}\n'
            '\t.section .note.GNU-stack,"",%progbits\n', encoding="ascii")
        subprocess.run(["as", "-o", str(folder / "data.o"), str(folder / "data.s")], check=True)
        subprocess.run(["ld", "-shared", "-soname", soname.group(1) if soname else source.name, "-o", str(target),
                        str(folder / "data.o")], check=True)
    return len(found), len(kept)


if __name__ == "__main__":
    before, after = trim(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"ICU data items: {before} → {after}")
