"""CSCA trust store: the country signing certificates a kiosk accepts.

Loaded from a folder of DER or PEM files so a technician can drop in the national
CSCA (and link certificates after a key rollover) without code changes.  A file
that is not a certificate is an error naming the file: silently skipping it would
make every card fail passive authentication with "unknown CSCA" and hide why.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from cryptography import x509

from kiosk.cccd.errors import TrustStoreError


def is_ca(cert: x509.Certificate) -> bool:
    """CSCAs are CAs (basicConstraints); passive authentication refuses any other as a chain anchor."""
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


CERT_SUFFIXES = (".pem", ".crt", ".cer", ".der")


def _load_file(path: Path) -> list[x509.Certificate]:
    data = path.read_bytes()
    try:
        if b"-----BEGIN" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise TrustStoreError(f"{path}: not an X.509 certificate ({exc})") from None
    if not certs:
        raise TrustStoreError(f"{path}: holds no certificate")
    return certs


class TrustStore:
    """An immutable set of CSCA certificates, looked up by subject name."""

    def __init__(self, certificates: Iterable[x509.Certificate]) -> None:
        self._certs = tuple(certificates)

    @classmethod
    def from_directory(cls, directory: str | Path) -> TrustStore:
        """Load every ``*.pem/.crt/.cer/.der`` file in ``directory`` (not recursive)."""
        folder = Path(directory)
        if not folder.is_dir():
            raise TrustStoreError(f"CSCA folder {folder} does not exist")
        certs: list[x509.Certificate] = []
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix.lower() in CERT_SUFFIXES:
                certs.extend(_load_file(path))
        if not certs:
            raise TrustStoreError(f"CSCA folder {folder} holds no certificate files {CERT_SUFFIXES}")
        return cls(certs)

    def __len__(self) -> int:
        return len(self._certs)

    def __iter__(self) -> Iterator[x509.Certificate]:
        return iter(self._certs)

    def issuers_of(self, certificate: x509.Certificate) -> list[x509.Certificate]:
        """CSCA certificates whose subject is the certificate's issuer.

        Several can match after a key rollover; the caller tries each signature.
        """
        return [c for c in self._certs if c.subject == certificate.issuer]
