"""The publisher: one thread that moves outbox rows to the broker.

Producers only append to the outbox and call `notify()`; they never wait for the
network. This thread owns the whole connection life cycle (paho's own reconnect and
background thread are not used): connect with a CONNACK deadline, keep up to
`inflight_window` QoS 1 publishes in flight, delete rows on a successful PUBACK, keep
and surface rows the broker refuses, detect a stalled broker, back off with full jitter
between attempts, and on `stop()` flush what is in flight and say "offline".

Delivery is at least once: when a connection drops, whatever was in flight is read
again from the outbox and re-published after the reconnect with the same event_id and
seq, so consumers may see duplicates (and must de-duplicate by event_id)."""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Protocol

from edge.publisher.backoff import Backoff
from edge.publisher.client import Acked, BrokerLink, Connected, Lost, Refused
from edge.publisher.errors import ConnectError, PublishRefused
from edge.publisher.stats import PublisherStats
from edge.publisher.tls import build_tls_context
from edge.publisher.topics import DeviceTopics
from edge.publisher.window import InFlight
from firmware_config.mqtt import MqttConfig

log = logging.getLogger(__name__)

CONTROL_SLOTS = 4  # paho queue room beyond the window for status and stats publishes
ACK_BATCH_AGE_S = 0.05  # longest an acknowledged row waits for its batched delete
IDLE_POLL_S = 0.02  # network loop wait when nothing is queued; bounds notify() latency
STORAGE_RETRY_S = 1.0


