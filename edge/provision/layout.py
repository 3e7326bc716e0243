"""Where everything of an installed device lives, under a root directory: `/` on a
device, a staging directory in tests (paths written into the configuration then
include the staging root, so the staged device is complete on its own)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

UNIT_NAME = "vn-edge.service"


@dataclass(frozen=True)
class Layout:
    root: Path
    user: str = "vn-edge"

    def at(self, absolute: str) -> Path:
        """`absolute` (a path on the device) under the root."""
        return self.root / absolute.lstrip("/")

    @property
    def staging(self) -> bool:
        return self.root.resolve() != Path("/")

    @property
    def etc(self) -> Path:
        return self.at("/etc/vn-edge")

    @property
    def config(self) -> Path:
        return self.etc / "config.yaml"

    @property
    def tls(self) -> Path:
        return self.etc / "tls"

    @property
    def key(self) -> Path:
        return self.tls / "device.key"

    @property
    def csr(self) -> Path:
        return self.tls / "device.csr"

    @property
    def cert(self) -> Path:
        return self.tls / "device.pem"

    @property
    def ca(self) -> Path:
        return self.tls / "ca.pem"

    @property
    def csca(self) -> Path:
        return self.etc / "csca"

    @property
    def credentials(self) -> Path:
        return self.etc / "credentials"

    @property
    def passphrase(self) -> Path:
        return self.credentials / "mqtt-key-passphrase"

    @property
    def outbox_key(self) -> Path:
        return self.credentials / "outbox-key.cred"

    @property
    def staff_pin(self) -> Path:
        return self.credentials / "kiosk-pin.cred"

    @property
    def state(self) -> Path:
        return self.at("/var/lib/vn-edge")

    @property
    def unit(self) -> Path:
        return self.at(f"/etc/systemd/system/{UNIT_NAME}")

    @property
    def dropins(self) -> Path:
        """The unit's drop-in directory (role-specific additions, e.g. the kiosk's PIN)."""
        return self.at(f"/etc/systemd/system/{UNIT_NAME}.d")

    @property
    def wants_link(self) -> Path:
        return self.at(f"/etc/systemd/system/multi-user.target.wants/{UNIT_NAME}")

    @property
    def credential_secret(self) -> Path:
        """systemd-creds' host key (used without a TPM); only set explicitly when staging."""
        return self.at("/var/lib/systemd/credential.secret")
