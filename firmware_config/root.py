"""The whole device configuration, one typed section per concern."""

from pydantic import Field, model_validator

from firmware_config.base import Section
from firmware_config.cameras import CameraConfig
from firmware_config.device import DeviceConfig
from firmware_config.kiosk import KioskConfig
from firmware_config.log_output import LoggingConfig
from firmware_config.mqtt import MqttConfig
from firmware_config.remote import RemoteConfig
from firmware_config.storage import StorageConfig
from firmware_config.synthetic import SyntheticSourceConfig
from firmware_config.vision import VisionConfig

KIOSK_ROLES = {"pawnshop_kiosk", "guesthouse_kiosk"}


class EdgeConfig(Section):
    device: DeviceConfig = Field(description="Identity and role of this device.")
    mqtt: MqttConfig = Field(description="Broker connection.")
    storage: StorageConfig = Field(description="Durable outbox.")
    logging: LoggingConfig = Field(default_factory=LoggingConfig, description="Log output.")
    cameras: list[CameraConfig] = Field(default_factory=list, description="Camera sources.")
    vision: VisionConfig | None = Field(default=None, description="Vision pipeline (intersection cameras).")
    kiosk: KioskConfig | None = Field(default=None, description="Card reader and kiosk workflow.")
    synthetic: SyntheticSourceConfig | None = Field(
        default=None, description="Synthetic event source for demos and commissioning (off when omitted)."
    )
    remote: RemoteConfig | None = Field(
        default=None,
        description="Signed remote commands from the central server (off when omitted).",
    )

    @model_validator(mode="after")
    def _sections_match_role(self) -> "EdgeConfig":
        role = self.device.role
        if role in KIOSK_ROLES and self.kiosk is None:
            raise ValueError(f"role {role!r} needs a 'kiosk' section")
        if role == "intersection_camera" and not self.cameras:
            raise ValueError("role 'intersection_camera' needs at least one entry under 'cameras'")
        ids = [c.id for c in self.cameras]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"camera ids must be unique; repeated: {', '.join(dupes)}")
        if self.remote is not None:
            unknown = sorted(set(self.remote.snapshot_cameras) - set(ids))
            if unknown:
                raise ValueError(f"remote.snapshot_cameras names unknown camera(s): {', '.join(unknown)}")
        return self
