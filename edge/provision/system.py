"""The service user and the directories, with their owners and modes.

/etc/vn-edge and its tls/ directory are group-writable for the service: remote
set_config, update_model and rotate_cert replace files there (atomically, with a
rollback copy beside them). credentials/ is root's alone: systemd hands the secrets
to the daemon (LoadCredential=), the daemon never reads that directory itself."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from edge.provision.layout import Layout
from edge.provision.owners import Ids, enforce, lookup, state_of

ROOT_IDS = Ids(0, 0)


class ServiceUser:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.name = f"service user {layout.user}"

    def pending(self) -> str | None:
        if lookup(self.layout.root, self.layout.user) is None:
            return f"create system user {self.layout.user} (home /var/lib/vn-edge, no login)"
        return None

    def apply(self) -> None:
        cmd = ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/var/lib/vn-edge"]
        cmd += ["--shell", "/usr/sbin/nologin"]
        if self.layout.staging:
            cmd += ["--prefix", str(self.layout.root)]
        subprocess.run([*cmd, self.layout.user], check=True, capture_output=True)


@dataclass
class Directory:
    layout: Layout
    path: Path
    mode: int
    service_owned: bool  # owner: service user; else root with the service's group
    root_only: bool = False

    @property
    def name(self) -> str:
        return f"directory {self.path}"

    def _ids(self) -> Ids:
        ids = lookup(self.layout.root, self.layout.user)
        if ids is None:  # only in a dry run, before the user exists
            return ROOT_IDS
        if self.root_only:
            return ROOT_IDS
        return ids if self.service_owned else Ids(0, ids.gid)

    def pending(self) -> str | None:
        if not self.path.is_dir():
            return f"create ({self.mode:04o})"
        return state_of(self.path, self.mode, self._ids())

    def apply(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        enforce(self.path, self.mode, self._ids())


def directories(layout: Layout) -> list[Directory]:
    return [
        Directory(layout, layout.etc, 0o770, service_owned=False),
        Directory(layout, layout.tls, 0o770, service_owned=False),
        Directory(layout, layout.csca, 0o750, service_owned=False),
        Directory(layout, layout.credentials, 0o700, service_owned=False, root_only=True),
        Directory(layout, layout.state, 0o700, service_owned=True),
        Directory(layout, layout.state / "staging", 0o700, service_owned=True),
        Directory(layout, layout.state / "models", 0o700, service_owned=True),
    ]
