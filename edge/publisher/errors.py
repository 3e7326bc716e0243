"""Typed publisher errors: start-up problems the daemon must refuse to run with,
apart from transient network failures the publisher retries on its own."""

from __future__ import annotations


class PublisherError(Exception):
    """Base class for publisher errors."""


class TlsSetupError(PublisherError):
    """The CA, the device certificate, its key or the key passphrase cannot be loaded.
    Retrying will not help: the daemon refuses to start and says which file is wrong."""


class ConnectError(PublisherError):
    """A connection attempt failed before CONNECT could be sent (refused, unreachable,
    TLS handshake rejected or timed out). The publisher backs off and retries."""


class PublishRefused(PublisherError):
    """The MQTT client refused a message locally (e.g. a payload beyond the MQTT size
    limit); it never reached the broker and is rejected like a broker refusal."""
