"""The QR code printed on the CCCD, parsed into the same typed result as the chip.

Staff scan it to get the CAN / BAC data without typing; it also serves as a
fallback identity when the chip cannot be read.  Two layouts circulate:
``id|old id|name|ddmmyyyy|gender|address|issue ddmmyyyy`` (7 fields) and a
6-field one without the old ID and with dd/mm/yyyy dates.  The QR is not signed,
so anything off-layout is rejected rather than guessed at.
"""

from __future__ import annotations

from datetime import date

from kiosk.cccd.errors import QrError
from kiosk.cccd.identity import QR_EXPECTED, CitizenIdentity, IdentitySource, finish
from kiosk.cccd.values import Gender, parse_gender, parse_vn_date

MAX_QR_CHARS = 2048  # a QR code holds at most ~2.9 KB; refuse absurd inputs early


def _date(text: str, what: str) -> date | None:
    if not text:
        return None
    parsed = parse_vn_date(text)
    if parsed is None:
        raise QrError(f"QR {what} {len(text)}-character value is not a ddmmyyyy or dd/mm/yyyy date")
    return parsed


def _gender(text: str) -> Gender | None:
    if not text:
        return None
    gender = parse_gender(text)
    if gender is None:
        raise QrError("QR gender is neither 'Nam' nor 'Nữ'")
    return gender


def parse_qr(text: str) -> CitizenIdentity:
    """Parse the CCCD QR text; raises :class:`QrError` for anything off-layout."""
    if not isinstance(text, str):
        raise QrError(f"expected str, got {type(text).__name__}")
    if len(text) > MAX_QR_CHARS:
        raise QrError(f"QR text is {len(text)} characters, more than a CCCD QR holds")
    parts = [p.strip() for p in text.strip().split("|")]
    if len(parts) == 7:
        personal, old_id, name, birth, gender, address, issued = parts
    elif len(parts) == 6:
        personal, name, birth, gender, address, issued = parts
        old_id = ""
    else:
        raise QrError(f"QR has {len(parts)} '|'-separated fields; expected 7 (or 6)")
    if not (len(personal) == 12 and personal.isascii() and personal.isdigit()):
        raise QrError("QR personal number is not 12 digits")
    if old_id and not (len(old_id) in (9, 12) and old_id.isascii() and old_id.isdigit()):
        raise QrError("QR old ID number is not 9 (or 12) digits")
    values = {
        "personal_number": personal,
        "document_number": personal[-9:],
        "old_id_number": old_id or None,
        "full_name": name or None,
        "date_of_birth": _date(birth, "date of birth"),
        "gender": _gender(gender),
        "place_of_residence": address or None,
        "issue_date": _date(issued, "issue date"),
    }
    return finish(IdentitySource.QR, values, QR_EXPECTED)
