"""Child process for the outbox fault tests: appends events through the real
`Outbox.append` from several threads and, only after each append returned, records the
event id in a side file with flush + fsync. Whatever is in the side file was promised
durable, so after a SIGKILL it must be in the database.

usage: python -m tests.outbox_helpers.appender DB DEVICE_ID SIDE_FILE COUNT THREADS [SYNCHRONOUS]
COUNT <= 0 means "until killed". Prints "ready" once, when the first append returned, as
one atomic write (see `say`)."""

from __future__ import annotations

import os
import random
import sys
import threading
from pathlib import Path

from edge.events import Attachment, EventDraft, Priority
from edge.outbox import Outbox
from firmware_config.storage import StorageConfig


def say(line: str) -> None:
    """Write one protocol line to stdout with a single write(2). Lines shorter than
    PIPE_BUF are atomic on a pipe: another process writing to the same pipe, or a SIGKILL,
    cannot split them. `print` may not be used for this: under PYTHONUNBUFFERED it writes
    the text and the newline separately."""
    data = f"{line}\n".encode()
    assert len(data) < 512, "longer lines are not atomic on every pipe"
    if os.write(sys.stdout.fileno(), data) != len(data):
        raise OSError(f"short write of protocol line {line!r}")


def main(argv: list[str], ready_tag: str = "ready") -> int:
    db, device_id, side, count, threads = argv[0], argv[1], argv[2], int(argv[3]), int(argv[4])
    sync = argv[5] if len(argv) > 5 else "full"
    outbox = Outbox(StorageConfig(path=Path(db), synchronous=sync, disk_reserve=0), device_id)
    fd = os.open(side, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    side_lock = threading.Lock()
    ready = False
    per_thread = count // threads if count > 0 else 0

    def work(n: int) -> None:
        nonlocal ready
        rng = random.Random()
        i = 0
        while n <= 0 or i < n:
            i += 1
            atts = ()
            if rng.random() < 0.2:
                atts = (Attachment("image/jpeg", rng.randbytes(rng.randint(200, 6000))),)
            draft = EventDraft(
                "plate",
                {"text": f"51F-{rng.randint(100, 999)}.{rng.randint(10, 99)}", "n": i},
                priority=Priority(rng.randint(0, 3)),
                attachments=atts,
            )
            stored = outbox.append(draft)
            line = f"{stored.event_id} {stored.seq}\n".encode()
            with side_lock:
                os.write(fd, line)
                os.fsync(fd)
                if not ready:  # checked and set under the lock: exactly one "ready" line
                    ready = True
                    say(ready_tag)

    workers = [threading.Thread(target=work, args=(per_thread,), daemon=True) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    outbox.close()
    os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
