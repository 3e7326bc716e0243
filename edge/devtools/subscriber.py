"""A stand-in for the central server: subscribes to every device's topics with a
persistent session (QoS 1), records what arrives, and de-duplicates by event_id the
way the contract tells consumers to."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties


@dataclass
class Received:
    topic: str
    payload: bytes
    retained: bool


@dataclass
class CentralSubscriber:
    host: str
    port: int
    client_id: str = "central"
    tls_files: tuple[Path, Path, Path] | None = None  # (ca, cert, key)
    topic: str = "devices/#"
    on_event: Callable[[dict], None] | None = None
    messages: list[Received] = field(default_factory=list)
    event_counts: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.connected = threading.Event()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5
        )
        if self.tls_files:
            ca, cert, key = self.tls_files
            self._client.tls_set(ca_certs=str(ca), certfile=str(cert), keyfile=str(key))
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._client.reconnect_delay_set(0.2, 2)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if not reason_code.is_failure:
            client.subscribe(self.topic, qos=1)
            self.connected.set()

    def _on_message(self, client, userdata, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(Received(msg.topic, msg.payload, bool(msg.retain)))
            if "/events/" in msg.topic:
                event = json.loads(msg.payload)
                self.event_counts[event["event_id"]] += 1
                if self.on_event:
                    self.on_event(event)

    def start(self, timeout_s: float = 10.0) -> CentralSubscriber:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        self._client.connect_async(
            "127.0.0.1" if self.host == "localhost" else self.host,
            self.port,
            keepalive=5,
            clean_start=False,
            properties=props,
        )
        self._client.loop_start()
        if not self.connected.wait(timeout_s):
            raise TimeoutError("subscriber could not connect")
        return self

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def events(self) -> list[dict]:
        with self._lock:
            return [json.loads(m.payload) for m in self.messages if "/events/" in m.topic]

    def unique_event_ids(self) -> set[str]:
        with self._lock:
            return set(self.event_counts)

    def last_retained(self, suffix: str) -> bytes | None:
        with self._lock:
            for m in reversed(self.messages):
                if m.topic.endswith(suffix):
                    return m.payload
        return None
