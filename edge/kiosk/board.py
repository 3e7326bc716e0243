"""The screen's view of the check-in: one snapshot at a time, each with a higher `seq`.

The service thread publishes a new snapshot on every change; the screen server's
threads block in `wait_for_change` (one condition variable, no polling) so the
page learns of a change the moment it happens."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from typing import Any

from kiosk.screen.protocol import ScreenSnapshot, ScreenState, Workflow


class ScreenBoard:
    def __init__(self, workflow: Workflow) -> None:
        self._cond = threading.Condition()
        self._snapshot = ScreenSnapshot(
            seq=1, state=ScreenState.NO_READER, workflow=workflow, message="no_reader"
        )
        self.changed_at = time.monotonic()
        self.history: deque[tuple[ScreenState, float]] = deque(maxlen=64)
        """(state, monotonic time) of the last state changes: step timings for benchmarks."""

    def snapshot(self) -> ScreenSnapshot:
        with self._cond:
            return self._snapshot

    def show(self, state: ScreenState, message: str | None = None, **fields: Any) -> ScreenSnapshot:
        """Replace the snapshot: state and message, everything else back to its default
        unless given (so no personal data lingers from one step into the next); the
        staff lock and the list of open stays carry over."""
        with self._cond:
            base = ScreenSnapshot(
                seq=self._snapshot.seq + 1,
                state=state,
                workflow=self._snapshot.workflow,
                message=message or state.value,
                staff_unlocked=self._snapshot.staff_unlocked,
                open_stays=self._snapshot.open_stays,  # the staff's list, not the citizen's data
            )
            self._snapshot = dataclasses.replace(base, **fields)
            self.changed_at = time.monotonic()
            self.history.append((state, self.changed_at))
            self._cond.notify_all()
            return self._snapshot

    def update(self, **fields: Any) -> ScreenSnapshot:
        """Change some fields of the current snapshot (progress, guidance, staff lock …)."""
        with self._cond:
            current = self._snapshot
            if all(getattr(current, k) == v for k, v in fields.items()):
                return current
            self._snapshot = dataclasses.replace(current, seq=current.seq + 1, **fields)
            self._cond.notify_all()
            return self._snapshot

    def wait_for_change(self, after_seq: int, timeout_s: float) -> ScreenSnapshot:
        with self._cond:
            self._cond.wait_for(lambda: self._snapshot.seq > after_seq, timeout=max(0.0, timeout_s))
            return self._snapshot
