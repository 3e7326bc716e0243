"""The outbox: the only source of truth for what the device still has to send.

Producers `append` events, which are durable when the call returns; the publisher reads
`pending` messages in per-device order, and `ack`s them after the broker confirmed (or
`reject`s them, which keeps them and surfaces the reason). Several threads and several
processes may use the same file: SQLite's locking serialises writers across processes,
a lock per object serialises them inside one, and group commit turns concurrent appends
into one fsync.

Appends use the configured durability (`synchronous=full` survives power loss).
Acks, rejects and expiry purges run on a second connection with `synchronous=normal`:
losing one of those to a power cut only means a message is sent again, which
at-least-once delivery allows, and it keeps the fsync budget for appends."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

from edge.boottime import boot_clock, current_boot_id
from edge.events import EventDraft, StoredEvent
from edge.outbox import schema
from edge.outbox.appending import AppendWriter
from edge.outbox.clockguard import ClockGuard
from edge.outbox.diskspace import DiskSpace, wal_limit_for
from edge.outbox.encoding import EncodedDraft, encode
from edge.outbox.errors import OutboxClosedError, OutboxError, OutboxFullError, storage_errors
from edge.outbox.eviction import purge_expired
from edge.outbox.group_commit import GroupCommitter
from edge.outbox.keyring import open_sealer, read_configured_key
from edge.outbox.reserve import DiskReserve
from edge.outbox.rows import OutboxMessage, delete_acked, select_pending
from edge.outbox.stats import OutboxStats, file_bytes, read_stats
from edge.outbox.transactions import add_counters, fast_delete, is_disk_full, set_meta, write_transaction
from firmware_config.storage import StorageConfig

V = TypeVar("V")

MAX_REASON_CHARS = 300
# A row that cannot be decrypted (wrong key installed) is held back this long before
# it is tried again, so a technician can fix the key without anything being lost.
UNREADABLE_RETRY_S = 600.0


class Outbox:
    """Durable, multi-thread and multi-process safe event buffer (see module docstring).
    Every public method raises only OutboxError subclasses for storage problems."""

    def __init__(
        self,
        config: StorageConfig,
        device_id: str,
        *,
        clock: Callable[[], float] = time.time,
        boot_clock: Callable[[], float] = boot_clock,
    ) -> None:
        """`clock` is the wall clock (epoch seconds) used for timestamps and TTLs;
        `boot_clock` a clock that never steps (seconds since boot), used to notice when
        the wall clock was stepped (see clockguard.py). Tests replace both."""
        if not device_id:
            raise OutboxError("device_id must not be empty")
        self._config = config
        self._device_id = device_id
        self._clock = clock
        self._path = Path(config.path)
        self._quota = int(config.quota)
        self._wal_limit = wal_limit_for(int(config.disk_reserve))
        self._closed = False
        self._write_lock = threading.Lock()
        self._read_lock = threading.Lock()
        secret = read_configured_key(config)
        schema.create_private(self._path)
        conns: list[sqlite3.Connection] = []
        try:
            with storage_errors(f"cannot open outbox {self._path}"):
                conns.append(schema.connect(self._path, config.synchronous, self._wal_limit))
                schema.migrate(conns[0])
                self._sealer = open_sealer(conns[0], secret, str(self._path))
                conns.append(schema.connect(self._path, "normal", self._wal_limit))
                conns.append(schema.connect(self._path, "normal", self._wal_limit))
            reserve = DiskReserve(
                self._path.with_name(self._path.name + "-reserve"), int(config.disk_reserve)
            )
        except BaseException:
            for c in conns:
                c.close()
            raise
        self._append_conn, self._maint_conn, self._read_conn = conns
        self._guard = ClockGuard(clock, boot_clock, current_boot_id(), self._sealer)
        self._disk = DiskSpace(self._append_conn, self._path.parent, reserve, self._wal_limit)
        writer = AppendWriter(
            self._append_conn,
            device_id,
            quota=int(config.quota),
            ttl_for=self._ttl,
            guard=self._guard,
            disk=self._disk,
            sealer=self._sealer,
        )
        self._appender: GroupCommitter[list[EncodedDraft], list[StoredEvent]] = GroupCommitter(
            writer.commit, self._write_lock
        )

    # -- producers ---------------------------------------------------------------
    def append(self, draft: EventDraft) -> StoredEvent:
        """Store one event; durable when this returns. Raises OutboxFullError if neither
        the quota nor the disk has room and nothing may be evicted for it."""
        return self._appender.submit([encode(draft, self._device_id)], check=self._check_open)[0]

    def append_many(self, drafts: Sequence[EventDraft]) -> list[StoredEvent]:
        """Store several events in one transaction: all or none."""
        if not drafts:
            return []
        batch = [encode(d, self._device_id) for d in drafts]
        return self._appender.submit(batch, check=self._check_open)

    # -- publisher -----------------------------------------------------------------
    def pending(self, limit: int, exclude: Collection[int] = (), after: int = 0) -> list[OutboxMessage]:
        """Up to `limit` messages to publish, oldest first, not in `exclude` (in flight),
        not expired (those are purged here and counted) and not waiting for a retry.
        `after` skips row ids up to it: a reader that already holds everything up to a
        row (the publisher's read-ahead) need not walk past it again."""
        self._check_open()
        now = self._clock()
        with self._read_lock, storage_errors(str(self._path)):
            expired = self._read_conn.execute(
                "SELECT 1 FROM messages WHERE expires_at <= ? LIMIT 1", (now,)
            ).fetchone()
        if expired:
            self._maintain(lambda c: purge_expired(c, self._guard.now(c)))
        with self._read_lock, storage_errors(str(self._path)):
            messages, broken = select_pending(
                self._read_conn, now, max(0, limit), frozenset(exclude), self._sealer, after
            )
        for row_id, reason in broken:
            self.reject(row_id, reason, now + UNREADABLE_RETRY_S)
        return messages

    def ack(self, row_ids: Iterable[int]) -> None:
        """The broker accepted these messages: delete them (unknown ids are ignored)."""
        ids = sorted(set(row_ids))
        if ids:
            self._maintain(lambda c: delete_acked(c, ids))

    def reject(self, row_id: int, reason: str, retry_at: float) -> None:
        """The broker refused this message: keep it, record why, retry after `retry_at`."""
        reason = reason[:MAX_REASON_CHARS]
        now = self._clock()

        def op(c: sqlite3.Connection) -> None:
            cur = c.execute(
                "UPDATE messages SET reject_count = reject_count + 1, reject_reason = ?, retry_at = ? "
                "WHERE id = ?",
                (reason, retry_at, row_id),
            )
            if cur.rowcount:
                add_counters(c, {"rejected_total": 1})
            set_meta(c, "last_error", f"message {row_id} rejected: {reason}")
            set_meta(c, "last_error_at", repr(now))

        self._maintain(op)

    def note_error(self, message: str) -> None:
        """Record a delivery problem that is not tied to one message (e.g. the broker
        refused the connection) so `stats().last_error` shows it."""
        now = self._clock()

        def op(c: sqlite3.Connection) -> None:
            set_meta(c, "last_error", message[:MAX_REASON_CHARS])
            set_meta(c, "last_error_at", repr(now))

        self._maintain(op)

    # -- observation -----------------------------------------------------------------
    def stats(self) -> OutboxStats:
        self._check_open()
        files = file_bytes(self._path)
        with self._read_lock, storage_errors(str(self._path)):
            return read_stats(self._read_conn, self._clock(), self._quota, files)

    def unsent(self, event_ids: Collection[str]) -> set[str]:
        """Which of these events are still in the outbox (not yet acknowledged by the
        broker); e.g. stay notifications past their legal deadline for the stats topic."""
        self._check_open()
        wanted = list(dict.fromkeys(event_ids))
        found: set[str] = set()
        with self._read_lock, storage_errors(str(self._path)):
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._read_conn.execute(
                    f"SELECT DISTINCT event_id FROM messages WHERE kind = 'event' AND event_id IN ({marks})",
                    chunk,
                )
                found.update(r[0] for r in rows)
        return found

    @property
    def path(self) -> Path:
        return self._path

    def close(self) -> None:
        with self._write_lock, self._read_lock:
            if self._closed:
                return
            self._closed = True
            for c in (self._append_conn, self._maint_conn, self._read_conn):
                c.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise OutboxClosedError(f"outbox {self._path} is closed")

    def _ttl(self, event_type: str) -> float:
        return float(self._config.ttl_s.get(event_type, self._config.default_ttl_s))

    def _maintain(self, op: Callable[[sqlite3.Connection], V]) -> V:
        """Run a small write (ack, reject, purge) on the relaxed-durability connection;
        on a full disk, free the ballast, checkpoint and try once more."""
        with self._write_lock, storage_errors(str(self._path)):
            self._check_open()
            try:
                with write_transaction(self._maint_conn):
                    return op(self._maint_conn)
            except sqlite3.OperationalError as exc:
                if not is_disk_full(exc):
                    raise
            self._disk.reserve.release()
            self._disk.checkpoint()
            try:
                with fast_delete(self._maint_conn), write_transaction(self._maint_conn):
                    return op(self._maint_conn)
            except sqlite3.OperationalError as exc:
                if is_disk_full(exc):
                    raise OutboxFullError(
                        f"disk holding {self._path} is full; the change was not recorded"
                    ) from exc
                raise
