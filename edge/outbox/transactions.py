"""Explicit write transactions and the persistent counters they update.

Counters live in the database and are changed inside the same transaction as the rows
they describe, so `appended_total`, `evicted_total` … stay true across processes and
crashes (a per-process counter would reset on every daemon restart)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from edge.events import Priority


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE takes the write lock up front, so two processes never deadlock
    upgrading a read lock; COMMIT returns only once the WAL is synced (synchronous=FULL)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


@contextmanager
def fast_delete(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Temporarily stop zero-filling freed pages. With secure_delete on, deleting N bytes
    writes N bytes of zeros to the WAL, so on a full disk an eviction could never be
    written; 'fast' only clears what fits in pages that are written anyway. Used only
    to get out of a full disk; the pages are zeroed or reused later."""
    conn.execute("PRAGMA secure_delete = FAST")
    try:
        yield conn
    finally:
        conn.execute("PRAGMA secure_delete = ON")


def is_disk_full(exc: BaseException) -> bool:
    """SQLITE_FULL: the filesystem (or SQLite's max page count) refused to grow a file."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == sqlite3.SQLITE_FULL
    return "disk is full" in str(exc)


def add_counters(conn: sqlite3.Connection, deltas: Mapping[str, int]) -> None:
    """Add to counters, creating missing ones, in one statement (one statement step,
    one GIL round-trip: it runs inside every append)."""
    items = [(name, delta) for name, delta in deltas.items() if delta]
    if not items:
        return
    marks = ",".join(["(?, ?)"] * len(items))
    conn.execute(
        f"INSERT INTO counters (name, value) VALUES {marks} "
        "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
        [v for item in items for v in item],
    )


def read_counters(conn: sqlite3.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT name, value FROM counters").fetchall())


def evicted_counter(priority: int) -> str:
    return f"evicted_{Priority(priority).name.lower()}"


def set_meta(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]
