"""The capture thread's sense of time, passed in so a test or a soak can replace it.

A camera that is unreachable for hours retries thousands of times; proving that the
capture thread survives that must not take hours. The watchdog heartbeat is not
part of this: it always runs on the real monotonic clock, because it exists to catch
a thread that is really stuck."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class CaptureClock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never steps (frame stamps, backoff deadlines)."""
        ...

    def wait(self, stop: threading.Event, timeout: float) -> bool:
        """Sleep up to `timeout` seconds or until `stop` is set; True if it was set."""
        ...


class SystemClock:
    """The real clock: time.monotonic, and waiting on the stop event."""

    def monotonic(self) -> float:
        return time.monotonic()

    def wait(self, stop: threading.Event, timeout: float) -> bool:
        return stop.wait(timeout)
