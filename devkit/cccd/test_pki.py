"""A throw-away CSCA and Document Signer for test cards and the demo.

Layout of the directory written by :meth:`TestPki.generate`::

    csca/csca.pem          the trust store: point ``TrustStore.from_directory`` here
    private/csca_key.pem   unencrypted test keys (never use outside tests/demo)
    private/ds_key.pem
    private/ds.pem         the Document Signer certificate
    private/pki.txt        key type and signature scheme used
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from devkit.cccd.sod_builder import SignerKey

_KEY_TYPES = ("ec", "rsa", "rsa-pss")


def _new_key(key_type: str) -> SignerKey:
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test only - not a government PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _sign_cert(builder: x509.CertificateBuilder, key: SignerKey, pss: bool) -> x509.Certificate:
    if pss and isinstance(key, rsa.RSAPrivateKey):
        return builder.sign(key, hashes.SHA256(), rsa_padding=padding.PSS(padding.MGF1(hashes.SHA256()), 32))
    return builder.sign(key, hashes.SHA256())


@dataclass(frozen=True)
class TestPki:
    directory: Path
    csca_cert: x509.Certificate
    csca_key: SignerKey
    ds_cert: x509.Certificate
    ds_key: SignerKey
    rsa_pss: bool = False

    __test__ = False  # not a pytest test class despite the name

    @property
    def trust_dir(self) -> Path:
        """Folder holding only the CSCA certificate: the trust store for tests."""
        return self.directory / "csca"

    @classmethod
    def generate(
        cls,
        directory: str | Path,
        *,
        key_type: str = "ec",
        csca_name: str = "Test CSCA Vietnam",
        ds_valid_from: datetime | None = None,
        ds_valid_days: int = 3650,
    ) -> TestPki:
        """Create and save a CSCA and a Document Signer it certifies."""
        if key_type not in _KEY_TYPES:
            raise ValueError(f"key_type must be one of {_KEY_TYPES}")
        pss = key_type == "rsa-pss"
        directory = Path(directory)
        now = datetime.now(timezone.utc).replace(microsecond=0)
        csca_key = _new_key(key_type)
        csca_builder = (
            x509.CertificateBuilder()
            .subject_name(_name(csca_name))
            .issuer_name(_name(csca_name))
            .public_key(csca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365 * 15))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(csca_key.public_key()), critical=False)
        )
        csca_cert = _sign_cert(csca_builder, csca_key, pss)
        ds_key = _new_key(key_type)
        start = ds_valid_from or now - timedelta(days=1)
        ds_builder = (
            x509.CertificateBuilder()
            .subject_name(_name("Test Document Signer Vietnam"))
            .issuer_name(csca_cert.subject)
            .public_key(ds_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=ds_valid_days))
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(csca_key.public_key()), critical=False
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ds_key.public_key()), critical=False)
        )
        ds_cert = _sign_cert(ds_builder, csca_key, pss)
        pki = cls(directory, csca_cert, csca_key, ds_cert, ds_key, pss)
        pki._save(key_type)
        return pki

    def _save(self, key_type: str) -> None:
        private = self.directory / "private"
        self.trust_dir.mkdir(parents=True, exist_ok=True)
        private.mkdir(parents=True, exist_ok=True)
        pem = serialization.Encoding.PEM
        (self.trust_dir / "csca.pem").write_bytes(self.csca_cert.public_bytes(pem))
        (private / "ds.pem").write_bytes(self.ds_cert.public_bytes(pem))
        for name, key in (("csca_key.pem", self.csca_key), ("ds_key.pem", self.ds_key)):
            (private / name).write_bytes(
                key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            )
        (private / "pki.txt").write_text(f"{key_type}\n", encoding="ascii")

    @classmethod
    def load(cls, directory: str | Path) -> TestPki:
        """Reload a PKI written by :meth:`generate`."""
        directory = Path(directory)
        private = directory / "private"

        def key(name: str) -> SignerKey:
            loaded = serialization.load_pem_private_key((private / name).read_bytes(), password=None)
            if not isinstance(loaded, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
                raise ValueError(f"{name}: unsupported key type")
            return loaded

        return cls(
            directory,
            x509.load_pem_x509_certificate((directory / "csca" / "csca.pem").read_bytes()),
            key("csca_key.pem"),
            x509.load_pem_x509_certificate((private / "ds.pem").read_bytes()),
            key("ds_key.pem"),
            (private / "pki.txt").read_text(encoding="ascii").strip() == "rsa-pss",
        )
