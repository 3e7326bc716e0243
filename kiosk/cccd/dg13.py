"""DG13: the Vietnam-specific personal-data group (tag 6D).

Observed structure: 6D { SEQUENCE { INTEGER 1, OID 1.0.10646.1.0.8 (UTF-8),
SET { SEQUENCE { INTEGER n, value... } ... } } }.  Card generations differ in
details (an extra wrapping SEQUENCE, parents in one or two SEQUENCEs, field 15 or
16 present or not), so the DER is walked generically and fields are mapped only
by their number; the text values of a field are collected in document order
whatever their nesting.  Missing and unparseable fields are recorded, not fatal:
a partial result is more useful to the kiosk than none, and it is flagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

from kiosk.cccd.errors import Dg13Error, TlvError
from kiosk.cccd.tlv import MAX_DEPTH, Tlv, parse_all, unwrap
from kiosk.cccd.values import PersonalData, is_no_expiry, parse_gender, parse_vn_date

DG13_TAG = 0x6D
_INTEGER, _OID, _SEQUENCE, _SET = 0x02, 0x06, 0x30, 0x31
_STRING_CODECS = {
    0x0C: "utf-8",  # UTF8String
    0x13: "ascii",  # PrintableString
    0x16: "ascii",  # IA5String
    0x14: "latin-1",  # TeletexString (seen only in legacy encoders)
    0x1E: "utf-16-be",  # BMPString
    0x04: "utf-8",  # OCTET STRING holding text
}

#: DG13 field number → name used in results and in ``missing_fields``.
FIELD_NAMES: dict[int, str] = {
    1: "personal_number",
    2: "full_name",
    3: "date_of_birth",
    4: "gender",
    5: "nationality",
    6: "ethnicity",
    7: "religion",
    8: "place_of_origin",
    9: "place_of_residence",
    10: "identifying_marks",
    11: "issue_date",
    12: "expiry_date",
    13: "parents",
    14: "spouse_name",
    15: "old_id_number",
    16: "field_16",
}
#: Fields every CCCD has; absence makes the result partial.  Spouse and old ID
#: are legitimately empty for many citizens.
REQUIRED_FIELDS = tuple(range(1, 14))


@dataclass(frozen=True, kw_only=True, repr=False)
class Dg13(PersonalData):
    field_16: str | None = None
    #: Every field's text values by number, including numbers we don't know.
    raw_fields: Mapping[int, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))

    def __repr__(self) -> str:  # personal data stays out of logs and tracebacks
        return f"Dg13(fields={sorted(self.raw_fields)}, missing={list(self.missing_fields)})"


def _integer(item: Tlv) -> int:
    if not item.value or len(item.value) > 8:
        raise Dg13Error("DG13 field number is not a small INTEGER")
    return int.from_bytes(item.value, "big", signed=True)


def _texts(item: Tlv, depth: int) -> list[str]:
    """All text values inside ``item``, depth-first in document order."""
    if depth > MAX_DEPTH:
        raise Dg13Error("DG13 nests too deeply")
    if item.constructed:
        out: list[str] = []
        for child in item.children():
            out.extend(_texts(child, depth + 1))
        return out
    codec = _STRING_CODECS.get(item.tag)
    if codec is None:
        return []
    try:
        return [item.value.decode(codec)]
    except UnicodeDecodeError:
        raise Dg13Error(f"DG13 string (tag {item.tag:02X}) is not valid {codec}") from None


def _is_field(item: Tlv) -> bool:
    if item.tag != _SEQUENCE or not item.constructed:
        return False
    kids = item.children()
    # The header SEQUENCE {INTEGER 1, OID, SET} also starts with an INTEGER; a
    # field never carries an OID or a SET of further numbered fields.
    return bool(kids) and kids[0].tag == _INTEGER and not any(k.tag in (_OID, _SET) for k in kids)


def _find_field_list(items: list[Tlv], depth: int = 0) -> list[Tlv]:
    """The first constructed level whose children are numbered field SEQUENCEs."""
    if depth > MAX_DEPTH:
        raise Dg13Error("DG13 nests too deeply")
    fields = [i for i in items if _is_field(i)]
    if fields and len(fields) == len([i for i in items if i.tag in (_SEQUENCE, _SET)]):
        return fields
    for item in items:
        if item.constructed and item.tag in (_SEQUENCE, _SET):
            found = _find_field_list(item.children(), depth + 1)
            if found:
                return found
    return []


def _collect(data: bytes) -> dict[int, tuple[str, ...]]:
    outer = unwrap(data, DG13_TAG, "DG13")
    if not outer.constructed:
        raise Dg13Error("DG13 outer tag is not constructed")
    fields: dict[int, tuple[str, ...]] = {}
    for item in _find_field_list(parse_all(outer.value)):
        kids = item.children()
        number = _integer(kids[0])
        texts: list[str] = []
        if number == 13 and len(kids) > 2:
            # Parents as separate SEQUENCEs: keep each one's position so an empty
            # father SEQUENCE does not shift the mother's name into his slot.
            for kid in kids[1:]:
                texts.append(next(iter(_texts(kid, 1)), ""))
        else:
            for kid in kids[1:]:
                texts.extend(_texts(kid, 1))
        fields.setdefault(number, tuple(texts))  # a repeated number keeps its first value
    return fields


def parse_dg13(data: bytes) -> Dg13:
    """Decode DG13; raises :class:`Dg13Error` only for undecodable structure."""
    try:
        raw = _collect(data)
    except TlvError as exc:
        raise Dg13Error(str(exc)) from None

    def text(number: int) -> str | None:
        values = [v.strip() for v in raw.get(number, ()) if v.strip()]
        return values[0] if values else None

    invalid: list[str] = []

    def as_date(number: int) -> date | None:
        value = text(number)
        if value is None:
            return None
        parsed = parse_vn_date(value)
        if parsed is None:
            invalid.append(FIELD_NAMES[number])
        return parsed

    parents = [v.strip() for v in raw.get(13, ())] + ["", ""]
    father, mother = parents[0] or None, parents[1] or None
    gender_text = text(4)
    gender = parse_gender(gender_text) if gender_text else None
    if gender_text and gender is None:
        invalid.append("gender")
    expiry_text = text(12)
    no_expiry = bool(expiry_text) and is_no_expiry(expiry_text)
    result = {
        "personal_number": text(1),
        "full_name": text(2),
        "date_of_birth": as_date(3),
        "gender": gender,
        "nationality": text(5),
        "ethnicity": text(6),
        "religion": text(7),
        "place_of_origin": text(8),
        "place_of_residence": text(9),
        "identifying_marks": text(10),
        "issue_date": as_date(11),
        "expiry_date": None if no_expiry else as_date(12),
        "father_name": father,
        "mother_name": mother,
        "spouse_name": text(14),
        "old_id_number": text(15),
        "field_16": text(16),
    }
    missing = [FIELD_NAMES[n] for n in REQUIRED_FIELDS if n != 13 and text(n) is None]
    missing += [name for name, value in (("father_name", father), ("mother_name", mother)) if not value]
    return Dg13(
        **result,
        no_expiry=no_expiry,
        missing_fields=tuple(missing),
        invalid_fields=tuple(invalid),
        raw_fields=MappingProxyType(dict(raw)),
    )
