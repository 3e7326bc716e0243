"""The central server's command side, for the tests, the benchmark and the demo: signs
commands with the central command key (Ed25519), publishes them on
`PREFIX/DEV/commands/NAME` with an MQTT v5 Response Topic and Correlation Data, and
collects the replies devices send back (`PREFIX/DEV/replies/...`)."""

from __future__ import annotations

import json
import os
import secrets
import socket
import ssl
import threading
import time
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from devkit.mosquitto import TOPIC_PREFIX, wait_until
from edge.remote.wire import CommandBody, encode_signed, public_key_b64

if TYPE_CHECKING:
    from devkit.mosquitto import LocalBroker
    from devkit.pki import CertFiles


def new_command_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def pinned_key(key: Ed25519PrivateKey) -> str:
    """What a device's `remote.command_key` holds for `key`."""
    return public_key_b64(key.public_key())


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def signed_command(
    key: Ed25519PrivateKey,
    device: str,
    command: str,
    params: dict[str, Any] | None = None,
    *,
    expires_in: float = 60.0,
    nonce: str | None = None,
) -> bytes:
    body = CommandBody(
        command=command,
        device=device,
        expires_at=int(time.time() + expires_in),
        nonce=nonce or new_nonce(),
        params=params or {},
    )
    return encode_signed(body, key)


class CentralCommander:
    def __init__(
        self,
        host: str,
        port: int,
        key: Ed25519PrivateKey,
        *,
        tls: ssl.SSLContext | None = None,
        client_id: str = "central-commands",
        prefix: str = TOPIC_PREFIX,
    ) -> None:
        self.host, self.port, self.key, self.prefix = host, port, key, prefix
        self._cond = threading.Condition()
        self._replies: list[tuple[str, bytes | None, dict]] = []
        self._acks: dict[int, int] = {}  # mid -> PUBACK reason code
        self._subscribed = False
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5)
        c.max_inflight_messages_set(100)
        if tls is not None:
            c.tls_set_context(tls)
        c.on_connect = self._on_connect
        c.on_subscribe = self._on_subscribe
        c.on_message = self._on_message
        c.on_publish = self._on_publish
        self._client = c

    @classmethod
    def for_broker(
        cls, broker: LocalBroker, key: Ed25519PrivateKey, creds: CertFiles | None = None, **kw: Any
    ) -> CentralCommander:
        return cls(broker.host, broker.port, key, tls=broker.client_tls(creds), **kw)

    def start(self, timeout_s: float = 10.0) -> CentralCommander:
        self._client.connect(self.host, self.port, keepalive=10, clean_start=True)
        self._client.loop_start()
        if not wait_until(lambda: self._subscribed, timeout_s):
            self.stop()
            raise TimeoutError("central commander could not subscribe to the replies")
        return self

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(self, client: mqtt.Client, *_a: Any) -> None:
        sock = client.socket()
        if sock is not None:  # no Nagle delay on small command publishes
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.subscribe(f"{self.prefix}/+/replies/#", qos=1)

    def _on_subscribe(self, _c, _u, _mid, reason_codes, _p) -> None:
        self._subscribed = all(not rc.is_failure for rc in reason_codes)

    def _on_message(self, _c, _u, msg: mqtt.MQTTMessage) -> None:
        corr = getattr(msg.properties, "CorrelationData", None)
        try:
            body = json.loads(msg.payload)
        except ValueError:
            body = {"unparsed": msg.payload.decode(errors="replace")}
        with self._cond:
            self._replies.append((msg.topic, corr, body))
            self._cond.notify_all()

    def _on_publish(self, _c, _u, mid, reason_code, _p) -> None:
        with self._cond:
            self._acks[mid] = reason_code.value
            self._cond.notify_all()

    # -- sending -------------------------------------------------------------------
    def publish_raw(
        self, device: str, payload: bytes, *, command: str = "x", response_topic: str | None = None
    ) -> bytes:
        """Publish `payload` as it is on DEV's command topic; returns the correlation data."""
        corr = os.urandom(8)
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = response_topic or f"{self.prefix}/{device}/replies/central"
        props.CorrelationData = corr
        self._client.publish(f"{self.prefix}/{device}/commands/{command}", payload, qos=1, properties=props)
        return corr

    def send(self, device: str, command: str, params: dict[str, Any] | None = None, **kw: Any) -> bytes:
        """Sign and publish; `kw` goes to `signed_command` (expires_in, nonce)."""
        return self.publish_raw(
            device, signed_command(self.key, device, command, params, **kw), command=command
        )

    def request(
        self,
        device: str,
        command: str,
        params: dict[str, Any] | None = None,
        *,
        timeout_s: float = 10.0,
        **kw: Any,
    ) -> dict:
        return self.wait_reply(self.send(device, command, params, **kw), timeout_s)

    # -- replies ---------------------------------------------------------------------
    def replies(self, corr: bytes) -> list[dict]:
        with self._cond:
            return [body for _t, c, body in self._replies if c == corr]

    def wait_reply(self, corr: bytes, timeout_s: float = 10.0, *, status: str | None = None) -> dict:
        """The first reply with correlation data `corr` (and `status`, when given)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                for _t, c, body in self._replies:
                    if c == corr and (status is None or body.get("status") == status):
                        return body
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [b for _t, c, b in self._replies if c == corr]
                    raise TimeoutError(
                        f"no reply{' ' + status if status else ''} within {timeout_s:g} s: {seen}"
                    )
                self._cond.wait(left)

    def all_replies(self) -> list[tuple[str, bytes | None, dict]]:
        with self._cond:
            return list(self._replies)
