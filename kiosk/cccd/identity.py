"""The typed result of reading a CCCD, whatever the source (chip, QR code, MRZ).

Kiosk workflows consume only :class:`CitizenIdentity`: dates are ``datetime.date``,
gender an enum, and absent data is explicit (``missing_fields``/``partial``) so a
workflow can refuse a check-in on a partial read instead of storing blanks.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from kiosk.cccd.dg1 import Dg1
from kiosk.cccd.dg13 import Dg13
from kiosk.cccd.errors import MrzError
from kiosk.cccd.mrz import Td1Mrz, yymmdd_to_date
from kiosk.cccd.values import PERSONAL_FIELDS, PersonalData, parse_gender


class IdentitySource(enum.Enum):
    CHIP = "chip"
    QR = "qr"
    MRZ = "mrz"


@dataclass(frozen=True, kw_only=True, repr=False)
class CitizenIdentity(PersonalData):
    """One citizen's data from one source; ``partial`` when expected fields are absent."""

    source: IdentitySource
    document_number: str | None = None
    #: Fields on which DG1 (MRZ) and DG13 disagree; DG13's value is kept.
    conflicts: tuple[str, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ISO dates, enum values, text exactly as read (no normalisation)."""
        out: dict[str, Any] = {"source": None}  # first key, for people reading the JSON
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, enum.Enum):
                value = value.value
            elif isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        out["partial"] = self.partial
        return out

    def __repr__(self) -> str:  # no personal data in logs or tracebacks
        return (
            f"CitizenIdentity(source={self.source.value}, partial={self.partial}, "
            f"missing={list(self.missing_fields)})"
        )


_CHIP_EXPECTED = (
    "personal_number",
    "document_number",
    "full_name",
    "date_of_birth",
    "gender",
    "nationality",
    "ethnicity",
    "religion",
    "place_of_origin",
    "place_of_residence",
    "identifying_marks",
    "issue_date",
    "expiry_date",
    "father_name",
    "mother_name",
)
QR_EXPECTED = ("personal_number", "full_name", "date_of_birth", "gender", "place_of_residence", "issue_date")
_MRZ_EXPECTED = ("document_number", "full_name", "date_of_birth", "gender", "nationality", "expiry_date")


def finish(
    source: IdentitySource,
    values: dict[str, Any],
    expected: tuple[str, ...],
    *,
    invalid: tuple[str, ...] = (),
    conflicts: tuple[str, ...] = (),
) -> CitizenIdentity:
    """Build the result and work out which expected fields are missing."""
    missing = [
        name
        for name in expected
        if values.get(name) in (None, "")
        and not (name == "expiry_date" and values.get("no_expiry"))
        and name not in invalid
    ]
    return CitizenIdentity(
        source=source,
        missing_fields=tuple(missing),
        invalid_fields=tuple(invalid),
        conflicts=tuple(conflicts),
        **values,
    )


def _mrz_date(value: str, *, future: bool) -> date | None:
    # Check digits pass for 31 February too; such a date is unknown, not fatal.
    try:
        return yymmdd_to_date(value, future=future)
    except MrzError:
        return None


def _mrz_values(mrz: Td1Mrz) -> dict[str, Any]:
    return {
        "personal_number": mrz.personal_number,
        "document_number": mrz.document_number or None,
        "full_name": mrz.name or None,
        "date_of_birth": _mrz_date(mrz.birth_yymmdd, future=False),
        "gender": parse_gender(mrz.sex),
        "nationality": mrz.nationality or None,
        "expiry_date": _mrz_date(mrz.expiry_yymmdd, future=True),
    }


def identity_from_mrz(mrz: Td1Mrz) -> CitizenIdentity:
    """Identity from a typed or scanned MRZ only (ASCII names, no address)."""
    values = _mrz_values(mrz)
    invalid = tuple(n for n in ("date_of_birth", "expiry_date") if values[n] is None)
    return finish(IdentitySource.MRZ, values, _MRZ_EXPECTED, invalid=invalid)


def build_identity(dg1: Dg1 | None, dg13: Dg13 | None) -> CitizenIdentity:
    """Merge DG1 and DG13 into one chip identity.

    DG13 wins where both speak (it has the diacritics and the full dates); the
    MRZ fills what DG13 lacks, and disagreements are listed in ``conflicts`` so a
    workflow can treat an inconsistent chip as suspect.
    """
    mrz = _mrz_values(dg1.mrz) if dg1 is not None else {}
    d13: dict[str, Any] = {}
    if dg13 is not None:
        d13 = {name: getattr(dg13, name) for name in PERSONAL_FIELDS}
    conflicts = []
    for name in ("personal_number", "date_of_birth", "gender"):
        if mrz.get(name) is not None and d13.get(name) is not None and mrz[name] != d13[name]:
            conflicts.append(name)
    if (
        mrz.get("expiry_date") is not None
        and d13.get("expiry_date") is not None
        and mrz["expiry_date"] != d13["expiry_date"]
    ):
        conflicts.append("expiry_date")
    values: dict[str, Any] = dict(mrz)
    values.update({k: v for k, v in d13.items() if v not in (None, "")})
    if d13.get("no_expiry"):
        values["expiry_date"] = None
    if values.get("document_number") is None and values.get("personal_number"):
        values["document_number"] = values["personal_number"][-9:]
    # A DG13 value that did not parse only counts as invalid if the MRZ could not stand in.
    invalid = tuple(n for n in (dg13.invalid_fields if dg13 else ()) if values.get(n) is None)
    return finish(IdentitySource.CHIP, values, _CHIP_EXPECTED, invalid=invalid, conflicts=tuple(conflicts))
