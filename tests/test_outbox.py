"""Unit tests of the SQLite outbox on real database files (no mocks)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from edge.events import Attachment, EventDraft, Priority, StoredEvent
from edge.outbox import (
    InvalidEventError,
    Outbox,
    OutboxClosedError,
    OutboxError,
    OutboxFullError,
    OutboxStorageError,
)
from edge.outbox.encoding import encode
from firmware_config.storage import StorageConfig

REPO_ROOT = Path(__file__).resolve().parent.parent


class FakeClock:
    """Wall clock and boot clock the test moves by hand, so TTL and retry tests need no
    sleeping. Assigning `now` is time passing (both clocks move); `step()` is someone
    setting the wall clock (NTP after a boot without RTC): only the wall clock moves."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now
        self._wall_offset = now

    def __call__(self) -> float:
        return self.now

    def boot(self) -> float:
        return self.now - self._wall_offset

    def step(self, seconds: float) -> None:
        self.now += seconds
        self._wall_offset += seconds


def make(tmp_path: Path, clock: FakeClock | None = None, **cfg: object) -> Outbox:
    config = StorageConfig(path=tmp_path / "outbox.db", disk_reserve=0, **cfg)
    clock = clock or FakeClock()
    return Outbox(config, "cam-01", clock=clock, boot_clock=clock.boot)


def draft(
    priority: Priority = Priority.NORMAL, type_: str = "plate", n: int = 0, atts: int = 0
) -> EventDraft:
    return EventDraft(
        type_,
        {"n": n},
        priority=priority,
        attachments=tuple(Attachment("image/jpeg", bytes([n % 256]) * 1000) for _ in range(atts)),
    )


def all_seqs(path: Path) -> list[int]:
    with sqlite3.connect(path) as c:
        return [r[0] for r in c.execute("SELECT seq FROM messages WHERE kind = 'event' ORDER BY id")]


def test_seq_is_monotonic_and_gap_free_across_reopen(tmp_path: Path) -> None:
    with make(tmp_path) as ob:
        first = [ob.append(draft(n=i)).seq for i in range(5)]
        ob.ack([m.row_id for m in ob.pending(100)])  # acking must not let seq be reused
    with make(tmp_path) as ob:
        second = [s.seq for s in ob.append_many([draft(n=i) for i in range(5)])]
        third = ob.append(draft()).seq
    assert first == [1, 2, 3, 4, 5]
    assert second == [6, 7, 8, 9, 10]
    assert third == 11


def test_row_ids_are_never_reused_after_ack(tmp_path: Path) -> None:
    with make(tmp_path) as ob:
        a = ob.append(draft())
        ob.ack([a.row_id])
        b = ob.append(draft())
    assert b.row_id > a.row_id


def test_pending_payload_is_exactly_the_stored_event_json(tmp_path: Path) -> None:
    with make(tmp_path) as ob:
        stored = ob.append(EventDraft("checkin", {"room": "12A", "name": "Nguyễn Văn A"}, Priority.CRITICAL))
        (msg,) = ob.pending(10)
    assert msg.payload == stored.to_json()
    assert json.loads(msg.payload)["seq"] == stored.seq == msg.seq
    assert (msg.kind, msg.topic_suffix, msg.content_type) == ("event", "events/checkin", "application/json")
    assert msg.priority is Priority.CRITICAL


def test_encoding_splices_seq_identically_to_to_json() -> None:
    d = EventDraft("plate", {"seq": -1, "text": '"seq":-1,'}, attachments=(Attachment("image/jpeg", b"x"),))
    enc = encode(d, 'dev"seq":')
    for seq in (1, 42, 10**12):
        assert enc.event_json(seq) == StoredEvent(row_id=0, device_id='dev"seq":', seq=seq, draft=d).to_json()


def test_attachments_are_separate_messages_after_their_event(tmp_path: Path) -> None:
    with make(tmp_path) as ob:
        d = draft(atts=2, n=7)
        stored = ob.append(d)
        msgs = ob.pending(10)
    assert [m.kind for m in msgs] == ["event", "attachment", "attachment"]
    assert [m.topic_suffix for m in msgs[1:]] == [f"attachments/{a.id}" for a in d.attachments]
    assert [m.payload for m in msgs[1:]] == [a.data for a in d.attachments]
    assert {m.event_id for m in msgs} == {stored.event_id}
    assert {m.seq for m in msgs} == {stored.seq}
    assert msgs[1].content_type == "image/jpeg"


