"""A kiosk's trust store and staff PIN, as `edge provision` sets them up: without a
CSCA every card is "not genuine" (or, with accept_without_csca, any forgery is
genuine); without the PIN credential the staff form cannot be unlocked. Both fail
only when a citizen or the staff are in front of the screen, so the doctor says it
on the visit instead."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from edge.checks.findings import Finding, fail, ok, warn
from edge.kiosk.pin import PinChecker, PinFormatError
from edge.provision.credentials import checks_credentials, unit_credentials
from edge.provision.layout import Layout
from firmware_config import EdgeConfig
from firmware_config.kiosk import KioskConfig
from kiosk.cccd.errors import TrustStoreError
from kiosk.cccd.trust_store import TrustStore, is_ca

PROVISION_CSCA = "edge provision --csca FILE (the national CSCA certificate)"
PROVISION_PIN = "edge provision --staff-pin-file FILE"


def kiosk_findings(cfg: EdgeConfig, root: Path, credentials_dir: str | None) -> list[Finding]:
    if cfg.kiosk is None:
        return []
    return [csca_finding(cfg.kiosk), staff_pin_finding(cfg.kiosk, Layout(root), credentials_dir)]


def csca_finding(kiosk: KioskConfig) -> Finding:
    if kiosk.csca_dir is None:
        if kiosk.accept_without_csca:
            return warn(
                "kiosk.csca",
                "no trust store (accept_without_csca): any self-signed forgery passes as genuine",
                f"{PROVISION_CSCA}, then set kiosk.csca_dir and drop accept_without_csca",
            )
        return fail("kiosk.csca", "no kiosk.csca_dir: no card can be called genuine", PROVISION_CSCA)
    try:
        store = TrustStore.from_directory(kiosk.csca_dir)
    except (TrustStoreError, OSError) as exc:
        return fail("kiosk.csca", str(exc), PROVISION_CSCA)
    certs = list(store)
    not_ca = [c.subject.rfc4514_string() for c in certs if not is_ca(c)]
    if not_ca:
        return fail(
            "kiosk.csca", f"not a CA certificate: {', '.join(not_ca)}", f"remove it; {PROVISION_CSCA}"
        )
    now = dt.datetime.now(dt.timezone.utc)
    expired = [c.subject.rfc4514_string() for c in certs if c.not_valid_after_utc < now]
    if len(expired) == len(certs):
        return fail(
            "kiosk.csca", f"every CSCA certificate has expired ({', '.join(expired)})", PROVISION_CSCA
        )
    if expired:
        return warn(
            "kiosk.csca", f"expired CSCA certificate(s): {', '.join(expired)}", "remove the expired file(s)"
        )
    return ok("kiosk.csca", f"{len(certs)} CSCA certificate(s) in {kiosk.csca_dir}")


def _installed_unit(layout: Layout) -> str:
    parts = [layout.unit, *(sorted(layout.dropins.glob("*.conf")) if layout.dropins.is_dir() else [])]
    return "".join(p.read_text() for p in parts if p.is_file())


def staff_pin_finding(kiosk: KioskConfig, layout: Layout, credentials_dir: str | None) -> Finding:
    ref = kiosk.staff_pin
    if ref is None:
        return warn("kiosk.staff_pin", "no staff PIN: the staff form cannot be unlocked", PROVISION_PIN)
    if ref.file is not None:
        return _pin_format(ref.file, f"file {ref.file}")
    name = str(ref.credential)
    unit = _installed_unit(layout)
    loaded = unit_credentials(unit).get(name)
    if loaded is None:
        return fail(
            "kiosk.staff_pin",
            f"the unit does not load credential {name!r} (no vn-edge.service.d/kiosk.conf drop-in)",
            PROVISION_PIN,
        )
    device_path, encrypted = loaded
    if not layout.at(device_path).is_file():
        return fail(
            "kiosk.staff_pin", f"credential file {layout.at(device_path)} does not exist", PROVISION_PIN
        )
    if credentials_dir and (Path(credentials_dir) / name).is_file():
        return _pin_format(Path(credentials_dir) / name, f"credential {name}")
    try:
        with checks_credentials(layout, unit) as creds:
            return _pin_format(
                Path(creds) / name, f"credential {name} ({'encrypted' if encrypted else 'plain'})"
            )
    except (OSError, subprocess.CalledProcessError):
        return warn(
            "kiosk.staff_pin",
            f"credential {name} present, but this user cannot decrypt it to check it",
            "run edge doctor as root",
        )


def _pin_format(path: Path, what: str) -> Finding:
    try:
        PinChecker(path.read_text().strip())
    except PinFormatError as exc:
        return fail("kiosk.staff_pin", f"{what}: {exc}", f"remove it and run {PROVISION_PIN}")
    except OSError as exc:
        return fail("kiosk.staff_pin", f"{what}: {exc}", PROVISION_PIN)
    return ok("kiosk.staff_pin", f"{what}: a salted PIN hash")
