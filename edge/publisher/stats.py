"""Publisher counters and the publish rate, shared between the publisher thread
(which writes them) and the daemon / stats topic (which read snapshots).

Counters are per process lifetime; the outbox keeps the durable lifetime totals."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

RATE_WINDOW_S = 60.0


class PublisherStats:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.state = "disconnected"  # disconnected | connecting | connected | stopped
        self.published = 0  # messages handed to the broker, re-sends after a reconnect included
        self.acked = 0
        self.rejected = 0
        self.poisoned = 0  # messages set aside after repeated connection drops (edge.publisher.poison)
        self.connects = 0
        self.connect_failures = 0
        self.disconnects = 0
        self.inflight = 0
        self.last_error: str | None = None
        self.last_error_at: float | None = None  # epoch seconds
        self.connected_since: float | None = None  # epoch seconds
        self._samples: deque[tuple[float, int]] = deque()

    def set_state(self, state: str) -> None:
        with self._lock:
            self.state = state
            if state == "connected":
                self.connects += 1
                self.connected_since = time.time()
            elif self.connected_since is not None:
                self.connected_since = None

    def error(self, message: str) -> None:
        with self._lock:
            self.last_error = message
            self.last_error_at = time.time()

    def count(
        self,
        *,
        published: int = 0,
        acked: int = 0,
        rejected: int = 0,
        poisoned: int = 0,
        inflight: int | None = None,
    ) -> None:
        with self._lock:
            self.published += published
            self.acked += acked
            self.rejected += rejected
            self.poisoned += poisoned
            if inflight is not None:
                self.inflight = inflight
            now = self._clock()
            if not self._samples or now - self._samples[-1][0] >= 1.0:
                self._samples.append((now, self.acked))
                while self._samples and now - self._samples[0][0] > RATE_WINDOW_S:
                    self._samples.popleft()

    def failure(self, *, connect: bool, message: str) -> None:
        """A connection attempt failed (connect=True) or an established one was lost."""
        with self._lock:
            if connect:
                self.connect_failures += 1
            else:
                self.disconnects += 1
            self.last_error = message
            self.last_error_at = time.time()

    def ack_rate(self) -> float:
        """Acknowledged messages per second over the last minute."""
        with self._lock:
            return self._rate_locked()

    def _rate_locked(self) -> float:
        if not self._samples:
            return 0.0
        t0, n0 = self._samples[0]
        dt = self._clock() - t0
        return (self.acked - n0) / dt if dt > 0 else 0.0

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "state": self.state,
                "connected_since": self.connected_since,
                "connects": self.connects,
                "reconnects": max(0, self.connects - 1),
                "connect_failures": self.connect_failures,
                "disconnects": self.disconnects,
                "published": self.published,
                "acked": self.acked,
                "rejected": self.rejected,
                "poisoned": self.poisoned,
                "inflight": self.inflight,
                "publish_rate_per_s": round(self._rate_locked(), 2),
                "last_error": self.last_error,
                "last_error_at": self.last_error_at,
            }


def stats_payload(
    device_id: str, connection: dict[str, Any], outbox: dict[str, Any], extra: dict[str, Any] | None
) -> bytes:
    """The retained JSON on PREFIX/DEVICE/stats (see docs/mqtt.md)."""
    payload: dict[str, Any] = {
        "device_id": device_id,
        "ts": round(time.time(), 3),
        "connection": connection,
        "outbox": outbox,
    }
    if extra is not None:
        payload["extra"] = extra
    return json.dumps(payload, separators=(",", ":")).encode()