def test_pending_is_oldest_first_and_skips_excluded(tmp_path: Path) -> None:
    with make(tmp_path) as ob:
        rows = [ob.append(draft(n=i)).row_id for i in range(6)]
        assert [m.row_id for m in ob.pending(3)] == rows[:3]
        assert [m.row_id for m in ob.pending(3, exclude=rows[:2])] == rows[2:5]
        assert ob.pending(0) == []
        # `after`: a reader that holds rows up to rows[1] starts behind them; exclusions
        # past it still leave `limit` rows when there are enough.
        assert [m.row_id for m in ob.pending(2, after=rows[1])] == rows[2:4]
        assert [m.row_id for m in ob.pending(2, exclude=[rows[0], rows[3]], after=rows[1])] == [
            rows[2],
            rows[4],
        ]


def test_pending_skips_few_or_many_exclusions_alike(tmp_path: Path) -> None:
    """A read-ahead past its cursor (few exclusions) reads whole rows in one statement;
    a read from the oldest row with much in flight picks ids first. Same answer."""
    with make(tmp_path) as ob:
        rows = [s.row_id for s in ob.append_many([draft(n=i) for i in range(40)])]
        few = {rows[21], rows[25]}  # 2 past the cursor: the one-statement read
        got = ob.pending(20, exclude=[*rows[:15], *few], after=rows[14])
        assert [m.row_id for m in got] == [r for r in rows[15:] if r not in few][:20]
        many = set(rows[:12]) | set(rows[14:30:2])  # 20 past the cursor: ids first
        got = ob.pending(20, exclude=many)
        assert [m.row_id for m in got] == [r for r in rows if r not in many][:20]
        assert all(m.payload and m.event_id for m in got)


def test_ack_deletes_rows_and_counts_once(tmp_path: Path) -> None:
    with make(tmp_path) as ob:
        rows = [ob.append(draft(n=i)).row_id for i in range(4)]
        ob.ack(rows[:2])
        ob.ack(rows[:2])  # a duplicate PUBACK must not count twice
        ob.ack([999_999])
        assert [m.row_id for m in ob.pending(10)] == rows[2:]
        st = ob.stats()
    assert (st.depth, st.acked_total, st.appended_total) == (2, 2, 4)


def test_reject_keeps_the_message_surfaces_it_and_retries_after_retry_at(tmp_path: Path) -> None:
    clock = FakeClock()
    with make(tmp_path, clock) as ob:
        a = ob.append(draft(n=1)).row_id
        b = ob.append(draft(n=2)).row_id
        ob.reject(a, "not authorised (0x87)", retry_at=clock.now + 60)
        assert [m.row_id for m in ob.pending(10)] == [b]
        st = ob.stats()
        assert st.depth == 2 and st.rejected == 1 and st.rejected_total == 1
        assert st.last_error is not None and "not authorised (0x87)" in st.last_error
        clock.now += 61
        assert [m.row_id for m in ob.pending(10)] == [a, b]
        ob.reject(a, "quota exceeded (0x97)", retry_at=clock.now + 5)
        assert ob.stats().rejected_total == 2
        ob.ack([a])
        assert ob.stats().rejected == 0


def test_ttl_per_type_expires_and_is_counted(tmp_path: Path) -> None:
    clock = FakeClock()
    with make(tmp_path, clock, default_ttl_s=1000, ttl_s={"plate": 10}) as ob:
        ob.append(draft(type_="plate", atts=1))
        keep = ob.append(draft(type_="face")).row_id
        crit = ob.append(draft(Priority.CRITICAL, type_="checkin")).row_id
        clock.now += 11
        assert [m.row_id for m in ob.pending(10)] == [keep, crit]
        st = ob.stats()
        assert st.expired_total == 2 and st.evicted_total == 0 and st.depth == 2
        clock.now += 1000
        assert ob.pending(10) == []
        assert ob.stats().expired_total == 4
        (msg,) = [ob.append(draft(type_="face"))]
        assert ob.pending(1)[0].expires_at == clock.now + 1000
        del msg


