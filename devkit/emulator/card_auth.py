"""Card side of BAC and PACE-GM for the emulator.

Each handler gets the decoded command and returns (data, status word, session
keys or None). Key agreement failures answer 6300 like a real chip, so the
reader's wrong-key path is exercised end to end."""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec as crypto_ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from ecdsa.ellipticcurve import PointJacobi

from kiosk.cccd.dg14 import PaceInfo
from kiosk.emrtd import ec
from kiosk.emrtd.apdu import Command
from kiosk.emrtd.bac import document_keys, session_keys
from kiosk.emrtd.cardaccess import oid_bytes, pace_cipher
from kiosk.emrtd.crypto import KDF_ENC, KDF_MAC, Cipher, aes_cbc, des3_cbc, kdf, retail_mac
from kiosk.emrtd.errors import MalformedResponseError, ProtocolError
from kiosk.emrtd.pace import PASSWORD_CAN, PASSWORD_MRZ, PacePassword, auth_token
from kiosk.emrtd.sm import SessionKeys
from kiosk.emrtd.tlv import encode_tlv, find_tlv

SW_OK = 0x9000
SW_AUTH_FAILED = 0x6300
SW_CONDITIONS = 0x6985
SW_WRONG_DATA = 0x6A80

Answer = tuple[bytes, int, SessionKeys | None]


class BacCard:
    def __init__(self, mrz_info: str) -> None:
        self._k_enc, self._k_mac = document_keys(mrz_info)
        self._rnd_icc: bytes | None = None

    def get_challenge(self) -> Answer:
        self._rnd_icc = os.urandom(8)
        return self._rnd_icc, SW_OK, None

    def mutual_authenticate(self, cmd: Command) -> Answer:
        rnd_icc, self._rnd_icc = self._rnd_icc, None
        if rnd_icc is None:
            return b"", SW_CONDITIONS, None
        if len(cmd.data) != 40:
            return b"", SW_WRONG_DATA, None
        e_ifd, m_ifd = cmd.data[:32], cmd.data[32:]
        if not hmac.compare_digest(retail_mac(self._k_mac, e_ifd), m_ifd):
            return b"", SW_AUTH_FAILED, None
        plain = des3_cbc(self._k_enc, e_ifd, decrypt=True)
        rnd_ifd, echoed, k_ifd = plain[:8], plain[8:16], plain[16:32]
        if echoed != rnd_icc:
            return b"", SW_AUTH_FAILED, None
        k_icc = os.urandom(16)
        e_ic = des3_cbc(self._k_enc, rnd_icc + rnd_ifd + k_icc)
        keys = session_keys(k_ifd, k_icc, rnd_icc, rnd_ifd)
        return e_ic + retail_mac(self._k_mac, e_ic), SW_OK, keys


@dataclass
class _PaceState:
    info: PaceInfo
    password: PacePassword
    step: int = 0
    nonce: bytes = b""
    generator: PointJacobi | None = None
    terminal_public: bytes = b""
    own_public: bytes = b""
    secret: bytes = b""


class PaceCard:
    """PACE-GM responder for the single PACEInfo the card advertises."""

    def __init__(self, info: PaceInfo, mrz_info: str, can: str) -> None:
        self._info = info
        self._passwords = {
            PASSWORD_MRZ: PacePassword.from_mrz_info(mrz_info),
            PASSWORD_CAN: PacePassword.from_can(can),
        }
        self._state: _PaceState | None = None

    def set_at(self, cmd: Command) -> Answer:
        try:
            oid = find_tlv(cmd.data, 0x80)
            ref = find_tlv(cmd.data, 0x83)
        except MalformedResponseError:
            return b"", SW_WRONG_DATA, None
        if oid != oid_bytes(self._info) or not ref or ref[0] not in self._passwords:
            return b"", SW_WRONG_DATA, None
        self._state = _PaceState(self._info, self._passwords[ref[0]])
        return b"", SW_OK, None

    def general_authenticate(self, cmd: Command) -> Answer:
        state = self._state
        if state is None:
            return b"", SW_CONDITIONS, None
        try:
            inner = find_tlv(cmd.data, 0x7C)
            if inner is None:
                raise ValueError("no 7C")
            return self._step(state, inner)
        except (ValueError, ProtocolError, MalformedResponseError):
            self._state = None
            return b"", SW_WRONG_DATA, None

    def _step(self, state: _PaceState, inner: bytes) -> Answer:
        curve = ec.curve_for(state.info.parameter_id or 13)
        cipher = pace_cipher(state.info)
        state.step += 1
        if state.step == 1:
            state.nonce = os.urandom(cipher.block)
            key = state.password.key(cipher)
            z = des3_cbc(key, state.nonce) if cipher is Cipher.DES3 else aes_cbc(key, state.nonce, bytes(16))
            return encode_tlv(0x7C, encode_tlv(0x80, z)), SW_OK, None
        if state.step == 2:
            terminal = ec.decode_point(curve, _require(inner, 0x81))
            private = ec.random_scalar(curve)
            h = ec.shared_point(private, terminal)
            state.generator = ec.map_generator(curve, state.nonce, h)
            public = ec.encode_point(curve, curve.generator * private)
            return encode_tlv(0x7C, encode_tlv(0x82, public)), SW_OK, None
        if state.step == 3:
            assert state.generator is not None
            state.terminal_public = _require(inner, 0x83)
            private = ec.random_scalar(curve)
            state.own_public = ec.encode_point(curve, state.generator * private)
            if hmac.compare_digest(state.own_public, state.terminal_public):
                raise ValueError("terminal echoed our key")
            shared = ec.shared_point(private, ec.decode_point(curve, state.terminal_public))
            state.secret = ec.x_coordinate(curve, shared)
            public = state.own_public
            return encode_tlv(0x7C, encode_tlv(0x84, public)), SW_OK, None
        if state.step == 4:
            self._state = None
            ks_enc, ks_mac = kdf(state.secret, KDF_ENC, cipher), kdf(state.secret, KDF_MAC, cipher)
            expected = auth_token(state.info, ks_mac, state.own_public)
            if not hmac.compare_digest(_require(inner, 0x85), expected):
                return b"", SW_AUTH_FAILED, None
            token = auth_token(state.info, ks_mac, state.terminal_public)
            return encode_tlv(0x7C, encode_tlv(0x86, token)), SW_OK, SessionKeys(cipher, ks_enc, ks_mac, 0)
        raise ValueError("PACE already finished")


def _require(inner: bytes, tag: int) -> bytes:
    value = find_tlv(inner, tag)
    if value is None:
        raise ValueError(f"missing {tag:02X}")
    return value


def load_aa_key(pem: bytes) -> crypto_ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, crypto_ec.EllipticCurvePrivateKey):
        raise ValueError("the emulator does Active Authentication with EC keys only")
    return key


def sign_challenge(key: crypto_ec.EllipticCurvePrivateKey, challenge: bytes) -> bytes:
    """INTERNAL AUTHENTICATE: ECDSA-SHA256 over the challenge, plain r||s."""
    r, s = decode_dss_signature(key.sign(challenge, crypto_ec.ECDSA(hashes.SHA256())))
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")
