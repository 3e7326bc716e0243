"""Active Authentication (ICAO 9303-11 §6.1): proves the chip holds the
private key whose public half is in DG15, i.e. the chip was not cloned (passive
authentication alone accepts a perfect copy of the data).

ECDSA keys are verified with `cryptography` (the chip answers the plain r||s
format; the hash comes from DG14's ActiveAuthenticationInfo, or is found by
trying the usual ones when DG14 is absent). RSA keys use ISO/IEC 9796-2
message recovery, which no maintained Python library offers; those cards get
the verdict `not_supported` rather than a home-made RSA."""

from __future__ import annotations

import enum
import os
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from kiosk.cccd.dg15 import AaPublicKey
from kiosk.emrtd.apdu import Command
from kiosk.emrtd.channel import ApduChannel
from kiosk.emrtd.errors import StatusWordError

_PLAIN_ECDSA = "0.4.0.127.0.7.1.1.4.1"
HASH_BY_OID: dict[str, hashes.HashAlgorithm] = {
    f"{_PLAIN_ECDSA}.1": hashes.SHA1(),
    f"{_PLAIN_ECDSA}.2": hashes.SHA224(),
    f"{_PLAIN_ECDSA}.3": hashes.SHA256(),
    f"{_PLAIN_ECDSA}.4": hashes.SHA384(),
    f"{_PLAIN_ECDSA}.5": hashes.SHA512(),
}
FALLBACK_HASHES = (hashes.SHA256(), hashes.SHA1(), hashes.SHA384(), hashes.SHA512(), hashes.SHA224())


class AaVerdict(enum.Enum):
    OK = "ok"
    FAILED = "failed"
    NOT_SUPPORTED = "not_supported"
    NOT_PRESENT = "not_present"


@dataclass(frozen=True)
class ActiveAuthResult:
    verdict: AaVerdict
    algorithm: str | None = None
    detail: str | None = None

    def to_json_dict(self) -> dict[str, str | None]:
        return {"verdict": self.verdict.value, "algorithm": self.algorithm, "detail": self.detail}


def verify_ecdsa_plain(
    key: ec.EllipticCurvePublicKey,
    challenge: bytes,
    signature: bytes,
    candidates: tuple[hashes.HashAlgorithm, ...],
) -> hashes.HashAlgorithm | None:
    """The hash under which `signature` (r||s) verifies over `challenge`, or None."""
    if not signature or len(signature) % 2:
        return None
    half = len(signature) // 2
    der = encode_dss_signature(
        int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
    )
    for algorithm in candidates:
        try:
            key.verify(der, challenge, ec.ECDSA(algorithm))
            return algorithm
        except InvalidSignature:
            continue
    return None


def active_authenticate(
    channel: ApduChannel,
    dg15: AaPublicKey,
    signature_oid: str | None = None,
    random: Callable[[int], bytes] = os.urandom,
) -> ActiveAuthResult:
    """Challenge the chip with 8 random bytes and check its signature."""
    if dg15.algorithm != "ec" or not isinstance(dg15.key, ec.EllipticCurvePublicKey):
        return ActiveAuthResult(
            AaVerdict.NOT_SUPPORTED, dg15.algorithm, "only ECDSA Active Authentication is verified"
        )
    if signature_oid and signature_oid not in HASH_BY_OID:
        return ActiveAuthResult(AaVerdict.NOT_SUPPORTED, signature_oid, "unknown AA signature algorithm")
    candidates = (HASH_BY_OID[signature_oid],) if signature_oid else FALLBACK_HASHES
    challenge = random(8)
    try:
        signature = channel.send(
            Command(0x00, 0x88, 0x00, 0x00, challenge, 256, "INTERNAL AUTHENTICATE")
        ).data
    except StatusWordError as exc:
        return ActiveAuthResult(
            AaVerdict.FAILED, "ecdsa", f"chip refused INTERNAL AUTHENTICATE ({exc.sw:04X})"
        )
    used = verify_ecdsa_plain(dg15.key, challenge, signature, candidates)
    if used is None:
        return ActiveAuthResult(AaVerdict.FAILED, "ecdsa", "signature over our challenge does not verify")
    return ActiveAuthResult(AaVerdict.OK, f"ecdsa-plain-{used.name}")
