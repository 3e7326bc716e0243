"""Device identity: who this device is and which role it plays."""

from typing import Literal

from pydantic import Field

from firmware_config.base import Section

DeviceRole = Literal["intersection_camera", "pawnshop_kiosk", "guesthouse_kiosk"]


class DeviceConfig(Section):
    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9-]{2,63}$",
        description="Device identifier, also the MQTT client id and the CN of its client "
        "certificate; lowercase letters, digits and dashes (e.g. 'hcm-q1-cam-0007').",
    )
    role: DeviceRole = Field(description="What the device does: an intersection camera or a check-in kiosk.")
    site: str = Field(
        default="",
        max_length=128,
        description="Free-text site label for technicians (intersection or premises name).",
    )
