"""TD3 MRZ (passport data page, 2 lines of 44): the foreign guest's way into the chip.

Only what opening the chip and a stay notification need: document number, dates,
sex, nationality and name, all check digits verified (a typo must be caught
here, not after three refused BAC attempts)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.cccd.errors import MrzError
from kiosk.cccd.mrz import _MRZ_CHARS, BacKeyInfo, _require_yymmdd, _verify

TD3_LINE = 44


@dataclass(frozen=True)
class Td3Mrz:
    document_code: str
    issuing_state: str
    document_number: str
    nationality: str
    birth_yymmdd: str
    sex: str
    expiry_yymmdd: str
    primary_identifier: str
    secondary_identifier: str
    lines: tuple[str, str] = field(repr=False)

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.primary_identifier, self.secondary_identifier) if p)

    @property
    def personal_number(self) -> str | None:
        """Passports carry no Vietnamese 12-digit personal number (identity code compatibility)."""
        return None

    def bac_key_info(self) -> BacKeyInfo:
        return BacKeyInfo(self.document_number, self.birth_yymmdd, self.expiry_yymmdd)


def parse_td3(text: str) -> Td3Mrz:
    """Parse a 2-line TD3 MRZ (or 88 characters on one line), verifying every check digit."""
    if not isinstance(text, str):
        raise MrzError(f"expected str, got {type(text).__name__}")
    lines = [ln.strip() for ln in text.replace("\r", "\n").split("\n") if ln.strip()]
    if len(lines) == 1 and len(lines[0]) == 2 * TD3_LINE:
        lines = [lines[0][:TD3_LINE], lines[0][TD3_LINE:]]
    if len(lines) != 2 or any(len(ln) != TD3_LINE for ln in lines):
        raise MrzError("a TD3 MRZ is 2 lines of 44 characters")
    if not all(_MRZ_CHARS.fullmatch(ln) for ln in lines):
        raise MrzError("MRZ lines may contain only 0-9, A-Z and '<'")
    l1, l2 = lines
    if l1[0] != "P":
        raise MrzError("a TD3 MRZ starts with 'P' (passport)")
    _verify("document number", l2[0:9], l2[9])
    _verify("date of birth", l2[13:19], l2[19])
    _verify("date of expiry", l2[21:27], l2[27])
    if l2[42] != "<" or l2[28:42].strip("<"):
        _verify("personal number", l2[28:42], l2[42])
    _verify("composite", l2[0:10] + l2[13:20] + l2[21:43], l2[43])
    _require_yymmdd(l2[13:19], "birth date")
    _require_yymmdd(l2[21:27], "expiry date")
    if l2[20] not in "MF<X":
        raise MrzError("sex must be M, F, X or '<'")
    primary, _, secondary = l1[5:].partition("<<")
    return Td3Mrz(
        document_code=l1[0:2].rstrip("<"),
        issuing_state=l1[2:5].rstrip("<"),
        document_number=l2[0:9].rstrip("<"),
        nationality=l2[10:13].rstrip("<"),
        birth_yymmdd=l2[13:19],
        sex=l2[20],
        expiry_yymmdd=l2[21:27],
        primary_identifier=primary.replace("<", " ").strip(),
        secondary_identifier=secondary.replace("<", " ").strip(),
        lines=(l1, l2),
    )
