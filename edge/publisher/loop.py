"""The publisher's loop: one connection life cycle after another, one turn at a time.

Owned and driven by the publisher thread (`Publisher`); paho's own reconnect and
background thread are not used, so reconnect policy, timeouts and what is in flight
are decided here: connect with a CONNACK deadline, keep up to `inflight_window` QoS 1
publishes in flight, delete rows on a successful PUBACK (in batches), keep and surface
rows the broker refuses or keeps dropping the connection over (edge.publisher.poison),
detect a stalled broker, back off with full jitter between attempts
(edge.publisher.retry), and when stopping flush what is in flight and say "offline"
(edge.publisher.shutdown).

When a connection drops, whatever was in flight is read again from the outbox and
re-published after the reconnect with the same event_id and seq (at least once)."""

from __future__ import annotations

import logging
import sqlite3
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from edge.outbox.errors import OutboxError
from edge.publisher.acker import Acker
from edge.publisher.client import BrokerLink
from edge.publisher.commands import CommandChannel
from edge.publisher.control import publish_stats, send_replies
from edge.publisher.errors import ConnectError
from edge.publisher.feeder import Feeder
from edge.publisher.link_events import Acked, Connected, Lost, Received, Refused
from edge.publisher.poison import PoisonWatch
from edge.publisher.ports import OutboxPort
from edge.publisher.rejects import Rejections
from edge.publisher.retry import RetryTimer
from edge.publisher.shutdown import Shutdown
from edge.publisher.stats import PublisherStats
from edge.publisher.topics import DeviceTopics
from edge.publisher.wakeup import Wakeup
from edge.publisher.window import InFlight
from edge.remote.messages import Incoming
from firmware_config.mqtt import MqttConfig

log = logging.getLogger(__name__)

CONTROL_SLOTS = 4  # paho queue room beyond the window for status and stats publishes
IDLE_POLL_S = 0.05  # longest select() wait: timers (CONNACK, stats, polling) are checked this often
STORAGE_RETRY_S = 1.0