def size_of(d: EventDraft) -> int:
    """Bytes the outbox charges for this draft against its quota."""
    return encode(d, "cam-01").size


def padded(priority: Priority, type_: str = "plate") -> EventDraft:
    return EventDraft(type_, {"pad": "x" * 900}, priority)


def test_eviction_order_attachments_then_low_normal_high_never_critical(tmp_path: Path) -> None:
    with make(tmp_path) as ob:
        for p, n in ((Priority.CRITICAL, 10), (Priority.HIGH, 5), (Priority.NORMAL, 5), (Priority.LOW, 5)):
            for _ in range(n):
                ob.append(padded(p, "checkin" if p is Priority.CRITICAL else "plate"))
        ob.append(draft(Priority.NORMAL, atts=8))
        before = {m.row_id: m for m in ob.pending(1000)}
        full = ob.stats().bytes
    with make(tmp_path, quota=full) as ob:  # same content, now exactly at quota
        order: list[int] = []
        alive = set(before)
        refused = None
        for _ in range(60):
            try:
                ob.append(padded(Priority.CRITICAL, "checkin"))
            except OutboxFullError as exc:
                refused = exc
                break
            now = {m.row_id for m in ob.pending(1000)}
            order += sorted(alive - now)
            alive = now & alive
        st = ob.stats()
    assert refused is not None, "an outbox full of CRITICAL events must refuse rather than evict"
    assert "CRITICAL events within their TTL" in str(refused)
    classes = [("att" if before[r].kind == "attachment" else before[r].priority.name) for r in order]
    expected = ["att"] * 8 + ["LOW"] * 5 + ["NORMAL"] * 6 + ["HIGH"] * 5
    assert classes == expected
    assert order == sorted(order[:8]) + sorted(order[8:13]) + sorted(order[13:19]) + sorted(order[19:])
    assert all(before[r].priority is Priority.CRITICAL for r in alive)  # every CRITICAL survived
    assert len(alive) == 10
    assert st.evicted_by_priority == {"low": 5, "normal": 8 + 6, "high": 5, "critical": 0}
    assert st.evicted_total == 24 and st.bytes <= full


