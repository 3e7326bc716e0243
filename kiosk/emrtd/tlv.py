"""BER-TLV plumbing for protocol data objects (secure messaging DOs, PACE
dynamic authentication data, file headers).

The byte-level decoding is asn1crypto's parser; this module only translates
between its (class, constructed, number) triple and the raw tag integers the
ICAO/ISO 7816 documents use (0x87, 0x7C, 0x7F49 ...). The package
`kiosk.cccd` owns the parsing of the data-group contents themselves."""

from __future__ import annotations

from collections.abc import Iterator

from asn1crypto import parser

from kiosk.emrtd.errors import MalformedResponseError


def _tag_to_triple(tag: int) -> tuple[int, int, int]:
    raw = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    first = raw[0]
    cls, constructed = first >> 6, (first >> 5) & 1
    if len(raw) == 1:
        return cls, constructed, first & 0x1F
    number = 0
    for b in raw[1:]:
        number = (number << 7) | (b & 0x7F)
    return cls, constructed, number


def _header_tag(header: bytes) -> int:
    """The raw tag bytes at the start of an encoded header, as an integer."""
    end = 1
    if header[0] & 0x1F == 0x1F:
        while header[end] & 0x80:
            end += 1
        end += 1
    return int.from_bytes(header[:end], "big")


def encode_tlv(tag: int, value: bytes) -> bytes:
    cls, constructed, number = _tag_to_triple(tag)
    return parser.emit(cls, constructed, number, value)


def iter_tlv(data: bytes) -> Iterator[tuple[int, bytes, bytes]]:
    """Yield (tag, value, raw encoding) for each object in `data`; any
    malformation raises MalformedResponseError (the data comes from the card, so it
    is the card's answer that is malformed, and callers catch one typed error)."""
    pointer = 0
    while pointer < len(data):
        if data[pointer] in (0x00, 0xFF):  # inter-object padding allowed by 7816-4
            pointer += 1
            continue
        try:
            _, _, _, header, contents, trailer = parser.parse(data[pointer:])
        except ValueError as exc:  # asn1crypto reports every malformation this way
            raise MalformedResponseError(f"malformed data object: {exc}") from None
        new_pointer = pointer + len(header) + len(contents) + len(trailer)
        if trailer:
            raise MalformedResponseError("indefinite lengths are not used in card protocol data")
        yield _header_tag(header), contents, data[pointer:new_pointer]
        pointer = new_pointer


def find_tlv(data: bytes, tag: int) -> bytes | None:
    """Value of the first object with `tag` at this level, or None."""
    for t, value, _ in iter_tlv(data):
        if t == tag:
            return value
    return None


def header_and_total_length(prefix: bytes) -> int | None:
    """Total encoded length of the object starting `prefix` (a file's first
    bytes), or None when the prefix is too short to hold the whole header. Used
    to size READ BINARY chunks without reading the file twice."""
    if len(prefix) < 2:
        return None
    pos = 1
    if prefix[0] & 0x1F == 0x1F:
        while pos < len(prefix) and prefix[pos] & 0x80:
            pos += 1
        pos += 1
    if pos >= len(prefix):
        return None
    first = prefix[pos]
    if first < 0x80:
        return pos + 1 + first
    n = first & 0x7F
    if n == 0 or n > 3:
        raise ValueError("unsupported length encoding in file header")
    if pos + 1 + n > len(prefix):
        return None
    return pos + 1 + n + int.from_bytes(prefix[pos + 1 : pos + 1 + n], "big")
