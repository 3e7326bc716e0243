"""Symmetric primitives of ICAO 9303-11, assembled from pycryptodome.

Nothing here implements a cipher: DES, 3DES, AES and CMAC come from
pycryptodome; this module only applies the 9303 conventions around them
(ISO 9797-1 padding method 2, the retail MAC construction, the SHA-based key
derivation function)."""

from __future__ import annotations

import hashlib
from enum import Enum

from Crypto.Cipher import AES, DES, DES3
from Crypto.Hash import CMAC

from kiosk.emrtd.errors import SecureMessagingError

KDF_ENC = 1
KDF_MAC = 2
KDF_PACE = 3


class Cipher(Enum):
    """Cipher family of a session: decides block size, KDF hash and MAC."""

    DES3 = "3DES"
    AES128 = "AES-128"
    AES192 = "AES-192"
    AES256 = "AES-256"

    @property
    def block(self) -> int:
        return 8 if self is Cipher.DES3 else 16

    @property
    def key_length(self) -> int:
        return {Cipher.DES3: 16, Cipher.AES128: 16, Cipher.AES192: 24, Cipher.AES256: 32}[self]


def pad(data: bytes, block: int) -> bytes:
    """ISO 9797-1 padding method 2 (0x80 then zeros to the block boundary)."""
    padded = data + b"\x80"
    return padded + b"\x00" * (-len(padded) % block)


def unpad(data: bytes) -> bytes:
    """Strip method-2 padding; malformed padding is a secure-messaging error."""
    stripped = data.rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80:
        raise SecureMessagingError("bad padding in decrypted data")
    return stripped[:-1]


def kdf(secret: bytes, counter: int, cipher: Cipher) -> bytes:
    """9303-11 KDF: hash(secret || counter) cut to the key length; 3DES keys get
    odd parity (SHA-1 for 3DES and AES-128, SHA-256 for longer AES keys)."""
    suffix = counter.to_bytes(4, "big")
    if cipher in (Cipher.DES3, Cipher.AES128):
        digest = hashlib.sha1(secret + suffix).digest()
    else:
        digest = hashlib.sha256(secret + suffix).digest()
    key = digest[: cipher.key_length]
    return DES3.adjust_key_parity(key) if cipher is Cipher.DES3 else key


def des3_cbc(key: bytes, data: bytes, decrypt: bool = False, iv: bytes = bytes(8)) -> bytes:
    c = DES3.new(key, DES3.MODE_CBC, iv=iv)
    return c.decrypt(data) if decrypt else c.encrypt(data)


def aes_cbc(key: bytes, data: bytes, iv: bytes, decrypt: bool = False) -> bytes:
    c = AES.new(key, AES.MODE_CBC, iv=iv)
    return c.decrypt(data) if decrypt else c.encrypt(data)


def aes_ecb(key: bytes, block: bytes) -> bytes:
    return AES.new(key, AES.MODE_ECB).encrypt(block)


def retail_mac(key: bytes, data: bytes) -> bytes:
    """ISO 9797-1 MAC algorithm 3 with DES (the "retail MAC") over padded data:
    single-DES CBC with K1, then the last block decrypted with K2 and encrypted
    with K1."""
    padded = pad(data, 8)
    k1, k2 = key[:8], key[8:16]
    last = DES.new(k1, DES.MODE_CBC, iv=bytes(8)).encrypt(padded)[-8:]
    last = DES.new(k2, DES.MODE_ECB).decrypt(last)
    return DES.new(k1, DES.MODE_ECB).encrypt(last)


def aes_cmac8(key: bytes, data: bytes) -> bytes:
    """AES-CMAC cut to 8 bytes (9303-11 AES secure messaging and PACE tokens)."""
    return CMAC.new(key, msg=data, ciphermod=AES).digest()[:8]