def test_newcomer_never_displaces_more_important_messages(tmp_path: Path) -> None:
    unit = size_of(padded(Priority.HIGH))
    with make(tmp_path, quota=4 * unit + unit // 2) as ob:
        high = [ob.append(padded(Priority.HIGH)).event_id for _ in range(4)]
        with pytest.raises(OutboxFullError, match="more important than LOW"):
            ob.append(padded(Priority.LOW))
        assert [m.event_id for m in ob.pending(100)] == high
        newest = ob.append(padded(Priority.HIGH)).event_id  # equal priority may evict, oldest first
        assert [m.event_id for m in ob.pending(100)] == [*high[1:], newest]


def test_expired_critical_events_make_room(tmp_path: Path) -> None:
    clock = FakeClock()
    unit = size_of(padded(Priority.CRITICAL, "checkin"))
    with make(tmp_path, clock, quota=4 * unit + unit // 2, ttl_s={"checkin": 100}) as ob:
        for _ in range(4):
            ob.append(padded(Priority.CRITICAL, "checkin"))
        with pytest.raises(OutboxFullError):
            ob.append(padded(Priority.CRITICAL, "checkin"))
        clock.now += 101
        ob.append(padded(Priority.CRITICAL, "checkin"))
        st = ob.stats()
    assert st.expired_total == 4 and st.depth == 1 and st.evicted_total == 0


def test_too_large_batch_is_refused_whole_and_the_outbox_stays_usable(tmp_path: Path) -> None:
    with make(tmp_path, quota=10 * size_of(draft())) as ob:
        with pytest.raises(OutboxFullError, match="whole outbox quota"):
            ob.append_many([draft(n=i) for i in range(30)])
        assert ob.stats().depth == 0
        assert ob.append(draft()).seq == 1  # nothing of the refused batch consumed a seq


def test_stats_report_depth_age_bytes_and_counters(tmp_path: Path) -> None:
    clock = FakeClock()
    with make(tmp_path, clock) as ob:
        assert ob.stats().oldest_age_s is None
        ob.append(draft(Priority.LOW, type_="plate", atts=1))
        clock.now += 30
        ob.append(draft(Priority.CRITICAL, type_="checkin"))
        ob.append(draft(Priority.HIGH, type_="face"))
        clock.now += 12
        st = ob.stats()
    assert st.depth == 4
    assert st.depth_by_type == {"attachment": 1, "checkin": 1, "face": 1, "plate": 1}
    assert st.depth_by_priority == {"low": 2, "normal": 0, "high": 1, "critical": 1}
    assert st.oldest_age_s == pytest.approx(42.0)
    assert st.bytes > 1000 and st.file_bytes > 0
    assert st.appended_total == 4 and st.acked_total == 0
    assert st.last_error is None
    d = st.as_dict()
    assert d["depth"] == 4 and json.dumps(d)


def test_counters_are_persistent_in_the_database(tmp_path: Path) -> None:
    with make(tmp_path) as ob:
        ob.ack([ob.append(draft()).row_id])
        ob.note_error("broker refused connection: bad certificate")
    with make(tmp_path) as ob:
        st = ob.stats()
    assert (st.appended_total, st.acked_total) == (1, 1)
    assert st.last_error == "broker refused connection: bad certificate"


def test_invalid_event_type_and_attachment_id_are_refused(tmp_path: Path) -> None:
    with make(tmp_path) as ob:
        with pytest.raises(InvalidEventError, match="topic level"):
            ob.append(EventDraft("plate/../../other-device", {}))
        with pytest.raises(InvalidEventError, match="attachment id"):
            ob.append(EventDraft("plate", {}, attachments=(Attachment("image/jpeg", b"x", id="a/#"),)))
        assert ob.stats().depth == 0


def test_unserialisable_body_is_refused_with_a_typed_error(tmp_path: Path) -> None:
    from datetime import datetime

    with make(tmp_path) as ob:
        with pytest.raises(InvalidEventError, match="cannot be serialised"):
            ob.append(EventDraft("plate", {"frame": object()}))
        with pytest.raises(InvalidEventError, match="timezone-aware"):
            ob.append(EventDraft("plate", {}, occurred_at=datetime(2026, 1, 1)))
        assert ob.append(draft()).seq == 1


def test_a_file_that_is_not_an_outbox_gives_a_typed_error(tmp_path: Path) -> None:
    (tmp_path / "outbox.db").write_bytes(b"this is not an SQLite database, just some text" * 100)
    with pytest.raises(OutboxStorageError, match="cannot open outbox"):
        make(tmp_path)


def test_closed_outbox_refuses_use(tmp_path: Path) -> None:
    ob = make(tmp_path)
    ob.close()
    ob.close()
    with pytest.raises(OutboxClosedError):
        ob.append(draft())
    with pytest.raises(OutboxClosedError):
        ob.pending(1)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    make(tmp_path).close()
    with sqlite3.connect(tmp_path / "outbox.db") as c:
        c.execute("PRAGMA user_version = 99")
    with pytest.raises(OutboxError, match="newer than this software"):
        make(tmp_path)


def test_concurrent_threads_get_unique_gap_free_seqs(tmp_path: Path) -> None:
    with make(tmp_path) as ob:
        seqs: list[int] = []
        lock = threading.Lock()

        def work() -> None:
            for i in range(150):
                s = ob.append(draft(n=i, atts=i % 3 == 0))
                with lock:
                    seqs.append(s.seq)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        st = ob.stats()
    assert sorted(seqs) == list(range(1, 1201))
    assert all_seqs(tmp_path / "outbox.db") == list(range(1, 1201))  # row order == seq order
    assert st.appended_total == st.depth == 1200 + 400


def test_one_callers_error_does_not_fail_others_in_the_same_group(tmp_path: Path) -> None:
    with make(tmp_path, quota=30 * size_of(draft())) as ob:
        errors: list[BaseException] = []
        ok: list[int] = []
        start = threading.Barrier(6)

        def work(big: bool) -> None:
            start.wait()
            try:
                if big:
                    ob.append_many([draft(n=i) for i in range(60)])
                else:
                    ok.extend(ob.append(draft()).seq for _ in range(3))
            except OutboxFullError as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i == 0,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(errors) == 1 and len(ok) == 15
    assert sorted(ok) == list(range(1, 16))


def spawn_appender(db: Path, side: Path, *, count: int, threads: int) -> subprocess.Popen[bytes]:
    """A separate producer process appending through its own Outbox (see outbox_helpers)."""
    args = [str(db), "cam-01", str(side), str(count), str(threads)]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.outbox_helpers.appender", *args],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
    )


def test_several_processes_append_to_one_file_safely(tmp_path: Path) -> None:
    db = tmp_path / "outbox.db"
    make(tmp_path).close()
    procs = [spawn_appender(db, tmp_path / f"s{i}", count=300, threads=3) for i in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    promised = [line.split()[0] for i in range(3) for line in (tmp_path / f"s{i}").read_text().splitlines()]
    assert len(promised) == len(set(promised)) == 900
    with sqlite3.connect(db) as c:
        stored = {r[0] for r in c.execute("SELECT event_id FROM messages WHERE kind = 'event'")}
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert stored == set(promised)
    assert all_seqs(db) == list(range(1, 901))


def test_migration_from_v1_keeps_the_sequence(tmp_path: Path) -> None:
    import sqlite_utils

    from edge.outbox import schema

    conn = sqlite3.connect(tmp_path / "outbox.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("BEGIN IMMEDIATE")
    schema.MIGRATIONS[0](sqlite_utils.Database(conn))
    conn.execute("INSERT INTO sequences (device_id, last_seq) VALUES ('cam-01', 41)")
    conn.execute("PRAGMA user_version = 1")
    conn.execute("COMMIT")
    conn.close()
    with make(tmp_path) as ob:
        assert ob.append(draft()).seq == 42
    with sqlite3.connect(tmp_path / "outbox.db") as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "sequences" not in tables


def test_a_wall_clock_step_does_not_expire_events_early(tmp_path: Path) -> None:
    """Boot without RTC: the clock is 3 days behind, NTP then steps it forward. Events
    appended before the step keep their full TTL instead of being purged as 3 days old."""
    clock = FakeClock()
    with make(tmp_path, clock, ttl_s={"plate": 86400}) as ob:
        before = ob.append(draft(type_="plate")).row_id
        clock.now += 60  # a minute of real time
        clock.step(3 * 86400)  # NTP corrects the clock
        after = ob.append(draft(type_="plate")).row_id
        assert [m.row_id for m in ob.pending(10)] == [before, after]
        clock.now += 86400 - 120  # 86,340 s after the first append in real time: still valid
        assert [m.row_id for m in ob.pending(10)] == [before, after]
        clock.now += 90  # 86,430 s: the first expired; the second, appended 60 s later, has 30 s left
        assert [m.row_id for m in ob.pending(10)] == [after]
        assert ob.stats().expired_total == 1


def test_a_clock_step_seen_by_a_new_process_is_corrected_once(tmp_path: Path) -> None:
    clock = FakeClock()
    with make(tmp_path, clock, ttl_s={"plate": 3600}) as ob:
        row = ob.append(draft(type_="plate")).row_id
    clock.step(10 * 86400)  # stepped while no outbox was open (daemon restarting)
    with make(tmp_path, clock, ttl_s={"plate": 3600}) as a, make(tmp_path, clock, ttl_s={"plate": 3600}) as b:
        assert [m.row_id for m in a.pending(10)] == [row]  # a corrects the step
        assert [m.row_id for m in b.pending(10)] == [row]  # b must not shift it again
        b.append(draft(type_="plate"))
        (expires,) = {m.expires_at for m in a.pending(10) if m.row_id == row}
    assert expires == pytest.approx(clock.now + 3600)


def test_rows_from_an_earlier_boot_are_not_redated(tmp_path: Path) -> None:
    from edge.outbox.store import Outbox as Store

    clock = FakeClock()
    cfg = StorageConfig(path=tmp_path / "outbox.db", disk_reserve=0, ttl_s={"plate": 3600})
    with Store(cfg, "cam-01", clock=clock, boot_clock=clock.boot) as ob:
        old = ob.append(draft(type_="plate"))
    with sqlite3.connect(tmp_path / "outbox.db") as c:  # a reboot: another boot id
        ref = json.loads(c.execute("SELECT value FROM meta WHERE key = 'clock_ref'").fetchone()[0])
        ref["boot_id"] = "an-earlier-boot"
        c.execute("UPDATE meta SET value = ? WHERE key = 'clock_ref'", (json.dumps(ref),))
    clock.step(-600)  # the new boot starts with a clock 10 minutes behind
    with Store(cfg, "cam-01", clock=clock, boot_clock=clock.boot) as ob:
        ob.append(draft(type_="plate"))
        (msg,) = [m for m in ob.pending(10) if m.row_id == old.row_id]
    assert msg.expires_at == pytest.approx(1_800_000_000.0 + 3600)


def test_producer_processes_append_while_this_process_drains(tmp_path: Path) -> None:
    """The daemon publishes (pending + ack) while other processes append to the same file."""
    db = tmp_path / "outbox.db"
    drained: list[str] = []
    with make(tmp_path) as ob:
        procs = [spawn_appender(db, tmp_path / f"s{i}", count=400, threads=2) for i in range(2)]
        inflight: list[int] = []
        while any(p.poll() is None for p in procs) or ob.pending(1) or inflight:
            msgs = ob.pending(50, exclude=inflight)
            inflight += [m.row_id for m in msgs]
            drained += [m.event_id for m in msgs if m.kind == "event"]
            ob.ack(inflight[:30])  # acks trail the publishes, as PUBACKs do
            inflight = inflight[30:]
            if not msgs:
                time.sleep(0.005)  # producers still starting: do not spin on a shared CPU
        st = ob.stats()
    assert [p.returncode for p in procs] == [0, 0]
    promised = [line.split()[0] for i in range(2) for line in (tmp_path / f"s{i}").read_text().splitlines()]
    assert len(promised) == 800
    assert sorted(drained) == sorted(promised)  # each exactly once, nothing lost
    assert st.depth == 0 and st.acked_total == st.appended_total


def key_file(tmp_path: Path, name: str, key: bytes) -> StorageConfig:
    path = tmp_path / name
    path.write_bytes(key.hex().encode() + b"\n")
    path.chmod(0o600)
    return StorageConfig(path=tmp_path / "outbox.db", disk_reserve=0, encryption_key={"file": path})


def raw_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*") if p.is_file())


def test_payloads_are_encrypted_at_rest_and_published_in_clear(tmp_path: Path) -> None:
    cfg = key_file(tmp_path, "k", bytes(range(32)))
    face = b"\xff\xd8JPEG-face-crop-of-the-guest" * 20
    d = EventDraft(
        "checkin",
        {"name": "Nguyễn Văn A", "id_number": "079203001234"},
        Priority.CRITICAL,
        attachments=(Attachment("image/jpeg", face),),
    )
    with Outbox(cfg, "cam-01") as ob:
        stored = ob.append(d)
        disk = raw_bytes(tmp_path / "outbox.db")
        assert b"079203001234" not in disk and "Nguyễn".encode() not in disk and face[:40] not in disk
        event, attachment = ob.pending(10)
    assert event.payload == stored.to_json() and attachment.payload == face
    with Outbox(cfg, "cam-01") as ob:  # same key after a restart
        assert [m.payload for m in ob.pending(10)] == [stored.to_json(), face]


def test_plaintext_rows_stay_readable_after_a_key_is_introduced(tmp_path: Path) -> None:
    with make(tmp_path) as ob:
        old = ob.append(draft(n=1))
    with Outbox(key_file(tmp_path, "k", b"K" * 32), "cam-01") as ob:
        new = ob.append(draft(n=2))
        assert [m.payload for m in ob.pending(10)] == [old.to_json(), new.to_json()]


def test_a_malformed_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutboxError, match="32 random bytes or 64 hex digits"):
        Outbox(key_file(tmp_path, "k", b"short"), "cam-01")


def test_the_database_files_are_private_to_the_daemon_user(tmp_path: Path) -> None:
    with make(tmp_path) as ob:
        ob.append(draft())
        modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.glob("outbox.db*")}
    assert modes and set(modes.values()) == {0o600}, modes


def test_outbox_refuses_an_sqlite_without_returning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Acks delete with DELETE ... RETURNING (SQLite >= 3.35): an older library is
    refused at open with a message that says so, not at the first ack."""
    from edge.outbox import schema

    monkeypatch.setattr(schema.sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(schema.sqlite3, "sqlite_version", "3.31.1")
    with pytest.raises(OutboxError, match=r"SQLite 3\.31\.1 is too old .* 3\.35\.0 or newer"):
        make(tmp_path)
