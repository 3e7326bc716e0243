"""MQTT publisher: moves outbox rows to the broker (MQTT v5, QoS 1, mutual TLS)."""

from edge.publisher.commands import CommandChannel
from edge.publisher.errors import ConnectError, PublisherError, PublishRefused, TlsSetupError
from edge.publisher.publisher import Publisher
from edge.publisher.topics import DeviceTopics

__all__ = [
    "CommandChannel",
    "ConnectError",
    "DeviceTopics",
    "PublishRefused",
    "Publisher",
    "PublisherError",
    "TlsSetupError",
]