class OutboxPort(Protocol):
    """What the publisher needs of the outbox (edge.outbox.Outbox provides it)."""

    def pending(self, limit: int, exclude: Collection[int] = ()) -> list[Any]: ...
    def ack(self, row_ids: Iterable[int]) -> None: ...
    def reject(self, row_id: int, reason: str, retry_at: float) -> None: ...
    def stats(self) -> Any: ...
    def note_error(self, message: str) -> None: ...


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
    ) -> None:
        """`stats_source` adds an "extra" object to the stats topic (e.g. producer
        counters); `on_acked` is called from the publisher thread with the row ids of
        each batch once it is deleted from the outbox (used by `edge selftest`)."""
        self._config = config
        self._device_id = device_id
        self._outbox = outbox
        self._stats_source = stats_source
        self._on_acked = on_acked
        # Built now so a bad key or passphrase stops start-up instead of looping forever.
        self._tls = build_tls_context(config.tls, credentials_dir) if config.tls is not None else None
        self.topics = DeviceTopics(config.topic_prefix, device_id)
        self.stats = PublisherStats()
        self._backoff = Backoff(config.reconnect_min_s, config.reconnect_max_s)
        self._window: InFlight[Any] = InFlight(config.inflight_window)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._flush_deadline = 0.0
        self._beat = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="mqtt-publisher", daemon=True)
        self._link: BrokerLink | None = None
        self._connected = False
        self._connack_deadline = 0.0
        self._next_attempt = 0.0
        self._next_poll = 0.0
        self._next_stats = 0.0
        self._backlog = True
        self._last_progress = 0.0
        self._offline_mid: int | None = None
        self._reject_log_at: dict[str, float] = {}

    # -- public interface ---------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def notify(self) -> None:
        """Called after an append: publish soon. Cheap and never blocks."""
        self._wake.set()

    def stop(self, flush_timeout_s: float = 5.0) -> None:
        """Stop taking new rows, wait up to `flush_timeout_s` for in-flight PUBACKs,
        publish retained "offline", disconnect cleanly and join the thread."""
        self._flush_deadline = time.monotonic() + flush_timeout_s
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(flush_timeout_s + 2 * self._config.connect_timeout_s + 2.0)
            if self._thread.is_alive():
                log.error("publisher thread did not stop in time")

    def healthy(self) -> bool:
        """The loop is alive and still turning. Being disconnected is not unhealthy
        (restarting would not bring the broker back); a wedged loop is."""
        limit = max(30.0, 3 * self._config.connect_timeout_s + 2 * self._config.keepalive_s)
        return self._thread.is_alive() and time.monotonic() - self._beat < limit

    def snapshot(self) -> dict[str, Any]:
        snap = self.stats.snapshot()
        snap["inflight_window"] = self._window.size
        return snap

    # -- the loop -----------------------------------------------------------------
    def _run(self) -> None:
        try:
            while self._step():
                self._beat = time.monotonic()
        finally:
            if self._link is not None:
                self._link.abort()
                self._link = None
            self._flush_acks()
            self.stats.set_state("stopped")

    def _step(self) -> bool:
        """One turn of the loop; False when the thread should end."""
        now = time.monotonic()
        if self._link is None:
            if self._stopping.is_set():
                return False
            if now < self._next_attempt:
                self._stopping.wait(min(self._next_attempt - now, 1.0))
            else:
                self._open()
            return True
        busy = self._connected and self._backlog and self._window.free() > 0
        for event in self._link.poll(0.0 if busy else IDLE_POLL_S):
            self._handle(event)
        if self._link is None:
            return True
        now = time.monotonic()
        if not self._connected:
            if self._stopping.is_set():
                self._drop(None)
                return False
            if now > self._connack_deadline:
                self._drop(f"no CONNACK within {self._config.connect_timeout_s:g}s", connecting=True)
            return True
        try:
            if self._window.ack_batch_due(ACK_BATCH_AGE_S):
                self._flush_acks()
            if self._stalled(now):
                self._drop(f"no PUBACK for {1.5 * self._config.keepalive_s:g}s: broker stalled")
                return True
            if self._stopping.is_set():
                return self._flush_and_close(now)
            self._fill(now)
            if now >= self._next_stats:
                self._next_stats = now + self._config.stats_interval_s
                self._publish_stats()
        except sqlite3.Error as exc:
            self.stats.error(f"outbox: {exc}")
            log.error("outbox access failed; retrying", extra={"error": str(exc)})
            self._stopping.wait(STORAGE_RETRY_S)
        return True

    def _open(self) -> None:
        self.stats.set_state("connecting")
        self._link = BrokerLink(
            self._config,
            self._device_id,
            will_topic=self.topics.status,
            tls_context=self._tls,
            max_messages=self._config.inflight_window + CONTROL_SLOTS,
        )
        try:
            self._link.open()
        except ConnectError as exc:
            self._link = None
            self._schedule_retry(f"connect failed: {exc}", connecting=True)
            return
        self._connack_deadline = time.monotonic() + self._config.connect_timeout_s

    def _handle(self, event: object) -> None:
        if isinstance(event, Acked):
            self._on_ack(event)
        elif isinstance(event, Connected):
            self._on_connected(event)
        elif isinstance(event, Refused):
            reason = f"broker refused the connection: {event.reason} (0x{event.code:02x})"
            self._outbox.note_error(reason)  # surfaced in stats and `edge outbox status`
            self._drop(reason, connecting=True)
        elif isinstance(event, Lost):
            self._drop(f"connection lost: {event.reason}", connecting=not self._connected)

    def _on_connected(self, event: Connected) -> None:
        assert self._link is not None
        self._connected = True
        self._backoff.reset()
        limit = self._config.inflight_window
        if event.receive_maximum:  # the broker's cap includes our one status publish
            limit = min(limit, event.receive_maximum - 1)
        self._window.size = max(1, limit)
        self.stats.set_state("connected")
        log.info(
            "connected to broker",
            extra={"broker": f"{self._config.host}:{self._config.port}", "window": self._window.size},
        )
        self._last_progress = time.monotonic()
        self._backlog = True
        self._next_stats = 0.0
        mid = self._link.publish(self.topics.status, b"online", retain=True)
        if mid is not None:
            self._window.add(mid, None, None)

    def _on_ack(self, event: Acked) -> None:
        known, message = self._window.resolve(event.mid)
        if not known:
            return
        self._last_progress = time.monotonic()
        if message is None:  # status or stats publish
            return
        if event.ok:
            self._window.mark_acked(message.row_id)
            self.stats.count(acked=1, inflight=self._window.messages)
        else:
            self._reject(message, f"{event.reason} (0x{event.code:02x})")

    def _reject(self, message: Any, reason: str) -> None:
        """Keep the row: the outbox holds it back until `rejected_retry_s` has passed."""
        self._outbox.reject(message.row_id, reason, time.time() + self._config.rejected_retry_s)
        self.stats.count(rejected=1, inflight=self._window.messages)
        self.stats.error(f"rejected {message.topic_suffix}: {reason}")
        last = self._reject_log_at.get(reason, 0.0)
        if time.monotonic() - last > 10.0:  # one line per reason per 10 s, never the payload
            self._reject_log_at[reason] = time.monotonic()
            log.warning(
                "broker rejected a publish; kept in the outbox for retry",
                extra={"reason": reason, "row_id": message.row_id, "topic": message.topic_suffix},
            )

    def _fill(self, now: float) -> None:
        window = self._window
        free = window.free()
        if free <= 0:
            return
        woken = self._wake.is_set()
        if not (woken or self._backlog or now >= self._next_poll):
            return
        if self._backlog and not woken and window.messages and free < max(1, window.size // 4):
            return  # let acks accumulate: one read for many rows
        self._wake.clear()
        self._next_poll = now + self._config.poll_interval_s
        rows = self._outbox.pending(free, exclude=window.excluded())
        self._backlog = len(rows) == free
        assert self._link is not None
        for message in rows:
            expiry = message.expires_at
            try:
                mid = self._link.publish(
                    self.topics.message(message.topic_suffix),
                    message.payload,
                    content_type=message.content_type,
                    expiry_s=None if expiry is None else max(1, math.ceil(expiry - time.time())),
                    user_properties=(("event_id", message.event_id), ("seq", str(message.seq))),
                )
            except PublishRefused as exc:  # would never be accepted as it is: kept and surfaced
                self._reject(message, str(exc))
                continue
            if mid is None:
                self._backlog = True
                break
            if not window.messages:
                self._last_progress = time.monotonic()
            window.add(mid, message.row_id, message)
            self.stats.count(published=1, inflight=window.messages)

    def _stalled(self, now: float) -> bool:
        return bool(self._window.by_mid) and now - self._last_progress > 1.5 * self._config.keepalive_s

    def _publish_stats(self) -> None:
        assert self._link is not None
        payload: dict[str, Any] = {
            "device_id": self._device_id,
            "ts": round(time.time(), 3),
            "connection": self.snapshot(),
            "outbox": self._outbox.stats().as_dict(),
        }
        if self._stats_source is not None:
            payload["extra"] = dict(self._stats_source())
        try:
            self._link.publish(self.topics.stats, json.dumps(payload).encode(), qos=0, retain=True)
        except PublishRefused as exc:  # stats are best effort; events must keep flowing
            self.stats.error(f"stats not published: {exc}")

    def _flush_and_close(self, now: float) -> bool:
        """Stopping: wait for in-flight PUBACKs (bounded), then "offline", then DISCONNECT."""
        assert self._link is not None
        if self._offline_mid is None:
            if self._window.messages and now < self._flush_deadline:
                return True
            mid = self._link.publish(self.topics.status, b"offline", retain=True)
            if mid is None:  # no room in the queue: the Last Will says it instead
                return self._close_cleanly()
            self._offline_mid = mid
            self._window.add(mid, None, None)
            self._flush_deadline = max(self._flush_deadline, now) + 1.0
            return True
        if self._offline_mid in self._window.by_mid and now < self._flush_deadline:
            return True
        return self._close_cleanly()

    def _close_cleanly(self) -> bool:
        assert self._link is not None
        self._flush_acks()
        self._link.close()
        self._link = None
        self._connected = False
        log.info("disconnected from broker", extra={"unacked": self._window.connection_lost()})
        return False

    def _flush_acks(self) -> None:
        batch = self._window.take_acked()
        if batch:
            self._outbox.ack(batch)
            if self._on_acked is not None:
                self._on_acked(batch)

    def _drop(self, reason: str | None, *, connecting: bool = False) -> None:
        """Abandon the connection; what was in flight is re-read from the outbox later."""
        if self._link is not None:
            self._link.abort()
            self._link = None
        was_connected, self._connected = self._connected, False
        dropped = self._window.connection_lost()
        self._offline_mid = None
        if reason is None:
            return
        if was_connected:
            log.warning("broker connection lost", extra={"reason": reason, "requeued": dropped})
        self._schedule_retry(reason, connecting=connecting)

    def _schedule_retry(self, reason: str, *, connecting: bool) -> None:
        delay = self._backoff.next_delay()
        self._next_attempt = time.monotonic() + delay
        self.stats.failure(connect=connecting, message=reason)
        self.stats.set_state("disconnected")
        if connecting:
            log.info(
                "broker connection attempt failed", extra={"reason": reason, "retry_in_s": round(delay, 2)}
            )
