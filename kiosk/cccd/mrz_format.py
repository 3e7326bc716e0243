"""Writing TD1 MRZs: the inverse of :func:`kiosk.cccd.mrz.parse_td1`.

Used by the test-card builder and by tests; kept apart from the parser so the
parser module stays about reading untrusted input.
"""

from __future__ import annotations

import unicodedata

from kiosk.cccd.errors import MrzError
from kiosk.cccd.mrz import TD1_LINE, check_digit


def transliterate(name: str) -> str:
    """Vietnamese name → MRZ characters: drop diacritics, Đ→D, spaces → '<'."""
    text = name.replace("Đ", "D").replace("đ", "d")
    text = unicodedata.normalize("NFD", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Mn").upper()
    out = []
    for char in text:
        if "A" <= char <= "Z" or "0" <= char <= "9":
            out.append(char)
        elif char in " -'":
            out.append("<")
        else:
            raise MrzError(f"character {char!r} cannot be written in an MRZ")
    return "".join(out)


def _fit(text: str, width: int, what: str) -> str:
    if len(text) > width:
        raise MrzError(f"{what} is longer than {width} characters")
    return text.ljust(width, "<")


def format_td1(
    *,
    document_number: str,
    birth_yymmdd: str,
    sex: str,
    expiry_yymmdd: str,
    surname: str,
    given_names: str,
    optional_data_1: str = "",
    optional_data_2: str = "",
    document_code: str = "ID",
    issuing_state: str = "VNM",
    nationality: str = "VNM",
) -> str:
    """Three TD1 lines joined by newlines, with all check digits computed."""
    if len(document_number) > 9:
        raise MrzError("document numbers over 9 characters are not supported by this writer")
    doc = _fit(document_number, 9, "document number")
    line1 = (
        _fit(document_code, 2, "document code")
        + _fit(issuing_state, 3, "issuing state")
        + doc
        + check_digit(doc)
        + _fit(optional_data_1, 15, "optional data 1")
    )
    head = birth_yymmdd + check_digit(birth_yymmdd) + sex + expiry_yymmdd + check_digit(expiry_yymmdd)
    line2_body = head + _fit(nationality, 3, "nationality") + _fit(optional_data_2, 11, "optional data 2")
    composite = check_digit(line1[5:30] + line2_body[0:7] + line2_body[8:15] + line2_body[18:29])
    line2 = line2_body + composite
    name = transliterate(surname) + "<<" + transliterate(given_names)
    line3 = name[:TD1_LINE].ljust(TD1_LINE, "<")
    return "\n".join((line1, line2, line3))


def cccd_optional_data(personal_number: str) -> str:
    """CCCD optional data 1: the 12-digit ID, ``<<`` and the ID's check digit."""
    return personal_number + "<<" + check_digit(personal_number)
