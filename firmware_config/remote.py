"""Remote commands from the central server (docs/mqtt.md, "Commands").

The device subscribes to `PREFIX/DEV/commands/#` and obeys only commands signed by the
central command key pinned here (Ed25519); the broker ACL is the first layer (only the
central identity may write command topics), this signature the second."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from firmware_config.base import Section

#: Room a command's PUBLISH needs beyond its payload: fixed header, topic
#: (PREFIX/DEV/commands/NAME), packet id and the v5 properties (response topic within
#: PREFIX/DEV/replies/, correlation data). The largest command max_command_bytes admits
#: must still fit in the packet size the device announces.
PACKET_HEADROOM = 4096
MQTT_MAX_PACKET = 268_435_455  # the largest size MQTT's variable byte integer can express


class RemoteConfig(Section):
    command_key: str = Field(
        description="Pinned public key of the central command key: Ed25519, 32 bytes in base64 "
        "(44 characters, as `edge provision --command-key` and devkit print it). Commands signed by "
        "any other key are refused.",
    )
    enabled: bool = Field(default=True, description="Subscribe to PREFIX/DEV/commands/# and answer commands.")
    max_command_bytes: int = Field(
        default=65536,
        ge=1024,
        le=1048576,
        description="Largest command payload accepted; a bigger one is refused unread.",
    )
    max_packet_bytes: int | None = Field(
        default=None,
        ge=2048,
        le=MQTT_MAX_PACKET,
        description="Maximum Packet Size the daemon announces in its MQTT CONNECT: the broker drops any "
        "message bigger than this for the device instead of delivering it, so a huge publish on the "
        "command topic never reaches the daemon's memory. Commands between max_command_bytes and this "
        "are still read and refused with a reason. Default: twice max_command_bytes. Must exceed "
        f"max_command_bytes by at least {PACKET_HEADROOM} bytes (topic and v5 properties).",
    )
    max_validity_s: int = Field(
        default=900,
        ge=10,
        le=86400,
        description="A command whose expiry lies further in the future than this is refused, so the "
        "journal of seen nonces never has to remember a command for longer.",
    )
    clock_skew_s: int = Field(
        default=30, ge=0, le=3600, description="Tolerance between the central clock and the device clock."
    )
    journal: Path = Field(
        default=Path("/var/lib/vn-edge/commands.db"),
        description="SQLite file remembering the nonces of accepted commands until they expire "
        "(replays are refused across restarts).",
    )
    health_deadline_s: float = Field(
        default=120.0,
        ge=5,
        le=3600,
        description="After set_config or update_model the daemon restarts on trial: unless it is "
        "healthy (every component healthy and connected to the broker) within this many seconds, the "
        "previous files are restored and it restarts again.",
    )
    healthy_for_s: float = Field(
        default=5.0,
        ge=0,
        le=600,
        description="How long the daemon must stay healthy on trial before the change is kept.",
    )
    staging_dir: Path = Field(
        default=Path("/var/lib/vn-edge/staging"),
        description="Where model files are staged (by scp/Ansible) before an update_model command "
        "installs them; found by their sha256.",
    )
    models_dir: Path = Field(
        default=Path("/var/lib/vn-edge/models"),
        description="Where update_model installs model files and their manifests.",
    )
    snapshot_cameras: list[str] = Field(
        default_factory=list,
        description="Camera ids whose still may be sent by the snapshot command. Empty (the default): "
        "no snapshot is ever sent (a still may show faces: Decree 13/2023).",
    )

    @field_validator("command_key")
    @classmethod
    def _ed25519_public_key(cls, value: str) -> str:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("command_key must be base64 (44 characters)") from None
        if len(raw) != 32:
            raise ValueError(f"command_key must be a 32-byte Ed25519 public key, got {len(raw)} bytes")
        return value

    @property
    def packet_limit(self) -> int:
        """The Maximum Packet Size the daemon announces to the broker."""
        if self.max_packet_bytes is not None:
            return self.max_packet_bytes
        return min(MQTT_MAX_PACKET, max(2 * self.max_command_bytes, self.max_command_bytes + PACKET_HEADROOM))

    @model_validator(mode="after")
    def _packet_admits_largest_command(self) -> RemoteConfig:
        if self.packet_limit < self.max_command_bytes + PACKET_HEADROOM:
            raise ValueError(
                f"max_packet_bytes ({self.packet_limit}) must be at least max_command_bytes + "
                f"{PACKET_HEADROOM} ({self.max_command_bytes + PACKET_HEADROOM}), or the broker would "
                "drop the largest command the device accepts; raise it or leave it out"
            )
        return self

    @model_validator(mode="after")
    def _deadline_longer_than_hold(self) -> RemoteConfig:
        if self.healthy_for_s >= self.health_deadline_s:
            raise ValueError("healthy_for_s must be shorter than health_deadline_s")
        return self
