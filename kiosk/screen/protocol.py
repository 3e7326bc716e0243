"""The contract between the kiosk screen and whatever runs the check-in.

The screen is a local web page that knows nothing of the daemon: it renders the
snapshots a controller pushes and sends the citizen's and the staff's actions
back. The daemon's kiosk service implements :class:`KioskController`; the screen
server (``kiosk.screen.server``) serves the page, streams snapshots as
server-sent events and forwards actions. Keeping the contract here, in plain
data, lets the page be tested in a browser against any controller and lets the
service be tested without a browser.

Snapshots never carry more personal data than the screen must show at that
moment (the consent preview and the receipt), and never the chip portrait or a
camera frame.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol


class ScreenState(str, enum.Enum):
    """Where the check-in is. The page has one view (and one message) per state."""

    # the normal path
    IDLE = "idle"  # waiting for a card (reader present)
    CARD_PLACED = "card_placed"  # a card is on the reader
    ACCESS_KEY = "access_key"  # finding the access key: QR on the card front, or typed by staff
    READING = "reading"  # chip read in progress; `progress` is set
    PERSON_CHECK = "person_check"  # the person present against the card; `guidance` is set
    STAFF_DETAILS = "staff_details"  # staff form (room, dates, reason / contract, asset) behind the PIN
    CONSENT = "consent"  # `preview` shows what will be sent; the citizen accepts or declines
    COMMITTED = "committed"  # the event is durably in the outbox
    RECEIPT = "receipt"  # `receipt` is shown until the card is taken away
    CARD_REMOVED = "card_removed"  # shown briefly, then idle
    # failures: each has its own view and message; the service keeps running
    NO_READER = "no_reader"  # no reader plugged in (or pcscd not running); waits for hot-plug
    READER_LOST = "reader_lost"  # reader unplugged during a check-in
    CARD_REMOVED_EARLY = "card_removed_early"  # card taken away mid-read: place it again to retry
    WRONG_KEY = "wrong_key"  # the chip refused the access key (CAN / ID / MRZ)
    NOT_GENUINE = "not_genuine"  # passive / active / chip authentication failed
    TIMEOUT = "timeout"  # the citizen or staff did not act in time, or the read took too long
    CAMERA_MISSING = "camera_missing"  # the kiosk camera is needed but absent
    READ_ERROR = "read_error"  # the chip answered but could not be read
    DECLINED = "declined"  # consent declined: nothing personal is kept or sent
    STORAGE_ERROR = "storage_error"  # the outbox refused the event (disk full, …)


FAILURE_STATES = frozenset(
    {
        ScreenState.NO_READER,
        ScreenState.READER_LOST,
        ScreenState.CARD_REMOVED_EARLY,
        ScreenState.WRONG_KEY,
        ScreenState.NOT_GENUINE,
        ScreenState.TIMEOUT,
        ScreenState.CAMERA_MISSING,
        ScreenState.READ_ERROR,
        ScreenState.DECLINED,
        ScreenState.STORAGE_ERROR,
    }
)

#: Message keys the daemon's controller sends besides the state names themselves
#: (`ScreenSnapshot.message` defaults to the state's value). A key ending in "." is a
#: family: the rest is a code, e.g. "not_genuine." + a reason of the genuineness policy
#: ("hashes_mismatch", "chain_unknown_csca", "active_authentication_failed", …); the page
#: may show the family's text for any code. Preview and receipt labels are "field.<name>"
#: and "receipt.<name>"; values are sent as they leave the device, except "sent" /
#: "not_sent" for the image lines.
MESSAGE_KEYS = frozenset(
    {
        # snapshot.message
        "access_key.show_qr",  # ACCESS_KEY: show the card front to the camera, or type
        "wrong_key.try_again",
        "wrong_key.no_attempts_left",
        "card_removed_early.gave_up",  # the card was not put back in time
        "timeout.access_key",
        "timeout.read",
        "timeout.staff_details",
        "timeout.consent",
        "not_genuine.",
        "read_error.try_again",
        "read_error.internal",
        "person_check.failed",
        "person_check.try_again",
        "cancelled",  # IDLE after a staff cancel
        "idle.take_card",  # IDLE while a finished card is still on the reader
        # ActionResult.error and field_errors
        "action.malformed",
        "action.unknown",
        "action.failed",
        "action.not_allowed",
        "action.not_this_workflow",
        "staff.locked",
        "staff.pin_wrong",
        "staff.pin_blocked",
        "staff.no_pin_configured",
        "access_key.id12_invalid",
        "access_key.can_invalid",
        "access_key.mrz_invalid",
        "access_key.kind_unknown",
        "access_key.qr_unreadable",
        "form.invalid",
        "form.required",
        "form.not_text",
        "form.too_long",
        "form.date_invalid",
        "form.departure_in_past",
        "form.departure_too_far",
        "form.choice_invalid",
        "form.reason_text_required",
        "stay.not_found",
        "storage_error",
        # ScreenSnapshot.guidance (PERSON_CHECK); a person check may add its own "face." keys,
        # shown with the family's text until translated
        "face.",
        "face.look_at_camera",  # no face
        "face.one_person",  # several faces
        "face.move_closer",  # face too small
        "face.look_straight",  # turned away
        "face.blurred",  # too blurred
        "face.more_light",  # too dark
        "face.hold_still",  # progressing
        "face.ok",  # the frame is good
        "face.done",
        # ScreenSnapshot.challenge (PERSON_CHECK with face verification): the liveness challenge
        "face.blink",
        "face.turn_left",  # the person's own left
        "face.turn_right",
    }
)

Workflow = Literal["stay_notification", "identity_verification"]
AccessKind = Literal["qr", "id12", "can", "mrz"]


@dataclass(frozen=True)
class FormField:
    """One input of the staff form, described by the controller so the page needs no rules of its own."""

    name: str  # key in the `staff_details` action's values
    kind: Literal["text", "date", "datetime", "choice", "number"]
    required: bool = True
    choices: tuple[tuple[str, str], ...] = ()  # (code, label key) for kind == "choice"
    value: str = ""  # current value (pre-filled or as last submitted)
    error: str | None = None  # message key of the last validation error
    # Display only: (code, text) as configured on the device, for a choice whose label key
    # the page cannot translate (an installer's own reason-of-stay code). Never sent on.
    choice_texts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PreviewItem:
    """One line of what will be sent: a label key and the value as it will leave the device."""

    label: str
    value: str
    # Display only: what a coded value means in the device's configured words (a
    # reason-of-stay code's label), shown beside the value when the page has no
    # translation of its own. Not part of what is sent.
    meaning: str = ""


@dataclass(frozen=True)
class ScreenSnapshot:
    """Everything the page shows at one moment. `seq` grows by one with every change."""

    seq: int
    state: ScreenState
    workflow: Workflow
    message: str  # message key, e.g. "wrong_key.try_again"; the page translates (vi first, en)
    progress: float | None = None  # 0..1 while READING
    guidance: str | None = None  # PERSON_CHECK guidance key, e.g. "face.move_closer"
    challenge: str | None = None  # PERSON_CHECK liveness challenge key, e.g. "face.blink"
    attempts_left: int | None = None  # remaining tries (access key, person check)
    access_kinds: tuple[AccessKind, ...] = ()  # what staff may type in ACCESS_KEY
    staff_unlocked: bool = False
    form: tuple[FormField, ...] = ()  # STAFF_DETAILS
    preview: tuple[PreviewItem, ...] = ()  # CONSENT: exactly what will be sent
    receipt: tuple[PreviewItem, ...] = ()  # RECEIPT: reference, time, what was sent (masked)
    open_stays: tuple[PreviewItem, ...] = ()  # guesthouse staff view: (stay reference, room / dates)
    deadline_s: float | None = None  # seconds left before TIMEOUT, where a step has one

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["state"] = self.state.value
        out["failure"] = self.state in FAILURE_STATES
        return out


@dataclass(frozen=True)
class ActionResult:
    """The controller's answer to one action: accepted, or why not (message keys)."""

    ok: bool
    error: str | None = None
    field_errors: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "error": self.error, "field_errors": dict(self.field_errors)}


class KioskController(Protocol):
    """What the screen server needs from the check-in logic.

    Actions are JSON objects with a ``type``:

    - ``{"type": "staff_unlock", "pin": "…"}`` / ``{"type": "staff_lock"}``
    - ``{"type": "access_key", "kind": "id12" | "can" | "mrz", "value": "…"}``
    - ``{"type": "staff_details", "values": {field name: text}}``
    - ``{"type": "consent", "accept": true | false}``
    - ``{"type": "cancel"}`` (staff), ``{"type": "retry"}`` (after a failure)
    - guesthouse staff: ``{"type": "stay_checkout", "stay": ref}``,
      ``{"type": "stay_extend", "stay": ref, "expected_departure": "YYYY-MM-DD"}``

    Anything else, or a well-formed action that does not fit the current state,
    gets ``ActionResult(ok=False, error=…)`` and changes nothing.
    """

    def snapshot(self) -> ScreenSnapshot: ...

    def wait_for_change(self, after_seq: int, timeout_s: float) -> ScreenSnapshot:
        """Block until a snapshot with ``seq > after_seq`` exists (or the timeout); return the latest."""
        ...

    def act(self, action: Mapping[str, Any]) -> ActionResult: ...
