"""Open the outbox database and bring its schema up to date.

Migrations are numbered steps recorded in `PRAGMA user_version` and run inside one
`BEGIN IMMEDIATE` transaction, so two processes opening a fresh file at the same time
cannot both create tables, and a crash mid-migration leaves the previous version intact.
Tables are created with sqlite-utils so the column set is declared once, as data."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import sqlite_utils

from edge.outbox.errors import OutboxError

MIN_SQLITE = (3, 35, 0)  # RETURNING; bookworm ships 3.40, JetPack 6 (Ubuntu 22.04) 3.37
BUSY_TIMEOUT_S = 30.0

COUNTERS = (
    "bytes",
    "last_row_id",
    "appended_total",
    "acked_total",
    "rejected_total",
    "expired_total",
    "evicted_total",
    "evicted_low",
    "evicted_normal",
    "evicted_high",
    "evicted_critical",
    "disk_full_total",
)


def _v1(db: sqlite_utils.Database) -> None:
    db["messages"].create(
        {
            "id": int,  # assigned from counters.last_row_id: never reused, even after ack
            "kind": str,  # 'event' | 'attachment'
            "event_id": str,
            "seq": int,
            "type": str,
            "priority": int,
            "topic_suffix": str,
            "content_type": str,
            "payload": bytes,
            "size": int,  # bytes charged against the quota
            "created_at": float,
            "expires_at": float,
            "reject_count": int,
            "reject_reason": str,
            "retry_at": float,
        },
        pk="id",
        not_null={"kind", "event_id", "seq", "type", "priority", "topic_suffix", "content_type", "payload"}
        | {"size", "created_at", "expires_at", "reject_count"},
        defaults={"reject_count": 0},
    )
    db["messages"].create_index(["expires_at"], index_name="messages_expiry")
    db["messages"].create_index(["kind", "priority", "id"], index_name="messages_eviction")
    db["messages"].create_index(["retry_at"], index_name="messages_retry")
    db["sequences"].create({"device_id": str, "last_seq": int}, pk="device_id", not_null={"last_seq"})
    db["counters"].create({"name": str, "value": int}, pk="name", not_null={"value"})
    db["counters"].insert_all([{"name": n, "value": 0} for n in COUNTERS])
    db["meta"].create({"key": str, "value": str}, pk="key")


def _v2(db: sqlite_utils.Database) -> None:
    """Fewer pages touched per append (each is one more WAL page to write and sync):
    the retry index was never used by a query, and the per-device seq moves into the
    counters table, whose single page every append writes anyway."""
    db.execute("DROP INDEX IF EXISTS messages_retry")
    seqs = [{"name": seq_counter(r["device_id"]), "value": r["last_seq"]} for r in db["sequences"].rows]
    db["counters"].insert_all(seqs, replace=True)
    db["sequences"].drop()


def seq_counter(device_id: str) -> str:
    """Name of the counter holding the last seq assigned for `device_id`."""
    return f"seq:{device_id}"


def _v3(db: sqlite_utils.Database) -> None:
    """Rows say whether their payload is encrypted at rest (see sealing.py), so a key can
    be introduced while plaintext rows are still waiting."""
    db["messages"].add_column("sealed", int, not_null_default=0)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3]
SCHEMA_VERSION = len(MIGRATIONS)


def create_private(path: Path) -> None:
    """Create the database file readable by its owner only, before SQLite does (it gives
    the WAL and shared-memory files the same mode)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


#: Page cache of each outbox connection, in KiB. SQLite's default (2000 KiB) is a
#: ceiling the cache only reaches once the file is that big, so with three connections
#: the daemon's memory crept up by ~6 MB over hours as the outbox filled during broker
#: outages (the soak's "growth after warm-up"). The outbox reads the oldest rows once
#: and appends at the end; the operating system's file cache (not counted in the
#: daemon's RSS, given back under memory pressure) keeps the rest of the file near.
CACHE_KIB = 256


def connect(path: Path, synchronous: Literal["full", "normal"], wal_limit: int) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit BEGIN IMMEDIATE) with
    the durability pragmas applied; usable from any thread under the caller's lock.

    The WAL is checkpointed once it holds about `wal_limit` bytes and cut back to that
    size afterwards. Keeping it small matters on a full disk: a checkpoint may have to
    grow the database by up to the WAL's size, and only a bounded WAL can be
    checkpointed with the space the disk reserve gives back."""
    if sqlite3.sqlite_version_info < MIN_SQLITE:  # DELETE ... RETURNING (rows.delete_acked)
        raise OutboxError(
            f"SQLite {sqlite3.sqlite_version} is too old for the outbox: "
            f"{'.'.join(map(str, MIN_SQLITE))} or newer is needed (Debian bookworm has 3.40)"
        )
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    try:
        # Only takes effect on a new, empty file: lets emergency eviction hand free
        # pages back to the filesystem (see diskspace.py).
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise OutboxError(f"{path}: cannot switch to WAL mode (got {mode!r})")
        conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
        # Deleted events (personal data: ID details, face crops) are overwritten in the
        # file, not just unlinked from the b-tree, whatever the platform's build default.
        conn.execute("PRAGMA secure_delete = ON")
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        conn.execute(f"PRAGMA wal_autocheckpoint={max(16, wal_limit // page)}")
        conn.execute(f"PRAGMA journal_size_limit={wal_limit}")
        conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    except BaseException:
        conn.close()
        raise
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Apply missing migrations; returns the schema version now in place."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise OutboxError(
                f"outbox schema version {version} is newer than this software ({SCHEMA_VERSION}); "
                "refusing to touch it"
            )
        db = sqlite_utils.Database(conn)
        for step in MIGRATIONS[version:]:
            step(db)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION
