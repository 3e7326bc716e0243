"""`edge provision --install-cert FILE --ca FILE`: the certificate the central CA made
from this device's CSR is checked before anything is installed: for this device's
key, CN = device id, issued by the given CA (chain verified), valid now (a warning
under 30 days). A refused certificate leaves the device as it was."""

from __future__ import annotations

from pathlib import Path

from edge.pki.certcheck import CertReport, check_certificate
from edge.pki.keys import KeyFileError, load_key
from edge.provision.files import ManagedFile
from edge.provision.layout import Layout


def check(layout: Layout, device_id: str, cert: Path, ca: Path) -> CertReport:
    report = CertReport()
    try:
        key = load_key(layout.key, layout.passphrase.read_bytes().strip())
    except (KeyFileError, OSError) as exc:
        report.problems.append(f"device key: {exc} (run `edge provision` without --install-cert first)")
        return report
    try:
        cert_pem, ca_pem = cert.read_bytes(), ca.read_bytes()
    except OSError as exc:
        report.problems.append(f"cannot read {exc.filename}: {exc.strerror}")
        return report
    return check_certificate(cert_pem, key, device_id, ca_pem)


def install_steps(layout: Layout, cert: Path, ca: Path) -> list[ManagedFile]:
    cert_pem, ca_pem = cert.read_bytes(), ca.read_bytes()
    return [
        ManagedFile(layout, layout.cert, lambda: cert_pem, 0o644, "service", label="device certificate"),
        ManagedFile(layout, layout.ca, lambda: ca_pem, 0o644, "service", label="pinned CA"),
    ]
