"""Broker connection and publishing behaviour."""

from pathlib import Path

from pydantic import Field, model_validator

from firmware_config.base import Section
from firmware_config.secrets import SecretRef

MQTT_FOUR_BYTE_MAX = 2**32 - 1  # MQTT v5 "Four Byte Integer" (session expiry interval)


class TlsConfig(Section):
    ca_file: Path = Field(description="PEM file of the CA that signed the broker certificate (pinned).")
    cert_file: Path = Field(description="PEM client certificate of this device; its CN is the device id.")
    key_file: Path = Field(description="PEM private key of this device.")
    key_passphrase: SecretRef | None = Field(
        default=None, description="Where the key passphrase lives, if the key is encrypted."
    )
    server_hostname: str | None = Field(
        default=None, description="Name to verify in the broker certificate; defaults to 'host'."
    )


class MqttConfig(Section):
    host: str = Field(description="Broker host name or address.")
    port: int = Field(default=8883, ge=1, le=65535, description="Broker port (8883 for TLS, 1883 plain).")
    tls: TlsConfig | None = Field(
        default=None, description="Mutual TLS settings; required unless allow_insecure is true."
    )
    allow_insecure: bool = Field(
        default=False,
        description="Permit a plain-text connection without client certificates (lab and demo only).",
    )
    topic_prefix: str = Field(
        default="devices",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="First topic level; device topics are PREFIX/DEVICE_ID/... so the broker can "
        "enforce per-device ACLs with a %u pattern.",
    )
    keepalive_s: int = Field(
        default=15, ge=2, le=600, description="MQTT keepalive; a frozen broker is detected after ~1.5x this."
    )
    connect_timeout_s: float = Field(
        default=10.0, gt=0, le=120, description="How long to wait for CONNACK before giving up the attempt."
    )
    session_expiry_s: int = Field(
        default=86400,
        ge=0,
        le=MQTT_FOUR_BYTE_MAX,
        description="MQTT v5 session expiry interval for the persistent session (a four-byte integer "
        "on the wire; 4294967295 means the session never expires).",
    )
    inflight_window: int = Field(
        default=100, ge=1, le=65535, description="Maximum QoS 1 publishes awaiting PUBACK at once."
    )
    reconnect_min_s: float = Field(
        default=1.0, gt=0, le=600, description="First reconnect back-off delay (s)."
    )
    reconnect_max_s: float = Field(
        default=120.0, gt=0, le=3600, description="Upper bound of the reconnect back-off (s)."
    )
    stats_interval_s: float = Field(
        default=60.0, gt=0, le=86400, description="How often the stats topic is published while connected."
    )
    poll_interval_s: float = Field(
        default=0.25,
        gt=0,
        le=60,
        description="How often the outbox is checked for events appended by other processes "
        "(appends in the daemon itself wake the publisher at once).",
    )
    rejected_retry_s: float = Field(
        default=300.0,
        gt=0,
        le=7 * 86400,
        description="How long a publish the broker rejected (e.g. not authorised) waits before it is retried.",
    )
    poison_drops: int = Field(
        default=3,
        ge=1,
        le=100,
        description="After this many connection drops in a row, each with the same message the oldest one "
        "awaiting its PUBACK, that message is set aside like a rejected publish (kept, retried after "
        "rejected_retry_s) so one message a broker will not take without saying why (e.g. beyond a size "
        "limit it does not advertise) cannot block everything behind it.",
    )

    @model_validator(mode="after")
    def _tls_or_explicitly_insecure(self) -> "MqttConfig":
        if self.tls is None and not self.allow_insecure:
            raise ValueError(
                "mutual TLS is required: add a 'tls' section (or set allow_insecure: true in a lab)"
            )
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must be >= reconnect_min_s")
        return self
