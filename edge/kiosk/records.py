"""From a finished check-in to the event that leaves the device, and to what the
citizen sees of it (the consent preview, the receipt).

Only allow-listed identity fields go in (`kiosk.stay.fields`,
`kiosk.verification.fields`); the chip portrait and the live face image become
attachments only when the configuration asks for them. The preview shows exactly
the values the event will carry, so consent is given to what is really sent."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import uuid6

from edge.contract.kiosk_bodies import (
    IdentityVerificationBody,
    PersonFields,
    StayNotificationBody,
    Verification,
)
from edge.events import Attachment, EventDraft, Priority
from edge.kiosk.deadline import due_by
from edge.kiosk.forms import PawnDetails, StayDetails
from edge.kiosk.person_check import PersonCheckResult
from firmware_config.kiosk import KioskConfig
from kiosk.cccd.identity import CitizenIdentity
from kiosk.emrtd.chip_read import ChipReadResult
from kiosk.emrtd.genuineness import GenuinenessVerdict
from kiosk.screen.protocol import PreviewItem

VIETNAMESE = {"VNM", "Việt Nam", "VIỆT NAM", "Viet Nam"}


@dataclass(frozen=True)
class CheckIn:
    """Everything gathered for one citizen, in memory only, until commit or discard."""

    chip: ChipReadResult
    key_source: str
    verdict: GenuinenessVerdict
    person: PersonCheckResult
    trust_store: bool

    def __repr__(self) -> str:  # personal data inside: never in logs
        return f"CheckIn(key_source={self.key_source}, genuine={self.verdict.genuine})"


def _value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    return value


def person_fields(identity: CitizenIdentity, allowed: list[str]) -> PersonFields:
    number = identity.personal_number or identity.document_number or ""
    values = {name: _value(getattr(identity, name, None)) for name in allowed if name != "personal_number"}
    return PersonFields(
        personal_number=number,
        document_type="cccd" if identity.personal_number else "passport",
        **{k: v for k, v in values.items() if v not in (None, "")},
    )


def is_foreign(identity: CitizenIdentity) -> bool:
    return (
        bool(identity.nationality) and identity.nationality not in VIETNAMESE and not identity.personal_number
    )


def verification(c: CheckIn) -> Verification:
    pa = c.chip.passive_auth.to_json_dict()
    return Verification(
        access_method=c.chip.raw.access_method,  # type: ignore[arg-type]
        access_key_source=c.key_source,  # type: ignore[arg-type]
        genuine=c.verdict.genuine,
        not_genuine_reasons=list(c.verdict.reasons),
        passive_authentication={
            k: pa[k] for k in ("passed", "structure", "hashes", "data_groups", "signature", "chain")
        },  # type: ignore[arg-type]
        active_authentication=c.chip.active_auth.verdict.value,
        chip_authentication=c.chip.raw.chip_auth,
        trust_store=c.trust_store,
        person_check=c.person.to_event(),
        identity_partial=c.chip.identity.partial,
    )


def _attachments(
    c: CheckIn, send_portrait: bool, send_live: bool
) -> tuple[list[Attachment], str | None, str | None]:
    out: list[Attachment] = []
    portrait_id = live_id = None
    if send_portrait and c.chip.photo is not None:
        a = Attachment(c.chip.photo.format.mime_type, c.chip.photo.image)
        out.append(a)
        portrait_id = a.id
    if send_live and c.person.live_image is not None:
        a = Attachment("image/jpeg", c.person.live_image)
        out.append(a)
        live_id = a.id
    return out, portrait_id, live_id


def _common(c: CheckIn, cfg: KioskConfig, sendable) -> tuple[dict[str, Any], list[Attachment]]:
    """What both workflows' bodies share: establishment, verdicts, image attachments."""
    attachments, portrait_id, live_id = _attachments(c, sendable.send_portrait, sendable.send_live_image)
    return {
        "establishment": {"code": cfg.establishment.code, "name": cfg.establishment.name},
        "verification": verification(c),
        "portrait_attachment_id": portrait_id,
        "live_image_attachment_id": live_id,
    }, attachments


