"""Writing LDS files (EF.COM, DG1, DG13, DG15, EF.CardAccess) for test cards.

The encoders mirror the parsers: every file built here must parse back to the
values it was built from, which the tests check.  DG13 can be written in both
parent layouts seen on real cards.
"""

from __future__ import annotations

from collections.abc import Sequence

from asn1crypto import core

from kiosk.cccd.com import COM_TAG, DG_TAG_BY_NUMBER
from kiosk.cccd.dg1 import DG1_TAG
from kiosk.cccd.dg13 import DG13_TAG
from kiosk.cccd.dg14 import PaceInfo
from kiosk.cccd.tlv import encode_tlv
from kiosk.emrtd.cardaccess import PACE_ECDH_GM_AES_128

DG13_UTF8_OID = "1.0.10646.1.0.8"
#: Standardized domain parameter 13 = brainpoolP256r1, 12 = NIST P-256.
PACE_PARAM_BRAINPOOL_P256 = 13
DG15_TAG = 0x6F


def build_com(data_groups: list[int], lds_version: str = "0107", unicode_version: str = "040000") -> bytes:
    tag_list = bytes(DG_TAG_BY_NUMBER[n] for n in data_groups)
    body = (
        encode_tlv(0x5F01, lds_version.encode("ascii"))
        + encode_tlv(0x5F36, unicode_version.encode("ascii"))
        + encode_tlv(0x5C, tag_list)
    )
    return encode_tlv(COM_TAG, body)


def build_dg1(mrz_text: str) -> bytes:
    """DG1 around a TD1 MRZ (newlines removed: the chip stores 90 characters)."""
    return encode_tlv(DG1_TAG, encode_tlv(0x5F1F, mrz_text.replace("\n", "").encode("ascii")))


def _seq(*parts: bytes) -> bytes:
    return core.Sequence(contents=b"".join(parts)).dump()


def _text(value: str, printable: bool = False) -> bytes:
    return (core.PrintableString(value) if printable else core.UTF8String(value)).dump()


def build_dg13(
    fields: dict[int, str | None],
    *,
    father: str | None = None,
    mother: str | None = None,
    parents_layout: str = "separate",
    spouse: str | None = None,
) -> bytes:
    """DG13 with numbered fields.

    ``fields`` maps field number → text (None writes the number with no value,
    as cards do for empty fields).  Parents (field 13) are written either as two
    SEQUENCEs (``"separate"``) or both names in one SEQUENCE (``"combined"``);
    spouse (field 14) in its own SEQUENCE.
    """
    items: list[tuple[int, bytes]] = []
    for number, value in fields.items():
        body = b"" if value is None else _text(value, printable=number in (1, 15))
        items.append((number, _seq(core.Integer(number).dump(), body)))
    if father is not None or mother is not None:
        if parents_layout == "separate":
            # An unknown parent is an empty SEQUENCE, as seen on cards.
            value = b"".join(_seq(_text(n) if n else b"") for n in (father, mother))
        elif parents_layout == "combined":
            # Both names in one SEQUENCE: an unknown one must stay as an empty
            # string, or the mother's name would take the father's position.
            value = _seq(_text(father or "") + _text(mother or ""))
        else:
            raise ValueError(f"unknown parents layout {parents_layout!r}")
        items.append((13, _seq(core.Integer(13).dump(), value)))
    if spouse is not None:
        items.append((14, _seq(core.Integer(14).dump(), _seq(_text(spouse) if spouse else b""))))
    items.sort(key=lambda item: item[0])
    field_set = core.Set(contents=b"".join(encoded for _, encoded in items)).dump()
    body = _seq(core.Integer(1).dump(), core.ObjectIdentifier(DG13_UTF8_OID).dump(), field_set)
    return encode_tlv(DG13_TAG, body)


def pace_info(parameter_id: int = PACE_PARAM_BRAINPOOL_P256) -> PaceInfo:
    """The PACEInfo test cards carry: generic mapping, ECDH, AES-128, version 2."""
    return PaceInfo(PACE_ECDH_GM_AES_128, 2, parameter_id)


def build_card_access(infos: Sequence[PaceInfo] = (pace_info(),)) -> bytes:
    """EF.CardAccess: SecurityInfos holding the given PACEInfos (DER SET OF: sorted)."""
    items = []
    for info in infos:
        body = core.ObjectIdentifier(info.protocol).dump() + core.Integer(info.version).dump()
        if info.parameter_id is not None:
            body += core.Integer(info.parameter_id).dump()
        items.append(encode_tlv(0x30, body))
    return encode_tlv(0x31, b"".join(sorted(items)))


def build_dg15(subject_public_key_info_der: bytes) -> bytes:
    """DG15 around the Active Authentication public key (SubjectPublicKeyInfo DER)."""
    return encode_tlv(DG15_TAG, subject_public_key_info_der)
