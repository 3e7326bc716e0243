"""Bodies of the kiosk's events: guesthouse stay notification (with its checkout and
extension), pawnshop identity verification.

Personal fields are optional in the schema because each device sends only what its
allow-list (`kiosk.stay.fields`, `kiosk.verification.fields`) names; the personal
number is always sent. Every event carries how the chip was opened and every
verdict, so the central side can tell a genuine, verified card from a partial
check."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Establishment(_Body):
    code: str = Field(description="Establishment code issued by the police ('' when not configured).")
    name: str = Field(description="Establishment name.")


class PersonFields(_Body):
    """Identity as read from the chip; only the allow-listed fields are present."""

    personal_number: str = Field(description="Document number: the 12-digit personal number for a CCCD.")
    document_type: Literal["cccd", "passport"] = Field(description="Kind of document read.")
    full_name: str | None = Field(
        default=None, description="Full name as on the chip (UTF-8, diacritics kept)."
    )
    gender: Literal["male", "female", "unspecified"] | None = Field(default=None, description="Sex.")
    date_of_birth: date | None = Field(default=None, description="Date of birth.")
    document_number: str | None = Field(default=None, description="MRZ document number.")
    nationality: str | None = Field(default=None, description="Nationality as on the chip.")
    ethnicity: str | None = Field(default=None, description="Ethnicity.")
    religion: str | None = Field(default=None, description="Religion.")
    place_of_origin: str | None = Field(default=None, description="Place of origin.")
    place_of_residence: str | None = Field(default=None, description="Place of residence.")
    issue_date: date | None = Field(default=None, description="Issue date of the card.")
    expiry_date: date | None = Field(default=None, description="Expiry date (absent: no expiry).")


class PassiveAuthVerdicts(_Body):
    passed: bool = Field(description="Structure, hashes, signature and chain all OK.")
    structure: str = Field(description="EF.SOD structure: ok | malformed.")
    hashes: str = Field(description="Data-group hashes: ok | mismatch | missing | not_checked.")
    data_groups: dict[str, str] = Field(description="Per data group hash verdict (key: DG number).")
    signature: str = Field(description="Document Signer signature: ok | failed | ….")
    chain: str = Field(
        description="DS certificate to CSCA: ok | unknown_csca | failed | expired | not_checked."
    )


class Verification(_Body):
    access_method: Literal["PACE", "BAC"] = Field(description="How secure messaging was opened.")
    access_key_source: Literal["qr", "id12", "can", "mrz"] = Field(
        description="Where the access key came from: the card's QR, or typed ID / CAN / MRZ."
    )
    genuine: bool = Field(description="The device's genuineness policy passed (kiosk.require_passive_auth).")
    not_genuine_reasons: list[str] = Field(description="Which checks failed (empty when genuine).")
    passive_authentication: PassiveAuthVerdicts = Field(description="Passive authentication, per check.")
    active_authentication: str = Field(description="Active authentication: ok | failed | not_present | ….")
    chip_authentication: str = Field(description="Chip authentication: ok | not_supported | not_present.")
    trust_store: bool = Field(description="Whether a CSCA trust store was configured.")
    person_check: dict[str, object] = Field(
        description="Person check: {status: passed|failed|timeout|camera_missing|not_run, method, details}."
    )
    identity_partial: bool = Field(description="Expected chip fields were missing or unreadable.")


class _Images(_Body):
    portrait_attachment_id: str | None = Field(
        default=None, description="Chip portrait, only when the workflow's send_portrait is set."
    )
    live_image_attachment_id: str | None = Field(
        default=None, description="Kiosk camera face image, only when the workflow's send_live_image is set."
    )


class StayNotificationBody(_Images):
    """A guest checked in (thông báo lưu trú)."""

    stay_id: str = Field(description="Stay reference; checkout and extension events refer to it.")
    establishment: Establishment = Field(description="Where the guest stays.")
    guest: PersonFields = Field(description="The guest (allow-listed fields only).")
    room: str = Field(description="Room number.")
    arrival: datetime = Field(description="Arrival (check-in) time, local offset.")
    expected_departure: date = Field(description="Expected departure date.")
    reason_code: str = Field(description="Reason of stay, from the configured code list.")
    reason_text: str | None = Field(default=None, description="Free text when the code means 'other'.")
    due_by: datetime = Field(
        description="Deadline of the notification: 23:00 on the arrival day, 08:00 next morning for a "
        "guest arriving after 23:00; foreign guests: arrival + kiosk.stay.foreign_notice_h."
    )
    verification: Verification = Field(description="How the card was checked.")


class StayCheckoutBody(_Body):
    """The guest left (early or as planned)."""

    stay_id: str = Field(description="The stay_notification this refers to.")
    establishment: Establishment = Field(description="Where the guest stayed.")
    departed_at: datetime = Field(description="Actual departure, local offset.")


class StayExtensionBody(_Body):
    """The guest stays longer (or shorter) than announced."""

    stay_id: str = Field(description="The stay_notification this refers to.")
    establishment: Establishment = Field(description="Where the guest stays.")
    expected_departure: date = Field(description="New expected departure date.")
    previous_departure: date = Field(description="Expected departure before this change.")


class IdentityVerificationBody(_Images):
    """A pawnshop checked a customer's card and presence."""

    verification_id: str = Field(description="Reference of this verification (shown on the receipt).")
    establishment: Establishment = Field(description="The shop.")
    person: PersonFields = Field(description="The customer (allow-listed fields only).")
    contract_reference: str = Field(description="Pawn contract reference typed by staff.")
    asset_description: str = Field(description="What is pledged, typed by staff.")
    verified_at: datetime = Field(description="Time of the check, local offset.")
    verification: Verification = Field(description="Every verdict of the check.")


KIOSK_BODY_MODELS: dict[str, type[BaseModel]] = {
    "stay_notification": StayNotificationBody,
    "stay_checkout": StayCheckoutBody,
    "stay_extension": StayExtensionBody,
    "identity_verification": IdentityVerificationBody,
}
