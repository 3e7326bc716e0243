"""The device configuration, made from the role's profile (firmware_config/profiles)
with this device's id, site, broker, cameras and card reader, and the pinned central
command key. Paths in it are the device's, under the root when staging. An existing
file that differs (a remote set_config changed it, say) is kept unless
`--reconfigure` is given: provisioning again must not undo the central server's work."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from edge.provision.files import ManagedFile
from edge.provision.layout import Layout

PROFILES = Path(__file__).resolve().parent.parent.parent / "firmware_config" / "profiles"
PROFILE_FILE = {
    "intersection_camera": "intersection-camera.yaml",
    "pawnshop_kiosk": "pawnshop-kiosk.yaml",
    "guesthouse_kiosk": "guesthouse-kiosk.yaml",
}


@dataclass(frozen=True)
class DeviceSpec:
    device_id: str
    role: str
    broker_host: str
    broker_port: int = 8883
    site: str = ""
    cameras: tuple[tuple[str, str], ...] = ()  # (id, url)
    reader: str | None = None
    command_key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _rebase(layout: Layout, value: str) -> str:
    return str(layout.at(value)) if layout.staging and value.startswith("/") else value


def render(layout: Layout, spec: DeviceSpec) -> bytes:
    data = yaml.safe_load((PROFILES / PROFILE_FILE[spec.role]).read_text(encoding="utf-8"))
    data["device"] = {"id": spec.device_id, "role": spec.role, "site": spec.site}
    mqtt = data["mqtt"]
    mqtt["host"], mqtt["port"] = spec.broker_host, spec.broker_port
    tls = mqtt.get("tls") or {}
    for key in ("ca_file", "cert_file", "key_file"):
        if key in tls:
            tls[key] = _rebase(layout, tls[key])
    data["storage"]["path"] = _rebase(layout, data["storage"]["path"])
    if spec.cameras:
        base = (data.get("cameras") or [{}])[0]
        data["cameras"] = [{**base, "id": cid, "url": url} for cid, url in spec.cameras]
    kiosk = data.get("kiosk")
    if kiosk is not None:
        if kiosk.get("csca_dir"):
            kiosk["csca_dir"] = _rebase(layout, kiosk["csca_dir"])
        if spec.reader:
            kiosk["reader"] = spec.reader
    if spec.command_key:
        state = "/var/lib/vn-edge"
        data["remote"] = {
            "command_key": spec.command_key,
            "journal": _rebase(layout, f"{state}/commands.db"),
            "staging_dir": _rebase(layout, f"{state}/staging"),
            "models_dir": _rebase(layout, f"{state}/models"),
        }
    data.update(spec.extra)
    header = (
        f"# vn-edge device {spec.device_id} ({spec.role}), written by `edge provision`.\n"
        "# Check with: edge validate --config FILE; the central server may replace it (set_config).\n"
    )
    return (header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)).encode("utf-8")


class ConfigFile(ManagedFile):
    def __init__(self, layout: Layout, spec: DeviceSpec, *, reconfigure: bool) -> None:
        super().__init__(
            layout, layout.config, lambda: render(layout, spec), 0o640, "service", label="configuration"
        )
        self.reconfigure = reconfigure
        self.differs = False

    def pending(self) -> str | None:
        if self.path.exists() and self.path.read_bytes() != self.make() and not self.reconfigure:
            self.differs = True
            self.keep = True  # kept; only mode and owner are looked after
        return super().pending()
