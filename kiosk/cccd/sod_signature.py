"""Verifying the Document Signer's signature over EF.SOD's signed attributes.

ICAO 9303-10 requires signed attributes, so the signature covers them (re-tagged
as a SET, per RFC 5652 §5.4) and the message-digest attribute binds them to the
LDS security object.  Supports RSA PKCS#1 v1.5, RSA-PSS, ECDSA (DER) and BSI
"plain" ECDSA (r||s) as used by several issuing states.
"""

from __future__ import annotations

import hashlib

from asn1crypto import algos, cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from kiosk.cccd.lds_security import LDS_SECURITY_OBJECT_OID
from kiosk.cccd.pa_result import SignatureVerdict
from kiosk.cccd.sod import Sod
from kiosk.cccd.tlv import encode_tlv

_HASHES = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
#: BSI TR-03111 ecdsa-plain-SHA* (signature is r||s, not DER).
_PLAIN_ECDSA = {f"0.4.0.127.0.7.1.1.4.1.{i}": h for i, h in enumerate(_HASHES, start=1)}


class SignatureCheck:
    """Outcome of one signature verification: verdict, algorithm name and reason."""

    def __init__(self, verdict: SignatureVerdict, algorithm: str | None, detail: str | None = None):
        self.verdict = verdict
        self.algorithm = algorithm
        self.detail = detail


def find_signer_certificate(sod: Sod) -> x509.Certificate | None:
    """The embedded certificate named by the SignerInfo's sid."""
    sid = sod.signer_info["sid"]
    for cert in sod.certificates:
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if cert.serial_number == wanted["serial_number"].native and (
                cert.issuer.public_bytes() == wanted["issuer"].dump()
            ):
                return cert
        else:
            try:
                ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
            except x509.ExtensionNotFound:
                continue
            if ski == sid.chosen.native:
                return cert
    return None


def _attribute(signed_attrs: cms.CMSAttributes, name: str) -> object | None:
    for attr in signed_attrs:
        if attr["type"].native == name:
            values = attr["values"]
            return values[0] if len(values) == 1 else None
    return None


def _signed_bytes(sod: Sod) -> tuple[bytes | None, str | None]:
    """The bytes the signature covers, or (None, reason) if the attributes are inconsistent."""
    info = sod.signer_info
    signed_attrs = info["signed_attrs"]
    if not signed_attrs:
        return None, "SignerInfo has no signed attributes (required by ICAO 9303)"
    content_type = _attribute(signed_attrs, "content_type")
    if content_type is None or content_type.dotted != LDS_SECURITY_OBJECT_OID:
        return None, "signed content-type attribute is not the LDS security object"
    digest_name = info["digest_algorithm"]["algorithm"].native
    if digest_name not in _HASHES:
        return None, f"unsupported digest algorithm {info['digest_algorithm']['algorithm'].dotted}"
    digest = _attribute(signed_attrs, "message_digest")
    if digest is None or digest.native != hashlib.new(digest_name, sod.content).digest():
        return None, "signed message-digest attribute does not match the LDS security object"
    # Signed over the DER SET OF, not the [0] IMPLICIT encoding found in the SignerInfo.
    return encode_tlv(0x31, signed_attrs.contents), None


