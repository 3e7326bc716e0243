"""The kiosk service: the daemon's producer for the kiosk roles.

One thread owns the card reader: it waits for a reader (hot-plug) and for a card
inside pcscd (SCardGetStatusChange, no polling), runs one check-in per card
(`edge.kiosk.checkin`) and waits for the card to be taken away. Every fault is
caught here and shown as its own screen state; the thread keeps running through
pcscd restarts, unplugged readers, broken cards and a missing camera.

The service is also the screen's `KioskController` (snapshot, wait_for_change,
act). The workflow follows the device role: a guesthouse kiosk sends
`stay_notification` (and `stay_checkout` / `stay_extension`), a pawnshop kiosk
`identity_verification`."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from drivers.pcsc.context import PcscContext
from drivers.pcsc.errors import NoCardError, NoReaderError, PcscUnavailableError, ReaderError
from edge.events import EventDraft, StoredEvent
from edge.kiosk.actions import KioskActions
from edge.kiosk.board import ScreenBoard
from edge.kiosk.camera_feed import CameraFeed, KioskCamera
from edge.kiosk.checkin import Abandoned, CheckIn, ReaderGone, Tools
from edge.kiosk.chip import ChipReading
from edge.kiosk.inbox import Inbox
from edge.kiosk.person_check import PersonCheck
from edge.kiosk.pin import PinChecker
from edge.kiosk.qr_scan import QrReader
from edge.kiosk.stay_events import StayDesk
from edge.kiosk.stays import StayLedger
from firmware_config.kiosk import KioskConfig
from kiosk.cccd.trust_store import TrustStore
from kiosk.emrtd.genuineness import GenuinenessPolicy
from kiosk.screen.protocol import ActionResult, ScreenSnapshot
from kiosk.screen.protocol import ScreenState as S

log = logging.getLogger(__name__)

WORKFLOWS = {"guesthouse_kiosk": "stay_notification", "pawnshop_kiosk": "identity_verification"}
WEDGED_AFTER_S = 600.0  # longer than any step's own timeout


class KioskService:
    def __init__(
        self,
        cfg: KioskConfig,
        role: str,
        append: Callable[[EventDraft], StoredEvent],
        *,
        outbox_dir: Path,
        synced: Callable[[], bool] = lambda: False,
        person_check: PersonCheck | None = None,
        pin_hash: str | None = None,
        unsent: Callable[[list[str]], set[str]] | None = None,
        camera: KioskCamera | None = None,
    ) -> None:
        """`camera` replaces the configured kiosk camera (benchmarks feed their own frames)."""
        self.cfg = cfg
        self.workflow = WORKFLOWS[role]
        self._tz = ZoneInfo(cfg.stay.timezone)
        self._stop = threading.Event()
        self.board = ScreenBoard(self.workflow)  # type: ignore[arg-type]
        self.inbox = Inbox(self._stop)
        self.counters: dict[str, int] = {}
        self._unsent = unsent
        trust = TrustStore.from_directory(cfg.csca_dir) if cfg.csca_dir else TrustStore([])
        self.desk: StayDesk | None = None
        if self.workflow == "stay_notification":
            ledger = StayLedger(cfg.stay.stays_path or outbox_dir / "kiosk-stays.db")
            self.desk = StayDesk(cfg, ledger, append, self.now, synced)
        self.camera: KioskCamera | None = camera
        if camera is None and cfg.camera is not None:
            self.camera = CameraFeed(cfg.camera)
        self.tools = Tools(
            cfg=cfg,
            workflow=self.workflow,
            board=self.board,
            inbox=self.inbox,
            chip=ChipReading(
                trust,
                GenuinenessPolicy(cfg.require_passive_auth, cfg.accept_without_csca),
                cfg.extended_length,
                cfg.read_photo,
                cfg.read_timeout_s,
                trust_configured=cfg.csca_dir is not None,
            ),
            qr=QrReader(),
            camera=self.camera,
            person_check=person_check,
            append=append,
            now=self.now,
            synced=synced,
            counters=self.counters,
            on_committed=self._committed,
        )
        self.actions = KioskActions(
            cfg, self.board, self.inbox, PinChecker(pin_hash), self.desk, lambda: self.now().date()
        )
        self._thread = threading.Thread(target=self._run, name="kiosk", daemon=True)
        self._beat = time.monotonic()
        self._no_reader_since: float | None = None
        self._no_reader_logged = False

    def now(self) -> datetime:
        """Local time of the premises, to the millisecond (as event timestamps are)."""
        now = datetime.now(self._tz)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    # -- KioskController --------------------------------------------------------------
    def snapshot(self) -> ScreenSnapshot:
        self.actions.staff_unlocked()  # lapses an idle unlock
        return self.board.snapshot()

    def wait_for_change(self, after_seq: int, timeout_s: float) -> ScreenSnapshot:
        return self.board.wait_for_change(after_seq, timeout_s)

    def act(self, action: Mapping[str, Any]) -> ActionResult:
        return self.actions.act(action)

    # -- Service --------------------------------------------------------------------
    def start(self) -> None:
        if self.camera is not None:
            self.camera.start()
        if self.desk is not None:
            self.board.update(open_stays=self.desk.listing())
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.inbox.wake()
        self._thread.join(10)
        if self.camera is not None:
            self.camera.stop()

    def healthy(self) -> bool:
        return self._thread.is_alive() and time.monotonic() - self._beat < WEDGED_AFTER_S

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {"state": self.board.snapshot().state.value, **self.counters}
        if self._no_reader_since is not None:
            out["no_reader_s"] = round(time.monotonic() - self._no_reader_since, 1)
        if self.desk is not None and self._unsent is not None:
            try:
                out["stay_notifications_overdue"] = self.desk.overdue(self._unsent)
            except Exception as exc:  # stats must never break the stats topic
                out["stay_notifications_overdue_error"] = type(exc).__name__
        return out

    # -- the reader thread ------------------------------------------------------------
    def _committed(self, stored: StoredEvent) -> None:
        if self.desk is not None and stored.draft.type == "stay_notification":
            self.desk.opened(stored)
            self.board.update(open_stays=self.desk.listing())

    def _run(self) -> None:
        while not self._stop.is_set():
            self._beat = time.monotonic()
            try:
                with PcscContext() as ctx:
                    self._with_context(ctx)
            except (PcscUnavailableError, NoReaderError, ReaderGone):
                self._no_reader()
                self._stop.wait(1.0)
            except Exception:  # the service survives everything; the log says what
                log.exception("kiosk loop error; starting over")
                self.board.show(S.READ_ERROR, "read_error.internal")
                self._stop.wait(self.cfg.timeouts.message_s or 1.0)

    def _with_context(self, ctx: PcscContext) -> None:
        while not self._stop.is_set():
            self._beat = time.monotonic()
            try:
                reader = ctx.wait_for_reader(self.cfg.reader, 1.0)
            except NoReaderError:
                self._no_reader()
                continue
            self._no_reader_since, self._no_reader_logged = None, False
            if self.board.snapshot().state is not S.IDLE:
                self.board.show(S.IDLE)
            try:
                ctx.wait_for_card(reader, 1.0)
            except NoCardError:
                continue
            self._one_card(ctx, reader)

    def _no_reader(self) -> None:
        """No reader (or no pcscd): shown at once (a lost reader keeps its own state);
        logged once it has lasted `kiosk.reader_wait_s`, and its age is in the stats."""
        if self.board.snapshot().state not in (S.READER_LOST, S.NO_READER):
            self.board.show(S.NO_READER)
        now = time.monotonic()
        if self._no_reader_since is None:
            self._no_reader_since = now
        elif not self._no_reader_logged and now - self._no_reader_since > self.cfg.reader_wait_s:
            self._no_reader_logged = True
            log.error("no card reader", extra={"waited_s": round(now - self._no_reader_since)})

    def _one_card(self, ctx: PcscContext, reader: str) -> None:
        try:
            CheckIn(self.tools, ctx, reader).run()
        except Abandoned as exc:
            log.info("check-in ended without an event", extra={"reason": str(exc)})
        finally:
            self.inbox.clear()
        self._until_removed(ctx, reader)

    def _until_removed(self, ctx: PcscContext, reader: str) -> None:
        """Keep the result on screen until the card is taken away (at most the receipt
        time), then 'card removed' for a moment and idle."""
        end = time.monotonic() + self.cfg.timeouts.receipt_s
        while not self._stop.is_set():
            try:
                ctx.wait_for_removal(reader, 0.5)
                break
            except (NoReaderError, PcscUnavailableError) as exc:
                raise ReaderGone(str(exc)) from None
            except ReaderError:
                if time.monotonic() > end and self.board.snapshot().state in (S.RECEIPT, S.COMMITTED):
                    self.board.show(S.IDLE, "idle.take_card")
                    end = float("inf")
        self.board.show(S.CARD_REMOVED)
        self._stop.wait(self.cfg.timeouts.message_s)
