"""The package file: writing it, and reading it back only if every part is intact and signed.

Layout (a zip): ``manifest.json`` holds the SHA-256 of every other part, and
``manifest.sig`` is the origin's Ed25519 signature over the manifest's exact bytes, so
one signature check plus one hash per part covers the whole file. A file cut short, a
byte changed or a part swapped is refused before anything is applied.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, LargeBinary, Table, Uuid

from db.engine import StoreError

FORMAT = "edubridge-package"
VERSION = 1
MANIFEST, SIGNATURE, RECORDS, AUDIT = "manifest.json", "manifest.sig", "records.jsonl", "audit.jsonl"
BLOB_DIR = "blobs/"


class PackageError(StoreError):
    """A package cannot be written or is refused; str() is one Chinese line."""


def _plain(value: object) -> object:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(type(value).__name__)


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_plain)


# ---- rows -------------------------------------------------------------------------------


def encode_row(table: Table, row: dict[str, Any], blobs: dict[str, bytes]) -> dict[str, Any]:
    """A row as JSON-safe values; binary columns become ``{"$blob": sha256}`` (data in ``blobs``)."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, (bytes, memoryview)):
            data = bytes(value)
            key = hashlib.sha256(data).hexdigest()
            blobs[key] = data
            value = {"$blob": key}
        out[name] = value
    record: dict[str, Any] = json.loads(dumps(out))
    return record


def decode_row(table: Table, row: dict[str, Any], blob: Callable[[str], bytes]) -> dict[str, Any]:
    """Back from :func:`encode_row` to the column types; unknown columns are refused."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        if name not in table.c:
            raise PackageError(f"数据包中的“{table.name}”记录含有本机没有的字段 {name}（程序版本不同？）")
        kind = table.c[name].type
        if value is None:
            out[name] = None
        elif isinstance(kind, Uuid):
            out[name] = uuid.UUID(value)
        elif isinstance(kind, DateTime):
            out[name] = dt.datetime.fromisoformat(value)
        elif isinstance(kind, Date):
            out[name] = dt.date.fromisoformat(value)
        elif isinstance(kind, LargeBinary):
            out[name] = blob(value["$blob"])
        else:
            out[name] = value
    return out


# ---- writing ----------------------------------------------------------------------------


def write(path: Path, manifest: dict[str, Any], records: Iterable[dict[str, Any]],
          audit: Iterable[dict[str, Any]], blobs: dict[str, bytes], sign: Callable[[bytes], bytes]) -> str:
    """Write the package atomically (``.partial`` then rename); returns the manifest's SHA-256."""
    parts = {RECORDS: "".join(dumps(r) + "\n" for r in records).encode(),
             AUDIT: "".join(dumps(a) + "\n" for a in audit).encode()}
    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in parts.items()}
    hashes.update({BLOB_DIR + key: key for key in blobs})
    manifest = {**manifest, "format": FORMAT, "version": VERSION, "parts": hashes}
    head = dumps(manifest).encode()
    partial = path.with_name(path.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w") as archive:
            archive.writestr(MANIFEST, head, zipfile.ZIP_DEFLATED)
            archive.writestr(SIGNATURE, sign(head), zipfile.ZIP_STORED)
            for name, data in parts.items():
                archive.writestr(name, data, zipfile.ZIP_DEFLATED)
            for key, data in blobs.items():  # attachments are mostly compressed already
                archive.writestr(BLOB_DIR + key, data, zipfile.ZIP_STORED)
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise PackageError(f"无法写入数据包 {path}：{exc.strerror or exc}") from None
    return hashlib.sha256(head).hexdigest()


# ---- reading ----------------------------------------------------------------------------


@dataclasses.dataclass
class Opened:
    """A package whose parts all match the manifest (the signature is checked by the caller,
    who knows the origin's key)."""

    path: Path
    manifest: dict[str, Any]
    head: bytes
    signature: bytes
    records: list[dict[str, Any]]
    audit: list[dict[str, Any]]
    archive: zipfile.ZipFile

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.head).hexdigest()

    def blob(self, key: str) -> bytes:
        return self.archive.read(BLOB_DIR + key)  # hash already checked in read()

    def close(self) -> None:
        self.archive.close()


def damaged(path: Path, why: str) -> PackageError:
    return PackageError(f"数据包已损坏或被改动，未导入任何内容：{path.name}（{why}）")


def read(path: Path) -> Opened:
    """Open ``path`` and check every part against the manifest.

    Raises:
        PackageError: missing, not a package, truncated, or any part altered.
    """
    if not path.is_file():
        raise PackageError(f"找不到数据包：{path}")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise damaged(path, "不是完整的数据包文件，可能只复制了一部分") from None
    try:
        head = archive.read(MANIFEST)
        signature = archive.read(SIGNATURE)
        manifest = json.loads(head)
        if manifest.get("format") != FORMAT:
            raise damaged(path, "不是 EduBridge 数据包")
        if manifest.get("version") != VERSION:
            raise PackageError(f"数据包格式版本 {manifest.get('version')} 与本程序不符，请升级 EduBridge：{path.name}")
        parts: dict[str, str] = manifest["parts"]
        names = set(archive.namelist()) - {MANIFEST, SIGNATURE}
        if names != set(parts):
            raise damaged(path, "文件中的部分与清单不符")
        texts: dict[str, bytes] = {}
        for name, expected in parts.items():
            data = archive.read(name)
            if hashlib.sha256(data).hexdigest() != expected:
                raise damaged(path, f"{name} 的校验值不符")
            if not name.startswith(BLOB_DIR):
                texts[name] = data
        records = [json.loads(line) for line in texts[RECORDS].decode().splitlines() if line]
        audit = [json.loads(line) for line in texts[AUDIT].decode().splitlines() if line]
    except PackageError:
        archive.close()
        raise
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        archive.close()
        raise damaged(path, type(exc).__name__ if not str(exc) else "内容无法读取") from None
    return Opened(path, manifest, head, signature, records, audit, archive)
