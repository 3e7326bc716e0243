"""Kiosk rules without a card: the notification deadline, the staff PIN, the staff
forms, the genuineness policy and the screen board."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from edge.events import EventDraft
from edge.kiosk.board import ScreenBoard
from edge.kiosk.deadline import due_by
from edge.kiosk.forms import stay_form, validate_pawn, validate_stay
from edge.kiosk.pin import LOCKOUT_S, MAX_WRONG, PinChecker, PinFormatError, hash_pin
from edge.kiosk.records import preview
from kiosk.cccd.pa_result import (
    ChainVerdict,
    HashVerdict,
    PassiveAuthResult,
    SignatureVerdict,
    StructureVerdict,
)
from kiosk.emrtd.active_auth import AaVerdict, ActiveAuthResult
from kiosk.emrtd.genuineness import GenuinenessPolicy, judge
from kiosk.screen.protocol import ScreenState

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("arrival", "due"),
    [
        (datetime(2026, 12, 7, 14, 5, tzinfo=VN), datetime(2026, 12, 7, 23, 0, tzinfo=VN)),
        (datetime(2026, 12, 7, 0, 30, tzinfo=VN), datetime(2026, 12, 7, 23, 0, tzinfo=VN)),
        (datetime(2026, 12, 7, 22, 59, 59, tzinfo=VN), datetime(2026, 12, 7, 23, 0, tzinfo=VN)),
        (datetime(2026, 12, 7, 23, 0, tzinfo=VN), datetime(2026, 12, 8, 8, 0, tzinfo=VN)),
        (datetime(2026, 12, 31, 23, 40, tzinfo=VN), datetime(2027, 1, 1, 8, 0, tzinfo=VN)),
    ],
)
def test_stay_notification_deadline(arrival, due) -> None:
    assert due_by(arrival) == due


def test_foreign_guest_deadline_and_naive_time_refused() -> None:
    arrival = datetime(2026, 12, 7, 23, 30, tzinfo=VN)
    assert due_by(arrival, foreign=True) == arrival + timedelta(hours=12)
    assert due_by(arrival, foreign=True, foreign_notice_h=24) == arrival + timedelta(hours=24)
    with pytest.raises(ValueError, match="timezone-aware"):
        due_by(datetime(2026, 12, 7, 10, 0))


def test_pin_check_and_lockout() -> None:
    now = [0.0]
    checker = PinChecker(hash_pin("2468", iterations=1000), clock=lambda: now[0])
    assert checker.check("2468") is None
    for _ in range(MAX_WRONG - 1):
        assert checker.check("0000") == "staff.pin_wrong"
    assert checker.check("0000") == "staff.pin_blocked"
    assert checker.check("2468") == "staff.pin_blocked"  # even the right PIN, until the pause ends
    now[0] += LOCKOUT_S + 1
    assert checker.check("2468") is None
    assert checker.check(None) == "staff.pin_wrong"
    assert PinChecker(None).check("2468") == "staff.no_pin_configured"
    with pytest.raises(PinFormatError):
        PinChecker("2468")  # a plain PIN in the secret is refused, not compared
    assert "2468" not in hash_pin("2468")


def test_stay_form_validation() -> None:
    reasons = {"1": "Du lịch", "20": "Khác"}
    today = date(2026, 12, 7)
    details, _, errors = validate_stay(
        {"room": " 203 ", "expected_departure": "2026-12-09", "reason": "1"}, reasons, today
    )
    assert errors == {} and details is not None and details.room == "203"
    _, _, errors = validate_stay(
        {"room": "", "expected_departure": "2026-12-01", "reason": "20"}, reasons, today
    )
    assert errors == {
        "room": "form.required",
        "expected_departure": "form.departure_in_past",
        "reason_text": "form.reason_text_required",
    }
    _, _, errors = validate_stay(
        {"room": "1" * 40, "expected_departure": "9/12", "reason": "7"}, reasons, today
    )
    assert errors == {
        "room": "form.too_long",
        "expected_departure": "form.date_invalid",
        "reason": "form.choice_invalid",
    }
    assert validate_stay("not a dict", reasons, today)[2]["room"] == "form.required"
    assert validate_pawn({"contract_reference": "HĐ-1", "asset_description": 5})[2] == {
        "asset_description": "form.not_text"
    }


def test_an_installers_own_reason_code_reaches_the_screen_with_its_configured_label() -> None:
    reasons = {"1": "Du lịch", "20": "Khác", "31": "Lao động thời vụ"}  # "31": added by the installer
    reason = {f.name: f for f in stay_form(reasons)}["reason"]
    assert reason.choices == (("1", "reason.1"), ("20", "reason.20"), ("31", "reason.31"))
    assert dict(reason.choice_texts) == reasons  # the page's fallback where it has no translation
    draft = EventDraft("stay_notification", {"guest": {"full_name": "A"}, "room": "2", "reason_code": "31"})
    shown = {item.label: item for item in preview(draft, reasons)}
    assert shown["field.reason_code"].value == "31"  # sent as the code ...
    assert shown["field.reason_code"].meaning == "Lao động thời vụ"  # ... shown with its label
    assert shown["field.room"].meaning == ""


def _pa(chain: ChainVerdict, hashes: HashVerdict = HashVerdict.OK) -> PassiveAuthResult:
    return PassiveAuthResult(StructureVerdict.OK, hashes, SignatureVerdict.OK, chain)


def test_genuineness_policy() -> None:
    ok_aa = ActiveAuthResult(AaVerdict.OK)
    strict = GenuinenessPolicy()
    assert judge(strict, _pa(ChainVerdict.OK), ok_aa, "ok").genuine
    # no trust store: never genuine unless the configuration says so
    assert judge(strict, _pa(ChainVerdict.UNKNOWN_CSCA), ok_aa, "ok").reasons == ("chain_unknown_csca",)
    lax = GenuinenessPolicy(accept_without_csca=True)
    assert judge(lax, _pa(ChainVerdict.UNKNOWN_CSCA), ok_aa, "ok").genuine
    assert not judge(lax, _pa(ChainVerdict.FAILED), ok_aa, "ok").genuine
    # a clone never passes, whatever the passive-authentication setting
    no_pa = GenuinenessPolicy(require_passive_auth=False)
    clone = judge(no_pa, _pa(ChainVerdict.OK), ActiveAuthResult(AaVerdict.FAILED), "ok")
    assert clone.reasons == ("active_authentication_failed",)
    assert judge(no_pa, _pa(ChainVerdict.FAILED, HashVerdict.MISMATCH), ok_aa, "ok").genuine
    assert judge(strict, _pa(ChainVerdict.OK, HashVerdict.MISMATCH), ok_aa, "ok").reasons == (
        "hashes_mismatch",
    )


def test_board_wakes_waiters_and_drops_personal_fields_between_steps() -> None:
    board = ScreenBoard("stay_notification")
    first = board.snapshot()
    woke: list[ScreenState] = []
    waiter = threading.Thread(target=lambda: woke.append(board.wait_for_change(first.seq, 5).state))
    waiter.start()
    board.show(ScreenState.CONSENT, preview=(), deadline_s=5)
    waiter.join(5)
    assert woke == [ScreenState.CONSENT]
    board.update(staff_unlocked=True)
    shown = board.show(ScreenState.RECEIPT)
    assert shown.staff_unlocked and shown.deadline_s is None and shown.preview == ()
    assert board.wait_for_change(shown.seq, 0.01).seq == shown.seq  # timeout: the latest


def test_overdue_notifications_are_the_unacknowledged_past_their_deadline(tmp_path) -> None:
    from edge.events import EventDraft, Priority
    from edge.kiosk.stay_events import StayDesk
    from edge.kiosk.stays import StayLedger
    from edge.outbox import Outbox
    from firmware_config.kiosk import KioskConfig
    from firmware_config.storage import StorageConfig

    now = datetime(2026, 12, 8, 9, 0, tzinfo=VN)
    with Outbox(StorageConfig(path=tmp_path / "outbox.db"), "inn-0009") as box:
        desk = StayDesk(
            KioskConfig(), StayLedger(tmp_path / "stays.db"), box.append, lambda: now, lambda: True
        )
        stored = []
        for arrival in (datetime(2026, 12, 7, 15, 0, tzinfo=VN), datetime(2026, 12, 8, 7, 0, tzinfo=VN)):
            body = {
                "stay_id": f"stay-{arrival.hour}",
                "room": "101",
                "arrival": arrival.isoformat(),
                "expected_departure": "2026-12-10",
                "due_by": due_by(arrival).isoformat(),
            }
            event = box.append(EventDraft("stay_notification", body, Priority.CRITICAL, arrival))
            desk.opened(event)
            stored.append(event)
        assert desk.overdue(box.unsent) == 1  # yesterday's, due at 23:00, still in the outbox
        assert [s.stay_id for s in desk.find("stay-15") and [desk.find("stay-15")]] == ["stay-15"]
        box.ack([m.row_id for m in box.pending(10) if m.event_id == stored[0].event_id])
        assert desk.overdue(box.unsent) == 0
        assert desk.checkout(desk.find("stay-15")) is None
        assert [p.label for p in desk.listing()] == ["stay-7"]


def test_passport_dg1_gives_a_passport_identity() -> None:
    from edge.kiosk.records import is_foreign, person_fields
    from kiosk.cccd.dg1 import parse_dg1
    from kiosk.cccd.identity import build_identity
    from kiosk.cccd.tlv import encode_tlv

    mrz = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10"
    dg1 = parse_dg1(encode_tlv(0x61, encode_tlv(0x5F1F, mrz.encode("ascii"))))
    identity = build_identity(dg1, None)
    assert identity.full_name == "ERIKSSON ANNA MARIA" and identity.document_number == "L898902C3"
    fields = person_fields(identity, ["full_name", "personal_number", "nationality", "date_of_birth"])
    assert fields.document_type == "passport" and fields.personal_number == "L898902C3"
    assert fields.nationality == "UTO" and fields.date_of_birth == date(1974, 8, 12)
    assert is_foreign(identity)


def test_every_message_key_the_service_sends_is_in_the_contract() -> None:
    """The screen translates the keys listed in kiosk/screen/protocol.py: a key the
    service sends that is not listed there would reach the citizen untranslated."""
    import re
    from pathlib import Path

    from kiosk.screen.protocol import MESSAGE_KEYS

    families = {k for k in MESSAGE_KEYS if k.endswith(".")}
    source = "\n".join(p.read_text() for p in Path("edge/kiosk").glob("*.py"))
    sent = set(re.findall(r'"((?:[a-z_]+)\.[a-z_0-9]+|cancelled|storage_error)"', source))
    shown = {k for k in sent if not k.startswith(("field.", "receipt.", "reason."))}
    unlisted = {k for k in shown if k not in MESSAGE_KEYS and not any(k.startswith(f) for f in families)}
    assert unlisted == set()
