"""What only a kiosk needs: the CSCA trust store that passive authentication checks
every chip against, and the staff PIN.

- CSCA certificates (`--csca FILE`, repeatable) are public, but what they admit is
  the kiosk's whole notion of a genuine card: each is checked as the kiosk will load
  it (kiosk.cccd.trust_store) and must be a CA before anything is installed in
  /etc/vn-edge/csca (root-owned, readable by the service's group).
- The staff PIN (`--staff-pin-file FILE`, `-` for standard input; never an argument,
  which the process list shows) is stored only as its salted hash, sealed like the
  outbox key as an encrypted systemd credential (TPM2 where the board has one), and
  handed to the daemon by a unit drop-in (`LoadCredentialEncrypted=kiosk-pin:...`),
  so the camera role's unit carries no kiosk line. Made once, never replaced: a PIN
  is changed by removing the credential and provisioning again."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from edge.kiosk.pin import hash_pin, pin_problem
from edge.provision.credentials import seal
from edge.provision.files import ManagedFile
from edge.provision.layout import Layout
from edge.provision.owners import Ids, enforce, state_of
from edge.provision.plan import Step
from kiosk.cccd.errors import TrustStoreError
from kiosk.cccd.trust_store import CERT_SUFFIXES, TrustStore, is_ca

KIOSK_ROLES = ("pawnshop_kiosk", "guesthouse_kiosk")
PIN_CREDENTIAL = "kiosk-pin"
PIN_DEVICE_PATH = "/etc/vn-edge/credentials/kiosk-pin.cred"
DROPIN = "kiosk.conf"


class KioskSetupError(ValueError):
    """A CSCA file or the staff PIN given to `edge provision` is unusable."""


def read_staff_pin(source: str) -> str:
    """The PIN from a file's first line, or from standard input for `-`."""
    text = sys.stdin.readline() if source == "-" else (Path(source).read_text().splitlines() or [""])[0]
    pin = text.strip()
    problem = pin_problem(pin)
    if problem:
        raise KioskSetupError(f"--staff-pin-file: {problem}")
    return pin


def checked_csca(files: list[Path]) -> dict[str, bytes]:
    """name -> content of each CSCA file, after loading them all as the kiosk will."""
    out: dict[str, bytes] = {}
    for path in files:
        if path.suffix.lower() not in CERT_SUFFIXES:
            raise KioskSetupError(
                f"--csca {path}: name it *{'/*'.join(CERT_SUFFIXES)} (the kiosk loads only those)"
            )
        out[path.name] = path.read_bytes()
    with tempfile.TemporaryDirectory(prefix="vn-edge-csca-") as tmp:
        for name, data in out.items():
            (Path(tmp) / name).write_bytes(data)
        try:
            store = TrustStore.from_directory(tmp)
        except TrustStoreError as exc:
            raise KioskSetupError(f"--csca: {str(exc).replace(tmp + '/', '')}") from None
    not_ca = [c.subject.rfc4514_string() for c in store if not is_ca(c)]
    if not_ca:
        raise KioskSetupError(f"--csca: not a CA certificate (basicConstraints): {', '.join(not_ca)}")
    return out


def dropin_text() -> str:
    return (
        "# vn-edge kiosk: the staff PIN's hash as an encrypted credential (written by edge provision)\n"
        "[Service]\n"
        f"LoadCredentialEncrypted={PIN_CREDENTIAL}:{PIN_DEVICE_PATH}\n"
    )


class StaffPinCredential:
    name = "staff PIN credential"

    def __init__(self, layout: Layout, pin: str | None) -> None:
        self.layout = layout
        self.path = layout.staff_pin
        self._pin = pin

    def pending(self) -> str | None:
        if not self.path.exists():
            return f"create {self.path} (the PIN's salted hash, systemd-creds encrypt)"
        return state_of(self.path, 0o600, Ids(0, 0))

    def apply(self) -> None:
        if not self.path.exists():
            assert self._pin is not None
            seal(self.layout, PIN_CREDENTIAL, hash_pin(self._pin).encode(), self.path, encrypted=True)
        enforce(self.path, 0o600, Ids(0, 0))


def kiosk_steps(layout: Layout, csca: list[Path], pin: str | None) -> list[Step]:
    """The kiosk's steps; raises KioskSetupError before any change when a CSCA file is
    unusable or the trust store would stay empty."""
    certs = checked_csca(csca) if csca else {}
    present = (
        [p for p in layout.csca.iterdir() if p.suffix.lower() in CERT_SUFFIXES]
        if layout.csca.is_dir()
        else []
    )
    if not certs and not present:
        raise KioskSetupError(f"{layout.csca} holds no CSCA certificate: give --csca FILE (repeatable)")
    if pin is None and not layout.staff_pin.exists():
        raise KioskSetupError(f"{layout.staff_pin} does not exist: give --staff-pin-file FILE (- for stdin)")
    steps: list[Step] = [
        ManagedFile(layout, layout.csca / name, lambda d=data: d, 0o640, "root-group", label=f"CSCA {name}")
        for name, data in certs.items()
    ]
    steps.append(StaffPinCredential(layout, pin))
    steps.append(
        ManagedFile(
            layout,
            layout.dropins / DROPIN,
            lambda: dropin_text().encode(),
            0o644,
            "root",
            label="unit drop-in (kiosk PIN)",
        )
    )
    return steps
