"""DG15: the Active Authentication public key (tag 6F around a SubjectPublicKeyInfo)."""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import keys
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.serialization import load_der_public_key

from kiosk.cccd.errors import SecurityInfoError, TlvError
from kiosk.cccd.tlv import unwrap

DG15_TAG = 0x6F


@dataclass(frozen=True)
class AaPublicKey:
    algorithm: str  # "rsa" or "ec"
    public_key_info: bytes
    #: Loaded key, or None when cryptography cannot load it (EC keys with explicit
    #: domain parameters, frequent on eMRTDs); ``public_key_info`` still holds it.
    key: PublicKeyTypes | None


def parse_dg15(data: bytes) -> AaPublicKey:
    try:
        spki_der = unwrap(data, DG15_TAG, "DG15").value
        info = keys.PublicKeyInfo.load(spki_der, strict=True)
        algorithm = info.algorithm
        info.native  # noqa: B018 - decode fully now so damage is reported here
    except TlvError as exc:
        raise SecurityInfoError(str(exc)) from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        raise SecurityInfoError(f"DG15 public key malformed: {exc.__class__.__name__}: {exc}") from None
    if algorithm not in ("rsa", "ec"):
        raise SecurityInfoError(f"DG15 key algorithm {algorithm!r} is not RSA or EC")
    try:
        key = load_der_public_key(spki_der)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    return AaPublicKey(algorithm=algorithm, public_key_info=spki_der, key=key)
