"""installer/trim_icu.py: Qt's ICU data cut to root/zh/en, and Qt still finding what it needs in it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "installer"))
import trim_icu  # noqa: E402 (a script in installer/, importable only after the path insert)

sys.path.remove(str(ROOT / "installer"))


def _wheel_icu_data() -> Path:
    import PySide6

    found = sorted(p for p in (Path(PySide6.__file__).parent / "Qt" / "lib").glob("libicudata.so.*")
                   if not p.is_symlink())
    if not found or not sys.platform.startswith("linux"):
        pytest.skip("no ICU data library in this PySide6 (only the Linux wheels carry one)")
    for tool in ("objdump", "as", "ld"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is missing (apt-get install binutils)")
    return found[0]


def test_only_locale_bundles_of_other_languages_are_dropped():
    kept = [f"icudt73l/{name}" for name in (
        "coll/zh.res", "coll/zh_Hans.res", "coll/root.res", "coll/ucadata.icu", "coll/res_index.res",
        "zone/en_GB.res", "zone/pool.res", "zh_Hans_CN.res", "root.res", "res_index.res", "pool.res",
        "supplementalData.res", "keyTypeData.res", "gb18030.cnv", "ibm-1386_P100-2001.cnv", "cnvalias.icu",
        "nfc.nrm", "brkitr/cjdict.dict", "brkitr/line.brk", "zoneinfo64.res", "windows-950-2000.cnv",
        "ibm-1373_P100-2002.cnv", "ibm-1383_P110-1999.cnv", "ibm-5478_P100-1995.cnv", "ibm-964_P110-1999.cnv",
        "ibm-1375_P100-2008.cnv", "ibm-5348_P100-1997.cnv", "iso-ir-165.cnv")]
    dropped = [f"icudt73l/{name}" for name in (
        "coll/ko.res", "curr/fr.res", "lang/de_CH.res", "unit/ja.res", "zone/ar_EG.res", "fr.res", "yue_Hant.res",
        "brkitr/ja.res", "rbnf/ru.res", "translit/root.res", "translit/pool.res", "brkitr/thaidict.dict",
        "euc-jp-2007.cnv", "ibm-943_P15A-2003.cnv", "ibm-949_P11A-1999.cnv", "windows-949-2000.cnv",
        "ibm-1388_P103-2001.cnv", "icu-internal-compound-t.cnv", "euc-tw-2014.cnv")]
    assert [n for n in kept if not trim_icu.wanted(n)] == []
    assert [n for n in dropped if trim_icu.wanted(n)] == []


def test_the_trimmed_library_has_the_kept_items_and_qt_uses_them(tmp_path):
    source = _wheel_icu_data()
    target = tmp_path / source.name
    before, after = trim_icu.trim(source, target)
    assert 0 < after < before
    name, offset, size = trim_icu._symbol(target)
    assert name.startswith("icudt")
    _header, items = trim_icu.items(target.read_bytes()[offset:offset + size])
    _header, original = trim_icu.items(source.read_bytes()[slice(*_span(source))])
    assert [n for n, _d in items] == [n for n, _d in original if trim_icu.wanted(n)]
    assert dict(items)["icudt73l/coll/zh.res"].rstrip(b"\0") == dict(original)["icudt73l/coll/zh.res"].rstrip(b"\0")
    assert target.stat().st_size < source.stat().st_size / 2
    # Qt with this library (LD_LIBRARY_PATH comes before the wheel's RUNPATH): pinyin order, the
    # Chinese codecs — and a check that it was this copy that was loaded.
    probe = (
        "from PySide6.QtCore import QCollator, QLocale, QStringDecoder\n"
        "c = QCollator(QLocale('zh_CN'))\n"
        "print(''.join(sorted('张李阿王', key=c.sortKey)), QStringDecoder('GB18030').isValid(),"
        " QStringDecoder('GBK').isValid(), QStringDecoder('Big5').isValid(),"
        " QStringDecoder('Shift_JIS').isValid())\n"
        f"print(any(l.rstrip().endswith({str(target)!r}) for l in open('/proc/self/maps')))\n")
    env = dict(os.environ, LD_LIBRARY_PATH=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split() == ["阿李王张", "True", "True", "True", "False", "True"]


def _span(library: Path) -> tuple[int, int]:
    _name, offset, size = trim_icu._symbol(library)
    return offset, offset + size
