"""The outbox's SQLite memory is bounded by its page caches, not by the file's size.

SQLite's default page cache (2000 KiB per connection) only fills once the file is that
big, so with the outbox's three connections the daemon's RSS crept up by ~6 MB over
hours as broker outages filled the outbox (the soak's growth after warm-up, issue 14).
Measured here with SQLite's own allocation counter, on a real file, in a fresh process
so no other test's connections count."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import ctypes, os, sys
from pathlib import Path
import _sqlite3
from edge.events import Attachment, EventDraft
from edge.outbox import Outbox
from edge.outbox.schema import CACHE_KIB
from firmware_config.storage import StorageConfig

lib = ctypes.CDLL(_sqlite3.__file__)  # resolves to the libsqlite3 the module uses
used = lib.sqlite3_memory_used
used.restype = ctypes.c_int64
config = StorageConfig(path=Path(sys.argv[1]) / "outbox.db", disk_reserve=0, quota="64MiB")
with Outbox(config, "cam-01") as ob:
    before = used()
    for batch in range(40):  # 40 x 8 x 30 KiB: ~10 MB written, read back and acked
        ob.append_many(
            [EventDraft("plate", {"n": i}, attachments=(Attachment("image/jpeg", os.urandom(30_000)),))
             for i in range(8)]
        )
    for _ in range(2):  # read the whole file twice, as a drain after an outage does
        after = 0
        while rows := ob.pending(32, after=after):
            after = rows[-1].row_id
    ob.ack([m.row_id for m in ob.pending(10_000)])
    print(used() - before, CACHE_KIB)
"""


def test_sqlite_memory_stays_within_the_page_caches_as_the_outbox_fills(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    grown, cache_kib = int(out[0]), int(out[1])
    # three connections' caches plus statement and schema memory; with SQLite's default
    # cache it reached 6.5 MB on this ~10 MB file
    assert cache_kib <= 512
    assert grown <= 2 * 1024 * 1024, grown
