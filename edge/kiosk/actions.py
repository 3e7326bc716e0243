"""`KioskController.act`: the screen's actions, checked against the current state.

Runs in the screen server's threads. An action that does not fit the state, or
whose values do not validate, changes nothing and is answered with message keys;
one that fits is posted to the service thread's inbox. Stay checkout and
extension are whole on their own (no card involved) and are committed here."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from edge.kiosk.access import AccessKeyError, from_typed
from edge.kiosk.board import ScreenBoard
from edge.kiosk.forms import pawn_form, stay_form, validate_extension, validate_pawn, validate_stay
from edge.kiosk.inbox import Inbox
from edge.kiosk.pin import PinChecker
from edge.kiosk.stay_events import StayDesk
from firmware_config.kiosk import KioskConfig
from kiosk.screen.protocol import FAILURE_STATES, ActionResult, ScreenState

log = logging.getLogger(__name__)

KEY_STATES = {ScreenState.ACCESS_KEY, ScreenState.WRONG_KEY}
SESSION_STATES = {
    ScreenState.CARD_PLACED,
    ScreenState.ACCESS_KEY,
    ScreenState.READING,
    ScreenState.PERSON_CHECK,
    ScreenState.STAFF_DETAILS,
    ScreenState.CONSENT,
} | FAILURE_STATES
RETRY_STATES = {
    ScreenState.READ_ERROR,
    ScreenState.TIMEOUT,
    ScreenState.CAMERA_MISSING,
    ScreenState.STORAGE_ERROR,
}


class KioskActions:
    def __init__(
        self,
        cfg: KioskConfig,
        board: ScreenBoard,
        inbox: Inbox,
        pin: PinChecker,
        desk: StayDesk | None,
        today: Callable[[], date],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cfg = cfg
        self._board = board
        self._inbox = inbox
        self._pin = pin
        self._desk = desk
        self._today = today
        self._clock = clock
        self._lock = threading.Lock()
        self._staff_seen = 0.0

    def staff_unlocked(self) -> bool:
        """Unlocked, and not idle longer than `timeouts.staff_unlock_s` (then it locks itself)."""
        snap = self._board.snapshot()
        if snap.staff_unlocked and self._clock() - self._staff_seen > self._cfg.timeouts.staff_unlock_s:
            self._board.update(staff_unlocked=False)
            return False
        return snap.staff_unlocked

    def act(self, action: Mapping[str, Any]) -> ActionResult:
        if not isinstance(action, Mapping) or not isinstance(action.get("type"), str):
            return ActionResult(False, "action.malformed")
        handler = getattr(self, "_do_" + action["type"], None)
        if handler is None:
            return ActionResult(False, "action.unknown")
        with self._lock:
            try:
                return handler(action)
            except Exception:  # a bad action must never take the screen server down
                log.exception("kiosk action failed", extra={"action": action["type"]})
                return ActionResult(False, "action.failed")

    # -- staff -------------------------------------------------------------------
    def _do_staff_unlock(self, action: Mapping[str, Any]) -> ActionResult:
        problem = self._pin.check(action.get("pin"))
        if problem:
            log.warning("staff unlock refused", extra={"reason": problem})
            return ActionResult(False, problem)
        self._staff_seen = self._clock()
        self._board.update(staff_unlocked=True)
        return ActionResult(True)

    def _do_staff_lock(self, action: Mapping[str, Any]) -> ActionResult:
        self._board.update(staff_unlocked=False)
        return ActionResult(True)

    def _staff(self) -> ActionResult | None:
        if not self.staff_unlocked():
            return ActionResult(False, "staff.locked")
        self._staff_seen = self._clock()
        return None

    # -- the check-in ----------------------------------------------------------------
    def _do_access_key(self, action: Mapping[str, Any]) -> ActionResult:
        snap = self._board.snapshot()
        if snap.state not in KEY_STATES:
            return ActionResult(False, "action.not_allowed")
        kind, value = action.get("kind"), action.get("value")
        if kind not in snap.access_kinds or not isinstance(value, str):
            return ActionResult(False, "access_key.kind_unknown")
        try:
            resolved = from_typed(kind, value)
        except AccessKeyError as exc:
            return ActionResult(False, str(exc), {"value": str(exc)})
        self._inbox.post("access_key", resolved)
        return ActionResult(True)

    def _do_staff_details(self, action: Mapping[str, Any]) -> ActionResult:
        snap = self._board.snapshot()
        if snap.state is not ScreenState.STAFF_DETAILS:
            return ActionResult(False, "action.not_allowed")
        refused = self._staff()
        if refused:
            return refused
        values = action.get("values")
        if self._desk is not None:
            details, cleaned, errors = validate_stay(values, self._cfg.stay.reasons, self._today())
            form = stay_form(self._cfg.stay.reasons, cleaned, errors)
        else:
            details, cleaned, errors = validate_pawn(values)
            form = pawn_form(cleaned, errors)
        self._board.update(form=form)
        if details is None:
            return ActionResult(False, "form.invalid", errors)
        self._inbox.post("staff_details", details)
        return ActionResult(True)

    def _do_consent(self, action: Mapping[str, Any]) -> ActionResult:
        if self._board.snapshot().state is not ScreenState.CONSENT:
            return ActionResult(False, "action.not_allowed")
        accept = action.get("accept")
        if not isinstance(accept, bool):
            return ActionResult(False, "action.malformed")
        self._inbox.post("consent", accept)
        return ActionResult(True)

    def _do_cancel(self, action: Mapping[str, Any]) -> ActionResult:
        if self._board.snapshot().state not in SESSION_STATES:
            return ActionResult(False, "action.not_allowed")
        refused = self._staff()
        if refused:
            return refused
        self._inbox.post("cancel")
        return ActionResult(True)

    def _do_retry(self, action: Mapping[str, Any]) -> ActionResult:
        if self._board.snapshot().state not in RETRY_STATES:
            return ActionResult(False, "action.not_allowed")
        self._inbox.post("retry")
        return ActionResult(True)

    # -- guesthouse staff: stays -------------------------------------------------------
    def _stay(self, action: Mapping[str, Any]):
        """The open stay an action names, or the refusal to answer with."""
        if self._desk is None:
            return None, ActionResult(False, "action.not_this_workflow")
        refused = self._staff()
        if refused:
            return None, refused
        stay = self._desk.find(action.get("stay"))
        return stay, None if stay is not None else ActionResult(False, "stay.not_found")

    def _done(self, error: str | None) -> ActionResult:
        assert self._desk is not None
        self._board.update(open_stays=self._desk.listing())
        return ActionResult(error is None, error)

    def _do_stay_checkout(self, action: Mapping[str, Any]) -> ActionResult:
        stay, refused = self._stay(action)
        if refused or stay is None:
            return refused or ActionResult(False, "stay.not_found")
        assert self._desk is not None
        return self._done(self._desk.checkout(stay))

    def _do_stay_extend(self, action: Mapping[str, Any]) -> ActionResult:
        stay, refused = self._stay(action)
        if refused or stay is None:
            return refused or ActionResult(False, "stay.not_found")
        departure, problem = validate_extension(action.get("expected_departure"), stay.arrival, self._today())
        if departure is None:
            return ActionResult(False, "form.invalid", {"expected_departure": problem or "form.date_invalid"})
        assert self._desk is not None
        return self._done(self._desk.extend(stay, departure))
