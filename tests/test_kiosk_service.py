"""The kiosk service over the real PC/SC stack (pyscard -> pcscd -> vpcd -> emulator)
and a real SQLite outbox, driven through its controller API as the screen does."""

from __future__ import annotations

import pytest

from devkit.emulator.faults import Faults
from devkit.emulator.stack import presented
from kiosk.screen.protocol import ScreenState as S
from tests.kiosk_helpers import act_ok, fill_stay, kiosk_config, start_service, wait_state

pytestmark = [pytest.mark.pcsc, pytest.mark.timeout(180)]


def test_pawnshop_verification_with_typed_id(pcsc_stack, card_kit, tmp_path) -> None:
    service, box = start_service(kiosk_config(card_kit.trust_dir), "pawnshop_kiosk", tmp_path)
    try:
        wait_state(service, S.IDLE)
        with presented(card_kit.profile()):
            snap = wait_state(service, S.ACCESS_KEY)
            assert "id12" in snap.access_kinds
            act_ok(service, {"type": "access_key", "kind": "id12", "value": card_kit.person.personal_number})
            wait_state(service, S.STAFF_DETAILS)
            assert not service.act({"type": "staff_details", "values": {}}).ok  # locked
            act_ok(service, {"type": "staff_unlock", "pin": "2468"})
            bad = service.act({"type": "staff_details", "values": {"contract_reference": ""}})
            assert bad.field_errors == {
                "contract_reference": "form.required",
                "asset_description": "form.required",
            }
            act_ok(
                service,
                {
                    "type": "staff_details",
                    "values": {"contract_reference": "HD-2026-0117", "asset_description": "Xe máy Honda"},
                },
            )
            snap = wait_state(service, S.CONSENT)
            shown = {p.label: p.value for p in snap.preview}
            assert shown["field.full_name"] == card_kit.person.full_name
            assert shown["field.portrait"] == "not_sent"
            assert "field.place_of_residence" not in shown  # not on the pawnshop allow-list
            act_ok(service, {"type": "consent", "accept": True})
            snap = wait_state(service, S.RECEIPT)
        wait_state(service, S.IDLE)
        pending = box.pending(10)
        assert [m.topic_suffix for m in pending] == ["events/identity_verification"]
        stats = service.stats()
        assert stats["committed"] == 1
    finally:
        service.stop()
        box.close()


def test_consent_declined_leaves_nothing(pcsc_stack, card_kit, tmp_path) -> None:
    service, box = start_service(kiosk_config(card_kit.trust_dir), "guesthouse_kiosk", tmp_path)
    try:
        with presented(card_kit.profile()):
            wait_state(service, S.ACCESS_KEY)
            act_ok(service, {"type": "access_key", "kind": "can", "value": card_kit.person.can})
            wait_state(service, S.STAFF_DETAILS)
            fill_stay(service)
            wait_state(service, S.CONSENT)
            act_ok(service, {"type": "consent", "accept": False})
            snap = wait_state(service, S.DECLINED)
            assert snap.preview == () and snap.receipt == ()
        wait_state(service, S.IDLE)
        assert box.pending(10) == []
        assert service.stats()["consent_declined"] == 1
    finally:
        service.stop()
        box.close()


def test_wrong_key_then_card_pulled_mid_read_then_clean_retry(pcsc_stack, card_kit, tmp_path) -> None:
    cfg = kiosk_config(card_kit.trust_dir, extended_length="off")
    service, box = start_service(cfg, "pawnshop_kiosk", tmp_path)
    try:
        faults = Faults(remove_after=12)
        with presented(card_kit.profile(extended_length=False), faults) as emulator:
            wait_state(service, S.ACCESS_KEY)
            act_ok(service, {"type": "access_key", "kind": "can", "value": "000000"})
            snap = wait_state(service, S.WRONG_KEY)
            assert snap.attempts_left == 2
            act_ok(service, {"type": "access_key", "kind": "can", "value": card_kit.person.can})
            wait_state(service, S.CARD_REMOVED_EARLY)
            wait_state(service, S.STAFF_DETAILS)  # put back by the emulator: read again from the start
            assert emulator.link.removals == 1
            assert service.act({"type": "cancel"}).error == "staff.locked"
            act_ok(service, {"type": "staff_unlock", "pin": "2468"})
            act_ok(service, {"type": "cancel"})
        wait_state(service, S.IDLE)
        stats = service.stats()
        assert stats["wrong_key"] == 1 and stats["card_removed_early"] == 1
        assert box.pending(10) == []
    finally:
        service.stop()
        box.close()


