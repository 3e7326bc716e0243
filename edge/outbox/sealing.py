"""Encryption at rest of what the outbox stores (event JSON, attachment bytes).

Check-in events carry personal data (ID number, name, face crops) and may wait in the
outbox for weeks; an SD card pulled from a kiosk must not give them away. Each payload
is sealed with AES-256-GCM under a data key derived from the device's storage secret
(see keyring.py), a fresh random nonce, and the row's identity as associated data:
event id, topic, kind, sequence number, priority and expiry. A sealed blob therefore
cannot be moved to another row, and a row's priority (which decides eviction), expiry
(how long personal data is kept) or sequence (delivery order) cannot be edited in the
file without the payload failing to open. Rows record whether they are sealed, so a
key can be introduced on a device whose outbox still holds plaintext rows."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from edge.outbox.errors import OutboxError

VERSION = b"\x02"  # 0x01 was the first format: the raw secret as key, event id and topic as data
LEGACY_VERSION = b"\x01"
_NONCE = 12
SEAL_OVERHEAD = len(VERSION) + _NONCE + 16  # version, nonce, GCM tag


class UnsealError(OutboxError):
    """A stored payload could not be decrypted (wrong or missing key, or damaged)."""


class Sealer:
    """Seals with the data key; without a key it stores plaintext (`active` False).
    Built by `keyring.open_sealer`, which checks the key against the database first."""

    def __init__(self, key: bytes | None, *, version: bytes = VERSION) -> None:
        self._aead = AESGCM(key) if key is not None else None
        self._version = version

    @property
    def active(self) -> bool:
        return self._aead is not None

    def seal(self, payload: bytes, identity: bytes) -> bytes:
        assert self._aead is not None
        nonce = os.urandom(_NONCE)
        return self._version + nonce + self._aead.encrypt(nonce, payload, identity)

    def unseal(self, blob: bytes, identity: bytes) -> bytes:
        if self._aead is None:
            raise UnsealError("the message is encrypted but no storage encryption key is configured")
        if blob[:1] != self._version:
            raise UnsealError(f"unknown sealing format {blob[:1]!r}")
        nonce, body = blob[1 : 1 + _NONCE], blob[1 + _NONCE :]
        try:
            return self._aead.decrypt(nonce, body, identity)
        except InvalidTag as exc:
            raise UnsealError("the message cannot be decrypted: wrong storage key or damaged data") from exc

    def reseal(self, blob: bytes, old: bytes, new: bytes) -> bytes:
        """The payload sealed again under new associated data (a row re-dated after a
        wall clock step); raises UnsealError if it does not open under the old."""
        return self.seal(self.unseal(blob, old), new)


def identity(
    event_id: str, topic_suffix: str, kind: str, seq: int, priority: int, expires_at: float
) -> bytes:
    """Associated data binding a sealed payload to its row: what it is and where it goes
    (event id, topic, kind), its place in the device's order (seq), how it is evicted
    (priority) and how long it may be kept (expiry, exact float repr)."""
    return f"{event_id}/{topic_suffix}/{kind}/{seq}/{priority}/{float(expires_at)!r}".encode()


def legacy_identity(event_id: str, topic_suffix: str) -> bytes:
    """Associated data of the first format, read once to migrate such rows."""
    return f"{event_id}/{topic_suffix}".encode()
