"""SecurityInfos (ICAO 9303-11 §9.2) from EF.CardAccess and DG14.

The protocol layer needs them to choose PACE parameters (EF.CardAccess) and to
run Chip Authentication (DG14).  Entries are classified by protocol OID;
entries we don't know are kept by OID rather than rejected, because cards carry
vendor-specific infos next to the standard ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from asn1crypto import core, keys

from kiosk.cccd.errors import SecurityInfoError, TlvError
from kiosk.cccd.tlv import unwrap

DG14_TAG = 0x6E
_BSI = "0.4.0.127.0.7.2.2"
ID_PK = f"{_BSI}.1"  # ChipAuthenticationPublicKeyInfo
ID_TA = f"{_BSI}.2"
ID_CA = f"{_BSI}.3"
ID_PACE = f"{_BSI}.4"
ID_ACTIVE_AUTH = "2.23.136.1.1.5"


class _SecurityInfo(core.Sequence):
    _fields: ClassVar[list] = [
        ("protocol", core.ObjectIdentifier),
        ("required_data", core.Any),
        ("optional_data", core.Any, {"optional": True}),
    ]


class _SecurityInfos(core.SetOf):
    _child_spec = _SecurityInfo


@dataclass(frozen=True)
class PaceInfo:
    protocol: str
    version: int
    parameter_id: int | None


@dataclass(frozen=True)
class ChipAuthInfo:
    protocol: str
    version: int
    key_id: int | None


@dataclass(frozen=True)
class ChipAuthPublicKey:
    protocol: str
    #: SubjectPublicKeyInfo DER (explicit EC domain parameters are common here).
    public_key_info: bytes
    key_id: int | None


@dataclass(frozen=True)
class ActiveAuthInfo:
    version: int
    signature_algorithm: str


@dataclass(frozen=True)
class SecurityInfos:
    pace: tuple[PaceInfo, ...] = ()
    chip_authentication: tuple[ChipAuthInfo, ...] = ()
    chip_authentication_keys: tuple[ChipAuthPublicKey, ...] = ()
    terminal_authentication: tuple[str, ...] = ()
    active_authentication: tuple[ActiveAuthInfo, ...] = ()
    other: tuple[str, ...] = field(default=())


def _int(value: core.Asn1Value, what: str) -> int:
    parsed = core.Integer.load(value.dump(), strict=True).native
    if not isinstance(parsed, int):
        raise SecurityInfoError(f"{what} is not an INTEGER")
    return parsed


def _optional_int(info: _SecurityInfo, what: str) -> int | None:
    optional = info["optional_data"]
    return None if isinstance(optional, core.Void) else _int(optional, what)


def _classify(infos: _SecurityInfos) -> SecurityInfos:
    out: dict[str, list] = {k: [] for k in SecurityInfos.__dataclass_fields__}
    for info in infos:
        oid = info["protocol"].dotted
        required = info["required_data"]
        is_int = required.dump()[:1] == b"\x02"
        if oid.startswith(ID_PACE + ".") and is_int:
            out["pace"].append(
                PaceInfo(oid, _int(required, "PACE version"), _optional_int(info, "PACE parameter id"))
            )
        elif oid.startswith(ID_CA + ".") and is_int:
            out["chip_authentication"].append(
                ChipAuthInfo(oid, _int(required, "CA version"), _optional_int(info, "CA key id"))
            )
        elif oid.startswith(ID_PK + "."):
            spki = keys.PublicKeyInfo.load(required.dump(), strict=True)
            spki.native  # noqa: B018 - decode fully now so damage is reported here
            out["chip_authentication_keys"].append(
                ChipAuthPublicKey(oid, spki.dump(), _optional_int(info, "CA key id"))
            )
        elif oid == ID_TA or oid.startswith(ID_TA + "."):
            out["terminal_authentication"].append(oid)
        elif oid == ID_ACTIVE_AUTH:
            algorithm = info["optional_data"]
            name = (
                core.ObjectIdentifier.load(algorithm.dump(), strict=True).dotted
                if not isinstance(algorithm, core.Void)
                else ""
            )
            out["active_authentication"].append(ActiveAuthInfo(_int(required, "AA version"), name))
        else:
            out["other"].append(oid)
    return SecurityInfos(**{k: tuple(v) for k, v in out.items()})


def parse_security_infos(der: bytes) -> SecurityInfos:
    """Decode a DER SecurityInfos SET (the whole of EF.CardAccess)."""
    try:
        infos = _SecurityInfos.load(bytes(der), strict=True)
        return _classify(infos)
    except SecurityInfoError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        raise SecurityInfoError(f"SecurityInfos malformed: {exc.__class__.__name__}: {exc}") from None


def parse_dg14(data: bytes) -> SecurityInfos:
    """Decode DG14 (tag 6E around SecurityInfos)."""
    try:
        return parse_security_infos(unwrap(data, DG14_TAG, "DG14").value)
    except TlvError as exc:
        raise SecurityInfoError(str(exc)) from None
