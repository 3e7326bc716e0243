"""Deletes acknowledged rows from the outbox in batches, on the publisher's own thread.

A delete is a SQLite write transaction; one per PUBACK, or per loop turn, would cost
more than the publish itself. Acknowledged rows therefore collect here and are deleted
together once `max_batch` rows are waiting, the oldest has waited `max_delay_s`, or
nothing is in flight any more.

Why not a thread of its own (as before): on two cores a second Python thread that
wakes for every batch contends with the publisher loop for the GIL, and the same drain
cost more CPU per message that way (bench/outbox.py's drain measures both, side by
side). The deletes run on the outbox's relaxed-durability connection (no fsync), so a
batch is short while the in-flight window keeps the broker busy.

Rows waiting here stay excluded from `pending()` reads, so an acknowledged message is
never sent twice on one connection. If the process dies first, those rows are simply
published again (at least once)."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from edge.outbox.errors import OutboxError
from edge.publisher.stats import PublisherStats

log = logging.getLogger(__name__)

MAX_BATCH = 400  # rows per delete transaction at full drain speed
MAX_DELAY_S = 0.02  # how long an acknowledged row may wait for its delete


class Acker:
    def __init__(
        self,
        outbox: Any,
        stats: PublisherStats,
        on_acked: Callable[[list[int]], None] | None = None,
        *,
        max_batch: int = MAX_BATCH,
        max_delay_s: float = MAX_DELAY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._outbox = outbox
        self._stats = stats
        self._on_acked = on_acked
        self._max_batch = max_batch
        self._max_delay_s = max_delay_s
        self._clock = clock
        self._waiting: list[int] = []
        self._since = 0.0  # when the oldest waiting row was acknowledged

    def submit(self, row_ids: list[int], *, idle: bool = False) -> None:
        """Rows the broker acknowledged; deleted now if a batch is due. `idle` says
        nothing is in flight any more: batching only pays while publishes overlap the
        delete, so the rows go at once (a quiet device's latency is then one delete,
        not the batching delay)."""
        if row_ids:
            if not self._waiting:
                self._since = self._clock()
            self._waiting += row_ids
        if self._waiting and (
            idle or len(self._waiting) >= self._max_batch or self._clock() - self._since >= self._max_delay_s
        ):
            self.flush()

    def in_progress(self) -> list[int]:
        """Rows acknowledged but not yet deleted: keep them out of `pending()`."""
        return self._waiting

    def flush(self) -> None:
        """Delete everything waiting (also at shutdown)."""
        batch, self._waiting = self._waiting, []
        if not batch:
            return
        try:
            self._outbox.ack(batch)
        except (sqlite3.Error, OutboxError) as exc:  # the rows stay and are sent again: duplicates, not loss
            self._stats.error(f"outbox: acknowledged rows not deleted: {exc}")
            log.error("could not delete acknowledged rows", extra={"rows": len(batch), "error": str(exc)})
            return
        if self._on_acked is not None:
            self._on_acked(batch)