def _draft(
    kind: str, body: Any, person_key: str, at: datetime, synced: bool, attachments: list
) -> EventDraft:
    dumped = body.model_dump(mode="json")
    # only what the allow-list named: absent fields are left out, not sent as null
    dumped[person_key] = getattr(body, person_key).model_dump(mode="json", exclude_none=True)
    return EventDraft(kind, dumped, Priority.CRITICAL, at, synced, tuple(attachments))


def stay_event(
    c: CheckIn, details: StayDetails, cfg: KioskConfig, arrival: datetime, synced: bool
) -> EventDraft:
    stay = cfg.stay
    common, attachments = _common(c, cfg, stay)
    body = StayNotificationBody(
        stay_id=str(uuid6.uuid7()),
        guest=person_fields(c.chip.identity, stay.fields),
        room=details.room,
        arrival=arrival,
        expected_departure=details.expected_departure,
        reason_code=details.reason_code,
        reason_text=details.reason_text,
        due_by=due_by(arrival, foreign=is_foreign(c.chip.identity), foreign_notice_h=stay.foreign_notice_h),
        **common,
    )
    return _draft("stay_notification", body, "guest", arrival, synced, attachments)


def verification_event(
    c: CheckIn, details: PawnDetails, cfg: KioskConfig, now: datetime, synced: bool
) -> EventDraft:
    common, attachments = _common(c, cfg, cfg.verification)
    body = IdentityVerificationBody(
        verification_id=str(uuid6.uuid7()),
        person=person_fields(c.chip.identity, cfg.verification.fields),
        contract_reference=details.contract_reference,
        asset_description=details.asset_description,
        verified_at=now,
        **common,
    )
    return _draft("identity_verification", body, "person", now, synced, attachments)


def _text(value: Any) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def preview(draft: EventDraft, reasons: Mapping[str, str] | None = None) -> tuple[PreviewItem, ...]:
    """Every personal value the event carries, labelled by field, plus which images go;
    a reason-of-stay code with its configured label (`reasons`) beside it for the screen."""
    body = draft.body
    person = body.get("guest") or body.get("person") or {}
    items = [PreviewItem(f"field.{k}", _text(v)) for k, v in person.items()]
    for key in (
        "room",
        "expected_departure",
        "reason_code",
        "reason_text",
        "contract_reference",
        "asset_description",
    ):
        if body.get(key) is not None:
            meaning = (reasons or {}).get(body[key], "") if key == "reason_code" else ""
            items.append(PreviewItem(f"field.{key}", _text(body[key]), meaning))
    items.append(PreviewItem("field.portrait", "sent" if body.get("portrait_attachment_id") else "not_sent"))
    items.append(
        PreviewItem("field.live_image", "sent" if body.get("live_image_attachment_id") else "not_sent")
    )
    return tuple(items)


def local_time(iso: str | None) -> str:
    """An event timestamp as people read it on a receipt: dd/mm/yyyy HH:MM (local)."""
    if not iso:
        return ""
    return datetime.fromisoformat(iso).strftime("%d/%m/%Y %H:%M")


def mask(number: str) -> str:
    return "•" * max(0, len(number) - 4) + number[-4:]


def receipt(draft: EventDraft, seq: int) -> tuple[PreviewItem, ...]:
    """What the receipt shows: reference, time, establishment and a masked number."""
    body = draft.body
    person = body.get("guest") or body.get("person") or {}
    reference = body.get("stay_id") or body.get("verification_id") or ""
    items = [
        PreviewItem("receipt.reference", reference[-12:]),
        PreviewItem("receipt.time", local_time(body.get("arrival") or body.get("verified_at"))),
        PreviewItem("receipt.seq", str(seq)),
        PreviewItem("field.personal_number", mask(person.get("personal_number", ""))),
    ]
    if body.get("room"):
        items.append(PreviewItem("field.room", body["room"]))
    if body.get("due_by"):
        items.append(PreviewItem("receipt.due_by", local_time(body["due_by"])))
    if body.get("contract_reference"):
        items.append(PreviewItem("field.contract_reference", body["contract_reference"]))
    return tuple(items)
