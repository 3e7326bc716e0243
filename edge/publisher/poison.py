"""Spotting a "poison message": one the broker answers by dropping the connection.

Some brokers drop the connection over a publish they will not take, without
advertising the limit in CONNACK (where it would be honoured before sending, see
`BrokerLink.publish`). Mosquitto 2.0.11 with `message_size_limit` is one: it answers
an oversized QoS 1 publish with PUBACK reason 0x95 *Packet too large*, a code MQTT v5
does not allow on PUBACK, so paho treats the packet as a protocol error and closes
the connection. After the reconnect the oldest unacknowledged row is sent first
again, so that one row would drop every connection and block everything behind it.

The rule: when the connection is closed N times in a row (`mqtt.poison_drops`) while
the same row is the oldest one awaiting its PUBACK, that row is set aside like a
broker refusal: kept in the outbox, retried after `rejected_retry_s`, counted and
explained. Only closed connections count; a broker that went quiet (keepalive
timeout, our own stall detection) says nothing about the message in flight, and
connect failures happen before anything is published."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PoisonWatch:
    threshold: int
    suspect: int | None = None  # row id at the head of the window at the last drop
    drops: int = 0  # consecutive drops with `suspect` at the head

    def connection_closed(self, head_row_id: int | None) -> bool:
        """Record a closed connection; `head_row_id` is the oldest row awaiting PUBACK
        (None when nothing was in flight: such a drop is not evidence either way).
        True when that row has now headed `threshold` drops in a row: set it aside."""
        if head_row_id is None:
            return False
        if head_row_id == self.suspect:
            self.drops += 1
        else:
            self.suspect, self.drops = head_row_id, 1
        if self.drops < self.threshold:
            return False
        self.suspect, self.drops = None, 0
        return True

    def reason(self, last: str) -> str:
        """Why a row was set aside, for the outbox, stats and the log (no payload)."""
        return (
            f"connection dropped {self.threshold} times in a row with this message awaiting PUBACK "
            f"(last: {last}); set aside so the rest can flow (a broker limit it does not advertise, "
            "e.g. Mosquitto message_size_limit?)"
        )
