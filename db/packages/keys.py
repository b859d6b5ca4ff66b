"""Who this database is, whom it trusts, and the Ed25519 signatures between them.

The database's identity (a UUID and a key pair) is made the first time a package command
needs it. A peer is trusted by registering its public key: from a key card
(``package keys --export`` / ``package trust``) or from the bureau's set-up package,
which carries the bureau's public key and the new laptop's own identity. The rows are
bookkeeping written outside the audit log (:func:`db.guard.derived`): a private key must
never be copied into the log.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from sqlalchemy import Connection, Row, delete, insert, select

from db import guard
from db.models import PackagePeer, School, utcnow
from db.packages.archive import PackageError
from db.store import Store

KINDS = {"self": "本机", "bureau": "教育局", "laptop": "学校笔记本"}
_PEER = PackagePeer.__table__


@dataclasses.dataclass(frozen=True, slots=True)
class Peer:
    id: uuid.UUID
    kind: str
    name: str
    school_id: uuid.UUID | None
    public_key: bytes
    private_key: bytes | None = None

    @property
    def fingerprint(self) -> str:
        """Short form of the public key, to compare by phone."""
        text = hashlib.sha256(self.public_key).hexdigest()[:16]
        return " ".join(text[i:i + 4] for i in range(0, 16, 4))

    def as_json(self) -> dict[str, Any]:
        return {"id": str(self.id), "kind": self.kind, "name": self.name,
                "school_id": str(self.school_id) if self.school_id else None,
                "fingerprint": self.fingerprint}


def new_key_pair() -> tuple[bytes, bytes]:
    """(private, public) raw Ed25519 keys."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return private, key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign(private: bytes, data: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(private).sign(data)


def verify(public: bytes, signature: bytes, data: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def _peer(row: Row[Any]) -> Peer:
    return Peer(row.id, row.kind, row.name, row.school_id, bytes(row.public_key),
                bytes(row.private_key) if row.private_key is not None else None)


def self_peer(connection: Connection) -> Peer | None:
    row = connection.execute(select(_PEER).where(_PEER.c.kind == "self")).first()
    return _peer(row) if row is not None else None


def peers(connection: Connection) -> list[Peer]:
    """Trusted peers (not this database), by name."""
    rows = connection.execute(select(_PEER).where(_PEER.c.kind != "self").order_by(_PEER.c.name)).all()
    return [_peer(r) for r in rows]


@dataclasses.dataclass(frozen=True, slots=True)
class ExportChoices:
    """Where a package may go, as plain data: the trusted peers (id, name, kind as the clerk
    reads it) by name, and the schools (code, name) whose laptop a set-up package may be for."""

    peers: list[tuple[str, str, str]]
    schools: list[tuple[str, str]]


def export_choices(store: Store) -> ExportChoices:
    """What the GUI's 导出数据包 dialog offers."""
    with store.engine.connect() as connection:
        known = [(str(p.id), p.name, KINDS.get(p.kind, p.kind)) for p in peers(connection)]
    with store.read() as session:
        schools = [(code, name) for code, name in session.execute(select(School.code, School.name)
                                                                  .order_by(School.name))]
    return ExportChoices(known, schools)


def peer(connection: Connection, peer_id: uuid.UUID) -> Peer | None:
    row = connection.execute(select(_PEER).where(_PEER.c.id == peer_id, _PEER.c.kind != "self")).first()
    return _peer(row) if row is not None else None


def put_peer(connection: Connection, value: Peer) -> None:
    """Insert or replace one row (bookkeeping, see the module docstring)."""
    with guard.derived(connection):
        connection.execute(delete(_PEER).where(_PEER.c.id == value.id))
        connection.execute(insert(_PEER).values(id=value.id, kind=value.kind, name=value.name,
                                                school_id=value.school_id, public_key=value.public_key,
                                                private_key=value.private_key, created_at=utcnow()))


def identity(store: Store, name: str | None = None) -> Peer:
    """This database's identity, made on first use (``name`` defaults to 本机 + short id)."""
    with store.engine.begin() as connection:
        found = self_peer(connection)
        if found is not None:
            return found
        private, public = new_key_pair()
        database_id = uuid.uuid4()
        made = Peer(database_id, "self", name or f"数据库 {str(database_id)[:8]}", None, public, private)
        put_peer(connection, made)
        return made


def key_card(store: Store, name: str | None = None) -> dict[str, Any]:
    """What another database needs to trust this one (no secret in it)."""
    me = identity(store, name)
    return {"format": "edubridge-key", "id": str(me.id), "name": me.name,
            "public_key": base64.b64encode(me.public_key).decode(), "fingerprint": me.fingerprint}


def trust(store: Store, card_path: str | Path, kind: str = "bureau", school_code: str | None = None) -> Peer:
    """Register the database a key card describes; a laptop is tied to ``school_code``."""
    try:
        card = json.loads(Path(card_path).read_text(encoding="utf-8"))
        peer_id = uuid.UUID(card["id"])
        public = base64.b64decode(card["public_key"], validate=True)
        name = str(card.get("name") or peer_id)
        Ed25519PublicKey.from_public_bytes(public)
    except FileNotFoundError:
        raise PackageError(f"找不到密钥文件：{card_path}") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise PackageError(f"不是 EduBridge 密钥文件或已损坏：{card_path}") from None
    identity(store)
    with store.engine.begin() as connection:
        me = self_peer(connection)
        if me is not None and me.id == peer_id:
            raise PackageError("这是本机自己的密钥，无需登记")
        school_id = school_by_code(connection, school_code) if school_code else None
        made = Peer(peer_id, "laptop" if school_id else kind, name, school_id, public)
        put_peer(connection, made)
    return made


def school_by_code(connection: Connection, code: str) -> uuid.UUID:
    found = connection.execute(select(School.id).where(School.code == code.strip())).scalar()
    if found is None:
        raise PackageError(f"没有代码为 {code} 的学校")
    return found
