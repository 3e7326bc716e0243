"""The envelope common to every event (see docs/mqtt.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from edge.contract.bodies import BODY_MODELS


class AttachmentRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="Attachment id; published on PREFIX/DEV/attachments/ID.")
    content_type: str = Field(description="MIME type, e.g. image/jpeg.")
    size: int = Field(ge=0, description="Size in bytes.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the bytes, hex.")


class EventEnvelope(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Event envelope")
    schema_version: Literal[1] = Field(description="Envelope version.")
    event_id: str = Field(
        pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
        description="UUIDv7, time-ordered; the de-duplication key.",
    )
    device_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$", description="Sending device.")
    seq: int = Field(ge=1, description="Per-device monotonic sequence number, no gaps, never reused.")
    type: str = Field(description="Event type; also the last topic level.")
    priority: Literal["low", "normal", "high", "critical"] = Field(description="Eviction class.")
    occurred_at: datetime = Field(description="RFC 3339 UTC time the event happened (device clock).")
    clock_synced: bool = Field(description="Whether the device clock was NTP-synchronised.")
    body: dict[str, Any] = Field(description="Type-specific body; see TYPE.schema.json.")
    attachments: list[AttachmentRef] = Field(description="Binary parts published separately.")


def validate_payload(payload: dict[str, Any]) -> EventEnvelope:
    """Validate an envelope and its body against the contract; raises pydantic.ValidationError."""
    envelope = EventEnvelope.model_validate(payload)
    model = BODY_MODELS.get(envelope.type)
    if model is None:
        raise ValueError(f"event type {envelope.type!r} is not part of the contract")
    model.model_validate(envelope.body)
    return envelope
