"""The outbox's storage key: derived from the configured secret, checked at open.

The configured secret is never used as the AES key itself: HKDF-SHA256 with a random
salt kept in the database derives the data key and a key check value from it. The
check value is stored beside the salt, so a wrong key is refused when the outbox
opens (the daemon does not start and says so), instead of every waiting message
failing to decrypt one by one until its TTL expires it. A different key is accepted
only while no sealed message is waiting: that is key rotation (drain, stop, swap
the key, start). Databases written in the first format (raw secret as key, no check
value) are migrated once, in one transaction, when the configured key opens them.
docs/operations.md says what to do when a key is lost."""

from __future__ import annotations

import binascii
import hmac
import logging
import os
import sqlite3

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from edge.outbox.errors import OutboxError
from edge.outbox.sealing import LEGACY_VERSION, Sealer, identity, legacy_identity
from edge.outbox.transactions import get_meta, set_meta, write_transaction
from firmware_config.secrets import SecretError, read_secret
from firmware_config.storage import StorageConfig

log = logging.getLogger(__name__)

SALT_META, CHECK_META = "key_salt", "key_check"
_INFO = b"vn-edge outbox storage key v2"


class OutboxKeyError(OutboxError):
    """The configured key cannot open this outbox (wrong key, or none for sealed rows)."""


def parse_key(raw: bytes) -> bytes:
    """32 random bytes, or 64 hex digits (what `openssl rand -hex 32` writes). 32 bytes
    that are all printable are a typed password, not random bytes (a random key is all
    printable once in 10^14), and are refused."""
    if len(raw) == 32:
        if raw.isascii() and raw.decode("ascii").isprintable():
            raise OutboxKeyError(
                "the outbox encryption key is 32 printable characters, a password rather than random "
                "bytes: make one with `openssl rand -hex 32`"
            )
        return raw
    try:
        key = binascii.unhexlify(raw.strip())
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise OutboxKeyError(
            "the outbox encryption key must be 32 random bytes or 64 hex digits "
            "(make one with `openssl rand -hex 32`)"
        )
    return key


def derive(secret: bytes, salt: bytes) -> tuple[bytes, bytes]:
    """(data key, key check value) from the configured secret and this database's salt."""
    out = HKDF(algorithm=hashes.SHA256(), length=48, salt=salt, info=_INFO).derive(secret)
    return out[:32], out[32:]


def read_configured_key(config: StorageConfig) -> bytes | None:
    """The configured secret, read now (explicitly, at start-up), or None."""
    if config.encryption_key is None:
        return None
    try:
        return parse_key(read_secret(config.encryption_key))
    except SecretError as exc:
        raise OutboxKeyError(f"cannot read the outbox encryption key: {exc}") from exc


def open_sealer(conn: sqlite3.Connection, secret: bytes | None, path: str) -> Sealer:
    """Check `secret` against the database (in one write transaction, so two processes
    opening the file agree) and return the sealer for it; raise OutboxKeyError if the
    waiting messages were sealed with another key or need a key that is not given."""
    with write_transaction(conn):
        sealed = conn.execute("SELECT count(*) FROM messages WHERE sealed = 1").fetchone()[0]
        salt_hex, check_hex = get_meta(conn, SALT_META), get_meta(conn, CHECK_META)
        if secret is None:
            if sealed:
                raise OutboxKeyError(
                    f"{path} holds {sealed} encrypted message(s) but no storage.encryption_key is "
                    "configured: configure the key they were written with (docs/operations.md, 'Outbox key')"
                )
            return Sealer(None)
        if salt_hex and check_hex:
            data_key, check = derive(secret, bytes.fromhex(salt_hex))
            if hmac.compare_digest(check, bytes.fromhex(check_hex)):
                return Sealer(data_key)
            if sealed:
                raise OutboxKeyError(
                    f"the configured outbox key is not the key {path} was written with (key check value "
                    f"differs; {sealed} encrypted message(s) waiting): install the right key, or move the "
                    "file aside to start empty, which gives those messages up (docs/operations.md, 'Outbox key')"
                )
            log.warning("outbox key changed while no encrypted message was waiting; the new key is used")
        salt = os.urandom(16)
        data_key, check = derive(secret, salt)
        sealer = Sealer(data_key)
        _migrate_legacy_rows(conn, secret, sealer, path)
        set_meta(conn, SALT_META, salt.hex())
        set_meta(conn, CHECK_META, check.hex())
        return sealer


def _migrate_legacy_rows(conn: sqlite3.Connection, secret: bytes, sealer: Sealer, path: str) -> None:
    """Re-seal rows of the first format under the derived key and the full row identity.
    Rows the key cannot open are left as they are (held back as unreadable, as before);
    if it opens none of them, it is the wrong key and the outbox is not touched."""
    rows = conn.execute(
        "SELECT id, payload, event_id, topic_suffix, kind, seq, priority, expires_at FROM messages "
        "WHERE sealed = 1 AND substr(payload, 1, 1) = ?",
        (LEGACY_VERSION,),
    ).fetchall()
    if not rows:
        return
    legacy = AESGCM(secret)
    resealed: list[tuple[bytes, int]] = []
    for row_id, blob, event_id, topic, kind, seq, priority, expires_at in rows:
        blob = bytes(blob)
        try:
            payload = legacy.decrypt(blob[1:13], blob[13:], legacy_identity(event_id, topic))
        except InvalidTag:
            continue
        resealed.append(
            (sealer.seal(payload, identity(event_id, topic, kind, seq, priority, expires_at)), row_id)
        )
    if not resealed:
        raise OutboxKeyError(
            f"the configured outbox key opens none of the {len(rows)} encrypted message(s) in {path}: "
            "install the key they were written with (docs/operations.md, 'Outbox key')"
        )
    conn.executemany("UPDATE messages SET payload = ? WHERE id = ?", resealed)
    log.info(
        "outbox encryption migrated to derived keys",
        extra={"resealed": len(resealed), "unreadable": len(rows) - len(resealed)},
    )
