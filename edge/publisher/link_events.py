"""What paho's callbacks report, as small records: the publisher loop makes every
decision itself, on its own thread, from the list `BrokerLink.poll()` hands back;
nothing is decided inside paho.

The callbacks are closures over an `Inbox`, not over the link, so a dropped link is
freed at once without waiting for the cycle collector."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import paho.mqtt.client as mqtt

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


class Inbox:
    """Event list shared with paho's callbacks (closures over this, not over the link,
    so a dropped link is freed at once without waiting for the cycle collector)."""

    def __init__(self) -> None:
        self.events: list[LinkEvent] = []
        self.lost = False


def install_callbacks(client: mqtt.Client, inbox: Inbox) -> None:
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
