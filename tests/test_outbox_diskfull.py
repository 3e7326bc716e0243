"""Disk-full tests on a real, small tmpfs: the outbox keeps accepting what it can,
evicts by priority (never a CRITICAL event inside its TTL), reports it in its stats,
survives a real ENOSPC caused by another program, and leaves an intact database."""

from __future__ import annotations

import errno
import os
import random
import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from edge.events import Attachment, EventDraft, Priority
from edge.outbox import Outbox, OutboxFullError
from firmware_config.storage import StorageConfig

MIXED = [Priority.LOW, Priority.LOW, Priority.NORMAL, Priority.NORMAL, Priority.HIGH, Priority.CRITICAL]


def event(rng: random.Random, priority: Priority, attachment_p: float = 0.3) -> EventDraft:
    atts: tuple[Attachment, ...] = ()
    if rng.random() < attachment_p:
        atts = (Attachment("image/jpeg", rng.randbytes(rng.randint(2000, 8000))),)
    kind = "checkin" if priority is Priority.CRITICAL else "plate"
    return EventDraft(kind, {"pad": "x" * rng.randint(100, 600)}, priority, attachments=atts)


def stored_event_ids(db: Path) -> set[str]:
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {r[0] for r in c.execute("SELECT event_id FROM messages WHERE kind = 'event'")}


def fill_up(disk: Path) -> int:
    """Another program takes every byte left on the filesystem."""
    written = 0
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            written += os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return written


def config(disk: Path, **kw: object) -> StorageConfig:
    defaults: dict[str, object] = {"quota": "1GB", "disk_reserve": "256KB"}
    return StorageConfig(path=disk / "outbox.db", **{**defaults, **kw})


def test_filling_a_small_disk_evicts_by_priority_never_critical(tmpfs: Callable[[str], Path]) -> None:
    disk = tmpfs("3m")
    rng = random.Random(7)
    accepted: dict[Priority, list[str]] = {p: [] for p in Priority}
    refused: Counter[Priority] = Counter()
    with Outbox(config(disk), "cam-01") as ob:
        for _ in range(2500):
            d = event(rng, rng.choice(MIXED))
            try:
                accepted[d.priority].append(ob.append(d).event_id)
            except OutboxFullError as exc:
                assert "disk is full" in str(exc) and "nothing was dropped" in str(exc)
                refused[d.priority] += 1
        st = ob.stats()
    present = stored_event_ids(disk / "outbox.db")
    kept = {p: len(set(ids) & present) / len(ids) for p, ids in accepted.items()}
    print(f"\ndisk-full: kept fraction by priority {kept}, refused {dict(refused)}, stats {st.as_dict()}")
    assert st.evicted_total > 500, "a 3 MB disk must have forced evictions"
    assert set(accepted[Priority.CRITICAL]) <= present, "a CRITICAL event was lost"
    assert refused[Priority.CRITICAL] == 0 and st.evicted_by_priority["critical"] == 0
    assert (
        kept[Priority.LOW] <= kept[Priority.NORMAL] <= kept[Priority.HIGH] <= kept[Priority.CRITICAL] == 1.0
    )
    assert st.evicted_by_priority["low"] > st.evicted_by_priority["high"]
    assert st.appended_total - st.depth == st.evicted_total  # every missing message is accounted for
    with Outbox(config(disk), "cam-01") as ob:  # reopens cleanly and continues
        ob.append(event(rng, Priority.CRITICAL))


def test_real_enospc_from_another_program_is_survived(tmpfs: Callable[[str], Path]) -> None:
    disk = tmpfs("3m")
    rng = random.Random(11)
    with Outbox(config(disk), "kiosk-2") as ob:
        for _ in range(250):
            ob.append(event(rng, Priority.LOW, attachment_p=1.0))
        ob.ack([m.row_id for m in ob.pending(400)])  # the publisher delivered most of it
        taken = fill_up(disk)
        critical: list[str] = []
        for _ in range(300):
            d = event(rng, rng.choice([Priority.NORMAL, Priority.HIGH, Priority.CRITICAL]))
            stored = ob.append(d)  # must not raise: there is always something evictable
            if d.priority is Priority.CRITICAL:
                critical.append(stored.event_id)
        st = ob.stats()
        print(f"\nENOSPC: filler took {taken} bytes; stats {st.as_dict()}")
        assert st.disk_full_total >= 1, "the real SQLITE_FULL path was never exercised"
        assert st.evicted_total > 0 and st.evicted_by_priority["critical"] == 0
        assert set(critical) <= stored_event_ids(disk / "outbox.db")
        # The ballast spent in the emergency was earned back (evict, hand pages back to
        # the filesystem) for the next one, although the other program's file stays.
        assert (disk / "outbox.db-reserve").stat().st_size == 256 * 1000
        # Still fully usable: drain, and append again.
        ob.ack([m.row_id for m in ob.pending(10_000)])
        assert ob.append(event(rng, Priority.LOW)).seq > 300
        assert ob.stats().depth >= 1


def test_disk_full_of_critical_events_refuses_clearly_and_recovers(tmpfs: Callable[[str], Path]) -> None:
    disk = tmpfs("1m")
    rng = random.Random(3)
    accepted: list[str] = []
    with Outbox(config(disk, disk_reserve="128KB"), "kiosk-9") as ob:
        with pytest.raises(OutboxFullError, match="CRITICAL") as info:
            for _ in range(5000):
                accepted.append(ob.append(event(rng, Priority.CRITICAL, attachment_p=0.5)).event_id)
        assert "nothing was dropped" in str(info.value)
        assert len(accepted) > 50
        assert set(accepted) == stored_event_ids(disk / "outbox.db")
        assert ob.stats().evicted_total == 0
        # The publisher delivers the oldest half; new check-ins fit again.
        ob.ack([m.row_id for m in ob.pending(len(accepted))][: len(accepted) // 2])
        for _ in range(10):
            accepted.append(ob.append(event(rng, Priority.CRITICAL)).event_id)
    assert set(accepted[-10:]) <= stored_event_ids(disk / "outbox.db")


def test_config_quota_evicts_before_the_disk_fills(tmpfs: Callable[[str], Path]) -> None:
    disk = tmpfs("4m")
    rng = random.Random(5)
    quota = 1024 * 1024
    critical: list[str] = []
    with Outbox(config(disk, quota=quota), "cam-03") as ob:
        for _ in range(2000):
            d = event(rng, rng.choice(MIXED))
            try:
                stored = ob.append(d)
            except OutboxFullError as exc:
                assert "quota" in str(exc) and d.priority is not Priority.CRITICAL
                continue
            if d.priority is Priority.CRITICAL:
                critical.append(stored.event_id)
            assert ob.stats().bytes <= quota
        st = ob.stats()
    assert st.evicted_total > 0 and st.disk_full_total == 0
    assert st.evicted_by_priority["critical"] == 0
    assert set(critical) <= stored_event_ids(disk / "outbox.db")
    free = os.statvfs(disk)
    assert free.f_bavail * free.f_frsize > 1024 * 1024, "the quota, not the disk, must have been the limit"
