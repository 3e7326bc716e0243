"""Value types shared by the chip, QR and MRZ readers: gender and Vietnamese dates.

The card prints Vietnamese words ("Nam", "Nữ", "Không thời hạn") where ICAO uses
codes; normalising them here keeps every source producing identical typed values.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, fields
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


@dataclass(frozen=True, kw_only=True, repr=False)
class PersonalData:
    """The citizen fields shared by DG13 and the merged :class:`CitizenIdentity`.

    One declaration, so the chip record and the result cannot drift apart.
    ``repr`` is disabled: these objects must never print personal data.
    """

    personal_number: str | None = None
    full_name: str | None = None
    date_of_birth: date | None = None
    gender: Gender | None = None
    nationality: str | None = None
    ethnicity: str | None = None
    religion: str | None = None
    place_of_origin: str | None = None
    place_of_residence: str | None = None
    identifying_marks: str | None = None
    issue_date: date | None = None
    expiry_date: date | None = None
    no_expiry: bool = False
    father_name: str | None = None
    mother_name: str | None = None
    spouse_name: str | None = None
    old_id_number: str | None = None
    #: Expected fields the source should have supplied but did not.
    missing_fields: tuple[str, ...] = ()
    #: Fields present but unparseable (e.g. a date that is not a date).
    invalid_fields: tuple[str, ...] = ()

    @property
    def partial(self) -> bool:
        return bool(self.missing_fields or self.invalid_fields)


#: Names of the personal-data fields (not the bookkeeping ones).
PERSONAL_FIELDS = tuple(
    f.name for f in fields(PersonalData) if f.name not in ("missing_fields", "invalid_fields")
)
