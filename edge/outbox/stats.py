"""What a technician (`edge outbox status`) and the central server (MQTT stats topic)
see of the outbox: current depth and age, and persistent lifetime counters."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from edge.events import Priority
from edge.outbox.transactions import get_meta, read_counters


@dataclass(frozen=True)
class OutboxStats:
    """A consistent snapshot (one read transaction) of the outbox.

    `depth` counts messages (events plus attachments); `depth_by_type` counts them by
    event type, attachments under the key "attachment"; `bytes` is what is charged
    against the quota. Counters ending in `_total` are lifetime values kept in the
    database, so they survive restarts and include every process that wrote to it.
    `disk_full_total` counts the times the filesystem itself refused a write (ENOSPC)
    and the outbox had to evict and retry."""

    depth: int
    bytes: int
    oldest_age_s: float | None
    depth_by_type: dict[str, int]
    depth_by_priority: dict[str, int]
    rejected: int
    last_error: str | None
    evicted_total: int
    evicted_by_priority: dict[str, int]
    expired_total: int
    appended_total: int
    acked_total: int
    rejected_total: int = 0
    quota_bytes: int = 0
    file_bytes: int = 0
    last_error_at: float | None = None
    disk_full_total: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "depth": self.depth,
            "bytes": self.bytes,
            "quota_bytes": self.quota_bytes,
            "file_bytes": self.file_bytes,
            "oldest_age_s": self.oldest_age_s,
            "depth_by_type": dict(self.depth_by_type),
            "depth_by_priority": dict(self.depth_by_priority),
            "rejected": self.rejected,
            "rejected_total": self.rejected_total,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "evicted_total": self.evicted_total,
            "evicted_by_priority": dict(self.evicted_by_priority),
            "expired_total": self.expired_total,
            "appended_total": self.appended_total,
            "acked_total": self.acked_total,
            "disk_full_total": self.disk_full_total,
        }


def file_bytes(db: Path) -> int:
    """What the outbox occupies on disk: the database and its WAL."""
    total = 0
    for suffix in ("", "-wal"):
        with contextlib.suppress(FileNotFoundError):
            total += db.with_name(db.name + suffix).stat().st_size
    return total


def read_stats(conn: sqlite3.Connection, now: float, quota: int, file_bytes: int) -> OutboxStats:
    conn.execute("BEGIN")
    try:
        counters = read_counters(conn)
        depth, oldest = conn.execute("SELECT count(*), min(created_at) FROM messages").fetchone()
        by_type = dict(
            conn.execute(
                "SELECT CASE kind WHEN 'attachment' THEN 'attachment' ELSE type END AS t, count(*) "
                "FROM messages GROUP BY t ORDER BY t"
            ).fetchall()
        )
        counts = dict(conn.execute("SELECT priority, count(*) FROM messages GROUP BY priority").fetchall())
        by_prio = {p.name.lower(): counts.get(int(p), 0) for p in Priority}
        rejected = conn.execute("SELECT count(*) FROM messages WHERE reject_count > 0").fetchone()[0]
        last_error = get_meta(conn, "last_error")
        last_error_at = get_meta(conn, "last_error_at")
    finally:
        conn.execute("COMMIT")
    return OutboxStats(
        depth=depth,
        bytes=counters["bytes"],
        oldest_age_s=None if oldest is None else max(0.0, now - oldest),
        depth_by_type=by_type,
        depth_by_priority=by_prio,
        rejected=rejected,
        last_error=last_error,
        evicted_total=counters["evicted_total"],
        evicted_by_priority={p.name.lower(): counters[f"evicted_{p.name.lower()}"] for p in Priority},
        expired_total=counters["expired_total"],
        appended_total=counters["appended_total"],
        acked_total=counters["acked_total"],
        rejected_total=counters["rejected_total"],
        quota_bytes=quota,
        file_bytes=file_bytes,
        last_error_at=None if last_error_at is None else float(last_error_at),
        disk_full_total=counters["disk_full_total"],
    )
