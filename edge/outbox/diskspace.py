"""Disk space as a budget next to the quota: evict *before* the filesystem is full,
and get out cleanly when it is full anyway (another program filled it, or a write was
larger than foreseen).

Deleting rows does not shrink the database file: freed pages go to SQLite's freelist
and are reused by later inserts. So the room for new data is the filesystem's free
space plus the freelist, minus a headroom for the WAL. The database uses
`auto_vacuum=INCREMENTAL`, so after an emergency eviction free pages can be handed back
to the filesystem (`PRAGMA incremental_vacuum`) to re-create the ballast file
(`reserve.py`) that the next emergency will need."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from edge.events import Priority
from edge.outbox.errors import OutboxFullError
from edge.outbox.eviction import evict, purge_expired
from edge.outbox.reserve import DiskReserve
from edge.outbox.transactions import add_counters, fast_delete, is_disk_full, write_transaction

log = logging.getLogger(__name__)

# Emergency eviction works in small transactions: on a disk with a few pages left, a
# transaction touching dozens of pages could never be written to the WAL.
STEP_BYTES = 16 * 1024
STEP_ROWS = 8
VACUUM_PAGES = 32


def wal_limit_for(reserve: int) -> int:
    """WAL size to checkpoint at: no larger than the disk reserve (so releasing the
    reserve always lets a checkpoint finish), within sane bounds."""
    if reserve <= 0:
        return 1024 * 1024
    return min(4 * 1024 * 1024, max(128 * 1024, reserve))


class DiskSpace:
    """Runs under the outbox's write lock, on its append connection."""

    def __init__(
        self, conn: sqlite3.Connection, directory: Path, reserve: DiskReserve, wal_limit: int
    ) -> None:
        self._conn = conn
        self.directory = directory
        self.reserve = reserve
        self._wal_limit = wal_limit

    def fs_free(self) -> int | None:
        try:
            st = os.statvfs(self.directory)
        except OSError:
            return None
        return st.f_bavail * st.f_frsize

    def room(self, incoming: int) -> int | None:
        """Bytes the filesystem can still take once `incoming` more are written, keeping
        the WAL headroom (negative: how far past that point; None when the filesystem
        cannot tell). Call inside the write transaction."""
        fs_free = self.fs_free()
        if fs_free is None:
            return None
        page, free_pages = self._conn.execute(
            "SELECT (SELECT page_size FROM pragma_page_size), (SELECT freelist_count FROM pragma_freelist_count)"
        ).fetchone()
        # The transaction writes the new rows and, with secure_delete, zeros over what it
        # evicts for them: about twice `incoming` in the WAL. A released ballast must be
        # earned back before the disk is counted as free.
        missing_reserve = self.reserve.size if self.reserve.released else 0
        return fs_free + free_pages * page - self._wal_limit - 2 * incoming - missing_reserve

    def checkpoint(self) -> None:
        with contextlib.suppress(sqlite3.OperationalError):
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def free(self, amount: int, newcomer: Priority, now: Callable[[sqlite3.Connection], float]) -> int:
        """SQLite reported SQLITE_FULL: release the ballast, then expire/evict in small
        transactions with a checkpoint after each, then hand the freed pages back to
        the filesystem. `now` gives the wall time inside a transaction (after any
        clock-step correction). Returns the bytes evicted (0: nothing may go for this newcomer).
        Raises OutboxFullError if not even a small eviction can be written."""
        self.reserve.release()
        self.checkpoint()
        freed = 0
        first = True
        while freed < amount:
            try:
                with fast_delete(self._conn), write_transaction(self._conn):
                    step = purge_expired(self._conn, now(self._conn), limit=STEP_ROWS)
                    if step == 0:
                        step = evict(self._conn, min(STEP_BYTES, amount - freed), newcomer)
                    if first:
                        add_counters(self._conn, {"disk_full_total": 1})
            except sqlite3.OperationalError as exc:
                if not is_disk_full(exc):
                    raise
                if freed == 0:
                    raise OutboxFullError("the disk is full and not even an eviction can be written") from exc
                break
            first = False
            self.checkpoint()
            if step == 0:
                break
            freed += step
        self.give_back(self.reserve.size + self._wal_limit)
        log.warning(
            "disk full: ballast released and messages evicted to make room",
            extra={"evicted_bytes": freed, "free_bytes": self.fs_free()},
        )
        return freed

    def give_back(self, max_bytes: int) -> None:
        """Return up to `max_bytes` of free pages to the filesystem, a few pages per
        step (each step goes through the WAL, which itself needs space). Bounded, as it
        runs under the write lock while producers wait."""
        if self._conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:  # not INCREMENTAL
            return  # a file created before auto_vacuum was set: pages stay in the freelist
        page = self._conn.execute("PRAGMA page_size").fetchone()[0]
        budget = max(1, max_bytes // page)
        while budget > 0:
            free_pages = self._conn.execute("PRAGMA freelist_count").fetchone()[0]
            if free_pages == 0:
                return
            step = min(VACUUM_PAGES, budget, free_pages)
            try:
                self._conn.executescript(f"PRAGMA incremental_vacuum({step});")
            except sqlite3.OperationalError as exc:
                if not is_disk_full(exc):
                    raise
                return
            finally:
                self.checkpoint()
            budget -= step

    def restore(self) -> None:
        """After an emergency: try to get the ballast back once there is room for it."""
        self.give_back(self.reserve.size + self._wal_limit)
        free = self.fs_free()
        if free is not None and free >= self.reserve.size + self._wal_limit:
            self.reserve.ensure()
