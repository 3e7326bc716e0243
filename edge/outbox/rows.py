"""Row-level reads and writes of the `messages` table, inside the caller's transaction.

An event becomes one row, and each of its attachments one more row right after it, so
ordering by row id is the per-device publish order and the server sees an event before
the attachments it references."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from edge.events import Priority, StoredEvent
from edge.outbox.encoding import EncodedDraft, attachment_row_size, event_row_size
from edge.outbox.schema import seq_counter
from edge.outbox.sealing import Sealer, UnsealError, identity
from edge.outbox.transactions import add_counters

_INSERT = (
    "INSERT INTO messages (id, kind, event_id, seq, type, priority, topic_suffix, content_type, "
    "payload, size, created_at, expires_at, sealed) VALUES "
)
_COLUMNS = 13
_ROW_MARKS = "(" + ",".join("?" * _COLUMNS) + ")"
_ROWS_PER_INSERT = 400  # 4,800 bound values, well under SQLite's 32,766 limit
_CHUNK = 500


class OutboxMessage(NamedTuple):
    """One MQTT message waiting in the outbox (an event or one of its attachments).

    A named tuple rather than a frozen dataclass: the publisher builds one per message
    it sends, and a frozen dataclass costs four times as much to construct."""

    row_id: int
    kind: Literal["event", "attachment"]
    topic_suffix: str  # "events/<type>" or "attachments/<attachment_id>"
    payload: bytes  # event: StoredEvent.to_json(); attachment: the raw bytes
    content_type: str  # "application/json" or e.g. "image/jpeg"
    event_id: str
    seq: int
    priority: Priority
    expires_at: float  # epoch seconds; the publisher derives the MQTT message expiry from it


@dataclass(frozen=True)
class WriteState:
    """What an append transaction needs to know, read in one statement."""

    last_seq: int
    last_row_id: int
    used_bytes: int


def read_write_state(conn: sqlite3.Connection, device_id: str) -> WriteState:
    row = conn.execute(
        "SELECT (SELECT value FROM counters WHERE name = ?), "
        "(SELECT value FROM counters WHERE name = 'last_row_id'), "
        "(SELECT value FROM counters WHERE name = 'bytes')",
        (seq_counter(device_id),),
    ).fetchone()
    return WriteState(last_seq=row[0] or 0, last_row_id=row[1], used_bytes=row[2])


def insert_events(
    conn: sqlite3.Connection,
    device_id: str,
    state: WriteState,
    drafts: Sequence[EncodedDraft],
    now: float,
    ttl_for: Callable[[str], float],
    sealer: Sealer,
) -> list[StoredEvent]:
    """Assign seq and row ids and insert; seq and ids come from the database itself, so
    they continue across restarts and across processes sharing the file. Rows go in as
    multi-row INSERTs: every statement step releases and re-takes the GIL, which under
    many producer threads costs far more than the SQL itself."""
    seq, rid = state.last_seq, state.last_row_id
    sealed = int(sealer.active)

    def stored_form(payload: bytes, event_id: str, topic: str, kind: str, prio: int, expires: float) -> bytes:
        if not sealed:
            return payload
        return sealer.seal(payload, identity(event_id, topic, kind, seq, prio, expires))

    values: list[object] = []
    stored: list[StoredEvent] = []
    total = 0
    for enc in drafts:
        d = enc.draft
        seq += 1
        rid += 1
        expires = now + ttl_for(d.type)
        payload = enc.event_json(seq)
        size = event_row_size(len(payload), d)
        total += size
        prio = int(d.priority)
        topic = f"events/{d.type}"
        values += (rid, "event", d.event_id, seq, d.type, prio, topic, "application/json")
        values += (
            stored_form(payload, d.event_id, topic, "event", prio, expires),
            size,
            now,
            expires,
            sealed,
        )
        stored.append(StoredEvent(row_id=rid, device_id=device_id, seq=seq, draft=d))
        for att in d.attachments:
            rid += 1
            size = attachment_row_size(att)
            total += size
            topic = f"attachments/{att.id}"
            values += (rid, "attachment", d.event_id, seq, d.type, prio, topic, att.content_type)
            values += (
                stored_form(att.data, d.event_id, topic, "attachment", prio, expires),
                *(size, now, expires, sealed),
            )
    step = _COLUMNS * _ROWS_PER_INSERT
    for i in range(0, len(values), step):
        chunk = values[i : i + step]
        conn.execute(_INSERT + ",".join([_ROW_MARKS] * (len(chunk) // _COLUMNS)), chunk)
    added = rid - state.last_row_id
    add_counters(
        conn,
        {
            "last_row_id": added,
            "appended_total": added,
            "bytes": total,
            seq_counter(device_id): seq - state.last_seq,
        },
    )
    return stored


_PRIORITIES = {p.value: p for p in Priority}
_PENDING_WHERE = "WHERE id > ? AND expires_at > ? AND (retry_at IS NULL OR retry_at <= ?) ORDER BY id LIMIT ?"
_MESSAGE_COLUMNS = (
    "id, kind, topic_suffix, payload, content_type, event_id, seq, priority, expires_at, sealed"
)


def select_pending(
    conn: sqlite3.Connection, now: float, limit: int, exclude: frozenset[int], sealer: Sealer, after: int = 0
) -> tuple[list[OutboxMessage], list[tuple[int, str]]]:
    """Oldest first, skipping in-flight, expired and backing-off rows. Returns the
    messages and the (row id, reason) of rows that could not be decrypted, which the
    caller holds back and surfaces instead of handing garbage to the publisher.

    When few excluded rows lie past `after` (the publisher's read-ahead, which starts
    after the last row it read), whole rows are read in one statement and the excluded
    ones dropped here. When many do (a read from the oldest row, with a full window
    and a batch of deletes pending), ids are chosen first, so the payloads of in-flight
    rows are not read again."""
    skip = sum(1 for r in exclude if r > after)
    params = (after, now, now, limit + skip)
    if skip <= limit // 4:
        rows = conn.execute(f"SELECT {_MESSAGE_COLUMNS} FROM messages {_PENDING_WHERE}", params)
        return _messages((r for r in rows if r[0] not in exclude), limit, sealer)
    found = conn.execute(f"SELECT id FROM messages {_PENDING_WHERE}", params)
    ids = [r[0] for r in found if r[0] not in exclude][:limit]
    chosen: list[tuple] = []
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        marks = ",".join("?" * len(chunk))
        chosen += conn.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id IN ({marks}) ORDER BY id", chunk
        )
    return _messages(chosen, limit, sealer)


def _messages(
    rows: Iterable[tuple], limit: int, sealer: Sealer
) -> tuple[list[OutboxMessage], list[tuple[int, str]]]:
    out: list[OutboxMessage] = []
    broken: list[tuple[int, str]] = []
    for r in rows:
        payload = bytes(r[3])
        if r[9]:
            try:
                payload = sealer.unseal(payload, identity(r[5], r[2], r[1], r[6], r[7], r[8]))
            except UnsealError as exc:
                broken.append((r[0], str(exc)))
                continue
        out.append(OutboxMessage(r[0], r[1], r[2], payload, r[4], r[5], r[6], _PRIORITIES[r[7]], r[8]))
        if len(out) == limit:
            break
    return out, broken


def delete_acked(conn: sqlite3.Connection, ids: Sequence[int]) -> int:
    """Delete acknowledged rows; ids already gone (evicted, acked twice) are ignored.
    RETURNING (SQLite >= 3.35) counts what was really deleted in the same pass."""
    count = freed = 0
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        marks = ",".join("?" * len(chunk))
        sizes = conn.execute(f"DELETE FROM messages WHERE id IN ({marks}) RETURNING size", chunk).fetchall()
        count += len(sizes)
        freed += sum(size for (size,) in sizes)
    add_counters(conn, {"acked_total": count, "bytes": -freed})
    return count
