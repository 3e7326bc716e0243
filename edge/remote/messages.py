"""The two plain messages exchanged with the publisher (edge.publisher.commands): a
command as it arrived, and a reply to send. Data only: no MQTT client in sight."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Incoming:
    """A message received on PREFIX/DEV/commands/#, with its MQTT v5 request properties."""

    topic: str
    payload: bytes
    response_topic: str | None = None
    correlation: bytes | None = None


@dataclass(frozen=True)
class Reply:
    """A reply to publish (QoS 1, JSON) with the request's correlation data."""

    topic: str
    payload: bytes
    correlation: bytes | None = None
