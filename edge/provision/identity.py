"""The device identity: the key passphrase (a systemd credential), the key made on the
device and encrypted with it (it never leaves the device), and the CSR with CN = the
device id for the central CA."""

from __future__ import annotations

import secrets

from edge.pki.keys import csr_common_name, generate_key, key_pem, load_key, make_csr, same_public_key
from edge.provision.files import ManagedFile
from edge.provision.layout import Layout


def identity_steps(layout: Layout, device_id: str) -> list[ManagedFile]:
    def passphrase() -> bytes:
        return secrets.token_hex(32).encode() + b"\n"

    def key() -> bytes:
        return key_pem(generate_key(), layout.passphrase.read_bytes().strip())

    def csr() -> bytes:
        existing = layout.csr.read_bytes() if layout.csr.exists() else b""
        device_key = load_key(layout.key, layout.passphrase.read_bytes().strip())
        if existing and csr_common_name(existing) == device_id and _csr_matches(existing, device_key):
            return existing  # the CSR already sent stays valid: same key, same CN
        return make_csr(device_key, device_id)

    return [
        ManagedFile(
            layout, layout.passphrase, passphrase, 0o600, "root", keep=True, label="key passphrase credential"
        ),
        ManagedFile(layout, layout.key, key, 0o600, "service", keep=True, label="device key (made here)"),
        ManagedFile(layout, layout.csr, csr, 0o644, "root", label=f"CSR (CN={device_id})"),
    ]


def _csr_matches(csr_pem: bytes, key) -> bool:  # type: ignore[no-untyped-def]
    from cryptography import x509

    return same_public_key(key, x509.load_pem_x509_csr(csr_pem).public_key())
