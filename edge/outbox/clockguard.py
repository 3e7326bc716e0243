"""Keep TTLs honest when the wall clock steps.

A Raspberry Pi has no RTC: after a power cut it boots with the time fake-hwclock saved
(hours or days behind) and jumps forward when NTP synchronises. Events appended before
that jump got `expires_at` from the stale clock; judged by the corrected clock they
would look days old and be purged unsent. The kernel's boot-time clock never steps, so
comparing how far the wall clock moved with how far boot time moved reveals a step;
every row appended in the current boot is then moved by the same amount. The reference
(boot id, wall time, boot time, first row of this boot) lives in the database, so
several processes sharing the file correct a step exactly once, inside the write
transaction that noticed it."""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from collections.abc import Callable

from edge.outbox.sealing import Sealer, UnsealError, identity
from edge.outbox.transactions import get_meta, set_meta

log = logging.getLogger(__name__)

JUMP_THRESHOLD_S = 30.0  # NTP slews small offsets; only steps beyond this are corrected
REFRESH_S = 3600.0  # re-anchor the reference now and then (one small write an hour)


class ClockGuard:
    def __init__(
        self, wall: Callable[[], float], boot: Callable[[], float], boot_id: str, sealer: Sealer | None = None
    ) -> None:
        self._wall = wall
        self._boot = boot
        self._boot_id = boot_id
        self._sealer = sealer

    def now(self, conn: sqlite3.Connection) -> float:
        """Wall time for this write transaction, after re-dating this boot's rows if the
        wall clock stepped since the last look. Call inside a write transaction."""
        wall, boot = self._wall(), self._boot()
        raw = get_meta(conn, "clock_ref")
        ref = json.loads(raw) if raw else None
        if ref is None or ref["boot_id"] != self._boot_id:
            first_row = conn.execute("SELECT value FROM counters WHERE name = 'last_row_id'").fetchone()[0]
            self._anchor(conn, wall, boot, first_row)
            return wall
        step = (wall - ref["wall"]) - (boot - ref["boot"])
        if abs(step) >= JUMP_THRESHOLD_S:
            moved = self._redate(conn, step, ref["first_row"])
            log.warning(
                "wall clock stepped; waiting messages of this boot re-dated",
                extra={"step_s": round(step, 1), "messages": moved},
            )
            self._anchor(conn, wall, boot, ref["first_row"])
        elif boot - ref["boot"] >= REFRESH_S:
            self._anchor(conn, wall, boot, ref["first_row"])
        return wall

    def _redate(self, conn: sqlite3.Connection, step: float, first_row: int) -> int:
        """Move this boot's rows by `step`. A sealed row's expiry is part of its
        associated data, so it is sealed again under the new expiry."""
        cur = conn.execute(
            "UPDATE messages SET created_at = created_at + ?1, expires_at = expires_at + ?1, "
            "retry_at = retry_at + ?1 WHERE id > ?2 AND sealed = 0",
            (step, first_row),
        )
        moved = cur.rowcount
        if self._sealer is None or not self._sealer.active:
            return moved
        rows = conn.execute(
            "SELECT id, payload, event_id, topic_suffix, kind, seq, priority, expires_at FROM messages "
            "WHERE id > ? AND sealed = 1",
            (first_row,),
        ).fetchall()
        for row_id, blob, event_id, topic, kind, seq, priority, expires_at in rows:
            new_expiry = expires_at + step
            old = identity(event_id, topic, kind, seq, priority, expires_at)
            new = identity(event_id, topic, kind, seq, priority, new_expiry)
            with contextlib.suppress(UnsealError):  # damaged: unreadable either way, only its dates move
                blob = self._sealer.reseal(bytes(blob), old, new)
            conn.execute(
                "UPDATE messages SET payload = ?, created_at = created_at + ?, expires_at = ?, "
                "retry_at = retry_at + ? WHERE id = ?",
                (blob, step, new_expiry, step, row_id),
            )
        return moved + len(rows)

    def _anchor(self, conn: sqlite3.Connection, wall: float, boot: float, first_row: int) -> None:
        ref = {"boot_id": self._boot_id, "wall": wall, "boot": boot, "first_row": first_row}
        set_meta(conn, "clock_ref", json.dumps(ref))
