"""Damaged and forged packages for the package tests (db and CLI level).

Imported by tests as ``import package_world`` (tests/ is on sys.path through its conftest).
"""

from __future__ import annotations

import json
import uuid
import zipfile
from pathlib import Path

from db.store import Store


def damaged_copies(source: Path, tmp_path: Path) -> dict[str, Path]:
    """A package cut in half, and copies with one byte changed in each part and elsewhere."""
    data = source.read_bytes()
    half = tmp_path / "half.ebpkg"
    half.write_bytes(data[: len(data) // 2])
    copies = {"half": half}
    with zipfile.ZipFile(source) as z:
        offsets = {i.filename: i.header_offset + 30 + len(i.filename.encode()) for i in z.infolist()}
    for part in ("manifest.json", "records.jsonl", "manifest.sig"):
        flipped = bytearray(data)
        flipped[offsets[part] + 5] ^= 0x01
        path = tmp_path / f"flip-{part}.ebpkg"
        path.write_bytes(bytes(flipped))
        copies[part] = path
    for index in (len(data) // 3, len(data) - 10):  # anywhere, including the zip directory
        flipped = bytearray(data)
        flipped[index] ^= 0x40
        path = tmp_path / f"flip-{index}.ebpkg"
        path.write_bytes(bytes(flipped))
        copies[str(index)] = path
    return copies


def forge_with_foreign_visit(laptop: Store, path: Path, world, tmp_path: Path) -> Path:
    """The laptop's own key signs a package that carries a RURAL02 visit (a tampered sender)."""
    from db.packages import archive, keys

    opened = archive.read(path)
    try:
        records = list(opened.records)
        manifest = {k: v for k, v in opened.manifest.items() if k not in ("format", "version", "parts")}
    finally:
        opened.close()
    foreign = dict(records[0])
    row = dict(foreign["row"])
    row.update(id=str(uuid.uuid4()), host_school_id=str(world.schools["RURAL02"]))
    foreign.update(id=row["id"], row=row)
    records.append(foreign)
    with laptop.engine.connect() as c:
        private = keys.self_peer(c).private_key
    forged = tmp_path / "forged.ebpkg"
    archive.write(forged, manifest, records, [], {}, lambda data: keys.sign(private, data))
    assert json.loads(zipfile.ZipFile(forged).read("manifest.json"))["seq"] == 1
    return forged
