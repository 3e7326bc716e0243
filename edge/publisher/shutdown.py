"""Leaving the broker in order when the daemon stops: wait (bounded) for the PUBACKs
in flight, so acknowledged rows are deleted rather than sent again next time; publish
the retained "offline" status and wait (bounded) for its PUBACK; then DISCONNECT, so
the broker discards the Last Will it would otherwise publish."""

from __future__ import annotations

from typing import Any, Protocol

from edge.publisher.window import InFlight

OFFLINE_WAIT_S = 1.0


class _Publishes(Protocol):
    def publish(self, topic: str, payload: bytes, *, retain: bool = ...) -> int | None: ...


class Shutdown:
    def __init__(self, window: InFlight[Any], status_topic: str) -> None:
        self.deadline = 0.0  # monotonic; set by Publisher.stop() from its flush timeout
        self._window = window
        self._status_topic = status_topic
        self._offline_mid: int | None = None

    def ready_to_close(self, link: _Publishes, now: float) -> bool:
        """One turn of stopping; True once the link may be closed."""
        if self._offline_mid is None:
            if self._window.messages and now < self.deadline:
                return False
            mid = link.publish(self._status_topic, b"offline", retain=True)
            if mid is None:  # no room in the queue: the Last Will says it instead
                return True
            self._offline_mid = mid
            self._window.add(mid, None, None)
            self.deadline = max(self.deadline, now) + OFFLINE_WAIT_S
            return False
        return not (self._offline_mid in self._window.by_mid and now < self.deadline)

    def reset(self) -> None:
        """The connection dropped: a new one says "offline" afresh."""
        self._offline_mid = None
