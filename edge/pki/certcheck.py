"""What a device certificate must be before it is installed or trusted: for this
device's key, with CN = device id, issued by the pinned CA (chain verified by
cryptography's X.509 verifier), valid now; expiring within `warn_days` is a warning.
Each problem is a sentence a technician can act on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store, VerificationError

from edge.pki.keys import PrivateKey, same_public_key

WARN_DAYS = 30


@dataclass
class CertReport:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_after: dt.datetime | None = None
    common_name: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def load_pem_certs(data: bytes) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        return []


def check_certificate(
    cert_pem: bytes,
    key: PrivateKey | None,
    device_id: str,
    ca_pem: bytes,
    *,
    now: dt.datetime | None = None,
    warn_days: int = WARN_DAYS,
) -> CertReport:
    report = CertReport()
    now = now or dt.datetime.now(dt.timezone.utc)
    certs = load_pem_certs(cert_pem)
    if not certs:
        report.problems.append("the certificate file holds no PEM certificate")
        return report
    leaf, intermediates = certs[0], certs[1:]
    cas = load_pem_certs(ca_pem)
    names = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    report.common_name = str(names[0].value) if names else None
    report.not_after = leaf.not_valid_after_utc
    if key is not None and not same_public_key(key, leaf.public_key()):
        report.problems.append("the certificate is not for this device's key (was it made from another CSR?)")
    if report.common_name != device_id:
        report.problems.append(
            f"CN is {report.common_name!r}, must be the device id {device_id!r} (the broker ACL uses it)"
        )
    if now < leaf.not_valid_before_utc:
        report.problems.append(
            f"not valid before {leaf.not_valid_before_utc:%Y-%m-%d %H:%M} UTC (is the device clock right?)"
        )
    if now > leaf.not_valid_after_utc:
        report.problems.append(f"expired on {leaf.not_valid_after_utc:%Y-%m-%d %H:%M} UTC")
    elif leaf.not_valid_after_utc - now < dt.timedelta(days=warn_days):
        days = (leaf.not_valid_after_utc - now).days
        report.warnings.append(f"expires in {days} days ({leaf.not_valid_after_utc:%Y-%m-%d}); rotate it")
    if not cas:
        report.problems.append("the CA file holds no PEM certificate")
        return report
    verifier = (
        PolicyBuilder()
        .store(Store(cas))
        .time(min(max(now, leaf.not_valid_before_utc), leaf.not_valid_after_utc))  # dates reported above
        .extension_policies(
            ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ExtensionPolicy.permit_all()
        )
        .build_client_verifier()
    )
    try:
        verifier.verify(leaf, intermediates)
    except VerificationError as exc:
        report.problems.append(f"not issued by the pinned CA: {exc}")
    return report
