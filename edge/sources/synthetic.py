"""Synthetic event source: produces `synthetic` events at a fixed rate.

Used by the demo and for commissioning a device before its camera or reader is
attached: it exercises the same outbox and broker path as real producers."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

from edge.contract.bodies import SyntheticBody
from edge.events import EventDraft, Priority
from firmware_config.synthetic import SyntheticSourceConfig

log = logging.getLogger(__name__)


class SyntheticSource:
    """Appends events through `append` (the outbox's) from its own thread."""

    def __init__(
        self,
        config: SyntheticSourceConfig,
        append: Callable[[EventDraft], object],
        *,
        clock_synced: Callable[[], bool] = lambda: False,
    ) -> None:
        self._config = config
        self._append = append
        self._clock_synced = clock_synced
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="synthetic-source", daemon=True)
        self.produced = 0
        self.failures = 0
        self._last_beat = time.monotonic()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def stats(self) -> dict[str, int]:
        return {"produced": self.produced, "failures": self.failures}

    def healthy(self) -> bool:
        done = self._config.count is not None and self.produced >= self._config.count
        return done or (self._thread.is_alive() and time.monotonic() - self._last_beat < 30)

    def _run(self) -> None:
        cfg = self._config
        period = 1.0 / cfg.rate_per_s
        next_at = time.monotonic()
        priority = Priority[cfg.priority.upper()]
        while not self._stop.is_set():
            if cfg.count is not None and self.produced >= cfg.count:
                log.info("synthetic source finished", extra={"produced": self.produced})
                return
            draft = EventDraft(
                type="synthetic",
                priority=priority,
                clock_synced=self._clock_synced(),
                occurred_at=datetime.now(timezone.utc),
                body=SyntheticBody(n=self.produced, padding="x" * cfg.payload_bytes).model_dump(),
            )
            try:
                self._append(draft)
                self.produced += 1
            except Exception as exc:  # the outbox reports why (e.g. full); keep producing
                self.failures += 1
                log.warning("synthetic event not stored: %s", exc)
            self._last_beat = time.monotonic()
            next_at += period
            self._stop.wait(max(0.0, next_at - time.monotonic()))
