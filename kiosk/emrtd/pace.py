"""PACE with generic mapping over ECDH (ICAO 9303-11 §4.4), terminal side.

The password is the CAN (the CCCD's last six ID digits) or the MRZ
information. Ephemeral private keys come from an injectable source so the
known-answer test can replay Part 11's Appendix G exchange exactly."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from ecdsa import curves

from kiosk.cccd.dg14 import PaceInfo
from kiosk.emrtd import ec
from kiosk.emrtd.apdu import Command
from kiosk.emrtd.cardaccess import oid_bytes, pace_cipher, supported
from kiosk.emrtd.channel import ApduChannel
from kiosk.emrtd.crypto import (
    KDF_ENC,
    KDF_MAC,
    KDF_PACE,
    Cipher,
    aes_cbc,
    aes_cmac8,
    des3_cbc,
    kdf,
    retail_mac,
)
from kiosk.emrtd.errors import AccessDeniedError, MalformedResponseError, ProtocolError, StatusWordError
from kiosk.emrtd.sm import SessionKeys
from kiosk.emrtd.tlv import encode_tlv, find_tlv

PASSWORD_MRZ = 1
PASSWORD_CAN = 2

KeySource = Callable[[curves.Curve], int]


@dataclass(frozen=True)
class PacePassword:
    """A PACE password: its reference (1 MRZ, 2 CAN) and the secret bytes π."""

    reference: int
    secret: bytes

    @classmethod
    def from_can(cls, can: str) -> PacePassword:
        if not (can.isdigit() and len(can) == 6):
            raise ValueError("CAN must be 6 digits")
        return cls(PASSWORD_CAN, can.encode("ascii"))

    @classmethod
    def from_mrz_info(cls, mrz_info: str) -> PacePassword:
        return cls(PASSWORD_MRZ, hashlib.sha1(mrz_info.encode("ascii")).digest())

    def key(self, cipher: Cipher) -> bytes:
        return kdf(self.secret, KDF_PACE, cipher)


def decrypt_nonce(k_pi: bytes, cipher: Cipher, z: bytes) -> bytes:
    if len(z) % cipher.block or not z:
        raise ProtocolError("encrypted PACE nonce is not a whole number of blocks")
    if cipher is Cipher.DES3:
        return des3_cbc(k_pi, z, decrypt=True)
    return aes_cbc(k_pi, z, bytes(16), decrypt=True)


def auth_token(info: PaceInfo, ks_mac: bytes, public_point: bytes) -> bytes:
    """T = MAC(KS_mac, public key data object of the *other* side's key)."""
    data = encode_tlv(0x7F49, encode_tlv(0x06, oid_bytes(info)) + encode_tlv(0x86, public_point))
    if pace_cipher(info) is Cipher.DES3:
        return retail_mac(ks_mac, data)
    return aes_cmac8(ks_mac, data)


def _general_authenticate(channel: ApduChannel, tag: int, value: bytes, last: bool, step: str) -> bytes:
    cmd = Command(
        0x00 if last else 0x10,
        0x86,
        0x00,
        0x00,
        encode_tlv(0x7C, encode_tlv(tag, value) if tag else b""),
        256,
        step,
    )
    try:
        data = channel.send(cmd).data
    except StatusWordError as exc:
        if exc.sw & 0xFF00 == 0x6300 or (exc.sw in (0x6982, 0x6A80) and last):
            raise AccessDeniedError("PACE refused by the card: the CAN or MRZ data is wrong") from None
        raise
    try:
        inner = find_tlv(data, 0x7C)
    except MalformedResponseError:
        inner = None
    if inner is None:
        raise ProtocolError(f"PACE {step}: answer lacks dynamic authentication data (7C)")
    return inner


def _expect(inner: bytes, tag: int, step: str) -> bytes:
    try:
        value = find_tlv(inner, tag)
    except MalformedResponseError:
        value = None
    if value is None:
        raise ProtocolError(f"PACE {step}: answer lacks data object {tag:02X}")
    return value


def perform_pace(
    channel: ApduChannel, info: PaceInfo, password: PacePassword, keygen: KeySource = ec.random_scalar
) -> SessionKeys:
    """Run PACE-GM and switch the channel to secure messaging (SSC = 0)."""
    if not supported(info):
        raise ProtocolError(f"PACE variant {info.protocol} v{info.version} is not supported")
    assert info.parameter_id is not None
    curve = ec.curve_for(info.parameter_id)
    cipher = pace_cipher(info)
    mse = encode_tlv(0x80, oid_bytes(info)) + encode_tlv(0x83, bytes([password.reference]))
    channel.send(Command(0x00, 0x22, 0xC1, 0xA4, mse, name="MSE:Set AT"))

    z = _expect(_general_authenticate(channel, 0, b"", False, "nonce"), 0x80, "nonce")
    nonce = decrypt_nonce(password.key(cipher), cipher, z)

    map_private = keygen(curve)
    map_public = ec.encode_point(curve, curve.generator * map_private)
    inner = _general_authenticate(channel, 0x81, map_public, False, "map nonce")
    card_map_public = _expect(inner, 0x82, "map nonce")
    if hmac.compare_digest(card_map_public, map_public):
        raise ProtocolError("PACE: the card echoed our mapping key")
    h = ec.shared_point(map_private, ec.decode_point(curve, card_map_public))
    generator = ec.map_generator(curve, nonce, h)

    eph_private = keygen(curve)
    eph_public = ec.encode_point(curve, generator * eph_private)
    inner = _general_authenticate(channel, 0x83, eph_public, False, "key agreement")
    card_eph_public = _expect(inner, 0x84, "key agreement")
    if hmac.compare_digest(card_eph_public, eph_public):
        raise ProtocolError("PACE: the card echoed our ephemeral key")
    shared = ec.shared_point(eph_private, ec.decode_point(curve, card_eph_public))
    secret = ec.x_coordinate(curve, shared)
    ks_enc, ks_mac = kdf(secret, KDF_ENC, cipher), kdf(secret, KDF_MAC, cipher)

    token = auth_token(info, ks_mac, card_eph_public)
    inner = _general_authenticate(channel, 0x85, token, True, "mutual authentication")
    card_token = _expect(inner, 0x86, "mutual authentication")
    if not hmac.compare_digest(card_token, auth_token(info, ks_mac, eph_public)):
        raise AccessDeniedError("PACE: the card's authentication token does not verify")
    keys = SessionKeys(cipher, ks_enc, ks_mac, 0)
    channel.start_secure_messaging(keys)
    return keys
