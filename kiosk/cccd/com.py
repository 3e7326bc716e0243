"""EF.COM: LDS version and the list of data groups the chip claims to hold.

The reader uses the tag list to decide which data groups to read (DG13 is absent
on some cards, DG14/DG15 on others) instead of probing with failing SELECTs.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.cccd.errors import ComError, TlvError
from kiosk.cccd.tlv import parse_all, unwrap

COM_TAG = 0x60
_LDS_VERSION = 0x5F01
_UNICODE_VERSION = 0x5F36
_TAG_LIST = 0x5C

#: Data-group template tag → data-group number (ICAO 9303-10 table 34).
DG_TAGS: dict[int, int] = {
    0x61: 1,
    0x75: 2,
    0x63: 3,
    0x76: 4,
    0x65: 5,
    0x66: 6,
    0x67: 7,
    0x68: 8,
    0x69: 9,
    0x6A: 10,
    0x6B: 11,
    0x6C: 12,
    0x6D: 13,
    0x6E: 14,
    0x6F: 15,
    0x70: 16,
}
DG_TAG_BY_NUMBER: dict[int, int] = {number: tag for tag, number in DG_TAGS.items()}


@dataclass(frozen=True)
class Com:
    lds_version: str | None
    unicode_version: str | None
    data_groups: tuple[int, ...]
    unknown_tags: tuple[int, ...] = ()


def _ascii(value: bytes, what: str) -> str:
    try:
        return value.decode("ascii")
    except UnicodeDecodeError:
        raise ComError(f"EF.COM {what} is not ASCII") from None


def parse_com(data: bytes) -> Com:
    """Decode EF.COM; unknown tags in the tag list are kept, not fatal."""
    try:
        outer = unwrap(data, COM_TAG, "EF.COM")
        items = parse_all(outer.value)
    except TlvError as exc:
        raise ComError(str(exc)) from None
    lds = unicode = None
    tag_list: bytes | None = None
    for item in items:
        if item.tag == _LDS_VERSION:
            lds = _ascii(item.value, "LDS version")
        elif item.tag == _UNICODE_VERSION:
            unicode = _ascii(item.value, "Unicode version")
        elif item.tag == _TAG_LIST:
            tag_list = item.value
    if tag_list is None:
        raise ComError("EF.COM has no data-group tag list (5C)")
    groups = tuple(DG_TAGS[t] for t in tag_list if t in DG_TAGS)
    unknown = tuple(t for t in tag_list if t not in DG_TAGS)
    return Com(lds_version=lds, unicode_version=unicode, data_groups=groups, unknown_tags=unknown)
