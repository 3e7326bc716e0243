"""Secure messaging, card side: unwrap protected commands, wrap answers.

Mirrors `kiosk.emrtd.sm` with the same `SessionKeys`, so both ends share the
cipher mechanics and SSC arithmetic but the card checks what the terminal
produced independently."""

from __future__ import annotations

import hmac

from kiosk.emrtd.apdu import Command
from kiosk.emrtd.crypto import pad
from kiosk.emrtd.errors import MalformedResponseError, SecureMessagingError
from kiosk.emrtd.sm import SessionKeys
from kiosk.emrtd.tlv import encode_tlv, iter_tlv


def unwrap_command(keys: SessionKeys, cmd: Command) -> Command:
    """Verify and decrypt a protected command; raises SecureMessagingError
    (the card then answers 6988 and ends the session)."""
    if cmd.cla & 0x0C != 0x0C:
        raise SecureMessagingError("plain command inside a secure session")
    header = pad(bytes([cmd.cla, cmd.ins, cmd.p1, cmd.p2]), keys.block)
    mac_input = b""
    ne: int | None = None
    mac: bytes | None = None
    try:
        objects = list(iter_tlv(cmd.data))
    except MalformedResponseError as exc:
        raise SecureMessagingError(f"malformed protected command: {exc}") from None
    encrypted = b""
    for tag, value, raw in objects:
        if tag == 0x87:
            if not value or value[0] != 0x01:
                raise SecureMessagingError("DO87 without padding indicator")
            mac_input += raw
            encrypted = value[1:]
        elif tag == 0x97:
            mac_input += raw
            size = int.from_bytes(value, "big") if value else 0
            ne = size or (65536 if len(value) == 2 else 256)
        elif tag == 0x8E:
            mac = value
        else:
            raise SecureMessagingError(f"unexpected data object {tag:02X}")
    keys.increment()
    if mac is None or not hmac.compare_digest(keys.mac(header + mac_input), mac):
        raise SecureMessagingError("command MAC does not verify")
    data = keys.decrypt(encrypted) if encrypted else b""
    return Command(cmd.cla & ~0x0C & 0xFF, cmd.ins, cmd.p1, cmd.p2, data, ne)


def wrap_response(keys: SessionKeys, data: bytes, sw: int, corrupt_mac: bool = False) -> bytes:
    keys.increment()
    body = b""
    if data:
        body += encode_tlv(0x87, b"\x01" + keys.encrypt(data))
    body += encode_tlv(0x99, sw.to_bytes(2, "big"))
    mac = keys.mac(body)
    if corrupt_mac:
        mac = bytes([mac[0] ^ 0xFF]) + mac[1:]
    return body + encode_tlv(0x8E, mac) + sw.to_bytes(2, "big")
