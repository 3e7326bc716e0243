"""The durable outbox on local storage."""

from pathlib import Path
from typing import Annotated, Literal

from pydantic import ByteSize, Field

from firmware_config.base import Section
from firmware_config.secrets import SecretRef

MAX_TTL_S = 366 * 86400  # personal data is kept no longer than needed; a year covers every event type
TtlSeconds = Annotated[int, Field(gt=0, le=MAX_TTL_S)]


class StorageConfig(Section):
    path: Path = Field(
        description="SQLite outbox file (on persistent storage, e.g. /var/lib/vn-edge/outbox.db)."
    )
    quota: ByteSize = Field(
        default=ByteSize(256 * 1024 * 1024),
        le=2**40,
        description="Disk budget for the outbox (e.g. '256MB'); beyond it, events are evicted by priority.",
    )
    default_ttl_s: TtlSeconds = Field(
        default=7 * 86400,
        description="How long an unsent event is kept when its type has no own TTL (s, at most a year).",
    )
    ttl_s: dict[str, TtlSeconds] = Field(
        default_factory=dict,
        description="Per event type time-to-live in seconds, at most a year each "
        "(e.g. {plate: 86400, checkin: 2592000}).",
    )
    disk_reserve: ByteSize = Field(
        default=ByteSize(4 * 1024 * 1024),
        le=2**30,
        description=(
            "Ballast file kept beside the outbox and released when the disk is full, so evicting "
            "(which itself writes) still works; also the WAL size between checkpoints. 0 disables it."
        ),
    )
    encryption_key: SecretRef | None = Field(
        default=None,
        description=(
            "Key that encrypts event payloads and attachments inside the outbox (AES-256-GCM): a systemd "
            "credential or file holding 32 random bytes or 64 hex digits. Set it on kiosks: check-ins "
            "carry ID data and face images. Omitted: stored in plaintext."
        ),
    )
    synchronous: Literal["full", "normal"] = Field(
        default="full",
        description="SQLite synchronous mode: 'full' survives power loss; 'normal' only process crashes.",
    )
