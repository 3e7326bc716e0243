"""BER-TLV access for LDS files (ISO/IEC 7816-4 encoding as used by ICAO 9303-10).

LDS files use application-class, multi-byte tags (``5F01``, ``5F1F``, ``7F61``)
and ICAO names them by their identifier bytes, so tags are exposed as that
integer (``0x5F1F``).  This is hand-written on purpose: asn1crypto's parser
enforces DER's minimal tag encoding and rejects ICAO's own ``5F01`` (LDS
version), so it cannot read EF.COM.  DER structures (DG13 content, CMS) are
still decoded with asn1crypto.  Every failure surfaces as
:class:`~kiosk.cccd.errors.TlvError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kiosk.cccd.errors import TlvError

# Deep nesting only happens in hostile input; real LDS files nest < 10 levels.
MAX_DEPTH = 32
_MAX_TAG_BYTES = 3
_MAX_LENGTH_BYTES = 4


@dataclass(frozen=True)
class Tlv:
    """One decoded TLV: ``tag`` as the integer of its identifier bytes."""

    tag: int
    constructed: bool
    value: bytes
    encoded_length: int

    def children(self) -> list[Tlv]:
        """The TLVs inside a constructed value (raises for a primitive one)."""
        if not self.constructed:
            raise TlvError(f"tag {self.tag:X} is primitive and has no children")
        return parse_all(self.value)

    def child(self, tag: int) -> Tlv:
        """The first direct child with ``tag``; raises if absent."""
        for item in self.children():
            if item.tag == tag:
                return item
        raise TlvError(f"tag {tag:X} not found inside tag {self.tag:X}")


def read_tlv(data: bytes, offset: int = 0) -> Tlv:
    """Decode the single TLV that starts at ``offset`` (trailing bytes allowed)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TlvError(f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    end = len(data)
    pos = offset
    if pos >= end:
        raise TlvError("no TLV: input is empty")
    first = data[pos]
    if first in (0x00, 0xFF):
        raise TlvError(f"invalid tag byte {first:02X} at offset {pos}")
    pos += 1
    if first & 0x1F == 0x1F:
        while True:
            if pos >= end:
                raise TlvError("truncated multi-byte tag")
            pos += 1
            if not data[pos - 1] & 0x80:
                break
            if pos - offset >= _MAX_TAG_BYTES:
                raise TlvError(f"tag longer than {_MAX_TAG_BYTES} bytes at offset {offset}")
    tag = int.from_bytes(data[offset:pos], "big")
    if pos >= end:
        raise TlvError(f"tag {tag:X}: missing length")
    length = data[pos]
    pos += 1
    if length == 0x80:
        # Indefinite length is BER-only and never used in LDS files; accepting it
        # would let two encodings of one file hash differently.
        raise TlvError(f"tag {tag:X}: indefinite length is not allowed in LDS data")
    if length > 0x80:
        count = length & 0x7F
        if count > _MAX_LENGTH_BYTES:
            raise TlvError(f"tag {tag:X}: length field of {count} bytes")
        if pos + count > end:
            raise TlvError(f"tag {tag:X}: truncated length field")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > end:
        raise TlvError(f"tag {tag:X}: value of {length} bytes overruns the {end - pos} bytes left")
    return Tlv(
        tag=tag,
        constructed=bool(first & 0x20),
        value=data[pos : pos + length],
        encoded_length=pos + length - offset,
    )


def iter_tlvs(data: bytes) -> Iterator[Tlv]:
    """Decode consecutive TLVs filling ``data`` completely."""
    offset = 0
    while offset < len(data):
        item = read_tlv(data, offset)
        offset += item.encoded_length
        yield item


def parse_all(data: bytes) -> list[Tlv]:
    """All consecutive TLVs in ``data``; an empty input gives an empty list."""
    return list(iter_tlvs(data))


def unwrap(data: bytes, tag: int, what: str) -> Tlv:
    """Decode a file's outer TLV and insist on its tag.

    Bytes after the outer TLV are tolerated: chips pad files, and the file length
    reported by the card can exceed the TLV.
    """
    item = read_tlv(data)
    if item.tag != tag:
        raise TlvError(f"{what}: outer tag is {item.tag:X}, expected {tag:X}")
    return item


def encode_tlv(tag: int, value: bytes) -> bytes:
    """Encode one TLV with a DER (minimal) length, for building test files."""
    tag_bytes = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
    length = len(value)
    if length < 0x80:
        length_bytes = bytes([length])
    else:
        raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
        length_bytes = bytes([0x80 | len(raw)]) + raw
    return tag_bytes + length_bytes + value
