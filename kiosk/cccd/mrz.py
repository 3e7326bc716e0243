"""ICAO 9303 machine-readable zone: check digits, TD1 parsing, BAC key input.

The CCCD is a TD1 card (3 lines of 30).  Line 1 is ``IDVNM`` + the 9-digit
document number + its check digit + the 12-digit personal number + ``<<`` + a
final digit; the BAC document number is the last 9 digits of the personal number.
The MRZ is also typed in by staff when the chip is read with BAC, so every field
check digit is verified and reported by name.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

from kiosk.cccd.errors import MrzCheckDigitError, MrzError

_WEIGHTS = (7, 3, 1)
_MRZ_CHARS = re.compile(r"[0-9A-Z<]*")
TD1_LINE = 30


def _char_value(char: str) -> int:
    if "0" <= char <= "9":
        return ord(char) - ord("0")
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == "<":
        return 0
    raise MrzError(f"character {char!r} is not allowed in an MRZ")


def check_digit(text: str) -> str:
    """ICAO 9303-3 check digit (weights 7-3-1, modulo 10) as a single character."""
    if not isinstance(text, str):
        raise MrzError(f"expected str, got {type(text).__name__}")
    total = sum(_char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(text))
    return str(total % 10)


def _verify(field_name: str, value: str, digit: str) -> None:
    expected = check_digit(value)
    if digit != expected:
        raise MrzCheckDigitError(field_name, expected, digit)


def _require_yymmdd(value: str, what: str) -> None:
    if not (isinstance(value, str) and len(value) == 6 and value.isascii() and value.isdigit()):
        raise MrzError(f"{what} must be 6 digits YYMMDD")
    month, day = int(value[2:4]), int(value[4:6])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise MrzError(f"{what} is not a valid YYMMDD date (month or day out of range)")


def can_from_personal_number(personal_number: str) -> str:
    """PACE CAN of a CCCD: the last 6 digits of the 12-digit personal number."""
    if not (
        isinstance(personal_number, str)
        and len(personal_number) == 12
        and personal_number.isascii()
        and personal_number.isdigit()
    ):
        raise MrzError("a CCCD personal number has exactly 12 digits")
    return personal_number[-6:]


@dataclass(frozen=True)
class BacKeyInfo:
    """The three MRZ fields BAC derives its keys from.

    ``document_number`` is the MRZ document number (for CCCD the last 9 digits of
    the personal number); dates are ``YYMMDD``.
    """

    document_number: str
    birth_yymmdd: str
    expiry_yymmdd: str

    def __post_init__(self) -> None:
        doc = self.document_number
        if not (isinstance(doc, str) and doc and _MRZ_CHARS.fullmatch(doc)):
            raise MrzError("document number must use only 0-9, A-Z and '<'")
        _require_yymmdd(self.birth_yymmdd, "birth date")
        _require_yymmdd(self.expiry_yymmdd, "expiry date")

    @classmethod
    def from_personal_number(cls, personal_number: str, birth_yymmdd: str, expiry_yymmdd: str) -> BacKeyInfo:
        """BAC input of a CCCD from its 12-digit ID (document number = last 9 digits)."""
        can_from_personal_number(personal_number)  # validates the shape
        return cls(personal_number[-9:], birth_yymmdd, expiry_yymmdd)

    def mrz_information(self) -> str:
        """Document number (padded to 9) + cd + birth + cd + expiry + cd (ICAO 9303-11 §4.3)."""
        doc = self.document_number.ljust(9, "<")
        return (
            doc
            + check_digit(doc)
            + self.birth_yymmdd
            + check_digit(self.birth_yymmdd)
            + self.expiry_yymmdd
            + check_digit(self.expiry_yymmdd)
        )

    def key_seed(self) -> bytes:
        """K_seed = first 16 bytes of SHA-1 over the MRZ information."""
        return hashlib.sha1(self.mrz_information().encode("ascii")).digest()[:16]


@dataclass(frozen=True)
class Td1Mrz:
    """A parsed and check-digit-verified TD1 MRZ."""

    document_code: str
    issuing_state: str
    document_number: str
    optional_data_1: str
    birth_yymmdd: str
    sex: str
    expiry_yymmdd: str
    nationality: str
    optional_data_2: str
    primary_identifier: str
    secondary_identifier: str
    lines: tuple[str, str, str] = field(repr=False)

    @property
    def name(self) -> str:
        """Surname and given names joined by a space, in MRZ transliteration."""
        return " ".join(p for p in (self.primary_identifier, self.secondary_identifier) if p)

    @property
    def personal_number(self) -> str | None:
        """The CCCD 12-digit personal number held in optional data 1, if present."""
        candidate = self.optional_data_1[:12]
        if len(candidate) == 12 and candidate.isdigit():
            return candidate
        return None

    @property
    def personal_number_check_ok(self) -> bool | None:
        """Whether the digit ending line 1 is the check digit of the personal number.

        Reported, not enforced: the meaning of that digit on CCCD is not confirmed.
        """
        number = self.personal_number
        last = self.lines[0][-1]
        if number is None or not last.isdigit():
            return None
        return check_digit(number) == last

    def bac_key_info(self) -> BacKeyInfo:
        return BacKeyInfo(self.document_number, self.birth_yymmdd, self.expiry_yymmdd)


def yymmdd_to_date(value: str, *, future: bool) -> date:
    """Expand a YYMMDD MRZ date; birth dates lie in the past, expiry dates may not."""
    _require_yymmdd(value, "date")
    yy, mm, dd = int(value[:2]), int(value[2:4]), int(value[4:6])
    this_year = date.today().year
    century = this_year // 100 * 100
    year = century + yy
    if future:
        if year < this_year - 50:
            year += 100
    elif year > this_year:
        year -= 100
    try:
        return date(year, mm, dd)
    except ValueError:
        raise MrzError("MRZ date is not a calendar date") from None


def _split_lines(text: str) -> tuple[str, str, str]:
    if not isinstance(text, str):
        raise MrzError(f"expected str, got {type(text).__name__}")
    lines = [ln.strip() for ln in text.replace("\r", "\n").split("\n") if ln.strip()]
    if len(lines) == 1 and len(lines[0]) == 3 * TD1_LINE:
        joined = lines[0]
        lines = [joined[0:30], joined[30:60], joined[60:90]]
    if len(lines) != 3 or any(len(ln) != TD1_LINE for ln in lines):
        raise MrzError("a TD1 MRZ is 3 lines of 30 characters (or 90 characters in one line)")
    for ln in lines:
        if not _MRZ_CHARS.fullmatch(ln):
            raise MrzError("MRZ lines may contain only 0-9, A-Z and '<'")
    return lines[0], lines[1], lines[2]


def parse_td1(text: str) -> Td1Mrz:
    """Parse a TD1 MRZ and verify the document number, birth, expiry and composite check digits."""
    l1, l2, l3 = _split_lines(text)
    doc_field, doc_cd, optional_1 = l1[5:14], l1[14], l1[15:30]
    if doc_cd == "<":
        # Long document number: it continues in optional data up to the first '<',
        # whose last character is the check digit (ICAO 9303-5 note j).
        overflow = optional_1.split("<", 1)[0]
        if len(overflow) < 2:
            raise MrzError("document number overflow in optional data is truncated")
        doc_field, doc_cd = doc_field + overflow[:-1], overflow[-1]
        optional_1 = optional_1[len(overflow) :]
    _verify("document number", doc_field, doc_cd)
    _verify("date of birth", l2[0:6], l2[6])
    _verify("date of expiry", l2[8:14], l2[14])
    _verify("composite", l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29])
    _require_yymmdd(l2[0:6], "birth date")
    _require_yymmdd(l2[8:14], "expiry date")
    if l2[7] not in "MF<":
        raise MrzError(f"sex must be M, F or '<', got {l2[7]!r}")
    primary, _, secondary = l3.partition("<<")
    return Td1Mrz(
        document_code=l1[0:2].rstrip("<"),
        issuing_state=l1[2:5].rstrip("<"),
        document_number=doc_field.rstrip("<"),
        optional_data_1=optional_1.rstrip("<"),
        birth_yymmdd=l2[0:6],
        sex=l2[7],
        expiry_yymmdd=l2[8:14],
        nationality=l2[15:18].rstrip("<"),
        optional_data_2=l2[18:29].rstrip("<"),
        primary_identifier=primary.replace("<", " ").strip(),
        secondary_identifier=secondary.replace("<", " ").strip(),
        lines=(l1, l2, l3),
    )
