"""From a card in the field to the typed, verified result.

Runs the raw read (`session.CardReader`), hands the files to the LDS
parsers and passive authentication (`kiosk.cccd`), and keeps the
cost split the benchmark reports: time waiting for the card versus time in our
own protocol code and in parsing/verification."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import Any

from kiosk.cccd import parse_dg1, parse_dg2, parse_dg13, parse_dg14, parse_dg15
from kiosk.cccd.dg2 import FaceImage
from kiosk.cccd.errors import LdsError
from kiosk.cccd.identity import CitizenIdentity, build_identity
from kiosk.cccd.pa_result import PassiveAuthResult
from kiosk.cccd.passive_auth import verify as verify_passive
from kiosk.cccd.trust_store import TrustStore
from kiosk.emrtd.active_auth import AaVerdict, ActiveAuthResult, active_authenticate
from kiosk.emrtd.channel import ApduChannel
from kiosk.emrtd.files import SOD
from kiosk.emrtd.session import DEFAULT_GROUPS, AccessKey, CardReader, RawCardRead


@dataclass(frozen=True)
class ChipReadResult:
    identity: CitizenIdentity
    photo: FaceImage | None
    passive_auth: PassiveAuthResult
    raw: RawCardRead = field(repr=False)
    active_auth: ActiveAuthResult = field(default_factory=lambda: ActiveAuthResult(AaVerdict.NOT_PRESENT))
    parse_seconds: float = 0.0
    parse_errors: tuple[str, ...] = ()

    @property
    def data_groups_read(self) -> tuple[int, ...]:
        return tuple(sorted(fid & 0xFF for fid in self.raw.files if 0x0101 <= fid <= 0x0110))

    def timings(self) -> dict[str, float]:
        raw = self.raw
        return {
            "card_s": round(raw.card_seconds, 4),
            "protocol_s": round(raw.own_seconds, 4),
            "parse_verify_s": round(self.parse_seconds, 4),
            "total_s": round(raw.total_seconds + self.parse_seconds, 4),
        }

    def to_json_dict(self, include_photo: bool = True) -> dict[str, Any]:
        photo: dict[str, Any] | None = None
        if self.photo is not None:
            photo = {
                "format": self.photo.format.value,
                "mime_type": self.photo.format.mime_type,
                "width": self.photo.width,
                "height": self.photo.height,
                "bytes": len(self.photo.image),
            }
            if include_photo:
                photo["base64"] = base64.b64encode(self.photo.image).decode("ascii")
        return {
            "identity": self.identity.to_json_dict(),
            "photo": photo,
            "passive_authentication": self.passive_auth.to_json_dict(),
            "active_authentication": self.active_auth.to_json_dict(),
            "chip_authentication": self.raw.chip_auth,
            "access_method": self.raw.access_method,
            "data_groups_on_card": list(self.raw.data_groups_on_card),
            "data_groups_read": list(self.data_groups_read),
            "parse_errors": list(self.parse_errors),
            "apdu_count": self.raw.apdu_count,
            "bytes_read": self.raw.bytes_read,
            "chunk_size": self.raw.chunk_size,
            "timings": self.timings(),
        }


def _parse(raw: RawCardRead, trust_store: TrustStore) -> tuple[Any, ...]:
    groups = {fid & 0xFF: body for fid, body in raw.files.items() if 0x0101 <= fid <= 0x0110}
    errors: list[str] = []

    def attempt(number: int, parser: Any) -> Any:
        body = groups.get(number)
        if body is None:
            return None
        try:
            return parser(body)
        except LdsError as exc:
            errors.append(f"DG{number}: {exc}")
            return None

    dg1 = attempt(1, parse_dg1)
    dg13 = attempt(13, parse_dg13)
    photo = attempt(2, parse_dg2)
    identity = build_identity(dg1, dg13)
    pa = verify_passive(raw.files[SOD.fid], groups, trust_store)
    return identity, photo, pa, tuple(errors)


def read_chip(
    channel: ApduChannel,
    key: AccessKey,
    trust_store: TrustStore,
    *,
    extended_length: bool = False,
    include_photo: bool = True,
) -> ChipReadResult:
    """Read, parse and verify. Protocol failures raise the typed eMRTD/reader
    errors; data that does not parse is reported in `parse_errors` and leaves
    the identity partial rather than failing the whole read."""
    groups = DEFAULT_GROUPS if include_photo else tuple(g for g in DEFAULT_GROUPS if g != 2)
    raw = CardReader(channel, extended_length=extended_length).read(key, groups)
    started = time.perf_counter()
    active = _active_auth(channel, raw)
    raw.apdu_count, raw.card_seconds = channel.apdu_count, channel.card_seconds
    raw.total_seconds += time.perf_counter() - started
    started = time.perf_counter()
    identity, photo, pa, errors = _parse(raw, trust_store)
    return ChipReadResult(identity, photo, pa, raw, active, time.perf_counter() - started, errors)


def _active_auth(channel: ApduChannel, raw: RawCardRead) -> ActiveAuthResult:
    """Challenge the chip when it has DG15 (still inside the secure session)."""
    dg15 = raw.files.get(0x010F)
    if dg15 is None:
        return ActiveAuthResult(AaVerdict.NOT_PRESENT)
    try:
        key = parse_dg15(dg15)
        oid = None
        if 0x010E in raw.files:
            infos = parse_dg14(raw.files[0x010E]).active_authentication
            oid = infos[0].signature_algorithm or None if infos else None
    except LdsError as exc:
        return ActiveAuthResult(AaVerdict.FAILED, None, f"DG14/DG15 unusable: {exc}")
    return active_authenticate(channel, key, oid)
