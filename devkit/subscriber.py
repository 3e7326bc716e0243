"""A stand-in for the central server, for the demo and the tests: a paho client with a
persistent session (clean start false, session expiry) and QoS 1 subscriptions, as
docs/mqtt.md tells consumers to use, that records everything it receives.

It uses paho's own background thread and reconnect loop with short delays, so it
follows a broker through kills and restarts on its own; what it received is kept in
arrival order, duplicates included, because counting duplicates is part of what the
tests check."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from devkit.mosquitto import CENTRAL, wait_until

if TYPE_CHECKING:
    from devkit.mosquitto import LocalBroker
    from devkit.pki import CertFiles

SESSION_EXPIRY_S = 3600


class Received(NamedTuple):
    topic: str
    payload: bytes
    user_properties: dict[str, str]
    retained: bool


class CentralSubscriber:
    """Subscribes to `topic` (QoS 1) on host:port; `on_event` is called (from paho's
    thread) with every event envelope that arrives, duplicates included."""

    def __init__(
        self,
        host: str,
        port: int,
        topic: str = "devices/#",
        *,
        client_id: str = CENTRAL,
        tls: ssl.SSLContext | None = None,
        on_event: Callable[[dict], None] | None = None,
    ) -> None:
        self.host, self.port, self.topic = host, port, topic
        self.connects = 0
        self.subscribed = 0  # SUBACKs received: the subscription is active on the broker
        self._on_event = on_event
        self._lock = threading.Lock()
        self._messages: list[mqtt.MQTTMessage] = []
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5)
        c.reconnect_delay_set(0.05, 0.5)
        c.max_inflight_messages_set(1000)
        c.connect_timeout = 2.0
        if tls is not None:
            c.tls_set_context(tls)
        c.on_connect = self._on_connect
        c.on_subscribe = self._on_subscribe
        c.on_message = self._on_message
        self._client = c

    @classmethod
    def for_broker(
        cls,
        broker: LocalBroker,
        topic: str = "devices/#",
        *,
        client_id: str = CENTRAL,
        creds: CertFiles | None = None,
        on_event: Callable[[dict], None] | None = None,
    ) -> CentralSubscriber:
        """A subscriber for a local broker, presenting `creds` when it runs TLS."""
        return cls(
            broker.host,
            broker.port,
            topic,
            client_id=client_id,
            tls=broker.client_tls(creds),
            on_event=on_event,
        )

    def start(self, timeout_s: float = 10.0) -> CentralSubscriber:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        self._client.connect_async(self.host, self.port, keepalive=5, clean_start=False, properties=props)
        self._client.loop_start()
        if not wait_until(lambda: self.subscribed > 0, timeout_s):
            self.stop()
            raise TimeoutError(f"subscriber could not connect and subscribe to {self.host}:{self.port}")
        return self

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def is_connected(self) -> bool:
        return self._client.is_connected()

    def _on_connect(self, client, _userdata, _flags, reason_code, _properties) -> None:
        if not reason_code.is_failure:
            client.subscribe(self.topic, qos=1)
            self.connects += 1

    def _on_subscribe(self, _client, _userdata, _mid, reason_codes, _properties) -> None:
        if all(not rc.is_failure for rc in reason_codes):
            self.subscribed += 1

    def _on_message(self, _client, _userdata, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self._messages.append(msg)
        if self._on_event is not None and "/events/" in msg.topic:
            self._on_event(json.loads(msg.payload))

    # -- what arrived ------------------------------------------------------------
    def raw(self) -> list[mqtt.MQTTMessage]:
        """Every message received (paho objects, with their v5 properties)."""
        with self._lock:
            return list(self._messages)

    def received(self) -> list[Received]:
        """(topic, payload, user properties, retained) of every message received."""
        return [
            Received(
                m.topic, m.payload, dict(getattr(m.properties, "UserProperty", None) or []), bool(m.retain)
            )
            for m in self.raw()
        ]

    def events(self) -> list[dict]:
        """Every event envelope received, duplicates included, in arrival order."""
        return [json.loads(m.payload) for m in self.raw() if "/events/" in m.topic]

    def event_ids(self) -> list[str]:
        """event_id of every event received, duplicates included, in arrival order."""
        return [e["event_id"] for e in self.events()]

    def unique_event_ids(self) -> set[str]:
        return set(self.event_ids())

    def last_retained(self, suffix: str) -> bytes | None:
        """Payload of the latest message on a topic ending with `suffix`."""
        for m in reversed(self.raw()):
            if m.topic.endswith(suffix):
                return m.payload
        return None
