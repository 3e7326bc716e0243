"""Deletes acknowledged rows from the outbox on its own thread.

A delete is a SQLite write transaction (about a millisecond or two); done inline it
would stall the network loop for every batch of PUBACKs. Python's sqlite3 releases the
GIL while SQLite works, so on a second core the deletes run in parallel with reading
PUBACKs and sending publishes, and batches that queue up meanwhile are merged into one
transaction. Rows handed over stay excluded from `pending()` reads until their delete
has committed, so an acknowledged message is never sent twice on one connection. If
the process dies first, those rows are simply published again (at least once)."""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from edge.outbox.errors import OutboxError
from edge.publisher.stats import PublisherStats

log = logging.getLogger(__name__)


class Acker:
    def __init__(
        self, outbox: Any, stats: PublisherStats, on_acked: Callable[[list[int]], None] | None = None
    ) -> None:
        self._outbox = outbox
        self._stats = stats
        self._on_acked = on_acked
        self._queue: queue.SimpleQueue[list[int] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._deleting: set[int] = set()
        self._thread = threading.Thread(target=self._run, name="mqtt-acker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def submit(self, row_ids: list[int]) -> None:
        if row_ids:
            with self._lock:
                self._deleting.update(row_ids)
            self._queue.put(row_ids)

    def in_progress(self) -> list[int]:
        """Rows acknowledged but not yet deleted: keep them out of `pending()`."""
        with self._lock:
            return list(self._deleting)

    def close(self, timeout: float = 10.0) -> None:
        """Delete what is queued, then end the thread."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            if batch is None:
                return
            done = False
            while not done:  # merge what queued up while the last delete ran
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    done = True
                else:
                    batch = batch + more
            self._delete(batch)
            if done:
                return

    def _delete(self, batch: list[int]) -> None:
        try:
            self._outbox.ack(batch)
        except (sqlite3.Error, OutboxError) as exc:  # the rows stay and are sent again: duplicates, not loss
            self._stats.error(f"outbox: acknowledged rows not deleted: {exc}")
            log.error("could not delete acknowledged rows", extra={"rows": len(batch), "error": str(exc)})
            return
        finally:
            with self._lock:
                self._deleting.difference_update(batch)
        if self._on_acked is not None:
            self._on_acked(batch)
