"""The outbox key as the unit loads it: `LoadCredentialEncrypted=` (a `systemd-creds`
file, sealed to the TPM where the board has one, else to the host key) or a plain
0600 file for `LoadCredential=`; whichever the installed unit names. Made once, never
replaced (a new key would make every encrypted event waiting unreadable).

`checks_credentials()` gives `edge validate` and `edge selftest` run by provisioning
what the unit would give the daemon: a private $CREDENTIALS_DIRECTORY."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from edge.provision.layout import Layout
from edge.provision.owners import Ids, enforce, state_of
from edge.remote.files import write_atomic

CREDENTIAL_LINE = re.compile(r"^LoadCredential(?P<enc>Encrypted)?=(?P<name>[\w.-]+):(?P<path>\S+)\s*$", re.M)


def unit_credentials(unit_text: str) -> dict[str, tuple[str, bool]]:
    """credential name -> (path on the device, encrypted?) as the unit loads them."""
    return {m["name"]: (m["path"], bool(m["enc"])) for m in CREDENTIAL_LINE.finditer(unit_text)}


def _creds_env(layout: Layout) -> dict[str, str]:
    env = dict(os.environ)
    if layout.staging:  # a staging root has its own host key, the machine's stays untouched
        env["SYSTEMD_CREDENTIAL_SECRET"] = str(layout.credential_secret)
        layout.credential_secret.parent.mkdir(parents=True, exist_ok=True)
    return env


class OutboxKey:
    name = "outbox key credential"

    def __init__(self, layout: Layout, unit_text: str) -> None:
        self.layout = layout
        device_path, self.encrypted = unit_credentials(unit_text).get(
            "outbox-key", ("/etc/vn-edge/credentials/outbox-key", False)
        )
        self.path = layout.at(device_path)

    def pending(self) -> str | None:
        if not self.path.exists():
            how = "systemd-creds encrypt" if self.encrypted else "plain 0600 file"
            return f"create {self.path} (32 random bytes, {how})"
        return state_of(self.path, 0o600, Ids(0, 0))

    def apply(self) -> None:
        if not self.path.exists():
            seal(
                self.layout, "outbox-key", secrets.token_hex(32).encode(), self.path, encrypted=self.encrypted
            )
        enforce(self.path, 0o600, Ids(0, 0))


def seal(layout: Layout, name: str, secret: bytes, path: Path, *, encrypted: bool) -> None:
    """Write credential `name` to `path`: `systemd-creds encrypt` (TPM2 where the board has
    one, else the host key; a staging root's own host key) or a plain 0600 file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not encrypted:
        write_atomic(path, secret + b"\n", mode=0o600)
        return
    with_key = "host" if layout.staging else "auto"
    subprocess.run(
        ["systemd-creds", "encrypt", f"--name={name}", f"--with-key={with_key}", "-", str(path)],
        input=secret,
        env=_creds_env(layout),
        check=True,
        capture_output=True,
    )
    os.chmod(path, 0o600)


@contextlib.contextmanager
def checks_credentials(layout: Layout, unit_text: str) -> Iterator[str]:
    """A private directory holding the unit's credentials in clear, removed afterwards."""
    directory = tempfile.mkdtemp(prefix="vn-edge-creds-")
    try:
        for name, (device_path, encrypted) in unit_credentials(unit_text).items():
            source = layout.at(device_path)
            if not source.exists():
                continue
            target = Path(directory) / name
            if encrypted:
                subprocess.run(
                    ["systemd-creds", "decrypt", f"--name={name}", str(source), str(target)],
                    env=_creds_env(layout),
                    check=True,
                    capture_output=True,
                )
            else:
                shutil.copyfile(source, target)
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)