class PublishLoop:
    def __init__(
        self,
        config: MqttConfig,
        device_id: str,
        outbox: OutboxPort,
        *,
        tls: ssl.SSLContext | None,
        stats: PublisherStats,
        wake: Wakeup,
        stopping: threading.Event,
        stats_source: Callable[[], Mapping[str, Any]] | None = None,
        on_acked: Callable[[list[int]], None] | None = None,
        commands: CommandChannel | None = None,
    ) -> None:
        self._config = config
        self._commands = commands
        self._device_id = device_id
        self._outbox = outbox
        self._tls = tls
        self.stats = stats
        self._wake = wake
        self._stopping = stopping
        self._stats_source = stats_source
        self.acker = Acker(outbox, stats, on_acked)
        self.topics = DeviceTopics(config.topic_prefix, device_id)
        self._retry = RetryTimer(config, stats)
        self.window: InFlight[Any] = InFlight(config.inflight_window)
        self.shutdown = Shutdown(self.window, self.topics.status)
        self._link: BrokerLink | None = None
        self._connected = False
        self._next_poll = 0.0
        self._next_stats = 0.0
        self._last_progress = 0.0
        self._acked_in_turn = 0
        self._rejections = Rejections(outbox, stats, config.rejected_retry_s)
        self._poison = PoisonWatch(config.poison_drops)
        self._feeder = Feeder(outbox, self.window, self.acker, self._rejections, stats, self.topics)

    def finish(self) -> None:
        """Thread exit: drop any connection and delete what was acknowledged."""
        if self._link is not None:
            self._link.abort()
            self._link = None
        self._flush_acks()
        self.acker.flush()
        self.stats.set_state("stopped")

    def step(self) -> bool:
        """One turn of the loop; False when the thread should end."""
        now = time.monotonic()
        if self._link is None:
            self._flush_acks()  # deletes come due while disconnected too
            if self._stopping.is_set():
                return False
            if not self._retry.due(now):
                self._stopping.wait(min(self._retry.wait_s(now), 1.0))
            else:
                self._open()
            return True
        # Work waiting (a refill is due): don't sleep. Otherwise wait for the socket,
        # which returns as soon as PUBACKs arrive.
        busy = self._connected and self.window.free() > 0 and self._feeder.has_work()
        wake = self._wake.fd if self._connected else None
        try:
            for event in self._link.poll(0.0 if busy else IDLE_POLL_S, wake):
                if self._link is None:  # dropped by an earlier event of this turn
                    break
                self._handle(event)  # a refusal writes to the outbox
        except (sqlite3.Error, OutboxError) as exc:
            self._storage_failed(exc)
        if self._acked_in_turn:
            self.stats.count(acked=self._acked_in_turn, inflight=self.window.messages)
            self._acked_in_turn = 0
        if self._link is None:
            return True
        now = time.monotonic()
        if not self._connected:
            if self._stopping.is_set():
                self._drop(None)
                return False
            if self._retry.connack_overdue(now):
                self._drop(f"no CONNACK within {self._config.connect_timeout_s:g}s", connecting=True)
            return True
        try:
            self._flush_acks()
            if self._stalled(now):
                self._drop(f"no PUBACK for {1.5 * self._config.keepalive_s:g}s: broker stalled")
                return True
            if self._stopping.is_set():
                return self._flush_and_close(now)
            self._fill(now)
            if self._commands is not None:
                self._send_replies()
            if now >= self._next_stats:
                self._next_stats = now + self._config.stats_interval_s
                self._publish_stats()
        except (sqlite3.Error, OutboxError) as exc:
            self._storage_failed(exc)
        return True

    def _storage_failed(self, exc: Exception) -> None:
        """The outbox could not be read or written (disk error, locked too long): say so
        and retry shortly; nothing is deleted that was not acknowledged."""
        self.stats.error(f"outbox: {exc}")
        log.error("outbox access failed; retrying", extra={"error": str(exc)})
        self._stopping.wait(STORAGE_RETRY_S)

    def _open(self) -> None:
        self.stats.set_state("connecting")
        self._link = BrokerLink(
            self._config,
            self._device_id,
            will_topic=self.topics.status,
            tls_context=self._tls,
            max_messages=self._config.inflight_window + CONTROL_SLOTS,
            max_incoming_packet=self._commands.max_packet if self._commands is not None else None,
        )
        try:
            self._link.open()
        except ConnectError as exc:
            self._link = None
            self._retry.failed(f"connect failed: {exc}", connecting=True)
            return
        self._retry.attempt_started(time.monotonic())

    def _handle(self, event: object) -> None:
        if isinstance(event, Acked):
            self._on_ack(event)
        elif isinstance(event, Connected):
            self._on_connected(event)
        elif isinstance(event, Refused):
            reason = f"broker refused the connection: {event.reason} (0x{event.code:02x})"
            self._drop(reason, connecting=True)
            self._outbox.note_error(reason)  # surfaced in stats and `edge outbox status`
        elif isinstance(event, Received):
            if self._commands is not None:
                self._commands.received_message(
                    Incoming(event.topic, event.payload, event.response_topic, event.correlation)
                )
        elif isinstance(event, Lost):
            head = self.window.oldest() if self._connected and not event.silent else None
            self._drop(f"connection lost: {event.reason}", connecting=not self._connected)
            if head is not None and self._poison.connection_closed(head.row_id):
                self._rejections.reject(head, self._poison.reason(event.reason), self.window.messages)
                self.stats.count(poisoned=1)  # after _drop: last_error names the message set aside

    def _on_connected(self, event: Connected) -> None:
        assert self._link is not None
        self._connected = True
        self._retry.connected()
        limit = self._config.inflight_window
        if event.receive_maximum:  # the broker's cap includes our one status publish
            limit = min(limit, event.receive_maximum - 1)
        self.window.size = max(1, limit)
        self.stats.set_state("connected")
        log.info(
            "connected to broker",
            extra={"broker": f"{self._config.host}:{self._config.port}", "window": self.window.size},
        )
        self._last_progress = time.monotonic()
        self._feeder.backlog = True
        self._next_stats = 0.0
        mid = self._link.publish(self.topics.status, b"online", retain=True)
        if mid is not None:
            self.window.add(mid, None, None)
        if self._commands is not None:
            self._link.subscribe(self._commands.topic_filter)
            self._commands.connected = True

    def _send_replies(self) -> None:
        assert self._link is not None and self._commands is not None
        send_replies(self._link, self._commands, self.window, self.stats)

    def _on_ack(self, event: Acked) -> None:
        known, message = self.window.resolve(event.mid)
        if not known:
            return
        self._last_progress = time.monotonic()
        if message is None:  # status or stats publish
            return
        if event.ok:
            self.window.mark_acked(message.row_id)
            self._acked_in_turn += 1
        else:
            self._rejections.reject(message, f"{event.reason} (0x{event.code:02x})", self.window.messages)

    def _fill(self, now: float) -> None:
        poll_due = now >= self._next_poll
        if poll_due:  # rows behind the read-ahead may be due again (retries)
            self._feeder.rewind()
        if poll_due or self._wake.pending():
            self._wake.clear()  # before the read: a later append wakes us again
            self._next_poll = now + self._config.poll_interval_s
            self._feeder.backlog = True  # something may have been appended
        was_idle = not self.window.messages
        assert self._link is not None
        self._feeder.feed(self._link)
        if was_idle and self.window.messages:
            self._last_progress = time.monotonic()  # the stall clock starts now

    def _stalled(self, now: float) -> bool:
        return bool(self.window.by_mid) and now - self._last_progress > 1.5 * self._config.keepalive_s

    def _publish_stats(self) -> None:
        assert self._link is not None
        extra = dict(self._stats_source()) if self._stats_source is not None else None
        publish_stats(self._link, self.topics, self.stats, self.window.size, self._outbox, extra)

    def _flush_and_close(self, now: float) -> bool:
        """Stopping: in-flight PUBACKs, then "offline", then DISCONNECT (edge.publisher.shutdown)."""
        assert self._link is not None
        return self._close_cleanly() if self.shutdown.ready_to_close(self._link, now) else True

    def _close_cleanly(self) -> bool:
        assert self._link is not None
        self._flush_acks()
        self._link.close()
        self._link = None
        self._connected = False
        if self._commands is not None:
            self._commands.connected = False
        self._feeder.forget()
        log.info("disconnected from broker", extra={"unacked": self.window.connection_lost()})
        return False

    def _flush_acks(self) -> None:
        self.acker.submit(self.window.take_acked(), idle=not self.window.messages)

    def _drop(self, reason: str | None, *, connecting: bool = False) -> None:
        """Abandon the connection; what was in flight is re-read from the outbox later."""
        if self._link is not None:
            self._link.abort()
            self._link = None
        was_connected, self._connected = self._connected, False
        if self._commands is not None:
            self._commands.connected = False
        dropped = self.window.connection_lost()
        self._feeder.forget()  # still in the outbox; read again after the reconnect
        self.shutdown.reset()
        if reason is None:
            return
        if was_connected:
            log.warning("broker connection lost", extra={"reason": reason, "requeued": dropped})
        self._retry.failed(reason, connecting=connecting)
