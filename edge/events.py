"""The event model every producer emits and the central server consumes.

A producer builds an `EventDraft` (what happened, when, how important, with which
attachments). The outbox turns it into a `StoredEvent` by assigning the per-device
monotonic `seq` inside the same transaction that makes it durable, so `seq` has no
gaps and no reuse even across crashes. `event_id` is a UUIDv7: time-ordered, unique
without coordination, and the key consumers de-duplicate on."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import IntEnum
from typing import Any

import uuid6

SCHEMA_VERSION = 1


class Priority(IntEnum):
    """Eviction order when the disk quota is reached: lowest goes first.
    CRITICAL (check-ins, identity verifications) is never evicted before its TTL."""

    LOW = 0
    NORMAL = 1
    HIGH = 2
    CRITICAL = 3


@dataclass(frozen=True)
class Attachment:
    """Binary payload (e.g. a JPEG plate crop) published separately and referenced by id."""

    content_type: str
    data: bytes
    id: str = field(default_factory=lambda: str(uuid6.uuid7()))

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "content_type": self.content_type,
            "size": len(self.data),
            "sha256": hashlib.sha256(self.data).hexdigest(),
        }


@dataclass(frozen=True)
class EventDraft:
    type: str
    body: dict[str, Any]
    priority: Priority = Priority.NORMAL
    occurred_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    clock_synced: bool = False
    attachments: tuple[Attachment, ...] = ()
    event_id: str = field(default_factory=lambda: str(uuid6.uuid7()))


@dataclass(frozen=True)
class StoredEvent:
    """An event as committed in the outbox and published on the wire."""

    row_id: int
    device_id: str
    seq: int
    draft: EventDraft

    @property
    def event_id(self) -> str:
        return self.draft.event_id

    def payload(self) -> dict[str, Any]:
        d = self.draft
        return {
            "schema_version": SCHEMA_VERSION,
            "event_id": d.event_id,
            "device_id": self.device_id,
            "seq": self.seq,
            "type": d.type,
            "priority": d.priority.name.lower(),
            "occurred_at": format_utc(d.occurred_at),
            "clock_synced": d.clock_synced,
            "body": d.body,
            "attachments": [a.describe() for a in d.attachments],
        }

    def to_json(self) -> bytes:
        return json.dumps(self.payload(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def format_utc(ts: datetime) -> str:
    """RFC 3339 UTC with millisecond precision and a 'Z' suffix."""
    if ts.tzinfo is None:
        raise ValueError("event timestamps must be timezone-aware")
    return ts.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
