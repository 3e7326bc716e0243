"""What happens to a message the broker (or the MQTT client) refuses.

A refusal is never a silent drop: the row stays in the outbox, marked with the reason
and held back until `rejected_retry_s` has passed (a not-authorised device may be fixed
centrally, a quota may free up), the counters and `last_error` show it, and the log
gets one line per reason every few seconds, with ids but never the payload."""

from __future__ import annotations

import logging
import time
from typing import Any

from edge.publisher.stats import PublisherStats

log = logging.getLogger(__name__)

LOG_EVERY_S = 10.0


class Rejections:
    def __init__(self, outbox: Any, stats: PublisherStats, retry_s: float) -> None:
        self._outbox = outbox
        self._stats = stats
        self._retry_s = retry_s
        self._logged_at: dict[str, float] = {}

    def reject(self, message: Any, reason: str, inflight: int) -> None:
        self._outbox.reject(message.row_id, reason, time.time() + self._retry_s)
        self._stats.count(rejected=1, inflight=inflight)
        self._stats.error(f"rejected {message.topic_suffix}: {reason}")
        now = time.monotonic()
        if now - self._logged_at.get(reason, -LOG_EVERY_S) >= LOG_EVERY_S:
            self._logged_at[reason] = now
            log.warning(
                "broker rejected a publish; kept in the outbox for retry",
                extra={"reason": reason, "row_id": message.row_id, "topic": message.topic_suffix},
            )
