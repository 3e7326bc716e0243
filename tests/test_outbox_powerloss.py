"""Power-loss test: a real child process appends heavily through `Outbox.append` and is
SIGKILLed at random instants, over and over. After every kill the database must open
cleanly and hold every event whose append had returned (the child records those in a
side file, fsynced, only after the call returned), with seq still gap-free."""

from __future__ import annotations

import os
import random
import re
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

import pytest

from edge.outbox import Outbox
from firmware_config.storage import StorageConfig

REPO_ROOT = Path(__file__).resolve().parent.parent
KILLS = 100
THREADS = 4
# Per wait on the zygote; a start-up or a kill takes milliseconds, seconds under heavy load.
READ_DEADLINE_S = 60.0


class Zygote:
    """Drives tests/outbox_helpers/zygote.py: forks appender children on request.

    The zygote's lines and its child's "ready" share one pipe and may come in either
    order, so every line is parsed and recorded per pid, and the waits look at that
    record. A line that does not parse fails the test at once, and every wait has its
    own deadline: a stuck child or zygote fails with what was last read and the state of
    both processes, instead of blocking until the test's timeout."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.outbox_helpers.zygote"],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,  # close() can kill the zygote and any child as one group
        )
        self._buf = b""
        self._lines: deque[str] = deque(maxlen=12)
        self._started: deque[int] = deque()
        self._ready: set[int] = set()
        self._exits: dict[int, int] = {}

    def start(self, db: Path, side: Path) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"go {db} kiosk-7 {side} 0 {THREADS}\n".encode())
        self.proc.stdin.flush()
        self._pump(lambda: bool(self._started), "pid of the new child", None)
        return self._started.popleft()

    def wait_ready(self, pid: int) -> None:
        self._pump(lambda: pid in self._ready or pid in self._exits, f"ready {pid}", pid)
        assert pid in self._ready, (
            f"child {pid} exited with status {self._exits[pid]} before its first append returned "
            "(its traceback, if any, is in the captured stderr)"
        )

    def wait_exit(self, pid: int) -> int:
        self._pump(lambda: pid in self._exits, f"exit {pid}", pid)
        self._ready.discard(pid)
        return self._exits.pop(pid)

    def _pump(self, done: Callable[[], bool], what: str, pid: int | None) -> None:
        """Read and record lines until `done()`, or fail after READ_DEADLINE_S."""
        deadline = time.monotonic() + READ_DEADLINE_S
        while not done():
            line = self._read_line(deadline, what, pid)
            if m := re.fullmatch(r"pid (\d+)", line):
                self._started.append(int(m[1]))
            elif m := re.fullmatch(r"ready (\d+)", line):
                self._ready.add(int(m[1]))
            elif m := re.fullmatch(r"exit (\d+) (-?\d+)", line):
                self._exits[int(m[1])] = int(m[2])
            else:
                pytest.fail(f"zygote protocol broken: {line!r}; lines before it: {list(self._lines)[:-1]}")

    def _read_line(self, deadline: float, what: str, pid: int | None) -> str:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                pytest.fail(
                    f"no '{what}' from the zygote within {READ_DEADLINE_S:.0f} s; last lines: "
                    f"{list(self._lines)}; zygote {process_state(self.proc.pid)}"
                    + (f"; child {pid} {process_state(pid)}" if pid is not None else "")
                )
            chunk = os.read(fd, 4096)
            if not chunk:
                pytest.fail(f"zygote died (status {self.proc.poll()}); last lines: {list(self._lines)}")
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        self._lines.append(line.decode(errors="replace"))
        return self._lines[-1]

    def close(self) -> None:
        """EOF ends an idle zygote. If a failure left a child running (the zygote then
        waits for it), kill both: the group id is the zygote's pid, which cannot be reused
        before this process reaps it."""
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        if self.proc.stdout:
            self.proc.stdout.close()


def process_state(pid: int) -> str:
    """State, kernel wait channel and thread states of a live process, for failure messages."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        state = next(line.split(None, 1)[1] for line in status.splitlines() if line.startswith("State:"))
        wchan = Path(f"/proc/{pid}/wchan").read_text() or "-"
        threads = sorted(Path(f"/proc/{pid}/task").iterdir(), key=lambda p: int(p.name))
        tstates = [(p / "stat").read_text().rsplit(")", 1)[1].split()[0] for p in threads]
    except (OSError, StopIteration):
        return "is gone"
    return f"state {state}, wchan {wchan}, thread states {''.join(tstates)}"


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
