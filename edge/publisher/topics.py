"""Topic names for one device.

Every topic a device writes lives under `PREFIX/DEVICE_ID/`, so a broker can give the
whole fleet one ACL line (Mosquitto: `pattern write devices/%u/#` with the certificate
CN as user name) and a stolen device key cannot speak for another device."""

from __future__ import annotations

import functools
from dataclasses import dataclass


@dataclass(frozen=True)
class DeviceTopics:
    prefix: str
    device_id: str

    @functools.cached_property
    def root(self) -> str:
        return f"{self.prefix}/{self.device_id}"

    @property
    def status(self) -> str:
        """Retained availability: "online" after connect, "offline" on clean stop and as Last Will."""
        return f"{self.root}/status"

    @property
    def stats(self) -> str:
        """Retained JSON stats, refreshed every `stats_interval_s` while connected."""
        return f"{self.root}/stats"

    def message(self, topic_suffix: str) -> str:
        """Topic of an outbox message; its suffix is `events/TYPE` or `attachments/ID`,
        validated by the outbox when the event was appended."""
        return f"{self.root}/{topic_suffix}"
