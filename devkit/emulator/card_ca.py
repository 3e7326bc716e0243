"""Chip Authentication, card side, and the DG14 that advertises it.

The emulated chip holds a static EC key; the reader's ephemeral key arrives
in GENERAL AUTHENTICATE (AES variants) or MSE:Set KAT (3DES); both sides then
derive the same fresh session keys. A chip given a key other than the one in
its DG14 behaves like a clone: it derives different keys and fails the next
command (6988)."""

from __future__ import annotations

from asn1crypto import core
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from devkit.cccd import lds_build
from devkit.cccd.sod_builder import build_sod
from devkit.cccd.test_pki import TestPki
from kiosk.emrtd.apdu import Command
from kiosk.emrtd.chip_auth import CA_CIPHERS, ID_PK_ECDH, session_keys_from_secret
from kiosk.emrtd.errors import MalformedResponseError
from kiosk.emrtd.sm import SessionKeys
from kiosk.emrtd.tlv import encode_tlv, find_tlv

SW_OK = 0x9000
SW_WRONG_DATA = 0x6A80
SW_CONDITIONS = 0x6985
CA_AES_128 = "0.4.0.127.0.7.2.2.3.2.2"
CA_3DES = "0.4.0.127.0.7.2.2.3.2.1"

Answer = tuple[bytes, int, SessionKeys | None]


def build_dg14(public_key: ec.EllipticCurvePublicKey, protocol: str = CA_AES_128) -> bytes:
    """DG14: ChipAuthenticationPublicKeyInfo + ChipAuthenticationInfo (version 1)."""
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_info = encode_tlv(0x30, core.ObjectIdentifier(ID_PK_ECDH).dump() + spki)
    ca_info = encode_tlv(0x30, core.ObjectIdentifier(protocol).dump() + core.Integer(1).dump())
    return encode_tlv(0x6E, encode_tlv(0x31, b"".join(sorted((key_info, ca_info)))))


def with_chip_authentication(
    files: dict[int, bytes], pki: TestPki, public_key: ec.EllipticCurvePublicKey, protocol: str = CA_AES_128
) -> dict[int, bytes]:
    """Re-issue a test card with DG14 added: new EF.COM and a new EF.SOD over all groups."""
    groups = {fid & 0xFF: body for fid, body in files.items() if 0x0101 <= fid <= 0x0110}
    groups[14] = build_dg14(public_key, protocol)
    issued = dict(files)
    issued[0x010E] = groups[14]
    issued[0x011E] = lds_build.build_com(sorted(groups))
    issued[0x011D] = build_sod(groups, pki.ds_key, pki.ds_cert, rsa_pss=pki.rsa_pss)
    return issued


class ChipAuthCard:
    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        self._key = private_key
        self._protocol: str | None = None

    @property
    def pending(self) -> bool:
        return self._protocol is not None

    def _agree(self, point: bytes, protocol: str) -> SessionKeys:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(self._key.curve, point)
        return session_keys_from_secret(self._key.exchange(ec.ECDH(), peer), CA_CIPHERS[protocol])

    def set_at(self, cmd: Command) -> Answer:
        try:
            oid = find_tlv(cmd.data, 0x80)
        except MalformedResponseError:
            oid = None
        known = {core.ObjectIdentifier(p).contents: p for p in CA_CIPHERS}
        if oid not in known:
            return b"", SW_WRONG_DATA, None
        self._protocol = known[oid]
        return b"", SW_OK, None

    def general_authenticate(self, cmd: Command) -> Answer:
        protocol, self._protocol = self._protocol, None
        try:
            inner = find_tlv(cmd.data, 0x7C)
            point = find_tlv(inner or b"", 0x80)
            if protocol is None or point is None:
                return b"", SW_CONDITIONS, None
            return encode_tlv(0x7C, b""), SW_OK, self._agree(point, protocol)
        except (ValueError, MalformedResponseError):  # bad point, or bad data objects
            return b"", SW_WRONG_DATA, None

    def set_kat(self, cmd: Command) -> Answer:
        try:
            point = find_tlv(cmd.data, 0x91)
            if point is None:
                return b"", SW_WRONG_DATA, None
            return b"", SW_OK, self._agree(point, CA_3DES)
        except (ValueError, MalformedResponseError):  # bad point, or bad data objects
            return b"", SW_WRONG_DATA, None
