"""Frames and the bounded queue between a capture thread and inference.

The queue drops the *oldest* frame when full: for a live camera the newest frame is
the one worth analysing, and a queue that only grows would turn a slow detector into
unbounded memory use and ever-growing latency. Drops are counted so stats show it."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime

import numpy as np


@dataclass(frozen=True, eq=False)
class Frame:
    """One decoded BGR image, time-stamped when it was captured (not when analysed)."""

    camera_id: str
    seq: int
    image: np.ndarray
    captured_at: datetime
    """Wall-clock UTC time at capture, for event timestamps."""
    monotonic: float
    """`time.monotonic()` at capture, for intervals (immune to clock steps)."""


class FrameQueue:
    """Thread-safe bounded FIFO. `put` never blocks unless `lossless` (used when
    replaying files as fast as possible, where nothing is live and every frame counts)."""

    def __init__(self, maxsize: int, *, lossless: bool = False) -> None:
        if maxsize < 1:
            raise ValueError("queue size must be at least 1")
        self.maxsize = maxsize
        self.lossless = lossless
        self._items: deque[Frame] = deque()
        self._cond = threading.Condition()
        self.dropped = 0
        self._closed = False

    def put(self, frame: Frame, stop: threading.Event | None = None) -> None:
        with self._cond:
            if self.lossless:
                while len(self._items) >= self.maxsize and not self._closed:
                    if stop is not None and stop.is_set():
                        return
                    self._cond.wait(0.1)
            elif len(self._items) >= self.maxsize:
                self._items.popleft()
                self.dropped += 1
            self._items.append(frame)
            self._cond.notify_all()

    def get(self, timeout: float | None = None) -> Frame | None:
        """Next frame, or None after `timeout` seconds (or once closed and empty)."""
        with self._cond:
            if not self._items and not self._closed:
                self._cond.wait(timeout)
            if not self._items:
                return None
            frame = self._items.popleft()
            self._cond.notify_all()
            return frame

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)
