"""How much the filesystem still lets the outbox grow, so it can evict *before* the
disk is full rather than after SQLite hit ENOSPC.

Deleting rows does not shrink the database file: freed pages go to SQLite's freelist
and are reused by later inserts. So the room for new data is the filesystem's free
space plus the freelist, minus a headroom the WAL needs to hold the new pages (and
whatever the WAL may reach before its next checkpoint)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from edge.events import Priority
from edge.outbox.errors import OutboxFullError
from edge.outbox.eviction import evict, purge_expired
from edge.outbox.reserve import DiskReserve
from edge.outbox.transactions import add_counters, is_disk_full, write_transaction


def wal_limit_for(reserve: int) -> int:
    """WAL size to checkpoint at: no larger than the disk reserve (so releasing the
    reserve always lets a checkpoint finish), within sane bounds."""
    if reserve <= 0:
        return 1024 * 1024
    return min(4 * 1024 * 1024, max(128 * 1024, reserve))


def disk_room(conn: sqlite3.Connection, directory: Path, wal_limit: int, incoming: int) -> int:
    """Bytes that may still be stored without running the filesystem dry; negative when
    the outbox is already past that point. Call inside the write transaction."""
    try:
        st = os.statvfs(directory)
    except OSError:
        return 1 << 62  # cannot tell: rely on the quota and on the ENOSPC fallback
    fs_free = st.f_bavail * st.f_frsize
    page, free_pages = conn.execute(
        "SELECT (SELECT page_size FROM pragma_page_size), (SELECT freelist_count FROM pragma_freelist_count)"
    ).fetchone()
    return fs_free + free_pages * page - wal_limit - incoming


class DiskFullRecovery:
    """What to do when SQLite reports SQLITE_FULL: give back the ballast, checkpoint so
    the WAL's space is really returned, evict, checkpoint again. Runs under the
    outbox's write lock, on its append connection."""

    def __init__(self, conn: sqlite3.Connection, reserve: DiskReserve) -> None:
        self._conn = conn
        self.reserve = reserve

    def checkpoint(self) -> None:
        with contextlib.suppress(sqlite3.OperationalError):
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def free(self, amount: int, newcomer: Priority, now: float) -> int:
        """Returns the bytes evicted (0 if nothing may go for this newcomer). Raises
        OutboxFullError if even the eviction cannot be written."""
        self.reserve.release()
        self.checkpoint()
        try:
            with write_transaction(self._conn):
                freed = purge_expired(self._conn, now)
                if freed < amount:
                    freed += evict(self._conn, amount - freed, newcomer)
                add_counters(self._conn, {"disk_full_total": 1})
        except sqlite3.OperationalError as exc:
            if is_disk_full(exc):
                raise OutboxFullError("the disk is full and even eviction cannot be written") from exc
            raise
        self.checkpoint()
        return freed
