"""The append transaction: clock check, quota and disk room, seq and row ids, insert,
all in one write transaction; and what to do when the filesystem says it is full.
Runs under the outbox's write lock as the group-commit leader (group_commit.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from edge.events import Priority, StoredEvent
from edge.outbox.clockguard import ClockGuard
from edge.outbox.diskspace import DiskSpace
from edge.outbox.encoding import EncodedDraft
from edge.outbox.errors import OutboxFullError, storage_errors
from edge.outbox.eviction import make_room
from edge.outbox.rows import insert_events, read_write_state
from edge.outbox.sealing import Sealer
from edge.outbox.transactions import is_disk_full, write_transaction

# Rounds of "evict more, checkpoint, retry" after the disk itself reported full.
DISK_FULL_ROUNDS = 6
# First disk-full eviction frees at least this much; each further round doubles it.
DISK_FULL_MIN_EVICT = 64 * 1024


class AppendWriter:
    """Owns the append connection's write path; `commit` is the group-commit callback."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        device_id: str,
        *,
        quota: int,
        ttl_for: Callable[[str], float],
        guard: ClockGuard,
        disk: DiskSpace,
        sealer: Sealer,
    ) -> None:
        self._conn = conn
        self._device_id = device_id
        self._quota = quota
        self._ttl_for = ttl_for
        self._guard = guard
        self._disk = disk
        self._sealer = sealer

    def commit(self, batches: list[list[EncodedDraft]]) -> list[list[StoredEvent]]:
        """Runs under the write lock (group-commit leader): one transaction for all."""
        flat = [enc for batch in batches for enc in batch]
        need = sum(enc.size for enc in flat)
        newcomer = max(enc.draft.priority for enc in flat)
        with storage_errors(str(self._disk.directory)):
            stored = self._insert_with_room(flat, need, newcomer)
            if self._disk.reserve.released:
                self._disk.restore()
        out: list[list[StoredEvent]] = []
        at = 0
        for batch in batches:
            out.append(stored[at : at + len(batch)])
            at += len(batch)
        return out

    def _insert_with_room(self, flat: list[EncodedDraft], need: int, newcomer: Priority) -> list[StoredEvent]:
        """One append transaction; on SQLITE_FULL, free disk space and try again."""
        conn = self._conn
        nothing_freed = 0
        for round_no in range(DISK_FULL_ROUNDS + 1):
            try:
                with write_transaction(conn):
                    now = self._guard.now(conn)
                    state = read_write_state(conn, self._device_id)
                    room = self._disk.room(need)
                    make_room(conn, state.used_bytes, need, self._quota, newcomer, now, room)
                    return insert_events(conn, self._device_id, state, flat, now, self._ttl_for, self._sealer)
            except sqlite3.OperationalError as exc:
                if not is_disk_full(exc):
                    raise
                if round_no == DISK_FULL_ROUNDS or nothing_freed >= 2:
                    raise OutboxFullError(
                        f"disk holding {self._disk.directory} is full and only messages that may not be evicted "
                        f"for a {newcomer.name} event remain; nothing was dropped"
                    ) from exc
                freed = self._disk.free(DISK_FULL_MIN_EVICT << round_no, newcomer, self._guard.now)
                nothing_freed = nothing_freed + 1 if freed == 0 else 0
        raise AssertionError("unreachable: the last round either returns or raises")
