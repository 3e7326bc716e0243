"""Writing EF.SOD: a CMS SignedData over the LDS security object.

Used to issue test cards (our own test Document Signer); the structure follows
ICAO 9303-10 §4.6.2 so that :mod:`kiosk.cccd.passive_auth` verifies it exactly as
it verifies a real card.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from asn1crypto import algos, cms, core, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from kiosk.cccd.lds_security import LDS_SECURITY_OBJECT_OID, SOD_TAG, LdsSecurityObject
from kiosk.cccd.tlv import encode_tlv

SignerKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
_CRYPTO_HASHES = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def lds_security_object(data_groups: dict[int, bytes], digest: str = "sha256") -> bytes:
    """DER of the LDSSecurityObject hashing each data group (keyed by DG number)."""
    return LdsSecurityObject(
        {
            "version": 0,
            "hash_algorithm": {"algorithm": digest},
            "data_group_hash_values": [
                {"data_group_number": number, "data_group_hash_value": hashlib.new(digest, body).digest()}
                for number, body in sorted(data_groups.items())
            ],
        }
    ).dump()


def _sign(key: SignerKey, data: bytes, digest: str, pss: bool) -> tuple[bytes, dict]:
    hash_obj = _CRYPTO_HASHES[digest]()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hash_obj)), {"algorithm": f"{digest}_ecdsa"}
    if pss:
        salt = hash_obj.digest_size
        params = {
            "hash_algorithm": {"algorithm": digest},
            "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": digest}},
            "salt_length": salt,
        }
        signature = key.sign(data, padding.PSS(padding.MGF1(_CRYPTO_HASHES[digest]()), salt), hash_obj)
        return signature, {"algorithm": "rsassa_pss", "parameters": params}
    return key.sign(data, padding.PKCS1v15(), hash_obj), {"algorithm": f"{digest}_rsa"}


def build_sod(
    data_groups: dict[int, bytes],
    signer_key: SignerKey,
    signer_cert: cx509.Certificate,
    *,
    digest: str = "sha256",
    rsa_pss: bool = False,
    signing_time: datetime | None = None,
) -> bytes:
    """EF.SOD (tag 77) signing the hashes of ``data_groups`` with the Document Signer."""
    content = lds_security_object(data_groups, digest)
    when = signing_time or datetime.now(timezone.utc)
    signed_attrs = cms.CMSAttributes(
        [
            {"type": "content_type", "values": [LDS_SECURITY_OBJECT_OID]},
            {"type": "signing_time", "values": [cms.Time({"utc_time": when})]},
            {"type": "message_digest", "values": [hashlib.new(digest, content).digest()]},
        ]
    )
    signature, sig_alg = _sign(signer_key, signed_attrs.dump(), digest, rsa_pss)
    cert = x509.Certificate.load(signer_cert.public_bytes(serialization.Encoding.DER))
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": cert.issuer,
                        "serial_number": cert.serial_number,
                    }
                }
            ),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": digest}),
            "signed_attrs": signed_attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm(sig_alg),
            "signature": signature,
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": digest})],
            "encap_content_info": {
                "content_type": LDS_SECURITY_OBJECT_OID,
                "content": core.ParsableOctetString(content),
            },
            "certificates": [cert],
            "signer_infos": [signer_info],
        }
    )
    info = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
    return encode_tlv(SOD_TAG, info.dump())
