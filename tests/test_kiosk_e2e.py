"""Kiosk end to end: card on the emulated reader (pyscard -> pcscd -> vpcd ->
emulator), the daemon's kiosk driven through the screen server's action API over
HTTP (as the page drives it), the event
through the encrypted outbox and the publisher (mutual TLS, per-device ACL) to the
central subscriber, which is checked field by field."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from devkit.emulator.stack import presented
from edge.contract import validate_payload
from kiosk.screen.protocol import ScreenState as S
from tests.broker import CENTRAL, wait_until
from tests.kiosk_daemon import kiosk_daemon_config, kiosk_over_http, running_daemon
from tests.kiosk_helpers import PIN, act_ok, fill_stay, wait_state

pytestmark = [pytest.mark.pcsc, pytest.mark.broker, pytest.mark.timeout(240)]
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _events(central, kind: str) -> list[dict]:
    return [e for e in central.events() if e["type"] == kind]


def _no_personal_data_in_logs(caplog, person) -> None:
    text = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for secret in (person.personal_number, person.full_name, person.can, PIN):
        assert secret not in text


def test_guesthouse_check_in_with_qr_and_person_check(
    pcsc_stack, card_kit, tmp_path, tls_broker, test_pki, subscriber_factory, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    person = card_kit.person
    central = subscriber_factory(tls_broker, creds=test_pki.issue(CENTRAL))
    config = kiosk_daemon_config(
        tmp_path, tls_broker, test_pki, "inn-0001", "guesthouse_kiosk", card_kit, camera=True
    )
    departure = (date.today() + timedelta(days=3)).isoformat()
    with running_daemon(config) as daemon:
        kiosk = kiosk_over_http(daemon)
        wait_state(kiosk, S.IDLE)
        with presented(card_kit.profile()):
            wait_state(kiosk, S.STAFF_DETAILS, 60)  # QR read by the camera, chip read, face present
            fill_stay(kiosk, room="203", departure=departure, reason="2")
            snap = wait_state(kiosk, S.CONSENT)
            assert {p.label: p.value for p in snap.preview}[
                "field.place_of_residence"
            ] == person.place_of_residence
            act_ok(kiosk, {"type": "consent", "accept": True})
            receipt = wait_state(kiosk, S.RECEIPT)
        wait_state(kiosk, S.IDLE)
        assert wait_until(lambda: _events(central, "stay_notification"), 30), (
            "notification at the central side"
        )
        stay = _events(central, "stay_notification")[0]
        # the stay can be checked out / extended by staff; each is its own event
        open_stays = kiosk.snapshot().open_stays
        assert [s.label for s in open_stays] == [stay["body"]["stay_id"]]
        act_ok(kiosk, {"type": "staff_unlock", "pin": PIN})
        later = (date.today() + timedelta(days=5)).isoformat()
        act_ok(kiosk, {"type": "stay_extend", "stay": stay["body"]["stay_id"], "expected_departure": later})
        act_ok(kiosk, {"type": "stay_checkout", "stay": stay["body"]["stay_id"]})
        assert wait_until(lambda: _events(central, "stay_checkout"), 30)
        assert kiosk.snapshot().open_stays == ()
        stats = kiosk.stats()
    validate_payload(stay)
    body = stay["body"]
    assert stay["priority"] == "critical" and stay["device_id"] == "inn-0001"
    assert body["guest"] == {
        "personal_number": person.personal_number,
        "document_type": "cccd",
        "full_name": "Nguyễn Thị Hồng Nhung",
        "gender": "female",
        "date_of_birth": "1996-02-26",
        "nationality": person.nationality,
        "place_of_residence": person.place_of_residence,
    }
    assert body["room"] == "203" and body["expected_departure"] == departure and body["reason_code"] == "2"
    assert body["establishment"] == {"code": "HCM-Q1-0042", "name": "Nhà nghỉ Hoa Sen"}
    arrival = datetime.fromisoformat(body["arrival"])
    cutoff = datetime.combine(arrival.date(), datetime.min.time(), TZ).replace(hour=23)
    expected_due = cutoff if arrival < cutoff else cutoff + timedelta(hours=9)
    assert datetime.fromisoformat(body["due_by"]) == expected_due
    v = body["verification"]
    assert v["access_method"] == "PACE" and v["access_key_source"] == "qr"
    assert v["genuine"] is True and v["not_genuine_reasons"] == [] and v["trust_store"] is True
    assert v["passive_authentication"]["passed"] is True and v["passive_authentication"]["chain"] == "ok"
    assert v["person_check"]["status"] == "passed" and v["person_check"]["method"] == "face_presence"
    assert body["portrait_attachment_id"] is None and body["live_image_attachment_id"] is None
    assert stay["attachments"] == []  # images stay on the device unless configured
    shown = {p.label: p.value for p in receipt.receipt}
    assert shown["receipt.reference"] == body["stay_id"][-12:]
    assert shown["receipt.due_by"] == expected_due.strftime("%d/%m/%Y %H:%M")
    assert shown["field.personal_number"] == "••••••••2345"  # masked on the receipt
    ext, out = _events(central, "stay_extension")[0], _events(central, "stay_checkout")[0]
    assert ext["body"]["stay_id"] == out["body"]["stay_id"] == body["stay_id"]
    assert ext["body"]["expected_departure"] == later and ext["body"]["previous_departure"] == departure
    assert stats["committed"] == 1 and stats["stay_notifications_overdue"] == 0
    _no_personal_data_in_logs(caplog, person)


def test_pawnshop_verification_wrong_key_and_tampered_chip(
    pcsc_stack, card_kit, tmp_path, tls_broker, test_pki, subscriber_factory
) -> None:
    person = card_kit.person
    central = subscriber_factory(tls_broker, creds=test_pki.issue(CENTRAL))
    config = kiosk_daemon_config(
        tmp_path,
        tls_broker,
        test_pki,
        "pawn-0001",
        "pawnshop_kiosk",
        card_kit,
        kiosk={
            "verification": {
                "fields": ["full_name", "personal_number", "date_of_birth"],
                "send_portrait": True,
            }
        },
    )
    with running_daemon(config) as daemon:
        kiosk = kiosk_over_http(daemon)
        wait_state(kiosk, S.IDLE)
        with presented(card_kit.profile(tamper=[13])):  # a forged DG13: not genuine, nothing sent
            wait_state(kiosk, S.ACCESS_KEY)
            act_ok(kiosk, {"type": "access_key", "kind": "can", "value": person.can})
            assert wait_state(kiosk, S.NOT_GENUINE).message == "not_genuine.hashes_mismatch"
        wait_state(kiosk, S.IDLE)
        with presented(card_kit.profile()):
            wait_state(kiosk, S.ACCESS_KEY)
            act_ok(kiosk, {"type": "access_key", "kind": "can", "value": "111111"})
            assert wait_state(kiosk, S.WRONG_KEY).attempts_left == 2
            act_ok(kiosk, {"type": "access_key", "kind": "id12", "value": person.personal_number})
            wait_state(kiosk, S.STAFF_DETAILS)
            act_ok(kiosk, {"type": "staff_unlock", "pin": PIN})
            act_ok(
                kiosk,
                {
                    "type": "staff_details",
                    "values": {
                        "contract_reference": "HĐ-2026/0117",
                        "asset_description": "Xe máy Honda Wave",
                    },
                },
            )
            wait_state(kiosk, S.CONSENT)
            act_ok(kiosk, {"type": "consent", "accept": True})
            wait_state(kiosk, S.RECEIPT)
        assert wait_until(lambda: _events(central, "identity_verification"), 30)
        stats = kiosk.stats()
    events = _events(central, "identity_verification")
    assert len(events) == 1  # the forged card produced nothing
    event = events[0]
    validate_payload(event)
    body = event["body"]
    assert body["person"] == {
        "personal_number": person.personal_number,
        "document_type": "cccd",
        "full_name": person.full_name,
        "date_of_birth": "1996-02-26",
    }
    assert body["contract_reference"] == "HĐ-2026/0117" and body["asset_description"] == "Xe máy Honda Wave"
    v = body["verification"]
    assert v["access_key_source"] == "id12" and v["genuine"] is True
    assert v["active_authentication"] == "not_present" and v["chip_authentication"] == "not_present"
    assert v["person_check"] == {"status": "not_run", "method": "none", "details": {}}
    portrait = event["attachments"]
    assert len(portrait) == 1 and portrait[0]["content_type"] == "image/jpeg"  # configured to send it
    assert body["portrait_attachment_id"] == portrait[0]["id"]
    assert stats["not_genuine"] == 1 and stats["wrong_key"] == 1 and stats["committed"] == 1


def test_consent_declined_sends_only_an_anonymous_counter(
    pcsc_stack, card_kit, tmp_path, tls_broker, test_pki, subscriber_factory
) -> None:
    central = subscriber_factory(tls_broker, creds=test_pki.issue(CENTRAL))
    config = kiosk_daemon_config(tmp_path, tls_broker, test_pki, "inn-0002", "guesthouse_kiosk", card_kit)
    with running_daemon(config) as daemon:
        kiosk = kiosk_over_http(daemon)
        with presented(card_kit.profile()):
            wait_state(kiosk, S.ACCESS_KEY)
            act_ok(kiosk, {"type": "access_key", "kind": "can", "value": card_kit.person.can})
            wait_state(kiosk, S.STAFF_DETAILS)
            fill_stay(kiosk)
            wait_state(kiosk, S.CONSENT)
            act_ok(kiosk, {"type": "consent", "accept": False})
            wait_state(kiosk, S.DECLINED)
        wait_state(kiosk, S.IDLE)

        def declined() -> int:
            raw = central.last_retained("/inn-0002/stats")
            return json.loads(raw)["extra"].get("kiosk", {}).get("consent_declined", 0) if raw else 0

        assert wait_until(lambda: declined() == 1, 15), "the anonymous counter on the stats topic"
    assert [e["type"] for e in central.events()] == []
    everything = b"".join(m.payload for m in central.raw())
    assert card_kit.person.personal_number.encode() not in everything
    assert card_kit.person.full_name.encode() not in everything


def test_card_pulled_mid_read_and_reader_unplugged_then_check_in_completes(
    pcsc_stack, card_kit, tmp_path, tls_broker, test_pki, subscriber_factory
) -> None:
    from devkit.emulator.faults import Faults

    person = card_kit.person
    central = subscriber_factory(tls_broker, creds=test_pki.issue(CENTRAL))
    config = kiosk_daemon_config(
        tmp_path,
        tls_broker,
        test_pki,
        "pawn-0002",
        "pawnshop_kiosk",
        card_kit,
        kiosk={"extended_length": "off"},
    )
    with running_daemon(config) as daemon:
        kiosk = kiosk_over_http(daemon)
        wait_state(kiosk, S.IDLE)
        # the reader goes away mid-read (pcscd and its reader gone), then comes back
        with presented(card_kit.profile(extended_length=False), Faults(delay_s=0.05)):
            wait_state(kiosk, S.ACCESS_KEY)
            act_ok(kiosk, {"type": "access_key", "kind": "can", "value": person.can})
            wait_state(kiosk, S.READING)
            pcsc_stack.stop()
            assert wait_state(kiosk, {S.READER_LOST, S.NO_READER}).state in (S.READER_LOST, S.NO_READER)
            pcsc_stack.restart()
            wait_state(kiosk, {S.IDLE, S.CARD_PLACED, S.ACCESS_KEY}, 30)
        wait_state(kiosk, S.IDLE, 30)
        # the card is pulled after 12 APDUs and put back: the read starts again cleanly
        with presented(card_kit.profile(extended_length=False), Faults(remove_after=12)) as emulator:
            wait_state(kiosk, S.ACCESS_KEY)
            act_ok(kiosk, {"type": "access_key", "kind": "can", "value": person.can})
            wait_state(kiosk, S.CARD_REMOVED_EARLY)
            wait_state(kiosk, S.STAFF_DETAILS, 60)
            assert emulator.link.removals == 1
            act_ok(kiosk, {"type": "staff_unlock", "pin": PIN})
            act_ok(
                kiosk,
                {
                    "type": "staff_details",
                    "values": {"contract_reference": "HD-1", "asset_description": "Nhẫn vàng"},
                },
            )
            wait_state(kiosk, S.CONSENT)
            act_ok(kiosk, {"type": "consent", "accept": True})
            wait_state(kiosk, S.RECEIPT)
        assert wait_until(lambda: _events(central, "identity_verification"), 30)
        stats = kiosk.stats()
    events = _events(central, "identity_verification")
    assert len(events) == 1
    body = events[0]["body"]
    assert body["person"]["personal_number"] == person.personal_number
    assert body["verification"]["genuine"] is True and body["verification"]["access_key_source"] == "can"
    assert stats["card_removed_early"] == 1 and stats["reader_lost"] == 1 and stats["committed"] == 1


def test_daemon_sigkilled_mid_check_in_sends_nothing_and_starts_clean(
    pcsc_stack, card_kit, tmp_path, tls_broker, test_pki, subscriber_factory
) -> None:
    import signal
    import subprocess
    import sys

    from edge.outbox import Outbox
    from firmware_config import load_config

    central = subscriber_factory(tls_broker, creds=test_pki.issue(CENTRAL))
    config = kiosk_daemon_config(
        tmp_path, tls_broker, test_pki, "inn-0003", "guesthouse_kiosk", card_kit, camera=True
    )

    def stats() -> dict:
        raw = central.last_retained("/inn-0003/stats")
        return json.loads(raw) if raw else {"connection": {}, "extra": {}}

    def kiosk_state(since: float | None = None) -> str | None:
        now = stats()
        if since is not None and now["connection"].get("connected_since") in (None, since):
            return None  # still the first daemon's last word
        return now["extra"].get("kiosk", {}).get("state")

    def edge_run() -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    with presented(card_kit.profile()):
        first = edge_run()
        try:
            # QR from the camera, chip read, face present: the check-in waits for staff
            assert wait_until(lambda: kiosk_state() == "staff_details", 90), kiosk_state()
            first_connection = stats()["connection"]["connected_since"]
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        second = edge_run()
        try:
            # a fresh check-in of the card still on the reader, from the start
            assert wait_until(lambda: kiosk_state(first_connection) == "staff_details", 90), stats()
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(30) == 0
    assert [e["type"] for e in central.events()] == []
    cfg = load_config(config)
    with Outbox(cfg.storage, "inn-0003") as box:
        assert box.pending(10) == [] and box.stats().appended_total == 0
