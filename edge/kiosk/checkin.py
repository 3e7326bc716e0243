"""One citizen's check-in, from the card placed to the receipt.

Everything read lives in memory in this object only and is dropped when it
returns: nothing is written before the one `append` of the finished event, so a
crash, a pulled card or a declined consent leaves nothing half-done anywhere.
Each failure shows its own state; the caller waits for the card to be taken away
afterwards."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drivers.pcsc.context import PcscContext
from drivers.pcsc.errors import (
    CardRemovedError,
    NoCardError,
    NoReaderError,
    PcscUnavailableError,
    ReaderError,
)
from drivers.pcsc.errors import ReaderTimeoutError as PcscTimeout
from edge.events import EventDraft, StoredEvent
from edge.kiosk import records
from edge.kiosk.access import AccessKeyError, ResolvedKey, from_qr
from edge.kiosk.board import ScreenBoard
from edge.kiosk.camera_feed import KioskCamera
from edge.kiosk.chip import ChipReading
from edge.kiosk.forms import pawn_form, stay_form
from edge.kiosk.inbox import Inbox
from edge.kiosk.person_check import PersonCheck, PersonCheckResult, PersonCheckStatus
from edge.kiosk.qr_scan import QrReader
from edge.outbox.errors import OutboxError
from firmware_config.kiosk import KioskConfig
from kiosk.emrtd.chip_auth import ChipAuthenticationError
from kiosk.emrtd.errors import AccessDeniedError, EmrtdError
from kiosk.screen.protocol import ScreenState as S

log = logging.getLogger(__name__)
TYPED_KINDS = ("id12", "can", "mrz")


class ReaderGone(Exception):
    """The reader (or pcscd) went away: the service re-establishes its context."""


class Abandoned(Exception):
    """The check-in ended without an event (cancel, timeout, card taken, failure shown)."""


@dataclass
class Tools:
    """What a check-in needs, built once by the service."""

    cfg: KioskConfig
    workflow: str
    board: ScreenBoard
    inbox: Inbox
    chip: ChipReading
    qr: QrReader
    camera: KioskCamera | None
    person_check: PersonCheck | None
    append: Callable[[EventDraft], StoredEvent]
    now: Callable[[], datetime]
    synced: Callable[[], bool]
    counters: dict[str, int]
    on_committed: Callable[[StoredEvent], None]


class CheckIn:
    def __init__(self, tools: Tools, ctx: PcscContext, reader: str) -> None:
        self.t = tools
        self.ctx = ctx
        self.reader = reader

    # -- helpers ---------------------------------------------------------------
    def _count(self, name: str) -> None:
        self.t.counters[name] = self.t.counters.get(name, 0) + 1

    def _card_on(self) -> bool:
        try:
            return self.ctx.card_present(self.reader)
        except (NoReaderError, PcscUnavailableError) as exc:
            raise ReaderGone(str(exc)) from None

    def _reader_gone(self) -> bool:
        """After a failed transmit: is it the reader (or pcscd) that went away?"""
        try:
            self.ctx.card_present(self.reader)
        except (NoReaderError, PcscUnavailableError):
            return True
        except ReaderError:
            return False
        return False

    def _wait(
        self, kinds: tuple[str, ...], seconds: float, *, need_card: bool = False
    ) -> tuple[str, Any] | None:
        """An input of these kinds (or "cancel"), None on timeout; with `need_card`,
        a card taken away abandons the check-in."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            got = self.t.inbox.take((*kinds, "cancel"), min(left, 0.5))
            if got is not None:
                if got[0] == "cancel":
                    self.t.board.show(S.IDLE, "cancelled")
                    raise Abandoned("cancelled")
                return got
            if self.t.inbox.stopping():
                raise Abandoned("stopping")
            if need_card and not self._card_on():
                raise Abandoned("card taken away")

    def _fail(self, state: S, message: str, counter: str, **fields: Any) -> Abandoned:
        self._count(counter)
        self.t.board.show(state, message, **fields)
        return Abandoned(message)

    # -- the steps -----------------------------------------------------------------
    def run(self) -> None:
        cfg = self.t.cfg
        self.t.inbox.clear()
        self.t.board.show(S.CARD_PLACED)
        key = self.access_key(S.ACCESS_KEY, "access_key.show_qr", cfg.access_key_attempts, use_qr=True)
        result, verdict, key = self.read(key)
        person = self.person(result.photo.image if result.photo is not None else None)
        details = self.staff_details()
        draft = self.build(result, verdict, key, person, details)
        self.consent(draft)
        self.commit(draft)

    def access_key(self, state: S, message: str, attempts: int, *, use_qr: bool) -> ResolvedKey:
        cfg = self.t.cfg
        seconds = cfg.timeouts.access_key_s
        self.t.board.show(
            state, message, access_kinds=TYPED_KINDS, attempts_left=attempts, deadline_s=seconds
        )
        end = time.monotonic() + seconds
        camera = self.t.camera if use_qr and cfg.qr_scan_s > 0 else None
        qr_until = time.monotonic() + cfg.qr_scan_s
        if camera is not None:
            camera.drain()
        while time.monotonic() < end:
            if camera is not None and time.monotonic() < qr_until:
                text = self.t.qr.scan(camera, 0.3)
                if text:
                    try:
                        return from_qr(text)
                    except AccessKeyError:
                        pass
                got = self._wait(("access_key",), 0.01, need_card=True)
            else:
                got = self._wait(("access_key",), min(1.0, end - time.monotonic()), need_card=True)
            if got is not None:
                return got[1]
        raise self._fail(S.TIMEOUT, "timeout.access_key", "timeouts")

    def read(self, key: ResolvedKey):
        attempts = self.t.cfg.access_key_attempts
        while True:
            self.t.board.show(S.READING, progress=0.0)
            try:
                result, verdict = self.t.chip.read(
                    self.ctx, self.reader, key.key, lambda p: self.t.board.update(progress=round(p, 2))
                )
            except AccessDeniedError:
                attempts -= 1
                self._count("wrong_key")
                if attempts <= 0:
                    raise self._fail(
                        S.WRONG_KEY, "wrong_key.no_attempts_left", "wrong_key_exhausted"
                    ) from None
                key = self.access_key(S.WRONG_KEY, "wrong_key.try_again", attempts, use_qr=False)
                continue
            except CardRemovedError:
                self._count("card_removed_early")
                self.t.board.show(S.CARD_REMOVED_EARLY, deadline_s=self.t.cfg.timeouts.card_back_s)
                self.card_back()
                continue
            except NoCardError:  # taken away between the wait and the connect
                raise Abandoned("card taken away") from None
            except (NoReaderError, PcscUnavailableError) as exc:
                self._count("reader_lost")
                self.t.board.show(S.READER_LOST)
                raise ReaderGone(str(exc)) from None
            except PcscTimeout:
                raise self._fail(S.TIMEOUT, "timeout.read", "timeouts") from None
            except ChipAuthenticationError:
                raise self._fail(S.NOT_GENUINE, "not_genuine.chip_authentication", "not_genuine") from None
            except (ReaderError, EmrtdError) as exc:
                if isinstance(exc, ReaderError) and self._reader_gone():
                    self._count("reader_lost")
                    self.t.board.show(S.READER_LOST)
                    raise ReaderGone(type(exc).__name__) from None
                log.warning("chip read failed", extra={"error": type(exc).__name__})
                self._fail(S.READ_ERROR, "read_error.try_again", "read_errors")
                if self._wait(("retry",), self.t.cfg.timeouts.card_back_s, need_card=True) is None:
                    raise Abandoned("read error") from None
                continue
            if not verdict.genuine:
                raise self._fail(S.NOT_GENUINE, "not_genuine." + verdict.reasons[0], "not_genuine")
            return result, verdict, key

    def card_back(self) -> None:
        """After a pull mid-read: wait for the card to come back for a clean retry."""
        try:
            self.ctx.wait_for_card(self.reader, self.t.cfg.timeouts.card_back_s)
        except NoCardError:
            self.t.board.show(S.IDLE, "card_removed_early.gave_up")
            raise Abandoned("card not put back") from None
        except (NoReaderError, PcscUnavailableError) as exc:
            raise ReaderGone(str(exc)) from None

    def person(self, portrait: bytes | None) -> PersonCheckResult:
        cfg, camera, check = self.t.cfg, self.t.camera, self.t.person_check
        if cfg.person_check == "off" or check is None:
            return PersonCheckResult(PersonCheckStatus.NOT_RUN, "none")
        attempts = cfg.person_check_attempts
        while True:
            if camera is None or not camera.streaming():
                result = PersonCheckResult(PersonCheckStatus.CAMERA_MISSING, check.method)
            else:
                self.t.board.show(
                    S.PERSON_CHECK, attempts_left=attempts, deadline_s=cfg.timeouts.person_check_s
                )
                camera.drain()
                result = check.check(portrait, camera, self._guide, cfg.timeouts.person_check_s)
            if result.passed or cfg.person_check == "optional":
                return result
            if result.status is PersonCheckStatus.CAMERA_MISSING:
                self._fail(S.CAMERA_MISSING, "camera_missing", "camera_missing")
            else:
                attempts -= 1
                if attempts <= 0:
                    raise self._fail(S.TIMEOUT, "person_check.failed", "person_check_failed")
                self._fail(
                    S.TIMEOUT, "person_check.try_again", "person_check_retries", attempts_left=attempts
                )
            if self._wait(("retry",), cfg.timeouts.consent_s) is None:
                raise Abandoned("person check not retried")

    def _guide(
        self, key: str | None, /, *, challenge: str | None = None, seconds_left: float | None = None
    ) -> None:
        """The person check's guidance, challenge and time left, onto the screen
        (`person_check.Guide`); the countdown is left as it is when no time is given."""
        fields: dict = {"guidance": key, "challenge": challenge}
        if seconds_left is not None:
            fields["deadline_s"] = seconds_left
        self.t.board.update(**fields)

    def staff_details(self):
        cfg = self.t.cfg
        form = stay_form(cfg.stay.reasons) if self.t.workflow == "stay_notification" else pawn_form()
        self.t.board.show(S.STAFF_DETAILS, form=form, deadline_s=cfg.timeouts.staff_s)
        got = self._wait(("staff_details",), cfg.timeouts.staff_s)
        if got is None:
            raise self._fail(S.TIMEOUT, "timeout.staff_details", "timeouts")
        return got[1]

    def build(self, result, verdict, key: ResolvedKey, person: PersonCheckResult, details) -> EventDraft:
        checkin = records.CheckIn(result, key.method, verdict, person, self.t.chip.trust_configured)
        now = self.t.now()
        if self.t.workflow == "stay_notification":
            return records.stay_event(checkin, details, self.t.cfg, now, self.t.synced())
        return records.verification_event(checkin, details, self.t.cfg, now, self.t.synced())

    def consent(self, draft: EventDraft) -> None:
        seconds = self.t.cfg.timeouts.consent_s
        self.t.board.show(
            S.CONSENT, preview=records.preview(draft, self.t.cfg.stay.reasons), deadline_s=seconds
        )
        got = self._wait(("consent",), seconds)
        if got is None:
            raise self._fail(S.TIMEOUT, "timeout.consent", "timeouts")
        if not got[1]:
            raise self._fail(S.DECLINED, "declined", "consent_declined")

    def commit(self, draft: EventDraft) -> None:
        """The one write: the finished event into the outbox. If the outbox refuses it
        (disk or quota full of undelivered check-ins, a faulty disk), nothing was
        stored; the screen says so and staff may try again (space comes back as the
        publisher delivers) until `timeouts.staff_s` or the card is taken away, after
        which the check-in is dropped whole and the kiosk goes back to idle."""
        wait_s = self.t.cfg.timeouts.staff_s
        while True:
            try:
                stored = self.t.append(draft)
                break
            except OutboxError as exc:
                log.error("check-in not stored", extra={"error": type(exc).__name__})
                self._fail(S.STORAGE_ERROR, "storage_error", "storage_errors", deadline_s=wait_s)
            if self._wait(("retry",), wait_s, need_card=True) is None:
                raise Abandoned("check-in not stored")
        self._count("committed")
        self.t.on_committed(stored)
        self.t.board.show(S.COMMITTED)
        self.t.board.show(S.RECEIPT, receipt=records.receipt(draft, stored.seq))
