"""The guesthouse desk: open stays, their checkout and extension events, and which
notifications are overdue.

Checkout and extension are their own events referring to the stay by its
reference (`stay_id`), so the central side never has to merge records; the local
ledger changes only after the outbox accepted the event."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from edge.contract.kiosk_bodies import StayCheckoutBody, StayExtensionBody
from edge.events import EventDraft, Priority, StoredEvent
from edge.kiosk.stays import OpenStay, StayLedger
from edge.outbox.errors import OutboxError
from firmware_config.kiosk import KioskConfig
from kiosk.screen.protocol import PreviewItem

log = logging.getLogger(__name__)


class StayDesk:
    def __init__(
        self,
        cfg: KioskConfig,
        ledger: StayLedger,
        append: Callable[[EventDraft], StoredEvent],
        now: Callable[[], datetime],
        synced: Callable[[], bool],
    ) -> None:
        self._cfg = cfg
        self._ledger = ledger
        self._append = append
        self._now = now
        self._synced = synced

    def _establishment(self) -> dict[str, str]:
        return {"code": self._cfg.establishment.code, "name": self._cfg.establishment.name}

    def find(self, ref: Any) -> OpenStay | None:
        return self._ledger.get(ref) if isinstance(ref, str) else None

    def listing(self) -> tuple[PreviewItem, ...]:
        return tuple(
            PreviewItem(
                s.stay_id, f"{s.room} · {s.arrival.date().isoformat()} → {s.expected_departure.isoformat()}"
            )
            for s in self._ledger.open_stays()
        )

    def opened(self, stored: StoredEvent) -> None:
        body = stored.draft.body
        self._ledger.open(
            OpenStay(
                stay_id=body["stay_id"],
                room=body["room"],
                arrival=datetime.fromisoformat(body["arrival"]),
                expected_departure=date.fromisoformat(body["expected_departure"]),
                event_id=stored.event_id,
                due_by=datetime.fromisoformat(body["due_by"]),
            )
        )

    def _commit(self, draft: EventDraft) -> str | None:
        try:
            self._append(draft)
        except OutboxError as exc:
            log.error("stay event not stored", extra={"event_type": draft.type, "error": type(exc).__name__})
            return "storage_error"
        return None

    def checkout(self, stay: OpenStay) -> str | None:
        now = self._now()
        body = StayCheckoutBody(stay_id=stay.stay_id, establishment=self._establishment(), departed_at=now)  # type: ignore[arg-type]
        error = self._commit(
            EventDraft("stay_checkout", body.model_dump(mode="json"), Priority.CRITICAL, now, self._synced())
        )
        if error is None:
            self._ledger.close_stay(stay.stay_id, now)
        return error

    def extend(self, stay: OpenStay, departure: date) -> str | None:
        now = self._now()
        body = StayExtensionBody(
            stay_id=stay.stay_id,
            establishment=self._establishment(),  # type: ignore[arg-type]
            expected_departure=departure,
            previous_departure=stay.expected_departure,
        )
        error = self._commit(
            EventDraft("stay_extension", body.model_dump(mode="json"), Priority.CRITICAL, now, self._synced())
        )
        if error is None:
            self._ledger.extend(stay.stay_id, departure)
        return error

    def overdue(self, unsent: Callable[[list[str]], set[str]]) -> int:
        """Notifications past their deadline that the broker has not acknowledged yet."""
        due = self._ledger.notifications_due_before(self._now())
        return len(unsent(due)) if due else 0
