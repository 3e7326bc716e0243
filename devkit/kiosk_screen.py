"""A development controller for the kiosk screen: put the page in any state, see what it sends.

:class:`ScreenController` implements ``kiosk.screen.protocol.KioskController``
without a card, a camera or a daemon. Tests, the screen benchmark and a developer
looking at the page drive it with :meth:`ScreenController.show` /
:meth:`ScreenController.update` and read back the actions the page posted. It
answers the staff PIN and validates the staff form for real (required fields,
dates, numbers, choices, lengths) from the form's own :class:`FormField`s, so the
page's validation messages are tested against answers a controller really gives.
Every other action is recorded and accepted, or answered as the test says
(:meth:`ScreenController.answer`).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from kiosk.screen.protocol import ActionResult, FormField, ScreenSnapshot, ScreenState, Workflow

MAX_TEXT = 200


def field_error(field: FormField, raw: Any) -> str | None:
    """The message key for one submitted value, or None when it is acceptable."""
    if not isinstance(raw, str):
        return "form.not_text"
    text = raw.strip()
    if not text:
        return "form.required" if field.required else None
    if len(text) > MAX_TEXT:
        return "form.too_long"
    if field.kind == "date":
        try:
            date.fromisoformat(text)
        except ValueError:
            return "form.date_invalid"
    elif field.kind == "datetime":
        try:
            datetime.fromisoformat(text)
        except ValueError:
            return "form.datetime_invalid"
    elif field.kind == "number":
        try:
            float(text)
        except ValueError:
            return "form.number_invalid"
    elif field.kind == "choice" and text not in {code for code, _ in field.choices}:
        return "form.choice_invalid"
    return None


def validate_form(form: tuple[FormField, ...], values: Any) -> dict[str, str]:
    """Field name -> message key for every field the submitted values do not satisfy."""
    if not isinstance(values, Mapping):
        return {f.name: "form.required" for f in form if f.required}
    errors = {}
    for f in form:
        key = field_error(f, values.get(f.name, ""))
        if key:
            errors[f.name] = key
    return errors


class ScreenController:
    """A KioskController for screen tests and benchmarks, driven by hand."""

    def __init__(self, workflow: Workflow = "stay_notification", *, pin: str = "2468") -> None:
        self._cond = threading.Condition()
        self._snapshot = ScreenSnapshot(seq=1, state=ScreenState.IDLE, workflow=workflow, message="idle")
        self._pin = pin
        self._answers: dict[str, ActionResult] = {}
        self.actions: list[dict[str, Any]] = []

    # --- KioskController --------------------------------------------------------
    def snapshot(self) -> ScreenSnapshot:
        with self._cond:
            return self._snapshot

    def wait_for_change(self, after_seq: int, timeout_s: float) -> ScreenSnapshot:
        with self._cond:
            self._cond.wait_for(lambda: self._snapshot.seq > after_seq, timeout=max(0.0, timeout_s))
            return self._snapshot

    def act(self, action: Mapping[str, Any]) -> ActionResult:
        with self._cond:
            self.actions.append(dict(action))
            self._cond.notify_all()
        kind = action.get("type")
        if kind in self._answers:
            return self._answers[kind]
        if kind == "staff_unlock":
            if action.get("pin") != self._pin:
                return ActionResult(ok=False, error="staff.pin_wrong")
            self.update(staff_unlocked=True)
        elif kind == "staff_lock":
            self.update(staff_unlocked=False)
        elif kind == "staff_details":
            return self._staff_details(action.get("values"))
        return ActionResult(ok=True)

    # --- driving it -------------------------------------------------------------
    def show(self, state: ScreenState, message: str | None = None, **fields: Any) -> ScreenSnapshot:
        """A new snapshot: ``state``, its message (the state's own key by default) and
        ``fields``; the staff lock is kept, everything else starts from its default."""
        with self._cond:
            current = self._snapshot
            fields.setdefault("staff_unlocked", current.staff_unlocked)
            self._snapshot = ScreenSnapshot(
                seq=current.seq + 1,
                state=state,
                workflow=fields.pop("workflow", current.workflow),
                message=message or state.value,
                **fields,
            )
            self._cond.notify_all()
            return self._snapshot

    def update(self, **fields: Any) -> ScreenSnapshot:
        """Change some fields of the current snapshot (a new seq)."""
        with self._cond:
            current = self._snapshot
            self._snapshot = dataclasses.replace(current, seq=current.seq + 1, **fields)
            self._cond.notify_all()
            return self._snapshot

    def answer(self, action_type: str, result: ActionResult | None) -> None:
        """Answer every later action of this type with ``result`` (None: back to the default)."""
        if result is None:
            self._answers.pop(action_type, None)
        else:
            self._answers[action_type] = result

    def wait_for_action(self, action_type: str, timeout_s: float = 5.0) -> dict[str, Any]:
        """The first recorded action of this type, waiting for the page to send it."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                for action in self.actions:
                    if action.get("type") == action_type:
                        return action
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the page sent no {action_type!r} action within {timeout_s} s")
                self._cond.wait(left)

    def _staff_details(self, values: Any) -> ActionResult:
        current = self.snapshot()
        if not current.staff_unlocked:
            return ActionResult(ok=False, error="staff.locked")
        if current.state is not ScreenState.STAFF_DETAILS:
            return ActionResult(ok=False, error="action.not_allowed")
        errors = validate_form(current.form, values)
        given = values if isinstance(values, Mapping) else {}
        form = tuple(
            dataclasses.replace(
                f,
                value=given.get(f.name, "") if isinstance(given.get(f.name), str) else "",
                error=errors.get(f.name),
            )
            for f in current.form
        )
        self.update(form=form)
        if errors:
            return ActionResult(ok=False, error="form.check", field_errors=errors)
        return ActionResult(ok=True)
