"""The one module that talks to paho-mqtt.

`BrokerLink` is a single connection: a fresh paho client per attempt, driven by the
caller's thread through `poll()`. A new client per attempt matters: paho keeps
unacknowledged publishes in RAM and re-sends them on reconnect, but the outbox is the
only source of truth for what is sent, so after a disconnect everything in flight is
simply read again from the outbox; a discarded client takes its RAM queue with it.
The paho queue is capped at `max_messages`, so it can never grow without bound.
Callbacks only append small event records (edge.publisher.link_events) to a list that
`poll()` hands back: all decisions are made by the publisher loop, never inside paho."""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
from collections.abc import Iterator, Sequence

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from edge.publisher.errors import ConnectError, PublishRefused
from edge.publisher.link_events import (
    Acked,
    Connected,
    Inbox,
    LinkEvent,
    Lost,
    Received,
    Refused,
    install_callbacks,
)
from edge.publisher.packets import packet_size, set_cork
from edge.publisher.properties import PublishProperties
from firmware_config.mqtt import MqttConfig

__all__ = ["Acked", "BrokerLink", "Connected", "LinkEvent", "Lost", "Received", "Refused"]


class BrokerLink:
    """One MQTT v5 connection attempt and its lifetime; not thread-safe by design (the
    publisher thread is its only user)."""

    def __init__(
        self,
        config: MqttConfig,
        client_id: str,
        *,
        will_topic: str,
        tls_context: ssl.SSLContext | None,
        max_messages: int,
        max_incoming_packet: int | None = None,
    ) -> None:
        """`max_incoming_packet`: the Maximum Packet Size announced in CONNECT (the
        broker drops bigger messages for us); None announces none."""
        self._config = config
        self._max_incoming = max_incoming_packet
        self._inbox = Inbox()
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5
        )
        client.connect_timeout = config.connect_timeout_s
        # The publisher's own window decides how many publishes are in flight, and paho's
        # queue is capped at `max_messages`, so paho's in-flight cap is switched off:
        # with it on, paho rescans its whole message table on every PUBACK.
        client.max_inflight_messages_set(0)
        client.max_queued_messages_set(max_messages)
        client.will_set(will_topic, b"offline", qos=1, retain=True)
        if tls_context is not None:
            client.tls_set_context(tls_context)
        install_callbacks(client, self._inbox)
        self._client: mqtt.Client | None = client
        self._max_packet: int | None = None

    def open(self) -> None:
        """TCP (+ TLS handshake) and CONNECT, each bounded by `connect_timeout_s`. The
        CONNACK arrives later through `poll()`; a frozen broker accepts TCP and never
        answers, so the caller keeps its own CONNACK deadline."""
        assert self._client is not None
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self._config.session_expiry_s
        if self._max_incoming is not None:
            props.MaximumPacketSize = self._max_incoming
        try:
            rc = self._client.connect(
                self._config.host,
                self._config.port,
                keepalive=self._config.keepalive_s,
                clean_start=False,
                properties=props,
            )
        except (OSError, ssl.SSLError, ValueError) as exc:
            self.abort()
            raise ConnectError(f"{type(exc).__name__}: {exc}") from exc
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            self.abort()
            raise ConnectError(mqtt.error_string(rc))
        # Small writes (a PUBACK, then a command reply) must not wait for the broker's
        # delayed ACK (Nagle: ~40 ms each way); bursts of events stay packed by TCP_CORK.
        sock = self._client.socket()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def poll(self, timeout: float, wake: socket.socket | None = None) -> list[LinkEvent]:
        """Wait up to `timeout` for the socket (or for `wake` to become readable), let
        paho read, write and check keepalive, and return what happened.

        paho's external-loop calls are used rather than `loop()`, which would create a
        socket pair and write a byte into it on every publish to wake a thread we do
        not have."""
        client = self._client
        if client is not None and not self._inbox.lost:
            try:
                rc = self._turn(client, timeout, wake)
            except (OSError, ssl.SSLError, ValueError) as exc:
                rc = MQTTErrorCode.MQTT_ERR_CONN_LOST
                self._mark_lost(f"{type(exc).__name__}: {exc}")
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                self._mark_lost(mqtt.error_string(rc), silent=rc == MQTTErrorCode.MQTT_ERR_KEEPALIVE)
        events, self._inbox.events = self._inbox.events, []
        for event in events:
            if isinstance(event, Connected):
                self._max_packet = event.maximum_packet_size
        return events

    @staticmethod
    def _turn(client: mqtt.Client, timeout: float, wake: socket.socket | None) -> MQTTErrorCode:
        sock = client.socket()
        if sock is None:
            return MQTTErrorCode.MQTT_ERR_NO_CONN
        # TLS may hold decrypted bytes that select() cannot see.
        buffered = sock.pending() if isinstance(sock, ssl.SSLSocket) else 0
        rlist = [sock] if wake is None else [sock, wake]
        wlist = [sock] if client.want_write() else []
        readable, writable, _ = select.select(rlist, wlist, [], 0.0 if buffered else timeout)
        rc = MQTTErrorCode.MQTT_ERR_SUCCESS
        if buffered or sock in readable:
            rc = client.loop_read()
        if rc == MQTTErrorCode.MQTT_ERR_SUCCESS and sock in writable:
            rc = client.loop_write()
        if rc == MQTTErrorCode.MQTT_ERR_SUCCESS:
            rc = client.loop_misc()
        return rc

    def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int = 1,
        retain: bool = False,
        content_type: str | None = None,
        expiry_s: int | None = None,
        user_properties: Sequence[tuple[str, str]] = (),
    ) -> int | None:
        """Hand one message to paho; returns its mid, or None when there is no room in
        paho's capped queue (the caller tries again later)."""
        assert self._client is not None
        props = None
        if content_type is not None or expiry_s is not None or user_properties:
            props = PublishProperties(content_type, expiry_s, user_properties)
        if self._max_packet is not None:
            size = packet_size(topic, payload, qos, props)
            if size > self._max_packet:  # the broker would drop the connection, again and again
                raise PublishRefused(
                    f"Packet too large: {size} bytes, broker maximum packet size is {self._max_packet}"
                )
        try:
            info = self._client.publish(topic, payload, qos=qos, retain=retain, properties=props)
        except ValueError as exc:  # oversize payload or invalid topic: never sendable
            raise PublishRefused(str(exc)) from exc
        if info.rc == MQTTErrorCode.MQTT_ERR_QUEUE_SIZE:
            return None
        # rc NO_CONN: the socket just died; the Lost event follows and the row is re-read.
        return info.mid

    def subscribe(self, topic_filter: str) -> None:
        """QoS 1 subscription (the persistent session keeps it, and what arrives while
        the device is offline, across reconnects)."""
        assert self._client is not None
        self._client.subscribe(topic_filter, qos=1)

    def publish_reply(self, topic: str, payload: bytes, correlation: bytes | None) -> int | None:
        """A command reply: QoS 1, JSON, with the request's correlation data."""
        assert self._client is not None
        props = Properties(PacketTypes.PUBLISH)
        props.ContentType = "application/json"
        if correlation is not None:
            props.CorrelationData = correlation
        if self._max_packet is not None and packet_size(topic, payload, 1, props) > self._max_packet:
            raise PublishRefused(f"reply too large for the broker's maximum packet size {self._max_packet}")
        info = self._client.publish(topic, payload, qos=1, properties=props)
        return None if info.rc == MQTTErrorCode.MQTT_ERR_QUEUE_SIZE else info.mid

    @contextlib.contextmanager
    def burst(self) -> Iterator[None]:
        """Publishes made inside leave as few TCP segments, not one each.

        paho writes every publish to the socket at once; on a loopback or LAN link each
        small write is its own segment, which costs the sender, the kernel and the
        broker a wake-up per message (a third of the client CPU of a drain). Corking
        the socket for one burst lets the kernel pack the burst into full segments,
        sent when the burst ends. Linux only (TCP_CORK); elsewhere a no-op."""
        sock = self._client.socket() if self._client is not None else None
        corked = sock is not None and set_cork(sock, True)
        try:
            yield
        finally:
            if corked and self._client is not None:
                set_cork(sock, False)

    def close(self) -> None:
        """Normal DISCONNECT (the broker then discards the Last Will) and close."""
        client = self._client
        if client is not None and client.is_connected():
            client.disconnect()
            client.loop(0.0)
        self.abort()

    def abort(self) -> None:
        """Drop the connection without DISCONNECT, so the broker publishes the Last Will
        (used after a CONNACK timeout or a stalled broker)."""
        client, self._client = self._client, None
        self._inbox.lost = True
        if client is not None:
            sock = client.socket()
            if sock is not None:
                sock.close()

    def _mark_lost(self, reason: str, *, silent: bool = False) -> None:
        if not self._inbox.lost:
            self._inbox.lost = True
            self._inbox.events.append(Lost(reason, silent=silent))
