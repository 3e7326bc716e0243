"""Device key and CSR. P-256 keys, PKCS#8 PEM, encrypted with the key passphrase that
systemd hands to the daemon as a credential; the CSR's CN is the device id, which
the broker maps to the MQTT user name for the per-device ACL."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PrivateKey = ec.EllipticCurvePrivateKey


class KeyFileError(Exception):
    """A key file cannot be read (missing, garbled or wrong passphrase)."""


def generate_key() -> PrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: PrivateKey, passphrase: bytes | None) -> bytes:
    enc = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def load_key(path: Path, passphrase: bytes | None) -> PrivateKey:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read key {path}: {exc.strerror}") from exc
    try:
        key = serialization.load_pem_private_key(data, passphrase or None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"cannot open key {path}: {exc} (wrong or missing passphrase?)") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeyFileError(f"key {path} is not an EC key")
    return key


def make_csr(key: PrivateKey, device_id: str) -> bytes:
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, device_id)]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM)


def csr_common_name(csr_pem: bytes) -> str | None:
    try:
        csr = x509.load_pem_x509_csr(csr_pem)
    except ValueError:
        return None
    names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else None


def same_public_key(a: PrivateKey, public_pem_or_key: object) -> bool:
    pub = a.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    other = public_pem_or_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pub == other
