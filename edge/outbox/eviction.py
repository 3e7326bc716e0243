"""Keep the outbox inside its budget: expire, then evict by priority.

Order of sacrifice when room is needed: attachments (those of the least important
events first, then oldest), then LOW, NORMAL, HIGH events, oldest first. A newcomer
never displaces anything more important than itself, and CRITICAL events (check-ins,
identity verifications) and their attachments are never evicted: they leave only when
acknowledged or when their TTL runs out. If that leaves too little room the caller
gets `OutboxFullError` instead of a silently dropped check-in. Everything here runs inside the caller's write transaction,
so a failed attempt rolls back and evicts nothing."""

from __future__ import annotations

import sqlite3
from collections import Counter

from edge.events import Priority
from edge.outbox.errors import OutboxFullError
from edge.outbox.transactions import add_counters, evicted_counter

_BATCH = 256


def purge_expired(conn: sqlite3.Connection, now: float, limit: int = -1) -> int:
    """Delete rows whose TTL has run out (at most `limit`, -1: all); returns the bytes freed."""
    rows = conn.execute(
        "SELECT id, size FROM messages WHERE expires_at <= ? ORDER BY expires_at LIMIT ?", (now, limit)
    ).fetchall()
    if not rows:
        return 0
    _delete(conn, [r[0] for r in rows])
    freed = sum(r[1] for r in rows)
    add_counters(conn, {"expired_total": len(rows), "bytes": -freed})
    return freed


def make_room(
    conn: sqlite3.Connection,
    used: int,
    incoming: int,
    quota: int,
    newcomer: Priority,
    now: float,
    disk_room: int | None = None,
) -> None:
    """Ensure `incoming` more bytes fit under `quota` given `used`, and that the
    filesystem keeps its headroom (`disk_room`: bytes it can still take once this write
    is done, negative when past that point; see diskspace.py), or raise OutboxFullError."""
    if incoming > quota:
        raise OutboxFullError(f"{incoming} bytes do not fit in the whole outbox quota of {quota} bytes")
    over_quota = used + incoming - quota
    over_disk = -disk_room if disk_room is not None else 0
    excess = max(over_quota, over_disk)
    if excess <= 0:
        return
    excess -= purge_expired(conn, now)
    if excess <= 0:
        return
    freed = evict(conn, excess, newcomer)
    if freed < excess:
        limit = f"outbox quota of {quota} bytes" if over_quota >= over_disk else "disk"
        raise OutboxFullError(
            f"{limit} is full: {excess - freed} more bytes needed but only "
            f"{_protected(newcomer)} remain; nothing was dropped"
        )


def evict(conn: sqlite3.Connection, amount: int, newcomer: Priority) -> int:
    """Delete evictable rows in sacrifice order until `amount` bytes are freed (or none
    are left); returns the bytes freed and updates the eviction counters."""
    freed = 0
    by_priority: Counter[int] = Counter()
    for query, args in _classes(newcomer):
        last_key: tuple[int, int] = (-1, -1)
        while freed < amount:
            rows = conn.execute(query, (*args, *last_key, _BATCH)).fetchall()
            if not rows:
                break
            chosen = []
            for row_id, size, priority in rows:
                chosen.append(row_id)
                freed += size
                by_priority[priority] += 1
                last_key = (priority, row_id)
                if freed >= amount:
                    break
            _delete(conn, chosen)
        if freed >= amount:
            break
    n = sum(by_priority.values())
    if n:
        deltas = {evicted_counter(p): c for p, c in by_priority.items()}
        add_counters(conn, {**deltas, "evicted_total": n, "bytes": -freed})
    return freed


def _classes(newcomer: Priority) -> list[tuple[str, tuple[int, ...]]]:
    """Eviction queries in sacrifice order, each resuming after (priority, id)."""
    att = (
        "SELECT id, size, priority FROM messages WHERE kind = 'attachment' AND priority <= ? "
        "AND (priority, id) > (?, ?) ORDER BY priority, id LIMIT ?"
    )
    ev = (
        "SELECT id, size, priority FROM messages WHERE kind = 'event' AND priority = ? "
        "AND (priority, id) > (?, ?) ORDER BY id LIMIT ?"
    )
    classes = [(att, (min(int(newcomer), int(Priority.HIGH)),))]
    for p in (Priority.LOW, Priority.NORMAL, Priority.HIGH):
        if p <= newcomer:
            classes.append((ev, (int(p),)))
    return classes


def _protected(newcomer: Priority) -> str:
    if newcomer == Priority.CRITICAL:
        return "CRITICAL events within their TTL"
    return f"messages more important than {newcomer.name} and CRITICAL events"


def _delete(conn: sqlite3.Connection, ids: list[int]) -> None:
    conn.executemany("DELETE FROM messages WHERE id = ?", [(i,) for i in ids])
