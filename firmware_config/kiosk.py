"""Kiosk settings: the card reader, the chip's genuineness policy, the kiosk camera,
the screen, the two workflows and what each may send.

Personal data (Decree 13/2023): every field that may leave the device is on an
allow-list per workflow with a minimal default, and the chip portrait and the live
face image leave only when a setting here says so."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from firmware_config.base import Section
from firmware_config.cameras import CameraConfig
from firmware_config.faceid import FaceVerifierConfig
from firmware_config.secrets import SecretRef
from firmware_config.vision import BlazeFaceConfig, FaceDetectorConfig

# Identity fields a workflow may send, by name (values from the chip's CitizenIdentity).
IDENTITY_FIELDS = (
    "full_name",
    "gender",
    "date_of_birth",
    "personal_number",
    "document_number",
    "nationality",
    "ethnicity",
    "religion",
    "place_of_origin",
    "place_of_residence",
    "issue_date",
    "expiry_date",
)
STAY_DEFAULT_FIELDS = (
    "full_name",
    "gender",
    "date_of_birth",
    "personal_number",
    "nationality",
    "place_of_residence",
)
VERIFICATION_DEFAULT_FIELDS = ("full_name", "personal_number", "date_of_birth")
# Reason-of-stay codes; the ministry's list is longer: installers add theirs ("20" = other, with text).
DEFAULT_REASONS = {"1": "Du lịch", "2": "Công tác", "3": "Thăm thân", "20": "Khác"}


class _Sendable(Section):
    fields: list[str] = Field(description="Identity fields sent in the event (allow-list).")
    send_portrait: bool = Field(
        default=False, description="Attach the chip portrait (DG2) to the event; off keeps it on the device."
    )
    send_live_image: bool = Field(
        default=False,
        description="Attach the kiosk camera's face image from the person check; off keeps it on the device.",
    )

    @field_validator("fields")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(IDENTITY_FIELDS))
        if unknown:
            raise ValueError(f"unknown identity fields {unknown}; choose from {list(IDENTITY_FIELDS)}")
        if "personal_number" not in value:
            raise ValueError("'personal_number' must be sent: it is what the record is about")
        return value


class StayWorkflowConfig(_Sendable):
    fields: list[str] = Field(
        default_factory=lambda: list(STAY_DEFAULT_FIELDS),
        description="Identity fields in a stay notification (allow-list; minimal default per the residence law).",
    )
    reasons: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_REASONS),
        min_length=1,
        description="Reason-of-stay code list offered to staff (code -> label); '20' means other, with text.",
    )
    timezone: str = Field(
        default="Asia/Ho_Chi_Minh", description="Local time zone for the 23:00 / next-morning 08:00 deadline."
    )
    foreign_notice_h: float = Field(
        default=12.0,
        gt=0,
        le=48,
        description="Foreign guests: hours after arrival the notification is due (24 in remote areas).",
    )
    stays_path: Path | None = Field(
        default=None,
        description=(
            "SQLite file of open stays (reference, room, dates; no names) for checkout and extension; "
            "default: kiosk-stays.db beside the outbox."
        ),
    )


class VerificationWorkflowConfig(_Sendable):
    fields: list[str] = Field(
        default_factory=lambda: list(VERIFICATION_DEFAULT_FIELDS),
        description="Identity fields in an identity verification (allow-list; the shop needs name, number, birth).",
    )


class EstablishmentConfig(Section):
    code: str = Field(
        default="",
        max_length=64,
        description="Establishment code issued by the police (sent in every event).",
    )
    name: str = Field(default="", max_length=200, description="Establishment name shown on the receipt.")


class ScreenConfig(Section):
    port: int = Field(
        default=8480,
        ge=0,
        le=65535,
        description=(
            "Loopback port of the kiosk screen (HTTP on 127.0.0.1; the Chromium kiosk unit opens it); "
            "0 takes any free port (tests, several daemons on one machine)."
        ),
    )

    @field_validator("port")
    @classmethod
    def _unprivileged(cls, value: int) -> int:
        if 0 < value < 1024:
            raise ValueError("use 0 (any free port) or a port from 1024 up: the daemon does not run as root")
        return value


class TimeoutsConfig(Section):
    access_key_s: float = Field(
        default=90.0, gt=0, le=3600, description="Time to find the access key (QR scan or typed) per attempt."
    )
    person_check_s: float = Field(
        default=20.0, gt=0, le=600, description="Time the person check may take before it reports a timeout."
    )
    staff_s: float = Field(default=300.0, gt=0, le=3600, description="Time for staff to fill in the details.")
    consent_s: float = Field(default=120.0, gt=0, le=3600, description="Time for the citizen to answer.")
    card_back_s: float = Field(
        default=30.0, gt=0, le=600, description="Time to put the card back after it was pulled mid-read."
    )
    receipt_s: float = Field(
        default=60.0, gt=0, le=3600, description="Receipt shown at most this long when the card stays on."
    )
    message_s: float = Field(
        default=3.0, ge=0, le=60, description="How long 'card removed' and failure messages stay before idle."
    )
    staff_unlock_s: float = Field(
        default=300.0, gt=0, le=3600, description="Staff unlock lapses after this long without an action."
    )


class KioskConfig(Section):
    reader: str | None = Field(
        default=None, description="PC/SC reader name (or a unique substring); first reader when omitted."
    )
    csca_dir: Path | None = Field(
        default=None,
        description="Folder of trusted CSCA certificates (DER or PEM) for passive authentication.",
    )
    accept_without_csca: bool = Field(
        default=False,
        description=(
            "Call a chip genuine without checking its Document Signer against a CSCA (no csca_dir). "
            "Only for commissioning: without a trust store any self-signed forgery passes."
        ),
    )
    reader_wait_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description=(
            "After this long without a reader (unplugged, or pcscd down) the kiosk logs an error; the "
            "screen shows 'no reader' at once and the kiosk takes the reader back whenever it is plugged in."
        ),
    )
    card_wait_s: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description=(
            "`edge card read`: how long to wait for a card before giving up (the kiosk itself waits for "
            "citizens indefinitely)."
        ),
    )
    read_timeout_s: float = Field(
        default=20.0,
        gt=0,
        le=300,
        description=(
            "Upper bound for one whole chip read (authentication and all files); checked between APDUs, "
            "so a read ends at most one APDU later."
        ),
    )
    extended_length: Literal["auto", "on", "off"] = Field(
        default="auto",
        description=(
            "Extended-length READ BINARY: 'auto' uses it when the card's ATR announces it, 'on' forces it, "
            "'off' keeps 223-byte short reads (for readers that break on long frames)."
        ),
    )
    read_photo: bool = Field(
        default=True,
        description="Read DG2 (face image, ~15 KB). Off saves about 70 APDUs on short-length readers.",
    )
    require_passive_auth: bool = Field(
        default=True,
        description=(
            "Treat a chip whose passive authentication did not pass (hash, signature or chain) as not genuine."
        ),
    )
    staff_pin: SecretRef | None = Field(
        default=None,
        description=(
            "Secret holding the staff PIN's hash (`edge kiosk pin-hash` prints one: "
            "pbkdf2-sha256$ITERATIONS$SALT$HASH); without it the staff form cannot be unlocked."
        ),
    )
    camera: CameraConfig | None = Field(
        default=None,
        description="The kiosk camera (QR on the card front, person check); omitted: staff type the key.",
    )
    person_check: Literal["required", "optional", "off"] = Field(
        default="required",
        description=(
            "'required': no event without a person check that passed; 'optional': a missing camera or a "
            "failed check is recorded in the event; 'off': not run."
        ),
    )
    person_check_method: Literal["face_presence", "face_verification"] = Field(
        default="face_presence",
        description=(
            "'face_verification': the person at the kiosk against the chip portrait, with a liveness challenge "
            "(`face_verification`, docs/face.md); 'face_presence': only one face in front of the camera."
        ),
    )
    face_detector: FaceDetectorConfig = Field(
        default_factory=lambda: BlazeFaceConfig(type="blazeface"),
        description="Face detector of the 'face_presence' person check.",
    )
    face_verification: FaceVerifierConfig = Field(
        default_factory=FaceVerifierConfig,
        description="Models, threshold, quality gate and liveness of the 'face_verification' person check.",
    )
    person_check_frames: int = Field(
        default=3,
        ge=1,
        le=100,
        description="Consecutive frames with exactly one face, large enough, for the presence check to pass.",
    )
    qr_scan_s: float = Field(
        default=8.0,
        ge=0,
        le=120,
        description="How long the camera looks for the card's QR before staff type.",
    )
    access_key_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Wrong access keys accepted per card before the card must be removed.",
    )
    person_check_attempts: int = Field(
        default=2, ge=1, le=10, description="Person checks tried per check-in before it counts as failed."
    )
    establishment: EstablishmentConfig = Field(
        default_factory=EstablishmentConfig, description="The premises the events are about."
    )
    screen: ScreenConfig = Field(
        default_factory=ScreenConfig, description="The kiosk screen (loopback only)."
    )
    timeouts: TimeoutsConfig = Field(default_factory=TimeoutsConfig, description="Per-step time limits.")
    stay: StayWorkflowConfig = Field(
        default_factory=StayWorkflowConfig,
        description="Guesthouse stay notification (guesthouse_kiosk role).",
    )
    verification: VerificationWorkflowConfig = Field(
        default_factory=VerificationWorkflowConfig,
        description="Pawnshop identity verification (pawnshop_kiosk role).",
    )

    @model_validator(mode="after")
    def _trust(self) -> KioskConfig:
        if self.csca_dir is not None and self.accept_without_csca:
            raise ValueError("give csca_dir or accept_without_csca, not both")
        return self
