"""The publisher: one thread that moves outbox rows to the broker.

Producers only append to the outbox and call `notify()`; they never wait for the
network. The thread runs `PublishLoop` (edge.publisher.loop), which owns the whole
connection life cycle. Delivery is at least once: after a lost connection whatever was
in flight is published again, with the same event_id and seq, so consumers
de-duplicate by event_id."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from edge.publisher.commands import CommandChannel
from edge.publisher.loop import PublishLoop
from edge.publisher.ports import OutboxPort
from edge.publisher.stats import PublisherStats
from edge.publisher.tls import build_tls_context
from edge.publisher.topics import DeviceTopics
from edge.publisher.wakeup import Wakeup
from firmware_config.mqtt import MqttConfig

log = logging.getLogger(__name__)


class Publisher:
    def __init__(
        self,
        config: MqttConfig,
        device_id: str,
        outbox: OutboxPort,
        *,
        stats_source: Callable[[], Mapping[str, Any]] | None = None,
        credentials_dir: str | None = None,
        on_acked: Callable[[list[int]], None] | None = None,
        commands: CommandChannel | None = None,
    ) -> None:
        """`stats_source` adds an "extra" object to the stats topic (e.g. producer
        counters); `credentials_dir` overrides $CREDENTIALS_DIRECTORY for the key
        passphrase; `on_acked` is called from the publisher thread with the row ids of
        each batch once it is deleted from the outbox (used by `edge selftest` and the
        benchmark); `commands` subscribes the command topic and sends its replies.
        Raises TlsSetupError at once for an unusable CA, certificate, key or passphrase."""
        self._config = config
        self.stats = PublisherStats()
        self._wake = Wakeup()
        self._stopping = threading.Event()
        tls = build_tls_context(config.tls, credentials_dir) if config.tls is not None else None
        self._loop = PublishLoop(
            config,
            device_id,
            outbox,
            tls=tls,
            stats=self.stats,
            wake=self._wake,
            stopping=self._stopping,
            stats_source=stats_source,
            on_acked=on_acked,
            commands=commands,
        )
        if commands is not None:
            commands.attach(self._wake)
        self._beat = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="mqtt-publisher", daemon=True)

    @property
    def topics(self) -> DeviceTopics:
        return self._loop.topics

    def start(self) -> None:
        self._thread.start()

    def notify(self) -> None:
        """Called after an append: publish now. Cheap and never blocks."""
        self._wake.set()

    def stop(self, flush_timeout_s: float = 5.0) -> None:
        """Stop taking new rows, wait up to `flush_timeout_s` for in-flight PUBACKs,
        publish retained "offline", disconnect cleanly and join the thread."""
        self._loop.shutdown.deadline = time.monotonic() + flush_timeout_s
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(flush_timeout_s + 2 * self._config.connect_timeout_s + 2.0)
            if self._thread.is_alive():
                log.error("publisher thread did not stop in time")
                return
        self._wake.close()  # also when start() was never called

    def healthy(self) -> bool:
        """The loop is alive and still turning. Being disconnected is not unhealthy
        (restarting would not bring the broker back); a wedged loop is."""
        limit = max(30.0, 3 * self._config.connect_timeout_s + 2 * self._config.keepalive_s)
        return self._thread.is_alive() and time.monotonic() - self._beat < limit

    def connected(self) -> bool:
        return self.stats.state == "connected"

    def snapshot(self) -> dict[str, Any]:
        """Connection state and counters (the "connection" part of the stats topic)."""
        snap = self.stats.snapshot()
        snap["inflight_window"] = self._loop.window.size
        return snap

    def _run(self) -> None:
        try:
            while self._loop.step():
                self._beat = time.monotonic()
        finally:
            self._loop.finish()
            self._wake.close()
