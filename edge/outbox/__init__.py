"""Durable SQLite outbox: every event is committed here before anything else happens
to it, and leaves only when the broker acknowledged it, its TTL ran out, or the quota
forced an eviction by priority (never a CRITICAL event)."""

from edge.outbox.errors import (
    InvalidEventError,
    OutboxClosedError,
    OutboxError,
    OutboxFullError,
    OutboxStorageError,
)
from edge.outbox.readonly import OutboxMissingError, inspect_outbox
from edge.outbox.rows import OutboxMessage
from edge.outbox.stats import OutboxStats
from edge.outbox.store import Outbox

__all__ = [
    "InvalidEventError",
    "Outbox",
    "OutboxClosedError",
    "OutboxError",
    "OutboxFullError",
    "OutboxMessage",
    "OutboxMissingError",
    "OutboxStats",
    "OutboxStorageError",
    "inspect_outbox",
]
