"""Stateful property test: random sequences of append / ack / reject / pending / time
passing against a small quota, checking after every step that the outbox's counters,
byte accounting, ordering and CRITICAL guarantee hold."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from edge.events import Attachment, EventDraft, Priority
from edge.outbox import Outbox, OutboxFullError
from firmware_config.storage import StorageConfig


class OutboxModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="outbox-model-"))
        self.now = 1_800_000_000.0
        cfg = StorageConfig(
            path=self.dir / "o.db", quota=20_000, disk_reserve=0, default_ttl_s=500, ttl_s={"checkin": 2000}
        )
        start = self.now
        self.ob = Outbox(cfg, "dev-1", clock=lambda: self.now, boot_clock=lambda: self.now - start)
        self.critical: dict[str, float] = {}  # event_id -> expires_at, not yet acked
        self.acked: set[int] = set()
        self.last_seq = 0

    @rule(
        priority=st.sampled_from(list(Priority)),
        pad=st.integers(0, 3000),
        atts=st.lists(st.integers(1, 4000), max_size=2),
    )
    def append(self, priority: Priority, pad: int, atts: list[int]) -> None:
        kind = "checkin" if priority is Priority.CRITICAL else "plate"
        d = EventDraft(
            kind,
            {"pad": "x" * pad},
            priority,
            attachments=tuple(Attachment("image/jpeg", b"j" * n) for n in atts),
        )
        try:
            s = self.ob.append(d)
        except OutboxFullError:
            return
        assert s.seq == self.last_seq + 1
        self.last_seq = s.seq
        if priority is Priority.CRITICAL:
            self.critical[s.event_id] = self.now + 2000

    @rule(n=st.integers(1, 5))
    def ack_oldest(self, n: int) -> None:
        msgs = self.ob.pending(n)
        self.ob.ack([m.row_id for m in msgs])
        self.acked.update(m.row_id for m in msgs)
        for m in msgs:
            if m.kind == "event":
                self.critical.pop(m.event_id, None)

    @rule(delay=st.floats(0, 100))
    def reject_oldest(self, delay: float) -> None:
        msgs = self.ob.pending(1)
        if msgs:
            self.ob.reject(msgs[0].row_id, "quota exceeded (0x97)", self.now + delay)

    @rule(dt=st.sampled_from([1.0, 60.0, 600.0, 2500.0]))
    def time_passes(self, dt: float) -> None:
        self.now += dt
        self.ob.pending(1)  # purges what expired
        self.critical = {e: exp for e, exp in self.critical.items() if exp > self.now}

    @invariant()
    def books_balance(self) -> None:
        s = self.ob.stats()
        assert s.appended_total - s.acked_total - s.evicted_total - s.expired_total == s.depth
        assert s.bytes <= 20_000
        assert s.evicted_by_priority["critical"] == 0
        with sqlite3.connect(self.dir / "o.db") as c:
            (size,) = c.execute("SELECT coalesce(sum(size), 0) FROM messages").fetchone()
            ids = [r[0] for r in c.execute("SELECT id FROM messages ORDER BY id")]
            events = {r[0] for r in c.execute("SELECT event_id FROM messages WHERE kind = 'event'")}
        assert size == s.bytes
        assert not self.acked & set(ids)
        assert set(self.critical) <= events, "a CRITICAL event vanished before its TTL"

    @invariant()
    def pending_is_in_row_order(self) -> None:
        rows = [m.row_id for m in self.ob.pending(50)]
        assert rows == sorted(rows)

    def teardown(self) -> None:
        self.ob.close()
        shutil.rmtree(self.dir, ignore_errors=True)


OutboxModel.TestCase.settings = settings(
    max_examples=25,
    derandomize=True,  # same examples on every run: CI must be deterministic
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_outbox_model = OutboxModel.TestCase
