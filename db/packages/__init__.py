"""Data packages: what changed here, carried to another database and applied there (issue 13).

A package (``.ebpkg``) is a zip: ``manifest.json`` (origin, destination, sequence number,
acknowledgement, counts and the SHA-256 of every other part), ``manifest.sig`` (the
origin's Ed25519 signature over the manifest), ``records.jsonl`` (rows and tombstones),
``audit.jsonl`` (the sender's audit entries behind them) and ``blobs/<sha256>``
(attachments). :mod:`db.packages.keys` holds identities and trust, :mod:`.outgoing` finds
the changes in the audit log and writes the file, :mod:`.incoming` verifies and applies it,
:mod:`.conflicts` lists and resolves records changed on both sides.
"""

from db.packages.archive import PackageError

__all__ = ["PackageError"]
