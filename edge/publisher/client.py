"""The one module that talks to paho-mqtt.

`BrokerLink` is a single connection: a fresh paho client per attempt, driven by the
caller's thread through `poll()`. A new client per attempt matters: paho keeps
unacknowledged publishes in RAM and re-sends them on reconnect, but the outbox is the
only source of truth for what is sent, so after a disconnect everything in flight is
simply read again from the outbox; a discarded client takes its RAM queue with it.
The paho queue is capped at `max_messages`, so it can never grow without bound.
Callbacks only append small event records to a list that `poll()` hands back: all
decisions are made by the publisher loop, never inside paho."""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties, VariableByteIntegers

from edge.publisher.errors import ConnectError, PublishRefused
from edge.publisher.properties import PublishProperties
from firmware_config.mqtt import MqttConfig

FAILURE_CODE = 0x80  # MQTT v5: reason codes >= 0x80 are failures
KEEPALIVE_TIMEOUT = 0x8D  # DISCONNECT reason paho reports when the broker stopped answering


@dataclass(frozen=True)
class Connected:
    receive_maximum: int | None  # the broker's limit on our QoS 1 publishes in flight
    maximum_packet_size: int | None  # bigger packets make the broker drop the connection
    session_present: bool


@dataclass(frozen=True)
class Refused:
    """CONNACK with a failure reason code (e.g. not authorised, bad client id)."""

    code: int
    reason: str


@dataclass(frozen=True)
class Lost:
    reason: str
    #: the broker went quiet (keepalive timeout) rather than closing the connection
    silent: bool = False


class Acked(NamedTuple):  # a tuple: one is made per PUBACK, on the hot path
    mid: int
    code: int  # v5 PUBACK reason code; 0 or 0x10 (no matching subscribers) are success
    reason: str

    @property
    def ok(self) -> bool:
        return self.code < FAILURE_CODE


class Received(NamedTuple):
    """A message from a subscription (the device's command topic), with its v5 request
    properties."""

    topic: str
    payload: bytes
    response_topic: str | None
    correlation: bytes | None


LinkEvent = Connected | Refused | Lost | Acked | Received


def _set_cork(sock: socket.socket, on: bool) -> bool:
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, int(on))
    except (AttributeError, OSError):  # not Linux, or the socket just closed
        return False
    return True


def _packet_size(topic: str, payload: bytes, qos: int, props: Properties | None) -> int:
    """Size of the PUBLISH packet on the wire, as the broker's Maximum Packet Size counts it."""
    remaining = (
        2 + len(topic.encode()) + (2 if qos else 0) + len(props.pack() if props else b"\0") + len(payload)
    )
    return 1 + len(VariableByteIntegers.encode(remaining)) + remaining


class _Inbox:
    """Event list shared with paho's callbacks (closures over this, not over the link,
    so a dropped link is freed at once without waiting for the cycle collector)."""

    def __init__(self) -> None:
        self.events: list[LinkEvent] = []
        self.lost = False


def _install_callbacks(client: mqtt.Client, inbox: _Inbox) -> None:
    def on_connect(_c, _u, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            inbox.events.append(Refused(reason_code.value, reason_code.getName()))
            return
        inbox.events.append(
            Connected(
                receive_maximum=getattr(properties, "ReceiveMaximum", None),
                maximum_packet_size=getattr(properties, "MaximumPacketSize", None),
                session_present=bool(flags.session_present),
            )
        )

    def on_disconnect(_c, _u, _flags, reason_code, _properties) -> None:
        if not inbox.lost:
            inbox.lost = True
            if reason_code is None:
                inbox.events.append(Lost("connection lost"))
            else:
                silent = reason_code.value == KEEPALIVE_TIMEOUT
                inbox.events.append(Lost(reason_code.getName(), silent=silent))

    def on_publish(_c, _u, mid, reason_code, _properties) -> None:
        code = reason_code.value  # the name is only looked up for refusals (hot path)
        inbox.events.append(Acked(mid, code, reason_code.getName() if code >= FAILURE_CODE else ""))

    def on_message(_c, _u, msg: mqtt.MQTTMessage) -> None:
        props = msg.properties
        inbox.events.append(
            Received(
                msg.topic,
                bytes(msg.payload),
                getattr(props, "ResponseTopic", None),
                getattr(props, "CorrelationData", None),
            )
        )

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    client.on_publish = on_publish
    client.on_message = on_message


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
        self._inbox = _Inbox()
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
        _install_callbacks(client, self._inbox)
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
            size = _packet_size(topic, payload, qos, props)
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
        if self._max_packet is not None and _packet_size(topic, payload, 1, props) > self._max_packet:
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
        corked = sock is not None and _set_cork(sock, True)
        try:
            yield
        finally:
            if corked and self._client is not None:
                _set_cork(sock, False)

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