def test_tampered_chip_is_not_genuine(pcsc_stack, card_kit, tmp_path) -> None:
    service, box = start_service(kiosk_config(card_kit.trust_dir), "pawnshop_kiosk", tmp_path)
    try:
        with presented(card_kit.profile(tamper=[13])):
            wait_state(service, S.ACCESS_KEY)
            act_ok(service, {"type": "access_key", "kind": "can", "value": card_kit.person.can})
            snap = wait_state(service, S.NOT_GENUINE)
            assert snap.message == "not_genuine.hashes_mismatch"
        wait_state(service, S.IDLE)
        assert box.pending(10) == []
    finally:
        service.stop()
        box.close()


def test_access_key_timeout_and_missing_camera(pcsc_stack, card_kit, tmp_path) -> None:
    cfg = kiosk_config(
        card_kit.trust_dir,
        person_check="required",
        qr_scan_s=0.5,
        camera={"id": "kiosk", "kind": "file", "url": str(tmp_path / "no-such-camera")},
        timeouts={"message_s": 0.2, "access_key_s": 1.5, "consent_s": 2},
    )
    from edge.kiosk.face_presence import FacePresenceCheck

    class NeverRuns:  # the camera gives no frames, so the check itself is never asked
        method = "face_presence"

        def check(self, *args, **kwargs):  # pragma: no cover - would fail the test
            raise AssertionError("person check ran without a camera")

    assert FacePresenceCheck.method == NeverRuns.method
    service, box = start_service(cfg, "pawnshop_kiosk", tmp_path, person_check=NeverRuns())
    try:
        with presented(card_kit.profile()):
            snap = wait_state(service, S.TIMEOUT, 20)  # nobody typed the key, no QR seen
            assert snap.message == "timeout.access_key"
        wait_state(service, S.IDLE)
        with presented(card_kit.profile()):
            wait_state(service, S.ACCESS_KEY)
            act_ok(service, {"type": "access_key", "kind": "can", "value": card_kit.person.can})
            snap = wait_state(service, S.CAMERA_MISSING, 30)
            act_ok(service, {"type": "retry"})
            wait_state(service, S.CAMERA_MISSING, 10)
        wait_state(service, S.IDLE, 20)
        assert box.pending(10) == []
        assert service.stats()["camera_missing"] == 2 and service.stats()["timeouts"] == 1
    finally:
        service.stop()
        box.close()


PASSPORT_MRZ = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"


def _passport_profile(card_kit):
    """An ICAO specimen e-passport (TD3 in DG1, no DG13), BAC only."""
    from devkit.cccd import lds_build
    from devkit.cccd.sod_builder import build_sod
    from devkit.cccd.testcard import FID_BY_DG, default_portrait
    from devkit.emulator.profile import CardProfile
    from kiosk.cccd.dg2 import build_dg2

    groups = {1: lds_build.build_dg1(PASSPORT_MRZ), 2: build_dg2(default_portrait(), 240, 320)}
    files = {FID_BY_DG[n]: body for n, body in groups.items()}
    files[0x011E] = lds_build.build_com(sorted(groups))
    files[0x011D] = build_sod(groups, card_kit.pki.ds_key, card_kit.pki.ds_cert, rsa_pss=card_kit.pki.rsa_pss)
    return CardProfile(files, "L898902C3", "740812", "120415", can="000000", pace=False)


def test_foreign_guest_passport_with_typed_mrz(pcsc_stack, card_kit, tmp_path) -> None:
    import json

    service, box = start_service(kiosk_config(card_kit.trust_dir), "guesthouse_kiosk", tmp_path)
    try:
        with presented(_passport_profile(card_kit)):
            wait_state(service, S.ACCESS_KEY)
            act_ok(service, {"type": "access_key", "kind": "mrz", "value": PASSPORT_MRZ})
            wait_state(service, S.STAFF_DETAILS)
            fill_stay(service, room="305")
            wait_state(service, S.CONSENT)
            act_ok(service, {"type": "consent", "accept": True})
            wait_state(service, S.RECEIPT)
        [message] = box.pending(10)
        body = json.loads(message.payload)["body"]
    finally:
        service.stop()
        box.close()
    assert body["guest"] == {
        "personal_number": "L898902C3",
        "document_type": "passport",
        "full_name": "ERIKSSON ANNA MARIA",
        "gender": "female",
        "date_of_birth": "1974-08-12",
        "nationality": "UTO",
    }
    assert (
        body["verification"]["access_method"] == "BAC" and body["verification"]["access_key_source"] == "mrz"
    )
    assert body["verification"]["genuine"] is True
    from datetime import datetime, timedelta

    assert datetime.fromisoformat(body["due_by"]) == datetime.fromisoformat(body["arrival"]) + timedelta(
        hours=12
    )
