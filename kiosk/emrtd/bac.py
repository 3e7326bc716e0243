"""Basic Access Control (ICAO 9303-11 §4.3): the 3DES challenge-response that
turns the printed MRZ data into secure-messaging session keys.

Randomness is passed in so the known-answer tests can replay Part 11's worked
example byte for byte."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable

from kiosk.emrtd.apdu import Command
from kiosk.emrtd.channel import ApduChannel
from kiosk.emrtd.crypto import KDF_ENC, KDF_MAC, Cipher, des3_cbc, kdf, retail_mac
from kiosk.emrtd.errors import AccessDeniedError, MalformedResponseError, StatusWordError
from kiosk.emrtd.sm import SessionKeys

RandomSource = Callable[[int], bytes]


def key_seed(mrz_info: str) -> bytes:
    """K_seed from the MRZ information (document number, birth, expiry, each
    followed by its check digit)."""
    return hashlib.sha1(mrz_info.encode("ascii")).digest()[:16]


def document_keys(mrz_info: str) -> tuple[bytes, bytes]:
    """(K_enc, K_mac) of the document basic access keys."""
    seed = key_seed(mrz_info)
    return kdf(seed, KDF_ENC, Cipher.DES3), kdf(seed, KDF_MAC, Cipher.DES3)


def initial_ssc(rnd_icc: bytes, rnd_ifd: bytes) -> int:
    return int.from_bytes(rnd_icc[4:8] + rnd_ifd[4:8], "big")


def session_keys(k_ifd: bytes, k_icc: bytes, rnd_icc: bytes, rnd_ifd: bytes) -> SessionKeys:
    seed = bytes(a ^ b for a, b in zip(k_ifd, k_icc, strict=True))
    return SessionKeys(
        Cipher.DES3,
        kdf(seed, KDF_ENC, Cipher.DES3),
        kdf(seed, KDF_MAC, Cipher.DES3),
        initial_ssc(rnd_icc, rnd_ifd),
    )


def mutual_authenticate_data(
    k_enc: bytes, k_mac: bytes, rnd_ifd: bytes, rnd_icc: bytes, k_ifd: bytes
) -> bytes:
    """E_IFD || M_IFD, the data field of MUTUAL AUTHENTICATE."""
    e_ifd = des3_cbc(k_enc, rnd_ifd + rnd_icc + k_ifd)
    return e_ifd + retail_mac(k_mac, e_ifd)


def verify_card_answer(k_enc: bytes, k_mac: bytes, answer: bytes, rnd_ifd: bytes, rnd_icc: bytes) -> bytes:
    """Check the chip's E_IC || M_IC and return K.ICC."""
    if len(answer) != 40:
        raise MalformedResponseError(f"MUTUAL AUTHENTICATE answer of {len(answer)} bytes, expected 40")
    e_ic, m_ic = answer[:32], answer[32:]
    if not hmac.compare_digest(retail_mac(k_mac, e_ic), m_ic):
        raise AccessDeniedError("chip's BAC cryptogram MAC does not verify")
    plain = des3_cbc(k_enc, e_ic, decrypt=True)
    if plain[:8] != rnd_icc or plain[8:16] != rnd_ifd:
        raise AccessDeniedError("chip's BAC cryptogram does not echo our challenge")
    return plain[16:32]


def perform_bac(channel: ApduChannel, mrz_info: str, random: RandomSource = os.urandom) -> SessionKeys:
    """Run BAC on the selected eMRTD application and switch the channel to 3DES SM."""
    k_enc, k_mac = document_keys(mrz_info)
    rnd_icc = channel.send(Command(0x00, 0x84, 0x00, 0x00, ne=8, name="GET CHALLENGE")).data
    if len(rnd_icc) != 8:
        raise MalformedResponseError(f"GET CHALLENGE returned {len(rnd_icc)} bytes, expected 8")
    rnd_ifd, k_ifd = random(8), random(16)
    data = mutual_authenticate_data(k_enc, k_mac, rnd_ifd, rnd_icc, k_ifd)
    try:
        answer = channel.send(Command(0x00, 0x82, 0x00, 0x00, data, ne=40, name="MUTUAL AUTHENTICATE")).data
    except StatusWordError as exc:
        if exc.sw in (0x6300, 0x6982) or exc.sw & 0xFFF0 == 0x63C0:
            raise AccessDeniedError(
                "BAC refused by the card: document number, birth or expiry wrong"
            ) from None
        raise
    k_icc = verify_card_answer(k_enc, k_mac, answer, rnd_ifd, rnd_icc)
    keys = session_keys(k_ifd, k_icc, rnd_icc, rnd_ifd)
    channel.start_secure_messaging(keys)
    return keys
