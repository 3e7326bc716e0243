"""Chip Authentication (ICAO 9303-11 §6.2), ECDH variants, terminal side.

An ephemeral ECDH with the chip's static key from DG14 gives fresh session
keys; only a chip holding the matching private key can keep talking after the
switch, so a clone fails at the next command (implicit authentication). The
static key's integrity comes from passive authentication of DG14.

Plain ECDH on a named curve is exactly what `cryptography` offers, so it does
the key agreement here. DG14 keys with explicit domain parameters (common on
eMRTDs) are matched to the standardized curve they describe."""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import core
from asn1crypto import keys as asn1_keys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kiosk.cccd.dg14 import SecurityInfos
from kiosk.emrtd import ec as ec_math
from kiosk.emrtd.apdu import Command
from kiosk.emrtd.channel import ApduChannel
from kiosk.emrtd.crypto import KDF_ENC, KDF_MAC, Cipher, kdf
from kiosk.emrtd.errors import ProtocolError, SecureMessagingError, StatusWordError
from kiosk.emrtd.sm import SessionKeys
from kiosk.emrtd.tlv import encode_tlv

ID_CA_ECDH = "0.4.0.127.0.7.2.2.3.2"
CA_CIPHERS = {
    f"{ID_CA_ECDH}.1": Cipher.DES3,
    f"{ID_CA_ECDH}.2": Cipher.AES128,
    f"{ID_CA_ECDH}.3": Cipher.AES192,
    f"{ID_CA_ECDH}.4": Cipher.AES256,
}
ID_PK_ECDH = "0.4.0.127.0.7.2.2.1.2"

_CRYPTOGRAPHY_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "NIST192p": ec.SECP192R1,
    "NIST224p": ec.SECP224R1,
    "NIST256p": ec.SECP256R1,
    "NIST384p": ec.SECP384R1,
    "NIST521p": ec.SECP521R1,
    "BRAINPOOLP256r1": ec.BrainpoolP256R1,
    "BRAINPOOLP384r1": ec.BrainpoolP384R1,
    "BRAINPOOLP512r1": ec.BrainpoolP512R1,
}


class ChipAuthenticationError(SecureMessagingError):
    """The chip could not continue after Chip Authentication: it does not hold
    the private key DG14 names (a clone), or refused the protocol."""


@dataclass(frozen=True)
class ChipAuthPlan:
    """What DG14 tells us: protocol OID, the chip's static public key, key id."""

    protocol: str
    public_key: ec.EllipticCurvePublicKey
    key_id: int | None

    @property
    def cipher(self) -> Cipher:
        return CA_CIPHERS[self.protocol]


def _explicit_curve(params: asn1_keys.SpecifiedECDomain) -> ec.EllipticCurve:
    prime = params["field_id"]["parameters"].native
    base = params["base"].native
    for curve in ec_math.STANDARD_CURVES.values():
        if curve.curve.p() == prime and curve.generator.to_bytes("uncompressed") == base:
            cls = _CRYPTOGRAPHY_CURVES.get(curve.name)
            if cls is not None:
                return cls()
    raise ProtocolError("DG14 chip key uses explicit EC parameters of no supported curve")


def load_chip_key(spki_der: bytes) -> ec.EllipticCurvePublicKey:
    """The chip's static key from a DG14 SubjectPublicKeyInfo."""
    try:
        key = serialization.load_der_public_key(spki_der)
    except (ValueError, TypeError):
        key = None
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key
    try:
        info = asn1_keys.PublicKeyInfo.load(spki_der, strict=True)
        params = info["algorithm"]["parameters"]
        if info.algorithm != "ec" or params.name != "specified":
            raise ProtocolError("DG14 chip key is not an EC key")
        curve = _explicit_curve(params.chosen)
        return ec.EllipticCurvePublicKey.from_encoded_point(curve, bytes(info["public_key"]))
    except (ValueError, TypeError, KeyError) as exc:
        raise ProtocolError(f"DG14 chip key unusable: {exc}") from None


def plan_from_dg14(infos: SecurityInfos) -> ChipAuthPlan | None:
    """The CA to run, or None when DG14 offers no ECDH variant we support."""
    for info in infos.chip_authentication:
        if info.protocol not in CA_CIPHERS:
            continue
        for key in infos.chip_authentication_keys:
            if key.protocol == ID_PK_ECDH and (info.key_id is None or key.key_id == info.key_id):
                return ChipAuthPlan(info.protocol, load_chip_key(key.public_key_info), info.key_id)
    return None


def session_keys_from_secret(shared_x: bytes, cipher: Cipher) -> SessionKeys:
    return SessionKeys(cipher, kdf(shared_x, KDF_ENC, cipher), kdf(shared_x, KDF_MAC, cipher), 0)


def perform_chip_authentication(channel: ApduChannel, plan: ChipAuthPlan) -> SessionKeys:
    """Run CA inside the current secure channel and switch to the new keys."""
    ephemeral = ec.generate_private_key(plan.public_key.curve)
    point = ephemeral.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    key_ref = encode_tlv(0x84, plan.key_id.to_bytes(1, "big")) if plan.key_id is not None else b""
    oid_content = core.ObjectIdentifier(plan.protocol).contents
    try:
        if plan.cipher is Cipher.DES3:
            data = encode_tlv(0x91, point) + key_ref
            channel.send(Command(0x00, 0x22, 0x41, 0xA6, data, name="MSE:Set KAT"))
        else:
            mse = encode_tlv(0x80, oid_content) + key_ref
            channel.send(Command(0x00, 0x22, 0x41, 0xA4, mse, name="MSE:Set AT (CA)"))
            ga = encode_tlv(0x7C, encode_tlv(0x80, point))
            channel.send(Command(0x00, 0x86, 0x00, 0x00, ga, 256, "GENERAL AUTHENTICATE (CA)"))
    except StatusWordError as exc:
        raise ChipAuthenticationError(f"chip refused Chip Authentication ({exc.sw:04X})") from None
    shared = ephemeral.exchange(ec.ECDH(), plan.public_key)
    keys = session_keys_from_secret(shared, plan.cipher)
    channel.start_secure_messaging(keys)
    return keys
