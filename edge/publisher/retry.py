"""When the publisher tries the broker again: full-jitter exponential backoff after
each failed attempt or lost connection (reset by a CONNACK), and the deadline of the
attempt in progress (a frozen broker accepts TCP and never answers CONNECT)."""

from __future__ import annotations

import logging
import time

from drivers.backoff import Backoff
from edge.publisher.stats import PublisherStats
from firmware_config.mqtt import MqttConfig

log = logging.getLogger(__name__)


class RetryTimer:
    def __init__(self, config: MqttConfig, stats: PublisherStats) -> None:
        self._backoff = Backoff(config.reconnect_min_s, config.reconnect_max_s)
        self._connect_timeout_s = config.connect_timeout_s
        self._stats = stats
        self._next_attempt = 0.0
        self._connack_deadline = 0.0

    def due(self, now: float) -> bool:
        return now >= self._next_attempt

    def wait_s(self, now: float) -> float:
        return max(0.0, self._next_attempt - now)

    def attempt_started(self, now: float) -> None:
        self._connack_deadline = now + self._connect_timeout_s

    def connack_overdue(self, now: float) -> bool:
        return now > self._connack_deadline

    def connected(self) -> None:
        self._backoff.reset()

    def failed(self, reason: str, *, connecting: bool) -> None:
        """Count the failure, say so in the stats, and schedule the next attempt."""
        delay = self._backoff.next_delay()
        self._next_attempt = time.monotonic() + delay
        self._stats.failure(connect=connecting, message=reason)
        self._stats.set_state("disconnected")
        if connecting:
            log.info(
                "broker connection attempt failed", extra={"reason": reason, "retry_in_s": round(delay, 2)}
            )
