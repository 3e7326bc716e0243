"""Power-loss test: a real child process appends heavily through `Outbox.append` and is
SIGKILLed at random instants, over and over. After every kill the database must open
cleanly and hold every event whose append had returned (the child records those in a
side file, fsynced, only after the call returned), with seq still gap-free."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edge.outbox import Outbox
from firmware_config.storage import StorageConfig

REPO_ROOT = Path(__file__).resolve().parent.parent
KILLS = 100
THREADS = 4


class Zygote:
    """Drives tests/outbox_helpers/zygote.py: forks appender children on request."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.outbox_helpers.zygote"],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def _expect(self, prefix: str) -> list[str]:
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            assert line, "zygote died"
            words = line.split()
            if line.startswith(prefix):
                return words
            # a late "ready" from a thread of an earlier child is harmless; skip it

    def start(self, db: Path, side: Path) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"go {db} kiosk-7 {side} 0 {THREADS}\n")
        self.proc.stdin.flush()
        return int(self._expect("pid ")[1])

    def wait_ready(self, pid: int) -> None:
        self._expect(f"ready {pid}")

    def wait_exit(self, pid: int) -> int:
        return int(self._expect(f"exit {pid} ")[2])

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)
        if self.proc.stdout:
            self.proc.stdout.close()


def promised_ids(side: Path) -> list[str]:
    if not side.exists():
        return []
    data = side.read_text()
    complete = data[: data.rfind("\n") + 1]  # a line cut by the kill was never promised
    return [line.split()[0] for line in complete.splitlines()]


def check_database(db: Path, promised: list[str]) -> int:
    """Returns the number of events stored; fails the test on any inconsistency."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT event_id, seq FROM messages WHERE kind = 'event' ORDER BY id").fetchall()
        counters = dict(conn.execute("SELECT name, value FROM counters").fetchall())
        depth, size = conn.execute("SELECT count(*), coalesce(sum(size), 0) FROM messages").fetchone()
        orphans = conn.execute(
            # NOT IN over a subquery is planned with a temporary index: linear, not quadratic,
            # in the number of rows (the database keeps growing over the hundred kills)
            "SELECT count(*) FROM messages WHERE kind = 'attachment' AND event_id NOT IN "
            "(SELECT event_id FROM messages WHERE kind = 'event')"
        ).fetchone()[0]
    finally:
        conn.close()
    stored = {event_id for event_id, _ in rows}
    missing = set(promised) - stored
    assert not missing, f"{len(missing)} events lost although their append had returned"
    assert [seq for _, seq in rows] == list(range(1, len(rows) + 1)), (
        "seq has a gap, a repeat or is out of order"
    )
    assert counters["appended_total"] == depth and counters["bytes"] == size, "counters drifted from rows"
    assert orphans == 0, "an attachment was committed without its event"
    return len(rows)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sigkill_at_random_instants_loses_no_returned_append(tmp_path: Path) -> None:
    db, side = tmp_path / "outbox.db", tmp_path / "promised.txt"
    rng = random.Random(0x5EED)
    early_kills = 0
    started = time.monotonic()
    zygote = Zygote()
    try:
        for kill in range(KILLS):
            pid = zygote.start(db, side)
            if kill > 0 and rng.random() < 0.15:
                # Sometimes kill while the child is still opening/migrating the database.
                early_kills += 1
                time.sleep(rng.uniform(0.0, 0.03))
            else:
                zygote.wait_ready(pid)
                time.sleep(rng.uniform(0.0, 0.12))
            os.kill(pid, signal.SIGKILL)
            assert zygote.wait_exit(pid) == -signal.SIGKILL, "child exited before it was killed"
            stored = check_database(db, promised_ids(side))
    finally:
        zygote.close()
    promised = promised_ids(side)
    # The outbox itself reopens and continues the sequence after the last kill.
    with Outbox(StorageConfig(path=db, disk_reserve=0), "kiosk-7") as ob:
        st = ob.stats()
    print(
        f"\npower-loss: {KILLS} SIGKILLs ({early_kills} during start-up) in {time.monotonic() - started:.0f}s; "
        f"{len(promised)} appends returned, {stored} events stored, {st.depth} messages, all present"
    )
    assert len(promised) > KILLS * 10, "the child barely wrote anything; the test would prove little"
    assert st.appended_total == st.depth
