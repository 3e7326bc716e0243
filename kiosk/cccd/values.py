"""Value types shared by the chip, QR and MRZ readers: gender and Vietnamese dates.

The card prints Vietnamese words ("Nam", "Nữ", "Không thời hạn") where ICAO uses
codes; normalising them here keeps every source producing identical typed values.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from datetime import date


class Gender(enum.Enum):
    MALE = "male"
    FEMALE = "female"
    UNSPECIFIED = "unspecified"


_GENDER_WORDS = {
    "nam": Gender.MALE,
    "m": Gender.MALE,
    "male": Gender.MALE,
    "nữ": Gender.FEMALE,
    "nu": Gender.FEMALE,
    "f": Gender.FEMALE,
    "female": Gender.FEMALE,
    "<": Gender.UNSPECIFIED,
    "x": Gender.UNSPECIFIED,
}

# "Không thời hạn" = no expiry (cards issued to citizens over 60).
_NO_EXPIRY_WORDS = {"không thời hạn", "khong thoi han"}

_DATE_SEP = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_DATE_PACKED = re.compile(r"(\d{2})(\d{2})(\d{4})")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


def parse_gender(text: str) -> Gender | None:
    """Gender from "Nam"/"Nữ" (any Unicode normal form) or an MRZ letter; None if unknown."""
    return _GENDER_WORDS.get(_fold(text))


def is_no_expiry(text: str) -> bool:
    return _fold(text) in _NO_EXPIRY_WORDS


def parse_vn_date(text: str) -> date | None:
    """A dd/mm/yyyy or ddmmyyyy date; None when the text is not a calendar date."""
    text = text.strip()
    match = _DATE_SEP.fullmatch(text) or _DATE_PACKED.fullmatch(text)
    if match is None:
        return None
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None
