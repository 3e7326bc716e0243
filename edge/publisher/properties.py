"""PUBLISH properties of an outbox message, packed directly.

paho's generic `Properties` resolves every property name by scanning its name table
with string replaces, which costs more CPU than the rest of a publish; an event
carries the same three properties every time (expiry, content type, event_id and seq
as user properties), so they are packed here with paho's own property ids and
precompiled structs. The bytes are identical to what `Properties.pack()` produces
(tests/test_publisher.py checks it, two-byte lengths and non-ASCII included)."""

from __future__ import annotations

import functools
import struct
from collections.abc import Sequence

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties, VariableByteIntegers, writeUTF

_IDS = Properties(PacketTypes.PUBLISH).names
_EXPIRY_ID = VariableByteIntegers.encode(_IDS["Message Expiry Interval"])
_CONTENT_TYPE_ID = VariableByteIntegers.encode(_IDS["Content Type"])
_USER_PROPERTY_ID = VariableByteIntegers.encode(_IDS["User Property"])
_U16 = struct.Struct("!H")  # length prefix of an MQTT UTF-8 string
_U32 = struct.Struct("!L")  # Four Byte Integer
_SHORT_LENGTHS = [VariableByteIntegers.encode(n) for n in range(128)]  # one byte each


@functools.lru_cache(maxsize=32)
def _content_type(value: str) -> bytes:
    return _CONTENT_TYPE_ID + writeUTF(value)


@functools.lru_cache(maxsize=32)
def _user_key(key: str) -> bytes:
    return _USER_PROPERTY_ID + writeUTF(key)


class PublishProperties(Properties):
    """A paho `Properties` for PUBLISH whose bytes are packed once, the fast way described
    above, when it is made: paho calls `pack()` to send it, and the publisher before that
    to check the broker's maximum packet size (bench/outbox.py measures the effect)."""

    def __init__(self, content_type: str | None, expiry_s: int | None, user: Sequence[tuple[str, str]]):
        object.__setattr__(self, "packetType", PacketTypes.PUBLISH)
        object.__setattr__(self, "_fields", (content_type, expiry_s, user))
        object.__setattr__(self, "_packed", _pack(content_type, expiry_s, user))

    def pack(self) -> bytes:
        return self._packed

    def __str__(self) -> str:
        content_type, expiry_s, user = self._fields
        return (
            f"[ContentType : {content_type}, MessageExpiryInterval : {expiry_s}, UserProperty : {list(user)}]"
        )


def _pack(content_type: str | None, expiry_s: int | None, user: Sequence[tuple[str, str]]) -> bytes:
    body = b"" if expiry_s is None else _EXPIRY_ID + _U32.pack(expiry_s)
    if content_type is not None:
        body += _content_type(content_type)
    for key, value in user:
        text = value.encode()
        body += _user_key(key) + _U16.pack(len(text)) + text
    size = len(body)
    return (_SHORT_LENGTHS[size] if size < 128 else VariableByteIntegers.encode(size)) + body
