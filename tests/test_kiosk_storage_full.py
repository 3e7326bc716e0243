"""The outbox refuses the check-in at the commit step: a real 1 MB filesystem full
of check-ins the broker has not acknowledged yet (the quota path ends in the same
OutboxFullError). The kiosk shows its storage error, stores and publishes nothing of
that check-in (no event, no open stay), lets staff try again, goes back to idle when
the card is taken, keeps working, and commits once the publisher has delivered
enough to make room again. Real PC/SC stack, real SQLite outbox on a real tmpfs."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from devkit.emulator.stack import presented
from edge.events import Attachment, EventDraft, Priority
from edge.outbox import Outbox, OutboxFullError
from firmware_config.storage import StorageConfig
from kiosk.screen.protocol import ScreenState as S
from tests.broker import wait_until
from tests.kiosk_helpers import act_ok, fill_stay, kiosk_config, start_service, wait_state

pytestmark = [pytest.mark.pcsc, pytest.mark.timeout(180)]


def fill_with_undelivered_checkins(box: Outbox, rng: random.Random) -> int:
    """CRITICAL events (never evicted), with images and then without, until the outbox
    refuses even a small one: a check-in event cannot fit either."""
    count = 0
    for images in (True, False):
        with pytest.raises(OutboxFullError):
            for _ in range(20000):
                attachments = (
                    (Attachment("image/jpeg", rng.randbytes(rng.randint(2000, 8000))),) if images else ()
                )
                box.append(
                    EventDraft("checkin", {"pad": "x" * 100}, Priority.CRITICAL, attachments=attachments)
                )
                count += 1
    return count


def stored_types(db: Path) -> list[str]:
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return [
            r[0] for r in c.execute("SELECT topic_suffix FROM messages WHERE kind = 'event' ORDER BY seq")
        ]


def up_to_consent(service, card_kit) -> None:
    wait_state(service, S.ACCESS_KEY)
    act_ok(service, {"type": "access_key", "kind": "can", "value": card_kit.person.can})
    wait_state(service, S.STAFF_DETAILS)
    fill_stay(service, room="12")
    wait_state(service, S.CONSENT)
    act_ok(service, {"type": "consent", "accept": True})


def test_outbox_full_at_commit_then_space_back(pcsc_stack, card_kit, tmp_path, tmpfs) -> None:
    disk = tmpfs("1m")
    db = disk / "outbox.db"
    box = Outbox(StorageConfig(path=db, quota="1GB", disk_reserve="128KB"), "inn-0007")
    filler = fill_with_undelivered_checkins(box, random.Random(7))
    service, _ = start_service(kiosk_config(card_kit.trust_dir), "guesthouse_kiosk", tmp_path, outbox=box)
    try:
        wait_state(service, S.IDLE)
        # 1. full: a clear error, nothing stored; staff try again, still full; the card is taken
        with presented(card_kit.profile()):
            up_to_consent(service, card_kit)
            snap = wait_state(service, S.STORAGE_ERROR)
            assert snap.message == "storage_error" and snap.to_json()["failure"] is True
            assert snap.preview == () and snap.receipt == ()  # no personal data left on the screen
            act_ok(service, {"type": "retry"})
            assert wait_until(lambda: service.stats().get("storage_errors") == 2, 10)  # refused again
        wait_state(service, S.IDLE)
        assert stored_types(db) == ["events/checkin"] * filler  # nothing of the refused check-in
        assert service.snapshot().open_stays == ()
        stats = service.stats()
        assert stats["storage_errors"] == 2 and stats.get("committed", 0) == 0

        # 2. still full: a second check-in is refused the same way; the service keeps working
        with presented(card_kit.profile()):
            up_to_consent(service, card_kit)
            wait_state(service, S.STORAGE_ERROR)
            # 3. the publisher delivers the oldest half meanwhile: "try again" stores it
            box.ack([m.row_id for m in box.pending(filler)][: filler // 2])
            act_ok(service, {"type": "retry"})
            receipt = wait_state(service, S.RECEIPT)
        wait_state(service, S.IDLE)
        assert receipt.receipt
        assert stored_types(db).count("events/stay_notification") == 1  # stored once, whole
        assert len(service.snapshot().open_stays) == 1

        # 4. the next check-in commits straight away
        with presented(card_kit.profile()):
            up_to_consent(service, card_kit)
            wait_state(service, S.RECEIPT)
        wait_state(service, S.IDLE)
        assert stored_types(db).count("events/stay_notification") == 2
        assert service.stats()["committed"] == 2 and service.stats()["storage_errors"] == 3
    finally:
        service.stop()
        box.close()
