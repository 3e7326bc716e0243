"""Encryption at rest of what the outbox stores (event JSON, attachment bytes).

Check-in events carry personal data (ID number, name, face crops) and may wait in the
outbox for weeks; an SD card pulled from a kiosk must not give them away. Each payload
is sealed with AES-256-GCM under the device's storage key, a fresh random nonce, and
the message's identity (event id + topic suffix) as associated data, so a sealed blob
cannot be moved to another row undetected. Rows record whether they are sealed, so a
key can be introduced on a device whose outbox still holds plaintext rows."""

from __future__ import annotations

import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from edge.outbox.errors import OutboxError
from firmware_config.secrets import SecretError, read_secret
from firmware_config.storage import StorageConfig

_VERSION = b"\x01"
_NONCE = 12
SEAL_OVERHEAD = len(_VERSION) + _NONCE + 16  # version, nonce, GCM tag


class UnsealError(OutboxError):
    """A stored payload could not be decrypted (wrong or missing key, or damaged)."""


def parse_key(raw: bytes) -> bytes:
    """32 raw bytes, or 64 hex digits (what `openssl rand -hex 32` writes)."""
    if len(raw) == 32:
        return raw
    try:
        key = binascii.unhexlify(raw.strip())
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise OutboxError("the outbox encryption key must be 32 bytes or 64 hex digits")
    return key


class Sealer:
    """Seals with the configured key; without a key it stores plaintext (`active` False)."""

    def __init__(self, key: bytes | None) -> None:
        self._aead = AESGCM(key) if key is not None else None

    @property
    def active(self) -> bool:
        return self._aead is not None

    def seal(self, payload: bytes, identity: bytes) -> bytes:
        assert self._aead is not None
        nonce = os.urandom(_NONCE)
        return _VERSION + nonce + self._aead.encrypt(nonce, payload, identity)

    def unseal(self, blob: bytes, identity: bytes) -> bytes:
        if self._aead is None:
            raise UnsealError("the message is encrypted but no storage encryption key is configured")
        if blob[:1] != _VERSION:
            raise UnsealError(f"unknown sealing format {blob[:1]!r}")
        nonce, body = blob[1 : 1 + _NONCE], blob[1 + _NONCE :]
        try:
            return self._aead.decrypt(nonce, body, identity)
        except InvalidTag as exc:
            raise UnsealError("the message cannot be decrypted: wrong storage key or damaged data") from exc


def sealer_for(config: StorageConfig) -> Sealer:
    """The sealer for this configuration; reads the key now (explicitly, at start-up)."""
    if config.encryption_key is None:
        return Sealer(None)
    try:
        return Sealer(parse_key(read_secret(config.encryption_key)))
    except SecretError as exc:
        raise OutboxError(f"cannot read the outbox encryption key: {exc}") from exc


def identity(event_id: str, topic_suffix: str) -> bytes:
    """Associated data binding a sealed payload to the message it belongs to."""
    return f"{event_id}/{topic_suffix}".encode()
