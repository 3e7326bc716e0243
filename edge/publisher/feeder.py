"""Moves outbox rows into the in-flight window, reading ahead.

Rows are read from SQLite *before* the window has room for them, while the broker is
still working through what is in flight; when its PUBACKs free slots, the next
publishes leave at once instead of after a database read. Without this the broker
and the device take turns idling (one reads the database while the other waits), which
costs a third of the throughput. Rows read ahead stay in the outbox until acknowledged,
so after a lost connection they are simply read again."""

from __future__ import annotations

import math
import time
from collections import deque
from typing import Any

from edge.publisher.acker import Acker
from edge.publisher.client import BrokerLink
from edge.publisher.errors import PublishRefused
from edge.publisher.rejects import Rejections
from edge.publisher.stats import PublisherStats
from edge.publisher.topics import DeviceTopics
from edge.publisher.window import InFlight


class Feeder:
    def __init__(
        self,
        outbox: Any,
        window: InFlight[Any],
        acker: Acker,
        rejections: Rejections,
        stats: PublisherStats,
        topics: DeviceTopics,
    ) -> None:
        self._outbox = outbox
        self._window = window
        self._acker = acker
        self._rejections = rejections
        self._stats = stats
        self._topics = topics
        self._ahead: deque[Any] = deque()  # read, not yet published
        self.backlog = True  # the outbox may hold more than was read
        # Highest row id read on this connection: the next read starts after it. Rows
        # at or below it are in flight, acknowledged, or held back for a retry; the
        # loop rewinds on every periodic poll so retries due again are found.
        self._cursor = 0

    def has_work(self) -> bool:
        return bool(self._ahead or self.backlog)

    def forget(self) -> None:
        """Connection gone: what was read ahead is read again after the reconnect."""
        self._ahead.clear()
        self.rewind()

    def rewind(self) -> None:
        """Read from the oldest row again next time (what is in flight stays excluded)."""
        self._cursor = 0

    def feed(self, link: BrokerLink) -> None:
        """Fill free window slots from the read-ahead, then read ahead again."""
        self._send(link)
        window = self._window
        if self.backlog and len(self._ahead) <= window.size // 2:
            want = window.size - len(self._ahead)
            exclude = [*window.excluded(), *self._acker.in_progress(), *(m.row_id for m in self._ahead)]
            rows = self._outbox.pending(want, exclude=exclude, after=self._cursor)
            self.backlog = len(rows) == want
            if rows:
                self._cursor = rows[-1].row_id
            self._ahead.extend(rows)
            self._send(link)

    def _send(self, link: BrokerLink) -> None:
        window, ahead = self._window, self._ahead
        if not ahead or window.free() <= 0:
            return
        with link.burst():
            published = self._publish_while_room(link)
        self._stats.count(published=published, inflight=window.messages)

    def _publish_while_room(self, link: BrokerLink) -> int:
        window, ahead = self._window, self._ahead
        published = 0
        wall = time.time()
        while ahead and window.free() > 0:
            message = ahead[0]
            expiry = message.expires_at
            try:
                mid = link.publish(
                    self._topics.message(message.topic_suffix),
                    message.payload,
                    content_type=message.content_type,
                    expiry_s=None if expiry is None else max(1, math.ceil(expiry - wall)),
                    user_properties=(("event_id", message.event_id), ("seq", str(message.seq))),
                )
            except PublishRefused as exc:  # would never be accepted as it is: kept and surfaced
                ahead.popleft()
                self._rejections.reject(message, str(exc), window.messages)
                continue
            if mid is None:  # paho's capped queue is full: try again next turn
                break
            ahead.popleft()
            window.add(mid, message.row_id, message)
            published += 1
        return published