def _verify_raw(
    key: object, algo: cms.SignedDigestAlgorithm, digest_name: str, sig: bytes, data: bytes
) -> str:
    """Verify and return the algorithm name; raises InvalidSignature or UnsupportedAlgorithm."""
    oid = algo["algorithm"].dotted
    if oid in _PLAIN_ECDSA:
        half = len(sig) // 2
        if not isinstance(key, ec.EllipticCurvePublicKey) or len(sig) % 2:
            raise InvalidSignature()
        der = encode_dss_signature(int.from_bytes(sig[:half], "big"), int.from_bytes(sig[half:], "big"))
        key.verify(der, data, ec.ECDSA(_HASHES[_PLAIN_ECDSA[oid]]()))
        return f"ecdsa-plain-{_PLAIN_ECDSA[oid]}"
    try:
        scheme = algo.signature_algo
    except ValueError:
        raise UnsupportedAlgorithm(f"signature algorithm {oid}") from None
    if scheme == "rsassa_pss":
        return _verify_pss(key, algo["parameters"], sig, data)
    try:
        hash_name = algo.hash_algo
    except ValueError:
        hash_name = digest_name  # bare rsaEncryption / ecPublicKey: the SignerInfo digest applies
    if hash_name not in _HASHES:
        raise UnsupportedAlgorithm(f"hash {hash_name}")
    if scheme == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
        key.verify(sig, data, padding.PKCS1v15(), _HASHES[hash_name]())
        return f"rsassa-pkcs1v15-{hash_name}"
    if scheme == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(sig, data, ec.ECDSA(_HASHES[hash_name]()))
        return f"ecdsa-{hash_name}"
    if scheme in ("rsassa_pkcs1v15", "ecdsa"):
        raise InvalidSignature()  # key type does not match the declared algorithm
    raise UnsupportedAlgorithm(f"signature scheme {scheme}")


def _verify_pss(key: object, params: object, sig: bytes, data: bytes) -> str:
    """RSA-PSS with the parameters the card states. CMS requires them (RFC 4056), and
    each one is checked before it reaches the library: a missing parameter block was a
    TypeError, and a salt length beyond the key an OverflowError, out of a verifier
    that promises verdicts."""
    if not isinstance(params, algos.RSASSAPSSParams):
        raise UnsupportedAlgorithm("RSA-PSS without parameters")
    mgf = params["mask_gen_algorithm"]
    if mgf["algorithm"].native != "mgf1" or not isinstance(mgf["parameters"], algos.DigestAlgorithm):
        raise UnsupportedAlgorithm(f"RSA-PSS mask generation {mgf['algorithm'].dotted}")
    hash_name = params["hash_algorithm"]["algorithm"].native
    mgf_hash = mgf["parameters"]["algorithm"].native
    if hash_name not in _HASHES or mgf_hash not in _HASHES:
        raise UnsupportedAlgorithm(f"RSA-PSS with {hash_name}/{mgf_hash}")
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidSignature()
    salt = params["salt_length"].native
    if not 0 <= salt <= key.key_size // 8:  # the encoded message holds the salt, so it is shorter
        raise InvalidSignature()
    pss = padding.PSS(padding.MGF1(_HASHES[mgf_hash]()), salt)
    key.verify(sig, data, pss, _HASHES[hash_name]())
    return f"rsassa-pss-{hash_name}"


def verify_sod_signature(sod: Sod, signer: x509.Certificate) -> SignatureCheck:
    """Check the signed attributes and the DS signature over them."""
    data, problem = _signed_bytes(sod)
    if data is None:
        return SignatureCheck(SignatureVerdict.FAILED, None, problem)
    info = sod.signer_info
    algo = info["signature_algorithm"]
    try:
        key = signer.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        # e.g. EC keys with explicit domain parameters, which cryptography refuses.
        return SignatureCheck(SignatureVerdict.UNSUPPORTED_ALGORITHM, None, f"DS public key unusable: {exc}")
    try:
        name = _verify_raw(
            key,
            algo,
            info["digest_algorithm"]["algorithm"].native,
            info["signature"].native,
            data,
        )
    except InvalidSignature:
        return SignatureCheck(SignatureVerdict.FAILED, algo["algorithm"].dotted, "DS signature is invalid")
    except (UnsupportedAlgorithm, ValueError) as exc:
        return SignatureCheck(
            SignatureVerdict.UNSUPPORTED_ALGORITHM, algo["algorithm"].dotted, f"unsupported: {exc}"
        )
    return SignatureCheck(SignatureVerdict.OK, name)
