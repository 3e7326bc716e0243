"""Hand-over of accepted screen actions from the HTTP threads to the service thread.

`act()` validates an action against the current state in the caller's thread and,
if it fits, posts it here; the service thread waits for the kinds of input its
current step can use. One condition variable, no polling."""

from __future__ import annotations

import threading
import time
from typing import Any


class Inbox:
    def __init__(self, stop: threading.Event) -> None:
        self._cond = threading.Condition()
        self._items: dict[str, Any] = {}
        self._stop = stop

    def post(self, kind: str, value: Any = None) -> None:
        with self._cond:
            self._items[kind] = value
            self._cond.notify_all()

    def clear(self) -> None:
        with self._cond:
            self._items.clear()

    def take(self, kinds: tuple[str, ...], timeout_s: float) -> tuple[str, Any] | None:
        """The first posted input of these kinds, waiting at most `timeout_s`; None on
        timeout or when the service is stopping. Inputs of other kinds stay posted."""
        end = time.monotonic() + max(0.0, timeout_s)
        with self._cond:
            while True:
                for kind in kinds:
                    if kind in self._items:
                        return kind, self._items.pop(kind)
                left = end - time.monotonic()
                if left <= 0 or self._stop.is_set():
                    return None
                self._cond.wait(min(left, 0.5))

    def stopping(self) -> bool:
        return self._stop.is_set()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()
